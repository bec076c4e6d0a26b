// fsutil Packets as gRPC frames (prefix and message), encoded by hand and many to a buffer: the
// listing of 10,000 files is 10,000 STAT packets, and through protobuf.js and one grpc-js write
// each, their encoding, framing copies and write callbacks were a fifth of an incremental upload's
// CPU time. Fields are written as Go's proto3 encoder writes them (zero values left out, fields in
// number order), which is what fsutil's own sender puts on the wire; protobuf.js decodes them to
// the same Packet (./packet-frames.test.ts).
import type { WireStat } from '../fsutil/stat.ts';
import { GRPC_PREFIX, varintLength, writeGrpcPrefix, writeVarint } from './encoded.ts';

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited).
const PACKET_TYPE_KEY = (1 << 3) | 0;
const PACKET_STAT_KEY = (2 << 3) | 2;
const PACKET_ID_KEY = (3 << 3) | 0;
const PACKET_DATA_KEY = (4 << 3) | 2;
const STAT_KEYS = {
  path: (1 << 3) | 2,
  mode: (2 << 3) | 0,
  uid: (3 << 3) | 0,
  gid: (4 << 3) | 0,
  size: (5 << 3) | 0,
  modTime: (6 << 3) | 0,
  linkname: (7 << 3) | 2,
  devmajor: (8 << 3) | 0,
  devminor: (9 << 3) | 0,
  xattrs: (10 << 3) | 2,
} as const;
const XATTR_KEY = (1 << 3) | 2;
const XATTR_VALUE = (2 << 3) | 2;
const PACKET_DATA = 2;
const PACKET_FIN = 3;
const PACKET_ERR = 4;

/** An int64 as the low and high 32 bits of its two's complement (how a negative one goes as a varint). */
interface Int64 {
  lo: number;
  hi: number;
}

const TWO_TO_32 = 2 ** 32;

/** An int64 field as decoded stats carry it (a decimal string) into `into`; false when it is 0. */
function parseInt64(decimal: string, into: Int64): boolean {
  const value = Number(decimal);
  if (value === 0) return false;
  if (value > 0 && value <= Number.MAX_SAFE_INTEGER) {
    into.lo = value >>> 0;
    into.hi = Math.floor(value / TWO_TO_32);
  } else {
    // Past 2^53 (a nanosecond time) or negative (a time before 1970): exact only as a BigInt.
    const bits = BigInt.asUintN(64, BigInt(decimal));
    into.lo = Number(bits & 0xffffffffn);
    into.hi = Number(bits >> 32n);
  }
  return true;
}

function varint64Length({ lo, hi }: Int64): number {
  if (hi === 0) return varintLength(lo);
  // 32 bits of `lo` fill four 7-bit groups and 4 bits of a fifth; `hi` continues from there.
  let length = 5;
  for (let rest = hi >>> 3; rest > 0; rest >>>= 7) length++;
  return length;
}

function writeVarint64(buffer: Buffer, offset: number, { lo, hi }: Int64): number {
  while (hi !== 0) {
    buffer[offset++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  return writeVarint(buffer, offset, lo);
}

function bytesFieldLength(length: number): number {
  return 1 + varintLength(length) + length;
}

// Scratch values for the stat being encoded: the hot path allocates nothing per entry but strings' bytes.
const size: Int64 = { lo: 0, hi: 0 };
const modTime: Int64 = { lo: 0, hi: 0 };
const devmajor: Int64 = { lo: 0, hi: 0 };
const devminor: Int64 = { lo: 0, hi: 0 };

const NO_XATTRS: Array<[string, Buffer]> = [];

function hasAny(record: Record<string, unknown>): boolean {
  for (const _ in record) return true;
  return false;
}

/** Where several frames are encoded one after another, to be written to the stream as one buffer. */
export class FrameBatch {
  readonly #capacity: number;
  #buffer: Buffer;
  #used = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** How many bytes the batch holds. */
  get bytes(): number {
    return this.#used;
  }

  /** The frames so far, handed over: the batch starts a new buffer (the stream keeps this one until it is sent). */
  take(): Buffer {
    const frames = this.#buffer.subarray(0, this.#used);
    this.#buffer = Buffer.allocUnsafe(this.#capacity);
    this.#used = 0;
    return frames;
  }

  /** Packet{type: STAT, stat}; without a stat, the STAT that ends the listing. */
  addStat(stat?: WireStat): void {
    if (!stat) {
      this.#frame(0);
      return;
    }
    const pathBytes = Buffer.byteLength(stat.path);
    const linkBytes = Buffer.byteLength(stat.linkname);
    const hasSize = parseInt64(stat.size, size);
    const hasModTime = parseInt64(stat.modTime, modTime);
    const hasMajor = parseInt64(stat.devmajor, devmajor);
    const hasMinor = parseInt64(stat.devminor, devminor);
    const xattrs = hasAny(stat.xattrs) ? Object.entries(stat.xattrs) : NO_XATTRS;
    const xattrLengths = xattrs.map(([name, value]) => bytesFieldLength(Buffer.byteLength(name)) + bytesFieldLength(value.length));

    let statLength = 0;
    if (pathBytes > 0) statLength += bytesFieldLength(pathBytes);
    if (stat.mode !== 0) statLength += 1 + varintLength(stat.mode);
    if (stat.uid !== 0) statLength += 1 + varintLength(stat.uid);
    if (stat.gid !== 0) statLength += 1 + varintLength(stat.gid);
    if (hasSize) statLength += 1 + varint64Length(size);
    if (hasModTime) statLength += 1 + varint64Length(modTime);
    if (linkBytes > 0) statLength += bytesFieldLength(linkBytes);
    if (hasMajor) statLength += 1 + varint64Length(devmajor);
    if (hasMinor) statLength += 1 + varint64Length(devminor);
    for (const length of xattrLengths) statLength += bytesFieldLength(length);

    let offset = this.#frame(bytesFieldLength(statLength));
    const buffer = this.#buffer;
    buffer[offset++] = PACKET_STAT_KEY;
    offset = writeVarint(buffer, offset, statLength);
    if (pathBytes > 0) offset = this.#string(offset, STAT_KEYS.path, stat.path, pathBytes);
    if (stat.mode !== 0) offset = this.#varint(offset, STAT_KEYS.mode, stat.mode);
    if (stat.uid !== 0) offset = this.#varint(offset, STAT_KEYS.uid, stat.uid);
    if (stat.gid !== 0) offset = this.#varint(offset, STAT_KEYS.gid, stat.gid);
    if (hasSize) offset = this.#varint64(offset, STAT_KEYS.size, size);
    if (hasModTime) offset = this.#varint64(offset, STAT_KEYS.modTime, modTime);
    if (linkBytes > 0) offset = this.#string(offset, STAT_KEYS.linkname, stat.linkname, linkBytes);
    if (hasMajor) offset = this.#varint64(offset, STAT_KEYS.devmajor, devmajor);
    if (hasMinor) offset = this.#varint64(offset, STAT_KEYS.devminor, devminor);
    xattrs.forEach(([name, value], i) => {
      buffer[offset++] = STAT_KEYS.xattrs;
      offset = writeVarint(buffer, offset, xattrLengths[i] as number);
      offset = this.#string(offset, XATTR_KEY, name, Buffer.byteLength(name));
      buffer[offset++] = XATTR_VALUE;
      offset = writeVarint(buffer, offset, value.length);
      offset += value.copy(buffer, offset);
    });
    this.#used = offset;
  }

  /** Packet{type: DATA, ID: id, data: the first `length` bytes of `bytes`}; with `length` 0, the packet that ends the file. */
  addData(id: number, bytes: Buffer, length: number): void {
    const idLength = 1 + varintLength(id);
    let offset = this.#frame(2 + idLength + (length > 0 ? bytesFieldLength(length) : 0));
    const buffer = this.#buffer;
    buffer[offset++] = PACKET_TYPE_KEY;
    buffer[offset++] = PACKET_DATA;
    buffer[offset++] = PACKET_ID_KEY;
    offset = writeVarint(buffer, offset, id);
    if (length === 0) return;
    buffer[offset++] = PACKET_DATA_KEY;
    offset = writeVarint(buffer, offset, length);
    bytes.copy(buffer, offset, 0, length);
  }

  /** Packet{type: FIN}: the daemon has all it asked for. */
  addFin(): void {
    const offset = this.#frame(2);
    this.#buffer[offset] = PACKET_TYPE_KEY;
    this.#buffer[offset + 1] = PACKET_FIN;
    this.#used = offset + 2;
  }

  /** Packet{type: ERR, data: message}: why we stopped. */
  addError(message: string): void {
    const bytes = Buffer.byteLength(message);
    const offset = this.#frame(2 + bytesFieldLength(bytes));
    this.#buffer[offset] = PACKET_TYPE_KEY;
    this.#buffer[offset + 1] = PACKET_ERR;
    this.#used = this.#string(offset + 2, PACKET_DATA_KEY, message, bytes);
  }

  /** Makes room for a frame of `messageLength` bytes, writes its prefix, and returns where its message starts. */
  #frame(messageLength: number): number {
    const needed = this.#used + GRPC_PREFIX + messageLength;
    if (needed > this.#buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.#capacity, needed));
      this.#buffer.copy(larger, 0, 0, this.#used);
      this.#buffer = larger;
    }
    writeGrpcPrefix(this.#buffer, this.#used, messageLength);
    this.#used = needed;
    return needed - messageLength;
  }

  #varint(offset: number, key: number, value: number): number {
    this.#buffer[offset] = key;
    return writeVarint(this.#buffer, offset + 1, value);
  }

  #varint64(offset: number, key: number, value: Int64): number {
    this.#buffer[offset] = key;
    return writeVarint64(this.#buffer, offset + 1, value);
  }

  #string(offset: number, key: number, value: string, bytes: number): number {
    this.#buffer[offset] = key;
    offset = writeVarint(this.#buffer, offset + 1, bytes);
    return offset + this.#buffer.write(value, offset, bytes, 'utf8');
  }
}
