/*
 * The paging backend in a real kernel: the manager builds the kernel's own address space (its
 * template, the image, the direct map), loads it, and every region claim is checked through the
 * real MMU - reads and writes through new mappings, faults after free, read-only and NX faults,
 * user-mode probes against kernel and user pages, large pages, cache flags in the entries, frames
 * above 4 GiB and, on x86-64, both canonical halves.
 */
#include "checks.h"

#define PF_PRESENT 1u
#define PF_WRITE 2u
#define PF_USER 4u
#define PF_FETCH 16u

static uint64_t pair(int32_t lo) { return ((uint64_t)(uint32_t)pairHi << 32) | (uint32_t)lo; }
static int32_t lo32(uint64_t value) { return (int32_t)(uint32_t)value; }
static int32_t hi32(uint64_t value) { return (int32_t)(uint32_t)(value >> 32); }
static volatile uint32_t *at(uint64_t linear) { return (volatile uint32_t *)(uintptr_t)linear; }

static int32_t paging_mode(void) {
#if defined(__x86_64__)
  return (glue_read_cr4() & (1 << 12)) ? 5 : 4;
#else
  return kernel_cmdline_has("pae") ? 3 : 2;
#endif
}

static void check_kernel_regions(int32_t mode) {
  /* read and write through a new kernel region, then a fault once it is freed */
  int32_t lo = mm_allocKernelRegion(0, 0, 16 * 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  uint64_t region = pair(lo);
  report_check("regions.kernel-alloc", mm_isErrorCode(lo) == 0, "base", region);
  for (int k = 0; k < 16; k++) *at(region + (uint64_t)k * 4096 + 8) = 0xab000000u | (uint32_t)k;
  int ok = 1;
  for (int k = 0; k < 16; k++) ok = ok && *at(region + (uint64_t)k * 4096 + 8) == (0xab000000u | (uint32_t)k);
  report_check("regions.kernel-read-write", ok, "pages", 16);
  int32_t physical = mm_mapLinearToPhysical(lo, hi32(region));
  report_check("regions.translates-to-owned-frame", mm_isErrorCode(physical) == 0 && mm_frameIsFree((int32_t)((uint32_t)physical >> 12)) == 0,
               "physical", pair(physical));
  report_check("regions.free", mm_freeRegion(lo, hi32(region), 16 * 4096, 0) == 0, "base", region);
  int32_t code = glue_probe(lo32(region + 4096), hi32(region), 0);
  report_check("regions.fault-after-free", code == 0, "error", (uint32_t)code);
  code = mm_freeRegion(lo, hi32(region), 16 * 4096, 0);
  report_check("regions.double-free-refused", code == -20, mm_error_name(code), (uint32_t)code);

  /* read-only: a supervisor write faults because CR0.WP is on */
  lo = mm_allocKernelRegion(0, 0, 4096, 0, MM_REGION_COMMIT);
  region = pair(lo);
  code = glue_probe(lo, hi32(region), 1);
  report_check("regions.read-only-write-faults", code == (int32_t)(PF_PRESENT | PF_WRITE), "error", (uint32_t)code);
  report_check("regions.read-only-read-ok", glue_probe(lo, hi32(region), 0) == -1, "base", region);
  mm_freeRegion(lo, hi32(region), 4096, 0);

  /* protectRegion: a page written through (its translation in the TLB) and then made read-only
   * faults on the next write - the reduction was flushed - keeps its data, and is writable again */
  lo = mm_allocKernelRegion(0, 0, 2 * 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  region = pair(lo);
  *at(region + 4096) = 0x9a9e;
  code = mm_protectRegion(lo32(region + 4096), hi32(region), 4096, 0, 0);
  report_check("regions.protect-read-only", code == 0, mm_error_name(code), (uint32_t)code);
  code = glue_probe(lo32(region + 4096), hi32(region), 1);
  report_check("regions.protected-write-faults", code == (int32_t)(PF_PRESENT | PF_WRITE), "error", (uint32_t)code);
  report_check("regions.protected-keeps-data", *at(region + 4096) == 0x9a9e, "base", region);
  report_check("regions.protect-leaves-neighbour", glue_probe(lo, hi32(region), 1) == -1, "base", region);
  code = mm_protectRegion(lo32(region + 4096), hi32(region), 4096, 0, MM_REGION_READWRITE);
  report_check("regions.protect-writable-again", code == 0 && glue_probe(lo32(region + 4096), hi32(region), 1) == -1, mm_error_name(code),
               (uint32_t)code);
  mm_freeRegion(lo, hi32(region), 2 * 4096, 0);
  /* the set-up's windows belong to others: freeRegion refuses the direct map */
  code = mm_freeRegion(mm_archDirectMapStartLo(), mm_archDirectMapStartHi(), 4096, 0);
  report_check("regions.direct-map-free-refused", code == MM_ERR_PERMISSION, mm_error_name(code), (uint32_t)code);

  /* allocPageTables: the page tables for four tables' worth of kernel space in one call; a region
   * mapped there afterwards takes data frames only, and its pages work through those tables */
  uint32_t span = mode == 2 ? 4u << 20 : 2u << 20;
  lo = mm_allocKernelRegion(0, 0, (int32_t)(4 * span), 0, MM_REGION_RESERVE);
  region = pair(lo);
  mm_freeRegion(lo, hi32(region), (int32_t)(4 * span), 0);
  int32_t tables = mm_allocPageTables(mm_memoryManagerKernelRoot(), lo, hi32(region), 1, 4, MM_PAGE_WRITE);
  report_check("regions.page-tables-at-once", tables > 0, mm_error_name(tables), (uint32_t)tables);
  int32_t frames_before = mm_frameFreeCount();
  int32_t placed = mm_allocRegion(lo, hi32(region), 0, 0, (int32_t)(4 * span), 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_SMALL_PAGES);
  report_check("regions.page-tables-used", placed == lo && frames_before - mm_frameFreeCount() == (int32_t)(4 * span / 4096), "frames",
               (uint32_t)(frames_before - mm_frameFreeCount()));
  *at(region + 4 * span - 8) = 0x7ab1e5;
  report_check("regions.page-tables-read-write", *at(region + 4 * span - 8) == 0x7ab1e5, "base", region);
  mm_freeRegion(lo, hi32(region), (int32_t)(4 * span), 0);

  /* NX: a fetch from a no-execute page faults (PAE, x86-64); an executable page runs a ret */
  lo = mm_allocKernelRegion(0, 0, 2 * 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  region = pair(lo);
  *(volatile uint8_t *)(uintptr_t)region = 0xc3;
  report_check("regions.execute-ok", glue_probe(lo, hi32(region), 2) == -1, "base", region);
  mm_freeRegion(lo, hi32(region), 2 * 4096, 0);
  if (mode != 2) {
    lo = mm_allocKernelRegion(0, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_NO_EXECUTE);
    region = pair(lo);
    *(volatile uint8_t *)(uintptr_t)region = 0xc3;
    code = glue_probe(lo, hi32(region), 2);
    report_check("regions.nx-fetch-faults", code == (int32_t)(PF_PRESENT | PF_FETCH), "error", (uint32_t)code);
    mm_freeRegion(lo, hi32(region), 4096, 0);
  }

  /* large pages: 4 MiB (two-level) or 2 MiB leaves where the region is aligned */
  uint32_t large = mode == 2 ? 4u << 20 : 2u << 20;
  lo = mm_allocKernelRegion(0, 0, (int32_t)(2 * large), 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  region = pair(lo);
  mm_walkTranslate(mm_memoryManagerKernelRoot(), lo, hi32(region));
  /* two-level paging shares every kernel PDE as a pinned page table (the kernel template), so
   * kernel space has no 4 MiB leaves there; user space does (check_user_space) */
  report_check("regions.large-page", mm_walkTranslatedLevel() == (mode == 2 ? 1 : 2), "level", (uint32_t)mm_walkTranslatedLevel());
  *at(region + large + 0x1234 * 4) = 0x1a46e;
  report_check("regions.large-page-read-write", *at(region + large + 0x1234 * 4) == 0x1a46e, "base", region);
  /* a partial free splits the large page: the rest stays mapped */
  mm_freeRegion(lo32(region + large - 4096), hi32(region), 4096, 0);
  code = glue_probe(lo32(region + large - 4096), hi32(region), 0);
  report_check("regions.split-page-freed", code == 0, "error", (uint32_t)code);
  report_check("regions.split-rest-mapped", glue_probe(lo32(region + large - 8192), hi32(region), 1) == -1, "base", region);
  mm_freeRegion(lo, hi32(region), (int32_t)(large - 4096), 0);
  mm_freeRegion(lo32(region + large), hi32(region), (int32_t)large, 0);

  /* 1 GiB leaves (x86-64 with pdpe1gb, and a free 1 GiB-aligned gigabyte of RAM) */
  if (mode >= 4 && (mm_cpuPagingFeatures() & 2) != 0 && mm_frameFreeCount() > 2 * 262144) {
    lo = mm_allocKernelRegion(0, 0, 1 << 30, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
    region = pair(lo);
    mm_walkTranslate(mm_memoryManagerKernelRoot(), lo, hi32(region));
    report_check("regions.gigabyte-page", mm_isErrorCode(lo) == 0 && mm_walkTranslatedLevel() == 3, "level",
                 (uint32_t)mm_walkTranslatedLevel());
    *at(region + (1u << 30) - 64) = 0x16b;
    report_check("regions.gigabyte-page-read-write", *at(region + (1u << 30) - 64) == 0x16b, "base", region);
    mm_freeRegion(lo, hi32(region), 1 << 30, 0);
  } else {
    report_log("no 1 GiB RAM page checks: needs -cpu max (pdpe1gb) and more than 2 GiB free");
  }
  /* a 1 GiB leaf at any memory size: the fourth gigabyte of physical space, where the local APIC
   * sits, aliased FIXED and uncached; the APIC version register read through the 1 GiB page
   * matches the one read through a 4 KiB I/O mapping */
  if (mode >= 4 && (mm_cpuPagingFeatures() & 2) != 0) {
    int32_t free_before_alias = mm_frameFreeCount(); /* a FIXED alias takes tables only, and gives them back */
    lo = mm_allocKernelRegion((int32_t)0xc0000000u, 0, 1 << 30, 0, MM_REGION_COMMIT | MM_REGION_FIXED | MM_REGION_UC);
    region = pair(lo);
    mm_walkTranslate(mm_memoryManagerKernelRoot(), lo, hi32(region));
    report_check("regions.gigabyte-alias-page", mm_isErrorCode(lo) == 0 && mm_walkTranslatedLevel() == 3, "level", (uint32_t)mm_walkTranslatedLevel());
    int32_t apic = mm_mapIOMemory((int32_t)0xfee00000u, 0, 4096, 0, MM_REGION_UC);
    uint64_t apic_page = pair(apic);
    uint32_t through_io = *at(apic_page + 0x30);
    uint32_t through_gigabyte = *at(region + 0x3ee00030u);
    report_check("regions.gigabyte-alias-reads-device", mm_isErrorCode(apic) == 0 && through_gigabyte == through_io && (through_io & 0xff) != 0,
                 "version", through_gigabyte);
    mm_unmapIOMemory(apic, hi32(apic_page), 4096, 0);
    mm_freeRegion(lo, hi32(region), 1 << 30, 0);
    report_check("regions.gigabyte-alias-freed", mm_frameFreeCount() == free_before_alias && glue_probe(lo, hi32(region), 0) == 0, "free",
                 (uint32_t)mm_frameFreeCount());
  }

  /* cache flags land in the entry: an uncached I/O mapping of the local APIC page */
  int32_t free_before = mm_frameFreeCount();
  lo = mm_allocKernelRegion((int32_t)0xfee00000u, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_UC | MM_REGION_IO);
  region = pair(lo);
  mm_walkTranslate(mm_memoryManagerKernelRoot(), lo, hi32(region));
  report_check("regions.uncached-entry", (mm_walkTranslatedFlags() & MM_PAGE_UNCACHED) != 0 && mm_walkTranslatedFrame() == 0xfee00,
               "flags", (uint32_t)mm_walkTranslatedFlags());
  mm_freeRegion(lo, hi32(region), 4096, 0);
  /* the tables made for it come back, and no frame goes into the bitmap for the device page */
  report_check("regions.io-frame-not-freed", mm_frameFreeCount() == free_before, "free", (uint32_t)mm_frameFreeCount());
}

static void check_io_mappings(void) {
  /* the local APIC's registers: offset kept, uncached, exactly the pages touched, removed whole */
  int32_t lo = mm_mapIOMemory((int32_t)0xfee00020u, 0, 0x20, 0, MM_REGION_UC);
  uint64_t linear = pair(lo);
  report_check("io.map-keeps-offset", mm_isErrorCode(lo) == 0 && (linear & 4095) == 0x20, "linear", linear);
  uint32_t version = *at(linear + 0x10); /* the APIC version register, at 0xFEE00030 */
  report_check("io.device-register-read", (version & 0xff) != 0 && (version & 0xff) != 0xff, "version", version);
  mm_walkTranslate(mm_memoryManagerKernelRoot(), lo32(linear & ~4095ull), hi32(linear));
  report_check("io.uncached-entry", (mm_walkTranslatedFlags() & MM_PAGE_UNCACHED) != 0 && mm_walkTranslatedFrame() == 0xfee00, "flags",
               (uint32_t)mm_walkTranslatedFlags());
  int32_t code = mm_freeRegion(lo32(linear & ~4095ull), hi32(linear), 4096, 0);
  report_check("io.free-region-refused", code == -22, mm_error_name(code), (uint32_t)code);
  code = mm_unmapIOMemory(lo, hi32(linear), 0x2000, 0);
  report_check("io.unmap-size-mismatch-refused", code == -9, mm_error_name(code), (uint32_t)code);
  code = mm_unmapIOMemory(lo, hi32(linear), 0x20, 0);
  report_check("io.unmap", code == 0 && mm_ioMappingCount() == 0, mm_error_name(code), (uint32_t)code);
  code = glue_probe(lo, hi32(linear), 0);
  report_check("io.fault-after-unmap", code == 0, "error", (uint32_t)code);
  code = mm_unmapIOMemory(lo, hi32(linear), 0x20, 0);
  report_check("io.double-unmap-refused", code == -20, mm_error_name(code), (uint32_t)code);
  int32_t ram = mm_frameAlloc();
  code = mm_mapIOMemory(ram << 12, 0, 4096, 0, MM_REGION_UC);
  report_check("io.managed-ram-refused", code == -21, mm_error_name(code), (uint32_t)code);
  mm_frameFree(ram);
  /* a range straddling a page boundary covers both pages */
  lo = mm_mapIOMemory((int32_t)0xfee00ff0u, 0, 0x20, 0, MM_REGION_UC);
  linear = pair(lo);
  report_check("io.straddling-range-two-pages", glue_probe(lo32((linear & ~4095ull) + 4096), hi32(linear), 0) == -1, "linear", linear);
  mm_unmapIOMemory(lo, hi32(linear), 0x20, 0);
}

static void check_user_space(void) {
  /* a user address space: its own root, the kernel's template, the glue's ring-3 stub mapped in */
  int32_t root = mm_addressSpaceCreate();
  int32_t space = mm_virtualSpaceCreate(mm_archUserStartLo(), mm_archUserStartHi(), mm_archUserEndLo(), mm_archUserEndHi());
  report_check("user.space-created", root > 0 && space > 0, "root", (uint32_t)root);
  mm_regionsUseUserSpace(root, space);
  int32_t stub = mm_allocRegion(0x00400000, 0, (int32_t)kernel_user_stub_phys(), 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_FIXED | MM_REGION_USER);
  int32_t data = mm_allocRegion(0x00800000, 0, 0, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_USER);
  int32_t readonly = mm_allocRegion(0x00801000, 0, 0, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_USER);
  report_check("user.regions-mapped", stub == 0x00400000 && data == 0x00800000 && readonly == 0x00801000, "data", (uint32_t)data);
  int32_t kernel = mm_allocKernelRegion(0, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  uint64_t kernel_page = pair(kernel);
  /* a user region as big as two large pages, placed on their alignment: large leaves */
  int32_t big = mm_allocRegion(0, 0, 0, 0, 8 << 20, 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_USER);
  mm_walkTranslate(root, big, 0);
  report_check("user.large-pages", mm_isErrorCode(big) == 0 && mm_walkTranslatedLevel() == 2, "level", (uint32_t)mm_walkTranslatedLevel());

  uint64_t root_address = (uint64_t)(uint32_t)root << 12;
  glue_write_cr3(lo32(root_address), hi32(root_address));
  *at(0x00800000) = 0x05e40000u; /* the kernel writes the user page through the user's own root */
  int32_t code = glue_probe_user(0x00800000, 0, 1, 0x00400000, 0);
  report_check("user.ring3-writes-user-page", code == -1, "error", (uint32_t)code);
  /* the user page made read-only while its root is loaded: ring 3's next write faults */
  int32_t protect = mm_protectRegion(0x00800000, 0, 4096, 0, MM_REGION_USER);
  code = glue_probe_user(0x00800000, 0, 1, 0x00400000, 0);
  report_check("user.ring3-protected-write-faults", protect == 0 && code == (int32_t)(PF_PRESENT | PF_WRITE | PF_USER), "error", (uint32_t)code);
  code = glue_probe_user(lo32(kernel_page), hi32(kernel_page), 0, 0x00400000, 0);
  report_check("user.ring3-kernel-page-faults", code == (int32_t)(PF_PRESENT | PF_USER), "error", (uint32_t)code);
  code = glue_probe_user(0x00801000, 0, 1, 0x00400000, 0);
  report_check("user.ring3-read-only-write-faults", code == (int32_t)(PF_PRESENT | PF_WRITE | PF_USER), "error", (uint32_t)code);
  code = glue_probe_user(big + (6 << 20), 0, 1, 0x00400000, 0);
  report_check("user.ring3-writes-large-page", code == -1, "error", (uint32_t)code);
  code = glue_probe_user(0x00802000, 0, 0, 0x00400000, 0);
  report_check("user.ring3-unmapped-faults", code == (int32_t)PF_USER, "error", (uint32_t)code);
  report_check("user.kernel-sees-kernel-page", glue_probe(lo32(kernel_page), hi32(kernel_page), 1) == -1, "base", kernel_page);

  uint64_t kernel_root = (uint64_t)(uint32_t)mm_memoryManagerKernelRoot() << 12;
  glue_write_cr3(lo32(kernel_root), hi32(kernel_root));
  int32_t free_before = mm_frameFreeCount();
  report_check("user.space-released", mm_addressSpaceRelease(root) == 0 && mm_frameFreeCount() > free_before, "free",
               (uint32_t)mm_frameFreeCount());
  mm_regionsUseUserSpace(-1, -1);
  mm_freeRegion(kernel, hi32(kernel_page), 4096, 0);
}

static void check_high_memory(const struct map_facts *facts) {
  if (facts->first_high_usable == 0) return;
#if defined(__x86_64__)
  /* the direct map covers RAM above 4 GiB: a frame up there is read and written through it */
  uint64_t frame = facts->first_high_usable + 77;
  report_check("high.claim", mm_frameClaim((int32_t)frame, 1) == 0, "frame", frame);
  uint64_t direct = ((uint64_t)(uint32_t)mm_archDirectMapStartHi() << 32) + (frame << 12);
  *at(direct + 16) = 0x4164;
  int32_t lo = mm_allocKernelRegion(lo32(frame << 12), hi32(frame << 12), 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE | MM_REGION_FIXED);
  uint64_t alias = pair(lo);
  report_check("high.fixed-mapping-reads-frame", *at(alias + 16) == 0x4164, "physical", frame << 12);
  mm_freeRegion(lo, hi32(alias), 4096, 0);
  mm_frameFree((int32_t)frame);
#else
  (void)facts;
#endif
}

/*
 * The recursive self-map (cmdline word "recursive"): the loaded root shows itself at its self-map
 * address, its self-map entry points at its own frame, supervisor-only (no U/S bit); the window is refused to
 * the region API; the walker really went through the self-map (visits counted) and fell back to
 * the slots for other roots and unlinked tables.
 */
static void check_recursive_tables(int32_t mode) {
  int32_t root = mm_memoryManagerKernelRoot();
  int32_t entry_bytes = mode == 2 ? 4 : 8;
  int32_t root_lo = mm_tableSelfMapTableAddress(mm_archLevels(), 0, 0);
  uint64_t root_view = pair(root_lo);
  volatile uint32_t *self_entry = at(root_view + (uint64_t)(uint32_t)mm_archSelfMapIndex() * (uint32_t)entry_bytes);
  report_check("tables.self-map-entry", (*self_entry >> 12) == (uint32_t)root && (*self_entry & 7u) == 3u, "entry", *self_entry);
  uint64_t direct = ((uint64_t)(uint32_t)mm_archDirectMapStartHi() << 32) + (uint32_t)mm_archDirectMapStartLo() + ((uint64_t)(uint32_t)root << 12);
  int same = 1;
  for (int k = 0; k < 1024; k++) same = same && at(root_view)[k] == at(direct)[k];
  report_check("tables.self-map-shows-root", same, "view", root_view);
  int32_t window_lo = mm_tableSelfMapWindowLo();
  uint64_t window = pair(window_lo);
  int32_t code = mm_freeRegion(window_lo, hi32(window), 4096, 0);
  report_check("tables.self-map-free-refused", code == -22, mm_error_name(code), (uint32_t)code);
  code = mm_allocRegion(window_lo, hi32(window), 0, 0, 4096, 0, MM_REGION_COMMIT | MM_REGION_READWRITE);
  report_check("tables.self-map-alloc-refused", mm_isErrorCode(code) == 1, mm_error_name(code), (uint32_t)code);
  report_check("tables.self-map-visits", mm_tableSelfMapVisits() > 0 && mm_tableSelfMapSlotVisits() > 0, "visits",
               (uint32_t)mm_tableSelfMapVisits());
}

void region_checks(const struct map_facts *facts) {
  int32_t mode = paging_mode();
  int recursive = kernel_cmdline_has("recursive");
  if (recursive) {
    int32_t chosen = mm_memoryManagerSelectTables(MM_TABLES_RECURSIVE);
    report_check("tables.recursive-selected", chosen == 0, mm_error_name(chosen), (uint32_t)chosen);
  }
  int32_t status = mm_memoryManagerInit(mode, mm_cpuPagingFeatures(), (int32_t)(kernel_image_phys_start() >> 12),
                                        (int32_t)((kernel_image_phys_end() + 4095) >> 12), 4096, VIEW_OFFSET_LO, VIEW_OFFSET_HI);
  report_check("mm.init", status == 0, mm_error_name(status), (uint32_t)status);
  if (status != 0) return;
  report_check("mm.cr3-is-kernel-root", ((uint32_t)glue_read_cr3_lo() >> 12) == (uint32_t)mm_memoryManagerKernelRoot(), "cr3",
               (uint32_t)glue_read_cr3_lo());
  report_log(mm_memoryManagerTables() == MM_TABLES_RECURSIVE ? "page tables reached through the recursive self-map"
                                                                  : "page tables reached through the direct map");
  report_check("tables.strategy", mm_memoryManagerTables() == (recursive ? MM_TABLES_RECURSIVE : MM_TABLES_DIRECT), "strategy",
               (uint32_t)mm_memoryManagerTables());
  check_kernel_regions(mode);
  check_io_mappings();
  check_user_space();
  check_high_memory(facts);
  if (recursive) check_recursive_tables(mode);
}
