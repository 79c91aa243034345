/*
 * The page bitmap built from real memory maps (QEMU pc and q35 at 128 MiB to 64 GiB, measured
 * GRUB blocks, a synthetic firmware map) and kernel heap discovery on top of it. Expected figures
 * come from a frame-by-frame reading of the map in plain TypeScript.
 */
import { describe, expect, it } from 'vitest';
import { installMachine } from '../../src/port/port.ts';
import { createMachine, bootX86_64, type EmulatedMachine } from '../machine/index.ts';
import { memoryMaps, pc128M, pc64G, type MemoryMapEntry, type MemoryMapFixture } from '../fixtures/memory-maps.ts';
import { buildInfo, grubBlockBytes, writeInfo } from '../support/multiboot2-builder.ts';
import * as setup from '../../src/memory/physical-setup.ts';
import * as bitmap from '../../src/memory/frame-bitmap.ts';
import * as heap from '../../src/memory/kernel-heap.ts';
import { pairHi } from '../../src/int64/pair.ts';
import {
  ERR_BAD_BOOT_INFO,
  ERR_INVALID_ARGUMENT,
  ERR_NONE,
  ERR_NO_PHYSICAL_MAPPING,
  ERR_NO_USABLE_MEMORY,
  ERR_OVERFLOW,
} from '../../src/errors.ts';

const INFO_AT = 0x10000;
const IMAGE_FIRST = 0x100; // 1 MiB, as the kernels are loaded
const IMAGE_END = 0x120;
const FOUR_GIB_FRAMES = 0x100000;

/** RAM where the map says usable (plus the low page the block lives in). */
const machineFor = (entries: readonly MemoryMapEntry[]): EmulatedMachine =>
  createMachine({
    ramRanges: entries
      .filter((entry) => entry.type === 1 && entry.length > 0n)
      .map((entry) => ({ start: Number(entry.base), end: Number(entry.base + entry.length) })),
  });

/** Per-frame classification of a map, as the reservation policy states it. */
const classify = (entries: readonly MemoryMapEntry[]) => {
  const usable = entries.filter((e) => e.type === 1 && e.length > 0n);
  const other = entries.filter((e) => e.type !== 1 && e.length > 0n);
  let covered = 0;
  for (const e of usable) {
    const first = Number((e.base + 4095n) >> 12n);
    const end = Number((e.base + e.length) >> 12n);
    if (end > first && end > covered) covered = end;
  }
  const isUsable = (frame: number): boolean => {
    const start = BigInt(frame) << 12n;
    const stop = start + 4096n;
    if (!usable.some((e) => e.base <= start && e.base + e.length >= stop)) return false;
    return !other.some((e) => e.base < stop && e.base + e.length > start);
  };
  return { covered, isUsable };
};

const runSetup = (fixture: MemoryMapFixture, blockAt = INFO_AT): { machine: EmulatedMachine; status: number } => {
  const machine = machineFor(fixture.entries);
  installMachine(machine);
  writeInfo(machine, blockAt, buildInfo({ memoryMap: fixture.entries }));
  const status = setup.physicalMemorySetup(blockAt, 0, blockAt, IMAGE_FIRST, IMAGE_END, FOUR_GIB_FRAMES, 0, 0);
  return { machine, status };
};

describe.each(memoryMaps.map((m) => [m.name, m] as const))('bitmap from the %s map', (_name, fixture) => {
  it('covers every usable frame, and reserves exactly the policy on top of the map', () => {
    const { status } = runSetup(fixture);
    expect(status).toBe(ERR_NONE);
    const { covered, isUsable } = classify(fixture.entries);
    expect(bitmap.frameCoveredCount()).toBe(covered);
    // covered ends with the highest usable entry; where a reserved entry cuts its top off (the
    // synthetic map), the frames past the highest usable byte are covered but reserved
    expect(covered).toBeGreaterThanOrEqual(Number(fixture.expected.highestUsableEnd >> 12n));
    for (let frame = Number((fixture.expected.highestUsableEnd + 4095n) >> 12n); frame < covered; frame++) {
      expect(bitmap.frameIsReserved(frame)).toBe(1);
    }
    const storageFirst = setup.physicalBitmapFirstFrame();
    const storageEnd = storageFirst + setup.physicalBitmapFrames();
    const infoEnd = (INFO_AT + 4095 + 4096) >> 12; // the block is smaller than a page
    const policy = (frame: number): boolean =>
      frame < setup.LOW_MEMORY_FRAMES ||
      (frame >= IMAGE_FIRST && frame < IMAGE_END) ||
      (frame >= INFO_AT >> 12 && frame < infoEnd) ||
      (frame >= storageFirst && frame < storageEnd);
    let expected = 0;
    let usableFrames = 0;
    for (let frame = 0; frame < covered; frame++) {
      if (!isUsable(frame)) continue;
      usableFrames++;
      if (!policy(frame)) expected++;
    }
    expect(usableFrames).toBe(fixture.expected.usableFrames);
    expect(bitmap.frameTotalCount()).toBe(expected);
    expect(bitmap.frameFreeCount()).toBe(expected);
    expect(bitmap.frameReservedCount()).toBe(covered - expected);
    // the storage itself: usable RAM, above low memory, clear of the image and the block
    for (let frame = storageFirst; frame < storageEnd; frame++) {
      expect(isUsable(frame)).toBe(true);
      expect(frame >= IMAGE_END || frame < IMAGE_FIRST).toBe(true);
      expect(bitmap.frameIsReserved(frame)).toBe(1);
    }
    expect(storageFirst).toBeGreaterThanOrEqual(setup.LOW_MEMORY_FRAMES);
  });
});

describe('bitmap set-up details', () => {
  it('reads GRUB\'s real block at its real address and reserves its module', () => {
    const block = pc128M.grub!;
    const machine = machineFor(pc128M.entries);
    installMachine(machine);
    writeInfo(machine, block.address, grubBlockBytes(block));
    expect(setup.physicalMemorySetup(block.address, 0, block.address, IMAGE_FIRST, IMAGE_END, FOUR_GIB_FRAMES, 0, 0)).toBe(ERR_NONE);
    const module = block.modules[0]!;
    for (let frame = module.start >> 12; frame < (module.end + 4095) >> 12; frame++) expect(bitmap.frameIsReserved(frame)).toBe(1);
    expect(bitmap.frameIsReserved(block.address >> 12)).toBe(1);
    const storage = setup.physicalBitmapFirstFrame();
    expect(storage >= (module.end + 4095) >> 12 || storage + setup.physicalBitmapFrames() <= module.start >> 12).toBe(true);
  });

  it('places the storage past an image that sits where it would go', () => {
    const machine = machineFor(pc128M.entries);
    installMachine(machine);
    writeInfo(machine, INFO_AT, buildInfo({ memoryMap: pc128M.entries }));
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, 0x100, 0x900, FOUR_GIB_FRAMES, 0, 0)).toBe(ERR_NONE);
    expect(setup.physicalBitmapFirstFrame()).toBe(0x900);
  });

  it('puts the storage in the higher half on x86-64 (the boot tables\' view)', () => {
    const machine = machineFor(pc64G.entries);
    installMachine(machine);
    bootX86_64(machine, { levels: 4, firstTableFrame: 0x90 });
    writeInfo(machine, INFO_AT, buildInfo({ memoryMap: pc64G.entries }));
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_FIRST, IMAGE_END, 0x40000, 0x80000000 | 0, -1)).toBe(ERR_NONE);
    // reach the storage through the higher half: the first used word covers low memory
    const storage = setup.physicalBitmapFirstFrame() * 4096;
    expect(machine.read32((0x80000000 + storage) | 0, -1)).toBe(-1);
    expect(bitmap.frameAlloc()).toBeGreaterThanOrEqual(IMAGE_END);
  });

  it('refuses malformed boot information, maps without usable RAM, and storage it cannot place', () => {
    const machine = machineFor(pc128M.entries);
    installMachine(machine);
    writeInfo(machine, INFO_AT, buildInfo({ memoryMap: pc128M.entries }, { totalSize: 12 }));
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_FIRST, IMAGE_END, FOUR_GIB_FRAMES, 0, 0)).toBe(ERR_BAD_BOOT_INFO);
    const reservedOnly = pc128M.entries.map((e) => ({ ...e, type: e.type === 1 ? 2 : e.type }));
    writeInfo(machine, INFO_AT, buildInfo({ memoryMap: reservedOnly }));
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_FIRST, IMAGE_END, FOUR_GIB_FRAMES, 0, 0)).toBe(ERR_NO_USABLE_MEMORY);
    writeInfo(machine, INFO_AT, buildInfo({ memoryMap: pc128M.entries }));
    // storage must lie below frame 0x101: nothing fits above low memory
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_FIRST, IMAGE_END, 0x101, 0, 0)).toBe(ERR_NO_USABLE_MEMORY);
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_END, IMAGE_FIRST, FOUR_GIB_FRAMES, 0, 0)).toBe(ERR_INVALID_ARGUMENT);
    expect(setup.physicalMemorySetup(INFO_AT, 0, INFO_AT, IMAGE_FIRST, IMAGE_END, 0, 0, 0)).toBe(ERR_INVALID_ARGUMENT);
  });
});

describe('kernel heap discovery', () => {
  const largestFreeRun = (): { first: number; count: number } => {
    let best = { first: -1, count: 0 };
    let run = 0;
    const covered = bitmap.frameCoveredCount();
    for (let frame = 0; frame <= covered; frame++) {
      if (frame < covered && bitmap.frameIsFree(frame) === 1) {
        run++;
        continue;
      }
      if (run > best.count) best = { first: frame - run, count: run };
      run = 0;
    }
    return best;
  };

  it('claims the largest free run and gives it in the kernel\'s view', () => {
    runSetup(pc128M);
    bitmap.frameClaim(0x2000, 1); // split the big run: the larger part must win
    const expected = largestFreeRun();
    const freeBefore = bitmap.frameFreeCount();
    expect(heap.kernelHeapDiscover(0x80000000 | 0, -1, 0x40000)).toBe(ERR_NONE);
    expect([heap.kernelHeapFirstFrame(), heap.kernelHeapFrames()]).toEqual([expected.first, expected.count]);
    const lo = heap.kernelHeapBase();
    const base = (BigInt(pairHi >>> 0) << 32n) | BigInt(lo >>> 0);
    expect(base).toBe(0xffffffff80000000n + (BigInt(expected.first) << 12n));
    expect(heap.kernelHeapBaseHi()).toBe(-1);
    expect(bitmap.frameFreeCount()).toBe(freeBefore - expected.count);
    expect(bitmap.frameIsFree(expected.first)).toBe(0);
  });

  it('finds the run above 4 GiB on a 64 GiB machine', () => {
    runSetup(pc64G);
    expect(heap.kernelHeapDiscover(0, 0x1000, 0x7fffffff)).toBe(ERR_NONE);
    expect(heap.kernelHeapFirstFrame()).toBe(FOUR_GIB_FRAMES);
    expect(heap.kernelHeapBaseHi()).toBe(0x1000 + 1);
  });

  it('refuses a run the kernel does not map, a view that wraps, and an empty bitmap, claiming nothing', () => {
    runSetup(pc128M);
    const free = bitmap.frameFreeCount();
    expect(heap.kernelHeapDiscover(0, 0, 0x1000)).toBe(ERR_NO_PHYSICAL_MAPPING);
    expect(heap.kernelHeapDiscover(-4096, -1, 0x100000)).toBe(ERR_OVERFLOW);
    expect(heap.kernelHeapDiscover(0, 0, 0)).toBe(ERR_INVALID_ARGUMENT);
    expect(bitmap.frameFreeCount()).toBe(free);
    while (bitmap.frameAlloc() >= 0);
    expect(heap.kernelHeapDiscover(0, 0, 0x100000)).toBe(ERR_NO_USABLE_MEMORY);
  });
});
