/*
 * PAE paging (SDM 4.4): 64-bit entries; CR3 (32-byte aligned) -> 4 PDPTEs -> page directory
 * (512 PDEs; PS=1 is a 2 MiB leaf whatever CR4.PSE says) -> page table (512 PTEs).
 *
 * The 4 PDPTEs are not read during walks: like hardware, the machine loads them into PDPTE
 * registers when CR3 is written (and when CR0/CR4 writes enter or reconfigure PAE paging), so a
 * later change of the PDPT in memory has no effect until the next load. A PDPTE has only P:
 * R/W, U/S, A, PS and bits at and above MAXPHYADDR (NX included) are reserved, and a present
 * PDPTE with one of them set makes the load itself fail with #GP. Rights come from PDE and PTE.
 */
import { PTE_D, PTE_G, PTE_HI_NX, PTE_P, PTE_PS, PTE_RW, PTE_US, hex } from './bits.ts';
import { generalProtection } from './faults.ts';
import {
  countEntryRead,
  entryAddress64,
  paeReservedHi,
  readEntryWord,
  tableWords,
  type LeafMapping,
  type WalkControl,
  type WalkResult,
} from './paging-walk.ts';

/** PDPTE low-word bits that must be 0 when P=1: 2:1 (R/W, U/S) and 8:5. */
const PDPTE_RESERVED_LO = 0x1e6;
/** PDE bits 20:13 must be 0 in a 2 MiB leaf (bit 12 is PAT). */
const LARGE_RESERVED_LO = 0x1fe000;

/** The physical address of the PDPT named by CR3 (bits 31:5). */
export const pdptBase = (cr3Lo: number): number => (cr3Lo & 0xffffffe0) >>> 0;

/**
 * Loads the 4 PDPTEs from memory, as MOV to CR3 does in PAE mode; returns them as (lo, hi) x 4.
 * Throws a GeneralProtectionError for a present PDPTE with a reserved bit.
 */
export const loadPdptes = (control: WalkControl, cr3Lo: number): Int32Array => {
  const base = pdptBase(cr3Lo);
  const registers = new Int32Array(8);
  const reservedHi = ~((1 << (control.maxPhysAddr - 32)) - 1); // 63:MAXPHYADDR, NX included
  for (let i = 0; i < 4; i++) {
    countEntryRead(control);
    const lo = readEntryWord(control, base + i * 8);
    const hi = readEntryWord(control, base + i * 8 + 4);
    if ((lo & PTE_P) !== 0 && ((lo & PDPTE_RESERVED_LO) !== 0 || (hi & reservedHi) !== 0)) {
      throw generalProtection(
        `loading PAE PDPTE ${i} at ${hex(base + i * 8)}: reserved bits set in ${hex(hi >>> 0)}_${(lo >>> 0)
          .toString(16)
          .padStart(8, '0')} (a PDPTE allows only P, PWT, PCD and the address)`,
      );
    }
    registers[i * 2] = lo;
    registers[i * 2 + 1] = hi;
  }
  return registers;
};

export const walkPae = (control: WalkControl, cr3Lo: number, pdptes: Int32Array, lo: number): WalkResult => {
  const index = lo >>> 30;
  const pdpteLo = pdptes[index * 2]!;
  const pdpteHi = pdptes[index * 2 + 1]!;
  if ((pdpteLo & PTE_P) === 0) return stop(false, 'PDPTE', pdptBase(cr3Lo) + index * 8, pdpteLo, pdpteHi);
  const reservedHi = paeReservedHi(control.maxPhysAddr) | (control.nxe ? 0 : PTE_HI_NX);

  const pdeAddress = entryAddress64(pdpteLo, pdpteHi, 0xfffff000) + ((lo >>> 21) & 511) * 8;
  countEntryRead(control);
  const pdeLo = readEntryWord(control, pdeAddress);
  const pdeHi = readEntryWord(control, pdeAddress + 4);
  if ((pdeLo & PTE_P) === 0) return stop(false, 'PDE', pdeAddress, pdeLo, pdeHi);
  if ((pdeHi & reservedHi) !== 0) return stop(true, 'PDE', pdeAddress, pdeLo, pdeHi);
  if ((pdeLo & PTE_PS) !== 0) {
    if ((pdeLo & LARGE_RESERVED_LO) !== 0) return stop(true, 'PDE', pdeAddress, pdeLo, pdeHi);
    return {
      ok: true,
      pageBase: entryAddress64(pdeLo, pdeHi, 0xffe00000),
      pageShift: 21,
      writable: (pdeLo & PTE_RW) !== 0,
      user: (pdeLo & PTE_US) !== 0,
      nx: control.nxe && (pdeHi & PTE_HI_NX) !== 0,
      global: control.pge && (pdeLo & PTE_G) !== 0,
      dirty: (pdeLo & PTE_D) !== 0,
      entryAddresses: [pdeAddress],
      entryLows: [pdeLo],
    };
  }

  const pteAddress = entryAddress64(pdeLo, pdeHi, 0xfffff000) + ((lo >>> 12) & 511) * 8;
  countEntryRead(control);
  const pteLo = readEntryWord(control, pteAddress);
  const pteHi = readEntryWord(control, pteAddress + 4);
  if ((pteLo & PTE_P) === 0) return stop(false, 'PTE', pteAddress, pteLo, pteHi);
  if ((pteHi & reservedHi) !== 0) return stop(true, 'PTE', pteAddress, pteLo, pteHi);
  return {
    ok: true,
    pageBase: entryAddress64(pteLo, pteHi, 0xfffff000),
    pageShift: 12,
    writable: (pdeLo & pteLo & PTE_RW) !== 0,
    user: (pdeLo & pteLo & PTE_US) !== 0,
    nx: control.nxe && ((pdeHi | pteHi) & PTE_HI_NX) !== 0,
    global: control.pge && (pteLo & PTE_G) !== 0,
    dirty: (pteLo & PTE_D) !== 0,
    entryAddresses: [pdeAddress, pteAddress],
    entryLows: [pdeLo, pteLo],
  };
};

const stop = (reserved: boolean, level: string, entryAddress: number, entryLo: number, entryHi: number): WalkResult => ({
  ok: false,
  reserved,
  level,
  entryAddress,
  entryLo,
  entryHi,
});

/** Every present leaf reachable from the PDPTE registers, in address order. */
export const enumeratePae = (control: WalkControl, pdptes: Int32Array, visit: (mapping: LeafMapping) => void): void => {
  const reservedHi = paeReservedHi(control.maxPhysAddr) | (control.nxe ? 0 : PTE_HI_NX);
  for (let i = 0; i < 4; i++) {
    const pdpteLo = pdptes[i * 2]!;
    if ((pdpteLo & PTE_P) === 0) continue;
    const directory = tableWords(control, entryAddress64(pdpteLo, pdptes[i * 2 + 1]!, 0xfffff000));
    if (directory === null) continue;
    for (let j = 0; j < 512; j++) {
      const pdeLo = directory[j * 2]!;
      const pdeHi = directory[j * 2 + 1]!;
      if ((pdeLo & PTE_P) === 0) continue;
      const linearPde = i * 0x40000000 + j * 0x200000;
      if ((pdeLo & PTE_PS) !== 0) {
        visit({
          linear: BigInt(linearPde),
          physical: entryAddress64(pdeLo, pdeHi, 0xffe00000),
          size: 0x200000,
          level: 'PDE',
          writable: (pdeLo & PTE_RW) !== 0,
          user: (pdeLo & PTE_US) !== 0,
          nx: control.nxe && (pdeHi & PTE_HI_NX) !== 0,
          global: control.pge && (pdeLo & PTE_G) !== 0,
          reserved: (pdeHi & reservedHi) !== 0 || (pdeLo & LARGE_RESERVED_LO) !== 0,
        });
        continue;
      }
      const table = tableWords(control, entryAddress64(pdeLo, pdeHi, 0xfffff000));
      if (table === null) continue;
      for (let k = 0; k < 512; k++) {
        const pteLo = table[k * 2]!;
        const pteHi = table[k * 2 + 1]!;
        if ((pteLo & PTE_P) === 0) continue;
        visit({
          linear: BigInt(linearPde + k * 4096),
          physical: entryAddress64(pteLo, pteHi, 0xfffff000),
          size: 4096,
          level: 'PTE',
          writable: (pdeLo & pteLo & PTE_RW) !== 0,
          user: (pdeLo & pteLo & PTE_US) !== 0,
          nx: control.nxe && ((pdeHi | pteHi) & PTE_HI_NX) !== 0,
          global: control.pge && (pteLo & PTE_G) !== 0,
          reserved: ((pdeHi | pteHi) & reservedHi) !== 0,
        });
      }
    }
  }
};
