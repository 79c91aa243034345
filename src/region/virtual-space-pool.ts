/*
 * The record pool of the free-virtual-space index (src/region/virtual-space.ts): fixed-size
 * records in memory the manager owns, shared by every address space (the kernel's and one per
 * user address space), reached only through portRead32 / portWrite32.
 *
 * Pool layout, from its linear address (lo, hi):
 *
 *   [0, 256)                 the path stack: 64 words of scratch for the tree's iterative
 *                            insert / delete / retrace (an AVL tree of at most VS_MAX_RECORDS
 *                            nodes is at most 38 levels deep, so 64 entries never overflow)
 *   [256 + 32 (r - 8), ...)  record r (r >= VS_FIRST_RECORD = 8), 32 bytes = 8 words
 *
 * so record r lives at byte offset r * 32, and index 0 (inside the path stack) means "none".
 * A record is in one of three states, told apart by the top byte of word 5 (its "tag"):
 *
 *   free        tag 0;    word 7 = next record of the free list
 *   tree node   tag = the node's AVL height, 1..64 (a free range of one space):
 *                 word 0, 1   start page number (lo, hi)         - a page number is an address
 *                 word 2, 3   end page number, exclusive (lo, hi)  >> 12: below 2^52, and an end
 *                 word 4      largest free length in the subtree,    of 2^64 is page 2^52, so no
 *                             in pages (lo)                          bound or length ever wraps
 *                 word 5      bits 0..23: that length's high half (< 2^21), bits 24..31: height
 *                 word 6, 7   left child, right child (record numbers, 0 = none)
 *   space       tag 255;  the header of one address space; its record number is the space's
 *               handle:
 *                 word 0..3   the space's [start, end) as page numbers (end <= 2^52)
 *                 word 4      root node of its tree of free ranges (0 = nothing free)
 *                 word 5      255 << 24
 *                 word 6      number of free ranges (tree nodes)
 *
 * Records are handed out lazily: those below vsBump have been used at least once (and are in use
 * or on the free list), those from vsBump to the end have never been touched, so init is O(1)
 * and writes nothing. The pool must be 4 KiB aligned and must not cross a 4 GiB boundary of
 * linear space: the high half is then constant and a record's address is one 32-bit add.
 */
import { ERR_INVALID_ARGUMENT, ERR_NOT_INITIALISED, ERR_POOL_EXHAUSTED, ERR_UNALIGNED, ERR_ZERO_SIZE } from '../errors.ts';
import { lessThanU32 } from '../int64/pair.ts';
import { portRead32, portWrite32 } from '../port/port.ts';

/** Bytes per record: 32 = 1 << 5. */
export const VS_RECORD_SHIFT: number = 5;
/** Records 0..7 are the path stack; real records start at 8 (so 0 can mean "none"). */
export const VS_FIRST_RECORD: number = 8;
/** Path stack entries (words) in the first 256 bytes of the pool. */
export const VS_PATH_CAPACITY: number = 64;
/**
 * The most records a pool can hold: the pool stays below 2 GiB (a positive int32 size).
 * An AVL tree of that many nodes is at most 1.44 * log2(n + 2) < 39 levels deep.
 */
export const VS_MAX_RECORDS: number = 67108728;

/** Word numbers inside a record. */
export const VS_WORD_START_LO: number = 0;
export const VS_WORD_START_HI: number = 1;
export const VS_WORD_END_LO: number = 2;
export const VS_WORD_END_HI: number = 3;
export const VS_WORD_MAX_LO: number = 4;
/** Tree nodes: max length's high half | height << 24. Spaces: VS_TAG_SPACE << 24. Free: 0. */
export const VS_WORD_TAG: number = 5;
export const VS_WORD_LEFT: number = 6;
export const VS_WORD_RIGHT: number = 7;
/** Space headers: root node, range count; free records: next free record. */
export const VS_WORD_ROOT: number = 4;
export const VS_WORD_COUNT: number = 6;
export const VS_WORD_NEXT: number = 7;

/** The tag byte of a space header. Tree nodes carry their height (1..64) there, free records 0. */
export const VS_TAG_SPACE: number = 255;
export const VS_TAG_SHIFT: number = 24;
/** Low 24 bits of the tag word: the high half of a node's subtree max length. */
export const VS_TAG_VALUE_MASK: number = 16777215;

// ---------------------------------------------------------------------------------------------
// State (module-level numbers; vsRecordLimit 0 means "not initialised")
// ---------------------------------------------------------------------------------------------

let vsPoolLo: number = 0;
let vsPoolHi: number = 0;
/** One past the last record number: VS_FIRST_RECORD + the pool's record count. */
let vsRecordLimit: number = 0;
/** Records below this have been handed out at least once; the rest were never touched. */
let vsBump: number = 0;
let vsFreeHead: number = 0;
let vsFreeCount: number = 0;

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/** Reads word `word` of record `record`. */
export const vsRead = (record: number, word: number): number =>
  portRead32((vsPoolLo + (record << VS_RECORD_SHIFT) + (word << 2)) | 0, vsPoolHi);

/** Writes word `word` of record `record`. */
export const vsWrite = (record: number, word: number, value: number): number =>
  portWrite32((vsPoolLo + (record << VS_RECORD_SHIFT) + (word << 2)) | 0, vsPoolHi, value);

/** Entry `index` (0..63) of the path stack. */
export const vsPathRead = (index: number): number => portRead32((vsPoolLo + (index << 2)) | 0, vsPoolHi);

export const vsPathWrite = (index: number, record: number): number =>
  portWrite32((vsPoolLo + (index << 2)) | 0, vsPoolHi, record);

/** The tag byte of a record (height of a tree node, VS_TAG_SPACE, or 0 when free). */
export const vsTag = (record: number): number => vsRead(record, VS_WORD_TAG) >>> VS_TAG_SHIFT;

// ---------------------------------------------------------------------------------------------
// Pool
// ---------------------------------------------------------------------------------------------

/** 1 once virtualSpacePoolInit succeeded. */
export const vsPoolReady = (): number => (vsRecordLimit !== 0 ? 1 : 0);

/** One past the highest record handed out so far (record numbers below it may be in use). */
export const vsRecordsTouched = (): number => vsBump;

/**
 * Bytes of pool storage for `nodeCount` records (tree nodes and space headers together: a space
 * costs one header plus one node per free range), rounded up to whole 4 KiB pages: 256 + 32 per
 * record. ERR_ZERO_SIZE (0), ERR_INVALID_ARGUMENT (negative, or more than VS_MAX_RECORDS).
 */
export const virtualSpacePoolBytes = (nodeCount: number): number => {
  if (nodeCount === 0) return ERR_ZERO_SIZE;
  if (nodeCount < 0 || nodeCount > VS_MAX_RECORDS) return ERR_INVALID_ARGUMENT;
  const bytes: number = ((VS_FIRST_RECORD + nodeCount) << VS_RECORD_SHIFT) | 0;
  return ((bytes + 4095) & -4096) | 0;
};

/**
 * Formats a pool of `poolBytes` bytes at linear address (poolLo, poolHi): every record free, no
 * space. Holds (poolBytes - 256) / 32 records (at most VS_MAX_RECORDS). Returns the record count,
 * or ERR_UNALIGNED (poolLo or poolBytes not a multiple of 4 KiB), ERR_ZERO_SIZE (poolBytes 0),
 * ERR_INVALID_ARGUMENT (poolBytes negative, i.e. 2 GiB or more; the pool would cross a 4 GiB
 * boundary of linear space - it may end exactly on one). Writes nothing to the pool (records are
 * used lazily). Calling it again forgets every space (tests); a failed call keeps the old pool.
 */
export const virtualSpacePoolInit = (poolLo: number, poolHi: number, poolBytes: number): number => {
  if ((poolLo & 4095) !== 0) return ERR_UNALIGNED;
  if (poolBytes === 0) return ERR_ZERO_SIZE;
  if (poolBytes < 0) return ERR_INVALID_ARGUMENT;
  if ((poolBytes & 4095) !== 0) return ERR_UNALIGNED;
  const end: number = (poolLo + poolBytes) | 0;
  if (end !== 0 && lessThanU32(end, poolLo) === 1) return ERR_INVALID_ARGUMENT;
  let records: number = (poolBytes - (VS_FIRST_RECORD << VS_RECORD_SHIFT)) >> VS_RECORD_SHIFT;
  if (records > VS_MAX_RECORDS) records = VS_MAX_RECORDS;
  vsPoolLo = poolLo;
  vsPoolHi = poolHi;
  vsRecordLimit = (VS_FIRST_RECORD + records) | 0;
  vsBump = VS_FIRST_RECORD;
  vsFreeHead = 0;
  vsFreeCount = 0;
  return records;
};

/** Records that are free (on the free list or never used). */
export const vsRecordsAvailable = (): number => (vsFreeCount + vsRecordLimit - vsBump) | 0;

/** Free records in the pool (shared by all spaces), or ERR_NOT_INITIALISED. */
export const virtualSpaceNodesFree = (): number => {
  if (vsRecordLimit === 0) return ERR_NOT_INITIALISED;
  return vsRecordsAvailable();
};

/**
 * Takes a free record (its words hold garbage: the caller writes all it uses), or
 * ERR_POOL_EXHAUSTED. Callers check vsRecordsAvailable() before they change anything, so this
 * never fails in the middle of an operation.
 */
export const vsRecordAlloc = (): number => {
  if (vsFreeCount > 0) {
    const record: number = vsFreeHead;
    vsFreeHead = vsRead(record, VS_WORD_NEXT);
    vsFreeCount = (vsFreeCount - 1) | 0;
    return record;
  }
  if (vsBump < vsRecordLimit) {
    const record: number = vsBump;
    vsBump = (vsBump + 1) | 0;
    return record;
  }
  return ERR_POOL_EXHAUSTED;
};

/** Returns a record to the free list (tag 0: no longer a node nor a space). */
export const vsRecordFree = (record: number): number => {
  vsWrite(record, VS_WORD_TAG, 0);
  vsWrite(record, VS_WORD_NEXT, vsFreeHead);
  vsFreeHead = record;
  vsFreeCount = (vsFreeCount + 1) | 0;
  return 0;
};

/** 1 if `record` is a record number that has been handed out (in use or free), else 0. */
export const vsRecordTouched = (record: number): number => (record >= VS_FIRST_RECORD && record < vsBump ? 1 : 0);

/** 1 if `space` is the handle of a live space, else 0. */
export const vsSpaceValid = (space: number): number => {
  if (vsRecordTouched(space) === 0) return 0;
  return vsTag(space) === VS_TAG_SPACE ? 1 : 0;
};

/** Check codes of virtualSpacePoolCheck. */
export const VS_POOL_BAD_FREE_LIST: number = -120;
export const VS_POOL_BAD_FREE_COUNT: number = -121;

/**
 * Walks the free list (tests): every entry a touched record with tag 0, and as many entries as
 * counted. Returns 0, VS_POOL_BAD_FREE_LIST, VS_POOL_BAD_FREE_COUNT or ERR_NOT_INITIALISED.
 */
export const virtualSpacePoolCheck = (): number => {
  if (vsRecordLimit === 0) return ERR_NOT_INITIALISED;
  let record: number = vsFreeHead;
  let seen: number = 0;
  while (record !== 0) {
    if (vsRecordTouched(record) === 0 || vsTag(record) !== 0) return VS_POOL_BAD_FREE_LIST;
    seen = (seen + 1) | 0;
    if (seen > vsFreeCount) return VS_POOL_BAD_FREE_COUNT;
    record = vsRead(record, VS_WORD_NEXT);
  }
  return seen === vsFreeCount ? 0 : VS_POOL_BAD_FREE_COUNT;
};
