/*
 * The shared layer in a real kernel: the page bitmap built from GRUB's memory map, frame
 * allocation (also above 4 GiB), temporary mappings through the real MMU, and kernel heap
 * discovery. Expected values come from test/kernel/common/memory-map.c, not from the TypeScript.
 */
#include "checks.h"

#define LOW_MEMORY_FRAMES 256u
#define PATTERN 0x7a900000u

static uint32_t image_first, image_end, info_first, info_end, storage_first, storage_end;

static int reserved_by_policy(uint32_t frame) {
  return frame < LOW_MEMORY_FRAMES || (frame >= image_first && frame < image_end) ||
         (frame >= info_first && frame < info_end) || (frame >= storage_first && frame < storage_end);
}

void memory_setup_checks(struct map_facts *facts) {
  uint32_t info = kernel_multiboot_info();
  memory_map_read(facts);
  image_first = kernel_image_phys_start() >> 12;
  image_end = (kernel_image_phys_end() + 4095) >> 12;
  info_first = info >> 12;
  info_end = (info + *(volatile uint32_t *)(uintptr_t)info + 4095) >> 12;

  int32_t status = mm_physicalMemorySetup((int32_t)info, 0, (int32_t)info, (int32_t)image_first, (int32_t)image_end,
                                          (int32_t)REACHABLE_FRAMES, VIEW_OFFSET_LO, VIEW_OFFSET_HI);
  report_check("memory.bitmap-built", status == 0, mm_error_name(status), (uint32_t)status);
  storage_first = (uint32_t)mm_physicalBitmapFirstFrame();
  storage_end = storage_first + (uint32_t)mm_physicalBitmapFrames();

  uint32_t expected_total = 0;
  int storage_usable = 1;
  for (uint32_t frame = 0; frame < facts->covered_frames; frame++) {
    int usable = memory_map_frame_usable(frame);
    if (frame >= storage_first && frame < storage_end && (!usable || frame < LOW_MEMORY_FRAMES || (frame >= image_first && frame < image_end) ||
                                                          (frame >= info_first && frame < info_end))) {
      storage_usable = 0;
    }
    if (usable && !reserved_by_policy(frame)) expected_total++;
  }
  serial_write("LOG memory map: covered=");
  serial_write_dec(facts->covered_frames);
  serial_write(" usable=");
  serial_write_dec(facts->usable_frames);
  serial_write(" frames; bitmap total=");
  serial_write_dec(mm_frameTotalCount());
  serial_write(" free=");
  serial_write_dec(mm_frameFreeCount());
  serial_write(" reserved=");
  serial_write_dec(mm_frameReservedCount());
  serial_write(" storage=");
  serial_write_hex((uint64_t)storage_first << 12);
  serial_write("\n");

  report_check("memory.covers-highest-usable", (uint32_t)mm_frameCoveredCount() == facts->covered_frames, "covered",
               (uint32_t)mm_frameCoveredCount());
  report_check("memory.total-matches-map", (uint32_t)mm_frameTotalCount() == expected_total, "total", (uint32_t)mm_frameTotalCount());
  report_check("memory.all-free-at-start", mm_frameFreeCount() == mm_frameTotalCount() && mm_frameUsedCount() == 0, "free",
               (uint32_t)mm_frameFreeCount());
  report_check("memory.reserved-matches-map", (uint32_t)mm_frameReservedCount() == facts->covered_frames - expected_total,
               "reserved", (uint32_t)mm_frameReservedCount());
  report_check("memory.storage-in-free-ram", storage_usable && storage_end <= REACHABLE_FRAMES, "storage", (uint64_t)storage_first << 12);
  /* first light maps the low 16 MiB: the storage must stay reachable once it loads its own CR3 */
  report_check("memory.storage-below-16m", storage_end <= 4096, "storage-end", (uint64_t)storage_end << 12);
}

void frame_allocation_checks(const struct map_facts *facts) {
  int32_t free_before = mm_frameFreeCount();
  int32_t frame = mm_frameAlloc();
  report_check("frames.alloc", frame > 0 && memory_map_frame_usable((uint32_t)frame) && !reserved_by_policy((uint32_t)frame) &&
                                   mm_frameFreeCount() == free_before - 1 && mm_frameIsFree(frame) == 0,
               "frame", (uint32_t)frame);
  report_check("frames.free", mm_frameFree(frame) == 0 && mm_frameFreeCount() == free_before, "free", (uint32_t)mm_frameFreeCount());
  int32_t code = mm_frameFree(frame);
  report_check("frames.double-free-refused", code == -6, mm_error_name(code), (uint32_t)code);
  code = mm_frameFree(0);
  report_check("frames.low-memory-reserved", code == -7, mm_error_name(code), (uint32_t)code);
  code = mm_frameFree((int32_t)image_first);
  report_check("frames.image-reserved", code == -7, mm_error_name(code), (uint32_t)code);
  code = mm_frameFree((int32_t)facts->covered_frames);
  report_check("frames.beyond-memory-refused", code == -4, mm_error_name(code), (uint32_t)code);
  report_check("frames.errors-change-nothing", mm_frameFreeCount() == free_before, "free", (uint32_t)mm_frameFreeCount());

  int32_t run = mm_frameAllocContiguous(512, 512);
  report_check("frames.contiguous-2m-aligned", run > 0 && (run & 511) == 0 && mm_frameFreeCount() == free_before - 512, "first",
               (uint32_t)run);
  report_check("frames.contiguous-freed", run > 0 && mm_frameFreeRange(run, 512) == 0 && mm_frameFreeCount() == free_before, "free",
               (uint32_t)mm_frameFreeCount());

  if (facts->first_high_usable == 0) {
    report_log("no RAM above 4 GiB in this machine: boot with -m 4G or more for those checks");
    return;
  }
  int32_t high = (int32_t)facts->first_high_usable;
  report_check("frames.above-4g-free", mm_frameIsFree(high) == 1, "frame", (uint32_t)high);
  report_check("frames.above-4g-claim", mm_frameClaim(high, 1) == 0 && mm_frameIsFree(high) == 0, "frame", (uint32_t)high);
  report_check("frames.above-4g-release", mm_frameFree(high) == 0 && mm_frameFreeCount() == free_before, "frame", (uint32_t)high);
  int32_t last = (int32_t)facts->covered_frames - 1;
  report_check("frames.last-frame-claim-free", mm_frameClaim(last, 1) == 0 && mm_frameFree(last) == 0, "frame", (uint32_t)last);
}

static uint64_t slot_address(int32_t slot) {
  return (((uint64_t)(uint32_t)mm_firstLightWindowHi() << 32) | (uint32_t)mm_firstLightWindowLo()) + (uint64_t)slot * 4096;
}

static volatile uint32_t *slot_pointer(int32_t slot) { return (volatile uint32_t *)(uintptr_t)slot_address(slot); }

void temporary_mapping_checks(const struct map_facts *facts) {
  int32_t entries = mm_firstLightWindowEntries();
  int32_t status = mm_temporaryMappingsConfigure(TEMP_SLOTS, mm_firstLightWindowLo(), mm_firstLightWindowHi(), entries, 0,
                                                 mm_firstLightEntryBytes(), 3 /* present, writable */, 0);
  report_check("temp.configure", status == 0, mm_error_name(status), (uint32_t)status);
  int32_t frames[TEMP_SLOTS];
  int ok = 1;
  for (int32_t slot = 0; slot < TEMP_SLOTS; slot++) {
    frames[slot] = mm_frameAlloc();
    int32_t lo = mm_mapTemporaryPhysicalPage(slot, frames[slot]);
    ok = ok && frames[slot] > 0 && (uint32_t)lo == (uint32_t)slot_address(slot);
    *slot_pointer(slot) = PATTERN | (uint32_t)slot;
  }
  for (int32_t slot = 0; slot < TEMP_SLOTS; slot++) ok = ok && *slot_pointer(slot) == (PATTERN | (uint32_t)slot);
  report_check("temp.every-slot-maps-its-frame", ok, "slots", TEMP_SLOTS);
  int32_t code = mm_mapTemporaryPhysicalPage(1, frames[0]);
  report_check("temp.held-slot-refused", code == -15, mm_error_name(code), (uint32_t)code);

  /* Re-point slot 0 at slot 1's frame: the MMU must see the new frame at once (invlpg). */
  mm_unmapTemporaryPhysicalPage(0);
  mm_mapTemporaryPhysicalPage(0, frames[1]);
  report_check("temp.remap-seen-by-mmu", *slot_pointer(0) == (PATTERN | 1u), "read", *slot_pointer(0));
  code = glue_probe((int32_t)(uint32_t)slot_address(TEMP_SLOTS), (int32_t)(slot_address(TEMP_SLOTS) >> 32), 0);
  report_check("temp.beyond-last-slot-faults", code == 0, "error", (uint32_t)code);

  if (mm_firstLightEntryBytes() == 8 && facts->first_high_usable != 0) {
    int32_t high = (int32_t)facts->first_high_usable + 5;
    int claimed = mm_frameClaim(high, 1) == 0;
    mm_unmapTemporaryPhysicalPage(2);
    mm_mapTemporaryPhysicalPage(2, high);
    *slot_pointer(2) = 0x4a11ed00u;
    mm_unmapTemporaryPhysicalPage(3);
    mm_mapTemporaryPhysicalPage(3, high);
    report_check("temp.frame-above-4g", claimed && *slot_pointer(3) == 0x4a11ed00u && mm_temporarySlotFrame(3) == high, "frame",
                 (uint32_t)high);
    mm_frameFree(high);
  }
  for (int32_t slot = 0; slot < TEMP_SLOTS; slot++) {
    mm_unmapTemporaryPhysicalPage(slot);
    mm_frameFree(frames[slot]);
  }
  report_check("temp.all-released", mm_temporarySlotsHeld() == 0, "held", (uint32_t)mm_temporarySlotsHeld());
}

/* The longest run of free frames, counted frame by frame (slow, obviously right). */
static uint32_t longest_free_run(uint32_t *first) {
  uint32_t best = 0, run = 0, covered = (uint32_t)mm_frameCoveredCount();
  for (uint32_t frame = 0; frame <= covered; frame++) {
    if (frame < covered && mm_frameIsFree((int32_t)frame) == 1) {
      run++;
      continue;
    }
    if (run > best) {
      best = run;
      *first = frame - run;
    }
    run = 0;
  }
  return best;
}

void kernel_heap_checks(void) {
  uint32_t first = 0;
  uint32_t frames = longest_free_run(&first);
  int32_t free_before = mm_frameFreeCount();
  /* the kernel's view: its direct map once the manager is up (region-checks.c), else the boot's */
  int32_t view_lo = VIEW_OFFSET_LO, view_hi = VIEW_OFFSET_HI;
  uint32_t mapped = REACHABLE_FRAMES;
  if (mm_memoryManagerKernelRoot() >= 0) {
    view_lo = mm_archDirectMapStartLo();
    view_hi = mm_archDirectMapStartHi();
    mapped = (uint32_t)mm_memoryManagerDirectFrames();
  }
  int32_t status = mm_kernelHeapDiscover(view_lo, view_hi, (int32_t)mapped);
  if (first + frames > mapped) {
    report_check("heap.unmapped-run-refused", status == -17 && mm_frameFreeCount() == free_before, mm_error_name(status),
                 (uint32_t)status);
    return;
  }
  uint64_t base = ((uint64_t)(uint32_t)mm_kernelHeapBaseHi() << 32) | (uint32_t)mm_kernelHeapBase();
  uint64_t expected = ((uint64_t)first << 12) + (((uint64_t)(uint32_t)view_hi << 32) | (uint32_t)view_lo);
  report_check("heap.discovered", status == 0, mm_error_name(status), (uint32_t)status);
  report_check("heap.largest-free-run", (uint32_t)mm_kernelHeapFirstFrame() == first && (uint32_t)mm_kernelHeapFrames() == frames,
               "frames", frames);
  report_check("heap.in-kernel-view", base == expected, "base", base);
  /* the heap is mapped: its first and last words are there to write */
  if (mm_memoryManagerKernelRoot() >= 0) {
    volatile uint32_t *head = (volatile uint32_t *)(uintptr_t)base;
    volatile uint32_t *tail = (volatile uint32_t *)(uintptr_t)(base + ((uint64_t)frames << 12) - 4);
    *head = 0x4ea9;
    *tail = 0x7a11;
    report_check("heap.mapped", *head == 0x4ea9 && *tail == 0x7a11, "bytes", (uint64_t)frames << 12);
  }
  report_check("heap.claimed", mm_frameFreeCount() == free_before - (int32_t)frames && mm_frameIsFree((int32_t)first) == 0, "free",
               (uint32_t)mm_frameFreeCount());
}
