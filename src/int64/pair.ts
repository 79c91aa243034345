/*
 * 64-bit quantities as (lo, hi) pairs of int32 bit patterns.
 *
 * The paging code is compiled in porffor's i32 mode, where every value is an int32: x86-64
 * addresses, 64-bit page-table entries and physical addresses above 4 GiB are therefore carried
 * as two halves. A function that yields a 64-bit value returns its low half and leaves the high
 * half in `pairHi` (there are no objects to return): read it right after the call.
 */

/** High half of the last 64-bit result returned by a function of this module. */
export let pairHi: number = 0;

const SIGN_BIT: number = -2147483648;

/**
 * Returns a 64-bit result from another module: sets pairHi (an import is read-only outside its
 * own module) and returns lo, as in `return returnPair(lo, hi);`.
 */
export const returnPair = (lo: number, hi: number): number => {
  pairHi = hi;
  return lo;
};

/** Unsigned 32-bit a < b (int32 comparison after flipping the sign bits). */
export const lessThanU32 = (a: number, b: number): number => ((a ^ SIGN_BIT) < (b ^ SIGN_BIT) ? 1 : 0);

/** Unsigned 64-bit comparison: -1, 0 or 1. */
export const compareU64 = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  if (aHi !== bHi) return lessThanU32(aHi, bHi) === 1 ? -1 : 1;
  if (aLo === bLo) return 0;
  return lessThanU32(aLo, bLo) === 1 ? -1 : 1;
};

/** (a + b) mod 2^64. */
export const add64 = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  const lo: number = (aLo + bLo) | 0;
  pairHi = (aHi + bHi + lessThanU32(lo, aLo)) | 0;
  return lo;
};

/** Carry out of the last add64 beyond bit 63, for overflow checks: 1 if a + b >= 2^64. */
export const addCarries64 = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  const lo: number = (aLo + bLo) | 0;
  const hi: number = (aHi + bHi + lessThanU32(lo, aLo)) | 0;
  if (lessThanU32(hi, aHi) === 1) return 1;
  if (hi === aHi && lessThanU32(lo, aLo) === 1) return 1;
  return 0;
};

/** (a - b) mod 2^64. */
export const sub64 = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  const lo: number = (aLo - bLo) | 0;
  pairHi = (aHi - bHi - lessThanU32(aLo, bLo)) | 0;
  return lo;
};

/** a << count, count in 0..63. */
export const shiftLeft64 = (lo: number, hi: number, count: number): number => {
  const n: number = count & 63;
  if (n === 0) {
    pairHi = hi;
    return lo;
  }
  if (n >= 32) {
    pairHi = lo << (n - 32);
    return 0;
  }
  pairHi = (hi << n) | (lo >>> (32 - n));
  return lo << n;
};

/** a >> count (logical, unsigned), count in 0..63. */
export const shiftRightU64 = (lo: number, hi: number, count: number): number => {
  const n: number = count & 63;
  if (n === 0) {
    pairHi = hi;
    return lo;
  }
  if (n >= 32) {
    pairHi = 0;
    // |0: for n = 32 this is hi >>> 0, which JS yields as an unsigned number above 2^31
    return (hi >>> (n - 32)) | 0;
  }
  pairHi = hi >>> n;
  return (lo >>> n) | (hi << (32 - n));
};

/** Physical frame number (4 KiB frames; int32 covers 8 TiB) to its byte address. */
export const frameToAddress = (frame: number): number => {
  pairHi = frame >>> 20;
  return frame << 12;
};

/** Byte address to the frame that holds it (the address need not be aligned). */
export const addressToFrame = (lo: number, hi: number): number => (lo >>> 12) | (hi << 20);

/** Sign-extends bit `bit` (0..63) of a 64-bit value into the bits above it (canonical forms). */
export const signExtend64 = (lo: number, hi: number, bit: number): number => {
  const n: number = bit & 63;
  if (n >= 32) {
    const shift: number = 63 - n;
    pairHi = (hi << shift) >> shift;
    return lo;
  }
  const shift: number = 31 - n;
  const low: number = (lo << shift) >> shift;
  pairHi = low >> 31;
  return low;
};
