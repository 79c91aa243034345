/*
 * The region API (seed 000, steps 7-12): reserve, map, resize, free and inspect ranges of linear
 * addresses, for the kernel and for the current user address space.
 *
 * A region call validates everything first and then either does all of it or nothing: sizes must
 * be whole pages and non-zero, addresses page aligned, canonical, without wrap-around, and on the
 * right side of the user/kernel split; a Target needs COMMIT and says whose frames they are
 * (FIXED or IO) - so a FreeRegion can never free another owner's frames (EXOS defect 4).
 *
 * Two structures answer for a space: the free-space index (virtual-space.ts) knows which linear
 * ranges are taken - reserved-only regions included, so they are never handed out twice (EXOS
 * defect 3) - and finds free ranges in O(log n); the page tables (walker.ts) know what is mapped.
 */
import {
  ERR_NONE,
  ERR_ZERO_SIZE,
  ERR_UNALIGNED,
  ERR_OVERFLOW,
  ERR_OUT_OF_RANGE,
  ERR_INVALID_ARGUMENT,
  ERR_NON_CANONICAL,
  ERR_PERMISSION,
  ERR_OVERLAP,
  ERR_NOT_MAPPED,
  ERR_ALREADY_MAPPED,
  ERR_NOT_INITIALISED,
  ERR_POOL_EXHAUSTED,
  ERR_NO_FREE_REGION,
  isErrorCode,
} from '../errors.ts';
import { add64, addCarries64, compareU64, pairHi, returnPair, sub64 } from '../int64/pair.ts';
import { archCanonical, archFrameLimit, archLeafAllowed, archLevelShift, archUserStartLo, archUserStartHi, archUserEndLo, archUserEndHi, archKernelStartLo, archKernelStartHi } from '../paging/backend.ts';
import { walkMapRange, walkUnmapRange, walkRangeIsUnmapped, walkTranslate } from '../paging/walker.ts';
import { walkProtectRange } from '../paging/walker-protect.ts';
import { PAGE_WRITE, PAGE_USER, PAGE_NO_EXECUTE, PAGE_UNCACHED, PAGE_WRITE_THROUGH, PAGE_FOREIGN, PAGE_IO } from '../paging/page-flags.ts';
import {
  virtualSpaceCreate,
  virtualSpaceFind,
  virtualSpaceReserve,
  virtualSpaceRelease,
  virtualSpaceIsFree,
  virtualSpaceIsAllocated,
} from './virtual-space.ts';
import { virtualSpaceNodesFree } from './virtual-space-pool.ts';
import {
  REGION_COMMIT,
  REGION_READWRITE,
  REGION_UC,
  REGION_WC,
  REGION_IO,
  REGION_AT_OR_OVER,
  REGION_FIXED,
  REGION_USER,
  REGION_NO_EXECUTE,
  REGION_SMALL_PAGES,
  REGION_FLAGS_ALL,
} from './region-flags.ts';

let kernelRoot: number = -1;
let kernelSpace: number = -1;
let userRoot: number = -1;
let userSpace: number = -1;

/** Where kernel region searches start (allocKernelRegion), above the image and the direct map. */
let kernelRegionBaseLo: number = 0;
let kernelRegionBaseHi: number = 0;

/**
 * The set-up's windows of kernel space (the direct map, the image, the I/O window): taken in the
 * kernel's index, and recorded in an index of their own so that freeRegion and resizeRegion
 * refuse any range that meets one (ERR_PERMISSION) - their frames belong to others (EXOS defect
 * 4), and only their owner (unmapIOMemory for the I/O window) changes them.
 */
let windowSpace: number = -1;

/** The call being served: its space, root, pages. */
let callRoot: number = -1;
let callSpace: number = -1;
let callPages: number = 0;

/**
 * Sets the kernel's root and free-space index, and where allocKernelRegion searches from. Needs
 * the free-space pool (a node for the index of set-up windows).
 */
export const regionsInit = (root: number, space: number, searchLo: number, searchHi: number): number => {
  if (root < 0 || space < 0) return ERR_INVALID_ARGUMENT;
  const windows: number = virtualSpaceCreate(archKernelStartLo(), archKernelStartHi(), 0, archKernelStartHi() === 0 ? 1 : 0);
  if (windows < 0) return windows;
  windowSpace = windows;
  kernelRoot = root;
  kernelSpace = space;
  kernelRegionBaseLo = searchLo;
  kernelRegionBaseHi = searchHi;
  return ERR_NONE;
};

/**
 * Takes a set-up window [base, base + pages pages) of kernel space: reserved in the kernel's
 * index (nothing else is placed there) and refused by freeRegion and resizeRegion. The range
 * must be free; on error nothing changes.
 */
export const regionsReserveWindow = (lo: number, hi: number, pages: number): number => {
  if (windowSpace < 0) return ERR_NOT_INITIALISED;
  const taken: number = virtualSpaceReserve(kernelSpace, lo, hi, pages);
  if (taken !== ERR_NONE) return taken;
  const recorded: number = virtualSpaceReserve(windowSpace, lo, hi, pages);
  if (recorded !== ERR_NONE) virtualSpaceRelease(kernelSpace, lo, hi, pages);
  return recorded;
};

/** 1 when [lo, lo + callPages pages) meets a set-up window. */
const regionTouchesWindow = (lo: number, hi: number): number =>
  callSpace === kernelSpace && virtualSpaceIsFree(windowSpace, lo, hi, callPages) !== 1 ? 1 : 0;

/** Selects the current user address space (a context switch); -1, -1 for none. */
export const regionsUseUserSpace = (root: number, space: number): number => {
  userRoot = root;
  userSpace = space;
  return ERR_NONE;
};

/** (lo, hi) in user space? */
const regionInUserRange = (lo: number, hi: number): number =>
  compareU64(lo, hi, archUserStartLo(), archUserStartHi()) >= 0 && compareU64(lo, hi, archUserEndLo(), archUserEndHi()) < 0 ? 1 : 0;

/** (lo, hi) in the kernel's allocatable space? */
const regionInKernelRange = (lo: number, hi: number): number => (compareU64(lo, hi, archKernelStartLo(), archKernelStartHi()) >= 0 ? 1 : 0);

/**
 * Validates a byte size (sizeLo, sizeHi) and sets callPages: whole pages, not zero, fewer than
 * 2^31 pages (8 TiB).
 */
const regionCheckSize = (sizeLo: number, sizeHi: number): number => {
  if (sizeLo === 0 && sizeHi === 0) return ERR_ZERO_SIZE;
  if ((sizeLo & 4095) !== 0) return ERR_UNALIGNED;
  if ((sizeHi >>> 11) !== 0) return ERR_OUT_OF_RANGE;
  callPages = (sizeLo >>> 12) | (sizeHi << 20);
  return ERR_NONE;
};

/**
 * Validates [base, base + size) for a call whose rights include user access or not, and selects
 * the space and root that hold it (callSpace, callRoot).
 */
const REGION_SIDE_ANY: number = 2;

const regionCheckRange = (lo: number, hi: number, sizeLo: number, sizeHi: number, user: number): number => {
  if ((lo & 4095) !== 0) return ERR_UNALIGNED;
  if (archCanonical(lo, hi) === 0) return ERR_NON_CANONICAL;
  // the last byte must not pass 2^64 (a range may end exactly there: the top page)
  const sizeLessOneLo: number = sub64(sizeLo, sizeHi, 1, 0);
  const sizeLessOneHi: number = pairHi;
  if (addCarries64(lo, hi, sizeLessOneLo, sizeLessOneHi) === 1) return ERR_OVERFLOW;
  const lastLo: number = add64(lo, hi, sizeLessOneLo, sizeLessOneHi);
  const lastHi: number = pairHi;
  if (regionInUserRange(lo, hi) === 1) {
    if (user === 0) return ERR_PERMISSION; // user space holds user pages only: the flag must say so
    // (callers that take no flags - free, inspect - pass REGION_SIDE_ANY)
    if (regionInUserRange(lastLo, lastHi) === 0) return ERR_OUT_OF_RANGE;
    if (userSpace < 0) return ERR_NOT_INITIALISED;
    callRoot = userRoot;
    callSpace = userSpace;
    return ERR_NONE;
  }
  if (regionInKernelRange(lo, hi) === 1) {
    if (user === 1) return ERR_PERMISSION;
    if (archCanonical(lastLo, lastHi) === 0 || regionInKernelRange(lastLo, lastHi) === 0) return ERR_OUT_OF_RANGE;
    if (kernelSpace < 0) return ERR_NOT_INITIALISED;
    callRoot = kernelRoot;
    callSpace = kernelSpace;
    return ERR_NONE;
  }
  return ERR_OUT_OF_RANGE;
};

/** Page flags for region flags. */
const regionPageFlags = (flags: number): number => {
  let page: number = 0;
  if ((flags & REGION_READWRITE) !== 0) page = page | PAGE_WRITE;
  if ((flags & REGION_USER) !== 0) page = page | PAGE_USER;
  if ((flags & REGION_NO_EXECUTE) !== 0) page = page | PAGE_NO_EXECUTE;
  if ((flags & REGION_UC) !== 0) page = page | PAGE_UNCACHED;
  if ((flags & REGION_WC) !== 0) page = page | PAGE_WRITE_THROUGH;
  if ((flags & (REGION_FIXED | REGION_IO)) !== 0) page = page | PAGE_FOREIGN;
  if ((flags & REGION_IO) !== 0) page = page | PAGE_IO;
  return page;
};

/** Flag combinations that make sense: a Target needs COMMIT and an owner; FIXED/IO need a Target. */
const regionCheckFlags = (flags: number, targetLo: number, targetHi: number): number => {
  if ((flags & ~REGION_FLAGS_ALL) !== 0) return ERR_INVALID_ARGUMENT;
  const hasTarget: number = targetLo !== 0 || targetHi !== 0 ? 1 : 0;
  const foreign: number = (flags & (REGION_FIXED | REGION_IO)) !== 0 ? 1 : 0;
  if (hasTarget !== foreign) return ERR_INVALID_ARGUMENT;
  if (hasTarget === 1 && (flags & REGION_COMMIT) === 0) return ERR_INVALID_ARGUMENT;
  if ((targetLo & 4095) !== 0) return ERR_UNALIGNED;
  if ((targetHi >>> 20) !== 0) return ERR_OUT_OF_RANGE; // physical addresses are below 2^52
  return ERR_NONE;
};

/**
 * 1 when the frames [first, first + pages) of a physical address fit the frame numbers the manager
 * uses (below 2^31) and the mode's entries (two-level 4 KiB entries hold 32-bit addresses: frames
 * below 2^20) - a cut-off address would map somebody else's frame. For FIXED targets and
 * mapIOMemory.
 */
export const regionPhysicalFits = (physLo: number, physHi: number, pages: number): number => {
  if ((physHi >>> 11) !== 0) return 0;
  const firstFrame: number = (physLo >>> 12) | (physHi << 20);
  return firstFrame > ((archFrameLimit() - pages) | 0) ? 0 : 1;
};

const regionCheckTarget = (targetLo: number, targetHi: number): number => {
  if (targetLo === 0 && targetHi === 0) return ERR_NONE;
  return regionPhysicalFits(targetLo, targetHi, callPages) === 1 ? ERR_NONE : ERR_OUT_OF_RANGE;
};

/**
 * Finds room for callPages in callSpace at or above (fromLo, fromHi). A committed region as big
 * as a large page is first placed on that page size's alignment (the largest the mode allows), so
 * the walker can map it with large leaves; then anywhere.
 */
const regionFind = (fromLo: number, fromHi: number, flags: number): number => {
  if ((flags & REGION_COMMIT) !== 0 && (flags & REGION_SMALL_PAGES) === 0) {
    for (let level: number = 3; level >= 2; level = (level - 1) | 0) {
      const shift: number = archLevelShift(level);
      if (archLeafAllowed(level) === 0 || callPages < 1 << ((shift - 12) | 0)) continue;
      const aligned: number = virtualSpaceFind(callSpace, callPages, shift, fromLo, fromHi);
      if (aligned !== ERR_NO_FREE_REGION) return aligned;
    }
  }
  return virtualSpaceFind(callSpace, callPages, 12, fromLo, fromHi);
};

/**
 * AllocRegion: takes [base, base + size) - at `base` exactly, or (base 0 or AT_OR_OVER) the
 * lowest free place at or above it in the space the flags select - and with COMMIT maps it, to
 * fresh frames or to the physical range Target. Returns the base (low half; pairHi: high half),
 * or an error with nothing changed.
 */
export const allocRegion = (
  baseLo: number,
  baseHi: number,
  targetLo: number,
  targetHi: number,
  sizeLo: number,
  sizeHi: number,
  flags: number,
): number => {
  const flagCheck: number = regionCheckFlags(flags, targetLo, targetHi);
  if (flagCheck !== ERR_NONE) return flagCheck;
  const sizeCheck: number = regionCheckSize(sizeLo, sizeHi);
  if (sizeCheck !== ERR_NONE) return sizeCheck;
  const targetCheck: number = regionCheckTarget(targetLo, targetHi);
  if (targetCheck !== ERR_NONE) return targetCheck;
  const user: number = (flags & REGION_USER) !== 0 ? 1 : 0;
  const search: number = (baseLo === 0 && baseHi === 0) || (flags & REGION_AT_OR_OVER) !== 0 ? 1 : 0;
  let fromLo: number = baseLo;
  let fromHi: number = baseHi;
  if (baseLo === 0 && baseHi === 0) {
    fromLo = user === 1 ? archUserStartLo() : kernelRegionBaseLo;
    fromHi = user === 1 ? archUserStartHi() : kernelRegionBaseHi;
  }
  const rangeCheck: number = regionCheckRange(fromLo, fromHi, search === 1 ? 4096 : sizeLo, search === 1 ? 0 : sizeHi, user);
  if (rangeCheck !== ERR_NONE) return rangeCheck;
  let lo: number = fromLo;
  let hi: number = fromHi;
  if (search === 1) {
    lo = regionFind(fromLo, fromHi, flags);
    if (isErrorCode(lo) === 1) return lo;
    hi = pairHi;
    const placed: number = regionCheckRange(lo, hi, sizeLo, sizeHi, user);
    if (placed !== ERR_NONE) return placed;
  } else if (virtualSpaceIsFree(callSpace, lo, hi, callPages) !== 1) {
    return ERR_OVERLAP;
  }
  if (walkRangeIsUnmapped(callRoot, lo, hi, callPages) !== 1) return ERR_ALREADY_MAPPED;
  const reserved: number = virtualSpaceReserve(callSpace, lo, hi, callPages);
  if (reserved !== ERR_NONE) return reserved;
  if ((flags & REGION_COMMIT) !== 0) {
    const firstFrame: number = targetLo === 0 && targetHi === 0 ? -1 : (targetLo >>> 12) | (targetHi << 20);
    const mapped: number = walkMapRange(callRoot, lo, hi, callPages, firstFrame, regionPageFlags(flags), (flags & REGION_SMALL_PAGES) !== 0 ? 0 : 1);
    if (mapped !== ERR_NONE) {
      virtualSpaceRelease(callSpace, lo, hi, callPages);
      return mapped;
    }
  }
  return returnPair(lo, hi);
};

/**
 * Validates a call on a taken region [base, base + size) - free, protect, grow - and selects its
 * space and root: the size, the range on `side`, no set-up window in it (ERR_PERMISSION: the
 * set-up's, or unmapIOMemory's), every page taken (ERR_NOT_MAPPED: a double free changes nothing).
 */
const regionCheckTaken = (baseLo: number, baseHi: number, sizeLo: number, sizeHi: number, side: number): number => {
  const sizeCheck: number = regionCheckSize(sizeLo, sizeHi);
  if (sizeCheck !== ERR_NONE) return sizeCheck;
  const rangeCheck: number = regionCheckRange(baseLo, baseHi, sizeLo, sizeHi, side);
  if (rangeCheck !== ERR_NONE) return rangeCheck;
  if (regionTouchesWindow(baseLo, baseHi) === 1) return ERR_PERMISSION;
  if (virtualSpaceIsAllocated(callSpace, baseLo, baseHi, callPages) !== 1) return ERR_NOT_MAPPED;
  return ERR_NONE;
};

/**
 * FreeRegion: unmaps [base, base + size) and gives it back to its space: every page of it must be
 * taken (a range with any free page is ERR_NOT_MAPPED: a double free changes nothing); frames are
 * freed unless FIXED or IO; tables that empty are released at once.
 */
export const freeRegion = (baseLo: number, baseHi: number, sizeLo: number, sizeHi: number): number => {
  const taken: number = regionCheckTaken(baseLo, baseHi, sizeLo, sizeHi, REGION_SIDE_ANY);
  if (taken !== ERR_NONE) return taken;
  // giving the range back may split a free range: make sure a node is there before unmapping
  if (virtualSpaceNodesFree() < 1) return ERR_POOL_EXHAUSTED;
  const unmapped: number = walkUnmapRange(callRoot, baseLo, baseHi, callPages, 1);
  if (unmapped < 0) return unmapped;
  virtualSpaceRelease(callSpace, baseLo, baseHi, callPages);
  return ERR_NONE;
};

/** The flags protectRegion takes: the new rights, and USER to say which side the range is on. */
const REGION_PROTECT_FLAGS: number = REGION_READWRITE | REGION_NO_EXECUTE | REGION_USER;

/**
 * ProtectRegion (mprotect): gives the mapped pages of [base, base + size) the rights in `flags`
 * (READWRITE or read-only, NO_EXECUTE; USER must say the range is in user space, as for
 * AllocRegion). Every page must be taken (ERR_NOT_MAPPED otherwise); reserved-only pages are
 * skipped; the set-up's windows and the I/O window are refused (ERR_PERMISSION). Frames, cache
 * and ownership stay. Rights that shrink are flushed from the TLB before it returns.
 */
export const protectRegion = (baseLo: number, baseHi: number, sizeLo: number, sizeHi: number, flags: number): number => {
  if ((flags & ~REGION_PROTECT_FLAGS) !== 0) return ERR_INVALID_ARGUMENT;
  const taken: number = regionCheckTaken(baseLo, baseHi, sizeLo, sizeHi, (flags & REGION_USER) !== 0 ? 1 : 0);
  if (taken !== ERR_NONE) return taken;
  return walkProtectRange(callRoot, baseLo, baseHi, callPages, regionPageFlags(flags));
};

/** IsRegionFree: 1 when no page of the range is taken (reserved or mapped), 0 otherwise, or an error. */
export const isRegionFree = (baseLo: number, baseHi: number, sizeLo: number, sizeHi: number): number => {
  const sizeCheck: number = regionCheckSize(sizeLo, sizeHi);
  if (sizeCheck !== ERR_NONE) return sizeCheck;
  const rangeCheck: number = regionCheckRange(baseLo, baseHi, sizeLo, sizeHi, REGION_SIDE_ANY);
  if (rangeCheck !== ERR_NONE) return rangeCheck;
  if (virtualSpaceIsFree(callSpace, baseLo, baseHi, callPages) !== 1) return 0;
  return walkRangeIsUnmapped(callRoot, baseLo, baseHi, callPages);
};

/**
 * FindFreeRegion: the lowest free, page-aligned range of `size` bytes at or above `start` in the
 * space `start` lies in (low half; pairHi: high half), or ERR_NO_FREE_REGION. Never returns a
 * reserved window, never wraps, never crosses into the other half.
 */
export const findFreeRegion = (startLo: number, startHi: number, sizeLo: number, sizeHi: number): number => {
  const sizeCheck: number = regionCheckSize(sizeLo, sizeHi);
  if (sizeCheck !== ERR_NONE) return sizeCheck;
  // The space is the one the page holding start lies in (rounding up first would carry a start
  // in the last user page into kernel space: EXOS defect 6); the index then searches from the
  // first whole page at or above start, inside that space only.
  const sizePages: number = callPages;
  const rangeCheck: number = regionCheckRange(startLo & -4096, startHi, 4096, 0, REGION_SIDE_ANY);
  if (rangeCheck !== ERR_NONE) return rangeCheck;
  return virtualSpaceFind(callSpace, sizePages, 12, startLo, startHi);
};

/** MapLinearToPhysical: the physical address (low; pairHi: high) behind a linear address, or ERR_NOT_MAPPED. */
export const mapLinearToPhysical = (lo: number, hi: number): number => {
  if (archCanonical(lo, hi) === 0) return ERR_NON_CANONICAL;
  let root: number = kernelRoot;
  if (regionInUserRange(lo, hi) === 1) root = userRoot;
  if (root < 0) return ERR_NOT_INITIALISED;
  return walkTranslate(root, lo, hi);
};

/** AllocKernelRegion: AllocRegion in kernel space, searching from the kernel region base. */
export const allocKernelRegion = (targetLo: number, targetHi: number, sizeLo: number, sizeHi: number, flags: number): number => {
  if ((flags & REGION_USER) !== 0) return ERR_PERMISSION;
  return allocRegion(kernelRegionBaseLo, kernelRegionBaseHi, targetLo, targetHi, sizeLo, sizeHi, flags | REGION_AT_OR_OVER);
};

/** The shrinking half of resizeRegion: the region must be taken; its tail is freed. */
const freeRegionTail = (
  baseLo: number,
  baseHi: number,
  sizeLo: number,
  sizeHi: number,
  tailLo: number,
  tailHi: number,
  deltaLo: number,
  deltaHi: number,
): number => {
  regionCheckSize(sizeLo, sizeHi); // callPages: the region's current size
  const rangeCheck: number = regionCheckRange(baseLo, baseHi, sizeLo, sizeHi, REGION_SIDE_ANY);
  if (rangeCheck !== ERR_NONE) return rangeCheck;
  if (virtualSpaceIsAllocated(callSpace, baseLo, baseHi, callPages) !== 1) return ERR_NOT_MAPPED;
  const freed: number = freeRegion(tailLo, tailHi, deltaLo, deltaHi);
  return freed < 0 ? freed : returnPair(baseLo, baseHi);
};

/**
 * ResizeRegion: grows or shrinks the region at `base` from `size` to `newSize` bytes, touching
 * only the difference - growing needs the tail to be free (it never moves), shrinking frees the
 * tail. The flags apply to the grown part (as for AllocRegion, without AT_OR_OVER).
 */
export const resizeRegion = (
  baseLo: number,
  baseHi: number,
  targetLo: number,
  targetHi: number,
  sizeLo: number,
  sizeHi: number,
  newSizeLo: number,
  newSizeHi: number,
  flags: number,
): number => {
  if ((flags & REGION_AT_OR_OVER) !== 0) return ERR_INVALID_ARGUMENT;
  const oldCheck: number = regionCheckSize(sizeLo, sizeHi);
  if (oldCheck !== ERR_NONE) return oldCheck;
  const newCheck: number = regionCheckSize(newSizeLo, newSizeHi);
  if (newCheck !== ERR_NONE) return newCheck;
  const order: number = compareU64(newSizeLo, newSizeHi, sizeLo, sizeHi);
  if (order === 0) return ERR_NONE;
  // the region's end (growing) must stay below 2^64: a wrapped tail would read as "search anywhere"
  const newLastLo: number = sub64(newSizeLo, newSizeHi, 1, 0);
  const newLastHi: number = pairHi;
  if (order > 0 && addCarries64(baseLo, baseHi, newLastLo, newLastHi) === 1) return ERR_OVERFLOW;
  const tailLo: number = add64(baseLo, baseHi, order > 0 ? sizeLo : newSizeLo, order > 0 ? sizeHi : newSizeHi);
  const tailHi: number = pairHi;
  if (order > 0 && tailLo === 0 && tailHi === 0) return ERR_OVERFLOW;
  const deltaLo: number = order > 0 ? sub64(newSizeLo, newSizeHi, sizeLo, sizeHi) : sub64(sizeLo, sizeHi, newSizeLo, newSizeHi);
  const deltaHi: number = pairHi;
  if (order < 0) return freeRegionTail(baseLo, baseHi, sizeLo, sizeHi, tailLo, tailHi, deltaLo, deltaHi);
  // growing: the region itself must be taken (a set-up window is not a region), the tail free; a Target grows with it
  const taken: number = regionCheckTaken(baseLo, baseHi, sizeLo, sizeHi, (flags & REGION_USER) !== 0 ? 1 : 0);
  if (taken !== ERR_NONE) return taken;
  let tailTargetLo: number = targetLo;
  let tailTargetHi: number = targetHi;
  if (targetLo !== 0 || targetHi !== 0) {
    tailTargetLo = add64(targetLo, targetHi, sizeLo, sizeHi);
    tailTargetHi = pairHi;
  }
  const grown: number = allocRegion(tailLo, tailHi, tailTargetLo, tailTargetHi, deltaLo, deltaHi, flags);
  return isErrorCode(grown) === 1 ? grown : returnPair(baseLo, baseHi);
};


/** Pages of the call last validated (for the I/O helpers). */
export const regionCallPages = (): number => callPages;
export const regionsKernelRoot = (): number => kernelRoot;
export const regionsUserRoot = (): number => userRoot;
