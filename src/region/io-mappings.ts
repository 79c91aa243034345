/*
 * MapIOMemory / UnMapIOMemory (seed 000, step 12): device memory mapped into kernel space.
 *
 * I/O mappings live in their own window of kernel space, which the kernel's free-space index
 * holds as taken: an ordinary region can never land there, and freeRegion refuses any range that
 * touches it (regionsReserveWindow), so only unmapIOMemory removes what mapIOMemory made. Inside the
 * window a free-space index of its own finds room; a registry - an open-addressing hash table
 * keyed by the mapping's first page, in memory the manager owns - finds a mapping in constant
 * time. A mapping keeps the sub-page offset of the physical address, covers exactly the pages the
 * range touches, carries explicit cache flags (UC, WC or write-back), is never executable, and
 * never frees its frames. RAM that the page bitmap manages is refused unless REGION_IO_ALLOW_RAM.
 */
import { portRead32, portWrite32 } from '../port/port.ts';
import {
  ERR_NONE,
  ERR_ZERO_SIZE,
  ERR_OUT_OF_RANGE,
  ERR_OVERLAP,
  ERR_INVALID_ARGUMENT,
  ERR_NOT_INITIALISED,
  ERR_NOT_MAPPED,
  ERR_POOL_EXHAUSTED,
  isErrorCode,
} from '../errors.ts';
import { add64, addCarries64, pairHi, returnPair } from '../int64/pair.ts';
import { frameCoveredCount, frameIsReserved } from '../memory/frame-bitmap.ts';
import { walkMapRange, walkUnmapRange } from '../paging/walker.ts';
import { PAGE_WRITE, PAGE_NO_EXECUTE, PAGE_UNCACHED, PAGE_WRITE_THROUGH, PAGE_FOREIGN, PAGE_IO, PAGE_GLOBAL } from '../paging/page-flags.ts';
import { virtualSpaceCreate, virtualSpaceFind, virtualSpaceReserve, virtualSpaceRelease } from './virtual-space.ts';
import { REGION_UC, REGION_WC, REGION_IO_ALLOW_RAM } from './region-flags.ts';
import { regionsKernelRoot, regionPhysicalFits } from './regions.ts';

/** Registry slot: first page (lo, hi of the page number + 1; 0:0 empty), frame, pages. 16 bytes. */
const IO_SLOT_SHIFT: number = 4;

let ioSpace: number = -1;
let ioTableLo: number = 0;
let ioTableHi: number = 0;
let ioSlots: number = 0;
let ioCount: number = 0;

const ioSlotAddress = (slot: number): number => (ioTableLo + (slot << IO_SLOT_SHIFT)) | 0;
const ioRead = (slot: number, word: number): number => portRead32((ioSlotAddress(slot) + (word << 2)) | 0, ioTableHi);
const ioWrite = (slot: number, word: number, value: number): number => portWrite32((ioSlotAddress(slot) + (word << 2)) | 0, ioTableHi, value);

/** The slot a page number hashes to (shift-xor mixing: int32-exact in Node and in C). */
const ioHome = (pageLo: number, pageHi: number): number => {
  let h: number = (pageLo ^ (pageHi << 7)) | 0;
  h = h ^ (h >>> 16);
  h = h ^ (h << 7);
  h = h ^ (h >>> 11);
  return h & (ioSlots - 1);
};

/**
 * Sets the I/O window up: `pages` pages of kernel space at (windowLo, windowHi), taken by the
 * caller with regionsReserveWindow, and a registry of `tableBytes` (a power of two, at least 16) at
 * (tableLo, tableHi) in memory the manager owns.
 */
export const ioMappingsInit = (windowLo: number, windowHi: number, pages: number, tableLo: number, tableHi: number, tableBytes: number): number => {
  if (pages <= 0 || tableBytes < 16 || (tableBytes & (tableBytes - 1)) !== 0) return ERR_INVALID_ARGUMENT;
  const endLo: number = add64(windowLo, windowHi, pages << 12, pages >>> 20);
  const endHi: number = pairHi;
  const space: number = virtualSpaceCreate(windowLo, windowHi, endLo, endHi);
  if (space < 0) return space;
  ioSpace = space;
  ioTableLo = tableLo;
  ioTableHi = tableHi;
  ioSlots = tableBytes >>> IO_SLOT_SHIFT;
  ioCount = 0;
  for (let offset: number = 0; offset < tableBytes; offset = (offset + 4) | 0) portWrite32((tableLo + offset) | 0, tableHi, 0);
  return ERR_NONE;
};

/** The registry slot of the mapping whose first page is (pageLo, pageHi), or -1. */
const ioFind = (pageLo: number, pageHi: number): number => {
  let slot: number = ioHome(pageLo, pageHi);
  for (let probes: number = 0; probes < ioSlots; probes = (probes + 1) | 0) {
    const keyLo: number = ioRead(slot, 0);
    const keyHi: number = ioRead(slot, 1);
    if (keyLo === 0 && keyHi === 0) return -1;
    if (keyLo === pageLo && keyHi === ((pageHi + 1) | 0)) return slot;
    slot = (slot + 1) & (ioSlots - 1);
  }
  return -1;
};

/** Removes the entry in `slot`, shifting later entries of its probe run back (no tombstones). */
const ioRemove = (slot: number): number => {
  let hole: number = slot;
  let next: number = (slot + 1) & (ioSlots - 1);
  while (ioRead(next, 0) !== 0 || ioRead(next, 1) !== 0) {
    const home: number = ioHome(ioRead(next, 0), (ioRead(next, 1) - 1) | 0);
    // move `next` into the hole unless its home lies cyclically in (hole, next]
    const distanceNext: number = (next - home) & (ioSlots - 1);
    const distanceHole: number = (hole - home) & (ioSlots - 1);
    if (distanceHole < distanceNext) {
      for (let word: number = 0; word < 4; word = (word + 1) | 0) ioWrite(hole, word, ioRead(next, word));
      hole = next;
    }
    next = (next + 1) & (ioSlots - 1);
  }
  for (let word: number = 0; word < 4; word = (word + 1) | 0) ioWrite(hole, word, 0);
  ioCount = (ioCount - 1) | 0;
  return ERR_NONE;
};

/** Pages touched by [address, address + size): the offset in the first page plus the size, rounded up. */
const ioPagesFor = (offset: number, sizeLo: number, sizeHi: number): number => {
  if (sizeLo === 0 && sizeHi === 0) return ERR_ZERO_SIZE;
  if (addCarries64(sizeLo, sizeHi, (offset + 4095) | 0, 0) === 1) return ERR_OUT_OF_RANGE;
  const endLo: number = add64(sizeLo, sizeHi, (offset + 4095) | 0, 0);
  const endHi: number = pairHi;
  if ((endHi >>> 11) !== 0) return ERR_OUT_OF_RANGE; // 2^31 pages or more
  return (endLo >>> 12) | (endHi << 20);
};

/**
 * Maps the physical range [(physLo, physHi), + size) into the I/O window with cacheFlags
 * (REGION_UC, REGION_WC or 0, plus REGION_IO_ALLOW_RAM). Returns the linear address of the first
 * byte - the physical offset kept - (low half; pairHi: high half), or an error, nothing changed.
 */
export const mapIOMemory = (physLo: number, physHi: number, sizeLo: number, sizeHi: number, cacheFlags: number): number => {
  if (ioSpace < 0) return ERR_NOT_INITIALISED;
  if ((cacheFlags & ~(REGION_UC | REGION_WC | REGION_IO_ALLOW_RAM)) !== 0) return ERR_INVALID_ARGUMENT;
  if ((cacheFlags & REGION_UC) !== 0 && (cacheFlags & REGION_WC) !== 0) return ERR_INVALID_ARGUMENT;
  const offset: number = physLo & 4095;
  const pages: number = ioPagesFor(offset, sizeLo, sizeHi);
  if (pages < 0) return pages;
  // frame numbers below 2^31 and what the mode's entries hold, or another frame would be mapped
  if (regionPhysicalFits(physLo, physHi, pages) === 0) return ERR_OUT_OF_RANGE;
  const first: number = (physLo >>> 12) | (physHi << 20);
  if ((cacheFlags & REGION_IO_ALLOW_RAM) === 0) {
    const covered: number = frameCoveredCount();
    for (let frame: number = first; frame < first + pages && frame < covered; frame = (frame + 1) | 0) {
      if (frameIsReserved(frame) === 0) return ERR_OVERLAP; // RAM the bitmap hands out
    }
  }
  if (ioCount >= ioSlots - (ioSlots >> 2)) return ERR_POOL_EXHAUSTED; // keep the table under 3/4 full
  const baseLo: number = virtualSpaceFind(ioSpace, pages, 12, 0, 0);
  if (isErrorCode(baseLo) === 1) return baseLo;
  const baseHi: number = pairHi;
  const reserved: number = virtualSpaceReserve(ioSpace, baseLo, baseHi, pages);
  if (reserved !== ERR_NONE) return reserved;
  let flags: number = PAGE_WRITE | PAGE_NO_EXECUTE | PAGE_FOREIGN | PAGE_IO | PAGE_GLOBAL;
  if ((cacheFlags & REGION_UC) !== 0) flags = flags | PAGE_UNCACHED;
  if ((cacheFlags & REGION_WC) !== 0) flags = flags | PAGE_WRITE_THROUGH;
  const mapped: number = walkMapRange(regionsKernelRoot(), baseLo, baseHi, pages, first, flags, 1);
  if (mapped !== ERR_NONE) {
    virtualSpaceRelease(ioSpace, baseLo, baseHi, pages);
    return mapped;
  }
  const pageLo: number = (baseLo >>> 12) | (baseHi << 20);
  const pageHi: number = baseHi >>> 12;
  let slot: number = ioHome(pageLo, pageHi);
  while (ioRead(slot, 0) !== 0 || ioRead(slot, 1) !== 0) slot = (slot + 1) & (ioSlots - 1);
  ioWrite(slot, 0, pageLo);
  ioWrite(slot, 1, (pageHi + 1) | 0);
  ioWrite(slot, 2, first);
  ioWrite(slot, 3, pages);
  ioCount = (ioCount + 1) | 0;
  return returnPair((baseLo + offset) | 0, baseHi);
};

/**
 * Removes the mapping mapIOMemory returned for (linearLo, linearHi) with the same size: exactly
 * the pages it made (the registry says which); ERR_NOT_MAPPED when there is no such mapping,
 * ERR_INVALID_ARGUMENT when the size does not match it. The frames stay their device's.
 */
export const unmapIOMemory = (linearLo: number, linearHi: number, sizeLo: number, sizeHi: number): number => {
  if (ioSpace < 0) return ERR_NOT_INITIALISED;
  const pages: number = ioPagesFor(linearLo & 4095, sizeLo, sizeHi);
  if (pages < 0) return pages;
  const baseLo: number = linearLo & -4096;
  const pageLo: number = (baseLo >>> 12) | (linearHi << 20);
  const pageHi: number = linearHi >>> 12;
  const slot: number = ioFind(pageLo, pageHi);
  if (slot < 0) return ERR_NOT_MAPPED;
  if (ioRead(slot, 3) !== pages) return ERR_INVALID_ARGUMENT;
  const unmapped: number = walkUnmapRange(regionsKernelRoot(), baseLo, linearHi, pages, 0);
  if (unmapped < 0) return unmapped;
  virtualSpaceRelease(ioSpace, baseLo, linearHi, pages);
  return ioRemove(slot);
};

/** Live I/O mappings. */
export const ioMappingCount = (): number => ioCount;
