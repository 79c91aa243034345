/*
 * i386 classic 32-bit paging (two levels, SDM 4.3): the entry format, for arch/i386/backend.ts,
 * which dispatches here in PAGING_TWO_LEVEL mode. Nothing here knows PAE (arch/i386/pae.ts).
 *
 * Entries are 32 bits (one int32; the backend returns them with a high half of 0):
 *   P(0) RW(1) US(2) PWT(3) PCD(4) A(5) D(6) PS(7: in a PDE a 4 MiB leaf when CR4.PSE=1, else
 *   ignored; in a PTE it is PAT) G(8) software bits 9 (frame not ours: FIXED or I/O) and
 *   10 (I/O mapping), bit 11 free.
 *   PTE and table-pointing PDE: physical address bits 12-31 in bits 12-31, so a 4 KiB page and
 *   every table (the directory too: CR3 has 32 bits) must lie below 4 GiB - frames < 2^20.
 *   4 MiB PDE (PSE-36): PAT(12), physical bits 32-39 in bits 13-20, bit 21 reserved, physical
 *   bits 22-31 in bits 22-31: a 4 MiB page may lie anywhere below 1 TiB (frames < 2^28, and below
 *   the CPU's MAXPHYADDR: bits above it are reserved).
 * There is no NX bit: PAGE_NO_EXECUTE is dropped.
 * Level 1 is the page table (1024 PTEs, 4 KiB each), level 2 the page directory (1024 PDEs,
 * 4 MiB each).
 *
 * The encoders are only called with valid frames (see above) and aligned ones (a 4 MiB leaf's
 * frame is a multiple of 1024); they do not check.
 */
import {
  PAGE_WRITE,
  PAGE_USER,
} from '../../src/paging/page-flags.ts';
import { FEATURE_GLOBAL_PAGES, FEATURE_LARGE_PAGES } from '../../src/paging/paging-modes.ts';
import { entryLeafLowBits, entryLowFlags, ENTRY_PRESENT, ENTRY_WRITABLE, ENTRY_USER, ENTRY_LARGE } from '../../src/paging/entry-flag-bits.ts';

/** 0xFFC00000: physical bits 22-31 of a 4 MiB leaf. */
const TWO_LEVEL_LARGE_BASE: number = -4194304;
/** PSE-36: physical bits 32-39 sit in PDE bits 13-20. */
const TWO_LEVEL_PSE36_SHIFT: number = 13;
const TWO_LEVEL_PSE36_MASK: number = 255;

/** Entries per table: 1024 at levels 1 and 2, 0 elsewhere. */
export const twoLevelTableEntries = (level: number): number => (level === 1 || level === 2 ? 1024 : 0);

/** log2 of the bytes one entry maps: 12 (PTE), 22 (PDE); 0 outside levels 1-2. */
export const twoLevelLevelShift = (level: number): number => {
  if (level === 1) return 12;
  if (level === 2) return 22;
  return 0;
};

/** 1 when a leaf may sit at `level`: 4 KiB always, 4 MiB with FEATURE_LARGE_PAGES (CR4.PSE). */
export const twoLevelLeafAllowed = (level: number, features: number): number => {
  if (level === 1) return 1;
  if (level === 2 && (features & FEATURE_LARGE_PAGES) !== 0) return 1;
  return 0;
};

/** Index of the entry translating the 32-bit linear address `lo` in a table of `level`. */
export const twoLevelIndexOf = (level: number, lo: number): number => {
  if (level === 1) return (lo >>> 12) & 1023;
  if (level === 2) return lo >>> 22;
  return 0;
};

/**
 * The entry of a table at `level` pointing to the next table, in `frame` (< 2^20): a PDE (level 2)
 * granting the rights of `flags`; 0 at other levels (they hold no table pointers).
 */
export const twoLevelEncodeTable = (frame: number, level: number, flags: number): number => {
  if (level !== 2) return 0;
  let entry: number = (frame << 12) | ENTRY_PRESENT;
  if ((flags & PAGE_WRITE) !== 0) entry = entry | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) entry = entry | ENTRY_USER;
  return entry;
};

/**
 * A leaf at `level` mapping `frame` with `flags`: a PTE (frame < 2^20) or a 4 MiB PDE (frame a
 * multiple of 1024, < 2^28; its bits 20-27 go to PDE bits 13-20). G only with FEATURE_GLOBAL_PAGES.
 */
export const twoLevelEncodeLeaf = (frame: number, level: number, flags: number, features: number): number => {
  let entry: number = frame << 12;
  if (level === 2) {
    entry = (entry & TWO_LEVEL_LARGE_BASE) | (((frame >>> 20) & TWO_LEVEL_PSE36_MASK) << TWO_LEVEL_PSE36_SHIFT);
  }
  return entry | entryLeafLowBits(flags, level === 2 ? 1 : 0, features & FEATURE_GLOBAL_PAGES);
};

/**
 * 1 when a present entry at `level` is a leaf: every PTE; a PDE with PS while CR4.PSE is on
 * (FEATURE_LARGE_PAGES) - without it the MMU ignores PS and the PDE points to a table.
 */
export const twoLevelEntryIsLeaf = (level: number, entry: number, features: number): number => {
  if (level === 1) return 1;
  if (level === 2 && (entry & ENTRY_LARGE) !== 0 && (features & FEATURE_LARGE_PAGES) !== 0) return 1;
  return 0;
};

/**
 * The frame an entry points to: bits 12-31 for a PTE or a table PDE; for a 4 MiB leaf bits 22-31
 * plus the PSE-36 bits 13-20 as frame bits 20-27 (bit 12, PAT, and reserved bit 21 are no address).
 */
export const twoLevelEntryFrame = (level: number, entry: number, features: number): number => {
  if (level === 2 && twoLevelEntryIsLeaf(level, entry, features) === 1) {
    return ((entry >>> 22) << 10) | (((entry >>> TWO_LEVEL_PSE36_SHIFT) & TWO_LEVEL_PSE36_MASK) << 20);
  }
  return entry >>> 12;
};

/** The page flags an entry grants (never PAGE_NO_EXECUTE: the format has no NX). */
export const twoLevelEntryFlags = (entry: number): number => entryLowFlags(entry);

/** A table PDE with the rights of `flags` added. */
export const twoLevelTableEntryWiden = (entry: number, flags: number): number => {
  let widened: number = entry;
  if ((flags & PAGE_WRITE) !== 0) widened = widened | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) widened = widened | ENTRY_USER;
  return widened;
};
