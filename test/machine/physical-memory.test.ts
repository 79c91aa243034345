import { describe, expect, it } from 'vitest';
import { MachineUsageError } from './bits.ts';
import { createMachine } from './machine.ts';
import { PhysicalMemory, PhysicalMemoryError, pcRamRanges } from './physical-memory.ts';

const GiB = 2 ** 30;

describe('sparse physical memory', () => {
  it('reads never-written RAM as zero without allocating a frame', () => {
    const memory = new PhysicalMemory([{ start: 0, end: 16 * 1024 * 1024 }]);
    expect(memory.read32(0x123450)).toBe(0);
    expect(memory.allocatedFrameCount()).toBe(0);
    memory.write32(0x123450, -5);
    expect(memory.read32(0x123450)).toBe(-5);
    expect(memory.allocatedFrameCount()).toBe(1);
  });

  it('models 64 GiB while holding only the frames touched, above 4 GiB and near the top', () => {
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const machine = createMachine({ ramBytes: 64 * GiB });
    const addresses = [0x1000, 4 * GiB, 4 * GiB + 0x1234 * 4, 17 * GiB + 0x7000, 64 * GiB - 4, 64 * GiB - 4096];
    addresses.forEach((address, i) => machine.writePhys32(address, 0x5a5a0000 + i));
    addresses.forEach((address, i) => expect(machine.readPhys32(address)).toBe(0x5a5a0000 + i));
    expect(machine.readPhys32(40 * GiB)).toBe(0);
    expect(machine.memory.allocatedFrameCount()).toBe(5); // two of the addresses share a frame
    const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    expect(heapAfter - heapBefore).toBeLessThan(8 * 1024 * 1024);
    expect(() => machine.readPhys32(64 * GiB)).toThrow(PhysicalMemoryError);
  });

  it('refuses reads and writes outside installed RAM with the address in the message', () => {
    const memory = new PhysicalMemory([{ start: 0, end: 0x100000 }]);
    expect(() => memory.read32(0x100000)).toThrow(/physical read of 4 byte\(s\) at 0x100000 is outside installed RAM/);
    expect(() => memory.write32(0x7fff0000, 1)).toThrow(PhysicalMemoryError);
  });

  it('refuses the holes between ranges, also inside a frame the range ends in', () => {
    const memory = new PhysicalMemory(pcRamRanges(128 * 1024 * 1024));
    memory.write32(0x9fbfc, 7); // last word below the EBDA
    expect(memory.read32(0x9fbfc)).toBe(7);
    expect(() => memory.read32(0x9fc00)).toThrow(PhysicalMemoryError);
    expect(() => memory.write32(0x9fc00, 1)).toThrow(PhysicalMemoryError);
    expect(() => memory.read32(0xb8000)).toThrow(PhysicalMemoryError); // VGA hole
    memory.write32(0x100000, 3);
    expect(() => memory.read32(0x7fe0000)).toThrow(PhysicalMemoryError);
  });

  it('describes QEMU pc memory maps', () => {
    expect(pcRamRanges(128 * 1024 * 1024)).toEqual([
      { start: 0, end: 0x9fc00 },
      { start: 0x100000, end: 0x7fe0000 },
    ]);
    expect(pcRamRanges(6 * GiB)).toEqual([
      { start: 0, end: 0x9fc00 },
      { start: 0x100000, end: 0xc0000000 },
      { start: 4 * GiB, end: 7 * GiB },
    ]);
  });

  it('copies bytes across frame boundaries (e.g. a Multiboot2 information block)', () => {
    const memory = new PhysicalMemory([{ start: 0, end: 0x10000 }]);
    const blob = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    memory.writeBytes(0x1f00 + 3, blob);
    expect(memory.readBytes(0x1f03, 300)).toEqual(blob);
    expect(memory.read32(0x1f04)).toBe(blob[1]! | (blob[2]! << 8) | (blob[3]! << 16) | (blob[4]! << 24));
    expect(() => memory.writeBytes(0xfff0, new Uint8Array(32))).toThrow(PhysicalMemoryError);
  });

  it('rejects misaligned words, addresses beyond 2^52 and bad ranges', () => {
    const memory = new PhysicalMemory([{ start: 0, end: 0x10000 }]);
    expect(() => memory.read32(2)).toThrow(MachineUsageError);
    expect(() => memory.read32(2 ** 52)).toThrow(MachineUsageError);
    expect(() => memory.read32(-4)).toThrow(MachineUsageError);
    expect(() => new PhysicalMemory([{ start: 0, end: 0x2000 }, { start: 0x1000, end: 0x3000 }])).toThrow(/overlaps/);
    expect(() => new PhysicalMemory([{ start: 0, end: 2 ** 53 }])).toThrow(MachineUsageError);
  });
});
