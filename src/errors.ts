/*
 * Error codes of the memory manager, in one place.
 *
 * Every operation returns a non-negative result (a frame number, a count, 0 for success) or one
 * of these negative codes; a failed operation changes nothing. The numbers are stable: kernels
 * log them and tests compare them, so never renumber or reuse one - add new codes at the end.
 * Names for logs: mm_error_name() in the generated C header (tools/c-header.mjs reads this file),
 * errorName() in test/support/errors.ts on the host.
 */

/** Success. */
export const ERR_NONE: number = 0;
/** An address or size is not aligned as the operation requires (4 KiB pages, 2 MiB leaves...). */
export const ERR_UNALIGNED: number = -1;
/** A size or count of zero. */
export const ERR_ZERO_SIZE: number = -2;
/** address + size wraps around the end of the address space. */
export const ERR_OVERFLOW: number = -3;
/** A frame or address beyond what the manager covers (physical memory, a window, a pool). */
export const ERR_OUT_OF_RANGE: number = -4;
/** No free physical frame (or no run of them) satisfies the request. */
export const ERR_OUT_OF_MEMORY: number = -5;
/** Freeing a frame that is already free. */
export const ERR_DOUBLE_FREE: number = -6;
/** Freeing or claiming a frame that is reserved (firmware, kernel image, boot data, metadata). */
export const ERR_RESERVED: number = -7;
/** Claiming a frame that is already in use. */
export const ERR_IN_USE: number = -8;
/** An argument outside its domain (a flag combination, an alignment that is no power of two...). */
export const ERR_INVALID_ARGUMENT: number = -9;
/** The Multiboot2 information is malformed (sizes, truncated or misaligned tags, no end tag). */
export const ERR_BAD_BOOT_INFO: number = -10;
/** The Multiboot2 information has no memory map (tag 6). */
export const ERR_NO_MEMORY_MAP: number = -11;
/** No usable memory is left (for the bitmap itself, or for the kernel heap). */
export const ERR_NO_USABLE_MEMORY: number = -12;
/** The component was used before its init function ran. */
export const ERR_NOT_INITIALISED: number = -13;
/** A temporary-mapping slot number that does not exist. */
export const ERR_SLOT_INVALID: number = -14;
/** A temporary-mapping slot that holds another frame for another caller. */
export const ERR_SLOT_BUSY: number = -15;
/** Releasing a temporary-mapping slot that nobody holds. */
export const ERR_SLOT_NOT_HELD: number = -16;
/** A physical range that the kernel's view of physical memory does not map. */
export const ERR_NO_PHYSICAL_MAPPING: number = -17;
/** A linear address that is not canonical (bits above 47, or 56 with LA57, not a sign copy). */
export const ERR_NON_CANONICAL: number = -18;
/** A page in the range is already mapped. */
export const ERR_ALREADY_MAPPED: number = -19;
/** A page in the range is not mapped. */
export const ERR_NOT_MAPPED: number = -20;
/** The range overlaps a region it must not overlap (another region, a reserved window). */
export const ERR_OVERLAP: number = -21;
/** The requested rights are not allowed here (user flag on a kernel address, and so on). */
export const ERR_PERMISSION: number = -22;
/** A fixed-size pool of the manager's own records (region index, I/O registry) is full. */
export const ERR_POOL_EXHAUSTED: number = -23;
/** No free linear range of the requested size and alignment. */
export const ERR_NO_FREE_REGION: number = -24;
/** The CPU lacks a feature the request needs (PAE, NX, 1 GiB pages, LA57...). */
export const ERR_UNSUPPORTED: number = -25;

/**
 * 1 when a result is an error code rather than a page-aligned address's low half: codes lie in
 * (-4096, 0), where no page-aligned value does. Functions returning such addresses use this.
 */
export const isErrorCode = (value: number): number => (value < 0 && value > -4096 ? 1 : 0);
