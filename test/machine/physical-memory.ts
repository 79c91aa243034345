/*
 * Physical memory of the emulated machine: sparse 4 KiB frames, so a test can install 64 GiB and
 * touch only the few frames it uses. A frame that was never written reads as zero and costs
 * nothing; a frame is allocated on its first write.
 *
 * Only installed RAM can be read or written. An access outside the RAM ranges (or inside a hole
 * between them) throws PhysicalMemoryError: on the host it always means the memory manager used a
 * frame it does not own, which on hardware would silently hit a device or nothing at all.
 *
 * Addresses are JS numbers (exact below 2^53; the architecture stops at 2^52). Words are stored
 * in Int32Arrays, whose byte order is the host's: little-endian, like x86 (Node only runs on
 * little-endian hosts in practice; checked below).
 */
import { MachineError, MachineUsageError, PAGE_SIZE, PHYS_LIMIT, hex } from './bits.ts';

/** A range of installed RAM, [start, end) in bytes. */
export interface RamRange {
  start: number;
  end: number;
}

export class PhysicalMemoryError extends MachineError {
  override name = 'PhysicalMemoryError';
}

/** One allocated frame; `validFrom`/`validTo` bound its bytes that are RAM (a range may end mid-frame). */
interface Frame {
  words: Int32Array;
  validFrom: number;
  validTo: number;
}

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('emulated machine: the host must be little-endian, like x86');
}

/** The usable RAM of QEMU's pc machine with `-m bytes`, as its Multiboot2 memory map reports it. */
export const pcRamRanges = (bytes: number): RamRange[] => {
  const lowTop = Math.min(bytes, 0xc0000000);
  const ranges: RamRange[] = [{ start: 0, end: 0x9fc00 }];
  // Below the 3 GiB split QEMU reserves the top 128 KiB of RAM (measured with -m 128M).
  if (lowTop > 0x100000) ranges.push({ start: 0x100000, end: bytes > lowTop ? lowTop : lowTop - 0x20000 });
  if (bytes > lowTop) ranges.push({ start: 0x100000000, end: 0x100000000 + (bytes - lowTop) });
  return ranges;
};

export class PhysicalMemory {
  readonly ranges: readonly RamRange[];
  private readonly frames = new Map<number, Frame>();

  constructor(ranges: readonly RamRange[]) {
    const sorted = ranges.map((range) => ({ start: range.start, end: range.end })).sort((a, b) => a.start - b.start);
    for (let i = 0; i < sorted.length; i++) {
      const range = sorted[i]!;
      if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0) {
        throw new MachineUsageError(`RAM range ${hex(range.start)}..${hex(range.end)}: not a non-negative integer`);
      }
      if (range.end <= range.start || range.end > PHYS_LIMIT) {
        throw new MachineUsageError(`RAM range ${hex(range.start)}..${hex(range.end)}: empty or above 2^52`);
      }
      if (i > 0 && range.start < sorted[i - 1]!.end) {
        throw new MachineUsageError(`RAM range ${hex(range.start)}..${hex(range.end)} overlaps the previous one`);
      }
    }
    this.ranges = sorted;
  }

  /** True if every byte of [address, address + length) is installed RAM. */
  isInstalled(address: number, length = 1): boolean {
    for (const range of this.ranges) {
      if (address >= range.start && address + length <= range.end) return true;
    }
    return false;
  }

  read32(address: number): number {
    const frame = this.frames.get(Math.floor(address / PAGE_SIZE));
    const offset = address % PAGE_SIZE;
    if (frame !== undefined && offset >= frame.validFrom && offset + 4 <= frame.validTo && (offset & 3) === 0) {
      return frame.words[offset >> 2]!;
    }
    this.check(address, 4, 'read', true);
    return frame === undefined ? 0 : frame.words[offset >> 2]!;
  }

  write32(address: number, value: number): void {
    const frameNumber = Math.floor(address / PAGE_SIZE);
    const offset = address % PAGE_SIZE;
    const frame = this.frames.get(frameNumber);
    if (frame !== undefined && offset >= frame.validFrom && offset + 4 <= frame.validTo && (offset & 3) === 0) {
      frame.words[offset >> 2] = value;
      return;
    }
    this.check(address, 4, 'write', true);
    (frame ?? this.allocate(frameNumber)).words[offset >> 2] = value;
  }

  /** Byte access for test set-up (e.g. a Multiboot2 information block): any alignment. */
  readBytes(address: number, length: number): Uint8Array {
    this.check(address, length, 'read', false);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const at = address + done;
      const offset = at % PAGE_SIZE;
      const chunk = Math.min(length - done, PAGE_SIZE - offset);
      const frame = this.frames.get(Math.floor(at / PAGE_SIZE));
      if (frame !== undefined) out.set(new Uint8Array(frame.words.buffer, offset, chunk), done);
      done += chunk;
    }
    return out;
  }

  writeBytes(address: number, bytes: Uint8Array): void {
    this.check(address, bytes.length, 'write', false);
    for (let done = 0; done < bytes.length; ) {
      const at = address + done;
      const offset = at % PAGE_SIZE;
      const chunk = Math.min(bytes.length - done, PAGE_SIZE - offset);
      const frameNumber = Math.floor(at / PAGE_SIZE);
      const frame = this.frames.get(frameNumber) ?? this.allocate(frameNumber);
      new Uint8Array(frame.words.buffer, offset, chunk).set(bytes.subarray(done, done + chunk));
      done += chunk;
    }
  }

  /**
   * The words of a frame if it was ever written, else undefined (it reads as zero). For the walkers'
   * enumeration, which skips never-written tables without reading 512 zero entries.
   */
  frameWords(frameNumber: number): Int32Array | undefined {
    return this.frames.get(frameNumber)?.words;
  }

  /** How many 4 KiB frames hold data: what a sparse 64 GiB machine really costs. */
  allocatedFrameCount(): number {
    return this.frames.size;
  }

  private allocate(frameNumber: number): Frame {
    const base = frameNumber * PAGE_SIZE;
    let validFrom = PAGE_SIZE;
    let validTo = 0;
    for (const range of this.ranges) {
      const from = Math.max(range.start, base) - base;
      const to = Math.min(range.end, base + PAGE_SIZE) - base;
      if (from < to) {
        // Frames are small and ranges sorted: a frame overlapping two ranges keeps their union's
        // bounds, and the per-access check below still rejects the hole between them.
        validFrom = Math.min(validFrom, from);
        validTo = Math.max(validTo, to);
      }
    }
    const frame: Frame = { words: new Int32Array(PAGE_SIZE / 4), validFrom, validTo };
    // A frame cut by a hole must take the slow path on every access: shrink its fast window.
    if (!this.isInstalled(base + validFrom, validTo - validFrom)) {
      frame.validFrom = PAGE_SIZE;
      frame.validTo = 0;
    }
    this.frames.set(frameNumber, frame);
    return frame;
  }

  private check(address: number, length: number, what: string, aligned: boolean): void {
    if (!Number.isSafeInteger(address) || address < 0 || address + length > PHYS_LIMIT) {
      throw new MachineUsageError(`physical ${what} at ${String(address)}: not an address below 2^52`);
    }
    if (aligned && (address & 3) !== 0) {
      throw new MachineUsageError(`physical ${what} at ${hex(address)}: not 4-byte aligned`);
    }
    if (!this.isInstalled(address, length)) {
      throw new PhysicalMemoryError(
        `physical ${what} of ${length} byte(s) at ${hex(address)} is outside installed RAM ` +
          `(${this.ranges.map((r) => `${hex(r.start)}..${hex(r.end)}`).join(', ')})`,
      );
    }
  }
}
