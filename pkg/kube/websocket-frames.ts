// The WebSocket framing (RFC 6455 section 5) that a pods/exec stream needs, and no more: frames a
// client sends (always masked, as the RFC demands of clients) and a reader for the frames the API
// server sends back (never masked). Our frames carry the masking key 0000: any key is valid, and that
// one makes masking a no-op, so a chunk of the build context goes to the TLS socket as it is instead
// of being XORed byte by byte in JavaScript into a copy (1.8 s of CPU per GiB measured with ws's
// fallback, which is what @kubernetes/client-node's exec ran without the native bufferutil).

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

const FIN = 0x80;
const MASKED = 0x80;
const ZERO_MASK_KEY = 4;

/**
 * The header of one final, masked client frame of `length` payload bytes (the key is 0000); with
 * `firstByte`, followed by that first byte of the payload (a pods/exec channel), so that the rest
 * can be written as it is.
 */
export function clientFrameHeader(opcode: number, length: number, firstByte?: number): Buffer {
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + ZERO_MASK_KEY + (firstByte === undefined ? 0 : 1));
  if (firstByte !== undefined) header[header.length - 1] = firstByte;
  header[0] = FIN | opcode;
  if (lengthBytes === 0) header[1] = MASKED | length;
  else if (lengthBytes === 2) {
    header[1] = MASKED | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = MASKED | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return header;
}

/** One whole client frame (for the small ones: control frames, closing a channel). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([clientFrameHeader(opcode, payload.length), payload]);
}

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * Cuts the bytes a server sends into frames, whatever the chunks they arrived in. A frame inside
 * one chunk is a view of it, not a copy.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The frames completed by `chunk`, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    let data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    for (;;) {
      const frame = readFrame(data);
      if (!frame) break;
      frames.push(frame.frame);
      data = data.subarray(frame.size);
    }
    this.pending = data.length === 0 ? [] : [data];
    this.pendingBytes = data.length;
    return frames;
  }
}

function readFrame(data: Buffer): { frame: Frame; size: number } | undefined {
  if (data.length < 2) return undefined;
  const first = data[0] as number;
  const second = data[1] as number;
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (second & MASKED) !== 0;
  const keyOffset = offset;
  if (masked) offset += 4;
  if (data.length < offset + length) return undefined;
  let payload = data.subarray(offset, offset + length);
  // Servers do not mask; should one, the bytes are still read right.
  if (masked) payload = Buffer.from(payload.map((byte, i) => byte ^ (data[keyOffset + (i & 3)] as number)));
  return { frame: { fin: (first & FIN) !== 0, opcode: first & 0x0f, payload }, size: offset + length };
}
