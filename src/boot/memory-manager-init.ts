/*
 * Bringing the memory manager up in a kernel, after the page bitmap is built
 * (physical-setup.ts): the paging backend in the chosen mode, the kernel's own root with its
 * template, the kernel image and the direct map mapped in it, CR3 loaded (and paging turned on,
 * on i386), the bitmap and counters moved to the direct map, the free-space index, and the region
 * API. Generic: the layout comes from the backend (archDirectMap*, archImageWindow*,
 * archKernelRegionsStart*).
 *
 * Until CR3 is loaded the manager reaches memory through the boot's view: physical below
 * `reachFrames` at physical + reachOffset (i386 with paging off: identity; x86-64: the boot
 * tables' higher half).
 *
 * Page tables are then reached through the direct map (the default) or, after
 * memoryManagerSelectTables(TABLES_RECURSIVE), through the recursive self-map of the loaded root
 * with the temporary slots as fallback: every root gets its self-map entry (archSelfMapIndex), a
 * slot window is made just below the self-map window (its page table pinned, its entries reached
 * through the self-map too), and both windows are reserved in kernel space. The direct map stays
 * either way: the bitmap, the counters and the free-space index live in it.
 */
import { ERR_NONE, ERR_NO_USABLE_MEMORY, ERR_INVALID_ARGUMENT } from '../errors.ts';
import { add64, frameToAddress, pairHi, shiftLeft64, sub64 } from '../int64/pair.ts';
import { portReadCr0, portWriteCr0, portReadCr4, portWriteCr4, portReadEfer, portWriteEfer, portWriteCr3 } from '../port/port.ts';
import { frameCoveredCount, frameAllocContiguous, frameBitmapRebase, frameBitmapStorageBytes } from '../memory/frame-bitmap.ts';
import { frameCountersRebase } from '../memory/frame-counters.ts';
import { physicalBitmapFirstFrame } from '../memory/physical-setup.ts';
import {
  archPagingInit,
  archDirectMapStartLo,
  archDirectMapStartHi,
  archDirectMapMaxFrames,
  archKernelRegionsStartLo,
  archKernelRegionsStartHi,
  archImageWindowLo,
  archImageWindowHi,
  archImageWindowFrames,
  archKernelStartLo,
  archKernelStartHi,
  archSelfMapIndex,
  archIndexOf,
  archEntryShift,
} from '../paging/backend.ts';
import { PAGING_TWO_LEVEL, PAGING_PAE, FEATURE_NX, FEATURE_GLOBAL_PAGES, FEATURE_LARGE_PAGES } from '../paging/paging-modes.ts';
import { PAGE_WRITE, PAGE_NO_EXECUTE, PAGE_GLOBAL } from '../paging/page-flags.ts';
import { tableAccessDirect } from '../paging/table-access.ts';
import {
  TABLES_DIRECT,
  TABLES_RECURSIVE,
  tableAccessStrategy,
  tableAccessRecursive,
  tableAccessDone,
  tableSelfMapSet,
  tableSelfMapWindowLo,
  tableSelfMapWindowShift,
  tableSelfMapTableAddress,
} from '../paging/table-access.ts';
import { temporaryMappingsConfigure } from '../memory/temporary-mappings.ts';
import { frameCounterSet } from '../memory/frame-counters.ts';
import { addressSpaceKernelCreate } from '../paging/address-spaces.ts';
import { walkMapRange, walkDescend, TABLE_PINNED } from '../paging/walker.ts';
import { virtualSpacePoolBytes, virtualSpacePoolInit } from '../region/virtual-space-pool.ts';
import { virtualSpaceCreate } from '../region/virtual-space.ts';
import { regionsInit, regionsReserveWindow } from '../region/regions.ts';
import { ioMappingsInit } from '../region/io-mappings.ts';

const INIT_CR0_PG: number = -2147483648;
const INIT_CR0_WP: number = 65536;
const INIT_CR4_PSE: number = 16;
const INIT_CR4_PAE: number = 32;
const INIT_CR4_PGE: number = 128;
const INIT_EFER_NXE: number = 2048;
/** Records of the free-space index: 16384 ranges (512 KiB). */
const INIT_POOL_NODES: number = 16384;
/** The I/O window: 64 MiB of i386 kernel space, 64 GiB of x86-64's. */
const INIT_IO_PAGES_I386: number = 16384;
const INIT_IO_PAGES_X86_64: number = 16777216;
/** The I/O registry: 1024 slots of 16 bytes (up to 768 live mappings). */
const INIT_IO_REGISTRY_BYTES: number = 16384;

/** Slots of the window the recursive strategy falls back to: one per level (5) and three for drivers. */
const INIT_SLOTS: number = 8;
/** The slot window starts this far below the self-map window: 2 MiB. */
const INIT_SLOTS_BELOW_SELF_MAP: number = 2097152;
/** The self-map window is reserved in pieces of 2^30 pages (4 TiB): 256 TiB in 5-level mode. */
const INIT_RESERVE_PIECE_SHIFT: number = 30;

let initTables: number = TABLES_DIRECT;
let initSlotsLo: number = 0;
let initSlotsHi: number = 0;
let initKernelRoot: number = -1;
let initKernelSpace: number = -1;
let initDirectFrames: number = 0;

/** The features this mode can use of what the CPU offers. */
const initUsableFeatures = (mode: number, offered: number): number => {
  if (mode === PAGING_TWO_LEVEL) return offered & (FEATURE_LARGE_PAGES | FEATURE_GLOBAL_PAGES);
  if (mode === PAGING_PAE) return offered & (FEATURE_NX | FEATURE_GLOBAL_PAGES);
  return offered;
};

/** Loads `root`: on i386 with paging off, sets the mode's control bits first and turns paging on. */
const initActivate = (root: number, mode: number, features: number): number => {
  let cr4: number = portReadCr4();
  if ((features & FEATURE_GLOBAL_PAGES) !== 0) cr4 = cr4 | INIT_CR4_PGE;
  if (mode === PAGING_TWO_LEVEL && (features & FEATURE_LARGE_PAGES) !== 0) cr4 = cr4 | INIT_CR4_PSE;
  if (mode === PAGING_PAE) cr4 = cr4 | INIT_CR4_PAE;
  if ((features & FEATURE_NX) !== 0) portWriteEfer(portReadEfer() | INIT_EFER_NXE);
  const pagingOn: number = (portReadCr0() & INIT_CR0_PG) !== 0 ? 1 : 0;
  if (pagingOn === 0) portWriteCr4(cr4);
  const rootLo: number = frameToAddress(root);
  portWriteCr3(rootLo, pairHi);
  if (pagingOn === 0) portWriteCr0(portReadCr0() | INIT_CR0_PG | INIT_CR0_WP);
  else portWriteCr4(cr4); // PGE may be switched on with paging on
  return ERR_NONE;
};

/**
 * How memoryManagerInit makes the manager reach page tables once its root is loaded:
 * TABLES_DIRECT (the default) or TABLES_RECURSIVE (not in PAE mode: memoryManagerInit then fails
 * with ERR_UNSUPPORTED). Call before memoryManagerInit.
 */
export const memoryManagerSelectTables = (strategy: number): number => {
  if (strategy !== TABLES_DIRECT && strategy !== TABLES_RECURSIVE) return ERR_INVALID_ARGUMENT;
  initTables = strategy;
  return ERR_NONE;
};

/** The strategy in use (TABLES_*; 0 before init). */
export const memoryManagerTables = (): number => tableAccessStrategy();
/** The recursive strategy's slot window (INIT_SLOTS pages; lo, pairHi: hi). */
export const memoryManagerSlotsLo = (): number => initSlotsLo;
export const memoryManagerSlotsHi = (): number => initSlotsHi;
export const memoryManagerSlotCount = (): number => INIT_SLOTS;

/**
 * Reserves the self-map window (a root entry's span) in kernel space, so that no region is ever
 * placed there and freeRegion refuses it: in pieces, as a window may hold more pages than an
 * int32 counts.
 */
export const memoryManagerReserveSelfMap = (): number => {
  const shift: number = tableSelfMapWindowShift();
  const pieceShift: number = shift < INIT_RESERVE_PIECE_SHIFT ? shift : INIT_RESERVE_PIECE_SHIFT;
  const pieces: number = 1 << ((shift - pieceShift) | 0);
  let lo: number = tableSelfMapWindowLo();
  let hi: number = pairHi;
  for (let k: number = 0; k < pieces; k = (k + 1) | 0) {
    const taken: number = regionsReserveWindow(lo, hi, 1 << pieceShift);
    if (taken !== ERR_NONE) return taken;
    const pieceLo: number = shiftLeft64(1, 0, (pieceShift + 12) | 0);
    lo = add64(lo, hi, pieceLo, pairHi);
    hi = pairHi;
  }
  return ERR_NONE;
};

/**
 * Brings paging and the region API up. The kernel image occupies frames [imageFirst, imageEnd)
 * and runs at the backend's image window; `offered` are the CPU's FEATURE_* bits
 * (cpuPagingFeatures). Returns ERR_NONE, or the first error (nothing is loaded into CR3 then).
 */
export const memoryManagerInit = (
  mode: number,
  offered: number,
  imageFirst: number,
  imageEnd: number,
  reachFrames: number,
  reachOffsetLo: number,
  reachOffsetHi: number,
): number => {
  const features: number = initUsableFeatures(mode, offered);
  const modeSet: number = archPagingInit(mode, features);
  if (modeSet !== ERR_NONE) return modeSet;
  const recursive: number = initTables === TABLES_RECURSIVE ? 1 : 0;
  // before the kernel's root exists: every root then gets its own self-map entry
  const selfMapSet: number = tableSelfMapSet(recursive !== 0 ? archSelfMapIndex() : -1);
  if (selfMapSet !== ERR_NONE) return selfMapSet;
  tableAccessDirect(reachOffsetLo, reachOffsetHi, reachFrames);
  const root: number = addressSpaceKernelCreate();
  if (root < 0) return root;

  // the image window: the image (and on i386 the whole low window, where boot data lives)
  const imageFrames: number = archImageWindowLo() === 0 ? archImageWindowFrames() : (imageEnd - imageFirst) | 0;
  const imageStart: number = archImageWindowLo() === 0 ? 0 : imageFirst;
  const imageOffsetLo: number = frameToAddress(imageStart);
  const imageOffsetHi: number = pairHi;
  const imageLo: number = add64(archImageWindowLo(), archImageWindowHi(), imageOffsetLo, imageOffsetHi);
  const imageHi: number = pairHi;
  const imageMapped: number = walkMapRange(root, imageLo, imageHi, imageFrames, imageStart, PAGE_WRITE | PAGE_GLOBAL, 1);
  if (imageMapped !== ERR_NONE) return imageMapped;

  // the direct map: physical memory up to the last covered frame (or the backend's maximum)
  let directFrames: number = frameCoveredCount();
  if (directFrames > archDirectMapMaxFrames()) directFrames = archDirectMapMaxFrames();
  const directMapped: number = walkMapRange(
    root,
    archDirectMapStartLo(),
    archDirectMapStartHi(),
    directFrames,
    0,
    PAGE_WRITE | PAGE_NO_EXECUTE | PAGE_GLOBAL,
    1,
  );
  if (directMapped !== ERR_NONE) return directMapped;

  // the fallback slots' page table, just below the self-map window, pinned (never released)
  if (recursive !== 0) {
    initSlotsLo = sub64(tableSelfMapWindowLo(), pairHi, INIT_SLOTS_BELOW_SELF_MAP, 0);
    initSlotsHi = pairHi;
    const slotTable: number = walkDescend(root, initSlotsLo, initSlotsHi, 1, PAGE_WRITE, 1);
    tableAccessDone();
    if (slotTable < 0) return slotTable;
    frameCounterSet(slotTable, TABLE_PINNED);
  }

  initActivate(root, mode, features);
  tableAccessDirect(archDirectMapStartLo(), archDirectMapStartHi(), directFrames);
  if (recursive !== 0) {
    // the slots' entries as the self-map shows them: reachable in every root (the table is shared)
    const tableLo: number = tableSelfMapTableAddress(1, initSlotsLo, initSlotsHi);
    const tableHi: number = pairHi;
    const entriesLo: number = (tableLo + (archIndexOf(1, initSlotsLo, initSlotsHi) << archEntryShift())) | 0;
    const noExecuteHi: number = (features & FEATURE_NX) !== 0 && archEntryShift() === 3 ? -2147483648 : 0;
    const slots: number = temporaryMappingsConfigure(INIT_SLOTS, initSlotsLo, initSlotsHi, entriesLo, tableHi, 1 << archEntryShift(), 3, noExecuteHi);
    if (slots !== ERR_NONE) return slots;
    const switched: number = tableAccessRecursive();
    if (switched !== ERR_NONE) return switched;
  }
  // the bitmap and counters: the same memory, now seen through the direct map
  const storageOffsetLo: number = frameToAddress(physicalBitmapFirstFrame());
  const storageOffsetHi: number = pairHi;
  const storageLo: number = add64(archDirectMapStartLo(), archDirectMapStartHi(), storageOffsetLo, storageOffsetHi);
  const storageHi: number = pairHi;
  frameBitmapRebase(storageLo, storageHi);
  const bitmapBytes: number = frameBitmapStorageBytes(frameCoveredCount()); // the counters follow the bitmap
  frameCountersRebase((storageLo + bitmapBytes) | 0, storageHi);

  // the free-space index, in frames reached through the direct map
  const poolBytes: number = virtualSpacePoolBytes(INIT_POOL_NODES);
  const poolFrame: number = frameAllocContiguous(poolBytes >>> 12, 1);
  if (poolFrame < 0 || poolFrame + (poolBytes >>> 12) > directFrames) return ERR_NO_USABLE_MEMORY;
  const poolOffsetLo: number = frameToAddress(poolFrame);
  const poolOffsetHi: number = pairHi;
  const poolLo: number = add64(archDirectMapStartLo(), archDirectMapStartHi(), poolOffsetLo, poolOffsetHi);
  const poolHi: number = pairHi;
  const pool: number = virtualSpacePoolInit(poolLo, poolHi, poolBytes);
  if (pool < 0) return pool;
  const space: number = virtualSpaceCreate(archKernelStartLo(), archKernelStartHi(), 0, archKernelStartHi() === 0 ? 1 : 0);
  if (space < 0) return space;
  // the I/O window opens kernel-region space; kernel regions are searched for above it
  const ioPages: number = archKernelStartHi() === 0 ? INIT_IO_PAGES_I386 : INIT_IO_PAGES_X86_64;
  const ioLo: number = archKernelRegionsStartLo();
  const ioHi: number = archKernelRegionsStartHi();
  const searchLo: number = add64(ioLo, ioHi, ioPages << 12, ioPages >>> 20);
  const searchHi: number = pairHi;
  const regions: number = regionsInit(root, space, searchLo, searchHi);
  if (regions !== ERR_NONE) return regions;
  // the set-up's windows: never handed out, never freed by freeRegion
  const directTaken: number = regionsReserveWindow(archDirectMapStartLo(), archDirectMapStartHi(), directFrames);
  if (directTaken !== ERR_NONE) return directTaken;
  if (archImageWindowLo() !== 0) {
    const imageTaken: number = regionsReserveWindow(archImageWindowLo(), archImageWindowHi(), archImageWindowFrames());
    if (imageTaken !== ERR_NONE) return imageTaken;
  }
  const ioTaken: number = regionsReserveWindow(ioLo, ioHi, ioPages);
  if (ioTaken !== ERR_NONE) return ioTaken;
  if (recursive !== 0) {
    const slotsTaken: number = regionsReserveWindow(initSlotsLo, initSlotsHi, INIT_SLOTS);
    if (slotsTaken !== ERR_NONE) return slotsTaken;
    const selfTaken: number = memoryManagerReserveSelfMap();
    if (selfTaken !== ERR_NONE) return selfTaken;
  }
  const registryFrame: number = frameAllocContiguous(INIT_IO_REGISTRY_BYTES >>> 12, 1);
  if (registryFrame < 0 || registryFrame >= directFrames) return ERR_NO_USABLE_MEMORY;
  const registryOffsetLo: number = frameToAddress(registryFrame);
  const registryOffsetHi: number = pairHi;
  const registryLo: number = add64(archDirectMapStartLo(), archDirectMapStartHi(), registryOffsetLo, registryOffsetHi);
  const registryHi: number = pairHi;
  const io: number = ioMappingsInit(ioLo, ioHi, ioPages, registryLo, registryHi, INIT_IO_REGISTRY_BYTES);
  if (io !== ERR_NONE) return io;
  initKernelRoot = root;
  initKernelSpace = space;
  initDirectFrames = directFrames;
  return ERR_NONE;
};

export const memoryManagerKernelRoot = (): number => initKernelRoot;
export const memoryManagerKernelSpace = (): number => initKernelSpace;
export const memoryManagerDirectFrames = (): number => initDirectFrames;
