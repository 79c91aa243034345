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
 */
import { ERR_NONE, ERR_NO_USABLE_MEMORY } from '../errors.ts';
import { add64, frameToAddress, pairHi } from '../int64/pair.ts';
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
} from '../paging/backend.ts';
import { PAGING_TWO_LEVEL, PAGING_PAE, FEATURE_NX, FEATURE_GLOBAL_PAGES, FEATURE_LARGE_PAGES } from '../paging/paging-modes.ts';
import { PAGE_WRITE, PAGE_NO_EXECUTE, PAGE_GLOBAL } from '../paging/page-flags.ts';
import { tableAccessDirect } from '../paging/table-access.ts';
import { addressSpaceKernelCreate } from '../paging/address-spaces.ts';
import { walkMapRange } from '../paging/walker.ts';
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

  initActivate(root, mode, features);
  tableAccessDirect(archDirectMapStartLo(), archDirectMapStartHi(), directFrames);
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
