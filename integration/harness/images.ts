// Reading what an image holds, for assertions: its config and every layer's bytes, decompressed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { skopeo, skopeoRegistryFlags } from '../../hack/lib/skopeo.ts';
import { scratchDir, type TestRegistry } from './index.ts';

/** Everything `reference` holds, as one latin1 string (call inside a test). */
export async function imageBytes(target: TestRegistry, reference: string): Promise<string> {
  const layout = scratchDir('layout');
  await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(target, target.files, 'src'), `docker://${reference}`, `oci:${layout}:image`]);
  const blobs = join(layout, 'blobs', 'sha256');
  return readdirSync(blobs)
    .map((name) => {
      const data = readFileSync(join(blobs, name));
      return (data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('latin1');
    })
    .join('\n');
}
