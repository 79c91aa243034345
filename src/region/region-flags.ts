/*
 * Region flags, as EXOS defined them (kernel authors porting from it keep their values), plus
 * USER, NO_EXECUTE and SMALL_PAGES. RESERVE and READONLY are the absence of COMMIT / READWRITE.
 */

/** Reserve linear space only: nothing is mapped (but nothing else can take the range). */
export const REGION_RESERVE: number = 0;
/** Map the range: to fresh frames, or to Target when one is given (with FIXED or IO). */
export const REGION_COMMIT: number = 1;
export const REGION_READONLY: number = 0;
export const REGION_READWRITE: number = 2;
/** Uncached (PCD): device registers. */
export const REGION_UC: number = 4;
/** Write-combining, approximated by write-through (PWT) while PAT is not programmed. */
export const REGION_WC: number = 8;
/** Map exactly the physical range Target (device memory): the frames are never freed. */
export const REGION_IO: number = 16;
/** Base is where the search starts, not the exact address. */
export const REGION_AT_OR_OVER: number = 32;
/** Target's frames belong to someone else: mapped, never freed. */
export const REGION_FIXED: number = 64;
/** Accessible from ring 3; only in user space (elsewhere ERR_PERMISSION). */
export const REGION_USER: number = 128;
/** Not executable (PAE and x86-64; ignored by two-level paging, which has no NX). */
export const REGION_NO_EXECUTE: number = 256;
/** Only 4 KiB pages, even where large pages would fit. */
export const REGION_SMALL_PAGES: number = 512;
/** mapIOMemory may map RAM that the page bitmap manages (normally refused). */
export const REGION_IO_ALLOW_RAM: number = 1024;

/** Every flag bit a caller may pass. */
export const REGION_FLAGS_ALL: number = 2047;
