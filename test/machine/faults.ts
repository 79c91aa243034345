/*
 * Fault records: what the emulated CPU reports instead of crashing. A page fault during a probe is
 * an expected result (probe returns its error code); during the manager's own read32/write32 it is
 * a bug in the manager and is thrown as PageFaultError. A #GP is always a bug and always thrown.
 * Either way the last record stays in machine.lastFault for the test to inspect.
 */
import { MachineError, PF_ID, PF_P, PF_RSVD, PF_U, PF_W, fromPair, hexPair, type AccessKind } from './bits.ts';

export interface PageFaultRecord {
  type: 'page-fault';
  /** The linear address (CR2) as (lo, hi) and as an unsigned bigint. */
  lo: number;
  hi: number;
  linear: bigint;
  errorCode: number;
  kind: AccessKind;
  user: boolean;
  /** Which entry stopped the walk, or which right was missing (from a fresh walk or the TLB). */
  detail: string;
}

export interface GeneralProtectionRecord {
  type: 'general-protection';
  /** The non-canonical address, or null (0, 0) for a bad register or PDPTE load. */
  lo: number;
  hi: number;
  linear: bigint | null;
  detail: string;
}

export type FaultRecord = PageFaultRecord | GeneralProtectionRecord;

const KIND_NAMES = ['read', 'write', 'execute'] as const;

/** "P|W|U" style decoding of a page-fault error code. */
export const describeErrorCode = (code: number): string => {
  const names: string[] = [];
  if ((code & PF_P) !== 0) names.push('P');
  if ((code & PF_W) !== 0) names.push('W');
  if ((code & PF_U) !== 0) names.push('U');
  if ((code & PF_RSVD) !== 0) names.push('RSVD');
  if ((code & PF_ID) !== 0) names.push('I/D');
  return names.length === 0 ? 'not-present' : names.join('|');
};

export const pageFaultRecord = (
  lo: number,
  hi: number,
  errorCode: number,
  kind: AccessKind,
  user: boolean,
  detail: string,
): PageFaultRecord => ({ type: 'page-fault', lo, hi, linear: fromPair(lo, hi), errorCode, kind, user, detail });

export const describeFault = (record: FaultRecord): string =>
  record.type === 'page-fault'
    ? `page fault at ${hexPair(record.lo, record.hi)}: ${record.user ? 'user' : 'supervisor'} ` +
      `${KIND_NAMES[record.kind]}, error code 0x${record.errorCode.toString(16)} ` +
      `(${describeErrorCode(record.errorCode)}): ${record.detail}`
    : `#GP${record.linear === null ? '' : ` at ${hexPair(record.lo, record.hi)}`}: ${record.detail}`;

/** A page fault in the manager's own memory access (port read32/write32): a bug in the manager. */
export class PageFaultError extends MachineError {
  override name = 'PageFaultError';
  constructor(readonly record: PageFaultRecord) {
    super(`memory manager access faulted: ${describeFault(record)}`);
  }
}

/** A #GP the manager caused (bad control-register value, bad PDPTE, non-canonical address). */
export class GeneralProtectionError extends MachineError {
  override name = 'GeneralProtectionError';
  constructor(readonly record: GeneralProtectionRecord) {
    super(describeFault(record));
  }
}

/** A #GP for a bad register value or PDPTE load (no linear address involved). */
export const generalProtection = (detail: string): GeneralProtectionError =>
  new GeneralProtectionError({ type: 'general-protection', lo: 0, hi: 0, linear: null, detail });

/** A #GP for a non-canonical linear address in long mode. */
export const nonCanonical = (lo: number, hi: number, linearBits: number): GeneralProtectionError =>
  new GeneralProtectionError({
    type: 'general-protection',
    lo,
    hi,
    linear: fromPair(lo, hi),
    detail: `non-canonical address (bits 63:${linearBits - 1} must all equal bit ${linearBits - 1})`,
  });
