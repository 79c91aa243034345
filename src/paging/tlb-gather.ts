/*
 * TLB invalidation for one paging operation (Linux's mmu_gather, reduced to one CPU).
 *
 * New mappings of empty entries need no flush: x86 never caches a not-present translation.
 * Removals and permission reductions are gathered while the walker works and flushed once at the
 * end: page by page (invlpg) up to TLB_GATHER_MAX pages in one ascending run of equal-size pages,
 * the whole TLB beyond that (Linux's threshold is 33), and the whole TLB whenever an intermediate
 * entry changed (the paging-structure caches hold those). Global pages need the global flush.
 *
 * Frames freed by an operation go back to the page bitmap before the flush, but nothing can
 * reuse them before it: the manager is not reentrant, an operation allocates nothing after it has
 * started freeing, and the flush happens before the operation returns. (With several CPUs this
 * becomes a real gather: shoot down, then free.)
 */
import { portInvlpg, portFlushTlb, portFlushTlbGlobal } from '../port/port.ts';
import { add64, compareU64, pairHi } from '../int64/pair.ts';

export const TLB_GATHER_MAX: number = 32;

let gatherActive: number = 0;
let gatherPages: number = 0;
let gatherRun: number = 1; // 0 once the gathered leaves stop forming one ascending run of one size
let gatherShift: number = 12;
let gatherStartLo: number = 0;
let gatherStartHi: number = 0;
let gatherNextLo: number = 0;
let gatherNextHi: number = 0;
let gatherFull: number = 0;
let gatherGlobal: number = 0;
let gatherCounterInvlpg: number = 0;
let gatherCounterFull: number = 0;

/** Starts an operation on a root that is (1) or is not (0) the one loaded in CR3. */
export const tlbGatherBegin = (rootIsActive: number): number => {
  gatherActive = rootIsActive;
  gatherPages = 0;
  gatherRun = 1;
  gatherFull = 0;
  gatherGlobal = 0;
  return 0;
};

/** A leaf of size 2^shift at (lo, hi) lost its mapping or some of its rights. */
export const tlbGatherLeaf = (lo: number, hi: number, shift: number, global: number): number => {
  if (global !== 0) gatherGlobal = 1;
  if (gatherPages === 0) {
    gatherShift = shift;
    gatherStartLo = lo;
    gatherStartHi = hi;
  } else if (shift !== gatherShift || compareU64(lo, hi, gatherNextLo, gatherNextHi) !== 0) {
    gatherRun = 0;
  }
  gatherPages = (gatherPages + 1) | 0;
  gatherNextLo = add64(lo, hi, 1 << shift, shift >= 32 ? 1 << (shift - 32) : 0);
  gatherNextHi = pairHi;
  return 0;
};

/** An intermediate entry changed (a table was unlinked, split or widened): flush everything. */
export const tlbGatherTableChange = (global: number): number => {
  gatherFull = 1;
  if (global !== 0) gatherGlobal = 1;
  return 0;
};

/** Performs the flush the operation needs; returns how many invlpg it issued (-1: full flush). */
export const tlbGatherFinish = (): number => {
  const needed: number = gatherActive !== 0 || gatherGlobal !== 0 ? 1 : 0;
  const pages: number = gatherPages;
  gatherPages = 0;
  if (needed === 0 || (pages === 0 && gatherFull === 0)) return 0;
  if (gatherFull === 0 && gatherRun === 1 && pages <= TLB_GATHER_MAX) {
    let lo: number = gatherStartLo;
    let hi: number = gatherStartHi;
    for (let k: number = 0; k < pages; k = (k + 1) | 0) {
      portInvlpg(lo, hi);
      lo = add64(lo, hi, 1 << gatherShift, gatherShift >= 32 ? 1 << (gatherShift - 32) : 0);
      hi = pairHi;
    }
    gatherCounterInvlpg = (gatherCounterInvlpg + pages) | 0;
    return pages;
  }
  if (gatherGlobal !== 0) portFlushTlbGlobal();
  else portFlushTlb();
  gatherCounterFull = (gatherCounterFull + 1) | 0;
  return -1;
};

/** Totals since boot, for benchmarks and tests: invlpg issued, full flushes. */
export const tlbGatherInvlpgTotal = (): number => gatherCounterInvlpg;
export const tlbGatherFullTotal = (): number => gatherCounterFull;
