import { describe, expect, it } from 'vitest';
import type { StatusResponse, Vertex } from '../buildkit/types.ts';
import { createProgressWriter, ttyFrame, type Step } from './index.ts';

const ts = (seconds: number) => ({ seconds: String(Math.floor(seconds)), nanos: Math.round((seconds % 1) * 1e9) });
const vertex = (over: Partial<Vertex>): Vertex => ({ digest: 'd1', inputs: [], name: '[1/2] RUN make', cached: false, started: null, completed: null, error: '', ...over });
const status = (over: Partial<StatusResponse>): StatusResponse => ({ vertexes: [], statuses: [], logs: [], warnings: [], ...over });

function capture() {
  let text = '';
  return { output: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('plain progress', () => {
  it('numbers steps, prints their logs with seconds since the step started, and how they ended', () => {
    const out = capture();
    const writer = createProgressWriter('plain', out.output);
    writer.write(status({ vertexes: [vertex({ started: ts(100) })] }));
    writer.write(status({ logs: [{ vertex: 'd1', timestamp: ts(100.25), stream: '1', msg: Buffer.from('compiling\nlinking\n') }] }));
    writer.write(status({ vertexes: [vertex({ started: ts(100), completed: ts(101.5) })] }));
    writer.write(status({ vertexes: [vertex({ digest: 'd2', name: '[2/2] COPY . /', cached: true, started: ts(101), completed: ts(101) })] }));
    writer.finish();
    expect(out.text()).toBe(
      '#1 [1/2] RUN make\n#1 0.250 compiling\n#1 0.250 linking\n#1 DONE 1.5s\n#2 [2/2] COPY . /\n#2 CACHED\n',
    );
  });

  it('reports the failed step with the tail of its log, joining lines split across messages', () => {
    const out = capture();
    const writer = createProgressWriter('plain', out.output);
    writer.write(status({ vertexes: [vertex({ started: ts(1) })] }));
    writer.write(status({ logs: [{ vertex: 'd1', timestamp: ts(1), stream: '2', msg: Buffer.from('error: missi') }] }));
    writer.write(status({ logs: [{ vertex: 'd1', timestamp: ts(1), stream: '2', msg: Buffer.from('ng header\n') }] }));
    writer.write(status({ vertexes: [vertex({ started: ts(1), completed: ts(2), error: 'exit code: 2' })] }));
    writer.finish();
    expect(writer.failure()).toEqual({ step: '[1/2] RUN make', logTail: ['error: missing header'] });
    expect(out.text()).toContain('#1 ERROR: exit code: 2\n');
    expect(out.text()).toContain('------\n > [1/2] RUN make:\nerror: missing header\n------\n');
  });
});

describe('rawjson progress', () => {
  it('writes each status as one JSON line, bytes as base64', () => {
    const out = capture();
    createProgressWriter('rawjson', out.output).write(status({ logs: [{ vertex: 'd1', timestamp: null, stream: '1', msg: Buffer.from('hi') }] }));
    const line = JSON.parse(out.text().trim());
    expect(line.logs[0].msg).toBe(Buffer.from('hi').toString('base64'));
  });
});

describe('quiet progress', () => {
  it('prints nothing but still knows what failed', () => {
    const out = capture();
    const writer = createProgressWriter('quiet', out.output);
    writer.write(status({ vertexes: [vertex({ error: 'boom', completed: ts(1) })] }));
    writer.finish();
    expect(out.text()).toBe('');
    expect(writer.failure()?.step).toBe('[1/2] RUN make');
  });
});

describe('tty frame', () => {
  const step = (over: Partial<Step>): Step => ({
    number: 1, name: '[1/2] RUN make', cached: false, announced: true, done: false, error: '', logTail: [], partialLine: '', ...over,
  });

  it('shows finished steps with their time, cached and failed ones marked, and running logs', () => {
    const frame = ttyFrame(
      [
        step({ name: '[1/3] FROM base', startedMs: 0, completedMs: 300 }),
        step({ name: '[2/3] COPY . /', cached: true, startedMs: 300, completedMs: 300 }),
        step({ name: '[3/3] RUN make', startedMs: 1000, logTail: ['cc -c a.c', 'cc -c b.c'], partialLine: 'linki' }),
        step({ name: 'not started yet' }),
      ],
      3500,
    );
    expect(frame).toEqual([
      '=> [1/3] FROM base  0.3s',
      '=> CACHED [2/3] COPY . /  0.0s',
      '=> [3/3] RUN make  2.5s',
      '=> => # cc -c a.c',
      '=> => # cc -c b.c',
      '=> => # linki',
    ]);
  });

  it('marks a failed step and keeps only the last log lines of running ones', () => {
    const logTail = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    expect(ttyFrame([step({ startedMs: 0, completedMs: 100, error: 'exit code: 1' })], 200)).toEqual(['=> ERROR [1/2] RUN make  0.1s']);
    expect(ttyFrame([step({ startedMs: 0, logTail })], 100, 3)).toEqual(['=> [1/2] RUN make  0.1s', '=> => # line 7', '=> => # line 8', '=> => # line 9']);
  });
});
