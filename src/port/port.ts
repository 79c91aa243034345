/*
 * The port, host version: the only place where the memory manager touches the machine.
 *
 * On the host every call is delegated to an emulated machine (test/machine/) that a test installs
 * with installMachine(); in a kernel the bundler swaps this file for port.native.ts, whose
 * functions have the same names and meanings. This file is never compiled by porffor, so it may
 * use full TypeScript; keep the exported function list identical to port.native.ts (a test checks).
 */

/** What the memory manager needs of a machine. All values are int32 bit patterns. */
export interface PortMachine {
  read32(lo: number, hi: number): number;
  write32(lo: number, hi: number, value: number): void;
  writeCr3(lo: number, hi: number): void;
  readCr3Lo(): number;
  readCr3Hi(): number;
  readCr0(): number;
  writeCr0(value: number): void;
  readCr4(): number;
  writeCr4(value: number): void;
  readEfer(): number;
  writeEfer(value: number): void;
  invlpg(lo: number, hi: number): void;
  flushTlb(): void;
  flushTlbGlobal(): void;
  cpuid(leaf: number, subleaf: number, reg: number): number;
  probe(lo: number, hi: number, kind: number, user: boolean): number;
  faultAddrLo(): number;
  faultAddrHi(): number;
}

let machine: PortMachine | null = null;

/** Installs the machine the port delegates to (tests call this before using the manager). */
export const installMachine = (next: PortMachine | null): void => {
  machine = next;
};

const m = (): PortMachine => {
  if (machine === null) throw new Error('port: no machine installed (call installMachine first)');
  return machine;
};

export const portRead32 = (lo: number, hi: number): number => m().read32(lo, hi);
export const portWrite32 = (lo: number, hi: number, value: number): number => {
  m().write32(lo, hi, value);
  return 0;
};
export const portWriteCr3 = (lo: number, hi: number): number => {
  m().writeCr3(lo, hi);
  return 0;
};
export const portReadCr3Lo = (): number => m().readCr3Lo();
export const portReadCr3Hi = (): number => m().readCr3Hi();
export const portReadCr0 = (): number => m().readCr0();
export const portWriteCr0 = (value: number): number => {
  m().writeCr0(value);
  return 0;
};
export const portReadCr4 = (): number => m().readCr4();
export const portWriteCr4 = (value: number): number => {
  m().writeCr4(value);
  return 0;
};
export const portReadEfer = (): number => m().readEfer();
export const portWriteEfer = (value: number): number => {
  m().writeEfer(value);
  return 0;
};
export const portInvlpg = (lo: number, hi: number): number => {
  m().invlpg(lo, hi);
  return 0;
};
export const portFlushTlb = (): number => {
  m().flushTlb();
  return 0;
};
export const portFlushTlbGlobal = (): number => {
  m().flushTlbGlobal();
  return 0;
};
export const portCpuid = (leaf: number, subleaf: number, reg: number): number => m().cpuid(leaf, subleaf, reg);
export const portProbe = (lo: number, hi: number, kind: number): number => m().probe(lo, hi, kind, false);
/** On the host the user stub's address is irrelevant: the emulated MMU checks a ring-3 access. */
export const portProbeUser = (lo: number, hi: number, kind: number, _stubLo: number, _stubHi: number): number =>
  m().probe(lo, hi, kind, true);
export const portFaultAddrLo = (): number => m().faultAddrLo();
export const portFaultAddrHi = (): number => m().faultAddrHi();
