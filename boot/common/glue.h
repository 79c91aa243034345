/*
 * The contract between the boot glue (C and assembly under boot/) and the compiled TypeScript.
 *
 * TypeScript reaches the machine only through src/port/port.native.ts, whose inline C calls the
 * glue_* functions below; the in-kernel test runners under test/kernel/ use the kernel_* and
 * report_* functions. Every value crossing this line is a 32-bit integer, so 64-bit quantities
 * (x86-64 addresses, physical addresses above 4 GiB) travel as (lo, hi) halves.
 */
#ifndef TSMM_GLUE_H
#define TSMM_GLUE_H

#include <stdint.h>
#include <stddef.h>

typedef int32_t glue_i32;

/* ---- memory and CPU instructions (port) ---- */
/*
 * A 32-bit access at a linear address (lo, hi); on i386 hi must be 0 (the cast drops it). Inline
 * here because the page walkers call them in their inner loops; the hosted differential build
 * (test/native/hosted/) supplies its own glue.h in which they reach an emulated memory instead.
 */
static inline glue_i32 glue_read32(glue_i32 lo, glue_i32 hi) {
  return *(volatile glue_i32 *)(uintptr_t)(((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo);
}
static inline void glue_write32(glue_i32 lo, glue_i32 hi, glue_i32 value) {
  *(volatile glue_i32 *)(uintptr_t)(((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo) = value;
}

/* Control register 3: the physical address of the root table. On i386 hi must be 0. */
void glue_write_cr3(glue_i32 lo, glue_i32 hi);
glue_i32 glue_read_cr3_lo(void);
glue_i32 glue_read_cr3_hi(void);
/* CR4 (low 32 bits): tells the TypeScript which paging mode the boot chose (PAE, LA57, PGE). */
glue_i32 glue_read_cr4(void);
void glue_write_cr4(glue_i32 value);
/* CR0 (low 32 bits): PG, WP. */
glue_i32 glue_read_cr0(void);
void glue_write_cr0(glue_i32 value);
/* EFER MSR (low 32 bits): NXE, LME. */
glue_i32 glue_read_efer(void);
void glue_write_efer(glue_i32 value);
/* invlpg of one linear address; a full flush by CR3 reload (global entries survive); a flush of
 * everything including global entries (CR4.PGE toggle). */
void glue_invlpg(glue_i32 lo, glue_i32 hi);
void glue_flush_tlb(void);
void glue_flush_tlb_global(void);
/* CPUID: register 0..3 = EAX, EBX, ECX, EDX of leaf/subleaf. */
glue_i32 glue_cpuid(glue_i32 leaf, glue_i32 subleaf, glue_i32 reg);

/*
 * A probed access of 32 bits at a linear address, in supervisor mode. kind: 0 read, 1 write
 * (writes back the value it read, so a probe never changes memory), 2 execute (calls a `ret`
 * byte placed by the caller at the address). Returns -1 if no fault happened, else the page-fault
 * error code (P=1, W=2, U=4, RSVD=8, I/D=16); the faulting address (CR2) is then available
 * from glue_fault_addr_lo/hi. A fault other than #PF during a probe is a kernel failure.
 */
glue_i32 glue_probe(glue_i32 lo, glue_i32 hi, glue_i32 kind);
/*
 * The same from ring 3 (user mode): the glue drops to CPL 3 and runs its user stub, which does
 * the access and traps back. The stub's code lives in one page-aligned 4 KiB page of the image
 * (kernel_user_stub_phys); the caller maps that page user-accessible and executable at a linear
 * address (stub_lo, stub_hi) before probing. No user stack is needed.
 */
glue_i32 glue_probe_user(glue_i32 lo, glue_i32 hi, glue_i32 kind, glue_i32 stub_lo, glue_i32 stub_hi);
uint32_t kernel_user_stub_phys(void);
glue_i32 glue_fault_addr_lo(void);
glue_i32 glue_fault_addr_hi(void);

/* ---- what the boot knows (for the kernel's test runner and the TypeScript's init) ---- */
/* Physical address of the Multiboot2 information block (below 4 GiB). */
uint32_t kernel_multiboot_info(void);
/* The loaded image: first and one-past-last physical byte, and the offset that turns a
 * physical address of the image into its linked (virtual) address: 0 on i386 (identity),
 * 0xFFFFFFFF80000000 on x86-64 (higher half). */
uint32_t kernel_image_phys_start(void);
uint32_t kernel_image_phys_end(void);
uint64_t kernel_virtual_offset(void);
/* The boot command line has a word (e.g. "la57"): 1 or 0. */
int kernel_cmdline_has(const char *word);

/* ---- reporting (serial, read by test/qemu/harness.ts) ---- */
/* Lines on COM1: "PASS <name> <detail>", "FAIL <name> <detail>", free-form log lines, and
 * finally "SUMMARY <passed> <failed>"; then report_exit ends QEMU through isa-debug-exit
 * (value 0x10 = all passed -> QEMU status 33, 0x11 = some failed -> status 35). */
void serial_write(const char *text);
void serial_write_hex(uint64_t value);
void serial_write_dec(int64_t value);
/* Prints "PASS <name> <what>=0x<value>" (or FAIL) and counts it. */
void report_check(const char *name, int ok, const char *what, uint64_t value);
void report_log(const char *text);
void report_exit(void) __attribute__((noreturn));

/* ---- what the kernel provides to the glue ---- */
/* The porffor module initialiser (its rewritten main): runs the TypeScript's top-level code. */
void mm_module_init(void);
/* The kernel's own checks, one file per kernel under test/kernel/; called after mm_module_init. */
void kernel_run_checks(void);

/* gcc emits calls to these even freestanding. */
void *memset(void *dst, int value, size_t count);
void *memcpy(void *dst, const void *src, size_t count);
void *memmove(void *dst, const void *src, size_t count);
int memcmp(const void *a, const void *b, size_t count);

#endif
