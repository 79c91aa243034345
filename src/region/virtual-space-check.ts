/*
 * The invariant checker of the free-virtual-space index (src/region/virtual-space.ts), for tests
 * and for a kernel's self-checks: walks one space's whole tree in address order (O(n), with an
 * explicit stack in the pool's path area, which it uses as scratch) and names the first broken
 * rule. Read only, apart from that scratch area.
 */
import { ERR_INVALID_ARGUMENT, ERR_NOT_INITIALISED } from '../errors.ts';
import { compareU64, pairHi, sub64 } from '../int64/pair.ts';
import {
  VS_PATH_CAPACITY,
  VS_TAG_SHIFT,
  VS_TAG_VALUE_MASK,
  VS_WORD_COUNT,
  VS_WORD_END_HI,
  VS_WORD_END_LO,
  VS_WORD_LEFT,
  VS_WORD_MAX_LO,
  VS_WORD_RIGHT,
  VS_WORD_ROOT,
  VS_WORD_START_HI,
  VS_WORD_START_LO,
  VS_WORD_TAG,
  vsPathRead,
  vsPathWrite,
  vsPoolReady,
  vsRead,
  vsRecordTouched,
  vsRecordsTouched,
  vsSpaceValid,
} from './virtual-space-pool.ts';

/** A child link or the root names no record in use as a tree node (free, a space header, out of the pool). */
export const VS_CHECK_BAD_NODE: number = -101;
/** Starts are not increasing in address order (the binary-search-tree order is broken). */
export const VS_CHECK_ORDER: number = -102;
/** Two free ranges overlap. */
export const VS_CHECK_OVERLAP: number = -103;
/** Two free ranges touch: they should have been merged. */
export const VS_CHECK_ADJACENT: number = -104;
/** A range is empty or inverted (start >= end). */
export const VS_CHECK_EMPTY_RANGE: number = -105;
/** A range lies (partly) outside the space's [start, end). */
export const VS_CHECK_OUTSIDE_SPACE: number = -106;
/** A node's subtree max length is not the max of its range's length and its children's. */
export const VS_CHECK_AUGMENTATION: number = -107;
/** A node's stored height is not 1 + its higher child's. */
export const VS_CHECK_HEIGHT: number = -108;
/** A node's children differ in height by more than one (not AVL balanced). */
export const VS_CHECK_BALANCE: number = -109;
/** The space's range count differs from the number of nodes. */
export const VS_CHECK_COUNT: number = -110;
/** Deeper than the path stack, or more nodes than the pool ever handed out (a cycle). */
export const VS_CHECK_TOO_DEEP: number = -111;

/** 1 if `node` is 0 or a record holding a tree node (touched, tag = a height 1..64). */
const vsCheckLink = (node: number): number => {
  if (node === 0) return 1;
  if (vsRecordTouched(node) === 0) return 0;
  const height: number = vsRead(node, VS_WORD_TAG) >>> VS_TAG_SHIFT;
  return height >= 1 && height <= VS_PATH_CAPACITY ? 1 : 0;
};

/** The local rules of one node whose links are valid: height, balance, max length. */
const vsCheckNode = (node: number): number => {
  const left: number = vsRead(node, VS_WORD_LEFT);
  const right: number = vsRead(node, VS_WORD_RIGHT);
  if (vsCheckLink(left) === 0 || vsCheckLink(right) === 0) return VS_CHECK_BAD_NODE;
  let maxLo: number = sub64(
    vsRead(node, VS_WORD_END_LO),
    vsRead(node, VS_WORD_END_HI),
    vsRead(node, VS_WORD_START_LO),
    vsRead(node, VS_WORD_START_HI),
  );
  let maxHi: number = pairHi;
  let leftHeight: number = 0;
  let rightHeight: number = 0;
  if (left !== 0) {
    const tag: number = vsRead(left, VS_WORD_TAG);
    leftHeight = tag >>> VS_TAG_SHIFT;
    const lo: number = vsRead(left, VS_WORD_MAX_LO);
    const hi: number = tag & VS_TAG_VALUE_MASK;
    if (compareU64(lo, hi, maxLo, maxHi) > 0) {
      maxLo = lo;
      maxHi = hi;
    }
  }
  if (right !== 0) {
    const tag: number = vsRead(right, VS_WORD_TAG);
    rightHeight = tag >>> VS_TAG_SHIFT;
    const lo: number = vsRead(right, VS_WORD_MAX_LO);
    const hi: number = tag & VS_TAG_VALUE_MASK;
    if (compareU64(lo, hi, maxLo, maxHi) > 0) {
      maxLo = lo;
      maxHi = hi;
    }
  }
  const tag: number = vsRead(node, VS_WORD_TAG);
  const height: number = tag >>> VS_TAG_SHIFT;
  const expected: number = (leftHeight > rightHeight ? leftHeight : rightHeight) + 1;
  if (height !== expected) return VS_CHECK_HEIGHT;
  if (leftHeight > rightHeight + 1 || rightHeight > leftHeight + 1) return VS_CHECK_BALANCE;
  if (vsRead(node, VS_WORD_MAX_LO) !== maxLo || (tag & VS_TAG_VALUE_MASK) !== maxHi) return VS_CHECK_AUGMENTATION;
  return 0;
};

/**
 * Checks every invariant of a space's tree: links name tree nodes; in address order the ranges
 * are non-empty, inside the space, increasing, neither overlapping nor touching (maximal); every
 * node's height, AVL balance and subtree max length are right; the count matches. Returns 0 or the
 * first VS_CHECK_* code found; ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT (not a live space).
 */
export const virtualSpaceCheck = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  const spaceStartLo: number = vsRead(space, VS_WORD_START_LO);
  const spaceStartHi: number = vsRead(space, VS_WORD_START_HI);
  const spaceEndLo: number = vsRead(space, VS_WORD_END_LO);
  const spaceEndHi: number = vsRead(space, VS_WORD_END_HI);
  const limit: number = vsRecordsTouched();
  let previousStartLo: number = 0;
  let previousStartHi: number = 0;
  let previousEndLo: number = spaceStartLo;
  let previousEndHi: number = spaceStartHi;
  let seen: number = 0;
  let depth: number = 0;
  let current: number = vsRead(space, VS_WORD_ROOT);
  if (vsCheckLink(current) === 0) return VS_CHECK_BAD_NODE;
  while (current !== 0 || depth > 0) {
    while (current !== 0) {
      if (depth >= VS_PATH_CAPACITY) return VS_CHECK_TOO_DEEP;
      const local: number = vsCheckNode(current);
      if (local !== 0) return local;
      vsPathWrite(depth, current);
      depth = (depth + 1) | 0;
      current = vsRead(current, VS_WORD_LEFT);
    }
    depth = (depth - 1) | 0;
    current = vsPathRead(depth);
    seen = (seen + 1) | 0;
    if (seen > limit) return VS_CHECK_TOO_DEEP;
    const startLo: number = vsRead(current, VS_WORD_START_LO);
    const startHi: number = vsRead(current, VS_WORD_START_HI);
    const endLo: number = vsRead(current, VS_WORD_END_LO);
    const endHi: number = vsRead(current, VS_WORD_END_HI);
    if (compareU64(startLo, startHi, endLo, endHi) >= 0) return VS_CHECK_EMPTY_RANGE;
    if (seen === 1) {
      if (compareU64(startLo, startHi, spaceStartLo, spaceStartHi) < 0) return VS_CHECK_OUTSIDE_SPACE;
    } else {
      if (compareU64(startLo, startHi, previousStartLo, previousStartHi) <= 0) return VS_CHECK_ORDER;
      const order: number = compareU64(startLo, startHi, previousEndLo, previousEndHi);
      if (order < 0) return VS_CHECK_OVERLAP;
      if (order === 0) return VS_CHECK_ADJACENT;
    }
    if (compareU64(endLo, endHi, spaceEndLo, spaceEndHi) > 0) return VS_CHECK_OUTSIDE_SPACE;
    previousStartLo = startLo;
    previousStartHi = startHi;
    previousEndLo = endLo;
    previousEndHi = endHi;
    current = vsRead(current, VS_WORD_RIGHT);
  }
  if (seen !== vsRead(space, VS_WORD_COUNT)) return VS_CHECK_COUNT;
  return 0;
};
