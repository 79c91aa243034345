/*
 * The hosted twin of boot/common/glue.h, for the native-vs-Node differential tests.
 *
 * The generated C of a kernel bundle is compiled as an ordinary Linux program with this header
 * instead of the kernel's: the port's inline C (src/port/port.native.ts) then reaches a "flat
 * machine" - sparse memory, plain control registers, counted flushes, no MMU - whose twin on the
 * Node side is test/support/flat-machine.ts. Both follow the same rules, so the manager's results
 * must be identical on both sides; any difference is porffor compiling the source differently
 * from Node running it.
 *
 * Address rule (the same in flat-machine.ts): a linear address at or above the fold base (when
 * non-zero) reaches physical (address - base); below it, physical = linear. That models a direct
 * map of physical memory at `base` without paging.
 */
#ifndef TSMM_HOSTED_GLUE_H
#define TSMM_HOSTED_GLUE_H

#include <stdint.h>

typedef int32_t glue_i32;

glue_i32 glue_read32(glue_i32 lo, glue_i32 hi);
void glue_write32(glue_i32 lo, glue_i32 hi, glue_i32 value);
void glue_write_cr3(glue_i32 lo, glue_i32 hi);
glue_i32 glue_read_cr3_lo(void);
glue_i32 glue_read_cr3_hi(void);
glue_i32 glue_read_cr4(void);
void glue_write_cr4(glue_i32 value);
glue_i32 glue_read_cr0(void);
void glue_write_cr0(glue_i32 value);
glue_i32 glue_read_efer(void);
void glue_write_efer(glue_i32 value);
void glue_invlpg(glue_i32 lo, glue_i32 hi);
void glue_flush_tlb(void);
void glue_flush_tlb_global(void);
glue_i32 glue_cpuid(glue_i32 leaf, glue_i32 subleaf, glue_i32 reg);
glue_i32 glue_probe(glue_i32 lo, glue_i32 hi, glue_i32 kind);
glue_i32 glue_probe_user(glue_i32 lo, glue_i32 hi, glue_i32 kind, glue_i32 stub_lo, glue_i32 stub_hi);
glue_i32 glue_fault_addr_lo(void);
glue_i32 glue_fault_addr_hi(void);

/* Test controls, callable as steps (the driver lists them next to the TypeScript's functions). */
glue_i32 hosted_set_fold(glue_i32 lo, glue_i32 hi);
glue_i32 hosted_set_walk_window(glue_i32 lo, glue_i32 hi, glue_i32 end_lo, glue_i32 end_hi, glue_i32 levels);
glue_i32 hosted_peek32(glue_i32 lo, glue_i32 hi);
glue_i32 hosted_poke32(glue_i32 lo, glue_i32 hi, glue_i32 value);
glue_i32 hosted_counter(glue_i32 which);
glue_i32 hosted_set_cpuid(glue_i32 leaf, glue_i32 reg, glue_i32 value);
glue_i32 hosted_page_count(void);
glue_i32 hosted_clock_us(void);

#endif
