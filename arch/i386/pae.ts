/*
 * i386 PAE paging (three levels, SDM 4.4): the entry format, for arch/i386/backend.ts, which
 * dispatches here in PAGING_PAE mode. Nothing here knows two-level paging (arch/i386/two-level.ts).
 *
 * Entries are 64 bits, handled as (lo, hi) int32 halves:
 *   lo: P(0) RW(1) US(2) PWT(3) PCD(4) A(5) D(6) PS(7: in a PDE a 2 MiB leaf, whatever CR4.PSE
 *       says; in a PTE it is PAT) G(8) software bits 9 (frame not ours: FIXED or I/O) and
 *       10 (I/O mapping), bit 11 the root mark (PDPTEs only, below), physical address bits 12-31
 *       (a 2 MiB leaf: PAT(12), bits 13-20 reserved)
 *   hi: physical address bits 32-51 in bits 0-19 (bits at and above MAXPHYADDR reserved), bits
 *       52-62 reserved, NX in bit 31 (only with EFER.NXE, i.e. FEATURE_NX; reserved without).
 * Level 1 is the page table (512 PTEs, 4 KiB each), level 2 the page directory (512 PDEs, 2 MiB
 * each), level 3 the PDPT (4 PDPTEs, 1 GiB each, never leaves). Frames (int32 frame numbers) of
 * pages and of the page directories and tables may lie anywhere the CPU's MAXPHYADDR allows; the
 * PDPT itself must lie below 4 GiB (CR3 has 32 bits in PAE mode; 32-byte aligned).
 *
 * A PDPTE is not an ordinary table entry: it allows only P, PWT, PCD and the address. RW, US, A,
 * PS, NX and every other bit but the ignored 9-11 are reserved there, and a present PDPTE with one
 * of them makes the CR3 load (which copies the 4 PDPTEs into registers) fail with #GP. Rights are
 * decided by the PDE and PTE alone: a PDPTE restricts nothing. So a PDPTE made here carries P, the
 * address and bit 11 (ignored by the MMU in every PAE entry, set in no other entry made here), the
 * root mark: paeEntryFlags reports a marked entry as granting PAGE_WRITE | PAGE_USER (what it
 * lets through) and paeTableEntryWiden leaves it as it is, so code that widens table entries to
 * the rights a subtree needs - without knowing their level - never writes a reserved bit. A PDPTE
 * made elsewhere without the mark (P only) reads as granting nothing and must not be widened.
 *
 * The encoders are only called with valid, aligned frames (a 2 MiB leaf's frame is a multiple of
 * 512); they do not check.
 */
import { returnPair } from '../../src/int64/pair.ts';
import {
  PAGE_WRITE,
  PAGE_USER,
  PAGE_NO_EXECUTE,
} from '../../src/paging/page-flags.ts';
import { FEATURE_NX, FEATURE_GLOBAL_PAGES } from '../../src/paging/paging-modes.ts';
import { entryLeafLowBits, entryLowFlags, ENTRY_PRESENT, ENTRY_WRITABLE, ENTRY_USER, ENTRY_LARGE } from '../../src/paging/entry-flag-bits.ts';

const PAE_NX_HI: number = -2147483648;
const PAE_FRAME_HI_MASK: number = 1048575;
/** The level of the PDPT: its entries are PDPTEs. */
const PAE_PDPT_LEVEL: number = 3;
/** Bit 11, ignored by the MMU: marks a PDPTE made by paeEncodeTable (see the header). */
const PAE_ROOT_MARK: number = 2048;

/** Entries per table: 512 at levels 1 and 2, 4 in the PDPT (level 3), 0 elsewhere. */
export const paeTableEntries = (level: number): number => {
  if (level === 1 || level === 2) return 512;
  if (level === PAE_PDPT_LEVEL) return 4;
  return 0;
};

/** log2 of the bytes one entry maps: 12, 21, 30; 0 outside levels 1-3. */
export const paeLevelShift = (level: number): number => (level >= 1 && level <= PAE_PDPT_LEVEL ? (3 + 9 * level) | 0 : 0);

/** 1 when a leaf may sit at `level`: 4 KiB and 2 MiB always; a PDPTE is never a leaf. */
export const paeLeafAllowed = (level: number): number => (level === 1 || level === 2 ? 1 : 0);

/** Index of the entry translating the 32-bit linear address `lo` in a table of `level`. */
export const paeIndexOf = (level: number, lo: number): number => {
  if (level === 1) return (lo >>> 12) & 511;
  if (level === 2) return (lo >>> 21) & 511;
  if (level === PAE_PDPT_LEVEL) return lo >>> 30;
  return 0;
};

/**
 * The entry of a table at `level` pointing to the next table, in `frame`: at level 2 a PDE granting
 * the rights of `flags`; at level 3 a PDPTE with P, the address and the root mark only, whatever
 * `flags` asks (rights there are reserved bits). 0:0 at levels that hold no table pointers.
 */
export const paeEncodeTable = (frame: number, level: number, flags: number): number => {
  let lo: number = (frame << 12) | ENTRY_PRESENT;
  if (level === PAE_PDPT_LEVEL) lo = lo | PAE_ROOT_MARK;
  else if (level === 2) {
    if ((flags & PAGE_WRITE) !== 0) lo = lo | ENTRY_WRITABLE;
    if ((flags & PAGE_USER) !== 0) lo = lo | ENTRY_USER;
  } else return returnPair(0, 0);
  return returnPair(lo, (frame >>> 20) & PAE_FRAME_HI_MASK);
};

/** A leaf at `level` (1: a PTE, 2: a 2 MiB PDE) mapping `frame` with `flags`. */
export const paeEncodeLeaf = (frame: number, level: number, flags: number, features: number): number => {
  const lo: number = (frame << 12) | entryLeafLowBits(flags, level === 2 ? 1 : 0, features & FEATURE_GLOBAL_PAGES);
  let hi: number = (frame >>> 20) & PAE_FRAME_HI_MASK;
  if ((flags & PAGE_NO_EXECUTE) !== 0 && (features & FEATURE_NX) !== 0) hi = hi | PAE_NX_HI;
  return returnPair(lo, hi);
};

/** 1 when a present entry at `level` is a leaf: every PTE, a PDE with PS; never a PDPTE. */
export const paeEntryIsLeaf = (level: number, lo: number): number => {
  if (level === 1) return 1;
  if (level === 2 && (lo & ENTRY_LARGE) !== 0) return 1;
  return 0;
};

/** The frame an entry points to; a 2 MiB leaf's bit 12 is PAT, not an address bit. */
export const paeEntryFrame = (level: number, lo: number, hi: number): number => {
  const frame: number = (lo >>> 12) | ((hi & PAE_FRAME_HI_MASK) << 20);
  return paeEntryIsLeaf(level, lo) === 1 && level === 2 ? frame & -512 : frame;
};

/** The page flags an entry grants; a marked PDPTE restricts nothing: PAGE_WRITE | PAGE_USER. */
export const paeEntryFlags = (lo: number, hi: number): number => {
  let flags: number = entryLowFlags(lo);
  if ((hi & PAE_NX_HI) !== 0) flags = flags | PAGE_NO_EXECUTE;
  if ((lo & PAE_ROOT_MARK) !== 0) flags = flags | PAGE_WRITE | PAGE_USER;
  return flags;
};

/** A PDE with the rights of `flags` added; a marked PDPTE stays as it is (it restricts nothing). */
export const paeTableEntryWiden = (lo: number, hi: number, flags: number): number => {
  let widened: number = lo;
  if ((lo & PAE_ROOT_MARK) === 0) {
    if ((flags & PAGE_WRITE) !== 0) widened = widened | ENTRY_WRITABLE;
    if ((flags & PAGE_USER) !== 0) widened = widened | ENTRY_USER;
  }
  return returnPair(widened, hi);
};
