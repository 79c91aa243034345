/*
 * The kernel's life after the architecture's entry: set up, let the TypeScript initialise, run
 * the kernel's checks, report. Nothing here returns: the end is always an exit through
 * isa-debug-exit (report_exit, or report_abort from a fatal error).
 */
#include "boot.h"
#include "multiboot2.h"

void kmain(uint32_t magic, uint32_t info_phys) {
  serial_init(); /* first, so that every later failure can be told */
  arch_cpu_init();
  if (magic != MULTIBOOT2_BOOTLOADER_MAGIC) glue_fatal("not started by a Multiboot2 loader (bad magic in EAX)");
  multiboot_save(info_phys);
  arch_log_boot();

  mm_module_init();
  kernel_run_checks();
  report_exit();
}
