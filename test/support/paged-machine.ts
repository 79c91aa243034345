/*
 * An emulated machine already paging in a given format, for host tests of code that needs real
 * translations: the low 4 MiB identity-mapped with 4 KiB pages (tables built below 4 MiB are then
 * reachable at their physical address), tables taken from 2 MiB upwards, and the port installed.
 */
import { installMachine } from '../../src/port/port.ts';
import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  EFER_LME,
  EFER_NXE,
  PageTableBuilder,
  createMachine,
  framesFrom,
  type EmulatedMachine,
  type MachineOptions,
  type TableFormat,
} from '../machine/index.ts';

export interface PagedMachine {
  machine: EmulatedMachine;
  builder: PageTableBuilder;
  /** Next frame the builder will take. */
  takeFrame: () => number;
}

export const IDENTITY_BYTES = 4 * 1024 * 1024;
const FIRST_TABLE_FRAME = 0x200;

export const pagedMachine = (format: TableFormat, options: MachineOptions = { ramBytes: 64 * 1024 * 1024 }): PagedMachine => {
  const machine = createMachine(options);
  const takeFrame = framesFrom(FIRST_TABLE_FRAME);
  const builder = new PageTableBuilder(machine, format, takeFrame);
  for (let address = 0; address < IDENTITY_BYTES; address += 4096) builder.map(BigInt(address), address);
  const longMode = format === 'four-level' || format === 'five-level';
  if (format !== 'two-level') machine.writeCr4(machine.readCr4() | CR4_PAE | (format === 'five-level' ? CR4_LA57 : 0));
  machine.writeCr3(builder.root, 0);
  if (longMode) machine.writeEfer(machine.readEfer() | EFER_LME | EFER_NXE);
  else if (format === 'pae') machine.writeEfer(machine.readEfer() | EFER_NXE);
  machine.writeCr0(machine.readCr0() | CR0_PG | CR0_WP);
  machine.resetCounters();
  installMachine(machine);
  return { machine, builder, takeFrame };
};
