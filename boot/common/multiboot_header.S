/*
 * The Multiboot2 header: GRUB's `multiboot2` command looks for it, 8-aligned, in the first
 * 32 KiB of the file. The linker scripts put section .multiboot first. The same header serves
 * both kernels: x86-64 kernels also start in 32-bit protected mode.
 *
 * Only the mandatory fields and the end tag: the loader then enters at the ELF entry point
 * with the default (text-mode) console, which the kernel does not use anyway.
 */
#include "multiboot2.h"

    .section .multiboot, "a"
    .balign 8
multiboot_header:
    .long MULTIBOOT2_HEADER_MAGIC
    .long MULTIBOOT2_ARCHITECTURE_I386
    .long multiboot_header_end - multiboot_header
    .long -(MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCHITECTURE_I386 + (multiboot_header_end - multiboot_header))
    /* end tag: type 0, flags 0, size 8 */
    .balign 8
    .short 0
    .short 0
    .long 8
multiboot_header_end:
