/*
 * The parts of the Multiboot2 specification the glue uses. Constants only, so the assembly
 * header (multiboot_header.S) and the x86-64 32-bit entry can include this file too.
 */
#ifndef TSMM_MULTIBOOT2_H
#define TSMM_MULTIBOOT2_H

/* In the kernel's header: what the loader looks for in the first 32 KiB of the file. */
#define MULTIBOOT2_HEADER_MAGIC 0xE85250D6
#define MULTIBOOT2_ARCHITECTURE_I386 0 /* 32-bit protected mode: also how x86-64 kernels start */

/* In EAX at the entry: proof that a Multiboot2 loader started us. EBX then holds the physical
 * address of the boot information. */
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36D76289

/* The boot information: u32 total_size, u32 reserved, then tags, each 8-aligned:
 * u32 type, u32 size (without padding), payload. Type 0 ends the list. */
#define MULTIBOOT2_INFO_HEADER_SIZE 8
#define MULTIBOOT2_TAG_HEADER_SIZE 8
#define MULTIBOOT2_TAG_ALIGN 8
#define MULTIBOOT2_TAG_END 0
#define MULTIBOOT2_TAG_CMDLINE 1 /* payload: NUL-terminated string */

#endif
