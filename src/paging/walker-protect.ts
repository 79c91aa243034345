/*
 * Changing the rights of mapped pages (mprotect): the write and no-execute rights of every leaf
 * in a range, in place - same frames, same cache and ownership bits - one table at a time.
 *
 * TLB (seed 001; tlb-gather.ts): a leaf whose rights change is flushed page by page up to the
 * gather's batch and with one whole flush beyond it. Reductions must be flushed, or the old, wider
 * right stays usable through the TLB. Widenings are flushed too: x86 may keep the narrower
 * translation and fault once on it (Intel SDM 4.10.4.3, "optional invalidation"), and a kernel
 * that picks this manager up need not have a spurious-fault path. Leaves whose rights stay the
 * same are not written and cost no flush.
 *
 * Intermediate entries grant the union of what their subtree needs: a leaf that gains the write
 * right widens the entries above it (an intermediate change: the gather flushes everything). A
 * leaf that loses it leaves its parents as they are - x86 ANDs the levels, so the leaf alone
 * decides, and narrowing a parent would mean reading all of its other entries.
 *
 * A large leaf that straddles an end of the range is split first, with every table the splits
 * need taken before anything changes: without them the call fails with ERR_OUT_OF_MEMORY and the
 * hierarchy is as it was. Holes in the range are skipped.
 */
import { ERR_NONE, ERR_OUT_OF_MEMORY } from '../errors.ts';
import { pairHi } from '../int64/pair.ts';
import { archTableEntries, archLevelShift, archIndexOf, archEncodeLeaf, archEntryPresent, archEntryIsLeaf, archEntryFrame, archEntryFlags } from './backend.ts';
import { tableEntryRead, tableEntryWrite, tableEntryHi, tableAccessDone } from './table-access.ts';
import { tlbGatherBegin, tlbGatherLeaf, tlbGatherFinish } from './tlb-gather.ts';
import { PAGE_WRITE, PAGE_NO_EXECUTE, PAGE_GLOBAL } from './page-flags.ts';
import {
  WALK_LOOK,
  WALK_WIDEN,
  walkDescend,
  walkDescendLevel,
  walkSplitEnds,
  walkRootIsActive,
  walkAdvance,
  walkPagesToEntryEnd,
  walkSpanPagesShift,
} from './walker.ts';

/** The rights walkProtectRange sets; every other flag of a leaf stays as it is. */
export const PROTECT_RIGHTS: number = PAGE_WRITE | PAGE_NO_EXECUTE;

/**
 * Gives every leaf in [(lo, hi), + pages) of `root` the rights `rights` (PAGE_WRITE,
 * PAGE_NO_EXECUTE; other bits are ignored). Returns ERR_NONE, or ERR_OUT_OF_MEMORY with nothing
 * changed when a large leaf at an end cannot be split.
 */
export const walkProtectRange = (root: number, lo: number, hi: number, pages: number, rights: number): number => {
  const wanted: number = rights & PROTECT_RIGHTS;
  tlbGatherBegin(walkRootIsActive(root));
  if (walkSplitEnds(root, lo, hi, pages) !== ERR_NONE) {
    tableAccessDone();
    return ERR_OUT_OF_MEMORY;
  }
  // The same walk as walker.ts's walkClearRange (a table at a time, entry by entry, holes
  // skipped) with another action per leaf: the subset has no function values to pass one in.
  let done: number = 0;
  while (done < pages) {
    const vaLo: number = walkAdvance(lo, hi, done);
    const vaHi: number = pairHi;
    const table: number = walkDescend(root, vaLo, vaHi, 1, 0, WALK_LOOK);
    const level: number = walkDescendLevel();
    const entries: number = archTableEntries(level);
    const spanShift: number = walkSpanPagesShift(level);
    let index: number = archIndexOf(level, vaLo, vaHi);
    let widen: number = 0;
    // the first entry may be entered part-way (va sits inside a hole's span)
    let step: number = walkPagesToEntryEnd(level, vaLo, vaHi);
    while (index < entries && done < pages) {
      const entryLo: number = tableEntryRead(level, table, index);
      const entryHi: number = tableEntryHi;
      const spanPages: number = spanShift >= 31 ? 2147483647 : 1 << spanShift;
      if (archEntryPresent(entryLo, entryHi) !== 0) {
        if (archEntryIsLeaf(level, entryLo, entryHi) === 0) break; // a table below: descend again
        const old: number = archEntryFlags(entryLo, entryHi);
        const next: number = (old & ~PROTECT_RIGHTS) | wanted;
        if (next !== old) {
          const leafLo: number = archEncodeLeaf(archEntryFrame(level, entryLo, entryHi), level, next);
          tableEntryWrite(level, table, index, leafLo, pairHi);
          const pageLo: number = walkAdvance(lo, hi, done);
          tlbGatherLeaf(pageLo, pairHi, archLevelShift(level), old & PAGE_GLOBAL);
          if ((next & PAGE_WRITE) !== 0) widen = 1;
        }
      }
      done = step > pages - done ? pages : (done + step) | 0;
      step = spanPages;
      index = (index + 1) | 0;
    }
    // the entries above a leaf that gained the write right must grant it too
    if (widen !== 0) walkDescend(root, vaLo, vaHi, level, PAGE_WRITE, WALK_WIDEN);
  }
  tlbGatherFinish();
  tableAccessDone();
  return ERR_NONE;
};
