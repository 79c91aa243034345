/*
 * The free-virtual-space index: which linear address ranges of an address space are free, so that
 * region allocation finds room without probing page by page.
 *
 * Each address space (the kernel's, one per user address space) is a range [start, end) of
 * linear space; at any time it is split into FREE ranges (kept here, maximal: two free ranges are
 * never adjacent) and allocated ones (everything else of the space). Addresses are 64-bit (lo, hi)
 * pairs; everything is 4 KiB aligned; an end of 0:0 means 2^64 (the top of the x86-64 kernel half).
 *
 * Structure (as Linux vmalloc's free-area tree, mm/vmalloc.c): per space, a balanced binary search
 * tree of the free ranges keyed by start address, every node augmented with the largest free
 * length in its subtree. That finds the lowest-address range that is long enough in O(log n) and
 * lets a request skip every subtree that is too short. The tree is an AVL tree:
 *   - its height is at most 1.44 log2(n + 2) in the WORST case (a treap is only balanced in
 *     expectation, and with deterministic priorities an unlucky or adversarial pattern of node
 *     reuse could skew it), so every operation is O(log n) without assumptions, and
 *   - that bound (< 39 levels for the largest pool) lets the iterative algorithms keep their path
 *     in a fixed 64-entry stack in the pool: no recursion, no heap, no overflow.
 * An AVL retrace also stops as soon as a node's height and max length are unchanged, so most
 * updates touch only a few levels. Nodes live in the record pool of virtual-space-pool.ts
 * (32-byte records, shared by all spaces; see there for the layout), and store page numbers
 * (address >> 12): 2^64 is then page 2^52, so no bound, length or sum can wrap around.
 *
 * Free ranges are merged on release, so "[a, a + size) is entirely free" is the same as "one free
 * range contains it", and "no page of it is free" means "no free range meets it".
 *
 * Results. Every function returns a non-negative number, an address, or a negative code from
 * src/errors.ts, and a call that fails changes nothing (nodes are counted before anything
 * changes: running out of records is ERR_POOL_EXHAUSTED, never a half-done operation). Functions
 * that yield an address return its low half and leave the high half in pairHi
 * (src/int64/pair.ts): the low half of an address at or above 2 GiB is negative as an int32, but
 * addresses are multiples of 4096 and error codes (-1..-25) are not, so a result r is an error
 * exactly when isErrorCode(r) (src/errors.ts), or equally (r & 4095) !== 0.
 *
 * Cost, with n the number of free ranges of the space: create, count O(1); isFree, isAllocated,
 * reserve, release, next-range, range-end O(log n) worst case; find: see there; destroy O(n).
 * The pool holds the state; module variables hold only scratch values, so spaces do not interfere
 * except through the shared pool.
 *
 * The API is in three modules: the pool (virtual-space-pool.ts: virtualSpacePoolBytes,
 * virtualSpacePoolInit, virtualSpaceNodesFree, virtualSpacePoolCheck), the spaces (this file),
 * and the invariant checker (virtual-space-check.ts: virtualSpaceCheck, for tests and self-checks).
 */
import {
  ERR_INVALID_ARGUMENT,
  ERR_NO_FREE_REGION,
  ERR_NOT_INITIALISED,
  ERR_NOT_MAPPED,
  ERR_OUT_OF_RANGE,
  ERR_OVERFLOW,
  ERR_OVERLAP,
  ERR_POOL_EXHAUSTED,
  ERR_UNALIGNED,
  ERR_ZERO_SIZE,
} from '../errors.ts';
import { add64, compareU64, pairHi, returnPair, shiftLeft64, shiftRightU64, sub64 } from '../int64/pair.ts';
import {
  VS_TAG_SHIFT,
  VS_TAG_SPACE,
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
  vsRecordAlloc,
  vsRecordFree,
  vsRecordsAvailable,
  vsSpaceValid,
  vsWrite,
} from './virtual-space-pool.ts';

/** Page number 2^52 = address 2^64 (hi word of the pair). */
const VS_TOP_PAGE_HI: number = 1048576;
/** Alignment shifts a find accepts: 4 KiB .. 512 GiB. */
const VS_ALIGN_SHIFT_MIN: number = 12;
const VS_ALIGN_SHIFT_MAX: number = 39;

// ---------------------------------------------------------------------------------------------
// Node fields
// ---------------------------------------------------------------------------------------------

const vsLeft = (node: number): number => vsRead(node, VS_WORD_LEFT);
const vsRight = (node: number): number => vsRead(node, VS_WORD_RIGHT);
const vsSetLeft = (node: number, child: number): number => vsWrite(node, VS_WORD_LEFT, child);
const vsSetRight = (node: number, child: number): number => vsWrite(node, VS_WORD_RIGHT, child);
/** AVL height of a subtree (0 for none). */
const vsHeight = (node: number): number => (node === 0 ? 0 : vsRead(node, VS_WORD_TAG) >>> VS_TAG_SHIFT);
const vsRoot = (space: number): number => vsRead(space, VS_WORD_ROOT);
const vsSetRoot = (space: number, node: number): number => vsWrite(space, VS_WORD_ROOT, node);

/** Writes a node's bounds (page numbers). */
const vsSetBoundsOf = (node: number, startLo: number, startHi: number, endLo: number, endHi: number): number => {
  vsWrite(node, VS_WORD_START_LO, startLo);
  vsWrite(node, VS_WORD_START_HI, startHi);
  vsWrite(node, VS_WORD_END_LO, endLo);
  vsWrite(node, VS_WORD_END_HI, endHi);
  return 0;
};

/** Compares a node's start with page (lo, hi): -1, 0, 1. */
const vsCompareStart = (node: number, lo: number, hi: number): number =>
  compareU64(vsRead(node, VS_WORD_START_LO), vsRead(node, VS_WORD_START_HI), lo, hi);

/** 1 if the node's own length (end - start, pages) is >= (sizeLo, sizeHi). */
const vsLengthAtLeast = (node: number, sizeLo: number, sizeHi: number): number => {
  const lo: number = sub64(
    vsRead(node, VS_WORD_END_LO),
    vsRead(node, VS_WORD_END_HI),
    vsRead(node, VS_WORD_START_LO),
    vsRead(node, VS_WORD_START_HI),
  );
  return compareU64(lo, pairHi, sizeLo, sizeHi) >= 0 ? 1 : 0;
};

/** 1 if the subtree at `node` holds a range of at least (sizeLo, sizeHi) pages (0 for none). */
const vsMaxAtLeast = (node: number, sizeLo: number, sizeHi: number): number => {
  if (node === 0) return 0;
  const hi: number = vsRead(node, VS_WORD_TAG) & VS_TAG_VALUE_MASK;
  return compareU64(vsRead(node, VS_WORD_MAX_LO), hi, sizeLo, sizeHi) >= 0 ? 1 : 0;
};

/**
 * Recomputes a node's height and subtree max length from its own range and its children.
 * Returns 1 if either changed, 0 if the node was already up to date (its ancestors then are too).
 */
const vsUpdate = (node: number): number => {
  const oldMax: number = vsRead(node, VS_WORD_MAX_LO);
  const oldTag: number = vsRead(node, VS_WORD_TAG);
  let maxLo: number = sub64(
    vsRead(node, VS_WORD_END_LO),
    vsRead(node, VS_WORD_END_HI),
    vsRead(node, VS_WORD_START_LO),
    vsRead(node, VS_WORD_START_HI),
  );
  let maxHi: number = pairHi;
  let height: number = 0;
  const left: number = vsLeft(node);
  if (left !== 0) {
    const tag: number = vsRead(left, VS_WORD_TAG);
    const lo: number = vsRead(left, VS_WORD_MAX_LO);
    const hi: number = tag & VS_TAG_VALUE_MASK;
    if (compareU64(lo, hi, maxLo, maxHi) > 0) {
      maxLo = lo;
      maxHi = hi;
    }
    height = tag >>> VS_TAG_SHIFT;
  }
  const right: number = vsRight(node);
  if (right !== 0) {
    const tag: number = vsRead(right, VS_WORD_TAG);
    const lo: number = vsRead(right, VS_WORD_MAX_LO);
    const hi: number = tag & VS_TAG_VALUE_MASK;
    if (compareU64(lo, hi, maxLo, maxHi) > 0) {
      maxLo = lo;
      maxHi = hi;
    }
    const rightHeight: number = tag >>> VS_TAG_SHIFT;
    if (rightHeight > height) height = rightHeight;
  }
  const newTag: number = maxHi | ((height + 1) << VS_TAG_SHIFT);
  if (maxLo === oldMax && newTag === oldTag) return 0;
  vsWrite(node, VS_WORD_MAX_LO, maxLo);
  vsWrite(node, VS_WORD_TAG, newTag);
  return 1;
};

// ---------------------------------------------------------------------------------------------
// AVL rebalancing (iterative; the path from the root lives in the pool's path stack)
// ---------------------------------------------------------------------------------------------

const vsRotateRight = (node: number): number => {
  const left: number = vsLeft(node);
  vsSetLeft(node, vsRight(left));
  vsSetRight(left, node);
  vsUpdate(node);
  vsUpdate(left);
  return left;
};

const vsRotateLeft = (node: number): number => {
  const right: number = vsRight(node);
  vsSetRight(node, vsLeft(right));
  vsSetLeft(right, node);
  vsUpdate(node);
  vsUpdate(right);
  return right;
};

/** Set by vsRebalance: 1 if the subtree's root, height or max length changed. */
let vsRebalanceChanged: number = 0;

/** Restores the AVL balance at `node` (children balanced, heights off by at most 2). */
const vsRebalance = (node: number): number => {
  const left: number = vsLeft(node);
  const right: number = vsRight(node);
  const leftHeight: number = vsHeight(left);
  const rightHeight: number = vsHeight(right);
  if (leftHeight > rightHeight + 1) {
    if (vsHeight(vsLeft(left)) < vsHeight(vsRight(left))) vsSetLeft(node, vsRotateLeft(left));
    vsRebalanceChanged = 1;
    return vsRotateRight(node);
  }
  if (rightHeight > leftHeight + 1) {
    if (vsHeight(vsRight(right)) < vsHeight(vsLeft(right))) vsSetRight(node, vsRotateRight(right));
    vsRebalanceChanged = 1;
    return vsRotateLeft(node);
  }
  vsRebalanceChanged = vsUpdate(node);
  return node;
};

/**
 * Walks path entries depth - 1 .. 0 (deepest first), rebalancing and updating each node and
 * relinking its parent (or the root) when a rotation replaced it. Stops early once a node is
 * unchanged, but never before entry `stopFrom` has been processed (the delete of a node with two
 * children copies its successor's range into an ancestor that must be recomputed).
 */
const vsRetrace = (space: number, depth: number, stopFrom: number): number => {
  for (let index: number = (depth - 1) | 0; index >= 0; index = (index - 1) | 0) {
    const node: number = vsPathRead(index);
    const top: number = vsRebalance(node);
    if (top !== node) {
      if (index === 0) {
        vsSetRoot(space, top);
      } else {
        const parent: number = vsPathRead((index - 1) | 0);
        if (vsLeft(parent) === node) vsSetLeft(parent, top);
        else vsSetRight(parent, top);
      }
    }
    if (vsRebalanceChanged === 0 && index <= stopFrom) return 0;
  }
  return 0;
};

/** Makes `node` (a fresh record) a leaf holding [start, end) and inserts it by start. */
const vsInsert = (space: number, node: number, startLo: number, startHi: number, endLo: number, endHi: number): number => {
  vsSetBoundsOf(node, startLo, startHi, endLo, endHi);
  const lengthLo: number = sub64(endLo, endHi, startLo, startHi);
  const lengthHi: number = pairHi;
  vsWrite(node, VS_WORD_MAX_LO, lengthLo);
  vsWrite(node, VS_WORD_TAG, lengthHi | (1 << VS_TAG_SHIFT));
  vsSetLeft(node, 0);
  vsSetRight(node, 0);
  let current: number = vsRoot(space);
  if (current === 0) {
    vsSetRoot(space, node);
    return 0;
  }
  let depth: number = 0;
  while (true) {
    vsPathWrite(depth, current);
    depth = (depth + 1) | 0;
    if (vsCompareStart(current, startLo, startHi) > 0) {
      const left: number = vsLeft(current);
      if (left === 0) {
        vsSetLeft(current, node);
        break;
      }
      current = left;
    } else {
      const right: number = vsRight(current);
      if (right === 0) {
        vsSetRight(current, node);
        break;
      }
      current = right;
    }
  }
  return vsRetrace(space, depth, (depth - 1) | 0);
};

/**
 * Descends to the node whose start is (keyLo, keyHi), recording the path to it (the node itself
 * included, last). Returns the depth (the node is at entry depth - 1), or 0 if no node starts there.
 */
const vsPathTo = (space: number, keyLo: number, keyHi: number): number => {
  let current: number = vsRoot(space);
  let depth: number = 0;
  while (current !== 0) {
    vsPathWrite(depth, current);
    depth = (depth + 1) | 0;
    const order: number = vsCompareStart(current, keyLo, keyHi);
    if (order === 0) return depth;
    current = order > 0 ? vsLeft(current) : vsRight(current);
  }
  return 0;
};

/** Removes the node starting at (keyLo, keyHi) and returns one record to the pool. */
const vsDelete = (space: number, keyLo: number, keyHi: number): number => {
  let depth: number = vsPathTo(space, keyLo, keyHi);
  if (depth === 0) return ERR_INVALID_ARGUMENT; // unreachable: callers delete ranges they found
  const node: number = vsPathRead((depth - 1) | 0);
  const left: number = vsLeft(node);
  const right: number = vsRight(node);
  if (left !== 0 && right !== 0) {
    // Two children: the successor (leftmost of the right subtree) gives its range to `node` and
    // is unlinked in its place; `node` stays on the path at entry depth - 1 and is recomputed.
    const nodeIndex: number = (depth - 1) | 0;
    let successor: number = right;
    let next: number = vsLeft(successor);
    while (next !== 0) {
      vsPathWrite(depth, successor);
      depth = (depth + 1) | 0;
      successor = next;
      next = vsLeft(successor);
    }
    vsSetBoundsOf(
      node,
      vsRead(successor, VS_WORD_START_LO),
      vsRead(successor, VS_WORD_START_HI),
      vsRead(successor, VS_WORD_END_LO),
      vsRead(successor, VS_WORD_END_HI),
    );
    const parent: number = vsPathRead((depth - 1) | 0);
    if (parent === node) vsSetRight(node, vsRight(successor));
    else vsSetLeft(parent, vsRight(successor));
    vsRecordFree(successor);
    return vsRetrace(space, depth, nodeIndex);
  }
  const child: number = left !== 0 ? left : right;
  depth = (depth - 1) | 0;
  if (depth === 0) {
    vsSetRoot(space, child);
  } else {
    const parent: number = vsPathRead((depth - 1) | 0);
    if (vsLeft(parent) === node) vsSetLeft(parent, child);
    else vsSetRight(parent, child);
  }
  vsRecordFree(node);
  return vsRetrace(space, depth, (depth - 1) | 0);
};

/**
 * Gives the node starting at (keyLo, keyHi) new bounds [start, end), which must keep it between
 * its neighbours (they only shrink or grow into allocated space), and updates its ancestors.
 */
const vsSetBounds = (
  space: number,
  keyLo: number,
  keyHi: number,
  startLo: number,
  startHi: number,
  endLo: number,
  endHi: number,
): number => {
  const depth: number = vsPathTo(space, keyLo, keyHi);
  if (depth === 0) return ERR_INVALID_ARGUMENT; // unreachable
  vsSetBoundsOf(vsPathRead((depth - 1) | 0), startLo, startHi, endLo, endHi);
  return vsRetrace(space, depth, (depth - 1) | 0);
};

// ---------------------------------------------------------------------------------------------
// Searches (read only)
// ---------------------------------------------------------------------------------------------

/** Results of vsFloorCeil. */
let vsFloorNode: number = 0;
let vsCeilNode: number = 0;

/**
 * Sets vsFloorNode to the free range with the greatest start <= page (lo, hi) and vsCeilNode to
 * the one with the least start > page (0 when none). One descent: O(log n).
 */
const vsFloorCeil = (space: number, lo: number, hi: number): number => {
  let floor: number = 0;
  let ceil: number = 0;
  let current: number = vsRoot(space);
  while (current !== 0) {
    if (vsCompareStart(current, lo, hi) <= 0) {
      floor = current;
      current = vsRight(current);
    } else {
      ceil = current;
      current = vsLeft(current);
    }
  }
  vsFloorNode = floor;
  vsCeilNode = ceil;
  return floor;
};

/**
 * The free range with the lowest start >= page (keyLo, keyHi) whose length is at least
 * (sizeLo, sizeHi) pages, or 0. Two descents, O(log n): the first follows the search path of the
 * key; where it turns left at a node at or above the key, that node and its right subtree come
 * next in address order, and the deepest such place with a long enough range (the node itself or,
 * by its max length, its right subtree) holds the answer; the second descends into that right
 * subtree, always to the leftmost child whose max length is long enough.
 */
const vsNextLongEnough = (space: number, keyLo: number, keyHi: number, sizeLo: number, sizeHi: number): number => {
  let candidate: number = 0;
  let current: number = vsRoot(space);
  while (current !== 0 && vsMaxAtLeast(current, sizeLo, sizeHi) === 1) {
    if (vsCompareStart(current, keyLo, keyHi) >= 0) {
      if (vsLengthAtLeast(current, sizeLo, sizeHi) === 1 || vsMaxAtLeast(vsRight(current), sizeLo, sizeHi) === 1) {
        candidate = current;
      }
      current = vsLeft(current);
    } else {
      current = vsRight(current);
    }
  }
  if (candidate === 0) return 0;
  if (vsLengthAtLeast(candidate, sizeLo, sizeHi) === 1) return candidate;
  current = vsRight(candidate);
  while (current !== 0) {
    const left: number = vsLeft(current);
    if (vsMaxAtLeast(left, sizeLo, sizeHi) === 1) {
      current = left;
    } else if (vsLengthAtLeast(current, sizeLo, sizeHi) === 1) {
      return current;
    } else {
      current = vsRight(current);
    }
  }
  return 0; // unreachable while the max lengths are right
};

/** The page where vsTryFit placed a request. */
let vsFitLo: number = 0;
let vsFitHi: number = 0;

/**
 * Places `pages` pages in free range `node`: at the first multiple of `alignPages` (a power of
 * two, at most 2^27) at or above both the range's start and page (fromLo, fromHi). Returns 1 and
 * sets vsFitLo/Hi if the block ends by the range's end, else 0. Page numbers stay below
 * 2^52 + 2^27 + 2^31, so nothing wraps.
 */
const vsTryFit = (node: number, fromLo: number, fromHi: number, alignPages: number, pages: number): number => {
  let lo: number = vsRead(node, VS_WORD_START_LO);
  let hi: number = vsRead(node, VS_WORD_START_HI);
  if (compareU64(lo, hi, fromLo, fromHi) < 0) {
    lo = fromLo;
    hi = fromHi;
  }
  const misalign: number = lo & ((alignPages - 1) | 0);
  if (misalign !== 0) {
    lo = add64(lo, hi, (alignPages - misalign) | 0, 0);
    hi = pairHi;
  }
  const endLo: number = add64(lo, hi, pages, 0);
  if (compareU64(endLo, pairHi, vsRead(node, VS_WORD_END_LO), vsRead(node, VS_WORD_END_HI)) > 0) return 0;
  vsFitLo = lo;
  vsFitHi = hi;
  return 1;
};

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

/** The range [vsArgLo:vsArgHi, vsArgEndLo:vsArgEndHi) (page numbers) vsCheckRange accepted. */
let vsArgLo: number = 0;
let vsArgHi: number = 0;
let vsArgEndLo: number = 0;
let vsArgEndHi: number = 0;

/**
 * Validates (space, address, pages) and converts the range to page numbers: ERR_NOT_INITIALISED,
 * ERR_INVALID_ARGUMENT (unknown space, pages < 0), ERR_ZERO_SIZE, ERR_UNALIGNED, ERR_OVERFLOW
 * (the range would pass 2^64; ending exactly at 2^64 is fine).
 */
const vsCheckRange = (space: number, lo: number, hi: number, pages: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  if (pages === 0) return ERR_ZERO_SIZE;
  if (pages < 0) return ERR_INVALID_ARGUMENT;
  if ((lo & 4095) !== 0) return ERR_UNALIGNED;
  vsArgLo = shiftRightU64(lo, hi, 12);
  vsArgHi = pairHi;
  vsArgEndLo = add64(vsArgLo, vsArgHi, pages, 0);
  vsArgEndHi = pairHi;
  if (compareU64(vsArgEndLo, vsArgEndHi, 0, VS_TOP_PAGE_HI) > 0) return ERR_OVERFLOW;
  return 0;
};

/** 1 if the checked range lies inside the space's [start, end). */
const vsArgInsideSpace = (space: number): number => {
  if (compareU64(vsArgLo, vsArgHi, vsRead(space, VS_WORD_START_LO), vsRead(space, VS_WORD_START_HI)) < 0) return 0;
  if (compareU64(vsArgEndLo, vsArgEndHi, vsRead(space, VS_WORD_END_LO), vsRead(space, VS_WORD_END_HI)) > 0) return 0;
  return 1;
};

/** Adds `delta` to a space's free-range count. */
const vsAddCount = (space: number, delta: number): number =>
  vsWrite(space, VS_WORD_COUNT, (vsRead(space, VS_WORD_COUNT) + delta) | 0);

/** Returns page (lo, hi) as an address: low half, high half in pairHi (page 2^52 gives 0:0). */
const vsPageToAddress = (lo: number, hi: number): number => {
  const addressLo: number = shiftLeft64(lo, hi, 12);
  return returnPair(addressLo, pairHi);
};

// ---------------------------------------------------------------------------------------------
// Spaces
// ---------------------------------------------------------------------------------------------

/**
 * Creates a space whose whole range [start, end) is free; end 0:0 means 2^64 (so start 0, end 0:0
 * is all of the 64-bit space). Returns its handle (a small positive record number), or
 * ERR_NOT_INITIALISED, ERR_UNALIGNED (start or end not 4 KiB aligned), ERR_ZERO_SIZE
 * (start = end), ERR_INVALID_ARGUMENT (end below start), ERR_POOL_EXHAUSTED (a space needs two
 * records: its header and one node). Handles of destroyed spaces are reused.
 */
export const virtualSpaceCreate = (startLo: number, startHi: number, endLo: number, endHi: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if ((startLo & 4095) !== 0 || (endLo & 4095) !== 0) return ERR_UNALIGNED;
  const firstLo: number = shiftRightU64(startLo, startHi, 12);
  const firstHi: number = pairHi;
  let lastLo: number = shiftRightU64(endLo, endHi, 12);
  let lastHi: number = pairHi;
  if (lastLo === 0 && lastHi === 0) lastHi = VS_TOP_PAGE_HI; // 0:0 is 2^64
  const order: number = compareU64(firstLo, firstHi, lastLo, lastHi);
  if (order === 0) return ERR_ZERO_SIZE;
  if (order > 0) return ERR_INVALID_ARGUMENT;
  if (vsRecordsAvailable() < 2) return ERR_POOL_EXHAUSTED;
  const space: number = vsRecordAlloc();
  const node: number = vsRecordAlloc();
  vsSetBoundsOf(space, firstLo, firstHi, lastLo, lastHi);
  vsWrite(space, VS_WORD_TAG, VS_TAG_SPACE << VS_TAG_SHIFT);
  vsWrite(space, VS_WORD_COUNT, 1);
  vsSetRoot(space, 0);
  vsInsert(space, node, firstLo, firstHi, lastLo, lastHi);
  return space;
};

/**
 * Destroys a space: every node and the header go back to the pool (O(n): the tree is taken apart
 * by right rotations at the root, so no stack is needed). Returns the number of records freed, or
 * ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT (not a live space).
 */
export const virtualSpaceDestroy = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  let freed: number = 1;
  let current: number = vsRoot(space);
  while (current !== 0) {
    const left: number = vsLeft(current);
    if (left !== 0) {
      vsSetLeft(current, vsRight(left));
      vsSetRight(left, current);
      current = left;
    } else {
      const right: number = vsRight(current);
      vsRecordFree(current);
      freed = (freed + 1) | 0;
      current = right;
    }
  }
  vsRecordFree(space);
  return freed;
};

/** Free ranges of a space, or ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT. */
export const virtualSpaceRangeCount = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  return vsRead(space, VS_WORD_COUNT);
};

/** The space's start address (lo; pairHi = hi), or ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT. */
export const virtualSpaceStart = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  return vsPageToAddress(vsRead(space, VS_WORD_START_LO), vsRead(space, VS_WORD_START_HI));
};

/** The space's end address, exclusive (lo; pairHi = hi; 2^64 is 0:0), or the same errors. */
export const virtualSpaceEnd = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  return vsPageToAddress(vsRead(space, VS_WORD_END_LO), vsRead(space, VS_WORD_END_HI));
};

// ---------------------------------------------------------------------------------------------
// Finding free space
// ---------------------------------------------------------------------------------------------

/**
 * The lowest address A >= from such that [A, A + pages * 4096) is entirely free and A is a
 * multiple of 2^alignShift. Returns A (lo; pairHi = hi), or ERR_NOT_INITIALISED,
 * ERR_INVALID_ARGUMENT (unknown space, pages < 0, alignShift outside 12..39), ERR_ZERO_SIZE
 * (pages 0), ERR_NO_FREE_REGION. `from` need not be aligned (it is a lower bound); a block never
 * wraps past 2^64 (free ranges end by 2^64). Changes nothing (not even scratch memory).
 *
 * Exact: the answer is truly the lowest fitting address. Search: the range containing `from`, if
 * any, is tried first (one descent: only that range can be cut short by `from`); then the search
 * visits, in address order, the free ranges starting at or above `from` that are at least `pages`
 * long - each found in O(log n) by the subtree max lengths, which skip every shorter range and
 * whole subtrees of them - and stops at the first one that holds an aligned block.
 *
 * Guarantee. A range of at least pages + 2^(alignShift - 12) - 1 pages always holds an aligned
 * block (Linux's "length + alignment - 1" rule), so the only ranges visited in vain are the F
 * "near misses" between `from` and the answer: long enough, but shorter than that, and placed so
 * that no aligned block fits. A find costs O((2 + F) log n) port reads (about 8 per tree level
 * per descent). With page alignment (alignShift 12) F = 0: every find is O(log n) in the worst
 * case. With a larger alignment F is 0 whenever the ranges below the answer are either shorter
 * than `pages` or at least `pages` + alignment - 1 page, and in general it is the number of
 * near-miss fragments in a row: an adversarial layout (many fragments of exactly the wrong size
 * and offset before any fitting one) makes it linear in them, but in practice each long-enough
 * fragment holds an aligned block with a fair chance, so F stays a small constant. The cost test
 * measures it among 10^5 random fragments: 64 KiB-aligned finds read about 2.4x more words at
 * 10^5 ranges than at 10^2 (page-aligned ones 2.1x; the log2 ratio is 2.5); it also shows the
 * adversarial case, where the reads grow with F.
 */
export const virtualSpaceFind = (space: number, pages: number, alignShift: number, fromLo: number, fromHi: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  if (pages === 0) return ERR_ZERO_SIZE;
  if (pages < 0) return ERR_INVALID_ARGUMENT;
  if (alignShift < VS_ALIGN_SHIFT_MIN || alignShift > VS_ALIGN_SHIFT_MAX) return ERR_INVALID_ARGUMENT;
  const alignPages: number = 1 << (alignShift - VS_ALIGN_SHIFT_MIN);
  // `from` rounded up to a page (page 2^52 when from is in the last page: nothing fits).
  let fromPageLo: number = shiftRightU64(fromLo, fromHi, 12);
  let fromPageHi: number = pairHi;
  if ((fromLo & 4095) !== 0) {
    fromPageLo = add64(fromPageLo, fromPageHi, 1, 0);
    fromPageHi = pairHi;
  }
  // The range containing `from` (starting below it): only it can be cut short by `from`.
  const floor: number = vsFloorCeil(space, fromPageLo, fromPageHi);
  if (floor !== 0 && vsCompareStart(floor, fromPageLo, fromPageHi) < 0) {
    if (vsTryFit(floor, fromPageLo, fromPageHi, alignPages, pages) === 1) return vsPageToAddress(vsFitLo, vsFitHi);
  }
  // Then every long-enough range starting at or above `from`, in address order.
  let keyLo: number = fromPageLo;
  let keyHi: number = fromPageHi;
  while (true) {
    const node: number = vsNextLongEnough(space, keyLo, keyHi, pages, 0);
    if (node === 0) return ERR_NO_FREE_REGION;
    if (vsTryFit(node, fromPageLo, fromPageHi, alignPages, pages) === 1) return vsPageToAddress(vsFitLo, vsFitHi);
    keyLo = add64(vsRead(node, VS_WORD_START_LO), vsRead(node, VS_WORD_START_HI), 1, 0);
    keyHi = pairHi;
  }
};

// ---------------------------------------------------------------------------------------------
// Reserving and releasing
// ---------------------------------------------------------------------------------------------

/**
 * Marks [address, address + pages * 4096) allocated. The whole range must be free. Returns 0, or
 * vsCheckRange's errors, ERR_OUT_OF_RANGE (not inside the space), ERR_OVERLAP (some page of it
 * is not free), ERR_POOL_EXHAUSTED (the range is in the middle of a free range, which splits in
 * two and needs a node). O(log n).
 */
export const virtualSpaceReserve = (space: number, lo: number, hi: number, pages: number): number => {
  const error: number = vsCheckRange(space, lo, hi, pages);
  if (error !== 0) return error;
  if (vsArgInsideSpace(space) === 0) return ERR_OUT_OF_RANGE;
  const node: number = vsFloorCeil(space, vsArgLo, vsArgHi);
  if (node === 0) return ERR_OVERLAP;
  const startLo: number = vsRead(node, VS_WORD_START_LO);
  const startHi: number = vsRead(node, VS_WORD_START_HI);
  const endLo: number = vsRead(node, VS_WORD_END_LO);
  const endHi: number = vsRead(node, VS_WORD_END_HI);
  const endOrder: number = compareU64(vsArgEndLo, vsArgEndHi, endLo, endHi);
  if (endOrder > 0) return ERR_OVERLAP;
  const atStart: number = startLo === vsArgLo && startHi === vsArgHi ? 1 : 0;
  if (atStart === 1 && endOrder === 0) {
    vsDelete(space, startLo, startHi);
    vsAddCount(space, -1);
    return 0;
  }
  if (atStart === 1) return vsSetBounds(space, startLo, startHi, vsArgEndLo, vsArgEndHi, endLo, endHi);
  if (endOrder === 0) return vsSetBounds(space, startLo, startHi, startLo, startHi, vsArgLo, vsArgHi);
  // In the middle: [start, address) stays, [address + size, end) becomes a new node.
  if (vsRecordsAvailable() < 1) return ERR_POOL_EXHAUSTED;
  const tailLo: number = vsArgEndLo;
  const tailHi: number = vsArgEndHi;
  vsSetBounds(space, startLo, startHi, startLo, startHi, vsArgLo, vsArgHi);
  vsInsert(space, vsRecordAlloc(), tailLo, tailHi, endLo, endHi);
  vsAddCount(space, 1);
  return 0;
};

/**
 * Marks [address, address + pages * 4096) free again, merging it with free neighbours. The whole
 * range must be inside the space and allocated (no page of it free). Returns 0, or vsCheckRange's
 * errors, ERR_OUT_OF_RANGE (not inside the space), ERR_NOT_MAPPED (some page of it is free),
 * ERR_POOL_EXHAUSTED (no neighbour to merge with, and no node for a new range). O(log n).
 */
export const virtualSpaceRelease = (space: number, lo: number, hi: number, pages: number): number => {
  const error: number = vsCheckRange(space, lo, hi, pages);
  if (error !== 0) return error;
  if (vsArgInsideSpace(space) === 0) return ERR_OUT_OF_RANGE;
  vsFloorCeil(space, vsArgLo, vsArgHi);
  const before: number = vsFloorNode;
  const after: number = vsCeilNode;
  let mergeBefore: number = 0;
  let mergeAfter: number = 0;
  let beforeStartLo: number = 0;
  let beforeStartHi: number = 0;
  let afterStartLo: number = 0;
  let afterStartHi: number = 0;
  let afterEndLo: number = 0;
  let afterEndHi: number = 0;
  if (before !== 0) {
    const order: number = compareU64(vsRead(before, VS_WORD_END_LO), vsRead(before, VS_WORD_END_HI), vsArgLo, vsArgHi);
    if (order > 0) return ERR_NOT_MAPPED;
    if (order === 0) mergeBefore = 1;
    beforeStartLo = vsRead(before, VS_WORD_START_LO);
    beforeStartHi = vsRead(before, VS_WORD_START_HI);
  }
  if (after !== 0) {
    afterStartLo = vsRead(after, VS_WORD_START_LO);
    afterStartHi = vsRead(after, VS_WORD_START_HI);
    const order: number = compareU64(afterStartLo, afterStartHi, vsArgEndLo, vsArgEndHi);
    if (order < 0) return ERR_NOT_MAPPED;
    if (order === 0) mergeAfter = 1;
    afterEndLo = vsRead(after, VS_WORD_END_LO);
    afterEndHi = vsRead(after, VS_WORD_END_HI);
  }
  if (mergeBefore === 1 && mergeAfter === 1) {
    // before + range + after become one: drop `after`, then stretch `before` over all three.
    vsDelete(space, afterStartLo, afterStartHi);
    vsSetBounds(space, beforeStartLo, beforeStartHi, beforeStartLo, beforeStartHi, afterEndLo, afterEndHi);
    vsAddCount(space, -1);
    return 0;
  }
  if (mergeBefore === 1) return vsSetBounds(space, beforeStartLo, beforeStartHi, beforeStartLo, beforeStartHi, vsArgEndLo, vsArgEndHi);
  if (mergeAfter === 1) return vsSetBounds(space, afterStartLo, afterStartHi, vsArgLo, vsArgHi, afterEndLo, afterEndHi);
  if (vsRecordsAvailable() < 1) return ERR_POOL_EXHAUSTED;
  vsInsert(space, vsRecordAlloc(), vsArgLo, vsArgHi, vsArgEndLo, vsArgEndHi);
  vsAddCount(space, 1);
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** 1 if [address, + pages) is entirely free (so inside the space), 0 if not; vsCheckRange's errors. */
export const virtualSpaceIsFree = (space: number, lo: number, hi: number, pages: number): number => {
  const error: number = vsCheckRange(space, lo, hi, pages);
  if (error !== 0) return error;
  const node: number = vsFloorCeil(space, vsArgLo, vsArgHi);
  if (node === 0) return 0;
  return compareU64(vsArgEndLo, vsArgEndHi, vsRead(node, VS_WORD_END_LO), vsRead(node, VS_WORD_END_HI)) <= 0 ? 1 : 0;
};

/**
 * 1 if [address, + pages) is inside the space and no page of it is free (what release accepts),
 * 0 if not; vsCheckRange's errors.
 */
export const virtualSpaceIsAllocated = (space: number, lo: number, hi: number, pages: number): number => {
  const error: number = vsCheckRange(space, lo, hi, pages);
  if (error !== 0) return error;
  if (vsArgInsideSpace(space) === 0) return 0;
  vsFloorCeil(space, vsArgLo, vsArgHi);
  const before: number = vsFloorNode;
  const after: number = vsCeilNode;
  if (before !== 0 && compareU64(vsRead(before, VS_WORD_END_LO), vsRead(before, VS_WORD_END_HI), vsArgLo, vsArgHi) > 0) return 0;
  if (after !== 0 && vsCompareStart(after, vsArgEndLo, vsArgEndHi) < 0) return 0;
  return 1;
};

/** The start (lo; pairHi = hi) of a space's lowest free range, or ERR_NO_FREE_REGION; errors as above. */
export const virtualSpaceFirstRange = (space: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  let current: number = vsRoot(space);
  if (current === 0) return ERR_NO_FREE_REGION;
  let left: number = vsLeft(current);
  while (left !== 0) {
    current = left;
    left = vsLeft(current);
  }
  return vsPageToAddress(vsRead(current, VS_WORD_START_LO), vsRead(current, VS_WORD_START_HI));
};

/**
 * The start (lo; pairHi = hi) of the lowest free range starting above address `after` (any
 * address, aligned or not), or ERR_NO_FREE_REGION; ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT.
 * With virtualSpaceFirstRange, lists the free ranges in address order; O(log n) per step.
 */
export const virtualSpaceNextRange = (space: number, afterLo: number, afterHi: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  const pageLo: number = shiftRightU64(afterLo, afterHi, 12);
  const pageHi: number = pairHi;
  vsFloorCeil(space, pageLo, pageHi);
  const node: number = vsCeilNode;
  if (node === 0) return ERR_NO_FREE_REGION;
  return vsPageToAddress(vsRead(node, VS_WORD_START_LO), vsRead(node, VS_WORD_START_HI));
};

/**
 * The end address, exclusive (lo; pairHi = hi; 2^64 is 0:0), of the free range that starts
 * exactly at (startLo, startHi), or ERR_NO_FREE_REGION when no free range starts there (an
 * unaligned address never does); ERR_NOT_INITIALISED, ERR_INVALID_ARGUMENT.
 */
export const virtualSpaceRangeEnd = (space: number, startLo: number, startHi: number): number => {
  if (vsPoolReady() === 0) return ERR_NOT_INITIALISED;
  if (vsSpaceValid(space) === 0) return ERR_INVALID_ARGUMENT;
  if ((startLo & 4095) !== 0) return ERR_NO_FREE_REGION;
  const pageLo: number = shiftRightU64(startLo, startHi, 12);
  const pageHi: number = pairHi;
  const node: number = vsFloorCeil(space, pageLo, pageHi);
  if (node === 0 || vsCompareStart(node, pageLo, pageHi) !== 0) return ERR_NO_FREE_REGION;
  return vsPageToAddress(vsRead(node, VS_WORD_END_LO), vsRead(node, VS_WORD_END_HI));
};
