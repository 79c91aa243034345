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
 *   TABLES_RECURSIVE  - the recursive self-map (EXOS's PDE[1023], x86-64's PML4[510]; the Rust
 *                       crate's RecursivePageTable): one root entry points at the root itself, so
 *                       the MMU shows every table of the loaded root at a fixed linear address
 *                       computed from the address being walked. Only tables that are linked in
 *                       the root loaded in CR3 are there; everything else (another root, a table
 *                       not linked yet - zeroed before linking -, a table being built for a split,
 *                       spare frames) falls back to the temporary slots.
 *
 * The walk context. A table's place in the self-map depends on where it sits, not on its frame:
 * the walker tells this module, before it reads a level, which root and which linear address it
 * walks (tableAccessPath, once per descent) and which frame it found linked at each level on the
 * way down (tableAccessLinked). A table is then reached through the self-map only when the root is
 * the active one and the frame asked for is the very frame linked at that level on that path;
 * any other frame goes through a slot. So a caller that knows nothing of paths (address-spaces.ts
 * building or freeing a root, the walker writing a table before linking it) is always correct,
 * and only pays the slot. The context ends with tableAccessDone. Under the other strategies both
 * calls return at once.
 *
 * The self-map's own TLB entries. The self-map address of a table is translated through the
 * entry that links the table (consumed by the MMU as the page's leaf) and every entry above it.
 * When such an entry changes while it was present - a table unlinked (then freed), a large leaf
 * replaced by a table (split), a table replaced - a TLB entry for that address, loaded by a visit
 * or speculatively, would still show the old frame: a freed table could be written through it, a
 * new table missed. So every write of a present entry at level 2 and up on a walked path
 * invalidates the self-map address of the child position (invlpg, which also drops the
 * paging-structure caches) right after the write and before the walk goes on - before the old
 * frame is freed. The same is done when the walked root is the kernel's while a user root is
 * loaded, since their kernel tables are shared and show through the loaded root's self-map too.
 * Self-map translations are never global (table entries never carry G), so a CR3 load drops the
 * rest; only large leaves seen through the self-map can be global, and those are the entries the
 * invlpg rule covers.
 *
 * Entries are read and written here, in their width: 8-byte entries are written high half first
 * when an entry becomes present and low half first when it goes, so the MMU never sees a present
 * entry with half of another entry's address.
 */
import { portRead32, portWrite32, portInvlpg, portReadCr3Lo, portReadCr3Hi } from '../port/port.ts';
import { ERR_NONE, ERR_INVALID_ARGUMENT, ERR_NOT_INITIALISED, ERR_UNSUPPORTED } from '../errors.ts';
import { add64, frameToAddress, pairHi, returnPair, shiftLeft64, shiftRightU64, signExtend64 } from '../int64/pair.ts';
import { mapTemporaryPhysicalPage, unmapTemporaryPhysicalPage, temporarySlotsHeld, temporarySlotCount } from '../memory/temporary-mappings.ts';
import { frameAllocBelow } from '../memory/frame-bitmap.ts';
import {
  archEntryShift,
  archFrameLimit,
  archRootFrameLimit,
  archLevels,
  archLevelShift,
  archTableEntries,
  archAddressBits,
  archEncodeTable,
  archEncodeLeaf,
  archEntryPresent,
  archEntryFrame,
} from './backend.ts';
import { PAGE_WRITE, PAGE_USER, PAGE_NO_EXECUTE } from './page-flags.ts';

export const TABLES_DIRECT: number = 1;
export const TABLES_TEMPORARY: number = 2;
export const TABLES_RECURSIVE: number = 3;

let accessStrategy: number = 0;
let directOffsetLo: number = 0;
let directOffsetHi: number = 0;
let directLimitFrame: number = 0;
/** High half of the last entry read by tableEntryRead. */
export let tableEntryHi: number = 0;

/**
 * 1 while the recursive strategy is in use: the walker makes its context calls only then, so the
 * direct and slot strategies pay one load and compare per level, not a call.
 */
export let tableAccessWantsPath: number = 0;

/** The root entry that points at its own root in every root made from now on (-1: none). */
let selfMapIndex: number = -1;
/** The kernel's root: its kernel tables also show through a loaded user root's self-map. */
let selfKernelRoot: number = -1;
/** The walk context (tableAccessPath): the root, the address, and whether the self-map shows it. */
let pathLo: number = 0;
let pathHi: number = 0;
let pathActive: number = 0; // 1: the walked root is in CR3, its linked tables are in the self-map
let pathFlush: number = 0; // 1: changes of its entries can leave self-map translations in the TLB
/** The frame linked at each level on the walked path (-1: not known). */
let pathFrame1: number = -1;
let pathFrame2: number = -1;
let pathFrame3: number = -1;
let pathFrame4: number = -1;
let pathFrame5: number = -1;
/** The last self-map address computed (one entry: walks revisit one table many times). */
let pathCachedLevel: number = 0;
let pathCachedLo: number = 0;
let pathCachedHi: number = 0;
/** Visits since boot, for tests and benchmarks: through the self-map, through a slot (recursive strategy). */
let selfMapVisits: number = 0;
let selfMapSlotVisits: number = 0;
let selfMapInvalidations: number = 0;

/** Tables through the direct map: frames below `limitFrame` are at linear frame * 4096 + offset. */
export const tableAccessDirect = (offsetLo: number, offsetHi: number, limitFrame: number): number => {
  if ((offsetLo & 4095) !== 0 || limitFrame <= 0) return ERR_INVALID_ARGUMENT;
  accessStrategy = TABLES_DIRECT;
  tableAccessWantsPath = 0;
  directOffsetLo = offsetLo;
  directOffsetHi = offsetHi;
  directLimitFrame = limitFrame;
  return ERR_NONE;
};

/** Tables through the temporary-mapping slots (configured beforehand, one slot per level). */
export const tableAccessTemporary = (): number => {
  accessStrategy = TABLES_TEMPORARY;
  tableAccessWantsPath = 0;
  directLimitFrame = 2147483647;
  return ERR_NONE;
};

export const tableAccessStrategy = (): number => accessStrategy;

// ---- the recursive self-map ----

/**
 * Makes every root created from now on carry the self-map at root entry `index`
 * (archSelfMapIndex(); -1: none). Call before the kernel's root is made: the kernel template then
 * leaves that entry to each root. ERR_UNSUPPORTED for a negative code (PAE), ERR_INVALID_ARGUMENT
 * for an index the root does not have.
 */
export const tableSelfMapSet = (index: number): number => {
  if (index === -1) {
    selfMapIndex = -1;
    return ERR_NONE;
  }
  if (index < 0) return ERR_UNSUPPORTED;
  if (index >= archTableEntries(archLevels())) return ERR_INVALID_ARGUMENT;
  selfMapIndex = index;
  return ERR_NONE;
};

/** The self-map's root entry, or -1. */
export const tableSelfMapIndex = (): number => selfMapIndex;

/**
 * The rights of an entry that links a table whose subtree needs `flags`: the union of what the
 * subtree needs (x86 ANDs the levels, leaves decide) - and always write access while roots carry a
 * self-map, because the self-map writes a table through the very entry that links it, which the
 * MMU then takes as the page's leaf (with CR0.WP a supervisor write through a read-only one
 * faults). Linux gives every table entry RW for the same reason. The self-map entry itself
 * grants no user access and no execution, so this widens nothing a mapping can use.
 */
export const tableLinkFlags = (flags: number): number => {
  const rights: number = flags & (PAGE_WRITE | PAGE_USER);
  return selfMapIndex >= 0 ? rights | PAGE_WRITE : rights;
};

/** Tells which root is the kernel's (address-spaces.ts): see pathFlush. */
export const tableSelfMapKernelRoot = (root: number): number => {
  selfKernelRoot = root;
  return ERR_NONE;
};

/**
 * The self-map entry of `root`: its own frame, present and writable, supervisor-only, NX where
 * the CPU has it, never global - so it is per root, invisible to user mode, not executable, and a
 * CR3 load drops its translations. (lo; pairHi: hi.)
 */
const selfMapEntry = (root: number): number => {
  archEncodeLeaf(0, 1, PAGE_NO_EXECUTE);
  const nx: number = pairHi & -2147483648; // the format's NX bit (0 without NX or in two-level mode)
  const lo: number = archEncodeTable(root, archLevels(), PAGE_WRITE);
  return returnPair(lo, pairHi | nx);
};

/** Start of the self-map window: the root entry's span, sign-extended (lo; pairHi: hi). */
export const tableSelfMapWindowLo = (): number => {
  const lo: number = shiftLeft64(selfMapIndex, 0, archLevelShift(archLevels()));
  const hi: number = pairHi;
  if (archAddressBits() <= 32) return returnPair(lo, 0);
  return signExtend64(lo, hi, (archAddressBits() - 1) | 0);
};

/** log2 of the pages in the self-map window (a root entry's span): 27 (4-level), 36 (5-level), 10 (two-level). */
export const tableSelfMapWindowShift = (): number => (archLevelShift(archLevels()) - 12) | 0;

/**
 * The linear address where the self-map shows the table of `level` (1 = page table, archLevels()
 * = the root) on the path of (lo, hi), in the root loaded in CR3 (pairHi: high half). The MMU
 * follows the self-map entry `level` times and then the address's own indices from the top: so
 * the top `level` index fields hold the self-map index and the fields below hold the indices of
 * levels archLevels() .. level + 1 of (lo, hi).
 */
export const tableSelfMapTableAddress = (level: number, lo: number, hi: number): number => {
  const levels: number = archLevels();
  const fieldBits: number = (archLevelShift(2) - archLevelShift(1)) | 0; // 9, or 10 in two-level mode
  // the path: (lo, hi) >> fieldBits * level keeps the indices of the levels above `level`, lowest at bit 12
  let addressLo: number = shiftRightU64(lo, hi, fieldBits * level);
  let addressHi: number = pairHi;
  const pathTop: number = archLevelShift((levels - level + 1) | 0); // the first bit of the self-map fields
  if (pathTop >= 32) {
    addressLo = addressLo & -4096;
    addressHi = addressHi & ((1 << (pathTop - 32)) - 1);
  } else {
    addressLo = addressLo & ((1 << pathTop) - 4096);
    addressHi = 0;
  }
  for (let k: number = (levels - level + 1) | 0; k <= levels; k = (k + 1) | 0) {
    const fieldLo: number = shiftLeft64(selfMapIndex, 0, archLevelShift(k));
    addressLo = addressLo | fieldLo;
    addressHi = addressHi | pairHi;
  }
  if (archAddressBits() <= 32) return returnPair(addressLo, 0);
  return signExtend64(addressLo, addressHi, (archAddressBits() - 1) | 0);
};

const pathFrameAt = (level: number): number => {
  if (level === 1) return pathFrame1;
  if (level === 2) return pathFrame2;
  if (level === 3) return pathFrame3;
  if (level === 4) return pathFrame4;
  return level === 5 ? pathFrame5 : -1;
};

const pathFrameSet = (level: number, frame: number): number => {
  if (level === 1) pathFrame1 = frame;
  else if (level === 2) pathFrame2 = frame;
  else if (level === 3) pathFrame3 = frame;
  else if (level === 4) pathFrame4 = frame;
  else if (level === 5) pathFrame5 = frame;
  return 0;
};

const pathClear = (): number => {
  pathFrame1 = -1;
  pathFrame2 = -1;
  pathFrame3 = -1;
  pathFrame4 = -1;
  pathFrame5 = -1;
  pathActive = 0;
  pathFlush = 0;
  pathCachedLevel = 0;
  return 0;
};

/** The frame of the root loaded in CR3 (bits 12..51 of CR3). */
export const tableActiveRoot = (): number => (portReadCr3Lo() >>> 12) | ((portReadCr3Hi() & 1048575) << 20);

/**
 * The walk context, before a descent: `root` is walked towards (lo, hi). Its tables show in the
 * self-map if it is the root in CR3. (Nothing to do for the other strategies.)
 */
export const tableAccessPath = (root: number, lo: number, hi: number): number => {
  if (accessStrategy !== TABLES_RECURSIVE) return 0;
  pathClear();
  const active: number = tableActiveRoot();
  pathActive = root === active ? 1 : 0;
  pathFlush = pathActive !== 0 || root === selfKernelRoot ? 1 : 0;
  pathLo = lo;
  pathHi = hi;
  pathFrameSet(archLevels(), root);
  return 0;
};

/** The walk context: the entry of level + 1 on the path links the table in `frame` at `level`. */
export const tableAccessLinked = (level: number, frame: number): number => {
  if (accessStrategy !== TABLES_RECURSIVE) return 0;
  if (pathFrameAt((level + 1) | 0) < 0) return 0; // the parent is not on the path: nor is the child
  return pathFrameSet(level, frame);
};

/** The self-map address of the path's table at `level` (cached: a walk revisits one table). */
const pathSelfMapAddress = (level: number): number => {
  if (pathCachedLevel !== level) {
    pathCachedLo = tableSelfMapTableAddress(level, pathLo, pathHi);
    pathCachedHi = pairHi;
    pathCachedLevel = level;
  }
  return returnPair(pathCachedLo, pathCachedHi);
};

/** tableAddress for the slots and the self-map (kept apart so that the direct map's path stays small). */
const tableAddressMapped = (level: number, frame: number): number => {
  if (accessStrategy === TABLES_RECURSIVE) {
    if (pathActive !== 0 && frame === pathFrameAt(level)) {
      selfMapVisits = (selfMapVisits + 1) | 0;
      return pathSelfMapAddress(level);
    }
    selfMapSlotVisits = (selfMapSlotVisits + 1) | 0;
  }
  const slot: number = (level - 1) | 0;
  if ((temporarySlotsHeld() & (1 << slot)) !== 0) unmapTemporaryPhysicalPage(slot);
  return mapTemporaryPhysicalPage(slot, frame);
};

/** The linear address of the table in `frame`, visited as a table of `level` (pairHi: high half). */
export const tableAddress = (level: number, frame: number): number => {
  if (accessStrategy === TABLES_DIRECT) {
    const lo: number = frameToAddress(frame);
    const hi: number = pairHi;
    return add64(lo, hi, directOffsetLo, directOffsetHi);
  }
  return tableAddressMapped(level, frame);
};

/** Releases the slots a walk held and ends the walk context (nothing to do for the direct map). */
export const tableAccessDone = (): number => {
  if (accessStrategy === TABLES_DIRECT) return ERR_NONE;
  if (accessStrategy === TABLES_RECURSIVE) pathClear();
  const held: number = temporarySlotsHeld();
  for (let slot: number = 0; slot < 5; slot = (slot + 1) | 0) {
    if ((held & (1 << slot)) !== 0) unmapTemporaryPhysicalPage(slot);
  }
  return ERR_NONE;
};

/** Visits since boot under the recursive strategy: through the self-map, through a slot; self-map invlpg. */
export const tableSelfMapVisits = (): number => selfMapVisits;
export const tableSelfMapSlotVisits = (): number => selfMapSlotVisits;
export const tableSelfMapInvalidations = (): number => selfMapInvalidations;

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

/** Stores entry `index` of the table in `frame`: 8-byte entries in the order that keeps them consistent for the MMU. */
const tableEntryStore = (level: number, frame: number, index: number, entryLo: number, entryHi: number): number => {
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

/**
 * A write under the recursive strategy: when a present entry at level 2 or up on the walked path
 * changes, the self-map address of the table it linked (the child position) may be in the TLB -
 * invalidated at once, before the walk goes on or the old table is freed (see the header).
 */
const tableEntryWriteRecursive = (level: number, frame: number, index: number, entryLo: number, entryHi: number): number => {
  if (level < 2 || pathFlush === 0 || frame !== pathFrameAt(level)) return tableEntryStore(level, frame, index, entryLo, entryHi);
  const oldLo: number = tableEntryRead(level, frame, index);
  const oldHi: number = tableEntryHi;
  tableEntryStore(level, frame, index, entryLo, entryHi);
  if (archEntryPresent(oldLo, oldHi) === 0) return ERR_NONE; // x86 caches no not-present translation
  // the child position: the path with this level's index replaced
  const fieldShift: number = archLevelShift(level);
  const fieldMask: number = (archTableEntries(level) - 1) | 0;
  const clearLo: number = shiftLeft64(fieldMask, 0, fieldShift);
  const clearHi: number = pairHi;
  const setLo: number = shiftLeft64(index, 0, fieldShift);
  const setHi: number = pairHi;
  const childLo: number = tableSelfMapTableAddress((level - 1) | 0, (pathLo & ~clearLo) | setLo, (pathHi & ~clearHi) | setHi);
  portInvlpg(childLo, pairHi);
  selfMapInvalidations = (selfMapInvalidations + 1) | 0;
  return ERR_NONE;
};

/** Writes entry `index` of the table in `frame`, in the order that keeps it consistent for the MMU. */
export const tableEntryWrite = (level: number, frame: number, index: number, entryLo: number, entryHi: number): number => {
  // leaves (level 1, the hot path) never need the self-map's invalidation: one compare for them
  if (level > 1) {
    if (accessStrategy === TABLES_RECURSIVE) return tableEntryWriteRecursive(level, frame, index, entryLo, entryHi);
  }
  return tableEntryStore(level, frame, index, entryLo, entryHi);
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

/** Writes the self-map entry of a new root (not loaded yet: through the slots or the direct map). */
export const tableSelfMapLink = (root: number): number => {
  if (selfMapIndex < 0) return ERR_NONE;
  const lo: number = selfMapEntry(root);
  tableEntryWrite(archLevels(), root, selfMapIndex, lo, pairHi);
  return ERR_NONE;
};

/**
 * Tables through the self-map of the root in CR3, the rest through the temporary slots (one per
 * level, configured beforehand). Needs tableSelfMapSet, at least archLevels() slots, and the
 * loaded root's self-map entry in place; else ERR_NOT_INITIALISED and nothing changes.
 */
export const tableAccessRecursive = (): number => {
  if (selfMapIndex < 0 || temporarySlotCount() < archLevels()) return ERR_NOT_INITIALISED;
  const active: number = tableActiveRoot();
  const previous: number = accessStrategy;
  accessStrategy = TABLES_TEMPORARY; // read the loaded root through a slot to check its entry
  const entryLo: number = tableEntryRead(archLevels(), active, selfMapIndex);
  const entryHi: number = tableEntryHi;
  tableAccessDone();
  const linked: number =
    archEntryPresent(entryLo, entryHi) !== 0 && archEntryFrame(archLevels(), entryLo, entryHi) === active && (entryLo & 4) === 0 ? 1 : 0;
  if (linked === 0) {
    accessStrategy = previous;
    return ERR_NOT_INITIALISED;
  }
  accessStrategy = TABLES_RECURSIVE;
  tableAccessWantsPath = 1;
  directLimitFrame = 2147483647;
  pathActive = 0;
  return ERR_NONE;
};
