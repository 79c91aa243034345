/*
 * The port, native twin: the only place where compiled TypeScript touches the machine.
 *
 * The bundler (tools/bundle.mjs) swaps src/port/port.ts for this file when it builds a kernel.
 * Every function is one line of inline C that names its own parameters and locals, so keep them
 * tiny; the glue_* functions are implemented in boot/ (see boot/common/glue.h). Memory is reached
 * by linear address: a 64-bit address travels as (lo, hi); on i386 hi is ignored by the cast.
 * The hosted differential build swaps glue.h, not this file, so the same C is tested there.
 * Functions without a natural result return 0 (the subset has only numbers).
 */

/** Reads the 32-bit word at linear address (lo, hi). */
export const portRead32 = (lo: number, hi: number): number => {
  let value: number = 0;
  Porffor.c`value = glue_read32(lo, hi);`;
  return value;
};

/** Writes the 32-bit word at linear address (lo, hi). */
export const portWrite32 = (lo: number, hi: number, value: number): number => {
  Porffor.c`glue_write32(lo, hi, value);`;
  return 0;
};

export const portWriteCr3 = (lo: number, hi: number): number => {
  Porffor.c`glue_write_cr3(lo, hi);`;
  return 0;
};

export const portReadCr3Lo = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_read_cr3_lo();`;
  return value;
};

export const portReadCr3Hi = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_read_cr3_hi();`;
  return value;
};

export const portReadCr0 = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_read_cr0();`;
  return value;
};

export const portWriteCr0 = (value: number): number => {
  Porffor.c`glue_write_cr0(value);`;
  return 0;
};

export const portReadCr4 = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_read_cr4();`;
  return value;
};

export const portWriteCr4 = (value: number): number => {
  Porffor.c`glue_write_cr4(value);`;
  return 0;
};

export const portReadEfer = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_read_efer();`;
  return value;
};

export const portWriteEfer = (value: number): number => {
  Porffor.c`glue_write_efer(value);`;
  return 0;
};

/** Invalidates the TLB entry of one linear address. */
export const portInvlpg = (lo: number, hi: number): number => {
  Porffor.c`glue_invlpg(lo, hi);`;
  return 0;
};

/** Flushes every non-global TLB entry (CR3 reload). */
export const portFlushTlb = (): number => {
  Porffor.c`glue_flush_tlb();`;
  return 0;
};

/** Flushes every TLB entry, global ones too. */
export const portFlushTlbGlobal = (): number => {
  Porffor.c`glue_flush_tlb_global();`;
  return 0;
};

/** CPUID: reg 0..3 selects EAX, EBX, ECX, EDX. */
export const portCpuid = (leaf: number, subleaf: number, reg: number): number => {
  let value: number = 0;
  Porffor.c`value = glue_cpuid(leaf, subleaf, reg);`;
  return value;
};

/**
 * Probes a supervisor access (kind 0 read, 1 write, 2 execute) at (lo, hi): -1 when it did not
 * fault, else the page-fault error code; the faulting address is then portFaultAddrLo/Hi.
 */
export const portProbe = (lo: number, hi: number, kind: number): number => {
  let code: number = 0;
  Porffor.c`code = glue_probe(lo, hi, kind);`;
  return code;
};

/** The same from ring 3, through the user stub mapped at (stubLo, stubHi). */
export const portProbeUser = (lo: number, hi: number, kind: number, stubLo: number, stubHi: number): number => {
  let code: number = 0;
  Porffor.c`code = glue_probe_user(lo, hi, kind, stubLo, stubHi);`;
  return code;
};

export const portFaultAddrLo = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_fault_addr_lo();`;
  return value;
};

export const portFaultAddrHi = (): number => {
  let value: number = 0;
  Porffor.c`value = glue_fault_addr_hi();`;
  return value;
};
