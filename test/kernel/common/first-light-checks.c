/*
 * First light's checks, the same for both kernels: the TypeScript (test/kernel/<arch>/
 * first-light.ts, compiled by porffor) builds its own page tables from page-bitmap frames and
 * loads them; every claim is then checked here through the real MMU and reported on serial.
 */
#include "checks.h"

#define PF_PRESENT 1u
#define PF_WRITE 2u
#define PF_USER 4u
#define PATTERN 0x5eed1234

static uint64_t test_page_linear(void) {
  return ((uint64_t)(uint32_t)mm_firstLightTestHi() << 32) | (uint32_t)mm_firstLightTestLo();
}

static void check_unmapped_probe(const char *name, int kind, uint32_t expected_code) {
  int32_t code = mm_firstLightProbeUnmapped(kind);
  uint64_t cr2 = ((uint64_t)(uint32_t)glue_fault_addr_hi() << 32) | (uint32_t)glue_fault_addr_lo();
  report_check(name, code == (int32_t)expected_code, "error", (uint32_t)code);
  report_check(name, code != -1 && cr2 == test_page_linear() + 4096, "cr2", cr2);
}

void first_light_checks(void) {
  int32_t free_before = mm_frameFreeCount();
  uint32_t root = (uint32_t)mm_firstLightBuild(kernel_cmdline_has("pae"));
  report_check("first-light.root-from-bitmap", root != 0 && (root & 4095) == 0 && mm_frameIsFree((int32_t)(root >> 12)) == 0 &&
                                                   mm_frameFreeCount() < free_before,
               "root", root);
  report_check("first-light.tables-below-16m", mm_firstLightFrameLo() < 0x1000000, "test-frame", (uint32_t)mm_firstLightFrameLo());
  report_log(mm_firstLightLevels() == 5   ? "first light: 5-level paging (LA57)"
             : mm_firstLightLevels() == 4 ? "first light: 4-level paging"
             : mm_firstLightLevels() == 3 ? "first light: PAE paging"
                                          : "first light: 2-level paging");

  mm_firstLightActivate();
  report_check("first-light.cr3-loaded", (uint32_t)glue_read_cr3_lo() == root && glue_read_cr3_hi() == 0, "cr3",
               (uint32_t)glue_read_cr3_lo());
  report_check("first-light.paging-on", (glue_read_cr0() & (int32_t)0x80000000) != 0, "cr0", (uint32_t)glue_read_cr0());

  mm_firstLightWrite(PATTERN);
  report_check("first-light.write-read", mm_firstLightRead() == PATTERN, "read", (uint32_t)mm_firstLightRead());
  report_check("first-light.maps-chosen-frame", mm_firstLightReadAlias() == PATTERN, "alias",
               (uint32_t)mm_firstLightReadAlias());
  report_check("first-light.mapped-probe-ok", glue_probe(mm_firstLightTestLo(), mm_firstLightTestHi(), 1) == -1, "linear",
               test_page_linear());

  check_unmapped_probe("first-light.unmapped-read-faults", 0, 0);
  check_unmapped_probe("first-light.unmapped-write-faults", 1, PF_WRITE);
}
