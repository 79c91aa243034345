/*
 * The test kernels' check sequence: the page bitmap from GRUB's real memory map first (paging
 * is still off on i386, the boot tables still map low memory on x86-64), then first light builds
 * and loads tables of its own from bitmap frames, then everything that needs them; then the
 * manager builds the kernel's real address space (region-checks.c), and heap discovery comes last
 * (it claims the largest free run).
 */
#include "checks.h"

void kernel_run_checks(void) {
  struct map_facts facts;
  memory_setup_checks(&facts);
  frame_allocation_checks(&facts);
  first_light_checks();
  temporary_mapping_checks(&facts);
  region_checks(&facts);
  kernel_heap_checks();
}
