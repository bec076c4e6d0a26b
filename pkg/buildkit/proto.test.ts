// Our service definitions are made from the descriptor without @grpc/proto-loader; they must
// give grpc-js what proto-loader gave it: the same methods, and the same bytes and objects.
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { buildkitProtocol, type ServiceDefinition } from './proto.ts';
import { protoDescriptor } from './proto-sources.ts';

const reference = protoLoader.fromJSON(protoDescriptor(), { longs: String, enums: String, defaults: true });
const protocol = buildkitProtocol();
const ours: Record<string, ServiceDefinition> = {
  'moby.buildkit.v1.Control': protocol.Control.service,
  'grpc.health.v1.Health': protocol.services.health,
  'moby.filesync.v1.FileSync': protocol.services.fileSync,
  'moby.filesync.v1.FileSend': protocol.services.fileSend,
  'moby.filesync.v1.Auth': protocol.services.auth,
  'moby.buildkit.secrets.v1.Secrets': protocol.services.secrets,
  'moby.sshforward.v1.SSH': protocol.services.ssh,
};

const method = (service: string, name: string) => [ours[service]?.[name], (reference[service] as protoLoader.ServiceDefinition)[name]] as const;

describe('BuildKit protocol definitions', () => {
  it.each(Object.keys(ours))('%s has the methods, paths and streaming that proto-loader gives', (service) => {
    const shape = (definition: Record<string, { path: string; requestStream: boolean; responseStream: boolean; originalName?: string }>) =>
      Object.entries(definition).map(([name, m]) => [name, m.path, m.requestStream, m.responseStream, m.originalName]);
    expect(shape(ours[service] as ServiceDefinition)).toEqual(shape(reference[service] as protoLoader.ServiceDefinition));
  });

  it('encodes a Solve request to the same bytes', () => {
    const request = {
      Ref: 'ref1',
      Frontend: 'dockerfile.v0',
      FrontendAttrs: { filename: 'Dockerfile', 'build-arg:A': 'b' },
      Session: 'session-id',
      Exporters: [{ Type: 'image', Attrs: { name: 'registry/x:1', push: 'true' } }],
      CacheImports: [{ Type: 'registry', Attrs: { ref: 'registry/cache' } }],
      Entitlements: ['network.host'],
    };
    const [a, b] = method('moby.buildkit.v1.Control', 'Solve');
    expect(a?.requestSerialize(request)).toEqual(b?.requestSerialize(request));
  });

  it('decodes a status update to the same object (int64 as strings, enums by name, defaults filled in)', () => {
    const [a, b] = method('moby.buildkit.v1.Control', 'Status');
    const update = {
      vertexes: [{ digest: 'sha256:1', inputs: ['sha256:0'], name: '[1/2] FROM', cached: true, started: { seconds: '1700000000', nanos: 5 } }],
      statuses: [{ ID: 'layer', vertex: 'sha256:1', total: '9007199254740993', current: '12' }],
      logs: [{ vertex: 'sha256:1', stream: 2, msg: Buffer.from('hello\n') }],
    };
    const bytes = b?.responseSerialize(update) as Buffer;
    const decoded = a?.responseDeserialize(bytes) as { statuses: Array<{ total: string }>; logs: Array<{ msg: Buffer }> };
    expect(decoded).toEqual(b?.responseDeserialize(bytes));
    expect([decoded.statuses[0]?.total, decoded.logs[0]?.msg.toString()]).toEqual(['9007199254740993', 'hello\n']);
  });

  it('decodes fsutil packets to the same object', () => {
    const [a, b] = method('moby.filesync.v1.FileSync', 'DiffCopy');
    for (const packet of [
      { type: 'PACKET_REQ', ID: 7 },
      { type: 'PACKET_STAT', stat: { path: 'a/b', mode: 2147484141, size: '12', modTime: '1700000000123456789', xattrs: { 'user.x': Buffer.from('y') } } },
      { type: 'PACKET_DATA', ID: 3, data: Buffer.from('bytes') },
    ]) {
      const bytes = b?.responseSerialize(packet) as Buffer;
      expect(bytes.length).toBeGreaterThan(2);
      expect(a?.requestSerialize(packet)).toEqual(b?.requestSerialize(packet));
      expect(a?.responseDeserialize(bytes)).toEqual(b?.responseDeserialize(bytes));
    }
  });

  it('sends a Buffer as a message already encoded', () => {
    const [a] = method('moby.buildkit.v1.Control', 'Session');
    const encoded = Buffer.from([0x0a, 0x01, 0x41]);
    expect(a?.requestSerialize(encoded)).toBe(encoded);
  });
});
