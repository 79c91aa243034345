/*
 * The x86-64 paging backend: the 4-level and 5-level (LA57) entry format and address-space layout,
 * behind the interface the generic paging code (src/paging/) drives. The bundler links this file
 * in place of src/paging/backend.ts in the x86-64 kernel; on the host, tests install it there.
 *
 * Entries are 64 bits, handled as (lo, hi) int32 halves:
 *   lo: P(0) RW(1) US(2) PWT(3) PCD(4) A(5) D(6) PS(7, leaves above level 1) G(8)
 *       software bits 9 (frame not ours: FIXED or I/O) and 10 (I/O mapping), frame bits 12-31
 *   hi: frame bits 32-51 in bits 0-19, NX in bit 31.
 * Level 1 is the page table, 2 the page directory (2 MiB leaves), 3 the PDPT (1 GiB leaves when
 * the CPU has pdpe1gb), 4 the PML4, 5 the PML5.
 *
 * Features (archPagingInit) name what is switched on, not merely offered: NX means EFER.NXE is
 * set, GLOBAL_PAGES CR4.PGE (an NX bit without NXE is a reserved-bit fault).
 *
 * Layout: user space is the lower canonical half from 4 MiB up (the first 4 MiB stay unmapped so
 * that null and small-integer pointers fault); kernel space is the upper canonical half. The
 * kernel's top-level entries (256..511) are shared by every address space.
 */
import { pairHi, returnPair, shiftRightU64, signExtend64 } from '../../src/int64/pair.ts';
import { ERR_NONE, ERR_UNSUPPORTED } from '../../src/errors.ts';
import { PAGING_FOUR_LEVEL, PAGING_FIVE_LEVEL, FEATURE_NX, FEATURE_GIGABYTE_PAGES, FEATURE_GLOBAL_PAGES } from '../../src/paging/paging-modes.ts';
import {
  PAGE_WRITE,
  PAGE_USER,
  PAGE_NO_EXECUTE,
} from '../../src/paging/page-flags.ts';
import { entryLeafLowBits, entryLowFlags, ENTRY_PRESENT, ENTRY_WRITABLE, ENTRY_USER, ENTRY_LARGE } from '../../src/paging/entry-flag-bits.ts';

const X64_NX_HI: number = -2147483648;
const X64_FRAME_HI_MASK: number = 1048575;

let x64Levels: number = 4;
let x64Features: number = 0;

/** Selects 4- or 5-level paging and the features the CPU offers (FEATURE_*). */
export const archPagingInit = (mode: number, features: number): number => {
  if (mode !== PAGING_FOUR_LEVEL && mode !== PAGING_FIVE_LEVEL) return ERR_UNSUPPORTED;
  x64Levels = mode;
  x64Features = features;
  return ERR_NONE;
};

export const archPagingMode = (): number => x64Levels;
/** The root's level: 4 or 5. */
export const archLevels = (): number => x64Levels;
/** log2 of the entry size: 8 bytes. */
export const archEntryShift = (): number => 3;
/** Entries per table at `level`: 512 everywhere. */
export const archTableEntries = (level: number): number => (level >= 1 ? 512 : 0);
/** log2 of the bytes one entry at `level` maps: 12, 21, 30, 39, 48. */
export const archLevelShift = (level: number): number => (3 + 9 * level) | 0;
/** 1 when a leaf (a page) may sit at `level`: 4 KiB always, 2 MiB always, 1 GiB with pdpe1gb. */
export const archLeafAllowed = (level: number): number => {
  if (level === 1 || level === 2) return 1;
  if (level === 3 && (x64Features & FEATURE_GIGABYTE_PAGES) !== 0) return 1;
  return 0;
};
/** Index of the entry translating (lo, hi) in a table of `level`. */
export const archIndexOf = (level: number, lo: number, hi: number): number => shiftRightU64(lo, hi, archLevelShift(level)) & 511;

/**
 * An entry of a table at `level` (2 and up) pointing to the next table, in `frame`, granting the
 * rights its subtree needs.
 */
export const archEncodeTable = (frame: number, level: number, flags: number): number => {
  if (level < 2) return returnPair(0, 0);
  let lo: number = (frame << 12) | ENTRY_PRESENT;
  if ((flags & PAGE_WRITE) !== 0) lo = lo | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) lo = lo | ENTRY_USER;
  return returnPair(lo, (frame >>> 20) & X64_FRAME_HI_MASK);
};

/** A leaf entry at `level` mapping `frame` (aligned to the leaf size) with `flags`. */
export const archEncodeLeaf = (frame: number, level: number, flags: number): number => {
  const lo: number = (frame << 12) | entryLeafLowBits(flags, level > 1 ? 1 : 0, x64Features & FEATURE_GLOBAL_PAGES);
  let hi: number = (frame >>> 20) & X64_FRAME_HI_MASK;
  if ((flags & PAGE_NO_EXECUTE) !== 0 && (x64Features & FEATURE_NX) !== 0) hi = hi | X64_NX_HI;
  return returnPair(lo, hi);
};

/** 1 when the entry is present (hi is part of the interface, for formats that need it). */
export const archEntryPresent = (lo: number, hi: number): number => lo & ENTRY_PRESENT;
/** 1 when a present entry at `level` is a leaf (level 1, or PS above it). */
export const archEntryIsLeaf = (level: number, lo: number, hi: number): number => {
  if (level === 1) return 1;
  return (lo & ENTRY_LARGE) !== 0 ? 1 : 0;
};
/** The frame an entry points to (a table, or the first frame of a leaf). */
export const archEntryFrame = (level: number, lo: number, hi: number): number => {
  const frame: number = (lo >>> 12) | ((hi & X64_FRAME_HI_MASK) << 20);
  // a large leaf's bit 12 is PAT, not an address bit
  return level > 1 && (lo & ENTRY_LARGE) !== 0 ? frame & ~((1 << (9 * (level - 1))) - 1) : frame;
};
/** The page flags an entry grants. */
export const archEntryFlags = (lo: number, hi: number): number => {
  const flags: number = entryLowFlags(lo);
  return (hi & X64_NX_HI) !== 0 ? flags | PAGE_NO_EXECUTE : flags;
};
/** A table entry with the rights of `flags` added (rights of intermediate entries only grow). */
export const archTableEntryWiden = (lo: number, hi: number, flags: number): number => {
  let widened: number = lo;
  if ((flags & PAGE_WRITE) !== 0) widened = widened | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) widened = widened | ENTRY_USER;
  return returnPair(widened, hi);
};
/** 1 when changing a root entry of the active space needs a CR3 reload (PAE's PDPTE registers). */
export const archRootChangeNeedsReload = (): number => 0;
/** Frames a table or a 4 KiB page may use lie below this frame: no limit for int32 frames. */
export const archFrameLimit = (): number => 2147483647;
/** The root's frame lies below this frame: CR3 holds 52 bits of address (no limit). */
export const archRootFrameLimit = (): number => 2147483647;

// ---- address-space layout ----

/** Bits of a canonical linear address: 48 or 57. */
export const archAddressBits = (): number => (x64Levels === 5 ? 57 : 48);
/** 1 when (lo, hi) is canonical: bits above the top implemented bit copy it. */
export const archCanonical = (lo: number, hi: number): number => {
  signExtend64(lo, hi, archAddressBits() - 1);
  return pairHi === hi ? 1 : 0;
};
/** User space: [4 MiB, end of the lower half). */
export const archUserStartLo = (): number => 4194304;
export const archUserStartHi = (): number => 0;
/** End (exclusive) of user space: 2^47 (4-level) or 2^56 (5-level). */
export const archUserEndLo = (): number => 0;
export const archUserEndHi = (): number => (x64Levels === 5 ? 16777216 : 32768);
/** Kernel space: from the start of the upper half to the top of the address space. */
export const archKernelStartLo = (): number => 0;
export const archKernelStartHi = (): number => (x64Levels === 5 ? -16777216 : -32768);
/**
 * Kernel ranges: linear ranges every address space maps the same way (their tables are shared).
 * x86-64 has one, the upper canonical half: [archKernelStart, 2^64); an end of 0:0 means 2^64.
 */
export const archKernelRangeCount = (): number => 1;
export const archKernelRangeStartLo = (index: number): number => (index === 0 ? archKernelStartLo() : 0);
export const archKernelRangeStartHi = (index: number): number => (index === 0 ? archKernelStartHi() : 0);
export const archKernelRangeEndLo = (index: number): number => 0;
export const archKernelRangeEndHi = (index: number): number => 0;

// ---- the kernel's own layout (memory-manager-init.ts) ----

/** The direct map of all physical memory: the start of the upper half. */
export const archDirectMapStartLo = (): number => 0;
export const archDirectMapStartHi = (): number => archKernelStartHi();
/** Frames the direct map may cover: all of them. */
export const archDirectMapMaxFrames = (): number => 2147483647;
/** Where kernel regions are searched from: half-way up the kernel half (64 TiB or 32 PiB in). */
export const archKernelRegionsStartLo = (): number => 0;
export const archKernelRegionsStartHi = (): number => (x64Levels === 5 ? -8388608 : -16384);
/** The linear window where the kernel image runs: 0xFFFFFFFF80000000 + physical, 1 GiB. */
export const archImageWindowLo = (): number => -2147483648;
export const archImageWindowHi = (): number => -1;
export const archImageWindowFrames = (): number => 262144;
/**
 * The root entry of the recursive self-map (table-access.ts, TABLES_RECURSIVE): 510, as Linux's
 * old and the Rust x86_64 crate's examples use - in kernel space, above the I/O window and the
 * kernel-region base (index 384), below the image window (511), and far above the direct map (256
 * and up: 512 GiB per entry in 4-level mode, 256 TiB in 5-level). Its window is 512 GiB (4-level)
 * or 256 TiB (5-level) at 0xFFFFFF0000000000 / 0xFFFE000000000000.
 */
export const archSelfMapIndex = (): number => 510;
