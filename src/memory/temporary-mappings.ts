/*
 * Temporary physical mappings: a few fixed linear pages ("slots") through which the manager and
 * drivers reach any physical frame, one frame per slot at a time.
 *
 * Ownership is explicit (EXOS's slots could be silently taken over by a second caller): a caller
 * maps a frame into a free slot, which it then holds until it unmaps it; mapping into a held slot
 * is ERR_SLOT_BUSY, unmapping a free one ERR_SLOT_NOT_HELD.
 *
 * Unmapping is lazy: the slot's entry keeps the last frame, so mapping the same frame again (the
 * common case of a walker visiting one table repeatedly) writes nothing and flushes nothing.
 * Mapping another frame rewrites the entry and invalidates the slot's one page (invlpg) - the
 * only flush the scheme ever needs, since an entry is never cleared behind the TLB's back.
 * temporaryMappingsDropAll() clears every free slot's entry, for when a stale kernel mapping of
 * some frame must not survive (e.g. before the frame is given to user space).
 *
 * The architecture describes its slot window once, as data: where the slots are, where their
 * page-table entries are (consecutive, in one page table), the entry width (4 bytes for i386
 * 2-level, 8 for PAE and x86-64) and the entry flags - so this code is the same for every paging
 * mode and never needs to know a table format. Not reentrant: callers serialise (one CPU, or a
 * lock around the manager).
 */
import { portRead32, portWrite32, portInvlpg } from '../port/port.ts';
import { ERR_NONE, ERR_INVALID_ARGUMENT, ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE, ERR_SLOT_BUSY, ERR_SLOT_INVALID, ERR_SLOT_NOT_HELD } from '../errors.ts';
import { returnPair } from '../int64/pair.ts';

/** The most slots a window may have: the held set is one 32-bit mask. */
const TEMP_SLOTS_MAX: number = 31;
const TEMP_ENTRY_PRESENT: number = 1;

let tempSlotCount: number = 0;
let tempWindowLo: number = 0;
let tempWindowHi: number = 0;
let tempEntriesLo: number = 0;
let tempEntriesHi: number = 0;
let tempEntryShift: number = 2; // log2 of the entry width: 2 (4 bytes) or 3 (8 bytes)
let tempFlagsLo: number = 0;
let tempFlagsHi: number = 0;
/** Bit n set: slot n is held by a caller. */
let tempHeldMask: number = 0;

/**
 * Describes the slot window: `slots` pages starting at linear (windowLo, windowHi), whose entries
 * start at linear (entriesLo, entriesHi), each entryBytes wide (4 or 8), made with the flags
 * (flagsLo, flagsHi) - present, writable, and e.g. NX in flagsHi bit 31. Every slot starts free
 * and empty (its entry is cleared; no flush is needed for entries that were not present).
 */
export const temporaryMappingsConfigure = (
  slots: number,
  windowLo: number,
  windowHi: number,
  entriesLo: number,
  entriesHi: number,
  entryBytes: number,
  flagsLo: number,
  flagsHi: number,
): number => {
  if (slots < 1 || slots > TEMP_SLOTS_MAX) return ERR_INVALID_ARGUMENT;
  if (entryBytes !== 4 && entryBytes !== 8) return ERR_INVALID_ARGUMENT;
  if ((windowLo & 4095) !== 0 || (entriesLo & (entryBytes - 1)) !== 0) return ERR_INVALID_ARGUMENT;
  if ((flagsLo & TEMP_ENTRY_PRESENT) === 0 || (flagsLo & -4096) !== 0) return ERR_INVALID_ARGUMENT;
  if (entryBytes === 4 && flagsHi !== 0) return ERR_INVALID_ARGUMENT;
  tempSlotCount = slots;
  tempWindowLo = windowLo;
  tempWindowHi = windowHi;
  tempEntriesLo = entriesLo;
  tempEntriesHi = entriesHi;
  tempEntryShift = entryBytes === 8 ? 3 : 2;
  tempFlagsLo = flagsLo;
  tempFlagsHi = flagsHi;
  tempHeldMask = 0;
  for (let slot: number = 0; slot < slots; slot = (slot + 1) | 0) {
    const entry: number = (entriesLo + (slot << tempEntryShift)) | 0;
    portWrite32(entry, entriesHi, 0);
    if (entryBytes === 8) portWrite32((entry + 4) | 0, entriesHi, 0);
  }
  return ERR_NONE;
};

/** The linear address of a slot (low half; the high half is the window's). */
const tempSlotAddressLo = (slot: number): number => (tempWindowLo + (slot << 12)) | 0;

const tempEntryLo = (slot: number): number => (tempEntriesLo + (slot << tempEntryShift)) | 0;

/** The frame a slot's entry currently maps, or -1 when the entry is not present. */
const tempMappedFrame = (slot: number): number => {
  const lo: number = portRead32(tempEntryLo(slot), tempEntriesHi);
  if ((lo & TEMP_ENTRY_PRESENT) === 0) return -1;
  if (tempEntryShift === 2) return lo >>> 12;
  const hi: number = portRead32((tempEntryLo(slot) + 4) | 0, tempEntriesHi);
  return (lo >>> 12) | ((hi & 1048575) << 20);
};

const tempCheckSlot = (slot: number): number => {
  if (tempSlotCount === 0) return ERR_NOT_INITIALISED;
  if (slot < 0 || slot >= tempSlotCount) return ERR_SLOT_INVALID;
  return ERR_NONE;
};

/**
 * Maps physical frame `frame` at slot `slot` and holds the slot. Returns the slot's linear
 * address (low half; pairHi = high half), or ERR_SLOT_INVALID / ERR_SLOT_BUSY / ERR_OUT_OF_RANGE
 * (a frame the entry format cannot hold: at or above 4 GiB with 4-byte entries).
 */
export const mapTemporaryPhysicalPage = (slot: number, frame: number): number => {
  const check: number = tempCheckSlot(slot);
  if (check !== ERR_NONE) return check;
  if (frame < 0 || (tempEntryShift === 2 && frame >= 1048576)) return ERR_OUT_OF_RANGE;
  if ((tempHeldMask & (1 << slot)) !== 0) return ERR_SLOT_BUSY;
  const previous: number = tempMappedFrame(slot);
  if (previous !== frame) {
    const entry: number = tempEntryLo(slot);
    if (tempEntryShift === 3) {
      // Not present while the halves change, so the MMU never sees half of each frame.
      portWrite32(entry, tempEntriesHi, 0);
      portWrite32((entry + 4) | 0, tempEntriesHi, (frame >>> 20) | tempFlagsHi);
    }
    portWrite32(entry, tempEntriesHi, (frame << 12) | tempFlagsLo);
    // A present entry may be cached; an empty one never is (x86 caches no not-present entries).
    if (previous !== -1) portInvlpg(tempSlotAddressLo(slot), tempWindowHi);
  }
  tempHeldMask = tempHeldMask | (1 << slot);
  return returnPair(tempSlotAddressLo(slot), tempWindowHi);
};

/** Releases a held slot (its entry stays, so mapping the same frame next costs nothing). */
export const unmapTemporaryPhysicalPage = (slot: number): number => {
  const check: number = tempCheckSlot(slot);
  if (check !== ERR_NONE) return check;
  if ((tempHeldMask & (1 << slot)) === 0) return ERR_SLOT_NOT_HELD;
  tempHeldMask = tempHeldMask & ~(1 << slot);
  return ERR_NONE;
};

/** Clears the entries of every free slot (held slots are untouched) and flushes each one. */
export const temporaryMappingsDropAll = (): number => {
  if (tempSlotCount === 0) return ERR_NOT_INITIALISED;
  for (let slot: number = 0; slot < tempSlotCount; slot = (slot + 1) | 0) {
    if ((tempHeldMask & (1 << slot)) === 0 && tempMappedFrame(slot) !== -1) {
      portWrite32(tempEntryLo(slot), tempEntriesHi, 0);
      portInvlpg(tempSlotAddressLo(slot), tempWindowHi);
    }
  }
  return ERR_NONE;
};

/** Slot count (0 before configuration). */
export const temporarySlotCount = (): number => tempSlotCount;
/** Bit n set: slot n is held. */
export const temporarySlotsHeld = (): number => tempHeldMask;
/** The frame a slot's entry maps now, held or not (-1: empty), or an error. */
export const temporarySlotFrame = (slot: number): number => {
  const check: number = tempCheckSlot(slot);
  if (check !== ERR_NONE) return check;
  return tempMappedFrame(slot);
};
