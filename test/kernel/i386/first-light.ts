/*
 * First light, i386: TypeScript builds a two-level page directory that identity-maps the low
 * 4 MiB (kernel image, stack, glue, these tables) and maps one test page at a non-identity linear
 * address, loads it into CR3 and turns paging on. test/kernel/common/first-light-checks.c then
 * checks every claim through the real MMU.
 */
import { portRead32, portWrite32, portWriteCr3, portReadCr0, portWriteCr0, portProbe } from '../../../src/port/port.ts';
import { firstLightFramesFrom, firstLightTakeZeroedFrame } from '../common/first-light-frames.ts';

const PTE_PRESENT: number = 1;
const PTE_WRITABLE: number = 2;
const CR0_PG: number = -2147483648;
const IDENTITY_PAGES: number = 1024; // one page table: 4 MiB
/** 0x40223000: deliberately not an identity address, and not table-aligned. */
const TEST_PAGE_LINEAR: number = 1075982336;

let directory: number = 0;
let testFrameAddress: number = 0;

const mapPage = (linear: number, physical: number): number => {
  const pdeAddress: number = (directory + ((linear >>> 22) << 2)) | 0;
  let pde: number = portRead32(pdeAddress, 0);
  if ((pde & PTE_PRESENT) === 0) {
    pde = firstLightTakeZeroedFrame() | PTE_PRESENT | PTE_WRITABLE;
    portWrite32(pdeAddress, 0, pde);
  }
  const pteAddress: number = ((pde & -4096) + (((linear >>> 12) & 1023) << 2)) | 0;
  portWrite32(pteAddress, 0, (physical & -4096) | PTE_PRESENT | PTE_WRITABLE);
  return 0;
};

/** Builds the directory from frames at and after firstFreeFrame; returns its physical address. */
export const firstLightBuild = (firstFreeFrame: number): number => {
  firstLightFramesFrom(firstFreeFrame);
  directory = firstLightTakeZeroedFrame();
  for (let page: number = 0; page < IDENTITY_PAGES; page = (page + 1) | 0) {
    mapPage(page << 12, page << 12);
  }
  testFrameAddress = firstLightTakeZeroedFrame();
  mapPage(TEST_PAGE_LINEAR, testFrameAddress);
  return directory;
};

/** Loads the directory into CR3 and turns paging on. */
export const firstLightActivate = (): number => {
  portWriteCr3(directory, 0);
  portWriteCr0(portReadCr0() | CR0_PG);
  return 0;
};

export const firstLightLevels = (): number => 2;
export const firstLightTestLo = (): number => TEST_PAGE_LINEAR;
export const firstLightTestHi = (): number => 0;
export const firstLightFrameLo = (): number => testFrameAddress;
export const firstLightWrite = (value: number): number => portWrite32(TEST_PAGE_LINEAR, 0, value);
export const firstLightRead = (): number => portRead32(TEST_PAGE_LINEAR, 0);
/** Reads the test frame through its identity mapping: the same word if the translation is right. */
export const firstLightReadAlias = (): number => portRead32(testFrameAddress, 0);
/** Probes the page after the test page, which nothing maps. */
export const firstLightProbeUnmapped = (kind: number): number => portProbe((TEST_PAGE_LINEAR + 4096) | 0, 0, kind);
