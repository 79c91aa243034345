/*
 * The flag bits in the low word of every x86 paging entry - two-level, PAE and long mode agree on
 * bits 0-10: P, R/W, U/S, PWT, PCD, PS (large leaves), G, and bits 9-11 left to software, where the
 * manager keeps FOREIGN (bit 9) and IO (bit 10). One translation between them and page flags, for
 * every backend; the formats differ only in where the frame and NX go, which stays in arch/.
 */
import {
  PAGE_WRITE,
  PAGE_USER,
  PAGE_UNCACHED,
  PAGE_WRITE_THROUGH,
  PAGE_GLOBAL,
  PAGE_FOREIGN,
  PAGE_IO,
} from './page-flags.ts';

export const ENTRY_PRESENT: number = 1;
export const ENTRY_WRITABLE: number = 2;
export const ENTRY_USER: number = 4;
export const ENTRY_WRITE_THROUGH: number = 8;
export const ENTRY_CACHE_DISABLE: number = 16;
export const ENTRY_LARGE: number = 128;
export const ENTRY_GLOBAL: number = 256;
export const ENTRY_SOFT_FOREIGN: number = 512;
export const ENTRY_SOFT_IO: number = 1024;

/**
 * Low-word bits of a leaf with `flags`: present, rights, caching, software bits; G only when
 * `globalAllowed` (CR4.PGE is on); PS when `large`. The frame and NX are the format's business.
 */
export const entryLeafLowBits = (flags: number, large: number, globalAllowed: number): number => {
  let bits: number = ENTRY_PRESENT;
  if ((flags & PAGE_WRITE) !== 0) bits = bits | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) bits = bits | ENTRY_USER;
  if ((flags & PAGE_WRITE_THROUGH) !== 0) bits = bits | ENTRY_WRITE_THROUGH;
  if ((flags & PAGE_UNCACHED) !== 0) bits = bits | ENTRY_CACHE_DISABLE;
  if ((flags & PAGE_GLOBAL) !== 0 && globalAllowed !== 0) bits = bits | ENTRY_GLOBAL;
  if ((flags & PAGE_FOREIGN) !== 0) bits = bits | ENTRY_SOFT_FOREIGN;
  if ((flags & PAGE_IO) !== 0) bits = bits | ENTRY_SOFT_IO;
  if (large !== 0) bits = bits | ENTRY_LARGE;
  return bits;
};

/** Low-word bits of a table entry granting the rights in `flags` (present, R/W, U/S). */
export const entryTableLowBits = (flags: number): number => {
  let bits: number = ENTRY_PRESENT;
  if ((flags & PAGE_WRITE) !== 0) bits = bits | ENTRY_WRITABLE;
  if ((flags & PAGE_USER) !== 0) bits = bits | ENTRY_USER;
  return bits;
};

/** The page flags the low word of an entry grants (NX lives elsewhere and is added by the format). */
export const entryLowFlags = (lo: number): number => {
  let flags: number = 0;
  if ((lo & ENTRY_WRITABLE) !== 0) flags = flags | PAGE_WRITE;
  if ((lo & ENTRY_USER) !== 0) flags = flags | PAGE_USER;
  if ((lo & ENTRY_WRITE_THROUGH) !== 0) flags = flags | PAGE_WRITE_THROUGH;
  if ((lo & ENTRY_CACHE_DISABLE) !== 0) flags = flags | PAGE_UNCACHED;
  if ((lo & ENTRY_GLOBAL) !== 0) flags = flags | PAGE_GLOBAL;
  if ((lo & ENTRY_SOFT_FOREIGN) !== 0) flags = flags | PAGE_FOREIGN;
  if ((lo & ENTRY_SOFT_IO) !== 0) flags = flags | PAGE_IO;
  return flags;
};
