/* Where the i386 kernel lives. Plain #defines: assembly includes this file too. Keep in step with
 * linker/i386.ld. */
#ifndef TSMM_LAYOUT_H
#define TSMM_LAYOUT_H

/* Linked and loaded at physical 0x100000, run identity-mapped: the linked address is physical. */
#define KERNEL_VIRTUAL_OFFSET 0
/* Paging is off from the loader until the TypeScript turns it on, so every physical address
 * below 4 GiB is reachable during boot. */
#define BOOT_MAPPED_PHYS_LIMIT 0x100000000

#define BOOT_STACK_SIZE 0x10000 /* 64 KiB: kmain, the TypeScript and the checks run on it */
#define TRAP_STACK_SIZE 0x4000  /* 16 KiB: traps from ring 3 (TSS.esp0) */

#endif
