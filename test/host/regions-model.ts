/*
 * A plain reference model of the region API (src/region/regions.ts), and the machine-side
 * inspections the region tests compare it with.
 *
 * Part 1, the model, knows nothing of page tables, free-space trees or the emulated machine: it is
 * a sorted list of extents (runs of pages taken by one call: reserved only, or mapped with given
 * rights to given frames) per address-space layout, and it answers what every region call must
 * return and what the state must be afterwards, from the documented rules alone:
 *   - validation order: flags (allocRegion), sizes, then the range (alignment, canonical, no
 *     wrap past 2^64, the right side of the user/kernel split, the USER flag where it matters);
 *   - searches take the lowest free place at or above the start (for committed regions without
 *     SMALL_PAGES at least as big as a large page, on that page size's alignment first: regionFind);
 *   - freeRegion refuses any range touching a set-up window of kernel space (the I/O window is
 *     unmapIOMemory's business);
 *   - freeRegion and resizeRegion accept any range whose pages are all taken (by one region or
 *     several, in whole or in part), and a double free (any page free) is ERR_NOT_MAPPED;
 *   - frames of FIXED targets belong to their owner: never freed by the manager;
 *   - protectRegion gives the mapped pages of a range new write / NX rights in place (frames,
 *     cache flags, ownership unchanged; reserved-only pages skipped): the extents are cut at the
 *     range's ends, so rights are tracked per run of pages; a range meeting a set-up window of
 *     kernel space (direct map, image, I/O window: regionsReserveWindow) is ERR_PERMISSION, as
 *     for freeRegion and resizeRegion, and any free page in it ERR_NOT_MAPPED;
 *   - mapIOMemory places a mapping at the lowest fit in the I/O window's own index, keeps the
 *     physical sub-page offset, covers the pages the range touches, kernel-only, writable, NX,
 *     with the UC/WC flags; it refuses RAM the bitmap hands out unless IO_ALLOW_RAM, frames the
 *     mode cannot address, and a registry 3/4 full; unmapIOMemory needs a mapping's first page
 *     and its page count. I/O mappings are extents too (`io`: frames nobody owns, never freed).
 * Which frames fresh pages get, and the leaf sizes, are the manager's choice: the model learns a
 * fresh page's frame when the test first observes it through the MMU, and holds it to that frame
 * for as long as the page stays mapped.
 *
 *   - growing past 2^64 is ERR_OVERFLOW before anything else; findFreeRegion searches from the
 *     first whole page at or above `start`, in the space `start` lies in.
 *
 * Part 2, the inspections, read the emulated machine without changing it: a walker over the page
 * tables in physical memory (every table of a hierarchy, every leaf with its effective rights,
 * entry counts), and the page bitmap's own storage. They are the fast way to see everything after
 * every step; the tests cross-check them against the MMU itself (listMappings, translate, probe).
 *
 * Part 3, the operation generator, turns abstract operations ({k, a, b, c}, drawn by fast-check)
 * into region calls aimed at the model's state, through a host that makes them: the property test
 * (which checks each call against the model and the machine) and the native differential test
 * (which records them as steps).
 *
 * Page numbers (address / 4096) are plain numbers: below 2^52, exact in a double.
 */
import * as E from '../../src/errors.ts';
import {
  REGION_AT_OR_OVER,
  REGION_COMMIT,
  REGION_FIXED,
  REGION_FLAGS_ALL,
  REGION_IO,
  REGION_IO_ALLOW_RAM,
  REGION_NO_EXECUTE,
  REGION_READWRITE,
  REGION_SMALL_PAGES,
  REGION_UC,
  REGION_USER,
  REGION_WC,
} from '../../src/region/region-flags.ts';
import type { EmulatedMachine } from '../machine/index.ts';

// =============================================================================================
// Part 1: the model
// =============================================================================================

export type ModeName = 'two-level' | 'pae' | 'four-level' | 'five-level';
export const MODES: readonly ModeName[] = ['two-level', 'pae', 'four-level', 'five-level'];

export const TWO_64 = 1n << 64n;
export const PAGE_BYTES = 4096n;
/** Page 2^52: the end of the 64-bit space, as a page number. */
export const TOP_PAGE = 2 ** 52;

/** A range of pages [start, end). */
export interface PageRange {
  start: number;
  end: number;
}

/** A range mapped by the set-up (not through the region API): linear pages to frames. */
export interface BaselineRange extends PageRange {
  firstFrame: number;
}

export type SpaceName = 'user' | 'kernel';

/** What the model needs to know of a mode's address-space layout and of the test's set-up. */
export interface ModelLayout {
  mode: ModeName;
  addressBits: 32 | 48 | 57;
  /** User space = the user range: [4 MiB, the split). */
  user: PageRange;
  /** Kernel space = the kernel range: [the split, the top). */
  kernel: PageRange;
  /** Where allocKernelRegion and kernel searches with base 0 start (a page). */
  kernelSearchBase: number;
  /** Ranges of kernel space that the set-up took (reserved in the free-space index). */
  setupTaken: PageRange[];
  /**
   * The I/O window (part of setupTaken; at most one: mapIOMemory places mappings in the first):
   * freeRegion, protectRegion and resizeRegion refuse any range that touches it, as every set-up
   * window of kernel space (the kernel side of setupTaken: regionsReserveWindow).
   */
  ioWindows: PageRange[];
  /** Registry slots of mapIOMemory (live mappings stay below 3/4 of them); 0: unknown. */
  ioSlots: number;
  /** Frames the page bitmap holds as reserved (mapIOMemory takes them without IO_ALLOW_RAM). */
  reservedFrames: PageRange[];
  /** What the set-up mapped (the kernel's view of physical memory, i386's low window). */
  baseline: BaselineRange[];
  /** NO_EXECUTE reaches the MMU (PAE and long mode; two-level paging has no NX). */
  nx: boolean;
  /**
   * Large-page sizes (pages), largest first: a committed search without SMALL_PAGES at least
   * that big is placed on that alignment first (regionFind).
   */
  searchAligns: number[];
  /** Frames of RAM (the bitmap covers [0, ramFrames)); the caller sets it. */
  ramFrames: number;
  /**
   * FIXED targets beyond RAM ("device memory": nobody's frames, never touched) are drawn below
   * this frame: 4 GiB in two-level paging, whose 4 KiB entries hold 32-bit addresses; 512 GiB
   * elsewhere.
   */
  deviceFrameLimit: number;
}

/**
 * A mode's layout (the backends' address-space split and page sizes); the set-up's own ranges
 * (setupTaken, ioWindows, baseline) are filled in by the caller from the machine it set up.
 */
export const layoutFor = (mode: ModeName, kernelSearchBase: number): ModelLayout => {
  if (mode === 'two-level' || mode === 'pae') {
    return {
      mode,
      addressBits: 32,
      user: { start: 0x400, end: 0xc0000 },
      kernel: { start: 0xc0000, end: 0x100000 },
      kernelSearchBase,
      setupTaken: [],
      ioWindows: [],
      ioSlots: 0,
      reservedFrames: [],
      baseline: [],
      nx: mode === 'pae',
      searchAligns: mode === 'pae' ? [512] : [1024],
      ramFrames: 0,
      deviceFrameLimit: mode === 'pae' ? 2 ** 27 : 2 ** 20,
    };
  }
  const bits = mode === 'five-level' ? 57 : 48;
  const half = 2 ** (bits - 1 - 12); // pages in a canonical half
  return {
    mode,
    addressBits: bits,
    user: { start: 0x400, end: half },
    kernel: { start: TOP_PAGE - half, end: TOP_PAGE },
    kernelSearchBase,
    setupTaken: [],
    ioWindows: [],
    ioSlots: 0,
    reservedFrames: [],
    baseline: [],
    nx: true,
    searchAligns: [262144, 512],
    ramFrames: 0,
    deviceFrameLimit: 2 ** 27,
  };
};

// ---- addresses -------------------------------------------------------------------------------

/** (lo, hi) -> unsigned 64-bit address. */
export const toAddress = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
/** Unsigned 64-bit address -> [lo, hi] as int32 halves. */
export const toPair = (address: bigint): [number, number] => {
  const a = BigInt.asUintN(64, address);
  return [Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, a >> 32n))];
};
export const pageToAddress = (page: number): bigint => BigInt(page) * PAGE_BYTES;
/** The page holding an address (floor). */
export const addressToPage = (address: bigint): number => Number(address / PAGE_BYTES);
export const hexAddress = (address: bigint): string => `0x${BigInt.asUintN(64, address).toString(16)}`;
export const hexPage = (page: number): string => hexAddress(pageToAddress(page));

/** The backend's canonical test: 32-bit modes take hi = 0; long mode sign-extends bit 47 / 56. */
export const isCanonical = (layout: ModelLayout, address: bigint): boolean => {
  if (layout.addressBits === 32) return address < 1n << 32n;
  const half = 1n << BigInt(layout.addressBits - 1);
  return address < half || address >= TWO_64 - half;
};

// ---- extents ---------------------------------------------------------------------------------

/** A run of pages taken by one call (an allocation, or the grown tail of a resize). */
export interface Extent {
  start: number;
  pages: number;
  /** COMMIT: the pages are mapped. */
  committed: boolean;
  /** Committed pages' frames; -1 while a fresh page's frame has not been observed yet. */
  frames: Int32Array | null;
  /** FIXED: the frames are the test's (never freed by the manager). */
  fixed: boolean;
  /**
   * An I/O mapping (mapIOMemory; `fixed` too): device memory, or RAM with IO_ALLOW_RAM - nobody's
   * frames as far as the manager is concerned: never freed, never owned. Lies in the I/O window.
   */
  io?: IoMapping;
  /** The rights asked for, or last given by protectRegion (nx as asked; whether the MMU sees it depends on the mode). */
  write: boolean;
  user: boolean;
  nx: boolean;
  /** The region flags of the call. */
  flags: number;
  /** Serial number of the call that made it (diagnostics). */
  serial: number;
}

const sliceExtent = (extent: Extent, from: number, to: number): Extent => ({
  ...extent,
  start: extent.start + from,
  pages: to - from,
  frames: extent.frames === null ? null : extent.frames.slice(from, to),
});

/** What a call is expected to return: an error code, or success with a value and a high half. */
export type Expected = { error: number } | { ok: true; lo: number; hi: number };

const fail = (error: number): { error: number } => ({ error });
const okAddress = (address: bigint): { ok: true; lo: number; hi: number } => {
  const [lo, hi] = toPair(address);
  return { ok: true, lo, hi };
};

/** The plan of a successful allocRegion: where, how many pages, and what to record. */
export interface AllocPlan {
  page: number;
  pages: number;
  space: SpaceName;
  committed: boolean;
  fixed: boolean;
  /** First frame of a FIXED target (else -1). */
  targetFrame: number;
  flags: number;
}

export type AllocExpectation = { error: number } | { ok: true; plan: AllocPlan };

export type ResizeExpectation =
  | { error: number }
  | { ok: true; kind: 'equal' }
  | { ok: true; kind: 'shrink'; tail: number; tailPages: number }
  | { ok: true; kind: 'grow'; plan: AllocPlan };

export type FreeExpectation = { error: number } | { ok: true; page: number; pages: number };

/** protectRegion's plan: the pages and the rights they get. */
export type ProtectExpectation = { error: number } | { ok: true; page: number; pages: number; write: boolean; nx: boolean };

/** A live I/O mapping (mapIOMemory): its first linear page, pages, first frame, and the call's offset and size. */
export interface IoMapping {
  page: number;
  pages: number;
  firstFrame: number;
  offset: number;
  size: bigint;
  /** REGION_UC / REGION_WC / REGION_IO_ALLOW_RAM as asked. */
  flags: number;
}

export type MapIoExpectation = { error: number } | { ok: true; mapping: IoMapping };
export type UnmapIoExpectation = { error: number } | { ok: true; mapping: IoMapping };

/** Flags protectRegion takes. */
export const PROTECT_FLAGS = REGION_READWRITE | REGION_NO_EXECUTE | REGION_USER;
/** Flags mapIOMemory takes. */
export const MAP_IO_FLAGS = REGION_UC | REGION_WC | REGION_IO_ALLOW_RAM;

const SIDE_KERNEL = 0;
const SIDE_USER = 1;
const SIDE_ANY = 2;

export class RegionModel {
  readonly extents: Extent[] = [];
  /** Live I/O mappings, in address order (each also an extent with `io` set). */
  readonly ioMappings: IoMapping[] = [];
  private serial = 0;

  constructor(readonly layout: ModelLayout) {}

  // ---- queries ---------------------------------------------------------------------------------

  /** Index of the first extent that ends after `page` (it contains `page`, or lies above it). */
  lowerBound(page: number): number {
    let lo = 0;
    let hi = this.extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = this.extents[mid]!;
      if (e.start + e.pages <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The extent holding `page` and the page's index in it, or null. */
  extentAt(page: number): { extent: Extent; index: number } | null {
    const k = this.lowerBound(page);
    const e = this.extents[k];
    if (e === undefined || e.start > page) return null;
    return { extent: e, index: page - e.start };
  }

  private setupTakenOverlaps(page: number, pages: number): boolean {
    return this.layout.setupTaken.some((r) => page < r.end && page + pages > r.start);
  }

  /** Meets a set-up window of kernel space (the kernel side of setupTaken: direct map, image, I/O window)? */
  windowOverlaps(page: number, pages: number): boolean {
    return this.layout.setupTaken.some((r) => r.start >= this.layout.kernel.start && page < r.end && page + pages > r.start);
  }

  /** Every page of [page, +pages) free (neither a region's nor the set-up's)? */
  isFree(page: number, pages: number): boolean {
    if (this.setupTakenOverlaps(page, pages)) return false;
    const e = this.extents[this.lowerBound(page)];
    return e === undefined || e.start >= page + pages;
  }

  /** Every page of [page, +pages) taken (by regions or the set-up)? */
  isAllTaken(page: number, pages: number): boolean {
    let at = page;
    const end = page + pages;
    while (at < end) {
      const setup = this.layout.setupTaken.find((r) => at >= r.start && at < r.end);
      if (setup !== undefined) {
        at = setup.end;
        continue;
      }
      const hit = this.extentAt(at);
      if (hit === null) return false;
      at = hit.extent.start + hit.extent.pages;
    }
    return true;
  }

  spaceBounds(space: SpaceName): PageRange {
    return space === 'user' ? this.layout.user : this.layout.kernel;
  }

  /** The free ranges of a space, in address order. */
  freeRanges(space: SpaceName): PageRange[] {
    const bounds = this.spaceBounds(space);
    const taken: PageRange[] = [];
    for (const e of this.extents) if (e.start >= bounds.start && e.start < bounds.end) taken.push({ start: e.start, end: e.start + e.pages });
    for (const r of this.layout.setupTaken) if (r.start >= bounds.start && r.start < bounds.end) taken.push({ ...r });
    taken.sort((a, b) => a.start - b.start);
    const free: PageRange[] = [];
    let at = bounds.start;
    for (const t of taken) {
      if (t.start > at) free.push({ start: at, end: t.start });
      at = Math.max(at, t.end);
    }
    if (at < bounds.end) free.push({ start: at, end: bounds.end });
    return free;
  }

  /** The lowest page >= from, a multiple of `align` pages, with `pages` free pages, or -1. */
  findFit(space: SpaceName, from: number, pages: number, align: number): number {
    for (const r of this.freeRanges(space)) {
      if (r.end <= from) continue;
      let start = Math.max(r.start, from);
      start = Math.ceil(start / align) * align;
      if (start + pages <= r.end) return start;
    }
    return -1;
  }

  /** Committed (mapped) pages, FIXED or not. */
  mappedPages(): { fixed: number; own: number } {
    let fixed = 0;
    let own = 0;
    for (const e of this.extents) {
      if (!e.committed) continue;
      if (e.fixed) fixed += e.pages;
      else own += e.pages;
    }
    return { fixed, own };
  }

  // ---- validation (regions.ts order) -----------------------------------------------------------

  /** regionCheckSize: whole pages, not zero, below 2^43 bytes. */
  checkSize(size: bigint): number {
    if (size === 0n) return E.ERR_ZERO_SIZE;
    if ((size & 4095n) !== 0n) return E.ERR_UNALIGNED;
    if (size >= 1n << 43n) return E.ERR_OUT_OF_RANGE;
    return E.ERR_NONE;
  }

  private inUser(address: bigint): boolean {
    return address >= pageToAddress(this.layout.user.start) && address < pageToAddress(this.layout.user.end);
  }

  private inKernel(address: bigint): boolean {
    return address >= pageToAddress(this.layout.kernel.start);
  }

  /** regionCheckRange: the space the range lies in, or the error. */
  checkRange(address: bigint, size: bigint, side: number): { error: number } | { space: SpaceName } {
    if ((address & 4095n) !== 0n) return fail(E.ERR_UNALIGNED);
    if (!isCanonical(this.layout, address)) return fail(E.ERR_NON_CANONICAL);
    const last = address + size - 1n;
    if (last >= TWO_64) return fail(E.ERR_OVERFLOW);
    if (this.inUser(address)) {
      if (side === SIDE_KERNEL) return fail(E.ERR_PERMISSION);
      if (!this.inUser(last)) return fail(E.ERR_OUT_OF_RANGE);
      return { space: 'user' };
    }
    if (this.inKernel(address)) {
      if (side === SIDE_USER) return fail(E.ERR_PERMISSION);
      if (!isCanonical(this.layout, last) || !this.inKernel(last)) return fail(E.ERR_OUT_OF_RANGE);
      return { space: 'kernel' };
    }
    return fail(E.ERR_OUT_OF_RANGE);
  }

  /** regionCheckFlags: a Target needs COMMIT and an owner (FIXED or IO), and the reverse. */
  checkFlags(flags: number, target: bigint): number {
    if ((flags & ~REGION_FLAGS_ALL) !== 0) return E.ERR_INVALID_ARGUMENT;
    const hasTarget = target !== 0n;
    const foreign = (flags & (REGION_FIXED | REGION_IO)) !== 0;
    if (hasTarget !== foreign) return E.ERR_INVALID_ARGUMENT;
    if (hasTarget && (flags & REGION_COMMIT) === 0) return E.ERR_INVALID_ARGUMENT;
    if ((target & 4095n) !== 0n) return E.ERR_UNALIGNED;
    if (target >= 1n << 52n) return E.ERR_OUT_OF_RANGE;
    return E.ERR_NONE;
  }

  // ---- the calls -------------------------------------------------------------------------------

  expectAlloc(base: bigint, target: bigint, size: bigint, flags: number): AllocExpectation {
    const flagError = this.checkFlags(flags, target);
    if (flagError !== E.ERR_NONE) return fail(flagError);
    const sizeError = this.checkSize(size);
    if (sizeError !== E.ERR_NONE) return fail(sizeError);
    const user = (flags & REGION_USER) !== 0;
    const search = base === 0n || (flags & REGION_AT_OR_OVER) !== 0;
    let from = base;
    if (base === 0n) from = pageToAddress(user ? this.layout.user.start : this.layout.kernelSearchBase);
    const range = this.checkRange(from, search ? PAGE_BYTES : size, user ? SIDE_USER : SIDE_KERNEL);
    if ('error' in range) return range;
    const pages = Number(size / PAGE_BYTES);
    let page = addressToPage(from);
    const commit = (flags & REGION_COMMIT) !== 0;
    if (search) {
      let found = -1;
      if (commit && (flags & REGION_SMALL_PAGES) === 0) {
        for (const align of this.layout.searchAligns) {
          if (found < 0 && pages >= align) found = this.findFit(range.space, page, pages, align);
        }
      }
      if (found < 0) found = this.findFit(range.space, page, pages, 1);
      if (found < 0) return fail(E.ERR_NO_FREE_REGION);
      page = found;
    } else if (!this.isFree(page, pages)) {
      return fail(E.ERR_OVERLAP);
    }
    const fixed = target !== 0n;
    return {
      ok: true,
      plan: { page, pages, space: range.space, committed: commit, fixed, targetFrame: fixed ? Number(target / PAGE_BYTES) : -1, flags },
    };
  }

  /** allocKernelRegion: allocRegion in kernel space from the kernel search base (USER refused). */
  expectAllocKernel(target: bigint, size: bigint, flags: number): AllocExpectation {
    if ((flags & REGION_USER) !== 0) return fail(E.ERR_PERMISSION);
    return this.expectAlloc(pageToAddress(this.layout.kernelSearchBase), target, size, flags | REGION_AT_OR_OVER);
  }

  /** Records a successful allocation; fresh frames start unobserved (-1). */
  applyAlloc(plan: AllocPlan): Extent {
    const frames = plan.committed ? new Int32Array(plan.pages).fill(-1) : null;
    if (frames !== null && plan.fixed) for (let k = 0; k < plan.pages; k++) frames[k] = plan.targetFrame + k;
    const extent: Extent = {
      start: plan.page,
      pages: plan.pages,
      committed: plan.committed,
      frames,
      fixed: plan.fixed,
      write: (plan.flags & REGION_READWRITE) !== 0,
      user: (plan.flags & REGION_USER) !== 0,
      nx: (plan.flags & REGION_NO_EXECUTE) !== 0,
      flags: plan.flags,
      serial: ++this.serial,
    };
    this.extents.splice(this.lowerBound(plan.page), 0, extent);
    return extent;
  }

  expectFree(base: bigint, size: bigint): FreeExpectation {
    const sizeError = this.checkSize(size);
    if (sizeError !== E.ERR_NONE) return fail(sizeError);
    const range = this.checkRange(base, size, SIDE_ANY);
    if ('error' in range) return range;
    const page = addressToPage(base);
    const pages = Number(size / PAGE_BYTES);
    if (this.windowOverlaps(page, pages)) return fail(E.ERR_PERMISSION);
    if (!this.isAllTaken(page, pages)) return fail(E.ERR_NOT_MAPPED);
    return { ok: true, page, pages };
  }

  /** Removes [page, +pages) from the extents; returns the removed pieces (their frames go back). */
  applyFree(page: number, pages: number): Extent[] {
    const end = page + pages;
    const removed: Extent[] = [];
    const kept: Extent[] = [];
    let k = this.lowerBound(page);
    const first = k;
    for (; k < this.extents.length; k++) {
      const e = this.extents[k]!;
      if (e.start >= end) break;
      const from = Math.max(page, e.start) - e.start;
      const to = Math.min(end, e.start + e.pages) - e.start;
      if (from > 0) kept.push(sliceExtent(e, 0, from));
      removed.push(sliceExtent(e, from, to));
      if (to < e.pages) kept.push(sliceExtent(e, to, e.pages));
    }
    this.extents.splice(first, k - first, ...kept);
    return removed;
  }

  expectResize(base: bigint, target: bigint, size: bigint, newSize: bigint, flags: number): ResizeExpectation {
    if ((flags & REGION_AT_OR_OVER) !== 0) return fail(E.ERR_INVALID_ARGUMENT);
    const oldError = this.checkSize(size);
    if (oldError !== E.ERR_NONE) return fail(oldError);
    const newError = this.checkSize(newSize);
    if (newError !== E.ERR_NONE) return fail(newError);
    if (newSize === size) return { ok: true, kind: 'equal' };
    // growing past 2^64 is refused before anything else is looked at (a wrapped end is no address)
    if (newSize > size && base + newSize > TWO_64) return fail(E.ERR_OVERFLOW);
    const user = (flags & REGION_USER) !== 0;
    const range = this.checkRange(base, size, newSize < size ? SIDE_ANY : user ? SIDE_USER : SIDE_KERNEL);
    if ('error' in range) return range;
    const page = addressToPage(base);
    // a region meeting a set-up window is refused, as by freeRegion and protectRegion (design.md)
    if (this.windowOverlaps(page, Number(size / PAGE_BYTES))) return fail(E.ERR_PERMISSION);
    if (!this.isAllTaken(page, Number(size / PAGE_BYTES))) return fail(E.ERR_NOT_MAPPED);
    if (newSize < size) {
      const tail = page + Number(newSize / PAGE_BYTES);
      const tailPages = Number((size - newSize) / PAGE_BYTES);
      const freed = this.expectFree(pageToAddress(tail), size - newSize);
      if ('error' in freed) return freed;
      return { ok: true, kind: 'shrink', tail, tailPages };
    }
    const tailTarget = target === 0n ? 0n : target + size;
    const grown = this.expectAlloc(base + size, tailTarget, newSize - size, flags);
    if ('error' in grown) return grown;
    return { ok: true, kind: 'grow', plan: grown.plan };
  }

  /**
   * protectRegion (regions.ts order): the flags (READWRITE, NO_EXECUTE, USER only), the size, the
   * range on the side USER names, no set-up window (ERR_PERMISSION), every page taken
   * (ERR_NOT_MAPPED otherwise).
   */
  expectProtect(base: bigint, size: bigint, flags: number): ProtectExpectation {
    if ((flags & ~PROTECT_FLAGS) !== 0) return fail(E.ERR_INVALID_ARGUMENT);
    const sizeError = this.checkSize(size);
    if (sizeError !== E.ERR_NONE) return fail(sizeError);
    const range = this.checkRange(base, size, (flags & REGION_USER) !== 0 ? SIDE_USER : SIDE_KERNEL);
    if ('error' in range) return range;
    const page = addressToPage(base);
    const pages = Number(size / PAGE_BYTES);
    if (range.space === 'kernel' && this.windowOverlaps(page, pages)) return fail(E.ERR_PERMISSION);
    if (!this.isAllTaken(page, pages)) return fail(E.ERR_NOT_MAPPED);
    return { ok: true, page, pages, write: (flags & REGION_READWRITE) !== 0, nx: (flags & REGION_NO_EXECUTE) !== 0 };
  }

  /**
   * Gives the committed pages of [page, +pages) the rights: extents are cut at the range's ends
   * (reserved-only ones are left whole: nothing of them is mapped); frames, cache flags and
   * ownership stay.
   */
  applyProtect(page: number, pages: number, write: boolean, nx: boolean): void {
    const end = page + pages;
    let k = this.lowerBound(page);
    for (; k < this.extents.length; k++) {
      const e = this.extents[k]!;
      if (e.start >= end) break;
      if (!e.committed) continue;
      const from = Math.max(page, e.start) - e.start;
      const to = Math.min(end, e.start + e.pages) - e.start;
      const pieces: Extent[] = [];
      if (from > 0) pieces.push(sliceExtent(e, 0, from));
      const changed = sliceExtent(e, from, to);
      changed.write = write;
      changed.nx = nx;
      changed.flags = (e.flags & ~(REGION_READWRITE | REGION_NO_EXECUTE)) | (write ? REGION_READWRITE : 0) | (nx ? REGION_NO_EXECUTE : 0);
      pieces.push(changed);
      if (to < e.pages) pieces.push(sliceExtent(e, to, e.pages));
      this.extents.splice(k, 1, ...pieces);
      k += pieces.length - 1;
    }
  }

  /** The mode's frame limit for device memory: two-level 4 KiB entries hold 32-bit addresses; the manager's frame numbers 31 bits. */
  private ioFrameLimit(): number {
    return this.layout.mode === 'two-level' ? 2 ** 20 : 2 ** 31 - 1;
  }

  /** ioPagesFor: the pages [offset, offset + size) touches, or the error. */
  private ioPages(offset: number, size: bigint): number {
    if (size === 0n) return E.ERR_ZERO_SIZE;
    const end = size + BigInt(offset + 4095);
    if (end >= TWO_64) return E.ERR_OUT_OF_RANGE;
    if (end >= 1n << 43n) return E.ERR_OUT_OF_RANGE;
    return Number(end / PAGE_BYTES);
  }

  /** The lowest free run of `pages` pages in the I/O window (its own index: the window minus live mappings), or -1. */
  private ioFit(window: PageRange, pages: number): number {
    let at = window.start;
    for (const m of this.ioMappings) {
      if (m.page - at >= pages) return at;
      at = Math.max(at, m.page + m.pages);
    }
    return window.end - at >= pages ? at : -1;
  }

  /**
   * mapIOMemory (io-mappings.ts order): the window, the flags (UC, WC, IO_ALLOW_RAM; not UC and WC
   * together), a physical address below 2^52, the pages the range touches (sub-page offset kept),
   * frames the mode's entries and the manager's 31-bit frame numbers hold, no RAM the bitmap hands
   * out unless IO_ALLOW_RAM, room in the registry (under 3/4 full), the lowest fit in the window.
   */
  expectMapIo(physical: bigint, size: bigint, flags: number): MapIoExpectation {
    const window = this.layout.ioWindows[0];
    if (window === undefined) return fail(E.ERR_NOT_INITIALISED);
    if ((flags & ~MAP_IO_FLAGS) !== 0) return fail(E.ERR_INVALID_ARGUMENT);
    if ((flags & REGION_UC) !== 0 && (flags & REGION_WC) !== 0) return fail(E.ERR_INVALID_ARGUMENT);
    if (physical >= 1n << 52n) return fail(E.ERR_OUT_OF_RANGE);
    const offset = Number(physical & 4095n);
    const pages = this.ioPages(offset, size);
    if (pages < 0) return fail(pages);
    const first = Number(physical / PAGE_BYTES);
    if (first > this.ioFrameLimit() - pages) return fail(E.ERR_OUT_OF_RANGE);
    if ((flags & REGION_IO_ALLOW_RAM) === 0) {
      const end = Math.min(first + pages, this.layout.ramFrames);
      for (let f = first; f < end; f++) {
        const reserved = this.layout.reservedFrames.find((r) => f >= r.start && f < r.end);
        if (reserved === undefined) return fail(E.ERR_OVERLAP);
        f = reserved.end - 1;
      }
    }
    if (this.layout.ioSlots > 0 && this.ioMappings.length >= this.layout.ioSlots - (this.layout.ioSlots >> 2)) return fail(E.ERR_POOL_EXHAUSTED);
    const page = this.ioFit(window, pages);
    if (page < 0) return fail(E.ERR_NO_FREE_REGION);
    return { ok: true, mapping: { page, pages, firstFrame: first, offset, size, flags } };
  }

  /** Records an I/O mapping: an extent of device frames (never freed, never owned) and the registry's entry. */
  applyMapIo(m: IoMapping): Extent {
    const frames = new Int32Array(m.pages);
    for (let k = 0; k < m.pages; k++) frames[k] = m.firstFrame + k;
    const cache = m.flags & (REGION_UC | REGION_WC);
    const extent: Extent = {
      start: m.page,
      pages: m.pages,
      committed: true,
      frames,
      fixed: true,
      io: m,
      write: true,
      user: false,
      nx: true,
      flags: REGION_COMMIT | REGION_READWRITE | REGION_NO_EXECUTE | REGION_IO | cache,
      serial: ++this.serial,
    };
    this.extents.splice(this.lowerBound(m.page), 0, extent);
    let k = this.ioMappings.length;
    while (k > 0 && this.ioMappings[k - 1]!.page > m.page) k--;
    this.ioMappings.splice(k, 0, m);
    return extent;
  }

  /**
   * unmapIOMemory: the window, the pages [linear's offset, + size) touches, a mapping whose first
   * page is linear's page (ERR_NOT_MAPPED), of exactly that many pages (ERR_INVALID_ARGUMENT).
   */
  expectUnmapIo(linear: bigint, size: bigint): UnmapIoExpectation {
    if (this.layout.ioWindows.length === 0) return fail(E.ERR_NOT_INITIALISED);
    const pages = this.ioPages(Number(linear & 4095n), size);
    if (pages < 0) return fail(pages);
    const page = addressToPage(linear);
    const mapping = this.ioMappings.find((m) => m.page === page);
    if (mapping === undefined) return fail(E.ERR_NOT_MAPPED);
    if (mapping.pages !== pages) return fail(E.ERR_INVALID_ARGUMENT);
    return { ok: true, mapping };
  }

  applyUnmapIo(m: IoMapping): void {
    this.ioMappings.splice(this.ioMappings.indexOf(m), 1);
    const k = this.lowerBound(m.page);
    if (this.extents[k]?.io === m) this.extents.splice(k, 1);
  }

  /** isRegionFree: 1 when no page of the range is taken, 0 otherwise, or the error. */
  expectIsFree(base: bigint, size: bigint): number {
    const sizeError = this.checkSize(size);
    if (sizeError !== E.ERR_NONE) return sizeError;
    const range = this.checkRange(base, size, SIDE_ANY);
    if ('error' in range) return range.error;
    return this.isFree(addressToPage(base), Number(size / PAGE_BYTES)) ? 1 : 0;
  }

  /**
   * findFreeRegion: the lowest free page-aligned range of `size` bytes at or above `start` (so an
   * unaligned start rounds up), in the space `start` lies in.
   */
  expectFindFree(start: bigint, size: bigint): Expected {
    const sizeError = this.checkSize(size);
    if (sizeError !== E.ERR_NONE) return fail(sizeError);
    const range = this.checkRange(start & ~4095n, PAGE_BYTES, SIDE_ANY);
    if ('error' in range) return range;
    const from = Number((start + 4095n) / PAGE_BYTES);
    const found = this.findFit(range.space, from, Number(size / PAGE_BYTES), 1);
    if (found < 0) return fail(E.ERR_NO_FREE_REGION);
    return okAddress(pageToAddress(found));
  }

  /**
   * mapLinearToPhysical: the physical address behind a linear one; `unknown` when the page is
   * mapped to a fresh frame the model has not observed yet (the caller learns it).
   */
  expectTranslate(address: bigint): Expected | { unknown: { extent: Extent; index: number } } {
    if (!isCanonical(this.layout, address)) return fail(E.ERR_NON_CANONICAL);
    const page = addressToPage(address);
    const offset = address & 4095n;
    const hit = this.extentAt(page);
    if (hit !== null) {
      if (!hit.extent.committed) return fail(E.ERR_NOT_MAPPED);
      const frame = hit.extent.frames![hit.index]!;
      if (frame < 0) return { unknown: hit };
      return okAddress(pageToAddress(frame) + offset);
    }
    const base = this.layout.baseline.find((r) => page >= r.start && page < r.end);
    if (base !== undefined) return okAddress(pageToAddress(base.firstFrame + page - base.start) + offset);
    return fail(E.ERR_NOT_MAPPED);
  }

  /** The rights the MMU must show for a page of an extent. */
  rightsOf(extent: Extent): { write: boolean; user: boolean; nx: boolean } {
    return { write: extent.write, user: extent.user, nx: extent.nx && this.layout.nx };
  }

  /** Forgets every extent of a space (its address space was released). */
  dropSpace(space: SpaceName): void {
    const bounds = this.spaceBounds(space);
    for (let k = this.extents.length - 1; k >= 0; k--) {
      const e = this.extents[k]!;
      if (e.start >= bounds.start && e.start < bounds.end) this.extents.splice(k, 1);
    }
  }

  /** Every extent, for messages. */
  describe(): string {
    return this.extents
      .map((e) => `${hexPage(e.start)}+${e.pages}p ${e.io ? 'io' : e.committed ? (e.fixed ? 'fixed' : 'mapped') : 'reserved'} #${e.serial} flags=${e.flags}${e.committed ? ` w=${e.write} nx=${e.nx}` : ''}`)
      .join('\n');
  }
}

// =============================================================================================
// Part 2: inspections of the emulated machine (no side effects)
// =============================================================================================

/** A present leaf (or a run of them) found by the table walker, with its effective rights. */
export interface RawLeaf {
  /** First linear page (canonical, unsigned). */
  page: number;
  /** First frame. */
  frame: number;
  /** 4 KiB pages it maps (consecutive frames). */
  pages: number;
  write: boolean;
  user: boolean;
  nx: boolean;
  /** The software bit 9 (frame not the manager's: FIXED or I/O). */
  foreign: boolean;
  /** Made of leaves larger than 4 KiB (runs never mix sizes). */
  large: boolean;
  /** PCD and PWT of the leaves. */
  uncached: boolean;
  writeThrough: boolean;
}

/** A table found by the walker. */
export interface RawTable {
  frame: number;
  /** Its level: 1 = page table ... archLevels = root. */
  level: number;
  /** Present entries. */
  present: number;
  /** First linear page it maps, and how many. */
  page: number;
  span: number;
}

export interface RawWalk {
  /** Every distinct table of the hierarchies walked (roots included), by frame. */
  tables: Map<number, RawTable>;
  /**
   * Leaves per root, in address order, merged into runs of consecutive pages mapped to
   * consecutive frames with the same rights (shared tables are read once, their leaves reported
   * for every root).
   */
  leaves: Map<number, RawLeaf[]>;
  /** Leaves larger than 4 KiB seen (each root counts). */
  largeLeaves: number;
  /** Inconsistencies the walk itself saw (a table reached at two levels, ...). */
  problems: string[];
}

interface FormatInfo {
  levels: number;
  entryWords: 1 | 2;
  /** Entries per table at a level. */
  entries: (level: number) => number;
  /** log2 of the pages one entry at a level spans. */
  spanShift: (level: number) => number;
}

export const formatOf = (mode: ModeName): FormatInfo => {
  switch (mode) {
    case 'two-level':
      return { levels: 2, entryWords: 1, entries: () => 1024, spanShift: (l) => 10 * (l - 1) };
    case 'pae':
      return { levels: 3, entryWords: 2, entries: (l) => (l === 3 ? 4 : 512), spanShift: (l) => 9 * (l - 1) };
    default: {
      const levels = mode === 'five-level' ? 5 : 4;
      return { levels, entryWords: 2, entries: () => 512, spanShift: (l) => 9 * (l - 1) };
    }
  }
};

/** 1 when a table's words are all zero (a native 4 KiB compare: most pinned kernel tables are empty). */
const ZERO_TABLE = Buffer.alloc(4096);
const byteViews = new WeakMap<Int32Array, Buffer>();
const isZeroTable = (words: Int32Array): boolean => {
  let view = byteViews.get(words);
  if (view === undefined) {
    view = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
    byteViews.set(words, view);
  }
  return view.equals(ZERO_TABLE);
};

const ENTRY_P = 1;
const ENTRY_RW = 2;
const ENTRY_US = 4;
const ENTRY_PWT = 8;
const ENTRY_PCD = 16;
const ENTRY_PS = 128;
const ENTRY_FOREIGN = 512;

/**
 * Walks the hierarchies of `roots` in physical memory. Tables in `skip` (static set-up tables,
 * e.g. the low-memory map) are counted but not read. Never-written frames read as empty tables.
 */
export const walkTables = (machine: EmulatedMachine, mode: ModeName, roots: readonly number[], skip: ReadonlySet<number> = new Set()): RawWalk => {
  const format = formatOf(mode);
  const tables = new Map<number, RawTable>();
  const leaves = new Map<number, RawLeaf[]>();
  const problems: string[] = [];
  let largeLeaves = 0;
  const words = (frame: number): Int32Array | undefined => machine.memory.frameWords(frame);
  /** Present entries of a table: [index, lo, hi] triples, read once per walk. */
  const scanned = new Map<number, number[]>();
  const scan = (frame: number, level: number): number[] => {
    let list = scanned.get(frame);
    if (list !== undefined) return list;
    list = [];
    const w = words(frame);
    const n = format.entries(level);
    if (w !== undefined && !isZeroTable(w)) {
      if (format.entryWords === 1) {
        for (let i = 0; i < n; i++) {
          const lo = w[i]!;
          if ((lo & ENTRY_P) !== 0) list.push(i, lo, 0);
        }
      } else {
        for (let i = 0; i < n; i++) {
          const lo = w[2 * i]!;
          if ((lo & ENTRY_P) !== 0) list.push(i, lo, w[2 * i + 1]!);
        }
      }
    }
    scanned.set(frame, list);
    return list;
  };
  /** Added to the linear page of a root entry's span in the upper half (sign extension of long mode). */
  const upperOffset = (rawPage: number): number => {
    if (format.levels < 4) return 0;
    const bits = format.levels === 5 ? 45 : 36; // page-number bits of a linear address
    return rawPage >= 2 ** (bits - 1) ? TOP_PAGE - 2 ** bits : 0;
  };
  const frameOf = (level: number, lo: number, hi: number, leaf: boolean): number => {
    if (mode === 'two-level') {
      if (level === 2 && leaf) return ((lo >>> 22) << 10) + ((lo >>> 13) & 0xff) * 2 ** 20;
      return lo >>> 12;
    }
    const frame = (hi & 0xfffff) * 2 ** 20 + (lo >>> 12);
    if (leaf && level > 1) {
      const span = 2 ** format.spanShift(level);
      return frame - (frame % span); // bit 12 is PAT in a large leaf
    }
    return frame;
  };
  const visit = (root: number, frame: number, level: number, rawPage: number /* canonical below the root */, write: boolean, user: boolean, nx: boolean, out: RawLeaf[]): void => {
    const span = 2 ** format.spanShift(level);
    const entrySpan = level === 1 ? 1 : span;
    const tableSpan = entrySpan * format.entries(level);
    const known = tables.get(frame);
    if (known === undefined) {
      tables.set(frame, { frame, level, present: 0, page: rawPage, span: tableSpan });
    } else if (known.level !== level) {
      problems.push(`table frame ${frame} reached at levels ${known.level} and ${level}`);
      return;
    }
    if (skip.has(frame)) return;
    if (level === 1) {
      visitPageTable(frame, rawPage, write, user, nx, out);
      return;
    }
    const list = scan(frame, level);
    tables.get(frame)!.present = list.length / 3;
    for (let k = 0; k < list.length; k += 3) {
      const index = list[k]!;
      const lo = list[k + 1]!;
      const hi = list[k + 2]!;
      let page = rawPage + index * entrySpan;
      if (level === format.levels) page += upperOffset(page); // canonical from here down
      const pdpte = mode === 'pae' && level === 3;
      const w = pdpte ? write : write && (lo & ENTRY_RW) !== 0;
      const u = pdpte ? user : user && (lo & ENTRY_US) !== 0;
      const x = nx || (mode !== 'two-level' && (hi & 0x80000000) !== 0);
      const leaf = !pdpte && level <= 3 && (lo & ENTRY_PS) !== 0 && !(mode === 'two-level' && level > 2);
      if (!leaf) {
        visit(root, frameOf(level, lo, hi, false), level - 1, page, w, u, x, out);
        continue;
      }
      addLeaf(level, page, lo, hi, w, u, x, out);
    }
  };
  /** A leaf entry: a new run of pages, or the continuation of the last one. */
  const addLeaf = (level: number, page: number, lo: number, hi: number, w: boolean, u: boolean, x: boolean, out: RawLeaf[]): void => {
    const entrySpan = level === 1 ? 1 : 2 ** format.spanShift(level);
    const leafFrame = frameOf(level, lo, hi, true);
    const foreign = (lo & ENTRY_FOREIGN) !== 0;
    const large = entrySpan > 1;
    const uncached = (lo & ENTRY_PCD) !== 0;
    const writeThrough = (lo & ENTRY_PWT) !== 0;
    if (large) largeLeaves++;
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      last.page + last.pages === page &&
      last.frame + last.pages === leafFrame &&
      last.write === w &&
      last.user === u &&
      last.nx === x &&
      last.foreign === foreign &&
      last.large === large &&
      last.uncached === uncached &&
      last.writeThrough === writeThrough
    ) {
      last.pages += entrySpan; // one run of pages with consecutive frames and the same rights
      return;
    }
    out.push({ page, frame: leafFrame, pages: entrySpan, write: w, user: u, nx: x, foreign, large, uncached, writeThrough });
  };
  /**
   * A page table (level 1: every present entry is a leaf), read straight from its words (no entry
   * list: a gigabyte mapped with 4 KiB pages is 262,144 entries per walk). An entry equal to the one
   * before it plus one frame (same flags, same high word) continues the last run as it is.
   */
  const visitPageTable = (frame: number, rawPage: number, write: boolean, user: boolean, nx: boolean, out: RawLeaf[]): void => {
    const wds = words(frame);
    let present = 0;
    if (wds !== undefined && !isZeroTable(wds)) {
      const n = format.entries(1);
      const narrow = format.entryWords === 1;
      let prevIndex = -2;
      let prevLo = 0;
      let prevHi = 0;
      for (let i = 0; i < n; i++) {
        const lo = narrow ? wds[i]! : wds[2 * i]!;
        if ((lo & ENTRY_P) === 0) continue;
        const hi = narrow ? 0 : wds[2 * i + 1]!;
        present++;
        if (prevIndex === i - 1 && lo === ((prevLo + 4096) | 0) && hi === prevHi) {
          out[out.length - 1]!.pages += 1; // the run the entry before made or extended
        } else {
          const w = write && (lo & ENTRY_RW) !== 0;
          const u = user && (lo & ENTRY_US) !== 0;
          const x = nx || (mode !== 'two-level' && (hi & 0x80000000) !== 0);
          addLeaf(1, rawPage + i, lo, hi, w, u, x, out);
        }
        prevIndex = i;
        prevLo = lo;
        prevHi = hi;
      }
    }
    tables.get(frame)!.present = present;
  };
  for (const root of roots) {
    const out: RawLeaf[] = [];
    visit(root, root, format.levels, 0, true, true, false, out); // in address order: entries are visited in index order
    leaves.set(root, out);
  }
  return { tables, leaves, problems, largeLeaves };
};

/** Merges address-ordered leaves into runs (consecutive pages and frames, the same rights), as walkTables reports them. */
export const mergeRuns = (leaves: readonly RawLeaf[]): RawLeaf[] => {
  const out: RawLeaf[] = [];
  for (const l of leaves) {
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      last.page + last.pages === l.page &&
      last.frame + last.pages === l.frame &&
      last.write === l.write &&
      last.user === l.user &&
      last.nx === l.nx &&
      last.foreign === l.foreign &&
      last.large === l.large &&
      last.uncached === l.uncached &&
      last.writeThrough === l.writeThrough
    ) {
      last.pages += l.pages;
    } else out.push({ ...l });
  }
  return out;
};

/** The page bitmap's storage as the tests' set-up places it: at physical 1 MiB (STORAGE_FRAME). */
export const BITMAP_PHYSICAL = 0x100000;

/** Reads the bitmap's used and reserved words straight from physical memory. */
export const readBitmap = (machine: EmulatedMachine, frames: number): { used: Int32Array; reserved: Int32Array } => {
  const words = Math.ceil(frames / 32);
  const used = new Int32Array(words);
  const reserved = new Int32Array(words);
  for (let k = 0; k < words; k++) {
    used[k] = machine.readPhys32(BITMAP_PHYSICAL + 4 * k);
    reserved[k] = machine.readPhys32(BITMAP_PHYSICAL + 4 * (words + k));
  }
  return { used, reserved };
};

export const bitIsSet = (words: Int32Array, frame: number): boolean => ((words[frame >> 5]! >>> (frame & 31)) & 1) !== 0;

/**
 * The number of distinct tables in the hierarchies of `roots` (roots included), reading only
 * the entries of tables above level 1 (a page table's entries are all leaves): the cheap count
 * for the frame equation. Tables in `skip` are counted, not read.
 */
export const countTables = (machine: EmulatedMachine, mode: ModeName, roots: readonly number[], skip: ReadonlySet<number> = new Set()): number => {
  const format = formatOf(mode);
  const seen = new Set<number>();
  const visit = (frame: number, level: number): void => {
    if (seen.has(frame)) return;
    seen.add(frame);
    if (level === 1 || skip.has(frame)) return;
    const w = machine.memory.frameWords(frame);
    if (w === undefined || isZeroTable(w)) return;
    const n = format.entries(level);
    const pdpte = mode === 'pae' && level === 3;
    if (format.entryWords === 1) {
      for (let i = 0; i < n; i++) {
        const lo = w[i]!;
        if ((lo & ENTRY_P) !== 0 && (lo & ENTRY_PS) === 0) visit(lo >>> 12, level - 1);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const lo = w[2 * i]!;
      if ((lo & ENTRY_P) === 0) continue;
      if (!pdpte && level <= 3 && (lo & ENTRY_PS) !== 0) continue; // a large leaf
      visit((w[2 * i + 1]! & 0xfffff) * 2 ** 20 + (lo >>> 12), level - 1);
    }
  };
  for (const root of roots) visit(root, format.levels);
  return seen.size;
};

// =============================================================================================
// Part 3: the operation generator (shared by the property test and the native differential)
// =============================================================================================

/** Values of RegionOp.k: [0, OP_KINDS) (see RegionOpGenerator.apply). */
export const OP_KINDS = 1220;

/** One abstract operation: `k` picks the call, a/b/c drive every choice it makes. */
export interface RegionOp {
  k: number;
  a: number;
  b: number;
  c: number;
}

/** A deterministic stream of choices for one op (mulberry32 over its numbers). */
export class Choices {
  private state: number;
  constructor(op: RegionOp) {
    this.state = (op.a ^ Math.imul(op.b, 0x9e3779b1) ^ Math.imul(op.c, 0x85ebca6b)) | 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi] (inclusive), exact up to 2^53. */
  range(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (span <= 2 ** 32) return lo + this.int(span);
    return lo + Math.floor(((this.next() * 2 ** 21 + this.int(2 ** 21)) / 2 ** 42) * span);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A concrete region call (addresses and sizes as unsigned 64-bit values). */
export type RegionCall =
  | { fn: 'allocRegion'; base: bigint; target: bigint; size: bigint; flags: number; inject: number }
  | { fn: 'allocKernelRegion'; target: bigint; size: bigint; flags: number; inject: number }
  | { fn: 'freeRegion'; base: bigint; size: bigint; inject: number }
  | { fn: 'resizeRegion'; base: bigint; target: bigint; size: bigint; newSize: bigint; flags: number; inject: number }
  | { fn: 'mapLinearToPhysical'; address: bigint }
  | { fn: 'isRegionFree'; base: bigint; size: bigint }
  | { fn: 'findFreeRegion'; start: bigint; size: bigint }
  | { fn: 'protectRegion'; base: bigint; size: bigint; flags: number; inject: number }
  | { fn: 'mapIOMemory'; physical: bigint; size: bigint; flags: number; inject: number }
  | { fn: 'unmapIOMemory'; linear: bigint; size: bigint };

/** The call's int32 arguments, in the API's order. */
export const callArgs = (c: RegionCall): number[] => {
  switch (c.fn) {
    case 'allocRegion':
      return [...toPair(c.base), ...toPair(c.target), ...toPair(c.size), c.flags];
    case 'allocKernelRegion':
      return [...toPair(c.target), ...toPair(c.size), c.flags];
    case 'freeRegion':
      return [...toPair(c.base), ...toPair(c.size)];
    case 'resizeRegion':
      return [...toPair(c.base), ...toPair(c.target), ...toPair(c.size), ...toPair(c.newSize), c.flags];
    case 'mapLinearToPhysical':
      return toPair(c.address);
    case 'isRegionFree':
      return [...toPair(c.base), ...toPair(c.size)];
    case 'findFreeRegion':
      return [...toPair(c.start), ...toPair(c.size)];
    case 'protectRegion':
      return [...toPair(c.base), ...toPair(c.size), c.flags];
    case 'mapIOMemory':
      return [...toPair(c.physical), ...toPair(c.size), c.flags];
    case 'unmapIOMemory':
      return [...toPair(c.linear), ...toPair(c.size)];
  }
};

export const describeCall = (c: RegionCall): string => {
  switch (c.fn) {
    case 'allocRegion':
      return `allocRegion(${hexAddress(c.base)}, target ${hexAddress(c.target)}, size ${hexAddress(c.size)}, flags ${c.flags})`;
    case 'allocKernelRegion':
      return `allocKernelRegion(target ${hexAddress(c.target)}, size ${hexAddress(c.size)}, flags ${c.flags})`;
    case 'freeRegion':
      return `freeRegion(${hexAddress(c.base)}, size ${hexAddress(c.size)})`;
    case 'resizeRegion':
      return `resizeRegion(${hexAddress(c.base)}, target ${hexAddress(c.target)}, ${hexAddress(c.size)} -> ${hexAddress(c.newSize)}, flags ${c.flags})`;
    case 'mapLinearToPhysical':
      return `mapLinearToPhysical(${hexAddress(c.address)})`;
    case 'isRegionFree':
      return `isRegionFree(${hexAddress(c.base)}, ${hexAddress(c.size)})`;
    case 'findFreeRegion':
      return `findFreeRegion(${hexAddress(c.start)}, ${hexAddress(c.size)})`;
    case 'protectRegion':
      return `protectRegion(${hexAddress(c.base)}, size ${hexAddress(c.size)}, flags ${c.flags})`;
    case 'mapIOMemory':
      return `mapIOMemory(${hexAddress(c.physical)}, size ${hexAddress(c.size)}, flags ${c.flags})`;
    case 'unmapIOMemory':
      return `unmapIOMemory(${hexAddress(c.linear)}, size ${hexAddress(c.size)})`;
  }
};

/** What the model says a call returns (and what it changes). */
export type CallExpectation =
  | { fn: 'alloc'; expectation: AllocExpectation }
  | { fn: 'free'; expectation: FreeExpectation }
  | { fn: 'resize'; expectation: ResizeExpectation }
  | { fn: 'translate'; expectation: Expected | { unknown: { extent: Extent; index: number } } }
  | { fn: 'isFree'; expectation: number }
  | { fn: 'find'; expectation: Expected }
  | { fn: 'protect'; expectation: ProtectExpectation }
  | { fn: 'mapIo'; expectation: MapIoExpectation }
  | { fn: 'unmapIo'; expectation: UnmapIoExpectation };

export const expectCall = (model: RegionModel, c: RegionCall): CallExpectation => {
  switch (c.fn) {
    case 'allocRegion':
      return { fn: 'alloc', expectation: model.expectAlloc(c.base, c.target, c.size, c.flags) };
    case 'allocKernelRegion':
      return { fn: 'alloc', expectation: model.expectAllocKernel(c.target, c.size, c.flags) };
    case 'freeRegion':
      return { fn: 'free', expectation: model.expectFree(c.base, c.size) };
    case 'resizeRegion':
      return { fn: 'resize', expectation: model.expectResize(c.base, c.target, c.size, c.newSize, c.flags) };
    case 'mapLinearToPhysical':
      return { fn: 'translate', expectation: model.expectTranslate(c.address) };
    case 'isRegionFree':
      return { fn: 'isFree', expectation: model.expectIsFree(c.base, c.size) };
    case 'findFreeRegion':
      return { fn: 'find', expectation: model.expectFindFree(c.start, c.size) };
    case 'protectRegion':
      return { fn: 'protect', expectation: model.expectProtect(c.base, c.size, c.flags) };
    case 'mapIOMemory':
      return { fn: 'mapIo', expectation: model.expectMapIo(c.physical, c.size, c.flags) };
    case 'unmapIOMemory':
      return { fn: 'unmapIo', expectation: model.expectUnmapIo(c.linear, c.size) };
  }
};

/** A call's result as the model expects it: ERR_*, or an address (lo, hi), for comparison. */
export const expectedResult = (e: CallExpectation): Expected | null => {
  switch (e.fn) {
    case 'alloc':
      return 'error' in e.expectation ? e.expectation : okAddress(pageToAddress(e.expectation.plan.page));
    case 'free':
      return 'error' in e.expectation ? e.expectation : { ok: true, lo: 0, hi: 0 };
    case 'resize':
      return 'error' in e.expectation ? e.expectation : null; // success: the base (set by the caller)
    case 'translate':
      return 'unknown' in e.expectation ? null : e.expectation;
    case 'isFree':
      return e.expectation < 0 ? { error: e.expectation } : { ok: true, lo: e.expectation, hi: 0 };
    case 'find':
      return e.expectation;
    case 'protect':
    case 'unmapIo':
      return 'error' in e.expectation ? e.expectation : { ok: true, lo: 0, hi: 0 };
    case 'mapIo':
      return 'error' in e.expectation ? e.expectation : okAddress(pageToAddress(e.expectation.mapping.page) + BigInt(e.expectation.mapping.offset));
  }
};

/** Frames the test took from the bitmap, for FIXED targets. */
export interface HeldRun {
  first: number;
  count: number;
}

/** Where the generator's calls go: the property test checks them, the differential records them. */
export interface GeneratorHost {
  /** Makes the call (the property test also compares it with `expected`); returns its result and pairHi. */
  call(c: RegionCall, expected: CallExpectation): { result: number; hi: number };
  /** frameAllocContiguous(count, align) for the test's own frames. */
  takeFrames(count: number, align: number): number;
  /** frameFreeRange(first, count) of frames the test gives back. */
  freeFrames(first: number, count: number): number;
  /** A context switch: CR3 to the other root. */
  switchRoot(): void;
  /**
   * The process exits and another starts: CR3 away from the user root, addressSpaceRelease of
   * it, virtualSpaceDestroy of its space, then addressSpaceCreate, virtualSpaceCreate,
   * regionsUseUserSpace and CR3 to the new root. Returns false if that did not work out.
   */
  newProcess(): boolean;
  /** A line for the failure log. */
  note(text: string): void;
}

export interface GeneratorLimits {
  /** Fresh mapped pages the sequences may hold (beyond it, commits become reservations). */
  ownPages: number;
  /** Frames the test may hold for FIXED. */
  heldFrames: number;
  /** Extents the model may hold, I/O mappings not counted (beyond it, commits become reservations). */
  extents: number;
  /** Features to leave out while a known bug is open (property test knobs). */
  avoid: ReadonlySet<string>;
}

/**
 * Turns abstract ops into region calls aimed at the model's current state - real regions, their
 * neighbours, free gaps, fresh parts of the spaces - and keeps the model in step with the results.
 */
export class RegionOpGenerator {
  readonly model: RegionModel;
  readonly held: HeldRun[] = [];
  /** Ranges freed lately (double frees, probes of unmapped pages). */
  readonly recentlyFreed: { page: number; pages: number }[] = [];
  /** Pages touched lately (preferred probe targets). */
  readonly hot: number[] = [];
  /** I/O mappings removed lately (double unmaps). */
  readonly recentlyUnmappedIo: { linear: bigint; size: bigint }[] = [];
  /** Zones of each space where most placements land, so regions meet and share tables. */
  readonly zones: Record<SpaceName, number[]>;
  readonly stats = { ops: 0, calls: 0, ok: 0, errors: 0, injected: 0, injectedFailures: 0 };
  /** Outcomes per call: "protectRegion ok", "mapIOMemory -12"... (summaries). */
  readonly outcomes = new Map<string, number>();

  constructor(
    readonly layout: ModelLayout,
    readonly host: GeneratorHost,
    readonly limits: GeneratorLimits,
  ) {
    this.model = new RegionModel(layout);
    const i386 = layout.addressBits === 32;
    const kernelMapped = layout.baseline.filter((b) => b.start >= layout.kernel.start).map((b) => b.start);
    const topMapped = kernelMapped.length > 0 ? Math.min(...kernelMapped) : layout.kernel.end;
    this.zones = i386
      ? { user: [0x400, 0x10000, 0x80000], kernel: [0xd0000, 0xe0000, 0xf0000] }
      : {
          user: [0x400, 0x40000, layout.user.end - 0x100000],
          kernel: [layout.kernelSearchBase, layout.kernel.start, topMapped - 0x100000],
        };
  }

  get large(): number {
    return this.layout.mode === 'two-level' ? 1024 : 512;
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  holdsFrames(first: number, count: number): boolean {
    return this.held.some((h) => first >= h.first && first + count <= h.first + h.count);
  }

  /** Frames beyond RAM that FIXED targets may name (device memory: nobody's, never touched). */
  isDevice(first: number, count: number): boolean {
    return first >= this.layout.ramFrames && first + count <= this.layout.deviceFrameLimit;
  }

  /** Frames a FIXED target may use: the test's own, or device memory. */
  mayTarget(first: number, count: number): boolean {
    return this.holdsFrames(first, count) || this.isDevice(first, count);
  }

  heldCount(): number {
    return this.held.reduce((n, h) => n + h.count, 0);
  }

  private takeFrames(count: number, align: number): HeldRun | null {
    if (this.heldCount() + count > this.limits.heldFrames) return null;
    const first = this.host.takeFrames(count, align);
    this.host.note(`test takes ${count} frames (align ${align}) -> ${first < 0 ? first : `frame 0x${first.toString(16)}`}`);
    if (first < 0) return null;
    const run = { first, count };
    this.held.push(run);
    return run;
  }

  /** Held runs that no model extent maps. */
  private unreferencedRuns(): HeldRun[] {
    return this.held.filter((h) => !this.model.extents.some((e) => e.fixed && e.frames !== null && e.frames[0]! < h.first + h.count && e.frames[0]! + e.pages > h.first));
  }

  private touch(page: number, pages: number): void {
    this.hot.push(page, page + pages - 1, page + Math.floor(pages / 2));
    while (this.hot.length > 12) this.hot.shift();
  }

  private freed(page: number, pages: number): void {
    this.model.applyFree(page, pages);
    this.recentlyFreed.push({ page, pages });
    if (this.recentlyFreed.length > 8) this.recentlyFreed.shift();
    this.touch(page, pages);
  }

  /** Makes a call and applies what the model expected if the result says it happened. */
  private issue(c: RegionCall): void {
    let expected = expectCall(this.model, c);
    // the host cannot compare a mapped page's frame it has not observed: it learns it first
    const inject = 'inject' in c ? c.inject : 0;
    if (inject > 0) this.stats.injected++;
    this.stats.calls++;
    const { result, hi } = this.host.call(c, expected);
    if (c.fn === 'mapLinearToPhysical') expected = expectCall(this.model, c); // (frames may have been learned)
    const ok = E.isErrorCode(result) === 0 && !(expected.fn === 'isFree' && result !== expected.expectation);
    const outcome = `${c.fn} ${E.isErrorCode(result) === 1 ? result : 'ok'}`;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    if (!ok) {
      if (result === E.ERR_OUT_OF_MEMORY && inject > 0) this.stats.injectedFailures++;
      else this.stats.errors++;
      return;
    }
    this.stats.ok++;
    if (expected.fn === 'alloc' && 'ok' in expected.expectation) {
      const plan = expected.expectation.plan;
      if (toPair(pageToAddress(plan.page))[0] !== result || toPair(pageToAddress(plan.page))[1] !== hi) return; // not what the model said
      const extent = this.model.applyAlloc(plan);
      this.touch(extent.start, extent.pages);
    } else if (expected.fn === 'free' && 'ok' in expected.expectation) {
      this.freed(expected.expectation.page, expected.expectation.pages);
    } else if (expected.fn === 'resize' && 'ok' in expected.expectation) {
      const e = expected.expectation;
      if (e.kind === 'shrink') this.freed(e.tail, e.tailPages);
      else if (e.kind === 'grow') {
        const extent = this.model.applyAlloc(e.plan);
        this.touch(extent.start, extent.pages);
      }
    } else if (expected.fn === 'protect' && 'ok' in expected.expectation) {
      const e = expected.expectation;
      this.model.applyProtect(e.page, e.pages, e.write, e.nx);
      this.touch(e.page, e.pages);
    } else if (expected.fn === 'mapIo' && 'ok' in expected.expectation) {
      const m = expected.expectation.mapping;
      const [lo, h] = toPair(pageToAddress(m.page) + BigInt(m.offset));
      if (lo !== result || h !== hi) return; // not what the model said
      this.model.applyMapIo(m);
      this.touch(m.page, m.pages);
    } else if (expected.fn === 'unmapIo' && 'ok' in expected.expectation) {
      const m = expected.expectation.mapping;
      this.model.applyUnmapIo(m);
      this.recentlyUnmappedIo.push({ linear: pageToAddress(m.page) + BigInt(m.offset), size: m.size });
      if (this.recentlyUnmappedIo.length > 4) this.recentlyUnmappedIo.shift();
      this.recentlyFreed.push({ page: m.page, pages: m.pages });
      if (this.recentlyFreed.length > 8) this.recentlyFreed.shift();
      this.touch(m.page, m.pages);
    }
  }

  // ---- choices ---------------------------------------------------------------------------------

  /** A size in pages: mostly small, often large-page multiples; reserve-only ones may be huge. */
  private pagesFor(r: Choices, commit: boolean): number {
    const x = r.int(100);
    if (x < 30) return 1;
    if (x < 55) return r.range(2, 16);
    if (x < 68) return r.range(17, 511);
    if (x < 78) return 512;
    if (x < 84) return 1024;
    if (x < 92) return 512 * r.range(1, 3) + r.range(0, 3);
    if (x < 96 || commit) return r.pick([1536, 2048, 1023, 513]);
    return r.pick([0x4000, 0x10000, 0x40000, 0x3ffff]); // reserve-only: 64 MiB .. 1 GiB
  }

  private spaceFor(r: Choices): SpaceName {
    return r.chance(0.7) ? 'user' : 'kernel';
  }

  /** An exact place for `pages` pages: free spots, next to regions, overlaps, the end, fresh parts. */
  private placeFor(r: Choices, space: SpaceName, pages: number): number {
    const bounds = this.model.spaceBounds(space);
    const inSpace = this.model.extents.filter((e) => e.start >= bounds.start && e.start < bounds.end);
    const align = r.pick([1, 1, 512, 1024]);
    const x = r.int(100);
    if (x < 30) {
      const zone = r.pick(this.zones[space]);
      const free = this.model.freeRanges(space).filter((f) => f.end > zone && f.end - Math.max(f.start, zone) >= pages);
      const f = free[r.int(Math.min(3, free.length))];
      if (f !== undefined) {
        const start = Math.ceil(Math.max(f.start, zone) / align) * align;
        return start + pages <= f.end ? start : Math.max(f.start, zone);
      }
    }
    if (x < 50 && inSpace.length > 0) {
      const e = r.pick(inSpace);
      return r.chance(0.8) ? e.start + e.pages : Math.max(bounds.start, e.start - pages);
    }
    if (x < 62 && inSpace.length > 0) {
      const e = r.pick(inSpace);
      return Math.max(bounds.start, e.start + r.range(-pages, e.pages)); // most likely overlapping
    }
    if (x < 64 && !(this.limits.avoid.has('resize-wrap') && space === 'kernel')) return bounds.end - pages; // the very end of the space
    if (x < 80) {
      // a fresh part of the space: new tables all the way down
      const page = r.range(bounds.start, bounds.end - pages - 1);
      const aligned = Math.floor(page / align) * align;
      return aligned >= bounds.start ? aligned : bounds.start;
    }
    const zone = r.pick(this.zones[space]);
    return Math.floor((zone + r.int(0x8000)) / align) * align;
  }

  /** Flags for a call in a space (valid unless the caller breaks them). */
  private flagsFor(r: Choices, space: SpaceName): number {
    let flags = 0;
    if (r.chance(0.8)) flags |= REGION_COMMIT;
    if (r.chance(0.7)) flags |= REGION_READWRITE;
    if (r.chance(0.4)) flags |= REGION_NO_EXECUTE;
    if (r.chance(0.08)) flags |= REGION_SMALL_PAGES;
    if (r.chance(0.04)) flags |= REGION_UC;
    if (r.chance(0.03)) flags |= REGION_WC;
    if (space === 'user') flags |= REGION_USER;
    return flags;
  }

  /**
   * A FIXED target for `pages` pages: frames the test holds (taken now if needed), or device
   * memory beyond RAM (large-page aligned when the size allows), or 0n.
   */
  private deviceTarget(r: Choices, pages: number): bigint {
    const align = pages >= 262144 && this.layout.searchAligns[0] === 262144 ? 262144 : pages >= this.large ? this.large : r.pick([1, 8]);
    const lowest = Math.max(this.layout.ramFrames, this.layout.deviceFrameLimit > 2 ** 20 && r.chance(0.5) ? 2 ** 20 : 0);
    const highest = this.layout.deviceFrameLimit - pages - align;
    return highest > lowest ? pageToAddress(Math.ceil(r.range(lowest, highest) / align) * align) : 0n;
  }

  private fixedTarget(r: Choices, pages: number): bigint {
    if (r.chance(0.3)) {
      const device = this.deviceTarget(r, pages);
      if (device !== 0n) return device;
    }
    const fits = this.held.filter((h) => h.count >= pages);
    if (fits.length > 0 && r.chance(0.6)) {
      const h = r.pick(fits);
      const offset = r.chance(0.5) ? 0 : r.int(h.count - pages + 1);
      return pageToAddress(h.first + offset);
    }
    const run = this.takeFrames(pages + (r.chance(0.5) ? r.int(pages + 1) : 0), pages >= this.large ? this.large : r.pick([1, 1, 8]));
    return run === null ? 0n : pageToAddress(run.first);
  }

  /** k for frameInjectFailure before a changing call (0: none); dropped where nothing is allocated. */
  private injectFor(r: Choices): number {
    if (!r.chance(0.06)) return 0;
    return r.chance(0.7) ? r.range(1, 3) : r.range(4, 12);
  }

  /** A FIXED success must use frames the test holds: corrupted calls that would not are not made. */
  private fixedOk(c: RegionCall): boolean {
    const e = expectCall(this.model, c);
    const plan = e.fn === 'alloc' && 'ok' in e.expectation ? e.expectation.plan : e.fn === 'resize' && 'ok' in e.expectation && e.expectation.kind === 'grow' ? e.expectation.plan : null;
    return plan === null || !plan.fixed || this.mayTarget(plan.targetFrame, plan.pages);
  }

  /** Keeps `inject` only where the model says frames may be taken. */
  private injected(c: RegionCall): RegionCall {
    if (!('inject' in c) || c.inject === 0) return c;
    const e = expectCall(this.model, c);
    let takes = false;
    if (e.fn === 'alloc') takes = 'ok' in e.expectation && e.expectation.plan.committed;
    else if (e.fn === 'free') takes = 'ok' in e.expectation;
    else if (e.fn === 'resize') takes = 'ok' in e.expectation && (e.expectation.kind === 'shrink' || (e.expectation.kind === 'grow' && e.expectation.plan.committed));
    // protectRegion takes tables only to split a large leaf at an end; mapIOMemory its tables
    else if (e.fn === 'protect' || e.fn === 'mapIo') takes = 'ok' in e.expectation;
    return takes ? c : { ...c, inject: 0 };
  }

  /** The avoid tag (an open bug, limits.avoid) a call would meet, or null. */
  private avoided(c: RegionCall): string | null {
    const avoid = this.limits.avoid;
    if (c.fn === 'resizeRegion' && avoid.has('resize-window')) {
      // (bug: resizeRegion does not refuse a region that meets a set-up window)
      const pages = Math.max(1, Math.ceil(Number(c.size) / 4096));
      if (this.model.windowOverlaps(addressToPage(c.base), pages)) return 'resize-window';
    }
    if (c.fn === 'mapIOMemory' && avoid.has('io-high') && c.physical < 1n << 52n) {
      // (bug: mapIOMemory cuts frame numbers its entries or 31 bits cannot hold)
      const last = Number((c.physical + (c.size < 1n << 44n ? c.size : 0n)) / PAGE_BYTES) + 1;
      if (c.physical >= 1n << 43n || (this.layout.mode === 'two-level' && last >= 2 ** 20)) return 'io-high';
    }
    return null;
  }

  private make(call: RegionCall): void {
    // the API sees 64-bit values: a choice past 2^64 (the page after the top region) arrives wrapped
    const c = Object.fromEntries(Object.entries(call).map(([key, v]) => [key, typeof v === 'bigint' ? BigInt.asUintN(64, v) : v])) as RegionCall;
    if (!this.fixedOk(c)) {
      this.host.note('(skipped: a FIXED call with frames the test does not hold)');
      return;
    }
    const avoided = this.avoided(c);
    if (avoided !== null) {
      this.host.note(`(skipped: ${describeCall(c)} meets the open bug '${avoided}')`);
      return;
    }
    this.issue(this.injected(c));
  }

  // ---- the operations --------------------------------------------------------------------------

  private opAlloc(r: Choices, space: SpaceName): void {
    const inject = this.injectFor(r);
    let flags = this.flagsFor(r, space);
    if (this.model.mappedPages().own > this.limits.ownPages || this.model.extents.length - this.model.ioMappings.length > this.limits.extents) flags &= ~REGION_COMMIT;
    let pages = this.pagesFor(r, (flags & REGION_COMMIT) !== 0);
    let target = 0n;
    let hugeDevice = false;
    if ((flags & REGION_COMMIT) !== 0 && r.chance(0.15)) {
      // now and then a gigabyte of device memory in long mode: 1 GiB leaves, split by later frees
      hugeDevice = this.layout.searchAligns[0] === 262144 && r.chance(0.15);
      if (hugeDevice) pages = 262144 * r.range(1, 2) + r.pick([0, 0, 1, 512]);
      target = hugeDevice ? this.deviceTarget(r, pages) : this.fixedTarget(r, pages);
      if (target !== 0n) flags |= REGION_FIXED;
      else if (hugeDevice) flags &= ~REGION_COMMIT;
    }
    const bounds = this.model.spaceBounds(space);
    let base: bigint;
    let kernelApi = false;
    const how = r.int(100);
    if (space === 'kernel' && how < 25) {
      kernelApi = true;
      base = 0n;
    } else if (how < 55 || hugeDevice) {
      base = pageToAddress(hugeDevice ? Math.floor(this.placeFor(r, space, pages) / 262144) * 262144 : this.placeFor(r, space, pages));
    } else if (how < 75) {
      base = 0n;
    } else {
      flags |= REGION_AT_OR_OVER;
      const from = r.chance(0.5) ? r.pick(this.zones[space]) + r.int(0x4000) : this.placeFor(r, space, 1);
      base = pageToAddress(Math.min(from, bounds.end - 1));
    }
    let size = pageToAddress(pages);
    // invalid calls
    if (r.chance(0.1)) {
      switch (r.int(15)) {
        case 0:
          size = 0n;
          break;
        case 1:
          size += BigInt(1 + r.int(4095));
          break;
        case 2:
          base = base === 0n ? 0x1234n : base + BigInt(8 * (1 + r.int(500)));
          break;
        case 3:
          flags ^= REGION_USER;
          break;
        case 4:
          base = this.layout.addressBits === 32 ? 1n << 32n : 1n << BigInt(this.layout.addressBits - 1);
          break;
        case 5:
          base = (this.layout.addressBits === 32 ? 1n << 32n : 1n << 64n) - PAGE_BYTES;
          size = PAGE_BYTES * BigInt(2 + r.int(3));
          flags &= ~REGION_USER;
          break;
        case 6:
          flags |= 1 << (11 + r.int(20));
          break;
        case 7:
          target = PAGE_BYTES * BigInt(0x500 + r.int(100));
          flags &= ~REGION_FIXED;
          break;
        case 8:
          target = 0n;
          flags |= REGION_FIXED;
          break;
        case 9:
          target = (target === 0n ? 0x500000n : target) + 0x800n;
          flags |= REGION_FIXED | REGION_COMMIT;
          break;
        case 10:
          target = target === 0n ? 0x500000n : target;
          flags = (flags | REGION_FIXED) & ~REGION_COMMIT;
          break;
        case 11:
          size = 1n << BigInt(43 + r.int(3));
          break;
        case 12:
          base = pageToAddress(this.layout.user.end - 1);
          size = PAGE_BYTES * 2n;
          flags = (flags | REGION_USER) & ~REGION_AT_OR_OVER;
          break;
        case 13:
          base = PAGE_BYTES * BigInt(1 + r.int(0x3ff));
          break;
        default:
          target = 1n << 52n;
          flags |= REGION_FIXED | REGION_COMMIT;
          break;
      }
    }
    this.make(kernelApi ? { fn: 'allocKernelRegion', target, size, flags, inject } : { fn: 'allocRegion', base, target, size, flags, inject });
  }

  private opFree(r: Choices): void {
    const inject = this.injectFor(r);
    const extents = this.model.extents;
    const free = (base: number | bigint, size: bigint): void =>
      this.make({ fn: 'freeRegion', base: typeof base === 'bigint' ? base : pageToAddress(base), size, inject });
    const x = r.int(100);
    if (extents.length === 0 || x >= 88) {
      // invalid frees
      const bad = r.int(7);
      const recent = this.recentlyFreed[r.int(Math.max(1, this.recentlyFreed.length))];
      if (bad === 6 && this.layout.ioWindows.length > 0) {
        // the I/O window is unmapIOMemory's: any range touching it is refused
        const w = r.pick(this.layout.ioWindows);
        const at = r.pick([w.start - 1, w.start, w.start + r.int(w.end - w.start), w.end - 1]);
        return free(Math.max(at, this.layout.kernel.start), pageToAddress(1 + r.int(3)));
      }
      if (bad === 0 && recent !== undefined) return free(recent.page, pageToAddress(recent.pages)); // double free
      if (bad === 1 && extents.length > 0) {
        const e = r.pick(extents);
        return free(e.start, pageToAddress(e.pages + 1 + r.int(4))); // runs into free space (or the next region)
      }
      if (bad === 2 && extents.length > 0) return free(pageToAddress(r.pick(extents).start) + 0x10n, PAGE_BYTES);
      if (bad === 3 && extents.length > 0) return free(r.pick(extents).start, 0n);
      if (bad === 4 && extents.length > 0) return free(r.pick(extents).start, PAGE_BYTES + 0x200n);
      if (bad === 5) return free(this.layout.addressBits === 32 ? 1n << 32n : 1n << 47n, PAGE_BYTES);
      return free(this.model.freeRanges(this.spaceFor(r))[0]!.start, PAGE_BYTES);
    }
    const e = r.pick(extents);
    if (x < 45 || e.pages === 1) return free(e.start, pageToAddress(e.pages));
    if (x < 60) return free(e.start, pageToAddress(r.range(1, e.pages - 1))); // head
    if (x < 72) {
      const cut = r.range(1, e.pages - 1);
      return free(e.start + cut, pageToAddress(e.pages - cut)); // tail
    }
    if (x < 80 && e.pages > 2) {
      const from = r.range(1, e.pages - 2);
      return free(e.start + from, pageToAddress(r.range(1, e.pages - 1 - from))); // middle
    }
    // a span over adjacent regions, from inside this one to inside the last one
    let end = e.start + e.pages;
    let next = this.model.extentAt(end);
    while (next !== null && r.chance(0.7)) {
      end = next.extent.start + next.extent.pages;
      next = this.model.extentAt(end);
    }
    const from = e.start + r.int(e.pages);
    const to = end - (end - from > 1 ? r.int(Math.min(4, end - from - 1)) : 0);
    return free(from, pageToAddress(to - from));
  }

  private opResize(r: Choices): void {
    const inject = this.injectFor(r);
    const extents = this.model.extents;
    if (extents.length === 0 || r.chance(0.08)) {
      // a region that is not there
      const space = this.spaceFor(r);
      const f = this.model.freeRanges(space).find((g) => g.end - g.start > 4) ?? this.model.freeRanges(space)[0]!;
      const flags = this.flagsFor(r, space) & ~REGION_FIXED;
      return this.make({ fn: 'resizeRegion', base: pageToAddress(f.start), target: 0n, size: PAGE_BYTES, newSize: PAGE_BYTES * 2n, flags, inject });
    }
    const e = r.pick(extents);
    let pages = e.pages;
    if (r.chance(0.2)) {
      // several adjacent regions at once
      let next = this.model.extentAt(e.start + pages);
      while (next !== null && r.chance(0.6)) {
        pages += next.extent.pages;
        next = this.model.extentAt(e.start + pages);
      }
    }
    const base = pageToAddress(e.start);
    const space: SpaceName = e.start >= this.layout.kernel.start ? 'kernel' : 'user';
    let flags = r.chance(0.7) ? e.flags & ~REGION_AT_OR_OVER : this.flagsFor(r, space);
    if (this.model.mappedPages().own > this.limits.ownPages) flags &= ~REGION_COMMIT;
    const grow = r.chance(0.55);
    let newPages = grow ? pages + this.pagesFor(r, (flags & REGION_COMMIT) !== 0) : r.range(1, Math.max(1, pages - 1));
    if (this.limits.avoid.has('resize-wrap') && e.start + newPages > this.layout.kernel.end) newPages = Math.max(1, pages - 1);
    let target = 0n;
    if (grow && (flags & REGION_FIXED) !== 0) {
      // the target grows with the region: the test must hold the frames after it
      const first = e.fixed && e.frames !== null ? e.frames[0]! : -1;
      if (first >= 0 && pages === e.pages && this.mayTarget(first + pages, newPages - pages)) target = pageToAddress(first);
      else {
        const h = this.held.find((run) => run.count >= newPages);
        if (h !== undefined && r.chance(0.5)) target = pageToAddress(h.first);
        else flags &= ~REGION_FIXED;
      }
    } else flags &= ~REGION_FIXED;
    let newSize = pageToAddress(newPages);
    if (r.chance(0.1)) {
      const bad = r.int(6);
      if (bad === 0) flags |= REGION_AT_OR_OVER;
      else if (bad === 1) newSize = 0n;
      else if (bad === 2) flags ^= REGION_USER;
      else if (bad === 3) newSize = pageToAddress(pages);
      else if (bad === 4) pages += 1 + r.int(3); // claims more than is there (or runs into the next region)
      else newSize += BigInt(1 + r.int(4095));
    }
    return this.make({ fn: 'resizeRegion', base, target, size: pageToAddress(pages), newSize, flags, inject });
  }

  private opTranslate(r: Choices): void {
    const x = r.int(100);
    let address: bigint;
    const committed = this.model.extents.filter((e) => e.committed);
    const reserved = this.model.extents.filter((e) => !e.committed);
    if (x < 55 && committed.length > 0) {
      const e = r.pick(committed);
      address = pageToAddress(e.start + r.int(e.pages)) + BigInt(r.int(4096));
    } else if (x < 65 && reserved.length > 0) {
      const e = r.pick(reserved);
      address = pageToAddress(e.start + r.int(e.pages)) + BigInt(r.int(4096));
    } else if (x < 72 && this.layout.baseline.length > 0) {
      const b = r.pick(this.layout.baseline);
      address = pageToAddress(b.start + r.int(b.end - b.start)) + BigInt(r.int(4096));
    } else if (x < 78) {
      address = this.layout.addressBits === 32 ? (1n << 32n) + BigInt(r.int(4096)) : (1n << BigInt(this.layout.addressBits - 1)) + BigInt(r.int(1 << 30));
    } else if (x < 86 && this.recentlyFreed.length > 0) {
      const f = r.pick(this.recentlyFreed);
      address = pageToAddress(f.page + r.int(f.pages)) + BigInt(r.int(4096));
    } else if (x < 90) {
      address = BigInt(r.int(0x400000));
    } else {
      const space = this.spaceFor(r);
      address = pageToAddress(r.pick(this.zones[space]) + r.int(0x8000)) + BigInt(r.int(4096));
    }
    this.make({ fn: 'mapLinearToPhysical', address });
  }

  private opIsFree(r: Choices): void {
    const x = r.int(100);
    let base: bigint;
    let size: bigint;
    const space = this.spaceFor(r);
    const extents = this.model.extents;
    if (x < 30 && extents.length > 0) {
      const e = r.pick(extents);
      base = pageToAddress(e.start + r.int(e.pages));
      size = pageToAddress(1 + r.int(e.pages));
    } else if (x < 50 && extents.length > 0) {
      const e = r.pick(extents);
      base = pageToAddress(Math.max(this.model.spaceBounds(space).start, e.start - r.range(1, 8)));
      size = pageToAddress(r.range(1, 16));
    } else if (x < 75) {
      const free = this.model.freeRanges(space);
      const f = free[r.int(Math.min(free.length, 4))]!;
      base = pageToAddress(f.start);
      size = pageToAddress(Math.max(1, Math.min(f.end - f.start + (r.chance(0.3) ? 1 : 0), r.range(1, 2048))));
    } else if (x < 85 && this.layout.setupTaken.length > 0) {
      const t = r.pick(this.layout.setupTaken);
      base = pageToAddress(t.start - r.int(4));
      size = pageToAddress(r.range(1, 8));
    } else {
      const bad = r.int(6);
      base = pageToAddress(r.pick(this.zones[space]));
      size = PAGE_BYTES;
      if (bad === 0) size = 0n;
      else if (bad === 1) size = 0x1800n;
      else if (bad === 2) base += 0x40n;
      else if (bad === 3) base = this.layout.addressBits === 32 ? 1n << 32n : 1n << BigInt(this.layout.addressBits - 1);
      else if (bad === 4) {
        base = pageToAddress(this.layout.user.end - 1);
        size = PAGE_BYTES * 2n;
      } else base = PAGE_BYTES * BigInt(r.int(0x400));
    }
    this.make({ fn: 'isRegionFree', base, size });
  }

  private opFindFree(r: Choices): void {
    const x = r.int(100);
    const space = this.spaceFor(r);
    let start: bigint;
    let size = pageToAddress(this.pagesFor(r, false));
    if (x < 35) start = pageToAddress(r.pick(this.zones[space]) + r.int(0x2000));
    else if (x < 60 && this.model.extents.length > 0) start = pageToAddress(r.pick(this.model.extents).start);
    else if (x < 66 && this.model.extents.length > 0) start = pageToAddress(r.pick(this.model.extents).start) + BigInt(1 + r.int(4095)); // unaligned
    else if (x < 72 && !this.limits.avoid.has('find-unaligned')) {
      const free = this.model.freeRanges(space);
      const f = free[r.int(Math.min(free.length, 3))]!;
      start = pageToAddress(f.start + r.int(Math.min(64, f.end - f.start))) + BigInt(1 + r.int(4095)); // unaligned, in a free page
    } else if (x < 80) {
      const b = this.model.spaceBounds(space);
      start = pageToAddress(b.end - (r.chance(0.5) ? 1 : r.range(2, 64))) + (r.chance(0.3) ? BigInt(1 + r.int(4095)) : 0n); // near the end, maybe unaligned
    } else if (x < 88) {
      const b = this.model.spaceBounds(space);
      start = pageToAddress(b.start);
      size = pageToAddress(Math.min(2 ** 31 - 1, b.end - b.start - r.int(3))); // the whole space, or about
    } else {
      const bad = r.int(4);
      start = pageToAddress(r.pick(this.zones[space]));
      if (bad === 0) size = 0n;
      else if (bad === 1) size = 0x1001n;
      else if (bad === 2) start = this.layout.addressBits === 32 ? 1n << 32n : 1n << BigInt(this.layout.addressBits - 1);
      else start = BigInt(r.int(0x400000));
    }
    if (this.limits.avoid.has('find-edge')) start &= ~4095n; // (bug 6: unaligned starts next to a space's edge)
    this.make({ fn: 'findFreeRegion', start, size });
  }

  /**
   * protectRegion: committed regions whole, heads, tails, a few pages inside (large pages split at
   * both ends), spans over adjacent regions (reserved-only parts skipped); new rights READWRITE
   * and NO_EXECUTE in every combination; and invalid calls: flags protect does not take, the
   * wrong side, unaligned, zero or huge sizes, ranges with a free page, set-up windows and I/O
   * mappings, non-canonical or split-crossing ranges.
   */
  private opProtect(r: Choices): void {
    // (more often than for other calls: a split at an end is the only allocation, and not every call has one)
    const inject = r.chance(0.15) ? r.range(1, 3) : this.injectFor(r);
    const extents = this.model.extents;
    const regions = extents.filter((e) => e.io === undefined);
    const committed = regions.filter((e) => e.committed);
    let flags = (r.chance(0.5) ? REGION_READWRITE : 0) | (r.chance(0.4) ? REGION_NO_EXECUTE : 0);
    const isUser = (page: number): boolean => page < this.layout.kernel.start;
    const protect = (base: number | bigint, size: bigint, user: boolean): void =>
      this.make({ fn: 'protectRegion', base: typeof base === 'bigint' ? base : pageToAddress(base), size, flags: flags | (user ? REGION_USER : 0), inject });
    const x = r.int(100);
    if (regions.length === 0 || x >= 84) {
      const bad = r.int(11);
      const e = regions.length > 0 ? r.pick(regions) : null;
      if (bad === 0 && e !== null) {
        flags |= r.pick([REGION_COMMIT, REGION_UC, REGION_WC, REGION_FIXED, REGION_SMALL_PAGES, REGION_AT_OR_OVER, REGION_IO, 1 << (11 + r.int(20))]);
        return protect(e.start, pageToAddress(e.pages), isUser(e.start));
      }
      if (bad === 1 && e !== null) return protect(e.start, pageToAddress(e.pages), !isUser(e.start)); // the wrong side
      if (bad === 2 && e !== null) return protect(pageToAddress(e.start) + BigInt(8 * (1 + r.int(500))), PAGE_BYTES, isUser(e.start));
      if (bad === 3 && e !== null) return protect(e.start, r.chance(0.5) ? 0n : pageToAddress(e.pages) + BigInt(1 + r.int(4095)), isUser(e.start));
      if (bad === 4 && e !== null) return protect(e.start, pageToAddress(e.pages + 1 + r.int(4)), isUser(e.start)); // into free space (or the next region)
      if (bad === 5) {
        // a set-up window (direct map, image, I/O window): inside, across an edge, or an I/O mapping exactly
        const windows = this.layout.setupTaken.filter((w) => w.start >= this.layout.kernel.start);
        const io = extents.filter((m) => m.io !== undefined);
        if (io.length > 0 && r.chance(0.4)) {
          const m = r.pick(io);
          return protect(m.start, pageToAddress(m.pages), false);
        }
        if (windows.length === 0) return;
        const w = r.pick(windows);
        const at = r.pick([w.start - 1, w.start, w.start + r.int(w.end - w.start), w.end - 1]);
        return protect(Math.max(at, this.layout.kernel.start), pageToAddress(1 + r.int(3)), false);
      }
      if (bad === 6) {
        const recent = this.recentlyFreed[r.int(Math.max(1, this.recentlyFreed.length))];
        if (recent !== undefined) return protect(recent.page, pageToAddress(recent.pages), isUser(recent.page));
      }
      if (bad === 7) return protect(this.layout.addressBits === 32 ? 1n << 32n : 1n << BigInt(this.layout.addressBits - 1), PAGE_BYTES, false); // non-canonical / beyond
      if (bad === 8) return protect(this.layout.user.end - 1, PAGE_BYTES * 2n, true); // across the split
      if (bad === 9 && e !== null) return protect(e.start, 1n << BigInt(43 + r.int(3)), isUser(e.start));
      const space = this.spaceFor(r);
      return protect(this.model.freeRanges(space)[0]!.start, PAGE_BYTES, space === 'user'); // nothing there
    }
    const e = r.pick(committed.length > 0 && r.chance(0.9) ? committed : regions);
    const user = isUser(e.start);
    if (x < 30 || e.pages === 1) return protect(e.start, pageToAddress(e.pages), user);
    if (x < 42) return protect(e.start, pageToAddress(r.range(1, e.pages - 1)), user); // head
    if (x < 54) {
      const cut = r.range(1, e.pages - 1);
      return protect(e.start + cut, pageToAddress(e.pages - cut), user); // tail
    }
    if (x < 70 && e.pages > 2) {
      // a few pages inside: a large page around them is split at both ends
      const from = r.range(1, e.pages - 2);
      return protect(e.start + from, pageToAddress(r.range(1, Math.min(e.pages - 1 - from, r.chance(0.7) ? 4 : e.pages))), user);
    }
    // a span over adjacent regions, from inside this one to inside the last one
    let end = e.start + e.pages;
    let next = this.model.extentAt(end);
    while (next !== null && next.extent.io === undefined && r.chance(0.7)) {
      end = next.extent.start + next.extent.pages;
      next = this.model.extentAt(end);
    }
    const from = e.start + (r.chance(0.5) ? 0 : r.int(e.pages));
    const to = end - (end - from > 1 ? r.int(Math.min(4, end - from - 1)) : 0);
    return protect(from, pageToAddress(to - from), user);
  }

  /** A size in bytes for an I/O mapping: mostly a page or less, some pages, now and then large-page sized. */
  private ioSizeFor(r: Choices): bigint {
    const x = r.int(100);
    if (x < 35) return BigInt(1 + r.int(4096));
    if (x < 70) return pageToAddress(r.range(1, 16)) - (r.chance(0.5) ? BigInt(r.int(4096)) : 0n);
    if (x < 85) return pageToAddress(r.pick([this.large, 2 * this.large, this.large + 1]));
    return pageToAddress(r.range(17, 600));
  }

  /**
   * mapIOMemory: device memory beyond RAM, the reserved low frames, RAM with IO_ALLOW_RAM (the
   * test's frames or anybody's) and without it (refused), UC / WC / write-back, sub-page offsets,
   * large-page aligned ones (large leaves in the window); invalid calls (UC and WC, unknown flags,
   * zero and huge sizes, sizes that wrap, physical addresses past 2^52 or the mode's frames); and
   * now and then a burst of one-page mappings until the registry is full (then most are removed).
   */
  private opMapIo(r: Choices): void {
    const inject = this.injectFor(r);
    let flags = r.pick([0, REGION_UC, REGION_UC, REGION_WC]);
    let size = this.ioSizeFor(r);
    const pages = Number((size + 4095n) / PAGE_BYTES) + 1;
    const offset = r.chance(0.5) ? BigInt(r.int(4096)) : 0n;
    const map = (physical: bigint): void => this.make({ fn: 'mapIOMemory', physical, size, flags, inject });
    const where = r.int(100);
    if (where < 1 && r.chance(0.4) && this.layout.ioSlots > 0) return this.ioBurst(r);
    if (where < 45) {
      // device memory beyond RAM, large-page aligned when the size is
      const align = pages > this.large && r.chance(0.7) ? this.large : 1;
      const lowest = this.layout.ramFrames;
      const highest = this.layout.deviceFrameLimit - pages - align;
      if (highest <= lowest) return;
      const first = Math.ceil(r.range(lowest, highest) / align) * align;
      return map(pageToAddress(first) + (align > 1 ? 0n : offset));
    }
    if (where < 58) {
      // the reserved low frames (the BIOS area, VGA): not RAM the bitmap hands out
      const low = this.layout.reservedFrames[0];
      if (low === undefined) return;
      const first = r.range(low.start, Math.max(low.start, low.end - Math.min(pages, 8)));
      if (pages > 8) size = BigInt(r.int(8 * 4096) + 1);
      return map(pageToAddress(first) + offset);
    }
    if (where < 74) {
      // RAM, asked for: the test's frames or anybody's (never freed, never owned)
      flags |= REGION_IO_ALLOW_RAM;
      const h = this.held.length > 0 && r.chance(0.5) ? r.pick(this.held) : null;
      const first = h !== null ? h.first + r.int(h.count) : r.range(0, Math.max(0, this.layout.ramFrames - pages));
      return map(pageToAddress(first) + offset);
    }
    if (where < 84) {
      // RAM without IO_ALLOW_RAM: refused (some straddle the end of the reserved frames)
      const low = this.layout.reservedFrames[0];
      const first = low !== undefined && r.chance(0.3) ? Math.max(0, low.end - 1 - r.int(3)) : r.range(0, Math.max(0, this.layout.ramFrames - pages));
      return map(pageToAddress(first) + offset);
    }
    const device = pageToAddress(this.layout.ramFrames + r.int(64)) + offset;
    switch (r.int(9)) {
      case 0:
        flags = REGION_UC | REGION_WC;
        return map(device);
      case 1:
        flags |= r.pick([1, 2, 16, 32, 64, 128, 256, 512, 2048, 1 << (12 + r.int(19))]);
        return map(device);
      case 2:
        size = 0n;
        return map(device);
      case 3:
        size = 1n << BigInt(43 + r.int(3));
        return map(device);
      case 4:
        size = (1n << 64n) - BigInt(1 + r.int(4096)); // wraps with the offset's page
        return map(device);
      case 5:
        return map((1n << 52n) + BigInt(r.int(1 << 20)) * PAGE_BYTES);
      case 6:
        // frames past the manager's 31 bits, or past two-level entries' 32-bit addresses
        return map(r.pick([1n << 43n, 1n << 44n, (1n << 51n) + 0x5000n, 1n << 32n, (1n << 32n) - PAGE_BYTES, 0x100005000n]) + offset);
      case 7:
        // ends exactly at / just past the mode's frame limit
        size = PAGE_BYTES;
        return map(pageToAddress((this.layout.mode === 'two-level' ? 2 ** 20 : 2 ** 31 - 1) - r.int(2)));
      default:
        size = BigInt(1 + r.int(100));
        return map(pageToAddress(this.layout.ramFrames) - BigInt(1 + r.int(50))); // the last RAM page and the first device page
    }
  }

  /** Maps one-page device mappings until the registry refuses (ERR_POOL_EXHAUSTED), then removes all but a few of them. */
  private ioBurst(r: Choices): void {
    const made: { linear: bigint; size: bigint }[] = [];
    const frame = this.layout.ramFrames + r.int(4096);
    for (let k = 0; k < this.layout.ioSlots; k++) {
      const before = this.model.ioMappings.length;
      const expected = this.model.expectMapIo(pageToAddress(frame + k), PAGE_BYTES, REGION_UC);
      this.make({ fn: 'mapIOMemory', physical: pageToAddress(frame + k), size: PAGE_BYTES, flags: REGION_UC, inject: 0 });
      if (this.model.ioMappings.length === before || 'error' in expected) break;
      made.push({ linear: pageToAddress(expected.mapping.page), size: PAGE_BYTES });
    }
    const keep = r.int(4);
    for (const m of made.slice(keep)) this.make({ fn: 'unmapIOMemory', linear: m.linear, size: m.size });
  }

  /**
   * unmapIOMemory: live mappings exactly (their linear address, offset included, and size; or a
   * size touching the same pages), and invalid calls: another page count, an address that is not
   * a mapping's first page, double unmaps, ordinary regions, zero and huge sizes.
   */
  private opUnmapIo(r: Choices): void {
    const live = this.model.ioMappings;
    const unmap = (linear: bigint, size: bigint): void => this.make({ fn: 'unmapIOMemory', linear, size });
    const x = r.int(100);
    if (live.length > 0 && x < 72) {
      const m = r.pick(live);
      const linear = pageToAddress(m.page) + BigInt(m.offset);
      const y = r.int(100);
      if (y < 65) return unmap(linear, m.size);
      if (y < 77) {
        // another size touching the same pages
        const lo = BigInt(Math.max(1, (m.pages - 1) * 4096 - m.offset + 1));
        const hi = BigInt(m.pages * 4096 - m.offset);
        return unmap(linear, lo + BigInt(r.int(Number(hi - lo) + 1)));
      }
      if (y < 87) return unmap(linear, m.size + (r.chance(0.5) || m.size <= PAGE_BYTES ? PAGE_BYTES * BigInt(1 + r.int(3)) : -PAGE_BYTES)); // another page count
      if (y < 93) return unmap(linear + PAGE_BYTES * BigInt(1 + r.int(Math.max(1, m.pages))), PAGE_BYTES); // not a first page
      return unmap(pageToAddress(m.page), m.size + BigInt(m.offset)); // the page's start, the same bytes
    }
    const recent = this.recentlyUnmappedIo[r.int(Math.max(1, this.recentlyUnmappedIo.length))];
    const bad = r.int(6);
    if (bad === 0 && recent !== undefined) return unmap(recent.linear, recent.size); // double unmap
    if (bad === 1 && this.model.extents.length > 0) {
      const e = r.pick(this.model.extents);
      return unmap(pageToAddress(e.start), pageToAddress(e.pages)); // an ordinary region (or an I/O mapping without its offset)
    }
    const window = this.layout.ioWindows[0];
    const base = window !== undefined ? pageToAddress(window.start + r.int(window.end - window.start)) : PAGE_BYTES * 0x500n;
    if (bad === 2) return unmap(base, 0n);
    if (bad === 3) return unmap(base, 1n << BigInt(43 + r.int(3)));
    if (bad === 4) return unmap(base, (1n << 64n) - BigInt(1 + r.int(100)));
    return unmap(base + BigInt(r.int(4096)), BigInt(1 + r.int(3 * 4096)));
  }

  private opFrames(r: Choices): void {
    if (r.chance(0.5)) {
      this.takeFrames(r.chance(0.3) ? this.large : r.range(1, 64), r.chance(0.3) ? this.large : 1);
      return;
    }
    const free = this.unreferencedRuns();
    if (free.length === 0) return;
    const h = r.pick(free);
    const result = this.host.freeFrames(h.first, h.count);
    this.host.note(`test gives back frame 0x${h.first.toString(16)}+${h.count} -> ${result}`);
    if (result === E.ERR_NONE) this.held.splice(this.held.indexOf(h), 1);
  }

  /** The process exits (its whole user space goes, FIXED frames excepted) and a fresh one starts. */
  private opNewProcess(): void {
    if (!this.host.newProcess()) return;
    this.model.dropSpace('user');
    const user = (page: number): boolean => page < this.layout.user.end;
    for (let k = this.recentlyFreed.length - 1; k >= 0; k--) if (user(this.recentlyFreed[k]!.page)) this.recentlyFreed.splice(k, 1);
    for (let k = this.hot.length - 1; k >= 0; k--) if (user(this.hot[k]!)) this.hot.splice(k, 1);
  }

  /**
   * Runs one abstract op. k in [0, 1000) picks the calls the generator had first (their shares
   * are unchanged, so recorded sequences replay as they did); [1000, OP_KINDS) the later ones:
   * protectRegion (100 of 1220: 8%), mapIOMemory and unmapIOMemory (60 each: 5%).
   */
  apply(op: RegionOp): void {
    const r = new Choices(op);
    const k = op.k % OP_KINDS;
    this.stats.ops++;
    if (k >= 1000) {
      if (k < 1100) this.opProtect(r);
      else if (k < 1160) this.opMapIo(r);
      else this.opUnmapIo(r);
      return;
    }
    if (k < 260) this.opAlloc(r, 'user');
    else if (k < 360) this.opAlloc(r, 'kernel');
    else if (k < 540) this.opFree(r);
    else if (k < 690) this.opResize(r);
    else if (k < 770) this.opTranslate(r);
    else if (k < 840) this.opIsFree(r);
    else if (k < 910) this.opFindFree(r);
    else if (k < 965) this.opFrames(r);
    else if (k < 970) this.opNewProcess();
    else this.host.switchRoot();
  }
}
