/*
 * 32-bit paging (SDM 4.3): CR3 -> page directory (1024 x 4-byte PDEs) -> page table (1024 PTEs).
 * A PDE with PS=1 maps a 4 MiB page when CR4.PSE=1 (PSE-36: PDE bits 20:13 are physical address
 * bits 39:32, bit 21 is reserved); with CR4.PSE=0 the PS bit is ignored and the PDE points to a
 * table. There is no NX and no other reserved bit in this format.
 */
import { PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US, TWO_32 } from './bits.ts';
import {
  countEntryRead,
  readEntryWord,
  tableWords,
  type LeafMapping,
  type WalkControl,
  type WalkResult,
} from './paging-walk.ts';

/** PDE bits reserved in a 4 MiB leaf: 21:(13 + M' - 32) with M' = min(MAXPHYADDR, 40). */
const largeReservedLo = (maxPhysAddr: number): number => 0x3fffff & ~((1 << (13 + Math.min(maxPhysAddr, 40) - 32)) - 1);

/** Physical base of a 4 MiB page: PDE bits 31:22, plus bits 39:32 from PDE bits 20:13 (PSE-36). */
const largeBase = (pde: number): number => ((pde & 0xffc00000) >>> 0) + ((pde >>> 13) & 0xff) * TWO_32;

export const walkTwoLevel = (control: WalkControl, cr3Lo: number, lo: number): WalkResult => {
  const pdeAddress = ((cr3Lo & 0xfffff000) >>> 0) + ((lo >>> 22) << 2);
  countEntryRead(control);
  const pde = readEntryWord(control, pdeAddress);
  if ((pde & PTE_P) === 0) return stop(false, 'PDE', pdeAddress, pde);
  if ((pde & PTE_PS) !== 0 && control.pse) {
    if ((pde & largeReservedLo(control.maxPhysAddr)) !== 0) return stop(true, 'PDE', pdeAddress, pde);
    return {
      ok: true,
      pageBase: largeBase(pde),
      pageShift: 22,
      writable: (pde & PTE_RW) !== 0,
      user: (pde & PTE_US) !== 0,
      nx: false,
      global: control.pge && (pde & PTE_G) !== 0,
      dirty: (pde & PTE_D) !== 0,
      entryAddresses: [pdeAddress],
      entryLows: [pde],
    };
  }
  const pteAddress = ((pde & 0xfffff000) >>> 0) + (((lo >>> 12) & 1023) << 2);
  countEntryRead(control);
  const pte = readEntryWord(control, pteAddress);
  if ((pte & PTE_P) === 0) return stop(false, 'PTE', pteAddress, pte);
  return {
    ok: true,
    pageBase: (pte & 0xfffff000) >>> 0,
    pageShift: 12,
    writable: (pde & pte & PTE_RW) !== 0,
    user: (pde & pte & PTE_US) !== 0,
    nx: false,
    global: control.pge && (pte & PTE_G) !== 0,
    dirty: (pte & PTE_D) !== 0,
    entryAddresses: [pdeAddress, pteAddress],
    entryLows: [pde, pte],
  };
};

const stop = (reserved: boolean, level: string, entryAddress: number, entryLo: number): WalkResult => ({
  ok: false,
  reserved,
  level,
  entryAddress,
  entryLo,
  entryHi: 0,
});

/** Every present leaf of the directory at CR3, in address order; never-written tables are skipped. */
export const enumerateTwoLevel = (control: WalkControl, cr3Lo: number, visit: (mapping: LeafMapping) => void): void => {
  const directory = tableWords(control, (cr3Lo & 0xfffff000) >>> 0);
  if (directory === null) return;
  const reservedLarge = largeReservedLo(control.maxPhysAddr);
  for (let i = 0; i < 1024; i++) {
    const pde = directory[i]!;
    if ((pde & PTE_P) === 0) continue;
    if ((pde & PTE_PS) !== 0 && control.pse) {
      visit({
        linear: BigInt(i * 0x400000),
        physical: largeBase(pde),
        size: 0x400000,
        level: 'PDE',
        writable: (pde & PTE_RW) !== 0,
        user: (pde & PTE_US) !== 0,
        nx: false,
        global: control.pge && (pde & PTE_G) !== 0,
        reserved: (pde & reservedLarge) !== 0,
      });
      continue;
    }
    const table = tableWords(control, (pde & 0xfffff000) >>> 0);
    if (table === null) continue;
    for (let j = 0; j < 1024; j++) {
      const pte = table[j]!;
      if ((pte & PTE_P) === 0) continue;
      visit({
        linear: BigInt(i * 0x400000 + j * 4096),
        physical: (pte & 0xfffff000) >>> 0,
        size: 4096,
        level: 'PTE',
        writable: (pde & pte & PTE_RW) !== 0,
        user: (pde & pte & PTE_US) !== 0,
        nx: false,
        global: control.pge && (pte & PTE_G) !== 0,
        reserved: false,
      });
    }
  }
};
