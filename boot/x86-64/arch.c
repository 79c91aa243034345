/* The x86-64 side of the hooks in boot.h. CR0.WP, PAE, long mode and NX were already turned on
 * by boot32.S; what is left is to replace its low-address GDT and to install an IDT. */
#include "boot.h"
#include "descriptor_tables.h"

/* Set by boot32.S. */
extern const uint32_t boot_paging_levels;
extern const uint32_t boot_la57_refused;

void arch_cpu_init(void) {
  gdt_init();
  idt_init();
}

void arch_log_boot(void) {
  serial_write(boot_paging_levels == 5 ? "LOG boot: x86-64, 5-level paging (CR4.LA57)" : "LOG boot: x86-64, 4-level paging");
  serial_write(", cmdline \"");
  serial_write(boot_cmdline());
  serial_write("\"\n");
  if (boot_la57_refused)
    report_log("la57 asked for, but the CPU lacks LA57 (CPUID.(7,0):ECX[16]): booted with 4-level paging");
}

uintptr_t address_from_halves(glue_i32 lo, glue_i32 hi) { return (uint64_t)(uint32_t)hi << 32 | (uint32_t)lo; }
