/* Paging modes, as numbers shared by the backends and the generic code. */

/** i386 classic paging: 2 levels, 32-bit entries, 4 KiB and 4 MiB (PSE) pages, no NX. */
export const PAGING_TWO_LEVEL: number = 2;
/** i386 PAE: 3 levels (4-entry PDPT), 64-bit entries, 4 KiB and 2 MiB pages, NX. */
export const PAGING_PAE: number = 3;
/** x86-64 4-level: 48-bit linear addresses, 4 KiB / 2 MiB / 1 GiB pages. */
export const PAGING_FOUR_LEVEL: number = 4;
/** x86-64 5-level (LA57): 57-bit linear addresses. */
export const PAGING_FIVE_LEVEL: number = 5;

/** CPU features a backend may use, as passed to archPagingInit (read from CPUID by the caller). */
export const FEATURE_NX: number = 1;
export const FEATURE_GIGABYTE_PAGES: number = 2;
export const FEATURE_GLOBAL_PAGES: number = 4;
/** 4 MiB pages in two-level paging (CR4.PSE). */
export const FEATURE_LARGE_PAGES: number = 8;
