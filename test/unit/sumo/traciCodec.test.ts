import { describe, expect, it } from 'vitest';
import { encodeTraciCommand } from '../../../src/sumo/traci/encodeTraciCommand.ts';
import { encodeTraciMessage } from '../../../src/sumo/traci/encodeTraciMessage.ts';
import { TraciMessageFramer } from '../../../src/sumo/traci/TraciMessageFramer.ts';
import { TRACI, TraciProtocolError, TraciReader, TraciWriter } from '../../../src/sumo/index.ts';

describe('TraCI encoding', () => {
  it('frames a short command as ubyte length + id + payload, big-endian', () => {
    // getLastStepOccupancy('d0'): 0xa0, var 0x13, string "d0"
    const payload = new TraciWriter().ubyte(TRACI.variable.lastStepOccupancy).string('d0').toBuffer();
    const message = encodeTraciMessage([encodeTraciCommand(TRACI.command.getInductionLoopVariable, payload)]);
    expect(message.toString('hex')).toBe('0000000d' + '09' + 'a0' + '13' + '00000002' + '6430');
  });

  it('frames a simulation step with its double target time', () => {
    const message = encodeTraciMessage([encodeTraciCommand(TRACI.command.simulationStep, new TraciWriter().double(1.5).toBuffer())]);
    expect(message.toString('hex')).toBe('0000000e' + '0a' + '02' + '3ff8000000000000');
  });

  it('uses the 0 + int32 length form above 255 bytes', () => {
    const id = 'x'.repeat(300);
    const payload = new TraciWriter().ubyte(0x13).string(id).toBuffer(); // 1 + 4 + 300 bytes
    const command = encodeTraciCommand(0xa0, payload);
    expect(command[0]).toBe(0);
    expect(command.readInt32BE(1)).toBe(1 + 4 + 1 + payload.length);
    expect(command[5]).toBe(0xa0);
    expect(command.length).toBe(command.readInt32BE(1));
    // Exactly 255 still fits the short form.
    expect(encodeTraciCommand(0x02, new Uint8Array(253))[0]).toBe(255);
    expect(encodeTraciCommand(0x02, new Uint8Array(254))[0]).toBe(0);
  });

  it('writes typed values with their type tags and grows past its first buffer', () => {
    const w = new TraciWriter().typedInt(-2).typedDouble(0.25).typedString('G').stringList(['a', 'bc']);
    for (let i = 0; i < 100; i++) w.int(i);
    const bytes = w.toBuffer();
    expect(bytes.subarray(0, 5).toString('hex')).toBe('09fffffffe');
    expect(bytes.subarray(5, 14).toString('hex')).toBe('0b3fd0000000000000');
    expect(bytes.subarray(14, 20).toString('hex')).toBe('0c0000000147');
    expect(bytes.length).toBe(20 + 4 + 5 + 6 + 400);
  });
});

describe('TraCI decoding', () => {
  it('reads typed values back', () => {
    const bytes = Buffer.concat([
      new TraciWriter().typedInt(7).typedDouble(-1).typedString('héllo').toBuffer(),
      Buffer.from([TRACI.type.stringList]),
      new TraciWriter().stringList(['e1', 'e2']).toBuffer(),
      Buffer.from([TRACI.type.compound, 0, 0, 0, 2, TRACI.type.ubyte, 200, TRACI.type.byte, 0xff]),
    ]);
    const r = new TraciReader(bytes);
    expect([r.typedValue(), r.typedValue(), r.typedValue(), r.typedValue(), r.typedValue()]).toEqual([7, -1, 'héllo', ['e1', 'e2'], [200, -1]]);
    expect(r.remaining).toBe(0);
  });

  it('reads both command length forms and refuses to read past the end', () => {
    const long = encodeTraciCommand(0xbb, new Uint8Array(300));
    const r = new TraciReader(long);
    expect(r.commandEnd()).toBe(long.length);
    expect(r.ubyte()).toBe(0xbb);
    const short = new TraciReader(Buffer.from([3, 0x00, 0x00]));
    expect(short.commandEnd()).toBe(3);
    expect(() => new TraciReader(Buffer.from([0, 0, 0, 9])).int()).not.toThrow();
    expect(() => new TraciReader(Buffer.from([0, 0, 0])).int()).toThrow(TraciProtocolError);
    expect(() => new TraciReader(Buffer.from([0, 0, 0, 5, 0x41])).string()).toThrow(/too short/);
    expect(() => new TraciReader(Buffer.from([9, 1])).commandEnd()).toThrow(TraciProtocolError);
    expect(() => new TraciReader(Buffer.from([0x42])).typedValue()).toThrow(/not supported/);
  });

  it('cuts a byte stream into messages whatever the chunking', () => {
    const a = encodeTraciMessage([encodeTraciCommand(0x02, new Uint8Array(3))]);
    const b = encodeTraciMessage([encodeTraciCommand(0x7f)]);
    const stream = Buffer.concat([a, b]);
    for (const cut of [1, 3, 5, a.length, a.length + 2]) {
      const framer = new TraciMessageFramer();
      const got = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(got.map((m) => m.toString('hex'))).toEqual([a.toString('hex'), b.toString('hex')]);
      expect(framer.partialBytes).toBe(0);
    }
    const framer = new TraciMessageFramer();
    framer.push(a.subarray(0, 6));
    expect(framer.partialBytes).toBe(6);
    expect(framer.expectedBytes).toBe(a.length);
    expect(() => new TraciMessageFramer().push(Buffer.from([0, 0, 0, 2]))).toThrow(TraciProtocolError);
  });
});
