/*
 * What the three page-walk formats (walk-two-level.ts, walk-pae.ts, walk-long-mode.ts) share: the
 * state a walk depends on, its result, the access-rights check and the page-fault error code.
 *
 * A walk only finds the translation and the effective rights of a linear address (or the entry
 * that stops it: not present, or a reserved bit set); whether the access is allowed is decided
 * separately by accessFaultCode(), so the same check serves fresh walks and TLB hits, whose cached
 * rights are checked against the current CR0.WP/CR4.SMEP/SMAP like hardware does.
 */
import {
  ACCESS_EXECUTE,
  ACCESS_WRITE,
  PF_ID,
  PF_P,
  PF_RSVD,
  PF_U,
  PF_W,
  TWO_32,
  type AccessKind,
} from './bits.ts';
import type { PhysicalMemory } from './physical-memory.ts';

/** Everything a walk reads besides the tables themselves. */
export interface WalkControl {
  memory: PhysicalMemory;
  /** MAXPHYADDR (CPUID 0x80000008 EAX[7:0]): entry address bits at and above it are reserved. */
  maxPhysAddr: number;
  /** EFER.NXE: bit 63 of PAE and long-mode entries is XD when set, reserved when clear. */
  nxe: boolean;
  /** CR4.PSE: honours PS in a two-level PDE (4 MiB pages); PAE and long mode ignore it. */
  pse: boolean;
  /** CR4.PGE: the G bit of a leaf makes its TLB entry global. */
  pge: boolean;
  /** CPUID pdpe1gb: PS in a long-mode PDPTE is a 1 GiB leaf; without it, PS there is reserved. */
  gbPages: boolean;
  /** Counts entry reads when the walk is the MMU's own; null for the tests' pure inspections. */
  counters: { pteReads: number } | null;
}

/** A walk that reached a present leaf without a reserved bit. */
export interface WalkLeaf {
  ok: true;
  /** Physical address of the page (of its own size: 4 KiB, 2 MiB, 4 MiB or 1 GiB). */
  pageBase: number;
  /** log2 of the page size: 12, 21, 22 or 30. */
  pageShift: number;
  /** Effective rights: R/W and U/S are the AND over every level, NX the OR. */
  writable: boolean;
  user: boolean;
  nx: boolean;
  /** G set on the leaf while CR4.PGE=1: survives CR3 writes in the TLB. */
  global: boolean;
  /** The leaf's D bit. */
  dirty: boolean;
  /** Physical addresses and low words of the entries that have an A bit, root first, leaf last. */
  entryAddresses: number[];
  entryLows: number[];
}

/** A walk stopped by an entry: not present, or present with a reserved bit set. */
export interface WalkStop {
  ok: false;
  reserved: boolean;
  /** 'PML5E', 'PML4E', 'PDPTE', 'PDE' or 'PTE'. */
  level: string;
  entryAddress: number;
  entryLo: number;
  entryHi: number;
}

export type WalkResult = WalkLeaf | WalkStop;

/** A present leaf found by an enumeration of a whole hierarchy. */
export interface LeafMapping {
  /** First linear address of the page, unsigned 64-bit (sign-extended in long mode). */
  linear: bigint;
  physical: number;
  /** Page size in bytes. */
  size: number;
  level: string;
  writable: boolean;
  user: boolean;
  nx: boolean;
  global: boolean;
  /** An entry on the way has a reserved bit set: every access to this page faults with RSVD. */
  reserved: boolean;
}

/** The rights accumulated down a hierarchy, for enumerations. */
export interface PathRights {
  writable: boolean;
  user: boolean;
  nx: boolean;
  reserved: boolean;
}

export const readEntryWord = (control: WalkControl, address: number): number => control.memory.read32(address);

/** Counts one entry read for the MMU's own walks (a 64-bit entry counts once). */
export const countEntryRead = (control: WalkControl): void => {
  if (control.counters !== null) control.counters.pteReads++;
};

/**
 * The physical address held in a 64-bit entry: bits 51:12 (low bits masked by `lowMask`). Bits at
 * and above MAXPHYADDR are reserved and checked separately, so they are simply kept here.
 */
export const entryAddress64 = (lo: number, hi: number, lowMask: number): number =>
  (hi & 0xfffff) * TWO_32 + ((lo & lowMask) >>> 0);

/** Mask of the high-word bits 51:MAXPHYADDR (reserved in long-mode entries). */
export const longReservedHi = (maxPhysAddr: number): number => 0xfffff & ~((1 << (maxPhysAddr - 32)) - 1);

/** Mask of the high-word bits 62:MAXPHYADDR (reserved in PAE entries). */
export const paeReservedHi = (maxPhysAddr: number): number =>
  maxPhysAddr >= 63 ? 0 : 0x7fffffff & ~((1 << (maxPhysAddr - 32)) - 1);

/** The state that decides whether an access with given rights is allowed (SDM 4.6). */
export interface AccessControl {
  /** CR0.WP: supervisor writes honour R/W. */
  wp: boolean;
  /** XD is enforced (EFER.NXE=1 in PAE or long mode). */
  nx: boolean;
  /** CR4.SMEP: supervisor fetches from user pages fault. */
  smep: boolean;
  /** CR4.SMAP: supervisor data accesses to user pages fault (EFLAGS.AC is taken as 0). */
  smap: boolean;
  /** I/D is reported for fetches: EFER.NXE=1 (PAE or long mode) or CR4.SMEP=1 (SDM 4.7). */
  reportFetch: boolean;
}

/** The W, U and I/D bits of an error code: they describe the access, whatever caused the fault. */
export const accessBits = (kind: AccessKind, user: boolean, control: AccessControl): number =>
  (kind === ACCESS_WRITE ? PF_W : 0) |
  (user ? PF_U : 0) |
  (kind === ACCESS_EXECUTE && control.reportFetch ? PF_ID : 0);

/** Error code of a walk stopped by an entry: P=0 when not present, P|RSVD for a reserved bit. */
export const stopFaultCode = (stop: WalkStop, kind: AccessKind, user: boolean, control: AccessControl): number =>
  (stop.reserved ? PF_P | PF_RSVD : 0) | accessBits(kind, user, control);

/**
 * -1 if an access with these effective rights is allowed, else its page-fault error code (always
 * with P=1: a protection fault on a present translation).
 */
export const accessFaultCode = (
  writable: boolean,
  userPage: boolean,
  nx: boolean,
  kind: AccessKind,
  user: boolean,
  control: AccessControl,
): number => {
  let allowed: boolean;
  if (user) {
    allowed = userPage && (kind !== ACCESS_WRITE || writable) && (kind !== ACCESS_EXECUTE || !(nx && control.nx));
  } else if (kind === ACCESS_EXECUTE) {
    allowed = !(nx && control.nx) && !(userPage && control.smep);
  } else {
    allowed = !(userPage && control.smap) && (kind !== ACCESS_WRITE || writable || !control.wp);
  }
  return allowed ? -1 : PF_P | accessBits(kind, user, control);
};

/**
 * The words of the table at `base` for an enumeration, or null when that frame was never written
 * (all entries zero: the whole subtree is skipped). Throws like a walk would if it is not RAM.
 */
export const tableWords = (control: WalkControl, base: number): Int32Array | null => {
  control.memory.read32(base); // the same PhysicalMemoryError a walk would raise
  return control.memory.frameWords(base / 4096) ?? null;
};
