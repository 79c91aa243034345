/*
 * The test kernels' check sequence: the page bitmap from GRUB's real memory map first (paging
 * is still off on i386, the boot tables still map low memory on x86-64), then first light builds
 * and loads the kernel's own tables from bitmap frames, then everything that needs them.
 */
#include "checks.h"

void kernel_run_checks(void) {
  struct map_facts facts;
  memory_setup_checks(&facts);
  frame_allocation_checks(&facts);
  first_light_checks();
  temporary_mapping_checks(&facts);
  kernel_heap_checks();
}
