/*
 * Builds the physical page bitmap from the Multiboot2 memory map, at boot.
 *
 * The bitmap's own storage comes from the memory map too - no fixed window, no clamp (EXOS kept
 * its allocator metadata in a fixed low window and so capped usable RAM): it covers every frame
 * up to the end of the highest usable range, and its storage is the lowest place in usable RAM
 * that is big enough, reachable, and clear of everything reserved.
 *
 * Reservation policy (what is never handed out):
 *   - every frame that any non-usable map entry touches (rounded outwards; where entries
 *     overlap, the non-usable type wins), and every frame outside usable entries;
 *   - low memory [0, 1 MiB): real-mode IVT and BIOS data, EBDA, VGA and BIOS ROMs, trampolines;
 *     it also keeps frame 0 out of circulation, so physical address 0 never reads as "none";
 *   - the kernel image, the Multiboot2 information block, every boot module;
 *   - the manager's storage: the bitmap, then the per-frame counters (frame-counters.ts).
 * Usable frames above 8 TiB (frame numbers are int32) are left out.
 */
import { ERR_NONE, ERR_NO_USABLE_MEMORY, ERR_INVALID_ARGUMENT } from '../errors.ts';
import { add64, pairHi } from '../int64/pair.ts';
import {
  MB2_MEMORY_USABLE,
  mb2Parse,
  mb2MemoryRangeCount,
  mb2MemoryRangeBaseLo,
  mb2MemoryRangeBaseHi,
  mb2MemoryRangeEndLo,
  mb2MemoryRangeEndHi,
  mb2MemoryRangeType,
  mb2ModuleCount,
  mb2ModuleStart,
  mb2ModuleEnd,
  mb2TotalSize,
  mb2Status,
} from '../boot/multiboot2.ts';
import {
  frameBitmapStorageBytes,
  frameBitmapInit,
  frameBitmapAddUsable,
  frameBitmapReserve,
  frameContaining,
  frameAtOrAbove,
} from './frame-bitmap.ts';
import { frameCountersBytes, frameCountersInit } from './frame-counters.ts';

/** Frames below 1 MiB stay reserved (see the policy above). */
export const LOW_MEMORY_FRAMES: number = 256;
/** The largest frame number + 1 (int32 frames: 8 TiB). */
const SETUP_FRAME_LIMIT: number = 2147483647;

let setupImageFirst: number = 0;
let setupImageEnd: number = 0;
let setupInfoFirst: number = 0;
let setupInfoEnd: number = 0;
let setupStorageFirst: number = 0;
let setupStorageFrames: number = 0;
let setupCoveredFrames: number = 0;

/** First frame of map entry `index`, rounded up (usable: inwards) or down (reserved: outwards). */
const setupRangeFirst = (index: number, inwards: number): number => {
  const lo: number = mb2MemoryRangeBaseLo(index);
  const hi: number = mb2MemoryRangeBaseHi(index);
  const frame: number = inwards === 1 ? frameAtOrAbove(lo, hi) : frameContaining(lo, hi);
  return frame < 0 ? SETUP_FRAME_LIMIT : frame;
};

/**
 * End frame (exclusive) of map entry `index`, rounded down (inwards) or up (outwards); an entry
 * reaching 2^64 (the parser's ERR_OVERFLOW, told apart from an address by mb2Status) or beyond
 * 8 TiB ends at the frame limit.
 */
const setupRangeEnd = (index: number, inwards: number): number => {
  const lo: number = mb2MemoryRangeEndLo(index);
  const hi: number = mb2MemoryRangeEndHi(index);
  if (mb2Status !== ERR_NONE) return SETUP_FRAME_LIMIT;
  const frame: number = inwards === 1 ? frameContaining(lo, hi) : frameAtOrAbove(lo, hi);
  return frame < 0 ? SETUP_FRAME_LIMIT : frame;
};

const setupOverlaps = (first: number, end: number, otherFirst: number, otherEnd: number): number =>
  first < otherEnd && otherFirst < end ? 1 : 0;

/**
 * The end of the furthest reservation that overlaps [first, first + count), or -1 when none does:
 * the next place worth trying for the bitmap's storage.
 */
const setupConflictEnd = (first: number, count: number): number => {
  const end: number = (first + count) | 0;
  let furthest: number = -1;
  if (setupOverlaps(first, end, setupImageFirst, setupImageEnd) === 1 && setupImageEnd > furthest) furthest = setupImageEnd;
  if (setupOverlaps(first, end, setupInfoFirst, setupInfoEnd) === 1 && setupInfoEnd > furthest) furthest = setupInfoEnd;
  const modules: number = mb2ModuleCount();
  for (let m: number = 0; m < modules; m = (m + 1) | 0) {
    const moduleFirst: number = mb2ModuleStart(m) >>> 12;
    const moduleEnd: number = frameAtOrAbove(mb2ModuleEnd(m), 0);
    if (setupOverlaps(first, end, moduleFirst, moduleEnd) === 1 && moduleEnd > furthest) furthest = moduleEnd;
  }
  const ranges: number = mb2MemoryRangeCount();
  for (let r: number = 0; r < ranges; r = (r + 1) | 0) {
    if (mb2MemoryRangeType(r) === MB2_MEMORY_USABLE) continue;
    const rangeEnd: number = setupRangeEnd(r, 0);
    if (setupOverlaps(first, end, setupRangeFirst(r, 0), rangeEnd) === 1 && rangeEnd > furthest) furthest = rangeEnd;
  }
  return furthest;
};

/** The lowest frame where `count` frames fit in usable RAM below `limit`, clear of reservations. */
const setupPlaceStorage = (count: number, limit: number): number => {
  let best: number = -1;
  const ranges: number = mb2MemoryRangeCount();
  for (let r: number = 0; r < ranges; r = (r + 1) | 0) {
    if (mb2MemoryRangeType(r) !== MB2_MEMORY_USABLE) continue;
    let candidate: number = setupRangeFirst(r, 1);
    if (candidate < LOW_MEMORY_FRAMES) candidate = LOW_MEMORY_FRAMES;
    let end: number = setupRangeEnd(r, 1);
    if (end > limit) end = limit;
    while (candidate <= end - count) {
      const conflict: number = setupConflictEnd(candidate, count);
      if (conflict < 0) {
        if (best < 0 || candidate < best) best = candidate;
        break;
      }
      candidate = conflict;
    }
  }
  return best;
};

/**
 * Reads the Multiboot2 information at linear (infoLo, infoHi) - physical address infoPhysical -
 * and builds the bitmap. The kernel image occupies frames [imageFirst, imageEnd). Physical memory
 * below frame `reachableFrames` is visible at linear (physical + (offsetLo, offsetHi)): the
 * bitmap's storage is placed there (i386 with paging off: 4 GiB, offset 0; x86-64 boot tables:
 * 1 GiB at 0xFFFFFFFF80000000). Returns ERR_NONE or the first error (from the parser, the
 * bitmap, or ERR_NO_USABLE_MEMORY when no usable RAM or no place for the storage exists).
 */
export const physicalMemorySetup = (
  infoLo: number,
  infoHi: number,
  infoPhysical: number,
  imageFirst: number,
  imageEnd: number,
  reachableFrames: number,
  offsetLo: number,
  offsetHi: number,
): number => {
  if (imageFirst < 0 || imageEnd < imageFirst || reachableFrames <= 0) return ERR_INVALID_ARGUMENT;
  const parsed: number = mb2Parse(infoLo, infoHi);
  if (parsed !== ERR_NONE) return parsed;
  setupImageFirst = imageFirst;
  setupImageEnd = imageEnd;
  setupInfoFirst = infoPhysical >>> 12;
  setupInfoEnd = frameAtOrAbove((infoPhysical + mb2TotalSize()) | 0, 0);

  const ranges: number = mb2MemoryRangeCount();
  let covered: number = 0;
  for (let r: number = 0; r < ranges; r = (r + 1) | 0) {
    if (mb2MemoryRangeType(r) !== MB2_MEMORY_USABLE) continue;
    const end: number = setupRangeEnd(r, 1);
    if (end > setupRangeFirst(r, 1) && end > covered) covered = end;
  }
  if (covered === 0) return ERR_NO_USABLE_MEMORY;

  const bytes: number = frameBitmapStorageBytes(covered);
  if (bytes < 0) return bytes;
  const counterBytes: number = frameCountersBytes(covered);
  if (counterBytes < 0) return counterBytes;
  const storageFrames: number = ((bytes + counterBytes) | 0) >>> 12;
  const storage: number = setupPlaceStorage(storageFrames, reachableFrames);
  if (storage < 0) return ERR_NO_USABLE_MEMORY;
  const storageLo: number = add64(storage << 12, storage >>> 20, offsetLo, offsetHi);
  const storageHi: number = pairHi;
  const init: number = frameBitmapInit(covered, storageLo, storageHi, bytes);
  if (init !== ERR_NONE) return init;
  const counters: number = frameCountersInit(covered, (storageLo + bytes) | 0, storageHi, counterBytes);
  if (counters !== ERR_NONE) return counters;

  for (let r: number = 0; r < ranges; r = (r + 1) | 0) {
    if (mb2MemoryRangeType(r) !== MB2_MEMORY_USABLE) continue;
    const first: number = setupRangeFirst(r, 1);
    let end: number = setupRangeEnd(r, 1);
    if (end > covered) end = covered;
    if (first < end) frameBitmapAddUsable(first, (end - first) | 0);
  }
  for (let r: number = 0; r < ranges; r = (r + 1) | 0) {
    if (mb2MemoryRangeType(r) === MB2_MEMORY_USABLE) continue;
    const first: number = setupRangeFirst(r, 0);
    const end: number = setupRangeEnd(r, 0);
    if (first < end && first < covered) frameBitmapReserve(first, (end - first) | 0);
  }
  frameBitmapReserve(0, LOW_MEMORY_FRAMES);
  if (imageEnd > imageFirst) frameBitmapReserve(imageFirst, (imageEnd - imageFirst) | 0);
  frameBitmapReserve(setupInfoFirst, (setupInfoEnd - setupInfoFirst) | 0);
  const modules: number = mb2ModuleCount();
  for (let m: number = 0; m < modules; m = (m + 1) | 0) {
    const moduleFirst: number = mb2ModuleStart(m) >>> 12;
    const moduleEnd: number = frameAtOrAbove(mb2ModuleEnd(m), 0);
    if (moduleEnd > moduleFirst) frameBitmapReserve(moduleFirst, (moduleEnd - moduleFirst) | 0);
  }
  frameBitmapReserve(storage, storageFrames);
  setupStorageFirst = storage;
  setupStorageFrames = storageFrames;
  setupCoveredFrames = covered;
  return ERR_NONE;
};

/** Where the manager's storage (bitmap, then frame counters) went: first frame and frame count. */
export const physicalBitmapFirstFrame = (): number => setupStorageFirst;
export const physicalBitmapFrames = (): number => setupStorageFrames;
/** Frames the bitmap covers: up to the end of the highest usable range. */
export const physicalCoveredFrames = (): number => setupCoveredFrames;
