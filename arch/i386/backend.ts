/*
 * The i386 paging backend: classic two-level paging and PAE, behind the interface the generic
 * paging code (src/paging/) drives. The bundler links this file in place of src/paging/backend.ts
 * in the i386 kernel; on the host, tests install it there. archPagingInit picks the mode; every
 * function below then dispatches to the format's own encoders - arch/i386/two-level.ts
 * (PAGING_TWO_LEVEL: 2 levels, 32-bit entries, 4 KiB and, with CR4.PSE, 4 MiB pages, PSE-36, no
 * NX) or arch/i386/pae.ts (PAGING_PAE: 3 levels, 64-bit entries, 4 KiB and 2 MiB pages, NX with
 * EFER.NXE). Those files describe the bit layouts; no function here mixes the two.
 *
 * Entries are always (lo, hi) pairs at this interface: two-level entries return hi = 0 and ignore
 * the hi they are given.
 *
 * Frames: in two-level mode 4 KiB pages and every table must lie below 4 GiB (frames < 2^20), 4 MiB
 * pages below 1 TiB (PSE-36, frames < 2^28). In PAE mode pages, page directories and page tables
 * may lie anywhere below MAXPHYADDR, but the PDPT (the root) must lie below 4 GiB. The encoders are
 * only called with frames that fit; they do not check.
 *
 * PAE root entries (PDPTEs) allow no rights: archEncodeTable at level 3 gives P and the address
 * only (plus an ignored marker bit), archEntryFlags reports such an entry as restricting nothing
 * and archTableEntryWiden leaves it alone (arch/i386/pae.ts explains the mark). A changed PDPTE of
 * the active space takes effect only at the next CR3 load: archRootChangeNeedsReload() is 1.
 *
 * Layout (as EXOS): user space [4 MiB, 3 GiB); the first 4 MiB are no user space, so that null and
 * small-integer pointers fault. Two kernel ranges, mapped the same way in every address space:
 * the low window [0, 4 MiB), which the kernel image uses (loaded at 1 MiB, run identity-mapped),
 * and kernel space [3 GiB, 4 GiB). In two-level mode they are PDE 0 and PDEs 768..1023; in PAE mode
 * PDPTE 3, and PDEs 0-1 of the page directory under PDPTE 0, which otherwise holds user space.
 *
 * Linear addresses have 32 bits: hi is 0 wherever an address is an input.
 */
import { returnPair } from '../../src/int64/pair.ts';
import { ERR_NONE, ERR_UNSUPPORTED } from '../../src/errors.ts';
import { PAGING_TWO_LEVEL, PAGING_PAE } from '../../src/paging/paging-modes.ts';
import {
  twoLevelTableEntries,
  twoLevelLevelShift,
  twoLevelLeafAllowed,
  twoLevelIndexOf,
  twoLevelEncodeTable,
  twoLevelEncodeLeaf,
  twoLevelEntryIsLeaf,
  twoLevelEntryFrame,
  twoLevelEntryFlags,
  twoLevelTableEntryWiden,
} from './two-level.ts';
import {
  paeTableEntries,
  paeLevelShift,
  paeLeafAllowed,
  paeIndexOf,
  paeEncodeTable,
  paeEncodeLeaf,
  paeEntryIsLeaf,
  paeEntryFrame,
  paeEntryFlags,
  paeTableEntryWiden,
} from './pae.ts';

/** 0x00400000: the first user address, end of the low kernel window. */
const I386_USER_START: number = 4194304;
/** 0xC0000000: end of user space, start of kernel space. */
const I386_KERNEL_START: number = -1073741824;

let i386Mode: number = PAGING_TWO_LEVEL;
let i386Features: number = 0;

/** Selects two-level or PAE paging and the features the CPU offers and the kernel enabled (FEATURE_*). */
export const archPagingInit = (mode: number, features: number): number => {
  if (mode !== PAGING_TWO_LEVEL && mode !== PAGING_PAE) return ERR_UNSUPPORTED;
  i386Mode = mode;
  i386Features = features;
  return ERR_NONE;
};

export const archPagingMode = (): number => i386Mode;
/** The root's level: 2 (page directory) or 3 (PDPT). */
export const archLevels = (): number => (i386Mode === PAGING_PAE ? 3 : 2);
/** log2 of the entry size: 4 bytes (two-level) or 8 (PAE). */
export const archEntryShift = (): number => (i386Mode === PAGING_PAE ? 3 : 2);
/** Entries per table at `level`: 1024, 1024 (two-level); 512, 512, 4 (PAE); 0 outside the levels. */
export const archTableEntries = (level: number): number =>
  i386Mode === PAGING_PAE ? paeTableEntries(level) : twoLevelTableEntries(level);
/** log2 of the bytes one entry at `level` maps: 12, 22 (two-level); 12, 21, 30 (PAE). */
export const archLevelShift = (level: number): number => (i386Mode === PAGING_PAE ? paeLevelShift(level) : twoLevelLevelShift(level));
/** 1 when a leaf may sit at `level`: 4 KiB always; 4 MiB with FEATURE_LARGE_PAGES (two-level); 2 MiB (PAE). */
export const archLeafAllowed = (level: number): number =>
  i386Mode === PAGING_PAE ? paeLeafAllowed(level) : twoLevelLeafAllowed(level, i386Features);
/** Index of the entry translating (lo, hi) in a table of `level` (hi is 0 for a 32-bit address). */
export const archIndexOf = (level: number, lo: number, hi: number): number =>
  i386Mode === PAGING_PAE ? paeIndexOf(level, lo) : twoLevelIndexOf(level, lo);

/**
 * An entry of a table at `level` (2 and up) pointing to the next table, in `frame`, granting the
 * rights its subtree needs (a PAE PDPTE: none, see the header). 0:0 at levels without table pointers.
 */
export const archEncodeTable = (frame: number, level: number, flags: number): number => {
  if (i386Mode === PAGING_PAE) return paeEncodeTable(frame, level, flags);
  return returnPair(twoLevelEncodeTable(frame, level, flags), 0);
};

/** A leaf entry at `level` mapping `frame` (aligned to the leaf size) with `flags`. */
export const archEncodeLeaf = (frame: number, level: number, flags: number): number => {
  if (i386Mode === PAGING_PAE) return paeEncodeLeaf(frame, level, flags, i386Features);
  return returnPair(twoLevelEncodeLeaf(frame, level, flags, i386Features), 0);
};

/** 1 when the entry is present. */
export const archEntryPresent = (lo: number, hi: number): number => lo & 1;
/** 1 when a present entry at `level` is a leaf (level 1; a PDE with PS - in two-level mode only with CR4.PSE). */
export const archEntryIsLeaf = (level: number, lo: number, hi: number): number =>
  i386Mode === PAGING_PAE ? paeEntryIsLeaf(level, lo) : twoLevelEntryIsLeaf(level, lo, i386Features);
/** The frame an entry points to (a table, or the first frame of a leaf; PAT and PSE-36 decoded). */
export const archEntryFrame = (level: number, lo: number, hi: number): number =>
  i386Mode === PAGING_PAE ? paeEntryFrame(level, lo, hi) : twoLevelEntryFrame(level, lo, i386Features);
/** The page flags an entry grants (never PAGE_NO_EXECUTE in two-level mode; a PAE PDPTE: PAGE_WRITE | PAGE_USER). */
export const archEntryFlags = (lo: number, hi: number): number =>
  i386Mode === PAGING_PAE ? paeEntryFlags(lo, hi) : twoLevelEntryFlags(lo);
/** A table entry with the rights of `flags` added (rights of intermediate entries only grow; a PAE PDPTE has none). */
export const archTableEntryWiden = (lo: number, hi: number, flags: number): number => {
  if (i386Mode === PAGING_PAE) return paeTableEntryWiden(lo, hi, flags);
  return returnPair(twoLevelTableEntryWiden(lo, flags), 0);
};
/** 1 when changing a root entry of the active space needs a CR3 reload: PAE (PDPTE registers). */
export const archRootChangeNeedsReload = (): number => (i386Mode === PAGING_PAE ? 1 : 0);
/**
 * Frames a table or a 4 KiB page may use lie below this frame: two-level entries hold 32-bit
 * addresses (4 GiB); PAE entries hold 52 bits (no limit for int32 frames).
 */
export const archFrameLimit = (): number => (i386Mode === PAGING_PAE ? 2147483647 : 1048576);
/** The root's frame lies below this frame: CR3 holds 32 bits of address in both modes. */
export const archRootFrameLimit = (): number => 1048576;

// ---- address-space layout ----

/** Bits of a linear address: 32 in both modes. */
export const archAddressBits = (): number => 32;
/** 1 when (lo, hi) is a 32-bit address (hi is 0). */
export const archCanonical = (lo: number, hi: number): number => (hi === 0 ? 1 : 0);
/** User space: [4 MiB, 3 GiB). */
export const archUserStartLo = (): number => I386_USER_START;
export const archUserStartHi = (): number => 0;
/** End (exclusive) of user space: 0xC0000000. */
export const archUserEndLo = (): number => I386_KERNEL_START;
export const archUserEndHi = (): number => 0;
/** Kernel space: from 0xC0000000 to the top of the address space (and the low window: the kernel ranges). */
export const archKernelStartLo = (): number => I386_KERNEL_START;
export const archKernelStartHi = (): number => 0;
/**
 * Kernel ranges: linear ranges every address space maps the same way (their tables are shared).
 * i386 has two: 0 is the low window [0, 4 MiB), 1 is kernel space [3 GiB, 4 GiB) - its end, 2^32,
 * is lo 0, hi 1. Other indices give 0.
 */
export const archKernelRangeCount = (): number => 2;
export const archKernelRangeStartLo = (index: number): number => (index === 1 ? I386_KERNEL_START : 0);
export const archKernelRangeStartHi = (index: number): number => 0;
export const archKernelRangeEndLo = (index: number): number => (index === 0 ? I386_USER_START : 0);
export const archKernelRangeEndHi = (index: number): number => (index === 1 ? 1 : 0);

// ---- the kernel's own layout (memory-manager-init.ts) ----

/** Low memory is mapped at 0xC0000000 (Linux's PAGE_OFFSET): the kernel's view of it. */
export const archDirectMapStartLo = (): number => -1073741824;
export const archDirectMapStartHi = (): number => 0;
/** Up to 768 MiB of it, leaving the top quarter of kernel space for regions. */
export const archDirectMapMaxFrames = (): number => 196608;
/** Kernel regions: from 0xF0000000 (above the largest low-memory map). */
export const archKernelRegionsStartLo = (): number => -268435456;
export const archKernelRegionsStartHi = (): number => 0;
/** The kernel image runs at its physical address, inside the low 4 MiB window. */
export const archImageWindowLo = (): number => 0;
export const archImageWindowHi = (): number => 0;
export const archImageWindowFrames = (): number => 1024;
/**
 * The root entry of the recursive self-map (table-access.ts, TABLES_RECURSIVE): PDE 1023 in
 * two-level mode (EXOS's choice; the page tables appear at 0xFFC00000, the directory at
 * 0xFFFFF000), above the kernel-region base (0xF0000000). PAE has none (ERR_UNSUPPORTED): its root
 * is a 4-entry PDPT, so no root entry can point back at the root as a table of the next level,
 * and the directory-level variant (four PDEs pointing at the four directories) would make the
 * PDPT itself unreachable; PAE kernels use the direct map or the temporary slots.
 */
export const archSelfMapIndex = (): number => (i386Mode === PAGING_PAE ? ERR_UNSUPPORTED : 1023);
