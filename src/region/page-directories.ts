/*
 * The page-directory calls under the names of the refactor plan (seed 000, steps 4-6), for kernel
 * authors who port from EXOS: AllocPageTable, AllocPageDirectory, AllocUserPageDirectory and the
 * teardown EXOS lacked. They are thin: the work is in paging/walker.ts and
 * paging/address-spaces.ts.
 */
import { ERR_NONE, ERR_INVALID_ARGUMENT, ERR_NON_CANONICAL, ERR_OVERFLOW, ERR_PERMISSION, ERR_ALREADY_MAPPED, ERR_OUT_OF_MEMORY, isErrorCode } from '../errors.ts';
import { add64, addCarries64, compareU64, pairHi, shiftLeft64, shiftRightU64 } from '../int64/pair.ts';
import {
  archLevels,
  archLevelShift,
  archIndexOf,
  archEntryPresent,
  archAddressBits,
  archCanonical,
  archKernelStartLo,
  archKernelStartHi,
  archUserStartLo,
  archUserStartHi,
  archUserEndLo,
  archUserEndHi,
} from '../paging/backend.ts';
import { WALK_LOOK, WALK_CREATE, walkDescend, walkDescendLevel, walkRootIsActive, walkReserveSpares, walkReturnSpares } from '../paging/walker.ts';
import { tlbGatherBegin, tlbGatherFinish } from '../paging/tlb-gather.ts';
import { tableAccessDone, tableEntryRead, tableEntryHi } from '../paging/table-access.ts';
import { PAGE_WRITE, PAGE_USER } from '../paging/page-flags.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../paging/address-spaces.ts';
import { virtualSpaceCreate, virtualSpaceDestroy } from './virtual-space.ts';

let lastUserSpace: number = -1;

/** The most tables one allocPageTables call makes: 2^16 (256 GiB of 4 KiB pages on x86-64). */
export const PAGE_TABLES_MAX: number = 65536;

/** 1 when (aLo, aHi) and (bLo, bHi) agree in every bit from `shift` up (the same table above). */
const sameAbove = (aLo: number, aHi: number, bLo: number, bHi: number, shift: number): number => {
  const a: number = shiftRightU64(aLo, aHi, shift);
  const aTop: number = pairHi;
  const b: number = shiftRightU64(bLo, bHi, shift);
  return a === b && aTop === pairHi ? 1 : 0;
};

/** Where the k-th of a run of tables sits: (lo, hi) + k entries of the level above (pairHi: hi). */
const tablePosition = (lo: number, hi: number, level: number, k: number): number => {
  const offsetLo: number = shiftLeft64(k, 0, archLevelShift((level + 1) | 0));
  return add64(lo, hi, offsetLo, pairHi);
};

/**
 * How many tables allocPageTables must create for `count` tables of `level` from (lo, hi): the
 * missing ones, each counted once (consecutive tables share the parents they miss); -1 when a
 * large leaf stands where a table must go.
 */
const tablesMissing = (root: number, lo: number, hi: number, level: number, count: number): number => {
  let needed: number = 0;
  let prevLo: number = lo;
  let prevHi: number = hi;
  for (let k: number = 0; k < count; k = (k + 1) | 0) {
    const vaLo: number = tablePosition(lo, hi, level, k);
    const vaHi: number = pairHi;
    const table: number = walkDescend(root, vaLo, vaHi, level, 0, WALK_LOOK);
    const reached: number = walkDescendLevel();
    if (reached > level) {
      const entryLo: number = tableEntryRead(reached, table, archIndexOf(reached, vaLo, vaHi));
      if (archEntryPresent(entryLo, tableEntryHi) !== 0) return -1; // a leaf: validated, refused
      for (let missing: number = (reached - 1) | 0; missing >= level; missing = (missing - 1) | 0) {
        if (k === 0 || missing === level || sameAbove(vaLo, vaHi, prevLo, prevHi, archLevelShift((missing + 1) | 0)) === 0) needed = (needed + 1) | 0;
      }
    }
    prevLo = vaLo;
    prevHi = vaHi;
  }
  return needed;
};

/**
 * AllocPageTables: makes sure `count` consecutive tables of `level` (1 = page tables, up to one
 * below the root) exist in `root`, the first holding the entry for (lo, hi) and each next one the
 * next entry of the level above - the tables for a large range in one call. Missing tables (and
 * the tables above them) are created zeroed before they are linked, counted, and linked with the
 * rights in `flags` (page flags: WRITE, USER; existing entries are widened, never narrowed). All
 * the frames are taken first, as one contiguous block when there is one (seed 000, step 4), so a
 * call either creates everything or nothing. Returns the first table's frame, or
 * ERR_INVALID_ARGUMENT (root, level, count), ERR_NON_CANONICAL / ERR_OVERFLOW (the run leaves the
 * address space or crosses the canonical hole), ERR_PERMISSION (USER asked in kernel space),
 * ERR_ALREADY_MAPPED (a large page stands where a table must go), ERR_OUT_OF_MEMORY.
 */
export const allocPageTables = (root: number, lo: number, hi: number, level: number, count: number, flags: number): number => {
  if (root < 0 || level < 1 || level >= archLevels() || count < 1 || count > PAGE_TABLES_MAX) return ERR_INVALID_ARGUMENT;
  if ((flags & ~(PAGE_WRITE | PAGE_USER)) !== 0) return ERR_INVALID_ARGUMENT;
  if (archCanonical(lo, hi) === 0) return ERR_NON_CANONICAL;
  // the last table's position: no wrap past 2^64 (or 2^32), no crossing of the canonical hole
  const spanLo: number = shiftLeft64((count - 1) | 0, 0, archLevelShift((level + 1) | 0));
  const spanHi: number = pairHi;
  if (addCarries64(lo, hi, spanLo, spanHi) === 1) return ERR_OVERFLOW;
  const lastLo: number = add64(lo, hi, spanLo, spanHi);
  const lastHi: number = pairHi;
  if (archAddressBits() === 32 && lastHi !== 0) return ERR_OVERFLOW;
  if (archCanonical(lastLo, lastHi) === 0 || lastHi >>> 31 !== hi >>> 31) return ERR_NON_CANONICAL;
  if ((flags & PAGE_USER) !== 0 && compareU64(lastLo, lastHi, archKernelStartLo(), archKernelStartHi()) >= 0) return ERR_PERMISSION;
  const needed: number = tablesMissing(root, lo, hi, level, count);
  if (needed < 0) {
    tableAccessDone();
    return ERR_ALREADY_MAPPED;
  }
  if (needed > 0 && walkReserveSpares(needed, 1) !== ERR_NONE) {
    tableAccessDone();
    return ERR_OUT_OF_MEMORY;
  }
  tlbGatherBegin(walkRootIsActive(root));
  let first: number = -1;
  for (let k: number = 0; k < count; k = (k + 1) | 0) {
    const vaLo: number = tablePosition(lo, hi, level, k);
    const table: number = walkDescend(root, vaLo, pairHi, level, flags, WALK_CREATE);
    if (k === 0) first = table;
  }
  walkReturnSpares();
  tlbGatherFinish();
  tableAccessDone();
  return first;
};

/**
 * AllocPageTable: allocPageTables for one table - the table of `level` that holds the entry for
 * (lo, hi), with every table above it. Returns its frame or allocPageTables' errors.
 */
export const allocPageTable = (root: number, lo: number, hi: number, level: number, flags: number): number =>
  allocPageTables(root, lo, hi, level, 1, flags);

/** AllocPageDirectory: a new root with the kernel's mappings (shared) and an empty user half. */
export const allocPageDirectory = (): number => addressSpaceCreate();

/**
 * AllocUserPageDirectory: a new root as AllocPageDirectory, plus the free-space index of its
 * user half, whose handle userPageDirectorySpace() returns (pass both to regionsUseUserSpace).
 * Everything is rolled back when either part cannot be had.
 */
export const allocUserPageDirectory = (): number => {
  const root: number = addressSpaceCreate();
  if (root < 0) return root;
  const space: number = virtualSpaceCreate(archUserStartLo(), archUserStartHi(), archUserEndLo(), archUserEndHi());
  if (isErrorCode(space) === 1 || space < 0) {
    addressSpaceRelease(root);
    return space;
  }
  lastUserSpace = space;
  return root;
};

/** The free-space index made by the last successful allocUserPageDirectory. */
export const userPageDirectorySpace = (): number => lastUserSpace;

/** Frees what allocUserPageDirectory made: every user mapping, table and frame, the index, the root. */
export const freeUserPageDirectory = (root: number, space: number): number => {
  const released: number = addressSpaceRelease(root);
  if (released < 0) return released;
  return virtualSpaceDestroy(space) < 0 ? ERR_INVALID_ARGUMENT : released;
};
