/*
 * The privileged instructions behind the glue_* port functions. Each is a single instruction
 * with a "memory" clobber: the compiler must not move loads or stores of page tables across a
 * change of CR3, CR0.PG or the TLB.
 *
 * Values cross the port as 32-bit halves. On x86-64 the upper halves of CR0 and CR4 are reserved
 * (zero), so writing only the low half loses nothing.
 */
#include "boot.h"

#define MSR_EFER 0xC0000080u
#define CR4_PGE (1u << 7)

static inline uintptr_t read_cr3(void) {
  uintptr_t value;
  __asm__ volatile("mov %%cr3, %0" : "=r"(value));
  return value;
}

static inline void write_cr3(uintptr_t value) { __asm__ volatile("mov %0, %%cr3" : : "r"(value) : "memory"); }

static inline uintptr_t read_cr4(void) {
  uintptr_t value;
  __asm__ volatile("mov %%cr4, %0" : "=r"(value));
  return value;
}

static inline void write_cr4(uintptr_t value) { __asm__ volatile("mov %0, %%cr4" : : "r"(value) : "memory"); }

static inline uint64_t read_msr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}

static inline void write_msr(uint32_t msr, uint64_t value) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

void glue_write_cr3(glue_i32 lo, glue_i32 hi) { write_cr3(address_from_halves(lo, hi)); }

glue_i32 glue_read_cr3_lo(void) { return (glue_i32)(uint32_t)read_cr3(); }

glue_i32 glue_read_cr3_hi(void) { return (glue_i32)(uint32_t)((uint64_t)read_cr3() >> 32); }

glue_i32 glue_read_cr4(void) { return (glue_i32)(uint32_t)read_cr4(); }

void glue_write_cr4(glue_i32 value) { write_cr4((uint32_t)value); }

glue_i32 glue_read_cr0(void) {
  uintptr_t value;
  __asm__ volatile("mov %%cr0, %0" : "=r"(value));
  return (glue_i32)(uint32_t)value;
}

void glue_write_cr0(glue_i32 value) {
  uintptr_t cr0 = (uint32_t)value;
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

glue_i32 glue_read_efer(void) { return (glue_i32)(uint32_t)read_msr(MSR_EFER); }

void glue_write_efer(glue_i32 value) {
  uint64_t high = read_msr(MSR_EFER) & 0xFFFFFFFF00000000ull; /* reserved: keep as they are */
  write_msr(MSR_EFER, high | (uint32_t)value);
}

void glue_invlpg(glue_i32 lo, glue_i32 hi) {
  uintptr_t address = address_from_halves(lo, hi);
  __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory");
}

void glue_flush_tlb(void) { write_cr3(read_cr3()); }

void glue_flush_tlb_global(void) {
  uintptr_t cr4 = read_cr4();
  if ((cr4 & CR4_PGE) == 0) {
    glue_flush_tlb(); /* without CR4.PGE no entry is global */
    return;
  }
  /* Any change of CR4.PGE flushes the whole TLB, global entries included. */
  write_cr4(cr4 & ~(uintptr_t)CR4_PGE);
  write_cr4(cr4);
}

glue_i32 glue_cpuid(glue_i32 leaf, glue_i32 subleaf, glue_i32 reg) {
  uint32_t r[4];
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
  return reg >= 0 && reg < 4 ? (glue_i32)r[reg] : 0;
}
