// The two messages that carry bulk bytes, encoded straight into the buffer that goes to the wire: a
// file's DATA packet (fsutil Packet), with its gRPC frame prefix, is read from disk into the space
// behind its own header (./frame-writer.ts writes it to the HTTP/2 stream as it is), and each chunk of the session's HTTP/2 connection (Control.Session's BytesMessage) is copied once
// from the socket's read buffer. protobuf.js would allocate and copy every byte once more, and each
// allocation of external memory drives V8 towards a full garbage collection: for 1 GB of context,
// the two extra copies cost about a third of our CPU time, much of it in the collector.
// The bytes are the ones protobuf.js writes for the same message (pkg/buildkit/session/encoded.test.ts).

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited).
const PACKET_TYPE_KEY = (1 << 3) | 0;
const PACKET_ID_KEY = (3 << 3) | 0;
const PACKET_DATA_KEY = (4 << 3) | 2;
const BYTES_DATA_KEY = (1 << 3) | 2;
const PACKET_DATA = 2;

/** A gRPC frame's prefix: a compression flag (0: none) and the message's length, big-endian. */
export const GRPC_PREFIX = 5;

/** The most bytes a DATA frame's header takes: the prefix, type (2), ID (1 + 5), data's key and length (1 + 5). */
export const DATA_HEADER_ROOM = GRPC_PREFIX + 14;

export function writeGrpcPrefix(buffer: Buffer, offset: number, messageLength: number): void {
  buffer[offset] = 0;
  buffer[offset + 1] = messageLength >>> 24;
  buffer[offset + 2] = (messageLength >>> 16) & 0xff;
  buffer[offset + 3] = (messageLength >>> 8) & 0xff;
  buffer[offset + 4] = messageLength & 0xff;
}

export function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

export function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[offset++] = value;
  return offset;
}

function dataPacketHeaderLength(id: number, length: number): number {
  return 2 + 1 + varintLength(id) + 1 + varintLength(length);
}

/**
 * A buffer with DATA_HEADER_ROOM bytes in front of `capacity` bytes for a file's contents: read
 * the contents into `buffer` at DATA_HEADER_ROOM, then call `dataPacket` with how many were read.
 */
export function dataPacketBuffer(capacity: number): Buffer {
  return Buffer.allocUnsafe(DATA_HEADER_ROOM + capacity);
}

/**
 * Packet{type: DATA, ID: id, data: the `length` bytes at DATA_HEADER_ROOM of `buffer`} as a gRPC
 * frame: the header is written just in front of the bytes, and the frame is a view of `buffer`.
 * With `length` 0, the packet that ends a file.
 */
export function dataFrame(buffer: Buffer, id: number, length: number): Buffer {
  const headerLength = dataPacketHeaderLength(id, length);
  const start = DATA_HEADER_ROOM - headerLength;
  writeGrpcPrefix(buffer, start - GRPC_PREFIX, headerLength + length);
  buffer[start] = PACKET_TYPE_KEY;
  buffer[start + 1] = PACKET_DATA;
  buffer[start + 2] = PACKET_ID_KEY;
  let offset = writeVarint(buffer, start + 3, id);
  buffer[offset++] = PACKET_DATA_KEY;
  writeVarint(buffer, offset, length);
  return buffer.subarray(start - GRPC_PREFIX, DATA_HEADER_ROOM + length);
}

/** BytesMessage{data: bytes}, encoded, with one copy of `bytes` (which may be a reused read buffer). */
export function bytesMessage(bytes: Uint8Array): Buffer {
  const headerLength = 1 + varintLength(bytes.length);
  const message = Buffer.allocUnsafe(headerLength + bytes.length);
  message[0] = BYTES_DATA_KEY;
  writeVarint(message, 1, bytes.length);
  message.set(bytes, headerLength);
  return message;
}
