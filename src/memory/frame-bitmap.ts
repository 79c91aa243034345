/*
 * The physical frame bitmap: which 4 KiB frames of physical memory are free.
 *
 * A frame number is a physical address >> 12; frames are int32, so the bitmap can cover up to
 * 2^31 - 1 frames (8 TiB). It covers frames [0, frameCount); the builder picks frameCount from
 * the memory map (usually the end of the highest usable range).
 *
 * Every frame is in exactly one of three states:
 *   free      - usable RAM that nobody holds: frameAlloc* may hand it out;
 *   allocated - usable RAM in use (handed out by frameAlloc*, or taken with frameClaim);
 *   reserved  - never allocatable nor freeable: not RAM, firmware, holes, the kernel image, boot
 *               data, the bitmap's own storage... frameBitmapInit leaves every frame reserved.
 *
 * Storage. The bitmap lives in memory the manager owns, not in a JS array: the caller gives the
 * LINEAR address (lo, hi) where that memory is visible, and every access is one portRead32 or
 * portWrite32 of a 32-bit word. With W = ceil(frameCount / 32) and S = ceil(W / 32), the layout
 * from the storage's start is
 *
 *   [0,      4W)       used bitmap:     bit f%32 of word f>>5 is 1 when frame f is not allocatable
 *                                       (allocated or reserved), 0 when it is free
 *   [4W,     8W)       reserved bitmap: bit 1 when frame f is reserved (reserved => used)
 *   [8W,     8W + 4S)  summary:         bit w%32 of word w>>5 is 1 when used word w still has a
 *                                       0 bit (a free frame), so searches skip full words 32
 *                                       frames per bit and zero summary words 1024 frames at a time
 *
 * rounded up to a whole 4 KiB page (frameBitmapStorageBytes). Bits of the last used/reserved word
 * beyond frameCount are 1 in both bitmaps forever (padding that is never free), so a search never
 * has to compare against frameCount; summary bits beyond W are 0. The storage must be 4 KiB
 * aligned and must not cross a 4 GiB boundary of linear space: the high half is then constant and
 * the address of any word is one 32-bit add (lo + offset never carries).
 *
 * The caller must also reserve the storage's own physical frames (frameBitmapReserve): the bitmap
 * knows only their linear address.
 *
 * Counts (all O(1), kept in module variables; they are what a kernel prints and checks against
 * the memory map):
 *   frameCoveredCount()  = frameCount, every frame the bitmap describes;
 *   frameReservedCount() = covered frames that are reserved (after init: all of them; after the
 *                          builder: non-RAM + holes + the builder's reservations, within coverage);
 *   frameTotalCount()    = covered - reserved = the frames the allocator manages
 *                          (frames added as usable and not reserved afterwards);
 *   frameFreeCount()     = free frames;  frameUsedCount() = total - free = allocated frames.
 * So covered = total + reserved and total = free + used, exactly, at all times.
 *
 * Building it from a memory map: frameBitmapInit, then frameBitmapAddUsable for every usable
 * (type 1) range, then frameBitmapReserve for every other range and for the builder's own
 * reservations. Reserved wins: AddUsable turns reserved frames into free ones, so it must come
 * first; Reserve afterwards re-reserves any frame that a non-usable entry also covers.
 *
 * Every function returns a non-negative result or a negative code from src/errors.ts, and a call
 * that fails changes nothing. Nothing here zeroes frames.
 */
import {
  ERR_DOUBLE_FREE,
  ERR_IN_USE,
  ERR_INVALID_ARGUMENT,
  ERR_NOT_INITIALISED,
  ERR_OUT_OF_MEMORY,
  ERR_OUT_OF_RANGE,
  ERR_RESERVED,
  ERR_UNALIGNED,
  ERR_ZERO_SIZE,
} from '../errors.ts';
import { addressToFrame, lessThanU32 } from '../int64/pair.ts';
import { portRead32, portWrite32 } from '../port/port.ts';
import { frameBitsCount, frameBitsHighestSet, frameBitsLowestSet, frameBitsMask } from './frame-bits.ts';

// ---------------------------------------------------------------------------------------------
// State (module-level numbers; frameCount 0 means "not initialised")
// ---------------------------------------------------------------------------------------------

/** Frames covered: [0, bitmapFrameCount). */
let bitmapFrameCount: number = 0;
/** Words per bitmap (W) and summary words (S). */
let bitmapWordCount: number = 0;
let bitmapSummaryCount: number = 0;
/** Low halves of the three sections' linear addresses; the high half is the same for all. */
let bitmapUsedLo: number = 0;
let bitmapReservedLo: number = 0;
let bitmapSummaryLo: number = 0;
let bitmapStorageHi: number = 0;
/** Frames in each state (allocated = covered - reserved - free). */
let bitmapFreeFrames: number = 0;
let bitmapReservedFrames: number = 0;
/** Next-fit hint: the used word where frameAlloc starts looking (the last one it took from). */
let bitmapHintWord: number = 0;

/** What a range operation does to each word (bitmapApplyWord). */
const BITMAP_OP_ADD_USABLE: number = 0;
const BITMAP_OP_RESERVE: number = 1;
const BITMAP_OP_FREE: number = 2;
const BITMAP_OP_CLAIM: number = 3;

/** ceil(value / 32) for 0 <= value < 2^31, without an addition that could overflow. */
const bitmapWordsFor = (value: number): number => (value >> 5) + ((value & 31) !== 0 ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Word access: one 32-bit add per address (the storage does not cross 4 GiB)
// ---------------------------------------------------------------------------------------------

const bitmapReadUsed = (word: number): number => portRead32((bitmapUsedLo + (word << 2)) | 0, bitmapStorageHi);

const bitmapWriteUsed = (word: number, value: number): number =>
  portWrite32((bitmapUsedLo + (word << 2)) | 0, bitmapStorageHi, value);

const bitmapReadReserved = (word: number): number =>
  portRead32((bitmapReservedLo + (word << 2)) | 0, bitmapStorageHi);

const bitmapWriteReserved = (word: number, value: number): number =>
  portWrite32((bitmapReservedLo + (word << 2)) | 0, bitmapStorageHi, value);

const bitmapReadSummary = (index: number): number =>
  portRead32((bitmapSummaryLo + (index << 2)) | 0, bitmapStorageHi);

const bitmapWriteSummary = (index: number, value: number): number =>
  portWrite32((bitmapSummaryLo + (index << 2)) | 0, bitmapStorageHi, value);

/** Brings word `word`'s summary bit in line with its new used value (writes only on a change). */
const bitmapNoteUsedWord = (word: number, used: number): number => {
  const index: number = word >> 5;
  const bit: number = 1 << (word & 31);
  const old: number = bitmapReadSummary(index);
  const next: number = used === -1 ? old & ~bit : old | bit;
  if (next !== old) bitmapWriteSummary(index, next);
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------------------------

/**
 * The lowest used word in [fromWord, limitWord) that has a free frame, or -1: reads only summary
 * words, so full words cost nothing and a zero summary word skips 1024 frames.
 */
const bitmapFindWordWithFree = (fromWord: number, limitWord: number): number => {
  if (fromWord >= limitWord) return -1;
  let index: number = fromWord >> 5;
  const lastIndex: number = (limitWord - 1) >> 5;
  let bits: number = bitmapReadSummary(index) & (-1 << (fromWord & 31));
  while (bits === 0) {
    index = (index + 1) | 0;
    if (index > lastIndex) return -1;
    bits = bitmapReadSummary(index);
  }
  const word: number = (index << 5) | frameBitsLowestSet(bits);
  return word < limitWord ? word : -1;
};

/** The lowest free frame at or after `frame`, or -1. */
const bitmapFindFreeFrom = (frame: number): number => {
  if (frame >= bitmapFrameCount) return -1;
  const word: number = frame >> 5;
  // Frames below `frame` in its word count as used for this search.
  const used: number = bitmapReadUsed(word) | ~(-1 << (frame & 31));
  if (used !== -1) return (word << 5) | frameBitsLowestSet(~used);
  const next: number = bitmapFindWordWithFree((word + 1) | 0, bitmapWordCount);
  if (next < 0) return -1;
  // Padding bits are used, so the frame found is below frameCount.
  return (next << 5) | frameBitsLowestSet(~bitmapReadUsed(next));
};

/**
 * For a range [first, end) inside the bitmap: -1 when every frame in it is free, else the highest
 * used frame of the first word that holds a used frame of the range. A run that starts at or
 * before that frame and covers the range's end would contain it, so the caller may resume after it.
 */
const bitmapFindBlocker = (first: number, end: number): number => {
  const firstWord: number = first >> 5;
  const lastWord: number = (end - 1) >> 5;
  for (let word: number = firstWord; word <= lastWord; word = (word + 1) | 0) {
    const fromBit: number = word === firstWord ? first & 31 : 0;
    const toBit: number = word === lastWord ? ((end - 1) & 31) + 1 : 32;
    const blocked: number = bitmapReadUsed(word) & frameBitsMask(fromBit, toBit);
    if (blocked !== 0) return (word << 5) | frameBitsHighestSet(blocked);
  }
  return -1;
};

// ---------------------------------------------------------------------------------------------
// Range operations, word by word
// ---------------------------------------------------------------------------------------------

/**
 * Applies `op` to the frames `mask` selects in used word `word`, keeps the counts, and returns the
 * word's new used value (the caller updates the summary). The callers have validated the frames.
 */
const bitmapApplyWord = (op: number, word: number, mask: number): number => {
  const used: number = bitmapReadUsed(word);
  let next: number = used;
  if (op === BITMAP_OP_FREE) {
    next = used & ~mask;
    bitmapFreeFrames = (bitmapFreeFrames + frameBitsCount(mask)) | 0;
  } else if (op === BITMAP_OP_CLAIM) {
    next = used | mask;
    bitmapFreeFrames = (bitmapFreeFrames - frameBitsCount(mask)) | 0;
  } else if (op === BITMAP_OP_ADD_USABLE) {
    // Only reserved frames change: free or allocated frames stay as they are (idempotent, and
    // never frees an allocated frame).
    const reserved: number = bitmapReadReserved(word);
    const freed: number = reserved & mask;
    if (freed !== 0) {
      bitmapWriteReserved(word, reserved & ~freed);
      next = used & ~freed;
      const changed: number = frameBitsCount(freed);
      bitmapFreeFrames = (bitmapFreeFrames + changed) | 0;
      bitmapReservedFrames = (bitmapReservedFrames - changed) | 0;
    }
  } else if (op === BITMAP_OP_RESERVE) {
    const reserved: number = bitmapReadReserved(word);
    if ((reserved | mask) !== reserved) {
      bitmapWriteReserved(word, reserved | mask);
      bitmapReservedFrames = (bitmapReservedFrames + frameBitsCount(mask & ~reserved)) | 0;
    }
    next = used | mask;
    bitmapFreeFrames = (bitmapFreeFrames - frameBitsCount(mask & ~used)) | 0;
  }
  if (next !== used) bitmapWriteUsed(word, next);
  return next;
};

/**
 * Applies `op` to frames [first, end) (0 <= first < end <= frameCount). Words are visited in
 * groups that share a summary word, so each summary word is read and written once per group,
 * not once per used word (AddUsable over 64 GiB changes half a million words).
 */
const bitmapApplyRange = (op: number, first: number, end: number): number => {
  const firstWord: number = first >> 5;
  const lastWord: number = (end - 1) >> 5;
  let word: number = firstWord;
  while (word <= lastWord) {
    const index: number = word >> 5;
    let groupLast: number = (index << 5) | 31;
    if (groupLast > lastWord) groupLast = lastWord;
    const oldSummary: number = bitmapReadSummary(index);
    let summary: number = oldSummary;
    while (word <= groupLast) {
      const fromBit: number = word === firstWord ? first & 31 : 0;
      const toBit: number = word === lastWord ? ((end - 1) & 31) + 1 : 32;
      const used: number = bitmapApplyWord(op, word, frameBitsMask(fromBit, toBit));
      const bit: number = 1 << (word & 31);
      summary = used === -1 ? summary & ~bit : summary | bit;
      word = (word + 1) | 0;
    }
    if (summary !== oldSummary) bitmapWriteSummary(index, summary);
  }
  return 0;
};

/**
 * Checks that `op` (FREE or CLAIM) may apply to every frame of [first, end): 0, or the error of
 * the lowest frame that forbids it - ERR_RESERVED, else ERR_DOUBLE_FREE (FREE of a free frame) or
 * ERR_IN_USE (CLAIM of an allocated frame).
 */
const bitmapCheckRange = (op: number, first: number, end: number): number => {
  const firstWord: number = first >> 5;
  const lastWord: number = (end - 1) >> 5;
  for (let word: number = firstWord; word <= lastWord; word = (word + 1) | 0) {
    const fromBit: number = word === firstWord ? first & 31 : 0;
    const toBit: number = word === lastWord ? ((end - 1) & 31) + 1 : 32;
    const mask: number = frameBitsMask(fromBit, toBit);
    const used: number = bitmapReadUsed(word);
    // A reserved frame is also used: FREE must look at the reserved bits, CLAIM only when blocked.
    let reserved: number = 0;
    let bad: number = used & mask;
    if (op === BITMAP_OP_FREE) {
      reserved = bitmapReadReserved(word);
      bad = (~used | reserved) & mask;
    } else if (bad !== 0) {
      reserved = bitmapReadReserved(word);
    }
    if (bad !== 0) {
      const lowest: number = 1 << frameBitsLowestSet(bad);
      if ((reserved & lowest) !== 0) return ERR_RESERVED;
      return op === BITMAP_OP_FREE ? ERR_DOUBLE_FREE : ERR_IN_USE;
    }
  }
  return 0;
};

/**
 * Validates a range argument (first, count) that must lie inside the bitmap: 0 or
 * ERR_NOT_INITIALISED, ERR_ZERO_SIZE (count 0), ERR_INVALID_ARGUMENT (count < 0),
 * ERR_OUT_OF_RANGE (any frame < 0 or >= frameCount).
 */
const bitmapCheckArguments = (first: number, count: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (count === 0) return ERR_ZERO_SIZE;
  if (count < 0) return ERR_INVALID_ARGUMENT;
  if (first < 0 || first >= bitmapFrameCount) return ERR_OUT_OF_RANGE;
  // Written as a subtraction: first + count may overflow int32.
  if (count > bitmapFrameCount - first) return ERR_OUT_OF_RANGE;
  return 0;
};

/** Validates a single frame: 0, ERR_NOT_INITIALISED or ERR_OUT_OF_RANGE. */
const bitmapCheckFrame = (frame: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (frame < 0 || frame >= bitmapFrameCount) return ERR_OUT_OF_RANGE;
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------------------------

/**
 * Bytes of storage the bitmap needs for `frameCount` frames, a multiple of 4096; or
 * ERR_ZERO_SIZE (0 frames), ERR_INVALID_ARGUMENT (negative). At most 520 MiB (2^31 - 1 frames).
 */
export const frameBitmapStorageBytes = (frameCount: number): number => {
  if (frameCount === 0) return ERR_ZERO_SIZE;
  if (frameCount < 0) return ERR_INVALID_ARGUMENT;
  const words: number = bitmapWordsFor(frameCount);
  const bytes: number = ((words << 3) + (bitmapWordsFor(words) << 2)) | 0;
  return ((bytes + 4095) | 0) & -4096;
};

/**
 * Sets the bitmap up over frames [0, frameCount) in the storage at linear (storageLo, storageHi),
 * `storageBytes` long, with every frame reserved. Returns 0, or ERR_ZERO_SIZE (frameCount 0),
 * ERR_INVALID_ARGUMENT (frameCount negative; storage smaller than frameBitmapStorageBytes, the
 * size taken as unsigned; storage crossing a 4 GiB boundary), ERR_UNALIGNED (storage not 4 KiB
 * aligned). May be called again to start over (tests); a failed call keeps the previous bitmap.
 */
export const frameBitmapInit = (frameCount: number, storageLo: number, storageHi: number, storageBytes: number): number => {
  const needed: number = frameBitmapStorageBytes(frameCount);
  if (needed < 0) return needed;
  if ((storageLo & 4095) !== 0) return ERR_UNALIGNED;
  if (lessThanU32(storageBytes, needed) === 1) return ERR_INVALID_ARGUMENT;
  // The storage may end exactly at a 4 GiB boundary (the sum wraps to 0), not beyond it.
  const storageEnd: number = (storageLo + needed) | 0;
  if (storageEnd !== 0 && lessThanU32(storageEnd, storageLo) === 1) return ERR_INVALID_ARGUMENT;

  bitmapFrameCount = frameCount;
  bitmapWordCount = bitmapWordsFor(frameCount);
  bitmapSummaryCount = bitmapWordsFor(bitmapWordCount);
  bitmapStorageHi = storageHi;
  bitmapUsedLo = storageLo;
  bitmapReservedLo = (storageLo + (bitmapWordCount << 2)) | 0;
  bitmapSummaryLo = (storageLo + (bitmapWordCount << 3)) | 0;
  // Everything reserved (so used), padding included; no word has a free frame yet.
  for (let word: number = 0; word < bitmapWordCount; word = (word + 1) | 0) {
    bitmapWriteUsed(word, -1);
    bitmapWriteReserved(word, -1);
  }
  for (let index: number = 0; index < bitmapSummaryCount; index = (index + 1) | 0) {
    bitmapWriteSummary(index, 0);
  }
  bitmapFreeFrames = 0;
  bitmapReservedFrames = frameCount;
  bitmapHintWord = 0;
  return 0;
};

/**
 * Marks frames [firstFrame, firstFrame + count) as usable RAM: each reserved frame of the range
 * becomes free; frames already free or allocated stay as they are. Returns how many frames became
 * free, or ERR_NOT_INITIALISED, ERR_ZERO_SIZE, ERR_INVALID_ARGUMENT (count < 0), ERR_OUT_OF_RANGE
 * (the range leaves [0, frameCount): usable RAM the bitmap cannot describe is a sizing mistake of
 * the caller, so it is refused rather than silently dropped - clamp explicitly to cover less).
 * Call it before frameBitmapReserve (reserved wins only if Reserve comes last).
 */
export const frameBitmapAddUsable = (firstFrame: number, count: number): number => {
  const error: number = bitmapCheckArguments(firstFrame, count);
  if (error !== 0) return error;
  const before: number = bitmapFreeFrames;
  bitmapApplyRange(BITMAP_OP_ADD_USABLE, firstFrame, (firstFrame + count) | 0);
  return (bitmapFreeFrames - before) | 0;
};

/**
 * Marks frames [firstFrame, firstFrame + count) reserved, whatever their state (free, allocated
 * or already reserved: idempotent). The part of the range at or above frameCount is ignored:
 * frames the bitmap does not cover are never allocatable anyway, and memory-map entries above the
 * last RAM (MMIO, firmware) can then be passed unchanged. Returns how many covered frames became
 * reserved, or ERR_NOT_INITIALISED, ERR_ZERO_SIZE, ERR_INVALID_ARGUMENT (count < 0),
 * ERR_OUT_OF_RANGE (firstFrame < 0).
 */
export const frameBitmapReserve = (firstFrame: number, count: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (count === 0) return ERR_ZERO_SIZE;
  if (count < 0) return ERR_INVALID_ARGUMENT;
  if (firstFrame < 0) return ERR_OUT_OF_RANGE;
  if (firstFrame >= bitmapFrameCount) return 0;
  const end: number = count > bitmapFrameCount - firstFrame ? bitmapFrameCount : (firstFrame + count) | 0;
  const before: number = bitmapReservedFrames;
  bitmapApplyRange(BITMAP_OP_RESERVE, firstFrame, end);
  return (bitmapReservedFrames - before) | 0;
};

// ---------------------------------------------------------------------------------------------
// Allocation
// ---------------------------------------------------------------------------------------------

/**
 * Allocation-failure injection, for tests of every caller's rollback: after frameInjectFailure(k)
 * the k-th allocation call from now (frameAlloc, frameAllocContiguous, frameAllocBelow; k >= 1)
 * returns ERR_OUT_OF_MEMORY as if memory were exhausted; 0 turns it off. Costs one test per call.
 */
let bitmapFailCountdown: number = 0;

export const frameInjectFailure = (k: number): number => {
  bitmapFailCountdown = k > 0 ? k : 0;
  return 0;
};

/** 1 when this allocation call is the injected failure (counts the call down). */
const bitmapInjectedFailure = (): number => {
  if (bitmapFailCountdown === 0) return 0;
  bitmapFailCountdown = (bitmapFailCountdown - 1) | 0;
  return bitmapFailCountdown === 0 ? 1 : 0;
};

/**
 * Allocates one frame: the lowest free frame in or after the hint word, wrapping once to the
 * start (next fit: successive calls do not rescan the frames they already handed out). Returns
 * the frame, or ERR_NOT_INITIALISED, ERR_OUT_OF_MEMORY. The frame is NOT zeroed.
 */
export const frameAlloc = (): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (bitmapInjectedFailure() === 1) return ERR_OUT_OF_MEMORY;
  if (bitmapFreeFrames === 0) return ERR_OUT_OF_MEMORY;
  let word: number = bitmapFindWordWithFree(bitmapHintWord, bitmapWordCount);
  if (word < 0) word = bitmapFindWordWithFree(0, bitmapHintWord);
  if (word < 0) return ERR_OUT_OF_MEMORY; // unreachable while the free count is right
  const used: number = bitmapReadUsed(word);
  const bit: number = frameBitsLowestSet(~used);
  const next: number = used | (1 << bit);
  bitmapWriteUsed(word, next);
  if (next === -1) bitmapNoteUsedWord(word, next);
  bitmapFreeFrames = (bitmapFreeFrames - 1) | 0;
  bitmapHintWord = word;
  return (word << 5) | bit;
};

/**
 * Allocates `count` consecutive free frames whose first frame is a multiple of `alignFrames`
 * (a power of two: 1, 512 for 2 MiB, 262144 for 1 GiB), the lowest such run (first fit from
 * frame 0; the hint is neither used nor moved). Returns the first frame, or ERR_NOT_INITIALISED,
 * ERR_ZERO_SIZE (count 0), ERR_INVALID_ARGUMENT (count < 0, alignment not a positive power of
 * two), ERR_OUT_OF_MEMORY (no such run). The frames are NOT zeroed.
 *
 * Searches word by word: free frames are found through the summary, a candidate run is tested 32
 * frames per read, and after a blocked candidate the search resumes past the blocking frame, so
 * every word is read a bounded number of times.
 */
export const frameAllocContiguous = (count: number, alignFrames: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (count === 0) return ERR_ZERO_SIZE;
  if (count < 0) return ERR_INVALID_ARGUMENT;
  if (alignFrames <= 0 || (alignFrames & ((alignFrames - 1) | 0)) !== 0) return ERR_INVALID_ARGUMENT;
  if (bitmapInjectedFailure() === 1) return ERR_OUT_OF_MEMORY;
  if (count > bitmapFreeFrames) return ERR_OUT_OF_MEMORY;
  const lastStart: number = (bitmapFrameCount - count) | 0; // >= 0: count <= free <= frameCount
  let from: number = 0;
  while (true) {
    // (Not named `free`: tools/freestanding.mjs refuses C that mentions libc's free.)
    const freeFrame: number = bitmapFindFreeFrom(from);
    if (freeFrame < 0) return ERR_OUT_OF_MEMORY;
    // Round up to the alignment, comparing before adding so that nothing can overflow.
    let start: number = freeFrame & -alignFrames;
    if (start !== freeFrame) {
      if (start > lastStart - alignFrames) return ERR_OUT_OF_MEMORY;
      start = (start + alignFrames) | 0;
    } else if (start > lastStart) {
      return ERR_OUT_OF_MEMORY;
    }
    const blocker: number = bitmapFindBlocker(start, (start + count) | 0);
    if (blocker < 0) {
      bitmapApplyRange(BITMAP_OP_CLAIM, start, (start + count) | 0);
      return start;
    }
    from = (blocker + 1) | 0;
  }
};

/**
 * One frame below `limitFrame` (for structures that must be reachable through a window that maps
 * only low memory, e.g. page tables under i386's direct map): the lowest free frame, or
 * ERR_OUT_OF_MEMORY when every free frame is at or above the limit.
 */
export const frameAllocBelow = (limitFrame: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if (bitmapInjectedFailure() === 1) return ERR_OUT_OF_MEMORY;
  const found: number = bitmapFindFreeFrom(0);
  if (found < 0 || found >= limitFrame) return ERR_OUT_OF_MEMORY;
  bitmapApplyRange(BITMAP_OP_CLAIM, found, (found + 1) | 0);
  return found;
};

// ---------------------------------------------------------------------------------------------
// Freeing and claiming
// ---------------------------------------------------------------------------------------------

/**
 * Frees one allocated frame. Returns 0, or ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE (frame < 0 or
 * >= frameCount), ERR_RESERVED (a reserved frame), ERR_DOUBLE_FREE (already free).
 */
export const frameFree = (frame: number): number => {
  const error: number = bitmapCheckFrame(frame);
  if (error !== 0) return error;
  const word: number = frame >> 5;
  const bit: number = 1 << (frame & 31);
  if ((bitmapReadReserved(word) & bit) !== 0) return ERR_RESERVED;
  const used: number = bitmapReadUsed(word);
  if ((used & bit) === 0) return ERR_DOUBLE_FREE;
  bitmapWriteUsed(word, used & ~bit);
  // The word gains its first free frame: its summary bit goes on.
  if (used === -1) bitmapNoteUsedWord(word, used & ~bit);
  bitmapFreeFrames = (bitmapFreeFrames + 1) | 0;
  return 0;
};

/**
 * Frees frames [first, first + count) ("mark free"), all or nothing: the whole range is checked
 * before anything changes. Returns 0, or ERR_NOT_INITIALISED, ERR_ZERO_SIZE, ERR_INVALID_ARGUMENT
 * (count < 0), ERR_OUT_OF_RANGE (any frame outside [0, frameCount)), else the error of the lowest
 * frame that cannot be freed: ERR_RESERVED or ERR_DOUBLE_FREE.
 */
export const frameFreeRange = (first: number, count: number): number => {
  const error: number = bitmapCheckArguments(first, count);
  if (error !== 0) return error;
  const end: number = (first + count) | 0;
  const bad: number = bitmapCheckRange(BITMAP_OP_FREE, first, end);
  if (bad !== 0) return bad;
  bitmapApplyRange(BITMAP_OP_FREE, first, end);
  return 0;
};

/**
 * Marks free frames [first, first + count) allocated ("mark used"), for frames the caller took by
 * other means (the boot page tables...), all or nothing. Returns 0, or ERR_NOT_INITIALISED,
 * ERR_ZERO_SIZE, ERR_INVALID_ARGUMENT (count < 0), ERR_OUT_OF_RANGE, else the error of the lowest
 * frame that is not free: ERR_RESERVED or ERR_IN_USE.
 */
export const frameClaim = (first: number, count: number): number => {
  const error: number = bitmapCheckArguments(first, count);
  if (error !== 0) return error;
  const end: number = (first + count) | 0;
  const bad: number = bitmapCheckRange(BITMAP_OP_CLAIM, first, end);
  if (bad !== 0) return bad;
  bitmapApplyRange(BITMAP_OP_CLAIM, first, end);
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Queries and counts
// ---------------------------------------------------------------------------------------------

/** 1 if `frame` is free, 0 if allocated or reserved; ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE. */
export const frameIsFree = (frame: number): number => {
  const error: number = bitmapCheckFrame(frame);
  if (error !== 0) return error;
  return (bitmapReadUsed(frame >> 5) & (1 << (frame & 31))) === 0 ? 1 : 0;
};

/** 1 if `frame` is reserved, else 0; ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE. */
export const frameIsReserved = (frame: number): number => {
  const error: number = bitmapCheckFrame(frame);
  if (error !== 0) return error;
  return (bitmapReadReserved(frame >> 5) & (1 << (frame & 31))) !== 0 ? 1 : 0;
};

/** Frames the bitmap describes: frameCount (0 before init). */
export const frameCoveredCount = (): number => bitmapFrameCount;

/** Covered frames that are reserved (not RAM, holes, reservations). */
export const frameReservedCount = (): number => bitmapReservedFrames;

/** Frames the allocator manages: covered - reserved (added as usable and not reserved since). */
export const frameTotalCount = (): number => (bitmapFrameCount - bitmapReservedFrames) | 0;

/** Managed frames that are free. */
export const frameFreeCount = (): number => bitmapFreeFrames;

/** Managed frames that are allocated: total - free. */
export const frameUsedCount = (): number => (bitmapFrameCount - bitmapReservedFrames - bitmapFreeFrames) | 0;

/**
 * Moves the bitmap's view of its storage to a new linear address (the same physical memory,
 * mapped elsewhere: the boot's identity view, then the kernel's direct map). Same rules as init:
 * 4 KiB aligned, not crossing a 4 GiB boundary.
 */
export const frameBitmapRebase = (storageLo: number, storageHi: number): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  if ((storageLo & 4095) !== 0) return ERR_UNALIGNED;
  const bytes: number = frameBitmapStorageBytes(bitmapFrameCount);
  if (storageLo !== 0 && lessThanU32(-storageLo, bytes) === 1) return ERR_INVALID_ARGUMENT;
  bitmapStorageHi = storageHi;
  bitmapUsedLo = storageLo;
  bitmapReservedLo = (storageLo + (bitmapWordCount << 2)) | 0;
  bitmapSummaryLo = (storageLo + (bitmapWordCount << 3)) | 0;
  return 0;
};

// ---------------------------------------------------------------------------------------------
// The largest run of free frames (kernel heap discovery)
// ---------------------------------------------------------------------------------------------

let bitmapLargestRunCount: number = 0;

/**
 * The first frame of the longest run of free frames (the lowest such run on a tie), or
 * ERR_NOT_INITIALISED / ERR_OUT_OF_MEMORY (no free frame); its length is then
 * frameLargestFreeRunCount(). Reads every used word once: whole free and whole used words cost
 * one test each, so 64 GiB is 512 Ki word reads. A boot-time query, not an allocation path.
 */
export const frameLargestFreeRun = (): number => {
  if (bitmapFrameCount === 0) return ERR_NOT_INITIALISED;
  let bestFirst: number = -1;
  let bestCount: number = 0;
  let runFirst: number = 0;
  let runCount: number = 0;
  for (let word: number = 0; word < bitmapWordCount; word = (word + 1) | 0) {
    const used: number = bitmapReadUsed(word);
    if (used === 0) {
      if (runCount === 0) runFirst = word << 5;
      runCount = (runCount + 32) | 0;
      continue;
    }
    for (let bit: number = 0; bit < 32; bit = (bit + 1) | 0) {
      if ((used & (1 << bit)) === 0) {
        if (runCount === 0) runFirst = ((word << 5) + bit) | 0;
        runCount = (runCount + 1) | 0;
      } else {
        if (runCount > bestCount) {
          bestFirst = runFirst;
          bestCount = runCount;
        }
        runCount = 0;
      }
      if (used === -1) break;
    }
    if (used === -1) runCount = 0;
  }
  if (runCount > bestCount) {
    bestFirst = runFirst;
    bestCount = runCount;
  }
  if (bestCount === 0) return ERR_OUT_OF_MEMORY;
  bitmapLargestRunCount = bestCount;
  return bestFirst;
};

/** Length of the run frameLargestFreeRun last found. */
export const frameLargestFreeRunCount = (): number => bitmapLargestRunCount;

// ---------------------------------------------------------------------------------------------
// Physical addresses. Frame -> address is frameToAddress in src/int64/pair.ts (low half returned,
// high half in pairHi).
// ---------------------------------------------------------------------------------------------

/** Frames are non-negative int32: an address at or above 2^43 (8 TiB, hi >= 2048) has none. */
const bitmapAddressBeyondFrames = (hi: number): number => ((hi >>> 11) !== 0 ? 1 : 0);

/**
 * The frame that starts at physical address (lo, hi): ERR_UNALIGNED when the address is not
 * 4 KiB aligned, ERR_OUT_OF_RANGE at or above 8 TiB. Does not compare with frameCount.
 */
export const frameFromAddress = (lo: number, hi: number): number => {
  if ((lo & 4095) !== 0) return ERR_UNALIGNED;
  if (bitmapAddressBeyondFrames(hi) === 1) return ERR_OUT_OF_RANGE;
  return addressToFrame(lo, hi);
};

/** The frame holding physical address (lo, hi) (rounds down), or ERR_OUT_OF_RANGE (>= 8 TiB). */
export const frameContaining = (lo: number, hi: number): number => {
  if (bitmapAddressBeyondFrames(hi) === 1) return ERR_OUT_OF_RANGE;
  return addressToFrame(lo, hi);
};

/**
 * The first frame starting at or above physical address (lo, hi) (rounds up), or
 * ERR_OUT_OF_RANGE when that frame would be 2^31 or more. With frameContaining, a memory-map
 * entry [base, end) rounds inwards for usable RAM (frameAtOrAbove(base) .. frameContaining(end))
 * and outwards for reservations (frameContaining(base) .. frameAtOrAbove(end)).
 */
export const frameAtOrAbove = (lo: number, hi: number): number => {
  if (bitmapAddressBeyondFrames(hi) === 1) return ERR_OUT_OF_RANGE;
  const frame: number = addressToFrame(lo, hi);
  if ((lo & 4095) === 0) return frame;
  const next: number = (frame + 1) | 0;
  return next < 0 ? ERR_OUT_OF_RANGE : next;
};

/** frameFree of the frame at physical address (lo, hi): frameFromAddress's errors, then frameFree's. */
export const frameFreeAddress = (lo: number, hi: number): number => {
  const frame: number = frameFromAddress(lo, hi);
  if (frame < 0) return frame;
  return frameFree(frame);
};
