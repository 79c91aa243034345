/*
 * IA-32e paging (SDM 4.5): 4-level (PML4 -> PDPT -> PD -> PT) or, with CR4.LA57, 5-level (PML5
 * first); 512 x 64-bit entries per table. PS=1 makes a PDPTE a 1 GiB leaf (only with the pdpe1gb
 * CPU feature, else PS there is reserved) and a PDE a 2 MiB leaf; PS is reserved in PML4Es and
 * PML5Es (in a PTE bit 7 is PAT). Bits 51:MAXPHYADDR are reserved everywhere, bit 63 (XD) too
 * while EFER.NXE=0, and so are the address bits below a large page's alignment (bit 12 is PAT).
 * Bits 62:52 are ignored. Canonical-address checks happen before the walk (machine.ts).
 */
import { PTE_D, PTE_G, PTE_HI_NX, PTE_P, PTE_PS, PTE_RW, PTE_US } from './bits.ts';
import {
  countEntryRead,
  entryAddress64,
  longReservedHi,
  readEntryWord,
  tableWords,
  type LeafMapping,
  type WalkControl,
  type WalkResult,
} from './paging-walk.ts';

/** Entry names by level (1 = page table). */
const LEVEL_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'] as const;
/** Address bits below the page's alignment that are reserved in a large leaf (bit 12 is PAT). */
const LARGE_RESERVED_LO = [0, 0, 0x1fe000, 0x3fffe000] as const;
const LARGE_ADDRESS_MASK = [0, 0, 0xffe00000, 0xc0000000] as const;

/** The 9-bit table index that level `level` uses for linear address (lo, hi). */
const indexAt = (lo: number, hi: number, level: number): number => {
  switch (level) {
    case 1:
      return (lo >>> 12) & 511;
    case 2:
      return (lo >>> 21) & 511;
    case 3:
      return ((lo >>> 30) | (hi << 2)) & 511;
    case 4:
      return (hi >>> 7) & 511;
    default:
      return (hi >>> 16) & 511;
  }
};

/** Why a present entry at `level` stops the walk with RSVD, or false. */
const hasReservedBits = (control: WalkControl, level: number, lo: number, hi: number, reservedHi: number): boolean => {
  if ((hi & reservedHi) !== 0) return true;
  if (level === 1 || (lo & PTE_PS) === 0) return false;
  if (level >= 4) return true; // PS must be 0 in a PML4E or PML5E
  if (level === 3 && !control.gbPages) return true;
  return (lo & LARGE_RESERVED_LO[level]!) !== 0;
};

export const walkLongMode = (control: WalkControl, cr3Base: number, levels: 4 | 5, lo: number, hi: number): WalkResult => {
  const reservedHi = longReservedHi(control.maxPhysAddr) | (control.nxe ? 0 : PTE_HI_NX);
  const entryAddresses: number[] = [];
  const entryLows: number[] = [];
  let tableBase = cr3Base;
  let writable = true;
  let user = true;
  let nx = false;
  for (let level: number = levels; level >= 1; level--) {
    const entryAddress = tableBase + indexAt(lo, hi, level) * 8;
    countEntryRead(control);
    const entryLo = readEntryWord(control, entryAddress);
    const entryHi = readEntryWord(control, entryAddress + 4);
    if ((entryLo & PTE_P) === 0) return stop(false, level, entryAddress, entryLo, entryHi);
    if (hasReservedBits(control, level, entryLo, entryHi, reservedHi)) {
      return stop(true, level, entryAddress, entryLo, entryHi);
    }
    writable &&= (entryLo & PTE_RW) !== 0;
    user &&= (entryLo & PTE_US) !== 0;
    nx ||= control.nxe && (entryHi & PTE_HI_NX) !== 0;
    entryAddresses.push(entryAddress);
    entryLows.push(entryLo);
    const leaf = level === 1 || (entryLo & PTE_PS) !== 0;
    if (leaf) {
      return {
        ok: true,
        pageBase: entryAddress64(entryLo, entryHi, level === 1 ? 0xfffff000 : LARGE_ADDRESS_MASK[level]!),
        pageShift: 12 + 9 * (level - 1),
        writable,
        user,
        nx,
        global: control.pge && (entryLo & PTE_G) !== 0,
        dirty: (entryLo & PTE_D) !== 0,
        entryAddresses,
        entryLows,
      };
    }
    tableBase = entryAddress64(entryLo, entryHi, 0xfffff000);
  }
  throw new Error('unreachable: level 1 is always a leaf');
};

const stop = (reserved: boolean, level: number, entryAddress: number, entryLo: number, entryHi: number): WalkResult => ({
  ok: false,
  reserved,
  level: LEVEL_NAMES[level]!,
  entryAddress,
  entryLo,
  entryHi,
});

/**
 * Every present leaf of the hierarchy at CR3, in address order, with sign-extended (canonical)
 * linear addresses. Never-written tables are skipped without reading their 512 entries. An entry
 * with reserved bits is still followed (and its leaves marked `reserved`), so leak checks see it.
 */
export const enumerateLongMode = (
  control: WalkControl,
  cr3Base: number,
  levels: 4 | 5,
  visit: (mapping: LeafMapping) => void,
): void => {
  const reservedHi = longReservedHi(control.maxPhysAddr) | (control.nxe ? 0 : PTE_HI_NX);
  const linearBits = levels === 5 ? 57 : 48;
  const visitTable = (
    base: number,
    level: number,
    linearBase: number,
    writable: boolean,
    user: boolean,
    nx: boolean,
    reserved: boolean,
  ): void => {
    const words = tableWords(control, base);
    if (words === null) return;
    const span = 2 ** (12 + 9 * (level - 1));
    for (let i = 0; i < 512; i++) {
      const entryLo = words[i * 2]!;
      if ((entryLo & PTE_P) === 0) continue;
      const entryHi = words[i * 2 + 1]!;
      const linear = linearBase + i * span; // exact: page-aligned and below 2^57
      const w = writable && (entryLo & PTE_RW) !== 0;
      const u = user && (entryLo & PTE_US) !== 0;
      const x = nx || (control.nxe && (entryHi & PTE_HI_NX) !== 0);
      const r = reserved || hasReservedBits(control, level, entryLo, entryHi, reservedHi);
      const isLeaf = level === 1 || ((entryLo & PTE_PS) !== 0 && level <= 3);
      if (!isLeaf) {
        visitTable(entryAddress64(entryLo, entryHi, 0xfffff000), level - 1, linear, w, u, x, r);
        continue;
      }
      visit({
        linear: BigInt.asUintN(64, BigInt.asIntN(linearBits, BigInt(linear))),
        physical: entryAddress64(entryLo, entryHi, level === 1 ? 0xfffff000 : LARGE_ADDRESS_MASK[level]!),
        size: span,
        level: LEVEL_NAMES[level]!,
        writable: w,
        user: u,
        nx: x,
        global: control.pge && (entryLo & PTE_G) !== 0,
        reserved: r,
      });
    }
  };
  visitTable(cr3Base, levels, 0, true, true, false, false);
};
