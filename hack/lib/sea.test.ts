// The program's Node flags are the same however it is installed: the single executable's and
// install.sh's launchers (the npm package runs under the user's own node, without them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { V8_FLAGS } from './sea.ts';

describe('V8_FLAGS', () => {
  it('are passed by install.sh\'s launchers too', () => {
    const launcher = /exec \\"\$node\\" (.*) \\"\$checkout\/dist\/\$name\.js\\"/.exec(readFileSync('hack/install.sh', 'utf8'))?.[1];
    expect(launcher?.split(' ')).toEqual(V8_FLAGS);
  });
});
