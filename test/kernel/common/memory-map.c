/*
 * The Multiboot2 memory map as the checks see it: read in C, straight from GRUB's tags, so the
 * TypeScript parser and bitmap builder are compared with an independent reading. Frames are
 * classified one by one (slow and obviously right): a frame is usable when a usable entry covers
 * it whole and no other entry touches it.
 */
#include "checks.h"

#define MAX_RANGES 64
#define TAG_END 0
#define TAG_MEMORY_MAP 6

struct range {
  uint64_t first_frame; /* usable: rounded in; others: rounded out */
  uint64_t end_frame;
  uint32_t usable;
};

static struct range ranges[MAX_RANGES];
static uint32_t range_count;

static uint32_t read32(uint32_t physical) { return *(volatile uint32_t *)(uintptr_t)physical; }
static uint64_t read64(uint32_t physical) { return read32(physical) | ((uint64_t)read32(physical + 4) << 32); }

void memory_map_read(struct map_facts *facts) {
  uint32_t info = kernel_multiboot_info();
  uint32_t total = read32(info);
  range_count = 0;
  for (uint32_t tag = info + 8; tag < info + total;) {
    uint32_t type = read32(tag), size = read32(tag + 4);
    if (type == TAG_END || size < 8) break;
    if (type == TAG_MEMORY_MAP) {
      uint32_t entry_size = read32(tag + 8);
      for (uint32_t entry = tag + 16; entry + entry_size <= tag + size && range_count < MAX_RANGES; entry += entry_size) {
        uint64_t base = read64(entry), end = base + read64(entry + 8);
        struct range *r = &ranges[range_count++];
        r->usable = read32(entry + 16) == 1;
        r->first_frame = r->usable ? (base + 4095) >> 12 : base >> 12;
        r->end_frame = r->usable ? end >> 12 : (end + 4095) >> 12;
      }
    }
    tag += (size + 7) & ~7u;
  }
  facts->covered_frames = 0;
  for (uint32_t i = 0; i < range_count; i++) {
    if (ranges[i].usable && ranges[i].end_frame > ranges[i].first_frame && ranges[i].end_frame > facts->covered_frames) {
      facts->covered_frames = (uint32_t)ranges[i].end_frame;
    }
  }
  facts->usable_frames = 0;
  facts->first_high_usable = 0;
  for (uint32_t frame = 0; frame < facts->covered_frames; frame++) {
    if (!memory_map_frame_usable(frame)) continue;
    facts->usable_frames++;
    if (frame >= 0x100000u && facts->first_high_usable == 0) facts->first_high_usable = frame;
  }
}

int memory_map_frame_usable(uint32_t frame) {
  int usable = 0;
  for (uint32_t i = 0; i < range_count; i++) {
    if (frame < ranges[i].first_frame || frame >= ranges[i].end_frame) continue;
    if (!ranges[i].usable) return 0;
    usable = 1;
  }
  return usable;
}
