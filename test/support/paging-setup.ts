/*
 * A host machine ready for the paging code: the emulated machine in the backend's mode, the page
 * bitmap and frame counters over its RAM, the backend installed, and the table access chosen.
 * x86-64 modes boot like the kernel (bootX86_64: low 1 GiB at identity and at the higher half)
 * and reach tables through that direct map.
 */
import { installMachine } from '../../src/port/port.ts';
import { installBackend, archPagingInit } from '../../src/paging/backend.ts';
import * as x86_64 from '../../arch/x86-64/backend.ts';
import { frameBitmapInit, frameBitmapStorageBytes, frameBitmapAddUsable, frameBitmapReserve } from '../../src/memory/frame-bitmap.ts';
import { frameCountersBytes, frameCountersInit } from '../../src/memory/frame-counters.ts';
import { tableAccessDirect } from '../../src/paging/table-access.ts';
import { PAGING_FIVE_LEVEL, PAGING_FOUR_LEVEL, FEATURE_NX, FEATURE_GIGABYTE_PAGES, FEATURE_GLOBAL_PAGES } from '../../src/paging/paging-modes.ts';
import { bootX86_64, createMachine, type EmulatedMachine } from '../machine/index.ts';

export interface PagingSetup {
  machine: EmulatedMachine;
  /** Frame of the root loaded in CR3. */
  root: number;
  frames: number;
}

const HIGHER_HALF_LO = 0x80000000 | 0;
const STORAGE_FRAME = 0x100; // 1 MiB: bitmap and counters
const FIRST_FREE_FRAME = 0x400; // 4 MiB

export const setUpX86_64 = (levels: 4 | 5, ramBytes = 256 * 1024 * 1024, features = FEATURE_NX | FEATURE_GIGABYTE_PAGES | FEATURE_GLOBAL_PAGES): PagingSetup => {
  const machine = createMachine({ ramBytes });
  installMachine(machine);
  const layout = bootX86_64(machine, { levels, firstTableFrame: 0x10 });
  const frames = Math.floor(ramBytes / 4096);
  const bitmapBytes = frameBitmapStorageBytes(frames);
  const storageLo = (HIGHER_HALF_LO + STORAGE_FRAME * 4096) | 0;
  if (frameBitmapInit(frames, storageLo, -1, bitmapBytes) !== 0) throw new Error('bitmap');
  frameBitmapAddUsable(0, frames);
  frameBitmapReserve(0, FIRST_FREE_FRAME);
  const counterBytes = frameCountersBytes(frames);
  if (frameCountersInit(frames, (storageLo + bitmapBytes) | 0, -1, counterBytes) !== 0) throw new Error('counters');
  if (STORAGE_FRAME + (bitmapBytes + counterBytes) / 4096 > FIRST_FREE_FRAME) throw new Error('storage too big');
  installBackend(x86_64);
  archPagingInit(levels === 5 ? PAGING_FIVE_LEVEL : PAGING_FOUR_LEVEL, features);
  tableAccessDirect(HIGHER_HALF_LO, -1, 0x40000);
  machine.resetCounters();
  return { machine, root: layout.root, frames };
};

// ---- the region layer on top ----
import { addressSpaceKernelCreate } from '../../src/paging/address-spaces.ts';
import { walkMapRange } from '../../src/paging/walker.ts';
import { virtualSpacePoolInit, virtualSpacePoolBytes } from '../../src/region/virtual-space-pool.ts';
import { virtualSpaceCreate } from '../../src/region/virtual-space.ts';
import { regionsInit, regionsReserveWindow, regionsUseUserSpace } from '../../src/region/regions.ts';
import { ioMappingsInit } from '../../src/region/io-mappings.ts';

const IO_REGISTRY_FRAME = 0x3fc; // 16 KiB, after the pool
const IO_WINDOW_PAGES = 4096; // 16 MiB
import { addressSpaceCreate } from '../../src/paging/address-spaces.ts';
import { PAGE_WRITE } from '../../src/paging/page-flags.ts';

export interface RegionSetup extends PagingSetup {
  kernelRoot: number;
  kernelSpace: number;
  userRoot: number;
  userSpace: number;
  /** Where allocKernelRegion searches from. */
  kernelRegionsLo: number;
  kernelRegionsHi: number;
}

const POOL_FRAME = 0x300; // 3 MiB: the free-space index's pool (1 MiB)

/**
 * x86-64 with the manager's own kernel root loaded: the higher-half window (the direct map the
 * tables are reached through) mapped in it and reserved in the kernel's free-space index, a user
 * address space selected, and the region API initialised.
 */
export const setUpRegionsX86_64 = (levels: 4 | 5, ramBytes = 256 * 1024 * 1024): RegionSetup => {
  const base = setUpX86_64(levels, ramBytes);
  const { machine } = base;
  const kernelRoot = addressSpaceKernelCreate();
  if (kernelRoot < 0) throw new Error(`kernel root: ${kernelRoot}`);
  if (walkMapRange(kernelRoot, 0x80000000 | 0, -1, 262144, 0, PAGE_WRITE, 1) !== 0) throw new Error('direct map');
  machine.writeCr3(kernelRoot * 4096, 0);
  const poolBytes = virtualSpacePoolBytes(32000);
  if (virtualSpacePoolInit((0x80000000 + POOL_FRAME * 4096) | 0, -1, poolBytes) < 0) throw new Error('pool');
  const kernelStartHi = levels === 5 ? -0x1000000 : -0x8000;
  const kernelSpace = virtualSpaceCreate(0, kernelStartHi, 0, 0);
  const kernelRegionsLo = 0;
  const kernelRegionsHi = kernelStartHi + 0x100; // 1 TiB into the kernel half
  if (regionsInit(kernelRoot, kernelSpace, kernelRegionsLo, kernelRegionsHi) !== 0) throw new Error('regions');
  // the direct-map window: 0xFFFFFFFF80000000, 1 GiB
  if (regionsReserveWindow(0x80000000 | 0, -1, 262144) !== 0) throw new Error('reserve window');
  // the I/O window: 16 MiB just below the kernel-region base
  const ioHi = kernelRegionsHi - 1;
  const ioLo = -IO_WINDOW_PAGES * 4096;
  if (regionsReserveWindow(ioLo, ioHi, IO_WINDOW_PAGES) !== 0) throw new Error('io window');
  if (ioMappingsInit(ioLo, ioHi, IO_WINDOW_PAGES, (0x80000000 + IO_REGISTRY_FRAME * 4096) | 0, -1, 16384) !== 0) throw new Error('io');
  const userRoot = addressSpaceCreate();
  const userSpace = virtualSpaceCreate(0x400000, 0, 0, levels === 5 ? 0x1000000 : 0x8000);
  regionsUseUserSpace(userRoot, userSpace);
  machine.resetCounters();
  return { ...base, kernelRoot, kernelSpace, userRoot, userSpace, kernelRegionsLo, kernelRegionsHi };
};

// ---- i386: the manager builds its kernel space while paging is off, then turns paging on ----
import * as i386 from '../../arch/i386/backend.ts';
import { PAGING_PAE, PAGING_TWO_LEVEL, FEATURE_LARGE_PAGES } from '../../src/paging/paging-modes.ts';
import { CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, CR4_PGE, EFER_NXE } from '../machine/index.ts';

const I386_LOWMEM_FRAMES = 0x8000; // 128 MiB mapped at 0xC0000000: the kernel's view of low memory
const I386_KERNEL_BASE = 0xc0000000 | 0;

/**
 * i386 in two-level or PAE mode as a kernel would set it up: bitmap, counters and the free-space
 * pool in low memory (identity while paging is off, then through the kernel's low 4 MiB window),
 * the kernel root with its template, low memory mapped at 0xC0000000 (tables are reached there),
 * paging on, a user address space selected.
 */
export const setUpRegionsI386 = (mode: 'two-level' | 'pae', ramBytes = 256 * 1024 * 1024): RegionSetup => {
  const machine = createMachine({ ramBytes });
  installMachine(machine);
  const frames = Math.floor(ramBytes / 4096);
  const bitmapBytes = frameBitmapStorageBytes(frames);
  const storageLo = STORAGE_FRAME * 4096;
  if (frameBitmapInit(frames, storageLo, 0, bitmapBytes) !== 0) throw new Error('bitmap');
  frameBitmapAddUsable(0, frames);
  frameBitmapReserve(0, FIRST_FREE_FRAME);
  const counterBytes = frameCountersBytes(frames);
  if (frameCountersInit(frames, storageLo + bitmapBytes, 0, counterBytes) !== 0) throw new Error('counters');
  installBackend(i386);
  const pae = mode === 'pae';
  archPagingInit(pae ? PAGING_PAE : PAGING_TWO_LEVEL, (pae ? FEATURE_NX : FEATURE_LARGE_PAGES) | FEATURE_GLOBAL_PAGES);
  machine.writeCr4(machine.readCr4() | (pae ? CR4_PAE : CR4_PSE) | CR4_PGE);
  if (pae) machine.writeEfer(machine.readEfer() | EFER_NXE);
  tableAccessDirect(0, 0, 0x100000); // paging off: linear = physical
  const kernelRoot = addressSpaceKernelCreate();
  if (kernelRoot < 0) throw new Error(`kernel root: ${kernelRoot}`);
  if (walkMapRange(kernelRoot, 0, 0, 1024, 0, PAGE_WRITE, 1) !== 0) throw new Error('low window');
  if (walkMapRange(kernelRoot, I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES, 0, PAGE_WRITE, 1) !== 0) throw new Error('lowmem map');
  machine.writeCr3(kernelRoot * 4096, 0);
  machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
  tableAccessDirect(I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES);
  const poolBytes = virtualSpacePoolBytes(32000);
  if (virtualSpacePoolInit(POOL_FRAME * 4096, 0, poolBytes) < 0) throw new Error('pool');
  const kernelSpace = virtualSpaceCreate(I386_KERNEL_BASE, 0, 0, 1);
  const kernelRegionsLo = 0xd0000000 | 0;
  if (regionsInit(kernelRoot, kernelSpace, kernelRegionsLo, 0) !== 0) throw new Error('regions');
  if (regionsReserveWindow(I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES) !== 0) throw new Error('reserve lowmem');
  // the I/O window: 16 MiB at 0xCF000000
  if (regionsReserveWindow(0xcf000000 | 0, 0, IO_WINDOW_PAGES) !== 0) throw new Error('io window');
  if (ioMappingsInit(0xcf000000 | 0, 0, IO_WINDOW_PAGES, IO_REGISTRY_FRAME * 4096, 0, 16384) !== 0) throw new Error('io');
  const userRoot = addressSpaceCreate();
  const userSpace = virtualSpaceCreate(0x400000, 0, I386_KERNEL_BASE, 0);
  regionsUseUserSpace(userRoot, userSpace);
  machine.resetCounters();
  return { machine, root: kernelRoot, frames, kernelRoot, kernelSpace, userRoot, userSpace, kernelRegionsLo, kernelRegionsHi: 0 };
};
