/*
 * A 64 GiB machine (QEMU pc's memory map: holes below 1 MiB and from 3 to 4 GiB, RAM up to
 * 65 GiB, 17 M frames): building the bitmap, a few thousand allocations and 1 GiB runs must take
 * well under the time a kernel would tolerate, the counts must be exactly what the map says, and
 * the emulated sparse memory must hold nothing but the bitmap's own storage.
 */
import { describe, expect, it } from 'vitest';
import { ERR_OUT_OF_MEMORY } from '../../src/errors.ts';
import {
  frameAlloc,
  frameAllocContiguous,
  frameBitmapAddUsable,
  frameBitmapInit,
  frameBitmapReserve,
  frameBitmapStorageBytes,
  frameFree,
  frameFreeRange,
  frameIsReserved,
} from '../../src/memory/frame-bitmap.ts';
import { installMachine } from '../../src/port/port.ts';
import { createMachine, pcRamRanges } from '../machine/index.ts';
import { counts } from '../support/frame-bitmap-support.ts';

const GIB_FRAMES = 262144;

describe('64 GiB', () => {
  it('builds, allocates and frees fast, with exact counts and small sparse memory', () => {
    const ranges = pcRamRanges(64 * 2 ** 30);
    const machine = createMachine({ ramRanges: ranges });
    installMachine(machine);
    const frames = ranges[ranges.length - 1]!.end / 4096; // 65 GiB: 17,039,360 frames
    expect(frames).toBe(65 * GIB_FRAMES);
    const storage = 16 * 2 ** 20;
    const bytes = frameBitmapStorageBytes(frames);
    const storagePages = bytes / 4096;
    expect(storagePages).toBe(1057);

    const times: Record<string, number> = {};
    const timed = (name: string, work: () => void): void => {
      const start = performance.now();
      work();
      times[name] = Math.round(performance.now() - start);
    };

    let usable = 0;
    timed('init', () => expect(frameBitmapInit(frames, storage, 0, bytes)).toBe(0));
    timed('addUsable', () => {
      for (const range of ranges) {
        const first = Math.ceil(range.start / 4096);
        const end = Math.floor(range.end / 4096);
        expect(frameBitmapAddUsable(first, end - first)).toBe(end - first);
        usable += end - first;
      }
    });
    let reserved = 0;
    timed('reserve', () => {
      reserved += frameBitmapReserve(0, 256); // the first MiB (its RAM part)
      reserved += frameBitmapReserve(0x9f, 0x100 - 0x9f); // the hole below 1 MiB: already reserved
      reserved += frameBitmapReserve(3 * GIB_FRAMES, GIB_FRAMES); // the PCI hole: already reserved
      reserved += frameBitmapReserve(storage / 4096, storagePages); // the bitmap itself
      reserved += frameBitmapReserve(256, 3840); // "the kernel and boot data": 1 MiB .. 16 MiB
      reserved += frameBitmapReserve(0xfd00000, 0x300000); // a map entry above the RAM: clamped away
    });
    expect(reserved).toBe(0x9f + storagePages + 3840);
    const total = usable - reserved;
    expect(counts()).toEqual([frames, frames - total, total, total, 0]);
    expect(total).toBe(64 * GIB_FRAMES - 0x100 - 3840 - storagePages); // 64 GiB - first MiB - kernel - bitmap

    const taken: number[] = [];
    timed('alloc x 5000', () => {
      for (let k = 0; k < 5000; k++) taken.push(frameAlloc());
    });
    expect(taken[0]).toBe(storage / 4096 + storagePages); // the first frame after the bitmap
    expect(new Set(taken).size).toBe(5000);
    expect(taken.every((f) => f > 0 && frameIsReserved(f) === 0)).toBe(true);

    const gib: number[] = [];
    timed('allocContiguous 1 GiB x 4', () => {
      for (let k = 0; k < 4; k++) gib.push(frameAllocContiguous(GIB_FRAMES, GIB_FRAMES));
    });
    // The first GiB holds the reserved first 16 MiB and the 5000 frames; 3 GiB is the PCI hole.
    expect(gib).toEqual([1, 2, 4, 5].map((g) => g * GIB_FRAMES));

    timed('allocContiguous 2 MiB x 100', () => {
      for (let k = 0; k < 100; k++) expect(frameAllocContiguous(512, 512)).toBeGreaterThan(0);
    });
    timed('free', () => {
      for (const f of taken) expect(frameFree(f)).toBe(0);
      for (const g of gib) expect(frameFreeRange(g, GIB_FRAMES)).toBe(0);
    });
    expect(counts()).toEqual([frames, frames - total, total, total - 100 * 512, 100 * 512]);

    timed('exhaust by 1 GiB runs', () => {
      let runs = 0;
      while (frameAllocContiguous(GIB_FRAMES, GIB_FRAMES) >= 0) runs++;
      expect(runs).toBe(2 + 61); // 1 and 2 GiB, then 4..64 GiB (the 2 MiB runs came from the first GiB)
      expect(frameAllocContiguous(GIB_FRAMES, GIB_FRAMES)).toBe(ERR_OUT_OF_MEMORY);
    });

    const elapsed = Object.values(times).reduce((a, b) => a + b, 0);
    console.log(`64 GiB bitmap (ms): ${JSON.stringify(times)}, sparse frames ${machine.memory.allocatedFrameCount()}`);
    expect(elapsed).toBeLessThan(10_000);
    expect(machine.memory.allocatedFrameCount()).toBeLessThanOrEqual(storagePages);
  }, 60_000);
});
