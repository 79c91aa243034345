/*
 * The generic page-table walker: map, unmap, translate and test ranges in any paging mode, through
 * the backend's entry format (src/paging/backend.ts) and the chosen table access
 * (table-access.ts).
 *
 * Ranges are walked one table at a time, not one page at a time: the walker descends once to
 * the table that holds a run of entries, handles every entry of the range in that table, and
 * descends again only when the run leaves the table. Every table (but roots and pinned kernel
 * tables) carries its count of valid entries in the frame counters (memory/frame-counters.ts), so
 * a table is released the moment its last entry goes, without scanning anything.
 *
 * Rights: an intermediate entry grants the union of what its subtree needs (x86 ANDs the levels),
 * and a leaf grants exactly what was asked, so narrowing a leaf never leaves a wider right
 * reachable. NX is only ever set on leaves.
 *
 * Failure is atomic: a map that fails part-way (no frame for a page or a table) unmaps what it
 * mapped and releases the tables it created; an unmap that must split large pages takes every
 * table it needs before touching anything.
 */
import { ERR_NONE, ERR_ALREADY_MAPPED, ERR_NOT_MAPPED, ERR_OUT_OF_MEMORY } from '../errors.ts';
import { add64, compareU64, pairHi, returnPair, shiftLeft64, frameToAddress } from '../int64/pair.ts';
import { frameAlloc, frameAllocBelow, frameAllocContiguous, frameFree, frameFreeRange } from '../memory/frame-bitmap.ts';
import { frameCounterGet, frameCounterSet, frameCounterAdd } from '../memory/frame-counters.ts';
import {
  archLevels,
  archTableEntries,
  archLevelShift,
  archLeafAllowed,
  archIndexOf,
  archEncodeTable,
  archEncodeLeaf,
  archEntryPresent,
  archEntryIsLeaf,
  archEntryFrame,
  archEntryFlags,
  archTableEntryWiden,
  archRootChangeNeedsReload,
  archFrameLimit,
} from './backend.ts';
import { tableEntryRead, tableEntryWrite, tableEntryHi, tableZero, tableFrameAlloc, tableFrameLimit, tableAccessDone } from './table-access.ts';
import { tableAccessPath, tableAccessLinked, tableLinkFlags, tableAccessWantsPath, tableActiveRoot } from './table-access.ts';
import { tlbGatherBegin, tlbGatherLeaf, tlbGatherTableChange, tlbGatherFinish } from './tlb-gather.ts';
import { PAGE_FOREIGN, PAGE_GLOBAL } from './page-flags.ts';

/** Counter value of pinned tables (roots' shared kernel tables): never reaches 0, never freed. */
export const TABLE_PINNED: number = 32768;

/** What walkDescend found: the level of the table it returns, and the entry it stopped on. */
let walkLevel: number = 0;
/** Result details of walkTranslate: the leaf's level and page flags. */
let walkLeafLevel: number = 0;
let walkLeafFlags: number = 0;
let walkLeafFrame: number = 0;

/**
 * Frames taken ahead for new tables - by splits (an unmap takes them all before changing
 * anything) and by allocPageTables (a block of consecutive tables) - kept as a list threaded
 * through the frames themselves: each holds the next one's number in its first word. While the
 * list holds frames, walkDescend builds with them instead of allocating.
 */
let splitSpareHead: number = -1;

/** A frame for a 4 KiB page the entry format can hold (two-level: below 4 GiB). */
const walkDataFrameAlloc = (): number => {
  const limit: number = archFrameLimit();
  return limit === 2147483647 ? frameAlloc() : frameAllocBelow(limit);
};

/** The kernel's root: its kernel ranges are shared by every address space (address-spaces.ts). */
let walkKernelRoot: number = -1;

export const walkSetKernelRoot = (root: number): number => {
  walkKernelRoot = root;
  return 0;
};

/**
 * 1 when changes to `root` can be in the TLB: it is the root loaded in CR3, or it is the kernel's
 * root, whose kernel mappings every loaded root shares.
 */
export const walkRootIsActive = (root: number): number => {
  return tableActiveRoot() === root || root === walkKernelRoot ? 1 : 0;
};

/** Pages (4 KiB) that one entry at `level` maps, as a shift: 0, 9 (or 10), 18... */
export const walkSpanPagesShift = (level: number): number => (archLevelShift(level) - 12) | 0;

/**
 * Pages from (lo, hi) to the end of the entry at `level` that maps it, capped at 2^31 - 1 (an
 * entry high in the tree spans far more pages than an int32 counts).
 */
export const walkPagesToEntryEnd = (level: number, lo: number, hi: number): number => {
  const shift: number = archLevelShift(level);
  // the address inside the entry's span, in pages: bits 12 .. shift-1 of (lo, hi)
  const pageLo: number = (lo >>> 12) | (hi << 20);
  const pageHi: number = hi >>> 12;
  const spanPagesShift: number = (shift - 12) | 0;
  if (spanPagesShift >= 31) {
    // beyond int32: the distance is at least 2^31 - 1 unless the address sits near the end
    const insideHi: number = spanPagesShift >= 32 ? pageHi & ((1 << (spanPagesShift - 32)) - 1) : 0;
    const maxHi: number = spanPagesShift >= 32 ? (1 << (spanPagesShift - 32)) - 1 : 0;
    if (insideHi < maxHi) return 2147483647;
    const remaining: number = (0 - pageLo) | 0; // 2^32 - pageLo, as the low word
    return remaining <= 0 || remaining > 2147483647 ? 2147483647 : remaining;
  }
  const inside: number = pageLo & ((1 << spanPagesShift) - 1);
  return ((1 << spanPagesShift) - inside) | 0;
};

/** (lo, hi) + pages * 4096. */
export const walkAdvance = (lo: number, hi: number, pages: number): number => {
  const offsetLo: number = shiftLeft64(pages, 0, 12);
  const offsetHi: number = pairHi;
  return add64(lo, hi, offsetLo, offsetHi);
};

/** The next spare frame (walkReserveSpares took enough). */
const walkTakeSpare = (): number => {
  const frame: number = splitSpareHead;
  splitSpareHead = tableEntryRead(1, frame, 0);
  return frame;
};

/** Gives back the spares a walk did not use. */
export const walkReturnSpares = (): number => {
  while (splitSpareHead >= 0) frameFree(walkTakeSpare());
  return ERR_NONE;
};

/**
 * Takes `count` frames for tables ahead of time, one by one or - with contiguous = 1 - as one
 * contiguous block when the bitmap has one below the tables' limit (consecutive tables side by
 * side: less fragmentation), else one by one; on failure gives back what it took
 * (ERR_OUT_OF_MEMORY).
 */
export const walkReserveSpares = (count: number, contiguous: number): number => {
  splitSpareHead = -1;
  let block: number = contiguous !== 0 && count > 1 ? frameAllocContiguous(count, 1) : -1;
  if (block >= 0 && ((block + count) | 0) > tableFrameLimit()) {
    frameFreeRange(block, count);
    block = -1;
  }
  for (let k: number = 0; k < count; k = (k + 1) | 0) {
    // a block is threaded from its end, so the walk takes its frames in ascending order
    const frame: number = block >= 0 ? (block + count - 1 - k) | 0 : tableFrameAlloc();
    if (frame < 0) {
      walkReturnSpares();
      return ERR_OUT_OF_MEMORY;
    }
    // link through the frame's first word (a split overwrites every entry of the table it makes)
    tableEntryWrite(1, frame, 0, splitSpareHead, 0);
    splitSpareHead = frame;
  }
  return ERR_NONE;
};

/** walkDescend's modes: only look; create what is missing (and widen); widen what is there. */
export const WALK_LOOK: number = 0;
export const WALK_CREATE: number = 1;
export const WALK_WIDEN: number = 2;

/**
 * Descends from `root` towards (lo, hi) and returns the frame of the table at `targetLevel` that
 * holds its entry. With WALK_CREATE, missing tables are created (zeroed, counted) and existing
 * intermediate entries widened to `flags`; a large leaf in the way is ERR_ALREADY_MAPPED, a
 * failed table allocation ERR_OUT_OF_MEMORY. With WALK_LOOK, the walk stops at the first entry
 * that is not present or is a leaf: it returns that table, and walkLevel (walkDescendLevel())
 * tells its level. WALK_WIDEN walks like WALK_LOOK but widens the entries it passes to `flags`.
 */
export const walkDescend = (root: number, lo: number, hi: number, targetLevel: number, flags: number, create: number): number => {
  let table: number = root;
  const tableFlags: number = tableLinkFlags(flags); // pageFlagsForTable, plus what the self-map needs
  // the walk context: which tables the recursive self-map shows (table-access.ts)
  if (tableAccessWantsPath !== 0) tableAccessPath(root, lo, hi);
  for (let level: number = archLevels(); level > targetLevel; level = (level - 1) | 0) {
    const index: number = archIndexOf(level, lo, hi);
    const entryLo: number = tableEntryRead(level, table, index);
    const entryHi: number = tableEntryHi;
    if (archEntryPresent(entryLo, entryHi) !== 0) {
      if (archEntryIsLeaf(level, entryLo, entryHi) !== 0) {
        walkLevel = level;
        return create === WALK_CREATE ? ERR_ALREADY_MAPPED : table;
      }
      if (create !== WALK_LOOK && (archEntryFlags(entryLo, entryHi) & tableFlags) !== tableFlags) {
        const widenedLo: number = archTableEntryWiden(entryLo, entryHi, tableFlags);
        tableEntryWrite(level, table, index, widenedLo, pairHi);
        tlbGatherTableChange(0);
      }
      table = archEntryFrame(level, entryLo, entryHi);
      if (tableAccessWantsPath !== 0) tableAccessLinked((level - 1) | 0, table);
      continue;
    }
    if (create !== WALK_CREATE) {
      walkLevel = level;
      return table;
    }
    const fresh: number = splitSpareHead >= 0 ? walkTakeSpare() : tableFrameAlloc();
    if (fresh < 0) return ERR_OUT_OF_MEMORY;
    tableZero((level - 1) | 0, fresh);
    frameCounterSet(fresh, 0);
    const newLo: number = archEncodeTable(fresh, level, tableFlags);
    tableEntryWrite(level, table, index, newLo, pairHi);
    frameCounterAdd(table, 1);
    if (level === archLevels() && archRootChangeNeedsReload() !== 0) tlbGatherTableChange(0);
    if (tableAccessWantsPath !== 0) tableAccessLinked((level - 1) | 0, fresh); // zeroed above through a slot: not linked then
    table = fresh;
  }
  walkLevel = targetLevel;
  return table;
};

/** The level of the table the last walkDescend returned. */
export const walkDescendLevel = (): number => walkLevel;

/**
 * Releases the tables on the way to (lo, hi) that hold no entry any more, bottom up: each is
 * unlinked from its parent and freed (the gather flushes all: the paging-structure caches may hold
 * it). Roots and pinned tables stay.
 */
const walkReleaseEmpty = (root: number, lo: number, hi: number): number => {
  for (let level: number = 1; level < archLevels(); level = (level + 1) | 0) {
    const parent: number = walkDescend(root, lo, hi, (level + 1) | 0, 0, WALK_LOOK);
    if (walkLevel !== level + 1) continue; // the path ends above this level: nothing to release here
    const index: number = archIndexOf((level + 1) | 0, lo, hi);
    const entryLo: number = tableEntryRead((level + 1) | 0, parent, index);
    const entryHi: number = tableEntryHi;
    if (archEntryPresent(entryLo, entryHi) === 0 || archEntryIsLeaf((level + 1) | 0, entryLo, entryHi) !== 0) continue;
    const child: number = archEntryFrame((level + 1) | 0, entryLo, entryHi);
    if (frameCounterGet(child) !== 0) return ERR_NONE;
    tableEntryWrite((level + 1) | 0, parent, index, 0, 0);
    frameCounterAdd(parent, -1);
    frameFree(child);
    tlbGatherTableChange(1);
  }
  return ERR_NONE;
};

/** Frees the frames of a leaf the manager owns (not FIXED, not I/O). */
const walkFreeLeafFrames = (level: number, entryLo: number, entryHi: number): number => {
  if ((archEntryFlags(entryLo, entryHi) & PAGE_FOREIGN) !== 0) return ERR_NONE;
  const frame: number = archEntryFrame(level, entryLo, entryHi);
  if (level === 1) return frameFree(frame);
  return frameFreeRange(frame, 1 << walkSpanPagesShift(level));
};

/**
 * Unmaps every leaf in [(lo, hi), + pages) - holes are skipped - freeing the frames the manager
 * owns when freeFrames is 1, and releasing tables that empty. Large leaves must lie wholly inside
 * the range (walkUnmapRange splits the ends first). Returns the number of pages that were mapped.
 */
const walkClearRange = (root: number, lo: number, hi: number, pages: number, freeFrames: number): number => {
  let done: number = 0;
  let unmapped: number = 0;
  while (done < pages) {
    const vaLo: number = walkAdvance(lo, hi, done);
    const vaHi: number = pairHi;
    const table: number = walkDescend(root, vaLo, vaHi, 1, 0, WALK_LOOK);
    const level: number = walkLevel;
    const entries: number = archTableEntries(level);
    const spanShift: number = walkSpanPagesShift(level);
    let index: number = archIndexOf(level, vaLo, vaHi);
    let cleared: number = 0;
    // the first entry may be entered part-way (va sits inside a hole's span)
    let step: number = walkPagesToEntryEnd(level, vaLo, vaHi);
    while (index < entries && done < pages) {
      const entryLo: number = tableEntryRead(level, table, index);
      const entryHi: number = tableEntryHi;
      const spanPages: number = spanShift >= 31 ? 2147483647 : 1 << spanShift;
      if (archEntryPresent(entryLo, entryHi) !== 0) {
        if (archEntryIsLeaf(level, entryLo, entryHi) === 0) break; // a table below: descend again
        tableEntryWrite(level, table, index, 0, 0);
        cleared = (cleared + 1) | 0;
        unmapped = (unmapped + spanPages) | 0;
        if (freeFrames !== 0) walkFreeLeafFrames(level, entryLo, entryHi);
        const leafLo: number = walkAdvance(lo, hi, done);
        tlbGatherLeaf(leafLo, pairHi, archLevelShift(level), archEntryFlags(entryLo, entryHi) & PAGE_GLOBAL);
      }
      done = step > pages - done ? pages : (done + step) | 0;
      step = spanPages;
      index = (index + 1) | 0;
    }
    if (cleared > 0) {
      frameCounterAdd(table, -cleared);
      walkReleaseEmpty(root, vaLo, vaHi);
    }
  }
  return unmapped;
};

/**
 * The table holding a large leaf that straddles the page boundary at (lo, hi) - the leaf maps
 * (lo, hi) and starts below it - or -1; walkLevel is the leaf's level.
 */
const walkStraddlingLeaf = (root: number, lo: number, hi: number): number => {
  const table: number = walkDescend(root, lo, hi, 1, 0, WALK_LOOK);
  const level: number = walkLevel;
  if (level === 1) return -1;
  const entryLo: number = tableEntryRead(level, table, archIndexOf(level, lo, hi));
  const entryHi: number = tableEntryHi;
  if (archEntryPresent(entryLo, entryHi) === 0 || archEntryIsLeaf(level, entryLo, entryHi) === 0) return -1;
  // a boundary at the leaf's own start needs no split
  return ((lo >>> 12) & ((1 << walkSpanPagesShift(level)) - 1)) === 0 ? -1 : table;
};

/**
 * How many splits it takes so that no large leaf straddles the page boundary at (lo, hi): for
 * each large leaf around it, one table per level down to 4 KiB pages.
 */
const walkSplitsNeeded = (root: number, lo: number, hi: number): number =>
  walkStraddlingLeaf(root, lo, hi) < 0 ? 0 : (walkLevel - 1) | 0;

/**
 * Replaces the large leaf that holds (lo, hi) by a table of next-smaller leaves with the same
 * frames and rights (break-before-make is not needed: the translations stay the same), repeated
 * down to 4 KiB pages at (lo, hi). Uses the spare frames.
 */
const walkSplitAt = (root: number, lo: number, hi: number): number => {
  while (true) {
    const table: number = walkStraddlingLeaf(root, lo, hi);
    if (table < 0) return ERR_NONE;
    const level: number = walkLevel;
    const index: number = archIndexOf(level, lo, hi);
    const entryLo: number = tableEntryRead(level, table, index);
    const entryHi: number = tableEntryHi;
    const flags: number = archEntryFlags(entryLo, entryHi);
    const first: number = archEntryFrame(level, entryLo, entryHi);
    const child: number = walkTakeSpare();
    const childLevel: number = (level - 1) | 0;
    const childEntries: number = archTableEntries(childLevel);
    const childSpanPages: number = 1 << walkSpanPagesShift(childLevel);
    for (let k: number = 0; k < childEntries; k = (k + 1) | 0) {
      const leafLo: number = archEncodeLeaf((first + k * childSpanPages) | 0, childLevel, flags);
      tableEntryWrite(childLevel, child, k, leafLo, pairHi);
    }
    frameCounterSet(child, childEntries);
    const pointerLo: number = archEncodeTable(child, level, tableLinkFlags(flags));
    tableEntryWrite(level, table, index, pointerLo, pairHi);
    tlbGatherTableChange(flags & PAGE_GLOBAL);
  }
};

/**
 * Splits the large leaves that straddle either end of [(lo, hi), + pages), so that every leaf is
 * wholly inside or wholly outside the range. All the tables it needs are taken first: without
 * them nothing changes (ERR_OUT_OF_MEMORY). Part of an operation: the caller gathers the flush.
 */
export const walkSplitEnds = (root: number, lo: number, hi: number, pages: number): number => {
  const endLo: number = walkAdvance(lo, hi, pages);
  const endHi: number = pairHi;
  const splits: number = (walkSplitsNeeded(root, lo, hi) + walkSplitsNeeded(root, endLo, endHi)) | 0;
  if (splits > 0 && walkReserveSpares(splits, 0) !== ERR_NONE) return ERR_OUT_OF_MEMORY;
  walkSplitAt(root, lo, hi);
  walkSplitAt(root, endLo, endHi);
  return walkReturnSpares();
};

/**
 * Unmaps [(lo, hi), + pages) in the hierarchy of `root`: every mapped page goes (holes are
 * fine), the frames the manager owns are freed when freeFrames is 1, emptied tables are released,
 * and the TLB is flushed as the change needs. Large pages that straddle an end are split first;
 * if the tables for that cannot be had, nothing changes (ERR_OUT_OF_MEMORY). Returns the number of
 * pages that were mapped.
 */
export const walkUnmapRange = (root: number, lo: number, hi: number, pages: number, freeFrames: number): number => {
  tlbGatherBegin(walkRootIsActive(root));
  if (walkSplitEnds(root, lo, hi, pages) !== ERR_NONE) {
    tableAccessDone();
    return ERR_OUT_OF_MEMORY;
  }
  const unmapped: number = walkClearRange(root, lo, hi, pages, freeFrames);
  tlbGatherFinish();
  tableAccessDone();
  return unmapped;
};

/**
 * The leaf level for mapping at (lo, hi) with `remaining` pages left and the frame `frame` (-1:
 * frames are allocated): the largest leaf the mode allows whose span is aligned at the address
 * and at the frame, and fits in what is left. allowLarge = 0 keeps 4 KiB pages.
 */
const walkLeafLevelFor = (lo: number, remaining: number, frame: number, allowLarge: number): number => {
  if (allowLarge === 0) return 1;
  for (let level: number = 3; level > 1; level = (level - 1) | 0) {
    if (archLeafAllowed(level) === 0) continue;
    const shift: number = walkSpanPagesShift(level);
    const spanPages: number = 1 << shift;
    if (remaining < spanPages) continue;
    if ((lo >>> 12) & (spanPages - 1)) continue;
    if (frame >= 0 && (frame & (spanPages - 1)) !== 0) continue;
    return level;
  }
  return 1;
};

/**
 * Maps [(lo, hi), + pages) in the hierarchy of `root` with `flags`, to frames firstFrame,
 * firstFrame + 1, ... or, when firstFrame is -1, to frames taken from the page bitmap (not
 * zeroed). Leaves are as large as alignment allows when allowLarge is 1 (an allocation of a large
 * run that fails falls back to 4 KiB pages). The range must be unmapped (ERR_ALREADY_MAPPED).
 * On any failure everything this call did is undone and the error returned.
 */
export const walkMapRange = (
  root: number,
  lo: number,
  hi: number,
  pages: number,
  firstFrame: number,
  flags: number,
  allowLarge: number,
): number => {
  tlbGatherBegin(walkRootIsActive(root));
  let done: number = 0;
  let status: number = ERR_NONE;
  // below this level when a table already sits where a large leaf would go (e.g. a pinned kernel table)
  let levelCap: number = 3;
  while (done < pages && status === ERR_NONE) {
    const vaLo: number = walkAdvance(lo, hi, done);
    const vaHi: number = pairHi;
    const remaining: number = (pages - done) | 0;
    let level: number = walkLeafLevelFor(vaLo, remaining, firstFrame >= 0 ? (firstFrame + done) | 0 : -1, allowLarge);
    if (level > levelCap) level = levelCap;
    let largeRun: number = -1;
    if (level > 1 && firstFrame < 0) {
      const spanPages: number = 1 << walkSpanPagesShift(level);
      largeRun = frameAllocContiguous(spanPages, spanPages);
      if (largeRun < 0) level = 1;
    }
    const table: number = walkDescend(root, vaLo, vaHi, level, flags, WALK_CREATE);
    if (table < 0) {
      if (largeRun >= 0) frameFreeRange(largeRun, 1 << walkSpanPagesShift(level));
      status = table;
      walkReleaseEmpty(root, vaLo, vaHi); // the tables this descent created before it failed
      break;
    }
    const spanShift: number = walkSpanPagesShift(level);
    const entries: number = archTableEntries(level);
    let index: number = archIndexOf(level, vaLo, vaHi);
    let written: number = 0;
    // one large leaf per descent (the next one may need another allocation); a table's run of 4 KiB pages in one go
    const limit: number = level > 1 ? 1 : (entries - index) | 0;
    while (written < limit && done < pages) {
      const entryLo: number = tableEntryRead(level, table, index);
      const entryHi: number = tableEntryHi;
      if (archEntryPresent(entryLo, entryHi) !== 0) {
        if (largeRun >= 0) frameFreeRange(largeRun, 1 << spanShift);
        largeRun = -1;
        if (level > 1 && archEntryIsLeaf(level, entryLo, entryHi) === 0) {
          levelCap = (level - 1) | 0; // a table is there: map inside it with smaller leaves
          break;
        }
        status = ERR_ALREADY_MAPPED;
        break;
      }
      let frame: number = largeRun;
      if (firstFrame >= 0) frame = (firstFrame + done) | 0;
      else if (level === 1) frame = walkDataFrameAlloc();
      if (frame < 0) {
        status = ERR_OUT_OF_MEMORY;
        break;
      }
      const leafLo: number = archEncodeLeaf(frame, level, flags);
      tableEntryWrite(level, table, index, leafLo, pairHi);
      levelCap = 3;
      written = (written + 1) | 0;
      done = (done + (1 << spanShift)) | 0;
      index = (index + 1) | 0;
    }
    if (written > 0) frameCounterAdd(table, written);
    if (status !== ERR_NONE) {
      // tables this descent created but did not fill
      walkReleaseEmpty(root, vaLo, vaHi);
    }
  }
  if (status !== ERR_NONE) {
    walkClearRange(root, lo, hi, done, firstFrame < 0 ? 1 : 0);
    tlbGatherFinish();
    tableAccessDone();
    return status;
  }
  tlbGatherFinish();
  tableAccessDone();
  return ERR_NONE;
};

/**
 * The physical address (lo; pairHi: hi) that (lo, hi) translates to in `root`, or
 * ERR_NOT_MAPPED; walkTranslatedLevel/Flags/Frame then describe the leaf.
 */
export const walkTranslate = (root: number, lo: number, hi: number): number => {
  const table: number = walkDescend(root, lo, hi, 1, 0, WALK_LOOK);
  const level: number = walkLevel;
  const entryLo: number = tableEntryRead(level, table, archIndexOf(level, lo, hi));
  const entryHi: number = tableEntryHi;
  tableAccessDone();
  if (archEntryPresent(entryLo, entryHi) === 0) return ERR_NOT_MAPPED;
  walkLeafLevel = level;
  walkLeafFlags = archEntryFlags(entryLo, entryHi);
  walkLeafFrame = archEntryFrame(level, entryLo, entryHi);
  const shift: number = archLevelShift(level);
  const baseLo: number = frameToAddress(walkLeafFrame);
  const baseHi: number = pairHi;
  // offset inside the leaf: the low `shift` bits of the linear address (leaves are at most 1 GiB)
  const offset: number = lo & ((1 << shift) - 1);
  const physLo: number = add64(baseLo, baseHi, offset, 0);
  return returnPair(physLo, pairHi);
};

export const walkTranslatedLevel = (): number => walkLeafLevel;
export const walkTranslatedFlags = (): number => walkLeafFlags;
export const walkTranslatedFrame = (): number => walkLeafFrame;

/** 1 when no page of [(lo, hi), + pages) is mapped in `root`; skips whole empty subtrees. */
export const walkRangeIsUnmapped = (root: number, lo: number, hi: number, pages: number): number => {
  let done: number = 0;
  while (done < pages) {
    const vaLo: number = walkAdvance(lo, hi, done);
    const vaHi: number = pairHi;
    const table: number = walkDescend(root, vaLo, vaHi, 1, 0, WALK_LOOK);
    const level: number = walkLevel;
    const entryLo: number = tableEntryRead(level, table, archIndexOf(level, vaLo, vaHi));
    if (archEntryPresent(entryLo, tableEntryHi) !== 0) {
      tableAccessDone();
      return 0;
    }
    // skip to the end of this empty entry's span
    const step: number = walkPagesToEntryEnd(level, vaLo, vaHi);
    if (step >= pages - done) break;
    done = (done + step) | 0;
  }
  tableAccessDone();
  return 1;
};

/** Compares two 64-bit addresses: exported for region code that orders ranges. */
export const walkCompare = (aLo: number, aHi: number, bLo: number, bHi: number): number => compareU64(aLo, aHi, bLo, bHi);
