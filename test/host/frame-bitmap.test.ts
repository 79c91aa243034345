/*
 * The physical frame bitmap (src/memory/frame-bitmap.ts) on the emulated machine, paging off,
 * its storage in emulated RAM: every operation, every error code (with "nothing changed" checked
 * against a snapshot of the counts and of every storage word), word-boundary cases, the hint,
 * contiguous runs with large alignments, the storage's invariants after every step, and the
 * summary's effect on the number of memory reads.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ERR_DOUBLE_FREE,
  ERR_IN_USE,
  ERR_INVALID_ARGUMENT,
  ERR_NOT_INITIALISED,
  ERR_OUT_OF_MEMORY,
  ERR_OUT_OF_RANGE,
  ERR_RESERVED,
  ERR_UNALIGNED,
  ERR_ZERO_SIZE,
} from '../../src/errors.ts';
import { frameToAddress, pairHi } from '../../src/int64/pair.ts';
import {
  frameAlloc,
  frameAllocContiguous,
  frameAtOrAbove,
  frameBitmapAddUsable,
  frameBitmapInit,
  frameBitmapReserve,
  frameBitmapStorageBytes,
  frameClaim,
  frameContaining,
  frameCoveredCount,
  frameFree,
  frameFreeAddress,
  frameFreeCount,
  frameFreeRange,
  frameFromAddress,
  frameIsFree,
  frameIsReserved,
  frameReservedCount,
  frameTotalCount,
  frameUsedCount,
} from '../../src/memory/frame-bitmap.ts';
import { createMachine } from '../machine/index.ts';
import { installMachine } from '../../src/port/port.ts';
import { BitmapModel, STORAGE, counts, expectInvariants, frameStates, setUp, snapshot, type Fixture } from '../support/frame-bitmap-support.ts';

/** 2000 frames: 62 full words and a last word with 16 frames (16 padding bits). */
const N = 2000;

/** Runs `call`, expects `code`, and checks that the counts and every storage word are unchanged. */
const expectRefused = (fx: Fixture, call: () => number, code: number): void => {
  const before = snapshot(fx);
  expect(call()).toBe(code);
  expect(snapshot(fx)).toEqual(before);
};

/** A bitmap with every frame usable. */
const allUsable = (frames = N): Fixture => {
  const fx = setUp(frames);
  expect(frameBitmapAddUsable(0, frames)).toBe(frames);
  return fx;
};

describe('before init', () => {
  it('every operation says ERR_NOT_INITIALISED and the counts are 0', async () => {
    vi.resetModules();
    const fresh = await import('../../src/memory/frame-bitmap.ts');
    installMachine(createMachine());
    expect(fresh.frameAlloc()).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameAllocContiguous(1, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameFree(0)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameFreeRange(0, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameClaim(0, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameBitmapAddUsable(0, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameBitmapReserve(0, 1)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameIsFree(0)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameIsReserved(0)).toBe(ERR_NOT_INITIALISED);
    expect(fresh.frameFreeAddress(0, 0)).toBe(ERR_NOT_INITIALISED);
    const c = [fresh.frameCoveredCount(), fresh.frameReservedCount(), fresh.frameTotalCount(), fresh.frameFreeCount(), fresh.frameUsedCount()];
    expect(c).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('storage size and init', () => {
  it('frameBitmapStorageBytes: two bitmaps and the summary, page-rounded', () => {
    expect(frameBitmapStorageBytes(1)).toBe(4096);
    expect(frameBitmapStorageBytes(32 * 512)).toBe(8192); // 2 x 2 KiB + 64 B
    expect(frameBitmapStorageBytes(32 * 1024 * 15)).toBe(4096 * 31); // 2 x 60 KiB + 1920 B
    expect(frameBitmapStorageBytes(16 * 2 ** 20)).toBe(1040 * 4096); // 64 GiB: 2 x 2 MiB + 64 KiB
    expect(frameBitmapStorageBytes(2 ** 31 - 1)).toBe(2 ** 29 + 2 ** 23); // 8 TiB: 520 MiB
    expect(frameBitmapStorageBytes(0)).toBe(ERR_ZERO_SIZE);
    expect(frameBitmapStorageBytes(-1)).toBe(ERR_INVALID_ARGUMENT);
  });

  it('starts with every frame reserved: nothing to allocate, nothing to free', () => {
    const fx = setUp(N);
    expect(counts()).toEqual([N, N, 0, 0, 0]);
    expectInvariants(fx);
    expect(frameStates(fx)).toBe('R'.repeat(N));
    expect(frameIsFree(0)).toBe(0);
    expect(frameIsReserved(N - 1)).toBe(1);
    expectRefused(fx, frameAlloc, ERR_OUT_OF_MEMORY);
    expectRefused(fx, () => frameAllocContiguous(1, 1), ERR_OUT_OF_MEMORY);
    expectRefused(fx, () => frameFree(5), ERR_RESERVED);
    expectRefused(fx, () => frameClaim(5, 1), ERR_RESERVED);
  });

  it('overwrites whatever the storage held before', () => {
    const machine = createMachine({ ramBytes: 16 * 2 ** 20 });
    installMachine(machine);
    for (let a = STORAGE; a < STORAGE + 8192; a += 4) machine.writePhys32(a, 0x5a5a5a5a);
    expect(frameBitmapInit(N, STORAGE, 0, 8192)).toBe(0);
    expectInvariants({ machine, frames: N, base: STORAGE, words: 63, summaryWords: 2 });
    expect(counts()).toEqual([N, N, 0, 0, 0]);
  });

  it('refuses bad arguments and keeps the previous bitmap', () => {
    const fx = allUsable();
    expect(frameAlloc()).toBe(0);
    const bytes = frameBitmapStorageBytes(N);
    expectRefused(fx, () => frameBitmapInit(0, STORAGE, 0, bytes), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameBitmapInit(-5, STORAGE, 0, bytes), ERR_INVALID_ARGUMENT);
    expectRefused(fx, () => frameBitmapInit(N, STORAGE + 4, 0, bytes), ERR_UNALIGNED);
    expectRefused(fx, () => frameBitmapInit(N, STORAGE + 2048, 0, bytes), ERR_UNALIGNED);
    expectRefused(fx, () => frameBitmapInit(N, STORAGE, 0, bytes - 1), ERR_INVALID_ARGUMENT);
    expectRefused(fx, () => frameBitmapInit(N, STORAGE, 0, 0), ERR_INVALID_ARGUMENT);
    // 3 pages needed (40000 frames), starting one or two pages below 4 GiB: crosses.
    expect(frameBitmapStorageBytes(40000)).toBe(3 * 4096);
    expectRefused(fx, () => frameBitmapInit(40000, -4096, 0, 3 * 4096), ERR_INVALID_ARGUMENT);
    expectRefused(fx, () => frameBitmapInit(40000, -8192, -1, -1), ERR_INVALID_ARGUMENT);
    // The previous bitmap still works: frame 0 is taken, 1 is next.
    expect(frameAlloc()).toBe(1);
  });

  it('accepts storage that ends exactly at a 4 GiB boundary, a huge size and a non-zero high half', () => {
    const top = 2 ** 32;
    const machine = createMachine({ ramRanges: [{ start: 0, end: 16 * 2 ** 20 }, { start: top - 65536, end: top }] });
    installMachine(machine);
    const frames = 40000;
    const bytes = frameBitmapStorageBytes(frames); // 12 KiB
    expect(frameBitmapInit(frames, -bytes, 0, bytes)).toBe(0);
    const fx: Fixture = { machine, frames, base: top - bytes, words: 1250, summaryWords: 40 };
    expectInvariants(fx);
    expect(frameBitmapAddUsable(0, frames)).toBe(frames);
    expect(frameAlloc()).toBe(0);
    expectInvariants(fx);
    // storageBytes is unsigned: 0xFFFFF000 is plenty.
    expect(frameBitmapInit(N, -65536, 0, -4096)).toBe(0);
  });
});

describe('building from a memory map', () => {
  it('AddUsable frees reserved frames, by words and by partial words, and says how many', () => {
    const fx = setUp(N);
    expect(frameBitmapAddUsable(0, 1)).toBe(1); // frame 0
    expect(frameBitmapAddUsable(N - 1, 1)).toBe(1); // the last frame
    expect(frameBitmapAddUsable(37, 100)).toBe(100); // mid-word to mid-word
    expect(frameBitmapAddUsable(320, 640)).toBe(640); // whole words exactly
    expect(frameBitmapAddUsable(1000, 24)).toBe(24); // ends exactly on a word
    expect(frameBitmapAddUsable(1960, 40)).toBe(39); // into the last, partial word (1999 already)
    expectInvariants(fx);
    const states = frameStates(fx);
    const expected = [...'R'.repeat(N)].map((_, f) =>
      f === 0 || f === N - 1 || (f >= 37 && f < 137) || (f >= 320 && f < 960) || (f >= 1000 && f < 1024) || f >= 1960 ? 'F' : 'R',
    );
    expect(states).toBe(expected.join(''));
    expect(counts()).toEqual([N, N - 805, 805, 805, 0]);
  });

  it('AddUsable is idempotent and never frees an allocated frame', () => {
    const fx = allUsable();
    expect(frameAlloc()).toBe(0);
    expect(frameClaim(40, 30)).toBe(0);
    expect(frameBitmapAddUsable(0, N)).toBe(0);
    expect(frameIsFree(0)).toBe(0);
    expect(frameIsFree(50)).toBe(0);
    expect(counts()).toEqual([N, 0, N, N - 31, 31]);
    expectInvariants(fx);
  });

  it('AddUsable refuses ranges outside the bitmap, with no change', () => {
    const fx = setUp(N);
    expectRefused(fx, () => frameBitmapAddUsable(0, 0), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameBitmapAddUsable(0, -1), ERR_INVALID_ARGUMENT);
    expectRefused(fx, () => frameBitmapAddUsable(-1, 2), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameBitmapAddUsable(N, 1), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameBitmapAddUsable(N - 10, 11), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameBitmapAddUsable(5, 2 ** 31 - 1), ERR_OUT_OF_RANGE); // first + count overflows int32
  });

  it('Reserve: reserved wins, clamps at the end of the bitmap, says how many became reserved', () => {
    const fx = allUsable();
    expect(frameAlloc()).toBe(0);
    expect(frameBitmapReserve(0, 10)).toBe(10); // an allocated frame can be reserved too
    expect(counts()).toEqual([N, 10, N - 10, N - 10, 0]);
    expect(frameBitmapReserve(5, 10)).toBe(5); // idempotent on the overlap
    expect(frameBitmapReserve(33, 1)).toBe(1);
    expect(frameBitmapReserve(64, 64)).toBe(64); // whole words
    expect(frameBitmapReserve(N - 3, 1000)).toBe(3); // clamped: frames past the bitmap are ignored
    expect(frameBitmapReserve(N, 5)).toBe(0); // entirely past the bitmap
    expect(frameBitmapReserve(2 ** 31 - 2, 2 ** 31 - 1)).toBe(0);
    expect(frameBitmapReserve(1990, 2 ** 31 - 1)).toBe(7); // first + count overflows: still clamped
    expect(frameBitmapReserve(0, 15)).toBe(0);
    expectInvariants(fx);
    expect(counts()).toEqual([N, 90, N - 90, N - 90, 0]);
    // AddUsable then Reserve on the same frames: reserved wins.
    expect(frameBitmapAddUsable(64, 64)).toBe(64);
    expect(frameBitmapReserve(60, 10)).toBe(10);
    expect(frameIsReserved(64)).toBe(1);
    expect(frameIsReserved(70)).toBe(0);
    expectRefused(fx, () => frameFree(64), ERR_RESERVED);
    expectRefused(fx, () => frameBitmapReserve(-1, 5), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameBitmapReserve(0, 0), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameBitmapReserve(0, -3), ERR_INVALID_ARGUMENT);
    expectInvariants(fx);
  });

  it('counts match a memory map exactly: covered = total + reserved, total = free + used', () => {
    // usable [0, 0x9f000) and [1 MiB, 8 MiB), frames up to 8 MiB; reserve the bitmap and "kernel".
    const frames = 2048;
    const fx = setUp(frames);
    expect(frameBitmapAddUsable(0, 0x9f)).toBe(0x9f);
    expect(frameBitmapAddUsable(0x100, frames - 0x100)).toBe(frames - 0x100);
    expect(frameBitmapReserve(0x9f, 0x100 - 0x9f)).toBe(0); // the hole: already reserved
    expect(frameBitmapReserve(STORAGE >> 12, 2)).toBe(2); // the bitmap itself
    expect(frameBitmapReserve(0x200, 0x80)).toBe(0x80); // "the kernel image"
    const total = 0x9f + frames - 0x100 - 2 - 0x80;
    expect(frameTotalCount()).toBe(total);
    expect(frameReservedCount()).toBe(frames - total);
    expect(frameCoveredCount()).toBe(frames);
    for (let k = 0; k < 10; k++) expect(frameAlloc()).toBeGreaterThanOrEqual(0);
    expect(frameFreeCount()).toBe(total - 10);
    expect(frameUsedCount()).toBe(10);
    expectInvariants(fx);
  });
});

describe('frameAlloc', () => {
  it('hands out the lowest free frames in order and keeps the summary right', () => {
    const fx = allUsable();
    for (let f = 0; f < 100; f++) expect(frameAlloc()).toBe(f);
    expect(counts()).toEqual([N, 0, N, N - 100, 100]);
    expectInvariants(fx);
  });

  it('next fit: starts at the hint word, so a frame freed below it waits for the wrap', () => {
    const fx = allUsable();
    for (let f = 0; f < 40; f++) expect(frameAlloc()).toBe(f); // hint: word 1
    expect(frameFree(3)).toBe(0);
    expect(frameAlloc()).toBe(40); // 3 is below the hint word
    expect(frameFree(35)).toBe(0);
    expect(frameAlloc()).toBe(35); // within the hint word: the lowest free frame of it
    expect(frameClaim(41, N - 41)).toBe(0); // everything above is taken
    expect(frameAlloc()).toBe(3); // wraps once to the start
    expectRefused(fx, frameAlloc, ERR_OUT_OF_MEMORY);
    expectInvariants(fx);
  });

  it('wraps around from the last word to frame 0', () => {
    const fx = allUsable();
    expect(frameClaim(0, N - 1)).toBe(0);
    expect(frameAlloc()).toBe(N - 1); // the last frame, in the partial last word: hint = last word
    expect(frameFree(7)).toBe(0);
    expect(frameAlloc()).toBe(7);
    expect(frameFree(1999)).toBe(0);
    expect(frameFree(6)).toBe(0);
    expect(frameAlloc()).toBe(6); // hint is word 0 now
    expect(frameAlloc()).toBe(1999);
    expectInvariants(fx);
  });

  it('exhaustion: every frame exactly once, then ERR_OUT_OF_MEMORY with nothing changed', () => {
    const fx = setUp(N);
    expect(frameBitmapAddUsable(1, N - 1)).toBe(N - 1);
    expect(frameBitmapReserve(1000, 1)).toBe(1);
    const seen = new Set<number>();
    for (let k = 0; k < N - 2; k++) seen.add(frameAlloc());
    expect(seen.size).toBe(N - 2);
    expect(seen.has(0) || seen.has(1000)).toBe(false);
    expect(Math.max(...seen)).toBe(N - 1);
    expectRefused(fx, frameAlloc, ERR_OUT_OF_MEMORY);
    expect(counts()).toEqual([N, 2, N - 2, 0, N - 2]);
    expectInvariants(fx);
  });

  it('skips full words through the summary: a free frame 30000 frames away costs a few reads', () => {
    const fx = allUsable(65536);
    expect(frameClaim(0, 30000)).toBe(0);
    fx.machine.resetCounters();
    expect(frameAlloc()).toBe(30000);
    // 30 summary words (zero, 1024 frames each) + 1 used word, 1 write
    expect(fx.machine.counters.memReads).toBeLessThanOrEqual(32);
    expect(fx.machine.counters.memWrites).toBe(1);
    fx.machine.resetCounters();
    expect(frameAlloc()).toBe(30001); // the hint word: two reads
    expect(fx.machine.counters.memReads).toBe(2);
  });
});

describe('frameAllocContiguous', () => {
  it('argument errors, with no change', () => {
    const fx = allUsable();
    expectRefused(fx, () => frameAllocContiguous(0, 1), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameAllocContiguous(-1, 1), ERR_INVALID_ARGUMENT);
    for (const align of [0, -1, 3, 6, 1000, -(2 ** 31), 2 ** 31 - 1]) {
      expectRefused(fx, () => frameAllocContiguous(1, align), ERR_INVALID_ARGUMENT);
    }
    expectRefused(fx, () => frameAllocContiguous(N + 1, 1), ERR_OUT_OF_MEMORY);
    expectRefused(fx, () => frameAllocContiguous(2 ** 31 - 1, 1), ERR_OUT_OF_MEMORY);
    expect(frameClaim(0, 1)).toBe(0);
    expectRefused(fx, () => frameAllocContiguous(1, 2048), ERR_OUT_OF_MEMORY); // only frame 0 is so aligned
    expectRefused(fx, () => frameAllocContiguous(1, 2 ** 30), ERR_OUT_OF_MEMORY);
    expect(frameAllocContiguous(1, 1024)).toBe(1024);
  });

  it('lowest run first, for runs inside one word, across words and over whole words', () => {
    const fx = allUsable();
    expect(frameClaim(0, 3)).toBe(0);
    expect(frameAllocContiguous(5, 1)).toBe(3);
    expect(frameAllocContiguous(1, 2)).toBe(8);
    expect(frameAllocContiguous(30, 1)).toBe(9); // 9..38, across a word boundary
    expect(frameAllocContiguous(64, 32)).toBe(64); // exactly two words
    expect(frameAllocContiguous(2, 1)).toBe(39);
    expect(frameAllocContiguous(N - 128, 1)).toBe(128); // the whole rest, to the last frame
    expectRefused(fx, () => frameAllocContiguous(24, 1), ERR_OUT_OF_MEMORY);
    expect(frameAllocContiguous(23, 1)).toBe(41); // 41..63
    expect(counts()).toEqual([N, 0, N, 0, N]);
    expectInvariants(fx);
  });

  it('matches a brute-force search in fragmented bitmaps, alignments 1, 2, 4, 32, 512', () => {
    const frames = 6000;
    const fx = setUp(frames);
    const model = new BitmapModel(frames);
    expect(frameBitmapAddUsable(0, frames)).toBe(model.addUsable(0, frames));
    // A deterministic fragmentation: runs of used frames of varied length and spacing.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let f = 0; f < frames; ) {
      const len = 1 + next(40);
      const gap = 1 + next(90);
      if (f + len > frames) break;
      expect(frameClaim(f, len)).toBe(model.claim(f, len));
      f += len + gap;
    }
    expectInvariants(fx);
    for (const align of [1, 2, 4, 32, 512]) {
      for (const count of [1, 2, 3, 7, 31, 32, 33, 50, 64, 80]) {
        expect([align, count, frameAllocContiguous(count, align)]).toEqual([align, count, model.allocContiguous(count, align)]);
        expect(frameStates(fx)).toBe(model.state.join(''));
      }
    }
    expect(counts()).toEqual(model.counts());
    expectInvariants(fx);
  });

  it('2 MiB and 1 GiB alignment over 5 GiB of frames, reading words, not frames', () => {
    const frames = 5 * 262144 + 77; // 5 GiB and a bit
    const fx = setUp(frames, { ramBytes: 64 * 2 ** 20 });
    expect(frameBitmapAddUsable(0, frames)).toBe(frames);
    // Fragment the first 3 GiB: one used frame in every 64.
    for (let f = 0; f < 3 * 262144; f += 64) expect(frameClaim(f + 17, 1)).toBe(0);
    expect(frameClaim(3 * 262144 + 1000, 1)).toBe(0);
    fx.machine.resetCounters();
    expect(frameAllocContiguous(262144, 262144)).toBe(4 * 262144); // 1 GiB page at 4 GiB
    // 8192 words of the run checked + 8192 claimed, few reads for the fragmented 4 GiB before it
    expect(fx.machine.counters.memReads).toBeLessThan(20_000);
    expect(frameAllocContiguous(512, 512)).toBe(3 * 262144); // 2 MiB page at 3 GiB
    expect(frameAllocContiguous(512, 512)).toBe(3 * 262144 + 1024); // the next one skips 1000
    expect(frameAllocContiguous(47, 1)).toBe(18); // 0..16 is too short; 18..80 is free
    expect(frameAllocContiguous(78, 262144)).toBe(ERR_OUT_OF_MEMORY); // 0-2G fragmented, 3G/4G taken, tail 77
    expect(frameAllocContiguous(20, 262144)).toBe(5 * 262144); // the tail after 5 GiB
    expect(frameAllocContiguous(18, 262144)).toBe(ERR_OUT_OF_MEMORY); // 0, 1G, 2G: 17 free, then a used one
    expect(frameAllocContiguous(17, 262144)).toBe(0);
    expect(frameAllocContiguous(17, 262144)).toBe(262144);
    expect(frameAllocContiguous(63, 1)).toBe(82); // gaps between the used frames are 63 long
    expect(frameAllocContiguous(64, 1)).toBe(3 * 262144 + 512); // between the two 2 MiB runs
    expectInvariants(fx);
  });

  it('a failed search changes nothing', () => {
    const fx = allUsable();
    for (let f = 0; f < N; f += 100) expect(frameClaim(f, 1)).toBe(0);
    expectRefused(fx, () => frameAllocContiguous(100, 1), ERR_OUT_OF_MEMORY);
    expectRefused(fx, () => frameAllocContiguous(99, 2), ERR_OUT_OF_MEMORY);
    expect(frameAllocContiguous(99, 1)).toBe(1);
  });

  it('never runs past the last frame, even when frameCount ends exactly on a word', () => {
    const fx = allUsable(32); // no padding bits: word 1 would be the reserved bitmap
    expect(frameClaim(0, 31)).toBe(0);
    expect(frameFree(5)).toBe(0);
    expectRefused(fx, () => frameAllocContiguous(2, 1), ERR_OUT_OF_MEMORY); // 31 is free, 32 does not exist
    expect(frameAllocContiguous(1, 1)).toBe(5);
    expect(frameAllocContiguous(1, 1)).toBe(31);
    expectInvariants(fx);
  });
});

describe('frameFree and frameFreeRange', () => {
  it('distinct errors, nothing changes on error', () => {
    const fx = allUsable();
    expect(frameBitmapReserve(10, 1)).toBe(1);
    expect(frameAlloc()).toBe(0);
    expectRefused(fx, () => frameFree(-1), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFree(N), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFree(-(2 ** 31)), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFree(2 ** 31 - 1), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFree(10), ERR_RESERVED);
    expectRefused(fx, () => frameFree(1), ERR_DOUBLE_FREE);
    expectRefused(fx, () => frameFree(N - 1), ERR_DOUBLE_FREE);
    expect(frameFree(0)).toBe(0);
    expectRefused(fx, () => frameFree(0), ERR_DOUBLE_FREE);
    expectInvariants(fx);
  });

  it('frees a full word: its summary bit comes back, and frameAlloc finds it', () => {
    const fx = allUsable(4096);
    expect(frameClaim(0, 4096)).toBe(0);
    expectInvariants(fx);
    expect(frameFree(4000)).toBe(0);
    expectInvariants(fx);
    expect(frameAlloc()).toBe(4000);
    expect(frameFree(4095)).toBe(0);
    expect(frameFree(0)).toBe(0);
    expect(frameAlloc()).toBe(4095);
    expect(frameAlloc()).toBe(0);
  });

  it('frameFreeRange validates the whole range first; the lowest bad frame decides the error', () => {
    const fx = allUsable();
    expect(frameClaim(100, 200)).toBe(0); // 100..299 allocated
    expect(frameBitmapReserve(250, 1)).toBe(1);
    expectRefused(fx, () => frameFreeRange(100, 201), ERR_RESERVED); // 250 reserved, 300 free: 250 first
    expectRefused(fx, () => frameFreeRange(260, 41), ERR_DOUBLE_FREE); // 300 is free
    expectRefused(fx, () => frameFreeRange(99, 10), ERR_DOUBLE_FREE); // 99 is free
    expectRefused(fx, () => frameFreeRange(0, 0), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameFreeRange(100, -1), ERR_INVALID_ARGUMENT);
    expectRefused(fx, () => frameFreeRange(-1, 5), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFreeRange(N - 1, 2), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFreeRange(N, 1), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFreeRange(100, 2 ** 31 - 1), ERR_OUT_OF_RANGE);
    expect(frameFreeRange(100, 150)).toBe(0);
    expect(frameFreeRange(251, 49)).toBe(0);
    expect(frameStates(fx)).toBe('F'.repeat(250) + 'R' + 'F'.repeat(N - 251));
    expect(counts()).toEqual([N, 1, N - 1, N - 1, 0]);
    expectInvariants(fx);
  });

  it('frameFreeRange on single frames, frame 0, the last frame and whole words', () => {
    const fx = allUsable();
    expect(frameClaim(0, N)).toBe(0);
    expect(frameFreeRange(0, 1)).toBe(0);
    expect(frameFreeRange(N - 1, 1)).toBe(0);
    expect(frameFreeRange(64, 96)).toBe(0);
    expect(frameFreeRange(31, 2)).toBe(0);
    expectInvariants(fx);
    expect(frameFreeCount()).toBe(100);
    expect(frameAllocContiguous(96, 32)).toBe(64);
  });

  it('frameFreeAddress: by physical address', () => {
    const fx = allUsable();
    expect(frameClaim(5, 1)).toBe(0);
    expectRefused(fx, () => frameFreeAddress(0x5004, 0), ERR_UNALIGNED);
    expectRefused(fx, () => frameFreeAddress(0x5000, 0x800), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameFreeAddress(0x5000, 1), ERR_OUT_OF_RANGE); // frame 2^20 + 5 >= N
    expect(frameFreeAddress(0x5000, 0)).toBe(0);
    expectRefused(fx, () => frameFreeAddress(0x5000, 0), ERR_DOUBLE_FREE);
  });
});

describe('frameClaim', () => {
  it('marks free frames used; ERR_IN_USE / ERR_RESERVED / ERR_OUT_OF_RANGE with no change', () => {
    const fx = allUsable();
    expect(frameClaim(30, 5)).toBe(0); // across a word boundary
    expect(frameBitmapReserve(40, 1)).toBe(1);
    expectRefused(fx, () => frameClaim(20, 11), ERR_IN_USE); // 30 is used
    expectRefused(fx, () => frameClaim(34, 10), ERR_IN_USE); // 34 in use before 40 reserved
    expectRefused(fx, () => frameClaim(35, 10), ERR_RESERVED);
    expectRefused(fx, () => frameClaim(N - 5, 6), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameClaim(-3, 6), ERR_OUT_OF_RANGE);
    expectRefused(fx, () => frameClaim(0, 0), ERR_ZERO_SIZE);
    expectRefused(fx, () => frameClaim(0, -8), ERR_INVALID_ARGUMENT);
    expect(frameClaim(0, 30)).toBe(0);
    expect(frameClaim(N - 1, 1)).toBe(0);
    expect(frameStates(fx)).toBe('A'.repeat(35) + 'FFFFFRF' + 'F'.repeat(N - 43) + 'A');
    expect(counts()).toEqual([N, 1, N - 1, N - 37, 36]);
    expectInvariants(fx);
  });
});

describe('queries and addresses', () => {
  it('frameIsFree / frameIsReserved: 1/0, ERR_OUT_OF_RANGE outside', () => {
    allUsable();
    expect(frameBitmapReserve(3, 1)).toBe(1);
    expect(frameAlloc()).toBe(0);
    expect([frameIsFree(0), frameIsReserved(0)]).toEqual([0, 0]);
    expect([frameIsFree(1), frameIsReserved(1)]).toEqual([1, 0]);
    expect([frameIsFree(3), frameIsReserved(3)]).toEqual([0, 1]);
    expect([frameIsFree(N - 1), frameIsReserved(N - 1)]).toEqual([1, 0]);
    for (const f of [-1, N, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(frameIsFree(f)).toBe(ERR_OUT_OF_RANGE);
      expect(frameIsReserved(f)).toBe(ERR_OUT_OF_RANGE);
    }
  });

  it('address <-> frame: exact, rounding down, rounding up, 8 TiB limit', () => {
    expect(frameFromAddress(0, 0)).toBe(0);
    expect(frameFromAddress(0x12345000, 0)).toBe(0x12345);
    expect(frameFromAddress(-4096, 0)).toBe(0xfffff); // 4 GiB - 4 KiB
    expect(frameFromAddress(0, 1)).toBe(0x100000); // 4 GiB
    expect(frameFromAddress(-4096, 0x7ff)).toBe(2 ** 31 - 1); // the last frame below 8 TiB
    expect(frameFromAddress(0, 0x800)).toBe(ERR_OUT_OF_RANGE);
    expect(frameFromAddress(0, -1)).toBe(ERR_OUT_OF_RANGE);
    expect(frameFromAddress(0x1001, 0)).toBe(ERR_UNALIGNED);
    expect(frameFromAddress(0x800, 5)).toBe(ERR_UNALIGNED);
    expect(frameContaining(0x1fff, 0)).toBe(1);
    expect(frameContaining(-1, 0x7ff)).toBe(2 ** 31 - 1);
    expect(frameContaining(0, 0x800)).toBe(ERR_OUT_OF_RANGE);
    expect(frameAtOrAbove(0x1000, 0)).toBe(1);
    expect(frameAtOrAbove(0x1001, 0)).toBe(2);
    expect(frameAtOrAbove(0x9fc00, 0)).toBe(0xa0);
    expect(frameAtOrAbove(-1, 0)).toBe(0x100000);
    expect(frameAtOrAbove(-4096, 0x7ff)).toBe(2 ** 31 - 1);
    expect(frameAtOrAbove(-4095, 0x7ff)).toBe(ERR_OUT_OF_RANGE); // would be frame 2^31
    expect(frameAtOrAbove(0, 0x800)).toBe(ERR_OUT_OF_RANGE);
    // Frame -> address is pair.ts's frameToAddress; the two agree.
    for (const frame of [0, 1, 0xfffff, 0x100000, 0x12345678, 2 ** 31 - 1]) {
      const lo = frameToAddress(frame);
      expect(frameFromAddress(lo, pairHi)).toBe(frame);
    }
  });
});
