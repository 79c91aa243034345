/*
 * The test kernels' checks (the C files beside this header): shared declarations and the few facts that
 * differ between the two kernels.
 */
#ifndef TSMM_CHECKS_H
#define TSMM_CHECKS_H

#include <stdint.h>
#include "glue.h"
#include "mm.h"

#if defined(__x86_64__)
/* The boot tables map physical 0..1 GiB at identity and at the kernel's higher half. */
#define REACHABLE_FRAMES 0x40000u
#define VIEW_OFFSET_LO ((int32_t)0x80000000u)
#define VIEW_OFFSET_HI ((int32_t)0xFFFFFFFFu)
#define TEMP_SLOTS 8
#else
/* Paging is off at boot: all of the low 4 GiB is reachable at its own address. */
#define REACHABLE_FRAMES 0x100000u
#define VIEW_OFFSET_LO 0
#define VIEW_OFFSET_HI 0
#define TEMP_SLOTS 4
#endif

/* What the Multiboot2 memory map says, read by C independently of the TypeScript parser. */
struct map_facts {
  uint32_t covered_frames;      /* end of the highest usable range, in frames */
  uint32_t usable_frames;       /* usable and touched by no other entry, below covered */
  uint32_t first_high_usable;   /* lowest usable frame at or above 4 GiB, 0 if none */
};
void memory_map_read(struct map_facts *facts);
int memory_map_frame_usable(uint32_t frame);

void memory_setup_checks(struct map_facts *facts);
void first_light_checks(void);
void frame_allocation_checks(const struct map_facts *facts);
void temporary_mapping_checks(const struct map_facts *facts);
void kernel_heap_checks(void);
void region_checks(const struct map_facts *facts);

#endif
