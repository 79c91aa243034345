/* Where the x86-64 kernel lives. Plain #defines: assembly includes this file too. Keep in step
 * with linker/x86-64.ld. */
#ifndef TSMM_LAYOUT_H
#define TSMM_LAYOUT_H

/* Loaded at physical 0x100000, linked at 0xFFFFFFFF80100000: the top 2 GiB of the address space,
 * where -mcmodel=kernel code can reach every symbol with sign-extended 32-bit addresses. */
#define KERNEL_VIRTUAL_OFFSET 0xFFFFFFFF80000000
/* The boot page tables (boot32.S) map physical 0..1 GiB, both at 0 and at KERNEL_VIRTUAL_OFFSET. */
#define BOOT_MAPPED_PHYS_LIMIT 0x40000000

#define BOOT_STACK_SIZE 0x10000        /* 64 KiB: kmain, the TypeScript and the checks run on it */
#define TRAP_STACK_SIZE 0x4000         /* 16 KiB: traps from ring 3 (TSS.rsp0) */
#define DOUBLE_FAULT_STACK_SIZE 0x1000 /* a known-good stack for #DF (TSS.ist1) */

#endif
