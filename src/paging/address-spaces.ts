/*
 * Roots of address spaces (seed 000, steps 5 and 6): the kernel's, and one per process.
 *
 * Kernel ranges (the backend names them: x86-64's upper half; i386's top gigabyte and its low
 * 4 MiB window) are mapped the same way in every address space. The first root gets a kernel
 * template: every root entry that lies wholly in a kernel range points to a pinned table made at
 * once (x86-64: 256 PDPTs, 1 MiB), so kernel root entries never change afterwards and a new root
 * only copies them - no later kernel mapping can be missing from an older address space (an EXOS
 * bug class), and no sync is ever needed. A root entry that is only partly kernel (PAE's first
 * gigabyte holds the low window) gets a private table per root whose kernel entries are shared
 * the same way. Pinned tables are never freed: their count starts at TABLE_PINNED.
 *
 * User halves start empty; user and kernel stay apart because region calls refuse user rights in
 * kernel ranges, and kernel root entries never carry the user bit.
 *
 * The recursive self-map (table-access.ts), when configured, is the one kernel root entry that is
 * not shared: each root's points at that root's own frame. The template leaves it out, copies skip
 * it, every new root gets its own (spanNewRoot), and teardown never follows it (it would free the
 * root as a table of the level below).
 */
import { ERR_NONE, ERR_OUT_OF_MEMORY, ERR_INVALID_ARGUMENT } from '../errors.ts';
import { add64, compareU64, pairHi, returnPair, shiftLeft64, signExtend64, sub64 } from '../int64/pair.ts';
import { frameFree, frameFreeRange } from '../memory/frame-bitmap.ts';
import { frameCounterSet, frameCounterAdd, frameCounterGet } from '../memory/frame-counters.ts';
import {
  archLevels,
  archTableEntries,
  archLevelShift,
  archEncodeTable,
  archEntryPresent,
  archEntryIsLeaf,
  archEntryFrame,
  archEntryFlags,
  archKernelRangeCount,
  archKernelRangeStartLo,
  archKernelRangeStartHi,
  archKernelRangeEndLo,
  archKernelRangeEndHi,
  archUserStartLo,
  archUserStartHi,
  archUserEndLo,
  archUserEndHi,
  archAddressBits,
} from './backend.ts';
import { tableEntryRead, tableEntryWrite, tableEntryHi, tableZero, tableFrameAlloc, tableRootFrameAlloc, tableAccessDone } from './table-access.ts';
import { tableSelfMapIndex, tableSelfMapLink, tableSelfMapKernelRoot } from './table-access.ts';
import { TABLE_PINNED, walkRootIsActive, walkSetKernelRoot } from './walker.ts';
import { PAGE_WRITE, PAGE_FOREIGN } from './page-flags.ts';

const SPAN_NONE: number = 0;
const SPAN_PARTIAL: number = 1;
const SPAN_FULL: number = 2;

let kernelRootFrame: number = -1;

/**
 * The linear address of entry `index` of a table at `level` that maps from (baseLo, baseHi): the
 * root's upper entries are sign-extended into the canonical upper half (x86-64), low half in the
 * result, high half in pairHi.
 */
const spanEntryStart = (level: number, index: number, baseLo: number, baseHi: number): number => {
  const offsetLo: number = shiftLeft64(index, 0, archLevelShift(level));
  const offsetHi: number = pairHi;
  const startLo: number = add64(baseLo, baseHi, offsetLo, offsetHi);
  const startHi: number = pairHi;
  if (archAddressBits() <= 32) return returnPair(startLo, startHi);
  return signExtend64(startLo, startHi, (archAddressBits() - 1) | 0);
};

/** 1 for the self-map entry of a root (kept out of templates, copies and teardown). */
const spanIsSelfMap = (level: number, index: number): number => (level === archLevels() && index === tableSelfMapIndex() ? 1 : 0);

/** How [start, start + 2^shift) meets the kernel ranges: none, partly, or wholly inside one. */
const spanKernelCover = (startLo: number, startHi: number, shift: number): number => {
  const sizeLo: number = shiftLeft64(1, 0, shift);
  const sizeHi: number = pairHi;
  const endLo: number = add64(startLo, startHi, sizeLo, sizeHi);
  const endHi: number = pairHi; // 0:0 when the span ends at 2^64
  let cover: number = SPAN_NONE;
  for (let r: number = 0; r < archKernelRangeCount(); r = (r + 1) | 0) {
    const rStartLo: number = archKernelRangeStartLo(r);
    const rStartHi: number = archKernelRangeStartHi(r);
    const rEndLo: number = archKernelRangeEndLo(r);
    const rEndHi: number = archKernelRangeEndHi(r);
    const rEndsAtTop: number = rEndLo === 0 && rEndHi === 0 ? 1 : 0;
    const spanEndsAtTop: number = endLo === 0 && endHi === 0 ? 1 : 0;
    // the span's last byte and the range's last byte, to compare ends that may be 2^64
    const spanLastLo: number = sub64(endLo, endHi, 1, 0);
    const spanLastHi: number = pairHi;
    const rLastLo: number = sub64(rEndLo, rEndHi, 1, 0);
    const rLastHi: number = pairHi;
    const startsInside: number = compareU64(startLo, startHi, rStartLo, rStartHi) >= 0 ? 1 : 0;
    const endsInside: number = rEndsAtTop === 1 || (spanEndsAtTop === 0 && compareU64(spanLastLo, spanLastHi, rLastLo, rLastHi) <= 0) ? 1 : 0;
    if (startsInside === 1 && endsInside === 1) return SPAN_FULL;
    const disjoint: number =
      (rEndsAtTop === 0 && compareU64(startLo, startHi, rLastLo, rLastHi) > 0) ||
      (spanEndsAtTop === 0 && compareU64(spanLastLo, spanLastHi, rStartLo, rStartHi) < 0)
        ? 1
        : 0;
    if (disjoint === 0) cover = SPAN_PARTIAL;
  }
  return cover;
};

/**
 * Gives every entry of the table in `table` (at `level`, mapping from `baseLo:baseHi`) that lies
 * wholly in a kernel range a pinned table, and recurses into a private table for partly-kernel
 * entries. Returns ERR_NONE or ERR_OUT_OF_MEMORY (the caller frees the whole root).
 */
const spanFillKernel = (table: number, level: number, baseLo: number, baseHi: number): number => {
  if (level < 2) return ERR_NONE;
  const shift: number = archLevelShift(level);
  const entries: number = archTableEntries(level);
  for (let index: number = 0; index < entries; index = (index + 1) | 0) {
    const startLo: number = spanEntryStart(level, index, baseLo, baseHi);
    const startHi: number = pairHi;
    const cover: number = spanKernelCover(startLo, startHi, shift);
    if (cover === SPAN_NONE || spanIsSelfMap(level, index) === 1) continue;
    const child: number = tableFrameAlloc();
    if (child < 0) return ERR_OUT_OF_MEMORY;
    tableZero((level - 1) | 0, child);
    frameCounterSet(child, cover === SPAN_FULL ? TABLE_PINNED : 0);
    const entryLo: number = archEncodeTable(child, level, PAGE_WRITE);
    tableEntryWrite(level, table, index, entryLo, pairHi);
    frameCounterAdd(table, 1);
    if (cover === SPAN_PARTIAL) {
      const filled: number = spanFillKernel(child, (level - 1) | 0, startLo, startHi);
      if (filled !== ERR_NONE) return filled;
    }
  }
  return ERR_NONE;
};

/**
 * Copies into the empty table `target` (at `level`) the entries of `source` that map kernel
 * ranges: shared (the same pinned table) where wholly kernel, through a new private table where
 * partly. Returns ERR_NONE or ERR_OUT_OF_MEMORY.
 */
const spanCopyKernel = (target: number, source: number, level: number, baseLo: number, baseHi: number): number => {
  if (level < 2) return ERR_NONE;
  const shift: number = archLevelShift(level);
  const entries: number = archTableEntries(level);
  for (let index: number = 0; index < entries; index = (index + 1) | 0) {
    const startLo: number = spanEntryStart(level, index, baseLo, baseHi);
    const startHi: number = pairHi;
    const cover: number = spanKernelCover(startLo, startHi, shift);
    if (cover === SPAN_NONE || spanIsSelfMap(level, index) === 1) continue;
    const entryLo: number = tableEntryRead(level, source, index);
    const entryHi: number = tableEntryHi;
    if (archEntryPresent(entryLo, entryHi) === 0) continue;
    if (cover === SPAN_FULL || archEntryIsLeaf(level, entryLo, entryHi) !== 0) {
      tableEntryWrite(level, target, index, entryLo, entryHi);
      frameCounterAdd(target, 1);
      continue;
    }
    const child: number = tableFrameAlloc();
    if (child < 0) return ERR_OUT_OF_MEMORY;
    tableZero((level - 1) | 0, child);
    frameCounterSet(child, 0);
    const childLo: number = archEncodeTable(child, level, PAGE_WRITE);
    tableEntryWrite(level, target, index, childLo, pairHi);
    frameCounterAdd(target, 1);
    const copied: number = spanCopyKernel(child, archEntryFrame(level, entryLo, entryHi), (level - 1) | 0, startLo, startHi);
    if (copied !== ERR_NONE) return copied;
  }
  return ERR_NONE;
};

/** Frees the private (not pinned) tables under `table` that hold kernel entries, then `table`. */
const spanFreePrivate = (table: number, level: number): number => {
  if (level >= 2) {
    const entries: number = archTableEntries(level);
    for (let index: number = 0; index < entries; index = (index + 1) | 0) {
      const entryLo: number = tableEntryRead(level, table, index);
      const entryHi: number = tableEntryHi;
      if (archEntryPresent(entryLo, entryHi) === 0 || archEntryIsLeaf(level, entryLo, entryHi) !== 0) continue;
      const child: number = archEntryFrame(level, entryLo, entryHi);
      if (frameCounterGet(child) < TABLE_PINNED) spanFreePrivate(child, (level - 1) | 0);
    }
  }
  return frameFree(table);
};

/** A new, zeroed root frame (counted), or an error. */
const spanNewRoot = (): number => {
  const root: number = tableRootFrameAlloc();
  if (root < 0) return ERR_OUT_OF_MEMORY;
  tableZero(archLevels(), root);
  frameCounterSet(root, 0);
  if (tableSelfMapIndex() >= 0) {
    tableSelfMapLink(root); // its own self-map entry, never shared
    frameCounterAdd(root, 1);
  }
  return root;
};

/** Frees a root made by addressSpaceKernelCreate that failed part-way (its tables are all new). */
const spanFreePrivateAll = (root: number): number => {
  const entries: number = archTableEntries(archLevels());
  for (let index: number = 0; index < entries; index = (index + 1) | 0) {
    if (spanIsSelfMap(archLevels(), index) === 1) continue;
    const entryLo: number = tableEntryRead(archLevels(), root, index);
    const entryHi: number = tableEntryHi;
    if (archEntryPresent(entryLo, entryHi) === 0) continue;
    const child: number = archEntryFrame(archLevels(), entryLo, entryHi);
    frameCounterSet(child, 0);
    spanFreePrivate(child, (archLevels() - 1) | 0);
  }
  tableAccessDone();
  return frameFree(root);
};

/**
 * Creates the kernel's root with its template: pinned tables for every kernel root entry. Once,
 * at init; returns the root frame (the caller loads it into CR3 after mapping the kernel).
 */
export const addressSpaceKernelCreate = (): number => {
  const root: number = spanNewRoot();
  if (root < 0) return root;
  const filled: number = spanFillKernel(root, archLevels(), 0, 0);
  tableAccessDone();
  if (filled !== ERR_NONE) {
    spanFreePrivateAll(root);
    return filled;
  }
  kernelRootFrame = root;
  walkSetKernelRoot(root);
  tableSelfMapKernelRoot(root);
  return root;
};

export const addressSpaceKernelRoot = (): number => kernelRootFrame;

/**
 * Frees everything under the table in `table` (at `level`) that belongs to this address space:
 * leaves' frames (unless FIXED or I/O) and tables, depth first, then the table itself. Pinned
 * (shared kernel) tables are left alone. One visit per table: teardown never walks empty space.
 */
const spanFreeTree = (table: number, level: number): number => {
  if (level >= 2) {
    const entries: number = archTableEntries(level);
    for (let index: number = 0; index < entries; index = (index + 1) | 0) {
      if (spanIsSelfMap(level, index) === 1) continue;
      const entryLo: number = tableEntryRead(level, table, index);
      const entryHi: number = tableEntryHi;
      if (archEntryPresent(entryLo, entryHi) === 0) continue;
      const frame: number = archEntryFrame(level, entryLo, entryHi);
      if (archEntryIsLeaf(level, entryLo, entryHi) !== 0) {
        if ((archEntryFlags(entryLo, entryHi) & PAGE_FOREIGN) === 0) frameFreeRange(frame, 1 << ((archLevelShift(level) - 12) | 0));
        continue;
      }
      if (frameCounterGet(frame) < TABLE_PINNED) spanFreeTree(frame, (level - 1) | 0);
    }
  } else {
    const entries: number = archTableEntries(1);
    for (let index: number = 0; index < entries; index = (index + 1) | 0) {
      const entryLo: number = tableEntryRead(1, table, index);
      const entryHi: number = tableEntryHi;
      if (archEntryPresent(entryLo, entryHi) !== 0 && (archEntryFlags(entryLo, entryHi) & PAGE_FOREIGN) === 0) {
        frameFree(archEntryFrame(1, entryLo, entryHi));
      }
    }
  }
  frameCounterSet(table, 0);
  return frameFree(table);
};

/**
 * Frees an address space made by addressSpaceCreate: every user mapping (its frames too, unless
 * FIXED or I/O), every user table, the private kernel-window tables, and the root - all of it, not
 * just the root (EXOS leaked the rest) - but never the kernel's shared tables. The root must not
 * be the one loaded in CR3 (ERR_INVALID_ARGUMENT), so no TLB entry of it can be live.
 */
export const addressSpaceRelease = (root: number): number => {
  if (root === kernelRootFrame || root < 0 || walkRootIsActive(root) !== 0) return ERR_INVALID_ARGUMENT;
  const freed: number = spanFreeTree(root, archLevels());
  tableAccessDone();
  return freed;
};

/**
 * AllocPageDirectory: a new root whose kernel ranges are the kernel's (shared tables) and whose
 * user half is empty. Returns the root frame, or ERR_NOT_INITIALISED-like ERR_INVALID_ARGUMENT
 * before the kernel root exists, or ERR_OUT_OF_MEMORY with everything rolled back.
 */
export const addressSpaceCreate = (): number => {
  if (kernelRootFrame < 0) return ERR_INVALID_ARGUMENT;
  const root: number = spanNewRoot();
  if (root < 0) return root;
  const copied: number = spanCopyKernel(root, kernelRootFrame, archLevels(), 0, 0);
  if (copied !== ERR_NONE) {
    addressSpaceRelease(root);
    return copied;
  }
  tableAccessDone();
  return root;
};

