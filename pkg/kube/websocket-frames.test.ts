// The frames a pods/exec stream sends and reads, held to RFC 6455's own examples (section 5.7).
import { describe, expect, it } from 'vitest';
import { FrameReader, Opcode, clientFrame, clientFrameHeader } from './websocket-frames.ts';

const hello = Buffer.from('Hello');

describe('the frames we send', () => {
  it('are final and masked, with the key 0000, so that the payload follows as it is', () => {
    expect([...clientFrame(Opcode.text, hello)]).toEqual([0x81, 0x85, 0, 0, 0, 0, ...hello]);
  });

  it('give the length in 2 bytes from 126 bytes on, and in 8 from 64 KiB on (the RFC examples)', () => {
    expect([...clientFrameHeader(Opcode.binary, 256)]).toEqual([0x82, 0xfe, 0x01, 0x00, 0, 0, 0, 0]);
    expect([...clientFrameHeader(Opcode.binary, 65536)]).toEqual([0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0, 0, 0, 0]);
  });

  it('put the channel byte after the header when asked, counted in the length', () => {
    expect([...clientFrameHeader(Opcode.binary, 6, 0)]).toEqual([0x82, 0x86, 0, 0, 0, 0, 0]);
  });
});

describe('reading what the server sends', () => {
  it('reads an unmasked frame, and a masked one', () => {
    const reader = new FrameReader();
    const [plain] = reader.push(Buffer.from([0x81, 0x05, ...hello]));
    expect(plain).toMatchObject({ fin: true, opcode: Opcode.text });
    expect(plain?.payload.toString()).toBe('Hello');
    const [masked] = reader.push(Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
    expect(masked?.payload.toString()).toBe('Hello');
  });

  it('keeps fragments apart, the first one with its opcode and the last one final', () => {
    const frames = new FrameReader().push(Buffer.from([0x01, 0x03, ...Buffer.from('Hel'), 0x80, 0x02, ...Buffer.from('lo')]));
    expect(frames.map((frame) => [frame.fin, frame.opcode, frame.payload.toString()])).toEqual([
      [false, Opcode.text, 'Hel'],
      [true, Opcode.continuation, 'lo'],
    ]);
  });

  it('waits for a frame cut anywhere, its header included, and reads what follows it', () => {
    const payload = Buffer.alloc(70_000, 7);
    const big = Buffer.concat([Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]), payload]);
    const bytes = Buffer.concat([big, Buffer.from([0x8a, 0x00])]);
    const reader = new FrameReader();
    const frames = [1, 5, 100, 40_000].reduce<{ at: number; got: number[] }>(
      (state, cut) => {
        state.got.push(reader.push(bytes.subarray(state.at, cut)).length);
        return { at: cut, got: state.got };
      },
      { at: 0, got: [] },
    );
    expect(frames.got).toEqual([0, 0, 0, 0]);
    const rest = reader.push(bytes.subarray(40_000));
    expect(rest.map((frame) => [frame.opcode, frame.payload.length])).toEqual([
      [Opcode.binary, 70_000],
      [Opcode.pong, 0],
    ]);
    expect(rest[0]?.payload.equals(payload)).toBe(true);
  });
});
