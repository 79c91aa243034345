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
