/*
 * First light, x86-64: TypeScript builds a fresh 4-level (or, when the boot turned on CR4.LA57,
 * 5-level) hierarchy that maps the low 16 MiB twice - at the higher-half kernel address, where the
 * image, its stack and the glue run, and at their identity address, where these tables and the
 * page bitmap are reached - plus one test page at a non-identity address above 4 GiB
 * (0x100_4022_3000: 1 TiB + 1 GiB + 0x223000) and the page table of the temporary-mapping window,
 * and loads it into CR3. The C checks under test/kernel/common/ check every claim through the
 * real MMU. 64-bit entries are written as two 32-bit halves.
 */
import { portRead32, portWrite32, portWriteCr3, portReadCr4, portProbe } from '../../../src/port/port.ts';
import { shiftRightU64 } from '../../../src/int64/pair.ts';
import { kernelTakeZeroedFrame } from '../common/kernel-frames.ts';

const LIGHT_PRESENT: number = 1;
const LIGHT_WRITABLE: number = 2;
const CR4_LA57: number = 4096;
const LOW_PAGES: number = 4096; // 16 MiB
/** The kernel's higher half: 0xFFFFFFFF80000000. */
const KERNEL_BASE_LO: number = -2147483648;
const KERNEL_BASE_HI: number = -1;
const TEST_PAGE_LO: number = 1075982336; // 0x40223000
const TEST_PAGE_HI: number = 256; // 0x100: 1 TiB
/** The temporary-mapping window: 0xFFFFFFFF_FFC00000, the last 4 MiB but one of the space. */
const WINDOW_LO: number = -4194304;
const WINDOW_HI: number = -1;

let root: number = 0;
let levels: number = 4;
let testFrameAddress: number = 0;

/** Index of the entry that translates (lo, hi) in a table of `level` (1 = page table). */
const indexAt = (lo: number, hi: number, level: number): number => shiftRightU64(lo, hi, (3 + 9 * level) | 0) & 511;

/** Physical (= identity) address of the page-table entry for (lo, hi), creating tables on the way. */
const leafEntryAddress = (lo: number, hi: number): number => {
  let table: number = root;
  for (let level: number = levels; level > 1; level = (level - 1) | 0) {
    const entryAddress: number = (table + (indexAt(lo, hi, level) << 3)) | 0;
    let entry: number = portRead32(entryAddress, 0);
    if ((entry & LIGHT_PRESENT) === 0) {
      entry = kernelTakeZeroedFrame() | LIGHT_PRESENT | LIGHT_WRITABLE;
      portWrite32((entryAddress + 4) | 0, 0, 0);
      portWrite32(entryAddress, 0, entry);
    }
    table = entry & -4096;
  }
  return (table + (indexAt(lo, hi, 1) << 3)) | 0;
};

const mapPage = (lo: number, hi: number, physical: number): number => {
  const leafAddress: number = leafEntryAddress(lo, hi);
  portWrite32((leafAddress + 4) | 0, 0, 0);
  return portWrite32(leafAddress, 0, (physical & -4096) | LIGHT_PRESENT | LIGHT_WRITABLE);
};

/** Builds the hierarchy from page-bitmap frames; returns the root's address. (`usePae` is the
 * i386 kernel's choice; long mode always has 64-bit entries.) */
export const firstLightBuild = (usePae: number): number => {
  if (usePae !== 0 && usePae !== 1) return -1;
  levels = (portReadCr4() & CR4_LA57) !== 0 ? 5 : 4;
  root = kernelTakeZeroedFrame();
  for (let page: number = 0; page < LOW_PAGES; page = (page + 1) | 0) {
    mapPage(page << 12, 0, page << 12);
    mapPage((KERNEL_BASE_LO + (page << 12)) | 0, KERNEL_BASE_HI, page << 12);
  }
  testFrameAddress = kernelTakeZeroedFrame();
  mapPage(TEST_PAGE_LO, TEST_PAGE_HI, testFrameAddress);
  return root;
};

/** Loads the new root into CR3 (paging is already on in long mode). */
export const firstLightActivate = (): number => portWriteCr3(root, 0);

/** The window's first entry (physical = identity address) after creating its tables. */
export const firstLightWindowEntries = (): number => leafEntryAddress(WINDOW_LO, WINDOW_HI);
export const firstLightWindowLo = (): number => WINDOW_LO;
export const firstLightWindowHi = (): number => WINDOW_HI;
export const firstLightLevels = (): number => levels;
/** Bytes per page-table entry: always 8 in long mode. */
export const firstLightEntryBytes = (): number => 8;
export const firstLightTestLo = (): number => TEST_PAGE_LO;
export const firstLightTestHi = (): number => TEST_PAGE_HI;
export const firstLightFrameLo = (): number => testFrameAddress;
export const firstLightWrite = (value: number): number => portWrite32(TEST_PAGE_LO, TEST_PAGE_HI, value);
export const firstLightRead = (): number => portRead32(TEST_PAGE_LO, TEST_PAGE_HI);
/** Reads the test frame through its identity mapping: the same word if the translation is right. */
export const firstLightReadAlias = (): number => portRead32(testFrameAddress, 0);
/** Probes the page after the test page, which nothing maps. */
export const firstLightProbeUnmapped = (kind: number): number => portProbe((TEST_PAGE_LO + 4096) | 0, TEST_PAGE_HI, kind);
