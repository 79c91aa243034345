/*
 * How the walker reaches a page table's memory (seed 001's injected PhysMapper; the Rust x86_64
 * crate's OffsetPageTable / MappedPageTable), chosen once at init:
 *
 *   TABLES_DIRECT     - physical memory below a limit is mapped at a fixed linear offset (the
 *                       x86-64 direct map, i386's low-memory map): a table is at offset + frame
 *                       * 4096; no mapping work and no flush per visit. Tables are allocated
 *                       below the limit so they always stay reachable.
 *   TABLES_TEMPORARY  - each level has its own temporary-mapping slot (slot = level - 1): a table
 *                       is mapped when visited, and a walker holds at most one table per level.
 *                       Revisiting the table a slot already maps costs nothing (lazy unmap).
 *
 * Entries are read and written here, in their width: 8-byte entries are written high half first
 * when an entry becomes present and low half first when it goes, so the MMU never sees a present
 * entry with half of another entry's address.
 */
import { portRead32, portWrite32 } from '../port/port.ts';
import { ERR_NONE, ERR_INVALID_ARGUMENT } from '../errors.ts';
import { add64, frameToAddress, pairHi } from '../int64/pair.ts';
import { mapTemporaryPhysicalPage, unmapTemporaryPhysicalPage, temporarySlotsHeld } from '../memory/temporary-mappings.ts';
import { frameAllocBelow } from '../memory/frame-bitmap.ts';
import { archEntryShift, archFrameLimit, archRootFrameLimit } from './backend.ts';

export const TABLES_DIRECT: number = 1;
export const TABLES_TEMPORARY: number = 2;

let accessStrategy: number = 0;
let directOffsetLo: number = 0;
let directOffsetHi: number = 0;
let directLimitFrame: number = 0;
/** High half of the last entry read by tableEntryRead. */
export let tableEntryHi: number = 0;

/** Tables through the direct map: frames below `limitFrame` are at linear frame * 4096 + offset. */
export const tableAccessDirect = (offsetLo: number, offsetHi: number, limitFrame: number): number => {
  if ((offsetLo & 4095) !== 0 || limitFrame <= 0) return ERR_INVALID_ARGUMENT;
  accessStrategy = TABLES_DIRECT;
  directOffsetLo = offsetLo;
  directOffsetHi = offsetHi;
  directLimitFrame = limitFrame;
  return ERR_NONE;
};

/** Tables through the temporary-mapping slots (configured beforehand, one slot per level). */
export const tableAccessTemporary = (): number => {
  accessStrategy = TABLES_TEMPORARY;
  directLimitFrame = 2147483647;
  return ERR_NONE;
};

export const tableAccessStrategy = (): number => accessStrategy;

/** The linear address of the table in `frame`, visited as a table of `level` (pairHi: high half). */
export const tableAddress = (level: number, frame: number): number => {
  if (accessStrategy === TABLES_DIRECT) {
    const lo: number = frameToAddress(frame);
    const hi: number = pairHi;
    return add64(lo, hi, directOffsetLo, directOffsetHi);
  }
  const slot: number = (level - 1) | 0;
  if ((temporarySlotsHeld() & (1 << slot)) !== 0) unmapTemporaryPhysicalPage(slot);
  return mapTemporaryPhysicalPage(slot, frame);
};

/** Releases the slots a walk held (temporary strategy; nothing to do for the direct map). */
export const tableAccessDone = (): number => {
  if (accessStrategy !== TABLES_TEMPORARY) return ERR_NONE;
  const held: number = temporarySlotsHeld();
  for (let slot: number = 0; slot < 5; slot = (slot + 1) | 0) {
    if ((held & (1 << slot)) !== 0) unmapTemporaryPhysicalPage(slot);
  }
  return ERR_NONE;
};

/** Reads entry `index` of the table in `frame` (a table of `level`): low half; high in tableEntryHi. */
export const tableEntryRead = (level: number, frame: number, index: number): number => {
  const shift: number = archEntryShift();
  const lo: number = tableAddress(level, frame);
  const at: number = (lo + (index << shift)) | 0;
  const hi: number = pairHi;
  if (shift === 3) {
    tableEntryHi = portRead32((at + 4) | 0, hi);
  } else {
    tableEntryHi = 0;
  }
  return portRead32(at, hi);
};

/** Writes entry `index` of the table in `frame`, in the order that keeps it consistent for the MMU. */
export const tableEntryWrite = (level: number, frame: number, index: number, entryLo: number, entryHi: number): number => {
  const shift: number = archEntryShift();
  const lo: number = tableAddress(level, frame);
  const at: number = (lo + (index << shift)) | 0;
  const hi: number = pairHi;
  if (shift === 2) return portWrite32(at, hi, entryLo);
  if ((entryLo & 1) !== 0) {
    portWrite32(at, hi, 0);
    portWrite32((at + 4) | 0, hi, entryHi);
    return portWrite32(at, hi, entryLo);
  }
  portWrite32(at, hi, entryLo);
  return portWrite32((at + 4) | 0, hi, entryHi);
};

/** Zeroes the table in `frame` (a table of `level`). */
export const tableZero = (level: number, frame: number): number => {
  const lo: number = tableAddress(level, frame);
  const hi: number = pairHi;
  for (let offset: number = 0; offset < 4096; offset = (offset + 4) | 0) portWrite32((lo + offset) | 0, hi, 0);
  return ERR_NONE;
};

/** Frames below this can hold a table: reachable by the strategy, addressable by the entry format. */
export const tableFrameLimit = (): number => {
  const formatLimit: number = archFrameLimit();
  return formatLimit < directLimitFrame ? formatLimit : directLimitFrame;
};

/** A frame for a new table (below tableFrameLimit). */
export const tableFrameAlloc = (): number => frameAllocBelow(tableFrameLimit());

/** A frame for a root (CR3 may hold fewer address bits than entries do). */
export const tableRootFrameAlloc = (): number => {
  const rootLimit: number = archRootFrameLimit();
  return frameAllocBelow(rootLimit < directLimitFrame ? rootLimit : directLimitFrame);
};

/** The direct map's view of a frame (linear address; pairHi high half), for callers that need it. */
export const tableDirectAddress = (frame: number): number => {
  const lo: number = frameToAddress(frame);
  const hi: number = pairHi;
  return add64(lo, hi, directOffsetLo, directOffsetHi);
};
