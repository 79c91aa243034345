/* The i386 side of the hooks in boot.h. */
#include "boot.h"
#include "descriptor_tables.h"

#define CR0_WP (1u << 16)

void arch_cpu_init(void) {
  gdt_init();
  idt_init();
  /* Write protection also for ring 0, so that read-only mappings bind the kernel too. It takes
   * effect once the TypeScript turns paging on. */
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_WP) : "memory");
}

void arch_log_boot(void) {
  serial_write("LOG boot: i386, paging off, cmdline \"");
  serial_write(boot_cmdline());
  serial_write("\"\n");
}

uintptr_t address_from_halves(glue_i32 lo, glue_i32 hi) {
  if (hi != 0) glue_fatal("an address with a non-zero high half on i386");
  return (uint32_t)lo;
}
