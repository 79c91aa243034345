/*
 * A 16-bit counter per physical frame, for page-table frames: how many valid entries the table
 * in that frame holds, so a table is released the moment its last entry goes - with no scan of
 * the table or of the address space (FreeBSD keeps the same count per page-table page).
 *
 * Two counters share each 32-bit word of the storage, which the caller places in memory the
 * manager owns (physical-setup.ts puts it next to the page bitmap): 2 bytes per frame, 32 MiB for
 * 64 GiB of RAM (0.05%). As with the bitmap, the storage must not cross a 4 GiB boundary of
 * linear space, so an access is one 32-bit add from the base.
 */
import { portRead32, portWrite32 } from '../port/port.ts';
import { ERR_NONE, ERR_INVALID_ARGUMENT, ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE, ERR_UNALIGNED, ERR_ZERO_SIZE } from '../errors.ts';
import { lessThanU32 } from '../int64/pair.ts';

const COUNTER_MAX: number = 65535;

let counterFrames: number = 0;
let counterBaseLo: number = 0;
let counterBaseHi: number = 0;

/** Bytes of storage for `frames` counters, page-rounded; or ERR_ZERO_SIZE / ERR_INVALID_ARGUMENT. */
export const frameCountersBytes = (frames: number): number => {
  if (frames === 0) return ERR_ZERO_SIZE;
  if (frames < 0 || frames > 1073741823) return ERR_INVALID_ARGUMENT;
  const bytes: number = (((frames + 1) >> 1) << 2) | 0;
  return ((bytes + 4095) | 0) & -4096;
};

/** Sets the counters of frames [0, frames) up in zeroed state in the storage at (lo, hi). */
export const frameCountersInit = (frames: number, lo: number, hi: number, bytes: number): number => {
  const needed: number = frameCountersBytes(frames);
  if (needed < 0) return needed;
  if ((lo & 4095) !== 0) return ERR_UNALIGNED;
  if (lessThanU32(bytes, needed) === 1) return ERR_INVALID_ARGUMENT;
  if (lo !== 0 && lessThanU32(-lo, needed) === 1) return ERR_INVALID_ARGUMENT; // would cross 4 GiB
  for (let offset: number = 0; offset < needed; offset = (offset + 4) | 0) portWrite32((lo + offset) | 0, hi, 0);
  counterFrames = frames;
  counterBaseLo = lo;
  counterBaseHi = hi;
  return ERR_NONE;
};

const counterCheck = (frame: number): number => {
  if (counterFrames === 0) return ERR_NOT_INITIALISED;
  if (frame < 0 || frame >= counterFrames) return ERR_OUT_OF_RANGE;
  return ERR_NONE;
};

const counterWordAddress = (frame: number): number => (counterBaseLo + ((frame >> 1) << 2)) | 0;

/** The counter of `frame` (0..65535), or an error. */
export const frameCounterGet = (frame: number): number => {
  const check: number = counterCheck(frame);
  if (check !== ERR_NONE) return check;
  const word: number = portRead32(counterWordAddress(frame), counterBaseHi);
  return (frame & 1) === 0 ? word & COUNTER_MAX : (word >>> 16) & COUNTER_MAX;
};

/** Sets the counter of `frame` to `value` (0..65535). */
export const frameCounterSet = (frame: number, value: number): number => {
  const check: number = counterCheck(frame);
  if (check !== ERR_NONE) return check;
  if (value < 0 || value > COUNTER_MAX) return ERR_INVALID_ARGUMENT;
  const address: number = counterWordAddress(frame);
  const word: number = portRead32(address, counterBaseHi);
  const updated: number = (frame & 1) === 0 ? (word & -65536) | value : (word & COUNTER_MAX) | (value << 16);
  portWrite32(address, counterBaseHi, updated);
  return ERR_NONE;
};

/** Adds `delta` to the counter of `frame`; returns the new value, or an error (no change) when
 * the result would leave 0..65535. */
export const frameCounterAdd = (frame: number, delta: number): number => {
  const value: number = frameCounterGet(frame);
  if (value < 0) return value;
  const next: number = (value + delta) | 0;
  if (next < 0 || next > COUNTER_MAX) return ERR_OUT_OF_RANGE;
  frameCounterSet(frame, next);
  return next;
};

export const frameCountersCovered = (): number => counterFrames;

/** Moves the counters' view of their storage to a new linear address (same rules as init). */
export const frameCountersRebase = (lo: number, hi: number): number => {
  if (counterFrames === 0) return ERR_NOT_INITIALISED;
  if ((lo & 4095) !== 0) return ERR_UNALIGNED;
  const bytes: number = frameCountersBytes(counterFrames);
  if (lo !== 0 && lessThanU32(-lo, bytes) === 1) return ERR_INVALID_ARGUMENT;
  counterBaseLo = lo;
  counterBaseHi = hi;
  return ERR_NONE;
};
