/*
 * The flat machine of the hosted differential build (see glue.h): sparse 4 KiB pages in an
 * open-addressing hash table, plain registers, counters. Mirrors test/support/flat-machine.ts
 * rule for rule; change both together.
 */
#include "glue.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_WORDS 1024
#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)

struct page {
  uint64_t key; /* physical page number + 1; 0 = empty slot */
  int32_t *words;
};

static struct page pages[TABLE_SIZE];
static uint32_t page_count;
static uint64_t fold_base;
static uint64_t cr3, cr0, cr4, efer;
/* counters: 0 reads, 1 writes, 2 cr3 writes, 3 invlpg, 4 full flushes, 5 global flushes */
static int32_t counters[6];
/* cpuid answers: leaf index 0..3 = 0x1, 0x7, 0x80000001, 0x80000008; 4 registers each */
static int32_t cpuid_values[4][4];

static uint64_t linear(glue_i32 lo, glue_i32 hi) { return ((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo; }

/* The walked window (hosted_set_walk_window): x86-64 addresses in it are walked from CR3. */
static uint64_t self_base, self_end;
static int self_levels;
/* always inlined: the flat machine's every access goes through it, and the benchmarks time them */
static inline __attribute__((always_inline)) int32_t *word_at_physical(uint64_t physical, int create);

/* A 4 KiB-page walk of 8-byte entries from CR3 (9-bit fields), as the MMU walks a self-map address. */
static __attribute__((noinline)) uint64_t self_map_walk(uint64_t address) {
  uint64_t table = cr3 & ~4095ull;
  for (int level = self_levels; level >= 1; level--) {
    uint64_t index = (address >> (12 + 9 * (level - 1))) & 511;
    int32_t *lo = word_at_physical(table + index * 8, 0);
    int32_t *hi = word_at_physical(table + index * 8 + 4, 0);
    uint64_t entry = ((uint64_t)(uint32_t)(hi ? *hi : 0) << 32) | (uint32_t)(lo ? *lo : 0);
    if ((entry & 1) == 0) {
      fprintf(stderr, "hosted glue: self-map address 0x%llx not mapped\n", (unsigned long long)address);
      exit(4);
    }
    table = entry & 0x000ffffffffff000ull;
  }
  return table + (address & 4095);
}

static inline uint64_t physical(uint64_t address) {
  if (self_levels != 0 && address >= self_base && (self_end == 0 || address < self_end)) return self_map_walk(address);
  return (fold_base != 0 && address >= fold_base) ? address - fold_base : address;
}

static inline __attribute__((always_inline)) int32_t *word_at_physical(uint64_t physical_address, int create) {
  uint64_t key = (physical_address >> 12) + 1;
  uint32_t slot = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - TABLE_BITS));
  while (pages[slot].key != 0 && pages[slot].key != key) slot = (slot + 1) & (TABLE_SIZE - 1);
  if (pages[slot].key == 0) {
    if (!create) return NULL;
    if (page_count >= TABLE_SIZE / 2) {
      fprintf(stderr, "hosted glue: too many pages touched\n");
      exit(4);
    }
    pages[slot].key = key;
    pages[slot].words = calloc(PAGE_WORDS, sizeof(int32_t));
    page_count++;
  }
  return &pages[slot].words[(physical_address & 4095) >> 2];
}

static int32_t *word_at(uint64_t address, int create) {
  if (address & 3) {
    fprintf(stderr, "hosted glue: unaligned access at 0x%llx\n", (unsigned long long)address);
    exit(4);
  }
  return word_at_physical(physical(address), create);
}

glue_i32 glue_read32(glue_i32 lo, glue_i32 hi) {
  counters[0]++;
  int32_t *word = word_at(linear(lo, hi), 0);
  return word ? *word : 0;
}
void glue_write32(glue_i32 lo, glue_i32 hi, glue_i32 value) {
  counters[1]++;
  *word_at(linear(lo, hi), 1) = value;
}
void glue_write_cr3(glue_i32 lo, glue_i32 hi) {
  counters[2]++;
  cr3 = linear(lo, hi);
}
glue_i32 glue_read_cr3_lo(void) { return (glue_i32)(uint32_t)cr3; }
glue_i32 glue_read_cr3_hi(void) { return (glue_i32)(uint32_t)(cr3 >> 32); }
glue_i32 glue_read_cr4(void) { return (glue_i32)(uint32_t)cr4; }
void glue_write_cr4(glue_i32 value) { cr4 = (uint32_t)value; }
glue_i32 glue_read_cr0(void) { return (glue_i32)(uint32_t)cr0; }
void glue_write_cr0(glue_i32 value) { cr0 = (uint32_t)value; }
glue_i32 glue_read_efer(void) { return (glue_i32)(uint32_t)efer; }
void glue_write_efer(glue_i32 value) { efer = (uint32_t)value; }
void glue_invlpg(glue_i32 lo, glue_i32 hi) {
  (void)lo;
  (void)hi;
  counters[3]++;
}
void glue_flush_tlb(void) { counters[4]++; }
void glue_flush_tlb_global(void) { counters[5]++; }

static int cpuid_leaf_index(glue_i32 leaf) {
  switch ((uint32_t)leaf) {
    case 0x1: return 0;
    case 0x7: return 1;
    case 0x80000001u: return 2;
    case 0x80000008u: return 3;
    default: return -1;
  }
}
glue_i32 glue_cpuid(glue_i32 leaf, glue_i32 subleaf, glue_i32 reg) {
  (void)subleaf;
  int index = cpuid_leaf_index(leaf);
  return (index < 0 || reg < 0 || reg > 3) ? 0 : cpuid_values[index][reg];
}
/* No MMU: every probe succeeds. The differential tests compare logic, the QEMU suite the MMU. */
glue_i32 glue_probe(glue_i32 lo, glue_i32 hi, glue_i32 kind) {
  (void)lo;
  (void)hi;
  (void)kind;
  return -1;
}
glue_i32 glue_probe_user(glue_i32 lo, glue_i32 hi, glue_i32 kind, glue_i32 stub_lo, glue_i32 stub_hi) {
  (void)stub_lo;
  (void)stub_hi;
  return glue_probe(lo, hi, kind);
}
glue_i32 glue_fault_addr_lo(void) { return 0; }
glue_i32 glue_fault_addr_hi(void) { return 0; }

glue_i32 hosted_set_fold(glue_i32 lo, glue_i32 hi) {
  fold_base = linear(lo, hi);
  return 0;
}
glue_i32 hosted_set_walk_window(glue_i32 lo, glue_i32 hi, glue_i32 end_lo, glue_i32 end_hi, glue_i32 levels) {
  self_base = linear(lo, hi);
  self_end = linear(end_lo, end_hi);
  self_levels = levels;
  return 0;
}
glue_i32 hosted_peek32(glue_i32 lo, glue_i32 hi) {
  int32_t *word = word_at(linear(lo, hi), 0);
  return word ? *word : 0;
}
glue_i32 hosted_poke32(glue_i32 lo, glue_i32 hi, glue_i32 value) {
  *word_at(linear(lo, hi), 1) = value;
  return 0;
}
glue_i32 hosted_counter(glue_i32 which) { return (which >= 0 && which < 6) ? counters[which] : 0; }
glue_i32 hosted_set_cpuid(glue_i32 leaf, glue_i32 reg, glue_i32 value) {
  int index = cpuid_leaf_index(leaf);
  if (index < 0 || reg < 0 || reg > 3) return -1;
  cpuid_values[index][reg] = value;
  return 0;
}
glue_i32 hosted_page_count(void) { return (glue_i32)page_count; }

/* Microseconds of a monotonic clock, wrapping at 2^32: benchmarks take differences. */
glue_i32 hosted_clock_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (glue_i32)(uint32_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
}
