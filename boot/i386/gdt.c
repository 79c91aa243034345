/*
 * The i386 GDT: flat kernel and user segments (base 0, limit 4 GiB, so linear = offset and only
 * paging protects memory) and the TSS, whose only job here is to give the CPU a kernel stack
 * (esp0) when a trap arrives from ring 3.
 */
#include "boot.h"
#include "descriptor_tables.h"
#include "segments.h"

/* Access byte: present, DPL, code/data, type. */
#define ACCESS_KERNEL_CODE 0x9A /* DPL 0, execute/read */
#define ACCESS_KERNEL_DATA 0x92 /* DPL 0, read/write */
#define ACCESS_USER_CODE 0xFA   /* DPL 3, execute/read */
#define ACCESS_USER_DATA 0xF2   /* DPL 3, read/write */
#define ACCESS_TSS 0x89         /* available 32-bit TSS */
/* Flags nibble: 4 KiB granularity, 32-bit default operand size. */
#define FLAGS_FLAT_32 0xC

struct tss {
  uint32_t previous_task;
  uint32_t esp0, ss0; /* the stack for traps from ring 3 */
  uint32_t esp1, ss1, esp2, ss2;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
} __attribute__((packed));

uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));

static struct tss tss;
static uint64_t gdt[(TSS_SELECTOR >> 3) + 1] __attribute__((aligned(8)));

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
         (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 | (uint64_t)(base >> 24) << 56;
}

void gdt_init(void) {
  tss.esp0 = (uint32_t)(uintptr_t)(trap_stack + TRAP_STACK_SIZE);
  tss.ss0 = KERNEL_DS;
  tss.iomap_base = sizeof tss; /* no I/O bitmap: with IOPL 0, ring 3 may use no port */

  gdt[KERNEL_CS >> 3] = descriptor(0, 0xFFFFF, ACCESS_KERNEL_CODE, FLAGS_FLAT_32);
  gdt[KERNEL_DS >> 3] = descriptor(0, 0xFFFFF, ACCESS_KERNEL_DATA, FLAGS_FLAT_32);
  gdt[USER_CS >> 3] = descriptor(0, 0xFFFFF, ACCESS_USER_CODE, FLAGS_FLAT_32);
  gdt[USER_DS >> 3] = descriptor(0, 0xFFFFF, ACCESS_USER_DATA, FLAGS_FLAT_32);
  gdt[TSS_SELECTOR >> 3] = descriptor((uint32_t)(uintptr_t)&tss, sizeof tss - 1, ACCESS_TSS, 0);

  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};

  /* Segment registers cache their descriptors: reload every one (CS through a far jump) so that
   * none still refers to the loader's GDT. */
  __asm__ volatile(
      "lgdt %0\n\t"
      "ljmp %1, $1f\n"
      "1:\n\t"
      "mov %w2, %%ds\n\t"
      "mov %w2, %%es\n\t"
      "mov %w2, %%fs\n\t"
      "mov %w2, %%gs\n\t"
      "mov %w2, %%ss\n\t"
      "ltr %w3"
      :
      : "m"(gdtr), "i"(KERNEL_CS), "r"(KERNEL_DS), "r"(TSS_SELECTOR)
      : "memory");
}
