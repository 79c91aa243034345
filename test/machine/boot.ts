/*
 * Boot helpers: put a fresh machine (paging off, as after a Multiboot2 load) into the state a
 * real boot stub leaves for the memory manager.
 *
 * i386 needs nothing: its stub (boot/i386/entry.S) leaves paging off and the manager turns it on.
 * The x86-64 stub (boot/x86-64/boot32.S, build_page_tables and enter_long_mode) enters long mode
 * on boot tables that map physical 0..1 GiB twice with 2 MiB pages - at 0 and at the higher-half
 * kernel base 0xFFFFFFFF80000000; bootX86_64 builds the same tables, entry for entry, in frames the
 * caller names, and sets the registers in the stub's order.
 */
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PGE, EFER_LME, EFER_NXE, PTE_P, PTE_PS, PTE_RW } from './bits.ts';
import type { EmulatedMachine } from './machine.ts';

export interface BootX86_64Options {
  levels: 4 | 5;
  /**
   * The 5 frames of the boot tables, in the stub's .bss order: PML5, PML4, low PDPT, high PDPT,
   * PD. Either list them or give the first of 5 consecutive frames.
   */
  tableFrames?: [number, number, number, number, number];
  firstTableFrame?: number;
  /** Also set CR4.PGE (the real stub does not; default false). */
  pge?: boolean;
}

export interface BootX86_64Layout {
  /** The frame CR3 points to: the PML5 with 5 levels, else the PML4. */
  root: number;
  pml5: number;
  pml4: number;
  pdptLow: number;
  pdptHigh: number;
  pd: number;
  /** First frame after the boot tables. */
  nextFreeFrame: number;
}

/** The linear base of the higher-half kernel, 0xFFFFFFFF80000000, as (lo, hi). */
export const KERNEL_BASE_LO = 0x80000000 | 0;
export const KERNEL_BASE_HI = -1;

/**
 * Builds the boot tables and enters long mode. As in the stub: PD[i] maps 2 MiB page i (P|RW|PS);
 * low PDPT[0] and high PDPT[510] -> PD; PML4[0] -> low PDPT, PML4[511] -> high PDPT; PML5[0] and
 * PML5[511] -> the same PML4 (so with 5 levels the two 1 GiB windows also appear at
 * 0xFFFF000000000000 and 0x0000FFFF80000000). Then CR4.PAE (+LA57), CR3, EFER.LME (+NXE when the
 * CPU has NX), CR0.PG|WP. Counters are reset afterwards: the boot is not the manager's work.
 */
export const bootX86_64 = (machine: EmulatedMachine, options: BootX86_64Options): BootX86_64Layout => {
  let frames: number[];
  if (options.tableFrames !== undefined) frames = options.tableFrames;
  else if (options.firstTableFrame !== undefined) frames = [0, 1, 2, 3, 4].map((i) => options.firstTableFrame! + i);
  else throw new Error('bootX86_64: give tableFrames or firstTableFrame');
  const [pml5, pml4, pdptLow, pdptHigh, pd] = frames as [number, number, number, number, number];
  for (const frame of frames) machine.zeroFrame(frame);
  const at = (frame: number, index: number): number => frame * 4096 + index * 8;
  const tableEntry = (frame: number): number => (frame * 4096) | PTE_P | PTE_RW;

  for (let i = 0; i < 512; i++) machine.writePhys64(at(pd, i), (i * 0x200000) | PTE_P | PTE_RW | PTE_PS, 0);
  machine.writePhys64(at(pdptLow, 0), tableEntry(pd), 0);
  machine.writePhys64(at(pdptHigh, 510), tableEntry(pd), 0);
  machine.writePhys64(at(pml4, 0), tableEntry(pdptLow), 0);
  machine.writePhys64(at(pml4, 511), tableEntry(pdptHigh), 0);
  machine.writePhys64(at(pml5, 0), tableEntry(pml4), 0);
  machine.writePhys64(at(pml5, 511), tableEntry(pml4), 0);

  const root = options.levels === 5 ? pml5 : pml4;
  machine.writeCr4(
    machine.readCr4() | CR4_PAE | (options.levels === 5 ? CR4_LA57 : 0) | (options.pge === true ? CR4_PGE : 0),
  );
  machine.writeCr3(root * 4096, 0);
  machine.writeEfer(machine.readEfer() | EFER_LME | (machine.features.nx ? EFER_NXE : 0));
  machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
  machine.resetCounters();
  return { root, pml5, pml4, pdptLow, pdptHigh, pd, nextFreeFrame: Math.max(...frames) + 1 };
};
