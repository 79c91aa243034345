/*
 * The x86-64 GDT: kernel and user code/data segments (in 64-bit mode only their DPL and the L bit
 * matter: bases and limits are ignored) and the TSS, which gives the CPU the stacks to switch to:
 * rsp0 for traps from ring 3, ist1 for double faults.
 */
#include "boot.h"
#include "descriptor_tables.h"
#include "segments.h"

/* Access byte: present, DPL, code/data, type. */
#define ACCESS_KERNEL_CODE 0x9A /* DPL 0, execute/read */
#define ACCESS_KERNEL_DATA 0x92 /* DPL 0, read/write */
#define ACCESS_USER_CODE 0xFA   /* DPL 3, execute/read */
#define ACCESS_USER_DATA 0xF2   /* DPL 3, read/write */
#define ACCESS_TSS 0x89         /* available 64-bit TSS */
/* Flags nibble: 4 KiB granularity, and L (64-bit code) or D/B (32-bit data). */
#define FLAGS_CODE_64 0xA
#define FLAGS_DATA 0xC

struct tss {
  uint32_t reserved0;
  uint64_t rsp0; /* the stack for traps from ring 3 */
  uint64_t rsp1, rsp2;
  uint64_t reserved1;
  uint64_t ist[7]; /* ist[0] is IST1 */
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __attribute__((packed));

static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t double_fault_stack[DOUBLE_FAULT_STACK_SIZE] __attribute__((aligned(16)));

static struct tss tss;
/* The TSS descriptor takes two slots: the second holds bits 63:32 of its base. */
static uint64_t gdt[(TSS_SELECTOR >> 3) + 2] __attribute__((aligned(8)));

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
         (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 | (uint64_t)(base >> 24) << 56;
}

void gdt_init(void) {
  tss.rsp0 = (uint64_t)(trap_stack + TRAP_STACK_SIZE);
  tss.ist[DOUBLE_FAULT_IST - 1] = (uint64_t)(double_fault_stack + DOUBLE_FAULT_STACK_SIZE);
  tss.iomap_base = sizeof tss; /* no I/O bitmap: with IOPL 0, ring 3 may use no port */

  uint64_t tss_base = (uint64_t)&tss;
  gdt[KERNEL_CS >> 3] = descriptor(0, 0xFFFFF, ACCESS_KERNEL_CODE, FLAGS_CODE_64);
  gdt[KERNEL_DS >> 3] = descriptor(0, 0xFFFFF, ACCESS_KERNEL_DATA, FLAGS_DATA);
  gdt[USER_CS >> 3] = descriptor(0, 0xFFFFF, ACCESS_USER_CODE, FLAGS_CODE_64);
  gdt[USER_DS >> 3] = descriptor(0, 0xFFFFF, ACCESS_USER_DATA, FLAGS_DATA);
  gdt[TSS_SELECTOR >> 3] = descriptor((uint32_t)tss_base, sizeof tss - 1, ACCESS_TSS, 0);
  gdt[(TSS_SELECTOR >> 3) + 1] = tss_base >> 32;

  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint64_t)gdt};

  /* Replaces boot32.S's GDT, which lives at a low address. CS is reloaded through a far return
   * (64-bit mode has no far jump to an immediate). */
  __asm__ volatile(
      "lgdt %0\n\t"
      "pushq %1\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "mov %w2, %%ds\n\t"
      "mov %w2, %%es\n\t"
      "mov %w2, %%ss\n\t"
      "ltr %w3"
      :
      : "m"(gdtr), "i"(KERNEL_CS), "r"(KERNEL_DS), "r"(TSS_SELECTOR)
      : "rax", "memory");
}
