/*
 * What the pieces of the boot glue tell each other (glue.h is what they tell the kernel).
 *
 * Common code (boot/common) and architecture code (boot/i386, boot/x86-64) meet here: the
 * architecture supplies the entry, the descriptor tables and the few functions declared under
 * "architecture hooks"; everything else is shared.
 */
#ifndef TSMM_BOOT_H
#define TSMM_BOOT_H

#include "glue.h"
#include "layout.h" /* boot/<arch>/layout.h: KERNEL_VIRTUAL_OFFSET, BOOT_MAPPED_PHYS_LIMIT */

#define PAGE_SIZE 4096u

/* Called by the architecture's entry once it has a stack (and, on x86-64, the higher half). */
void kmain(uint32_t magic, uint32_t info_phys) __attribute__((noreturn));

/* ---- architecture hooks ---- */
/* Loads the glue's GDT (with the TSS) and IDT; CR0.WP is set when it returns. */
void arch_cpu_init(void);
/* Logs how the machine was booted (paging mode, anything asked for but refused). */
void arch_log_boot(void);
/* Joins a 64-bit value carried as two 32-bit halves into a native address; on i386 a non-zero
 * high half cannot be an address and is a fatal error. */
uintptr_t address_from_halves(glue_i32 lo, glue_i32 hi);

/* ---- serial and reporting ---- */
void serial_init(void);
/* Prints "SUMMARY <passed> <failed + 1>" (the +1 is the failure that stops the kernel) and exits
 * with the "failed" verdict. For unexpected exceptions and fatal misuse. */
void report_abort(void) __attribute__((noreturn));
/* Prints "FATAL <why>", then aborts as above. */
void glue_fatal(const char *why) __attribute__((noreturn));

/* ---- boot information ---- */
/* Remembers the Multiboot2 information address and copies the command line out of it; must run
 * while the boot mapping (see layout.h) still covers the information block. */
void multiboot_save(uint32_t info_phys);
/* The saved command line ("" if the loader gave none). */
const char *boot_cmdline(void);

#endif
