/*
 * Architectural constants of the emulated x86 machine, and the small conversions every other file
 * needs. The names follow the Intel SDM (volume 3, chapter 4 "Paging") so that a reader can check
 * each rule against the manual.
 */

// ---- control registers (low 32 bits; the machine keeps no upper halves) ----
export const CR0_PE = 1 << 0;
export const CR0_WP = 1 << 16;
export const CR0_PG = 1 << 31; // -2147483648 as an int32

export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const CR4_LA57 = 1 << 12;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;

export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;

// ---- paging-structure entry bits (low word; NX is bit 63, i.e. bit 31 of the high word) ----
export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_PWT = 1 << 3;
export const PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;
export const PTE_HI_NX = 1 << 31;

// ---- page-fault error code ----
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;
export const PF_ID = 16;

// ---- access kinds, as the port's probe takes them ----
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXECUTE = 2;
export type AccessKind = 0 | 1 | 2;

export const PAGE_SIZE = 4096;
export const TWO_32 = 4294967296;
/** Physical addresses are JS numbers below 2^52 (the architectural MAXPHYADDR limit). */
export const PHYS_LIMIT = 2 ** 52;

/** The paging mode the control registers select (SDM 4.1.1, table 4-1). */
export type PagingMode = 'off' | 'two-level' | 'pae' | 'four-level' | 'five-level';

/** A 64-bit value (bigint, any sign) as the (lo, hi) int32 halves the port uses. */
export const toPair = (value: bigint): [number, number] => {
  const u = BigInt.asUintN(64, value);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
};

/** (lo, hi) int32 halves as an unsigned 64-bit bigint. */
export const fromPair = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** (lo, hi) as a JS number; exact below 2^53 (physical addresses, frame-aligned linear ones). */
export const pairToNumber = (lo: number, hi: number): number => (hi >>> 0) * TWO_32 + (lo >>> 0);

/** A JS number below 2^64 (exact integer) as (lo, hi). */
export const numberToPair = (value: number): [number, number] => [value % TWO_32 | 0, Math.floor(value / TWO_32) | 0];

export const hex = (value: number | bigint): string => `0x${value.toString(16)}`;
export const hexPair = (lo: number, hi: number): string => hex(fromPair(lo, hi));

/** Base class of every error the machine throws: each one is a bug in the code driving it. */
export class MachineError extends Error {
  override name = 'MachineError';
}

/** The caller broke a rule of the emulated machine (misaligned access, bad argument...). */
export class MachineUsageError extends MachineError {
  override name = 'MachineUsageError';
}

