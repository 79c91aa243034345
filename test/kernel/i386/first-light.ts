/*
 * First light, i386: TypeScript builds a two-level page directory that identity-maps the low
 * 4 MiB (kernel image, stack, glue, the page bitmap, these tables) and maps one test page at a
 * non-identity linear address, prepares the page table of the temporary-mapping window, loads
 * the directory into CR3 and turns paging on. The C checks under test/kernel/common/ then check
 * every claim through the real MMU.
 */
import { portRead32, portWrite32, portWriteCr3, portReadCr0, portWriteCr0, portProbe } from '../../../src/port/port.ts';
import { kernelTakeZeroedFrame } from '../common/kernel-frames.ts';

const PTE_PRESENT: number = 1;
const PTE_WRITABLE: number = 2;
const CR0_PG: number = -2147483648;
const IDENTITY_PAGES: number = 1024; // one page table: 4 MiB
/** 0x40223000: deliberately not an identity address, and not table-aligned. */
const TEST_PAGE_LINEAR: number = 1075982336;
/** The temporary-mapping window: 0x00C00000, its own page table. */
const WINDOW_LINEAR: number = 12582912;

let directory: number = 0;
let testFrameAddress: number = 0;

/** Physical (= identity) address of the PTE for `linear`, creating its page table if needed. */
const leafEntryAddress = (linear: number): number => {
  const pdeAddress: number = (directory + ((linear >>> 22) << 2)) | 0;
  let pde: number = portRead32(pdeAddress, 0);
  if ((pde & PTE_PRESENT) === 0) {
    pde = kernelTakeZeroedFrame() | PTE_PRESENT | PTE_WRITABLE;
    portWrite32(pdeAddress, 0, pde);
  }
  return ((pde & -4096) + (((linear >>> 12) & 1023) << 2)) | 0;
};

const mapPage = (linear: number, physical: number): number =>
  portWrite32(leafEntryAddress(linear), 0, (physical & -4096) | PTE_PRESENT | PTE_WRITABLE);

/** Builds the directory from page-bitmap frames; returns its physical address. */
export const firstLightBuild = (): number => {
  directory = kernelTakeZeroedFrame();
  for (let page: number = 0; page < IDENTITY_PAGES; page = (page + 1) | 0) {
    mapPage(page << 12, page << 12);
  }
  testFrameAddress = kernelTakeZeroedFrame();
  mapPage(TEST_PAGE_LINEAR, testFrameAddress);
  return directory;
};

/** Loads the directory into CR3 and turns paging on. */
export const firstLightActivate = (): number => {
  portWriteCr3(directory, 0);
  portWriteCr0(portReadCr0() | CR0_PG);
  return 0;
};

/** The window's first entry (physical = identity address) after creating its page table. */
export const firstLightWindowEntries = (): number => leafEntryAddress(WINDOW_LINEAR);
export const firstLightWindowLo = (): number => WINDOW_LINEAR;
export const firstLightWindowHi = (): number => 0;
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
