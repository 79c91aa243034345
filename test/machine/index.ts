/*
 * The emulated x86 machine for host tests: import everything from here.
 *
 *   const machine = createMachine({ ramBytes: 64 * 2 ** 30 });
 *   installMachine(machine);            // from src/port/port.ts: the port now talks to it
 *   bootX86_64(machine, { levels: 4, firstTableFrame: 0x1000 });  // or stay in i386, paging off
 *
 * See docs/emulated-machine.md for the model and its rules.
 */
export * from './bits.ts';
export * from './boot.ts';
export * from './cpuid.ts';
export * from './faults.ts';
export * from './machine.ts';
export type { LeafMapping, WalkResult } from './paging-walk.ts';
export * from './physical-memory.ts';
export * from './table-builder.ts';
export type { TlbEntry } from './tlb.ts';
