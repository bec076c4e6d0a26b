import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { protoSources } from '../proto-sources.ts';
import { bytesMessage, DATA_HEADER_ROOM, dataFrame, dataPacketBuffer } from './encoded.ts';

// The messages as protobuf.js encodes them from our .proto files, which is what went on the wire before.
const root = new protobuf.Root();
for (const source of Object.values(protoSources())) protobuf.parse(source, root, { keepCase: true });
const Packet = root.lookupType('fsutil.types.Packet');
const BytesMessage = root.lookupType('moby.buildkit.v1.BytesMessage');
const reference = (type: protobuf.Type, value: object) => Buffer.from(type.encode(type.fromObject(value)).finish());
/** A message as gRPC frames it: not compressed, its length in four bytes big-endian, then the message. */
const framed = (message: Buffer) => Buffer.concat([Buffer.from([0]), Buffer.from(new Uint32Array([message.length]).buffer).reverse(), message]);

describe('hot-path encodings', () => {
  // IDs and lengths on both sides of each varint width (1, 2, 3 and 5 bytes).
  const ids = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 - 1];
  const lengths = [1, 127, 128, 16_384, 256 * 1024];

  it.each(ids.flatMap((id) => lengths.map((length) => [id, length] as const)))('DATA packet #%i of %i bytes is what protobuf.js writes, framed', (id, length) => {
    const bytes = Buffer.alloc(length, 0xab);
    const buffer = dataPacketBuffer(length);
    bytes.copy(buffer, DATA_HEADER_ROOM);
    expect(dataFrame(buffer, id, length)).toEqual(framed(reference(Packet, { type: 'PACKET_DATA', ID: id, data: bytes })));
  });

  it('a DATA packet may carry fewer bytes than its buffer holds', () => {
    const buffer = dataPacketBuffer(1000);
    buffer.fill(7, DATA_HEADER_ROOM, DATA_HEADER_ROOM + 10);
    expect(dataFrame(buffer, 3, 10)).toEqual(framed(reference(Packet, { type: 'PACKET_DATA', ID: 3, data: Buffer.alloc(10, 7) })));
  });

  it('the DATA packet that ends a file carries no bytes', () => {
    const frame = dataFrame(dataPacketBuffer(0), 200, 0);
    expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
    expect(Packet.toObject(Packet.decode(frame.subarray(5)), { enums: String, defaults: true })).toEqual({ type: 'PACKET_DATA', ID: 200, data: Buffer.alloc(0), stat: null });
  });

  it.each(lengths)('BytesMessage of %i bytes is what protobuf.js writes, copied out of the read buffer', (length) => {
    const readBuffer = Buffer.alloc(length + 5, 0x5c);
    const message = bytesMessage(readBuffer.subarray(0, length));
    readBuffer.fill(0);
    expect(message).toEqual(reference(BytesMessage, { data: Buffer.alloc(length, 0x5c) }));
  });
});
