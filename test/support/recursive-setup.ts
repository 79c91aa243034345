/*
 * Host machines whose manager reaches page tables through the recursive self-map
 * (table-access.ts, TABLES_RECURSIVE), built as memoryManagerInit builds the kernel's: the self-map
 * configured before the kernel root is made, a slot window just below the self-map window (its
 * page table pinned, its entries reached through the self-map), both windows reserved in kernel
 * space. The same set-up with strategy 'direct' keeps the self-map entries and the slot window
 * but reaches tables through the direct map - so the two runs build identical page tables, and
 * any difference is the strategy's.
 *
 * x86-64 (4- and 5-level) mirrors setUpRegionsX86_64 (test/support/paging-setup.ts), i386
 * two-level mirrors setUpRegionsI386.
 */
import { setUpX86_64, type RegionSetup } from './paging-setup.ts';
import { installMachine } from '../../src/port/port.ts';
import { installBackend, archPagingInit, archSelfMapIndex, archIndexOf } from '../../src/paging/backend.ts';
import * as i386 from '../../arch/i386/backend.ts';
import { frameBitmapInit, frameBitmapStorageBytes, frameBitmapAddUsable, frameBitmapReserve } from '../../src/memory/frame-bitmap.ts';
import { frameCountersBytes, frameCountersInit, frameCounterSet } from '../../src/memory/frame-counters.ts';
import {
  tableAccessDirect,
  tableAccessRecursive,
  tableAccessDone,
  tableSelfMapSet,
  tableSelfMapWindowLo,
  tableSelfMapTableAddress,
} from '../../src/paging/table-access.ts';
import { temporaryMappingsConfigure } from '../../src/memory/temporary-mappings.ts';
import { addressSpaceKernelCreate, addressSpaceCreate } from '../../src/paging/address-spaces.ts';
import { walkMapRange, walkDescend, TABLE_PINNED } from '../../src/paging/walker.ts';
import { virtualSpacePoolInit, virtualSpacePoolBytes } from '../../src/region/virtual-space-pool.ts';
import { virtualSpaceCreate } from '../../src/region/virtual-space.ts';
import { regionsInit, regionsReserveWindow, regionsUseUserSpace } from '../../src/region/regions.ts';
import { ioMappingsInit } from '../../src/region/io-mappings.ts';
import { memoryManagerReserveSelfMap } from '../../src/boot/memory-manager-init.ts';
import { PAGE_WRITE } from '../../src/paging/page-flags.ts';
import { pairHi, sub64 } from '../../src/int64/pair.ts';
import { PAGING_TWO_LEVEL, FEATURE_LARGE_PAGES, FEATURE_GLOBAL_PAGES } from '../../src/paging/paging-modes.ts';
import { createMachine, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE } from '../machine/index.ts';

export type TablesStrategy = 'direct' | 'recursive';

export interface RecursiveSetup extends RegionSetup {
  /** The slot window (SLOTS pages) below the self-map window. */
  slotsLo: number;
  slotsHi: number;
  /** The self-map window's start. */
  selfLo: number;
  selfHi: number;
  slotTable: number;
}

export const SLOTS = 8;
const POOL_FRAME = 0x300;
const IO_REGISTRY_FRAME = 0x3fc;
const IO_WINDOW_PAGES = 4096;

/** The slot window's page table (made while tables are reached as the set-up does), pinned. */
const makeSlotWindow = (root: number): { slotsLo: number; slotsHi: number; slotTable: number } => {
  const slotsLo = sub64(tableSelfMapWindowLo(), pairHi, 0x200000, 0);
  const slotsHi = pairHi;
  const slotTable = walkDescend(root, slotsLo, slotsHi, 1, PAGE_WRITE, 1);
  tableAccessDone();
  if (slotTable < 0) throw new Error(`slot table: ${slotTable}`);
  frameCounterSet(slotTable, TABLE_PINNED);
  return { slotsLo, slotsHi, slotTable };
};

/** Slots configured on the self-map's view of their page table, then the recursive strategy. */
const switchToRecursive = (slotsLo: number, slotsHi: number, entryBytes: number, directEntries: number, directHi: number, strategy: TablesStrategy): void => {
  let entriesLo = directEntries;
  let entriesHi = directHi;
  if (strategy === 'recursive') {
    const tableLo = tableSelfMapTableAddress(1, slotsLo, slotsHi);
    entriesHi = pairHi; // before archIndexOf, which leaves its own pairHi
    entriesLo = (tableLo + archIndexOf(1, slotsLo, slotsHi) * entryBytes) | 0;
  }
  if (temporaryMappingsConfigure(SLOTS, slotsLo, slotsHi, entriesLo, entriesHi, entryBytes, 3, 0) !== 0) throw new Error('slots');
  if (strategy === 'recursive' && tableAccessRecursive() !== 0) throw new Error('recursive');
};

/** x86-64 regions (as setUpRegionsX86_64) with the self-map, tables reached by `strategy`. */
export const setUpRecursiveX86_64 = (levels: 4 | 5, strategy: TablesStrategy, ramBytes = 256 * 1024 * 1024): RecursiveSetup => {
  const base = setUpX86_64(levels, ramBytes);
  const { machine } = base;
  if (tableSelfMapSet(archSelfMapIndex()) !== 0) throw new Error('self-map');
  const selfLo = tableSelfMapWindowLo();
  const selfHi = pairHi;
  const kernelRoot = addressSpaceKernelCreate();
  if (kernelRoot < 0) throw new Error(`kernel root: ${kernelRoot}`);
  if (walkMapRange(kernelRoot, 0x80000000 | 0, -1, 262144, 0, PAGE_WRITE, 1) !== 0) throw new Error('direct map');
  const { slotsLo, slotsHi, slotTable } = makeSlotWindow(kernelRoot);
  machine.writeCr3(kernelRoot * 4096, 0);
  const directEntries = (0x80000000 + slotTable * 4096 + archIndexOf(1, slotsLo, slotsHi) * 8) | 0;
  switchToRecursive(slotsLo, slotsHi, 8, directEntries, -1, strategy);
  const poolBytes = virtualSpacePoolBytes(32000);
  if (virtualSpacePoolInit((0x80000000 + POOL_FRAME * 4096) | 0, -1, poolBytes) < 0) throw new Error('pool');
  const kernelStartHi = levels === 5 ? -0x1000000 : -0x8000;
  const kernelSpace = virtualSpaceCreate(0, kernelStartHi, 0, 0);
  const kernelRegionsLo = 0;
  const kernelRegionsHi = kernelStartHi + 0x100;
  if (regionsInit(kernelRoot, kernelSpace, kernelRegionsLo, kernelRegionsHi) !== 0) throw new Error('regions');
  if (regionsReserveWindow(0x80000000 | 0, -1, 262144) !== 0) throw new Error('reserve window');
  const ioHi = kernelRegionsHi - 1;
  const ioLo = -IO_WINDOW_PAGES * 4096;
  if (regionsReserveWindow(ioLo, ioHi, IO_WINDOW_PAGES) !== 0) throw new Error('io window');
  if (ioMappingsInit(ioLo, ioHi, IO_WINDOW_PAGES, (0x80000000 + IO_REGISTRY_FRAME * 4096) | 0, -1, 16384) !== 0) throw new Error('io');
  if (regionsReserveWindow(slotsLo, slotsHi, SLOTS) !== 0) throw new Error('slot window');
  if (memoryManagerReserveSelfMap() !== 0) throw new Error('self-map window');
  const userRoot = addressSpaceCreate();
  const userSpace = virtualSpaceCreate(0x400000, 0, 0, levels === 5 ? 0x1000000 : 0x8000);
  regionsUseUserSpace(userRoot, userSpace);
  machine.resetCounters();
  return { ...base, kernelRoot, kernelSpace, userRoot, userSpace, kernelRegionsLo, kernelRegionsHi, slotsLo, slotsHi, selfLo, selfHi, slotTable };
};

const I386_LOWMEM_FRAMES = 0x8000;
const I386_KERNEL_BASE = 0xc0000000 | 0;

/** i386 two-level regions (as setUpRegionsI386) with the self-map at PDE 1023. */
export const setUpRecursiveI386 = (strategy: TablesStrategy, ramBytes = 256 * 1024 * 1024): RecursiveSetup => {
  const machine = createMachine({ ramBytes });
  installMachine(machine);
  const frames = Math.floor(ramBytes / 4096);
  const bitmapBytes = frameBitmapStorageBytes(frames);
  const storageLo = 0x100 * 4096;
  if (frameBitmapInit(frames, storageLo, 0, bitmapBytes) !== 0) throw new Error('bitmap');
  frameBitmapAddUsable(0, frames);
  frameBitmapReserve(0, 0x400);
  const counterBytes = frameCountersBytes(frames);
  if (frameCountersInit(frames, storageLo + bitmapBytes, 0, counterBytes) !== 0) throw new Error('counters');
  installBackend(i386);
  archPagingInit(PAGING_TWO_LEVEL, FEATURE_LARGE_PAGES | FEATURE_GLOBAL_PAGES);
  machine.writeCr4(machine.readCr4() | CR4_PSE | CR4_PGE);
  tableAccessDirect(0, 0, 0x100000);
  if (tableSelfMapSet(archSelfMapIndex()) !== 0) throw new Error('self-map');
  const selfLo = tableSelfMapWindowLo();
  const selfHi = pairHi;
  const kernelRoot = addressSpaceKernelCreate();
  if (kernelRoot < 0) throw new Error(`kernel root: ${kernelRoot}`);
  if (walkMapRange(kernelRoot, 0, 0, 1024, 0, PAGE_WRITE, 1) !== 0) throw new Error('low window');
  if (walkMapRange(kernelRoot, I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES, 0, PAGE_WRITE, 1) !== 0) throw new Error('lowmem map');
  const { slotsLo, slotsHi, slotTable } = makeSlotWindow(kernelRoot);
  machine.writeCr3(kernelRoot * 4096, 0);
  machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
  tableAccessDirect(I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES);
  const directEntries = (I386_KERNEL_BASE + slotTable * 4096 + archIndexOf(1, slotsLo, slotsHi) * 4) | 0;
  switchToRecursive(slotsLo, slotsHi, 4, directEntries, 0, strategy);
  const poolBytes = virtualSpacePoolBytes(32000);
  if (virtualSpacePoolInit((I386_KERNEL_BASE + POOL_FRAME * 4096) | 0, 0, poolBytes) < 0) throw new Error('pool');
  const kernelSpace = virtualSpaceCreate(I386_KERNEL_BASE, 0, 0, 1);
  const kernelRegionsLo = 0xd0000000 | 0;
  if (regionsInit(kernelRoot, kernelSpace, kernelRegionsLo, 0) !== 0) throw new Error('regions');
  if (regionsReserveWindow(I386_KERNEL_BASE, 0, I386_LOWMEM_FRAMES) !== 0) throw new Error('reserve lowmem');
  if (regionsReserveWindow(0xcf000000 | 0, 0, IO_WINDOW_PAGES) !== 0) throw new Error('io window');
  if (ioMappingsInit(0xcf000000 | 0, 0, IO_WINDOW_PAGES, (I386_KERNEL_BASE + IO_REGISTRY_FRAME * 4096) | 0, 0, 16384) !== 0) throw new Error('io');
  if (regionsReserveWindow(slotsLo, slotsHi, SLOTS) !== 0) throw new Error('slot window');
  if (memoryManagerReserveSelfMap() !== 0) throw new Error('self-map window');
  const userRoot = addressSpaceCreate();
  const userSpace = virtualSpaceCreate(0x400000, 0, I386_KERNEL_BASE, 0);
  regionsUseUserSpace(userRoot, userSpace);
  machine.resetCounters();
  return {
    machine,
    root: kernelRoot,
    frames,
    kernelRoot,
    kernelSpace,
    userRoot,
    userSpace,
    kernelRegionsLo,
    kernelRegionsHi: 0,
    slotsLo,
    slotsHi,
    selfLo,
    selfHi,
    slotTable,
  };
};
