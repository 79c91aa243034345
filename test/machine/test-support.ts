/*
 * Fixtures shared by the machine's own tests: a machine in a given paging mode with a table
 * builder, so each test states only the mappings it is about.
 */
import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LME,
  EFER_NXE,
  toPair,
} from './bits.ts';
import type { CpuFeatures } from './cpuid.ts';
import { createMachine, type EmulatedMachine } from './machine.ts';
import { PageTableBuilder, framesFrom, type TableFormat } from './table-builder.ts';
import type { RamRange } from './physical-memory.ts';

export interface FixtureOptions {
  wp?: boolean;
  nxe?: boolean;
  pse?: boolean;
  pge?: boolean;
  smep?: boolean;
  smap?: boolean;
  cpu?: Partial<CpuFeatures>;
  ramBytes?: number;
  ramRanges?: RamRange[];
  /** First frame the table builder takes (default 0x100: tables from 1 MiB). */
  firstTableFrame?: number;
}

export interface Fixture {
  machine: EmulatedMachine;
  tables: PageTableBuilder;
  /** Loads the builder's root into CR3 and turns paging on with the fixture's options. */
  activate(): void;
}

export const PAGING_FORMATS: TableFormat[] = ['two-level', 'pae', 'four-level', 'five-level'];

export const fixture = (format: TableFormat, options: FixtureOptions = {}): Fixture => {
  const machine = createMachine({
    ramBytes: options.ramBytes ?? 64 * 1024 * 1024,
    ...(options.ramRanges === undefined ? {} : { ramRanges: options.ramRanges }),
    cpu: { smep: true, smap: true, ...options.cpu },
  });
  const tables = new PageTableBuilder(machine, format, framesFrom(options.firstTableFrame ?? 0x100));
  const activate = (): void => {
    let cr4 = 0;
    if (options.pse ?? true) cr4 |= CR4_PSE;
    if (format !== 'two-level') cr4 |= CR4_PAE;
    if (format === 'five-level') cr4 |= CR4_LA57;
    if (options.pge === true) cr4 |= CR4_PGE;
    if (options.smep === true) cr4 |= CR4_SMEP;
    if (options.smap === true) cr4 |= CR4_SMAP;
    machine.writeCr4(cr4);
    machine.writeCr3(tables.root, 0);
    let efer = 0;
    if (options.nxe ?? format !== 'two-level') efer |= EFER_NXE;
    if (format === 'four-level' || format === 'five-level') efer |= EFER_LME;
    machine.writeEfer(efer);
    machine.writeCr0(machine.readCr0() | CR0_PG | ((options.wp ?? true) ? CR0_WP : 0));
  };
  return { machine, tables, activate };
};

/** (lo, hi) of a linear address given as a bigint. */
export const at = (linear: bigint): [number, number] => toPair(linear);
