/*
 * Page flags: what a mapping allows, in the manager's own terms. The architecture backends
 * translate them to and from their entry formats (arch/<arch>/), so the generic paging code never
 * handles a hardware bit.
 */

/** Writable (R/W). */
export const PAGE_WRITE: number = 1;
/** Accessible from ring 3 (U/S). */
export const PAGE_USER: number = 2;
/** Not executable (XD/NX; ignored where the mode has no NX, i.e. i386 two-level). */
export const PAGE_NO_EXECUTE: number = 4;
/** Caching disabled (PCD): device memory. */
export const PAGE_UNCACHED: number = 8;
/** Write-through (PWT): the closest thing to write-combining without PAT. */
export const PAGE_WRITE_THROUGH: number = 16;
/** Global (G): survives CR3 writes; kernel mappings only, and only with CR4.PGE. */
export const PAGE_GLOBAL: number = 32;
/** The frame is not the manager's (FIXED or I/O): never freed when unmapped. Software bit. */
export const PAGE_FOREIGN: number = 64;
/** The page belongs to an I/O mapping (mapIOMemory): only unmapIOMemory removes it. Software bit. */
export const PAGE_IO: number = 128;

/** The rights a table entry must grant so that its subtree can grant `flags` (x86 ANDs levels). */
export const pageFlagsForTable = (flags: number): number => flags & (PAGE_WRITE | PAGE_USER);
