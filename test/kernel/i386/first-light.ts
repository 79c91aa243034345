/*
 * First light, i386: TypeScript builds its own page tables - classic two-level, or PAE
 * (three-level, 64-bit entries, frames above 4 GiB) when the boot asks for it - that identity-map
 * the low 16 MiB (kernel image, stack, glue, the manager's storage, these tables) and map one test page
 * at a non-identity linear address, prepares the page table of the temporary-mapping window,
 * loads the root into CR3 and turns paging on. The C checks under test/kernel/common/ then check
 * every claim through the real MMU.
 */
import { portRead32, portWrite32, portWriteCr3, portReadCr0, portWriteCr0, portReadCr4, portWriteCr4, portProbe } from '../../../src/port/port.ts';
import { kernelTakeZeroedFrame } from '../common/kernel-frames.ts';

const PTE_PRESENT: number = 1;
const PTE_WRITABLE: number = 2;
const CR0_PG: number = -2147483648;
const CR4_PAE: number = 32;
const IDENTITY_PAGES: number = 4096; // 16 MiB
/** 0x40223000: deliberately not an identity address, and not table-aligned. */
const TEST_PAGE_LINEAR: number = 1075982336;
/** The temporary-mapping window: 0xFFC00000, the last 4 MiB of the space, its own page table. */
const WINDOW_LINEAR: number = -4194304;

let root: number = 0;
let pae: number = 0;
let testFrameAddress: number = 0;

/** Two-level: the PTE for `linear`, creating its page table if needed (addresses are identity). */
const twoLevelLeafEntry = (linear: number): number => {
  const pdeAddress: number = (root + ((linear >>> 22) << 2)) | 0;
  let pde: number = portRead32(pdeAddress, 0);
  if ((pde & PTE_PRESENT) === 0) {
    pde = kernelTakeZeroedFrame() | PTE_PRESENT | PTE_WRITABLE;
    portWrite32(pdeAddress, 0, pde);
  }
  return ((pde & -4096) + (((linear >>> 12) & 1023) << 2)) | 0;
};

/**
 * PAE: the 64-bit entry at `index` of `table`, pointing to a new zeroed table if it was empty.
 * PDPTEs take only the P bit (RW there is reserved and faults).
 */
const paeNextTable = (table: number, index: number, flags: number): number => {
  const entryAddress: number = (table + (index << 3)) | 0;
  let entry: number = portRead32(entryAddress, 0);
  if ((entry & PTE_PRESENT) === 0) {
    entry = kernelTakeZeroedFrame() | flags;
    portWrite32((entryAddress + 4) | 0, 0, 0);
    portWrite32(entryAddress, 0, entry);
  }
  return entry & -4096;
};

const paeLeafEntry = (linear: number): number => {
  const directory: number = paeNextTable(root, linear >>> 30, PTE_PRESENT);
  const table: number = paeNextTable(directory, (linear >>> 21) & 511, PTE_PRESENT | PTE_WRITABLE);
  return (table + (((linear >>> 12) & 511) << 3)) | 0;
};

const leafEntryAddress = (linear: number): number => (pae === 1 ? paeLeafEntry(linear) : twoLevelLeafEntry(linear));

const mapPage = (linear: number, physical: number): number => {
  const entry: number = leafEntryAddress(linear);
  if (pae === 1) portWrite32((entry + 4) | 0, 0, 0);
  return portWrite32(entry, 0, (physical & -4096) | PTE_PRESENT | PTE_WRITABLE);
};

/** Builds the tables (PAE when usePae is 1) from page-bitmap frames; returns the root's address. */
export const firstLightBuild = (usePae: number): number => {
  pae = usePae === 1 ? 1 : 0;
  root = kernelTakeZeroedFrame();
  for (let page: number = 0; page < IDENTITY_PAGES; page = (page + 1) | 0) {
    mapPage(page << 12, page << 12);
  }
  testFrameAddress = kernelTakeZeroedFrame();
  mapPage(TEST_PAGE_LINEAR, testFrameAddress);
  return root;
};

/** Loads the root into CR3 (PAE mode first, if chosen) and turns paging on. */
export const firstLightActivate = (): number => {
  if (pae === 1) portWriteCr4(portReadCr4() | CR4_PAE);
  portWriteCr3(root, 0);
  portWriteCr0(portReadCr0() | CR0_PG);
  return 0;
};

/** The window's first entry (physical = identity address) after creating its page table. */
export const firstLightWindowEntries = (): number => leafEntryAddress(WINDOW_LINEAR);
export const firstLightWindowLo = (): number => WINDOW_LINEAR;
export const firstLightWindowHi = (): number => 0;
/** Bytes per page-table entry: 4 (two-level) or 8 (PAE). */
export const firstLightEntryBytes = (): number => (pae === 1 ? 8 : 4);
/** Paging levels: 2, or 3 for PAE. */
export const firstLightLevels = (): number => (pae === 1 ? 3 : 2);
export const firstLightTestLo = (): number => TEST_PAGE_LINEAR;
export const firstLightTestHi = (): number => 0;
export const firstLightFrameLo = (): number => testFrameAddress;
export const firstLightWrite = (value: number): number => portWrite32(TEST_PAGE_LINEAR, 0, value);
export const firstLightRead = (): number => portRead32(TEST_PAGE_LINEAR, 0);
/** Reads the test frame through its identity mapping: the same word if the translation is right. */
export const firstLightReadAlias = (): number => portRead32(testFrameAddress, 0);
/** Probes the page after the test page, which nothing maps. */
export const firstLightProbeUnmapped = (kind: number): number => portProbe((TEST_PAGE_LINEAR + 4096) | 0, 0, kind);
