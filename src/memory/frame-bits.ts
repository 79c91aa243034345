/*
 * Word-level bit helpers for the physical frame bitmap (frame-bitmap.ts).
 *
 * The bitmap works on 32-bit words: a search tests 32 frames per read, a range operation changes
 * up to 32 frames per write. These helpers are what such word operations need and what the subset
 * does not provide (no Math.clz32, no popcount): pure functions on int32 bit patterns, with no
 * `/`, no `x >>> 0` and no shift by a count that may reach 32.
 */

/** Index (0..31) of the lowest set bit of `word`, or 32 when the word is 0. Five halving steps. */
export const frameBitsLowestSet = (word: number): number => {
  if (word === 0) return 32;
  let value: number = word;
  let index: number = 0;
  if ((value & 65535) === 0) {
    index = (index + 16) | 0;
    value = value >>> 16;
  }
  if ((value & 255) === 0) {
    index = (index + 8) | 0;
    value = value >>> 8;
  }
  if ((value & 15) === 0) {
    index = (index + 4) | 0;
    value = value >>> 4;
  }
  if ((value & 3) === 0) {
    index = (index + 2) | 0;
    value = value >>> 2;
  }
  if ((value & 1) === 0) index = (index + 1) | 0;
  return index;
};

/** Index (0..31) of the highest set bit of `word`, or -1 when the word is 0. */
export const frameBitsHighestSet = (word: number): number => {
  if (word === 0) return -1;
  let value: number = word;
  let index: number = 0;
  // value >>> n is the part above bit n: non-zero means the highest bit is at n or above.
  if (value >>> 16 !== 0) {
    index = (index + 16) | 0;
    value = value >>> 16;
  }
  if (value >>> 8 !== 0) {
    index = (index + 8) | 0;
    value = value >>> 8;
  }
  if (value >>> 4 !== 0) {
    index = (index + 4) | 0;
    value = value >>> 4;
  }
  if (value >>> 2 !== 0) {
    index = (index + 2) | 0;
    value = value >>> 2;
  }
  if (value >>> 1 !== 0) index = (index + 1) | 0;
  return index;
};

/** Number of set bits in `word` (0..32): the classic SWAR sum, without a multiplication. */
export const frameBitsCount = (word: number): number => {
  // |0: for word = 0x80000000 the difference leaves the int32 range in JS (C wraps).
  let value: number = (word - ((word >>> 1) & 1431655765)) | 0; // 0x55555555: 2-bit sums
  value = ((value & 858993459) + ((value >>> 2) & 858993459)) | 0; // 0x33333333: 4-bit sums
  value = ((value + (value >>> 4)) | 0) & 252645135; // 0x0F0F0F0F: 8-bit sums
  value = (value + (value >>> 8)) | 0;
  value = (value + (value >>> 16)) | 0;
  return value & 63;
};

/**
 * The bits [fromBit, toBit) of a word, 0 <= fromBit < toBit <= 32. Shift counts are masked to
 * 5 bits (`1 << 32` is 1), so the upper edge 32 is handled apart.
 */
export const frameBitsMask = (fromBit: number, toBit: number): number => {
  const low: number = -1 << fromBit;
  if (toBit >= 32) return low;
  return low & ~(-1 << toBit);
};
