/*
 * The page-directory calls under the names of the refactor plan (seed 000, steps 4-6), for kernel
 * authors who port from EXOS: AllocPageTable, AllocPageDirectory, AllocUserPageDirectory and the
 * teardown EXOS lacked. They are thin: the work is in paging/walker.ts and
 * paging/address-spaces.ts.
 */
import { ERR_INVALID_ARGUMENT, ERR_NON_CANONICAL, isErrorCode } from '../errors.ts';
import { archLevels, archCanonical, archUserStartLo, archUserStartHi, archUserEndLo, archUserEndHi } from '../paging/backend.ts';
import { walkDescend, walkRootIsActive } from '../paging/walker.ts';
import { tlbGatherBegin, tlbGatherFinish } from '../paging/tlb-gather.ts';
import { tableAccessDone } from '../paging/table-access.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../paging/address-spaces.ts';
import { virtualSpaceCreate, virtualSpaceDestroy } from './virtual-space.ts';

let lastUserSpace: number = -1;

/**
 * AllocPageTable: makes sure the table of `level` (1 = page table, up to one below the root) that
 * holds the entry for (lo, hi) exists in `root`, creating it and every table above it zeroed,
 * counted and linked with the rights in `flags` (page flags; existing entries are widened, never
 * narrowed). Returns the table's frame, or ERR_INVALID_ARGUMENT / ERR_NON_CANONICAL /
 * ERR_OUT_OF_MEMORY (nothing created) / ERR_ALREADY_MAPPED (a large page covers the address).
 */
export const allocPageTable = (root: number, lo: number, hi: number, level: number, flags: number): number => {
  if (root < 0 || level < 1 || level >= archLevels()) return ERR_INVALID_ARGUMENT;
  if (archCanonical(lo, hi) === 0) return ERR_NON_CANONICAL;
  tlbGatherBegin(walkRootIsActive(root));
  const table: number = walkDescend(root, lo, hi, level, flags, 1);
  tlbGatherFinish();
  tableAccessDone();
  return table;
};

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
