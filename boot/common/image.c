/*
 * Where the loaded image lies, from symbols the linker scripts define (linker/<arch>.ld). The
 * symbols are absolute physical addresses, so taking their address gives the number itself.
 */
#include "boot.h"

extern const char __image_phys_start[];
extern const char __image_phys_end[]; /* after .bss, page-aligned */
extern const char __user_stub_phys[];

uint32_t kernel_image_phys_start(void) { return (uint32_t)(uintptr_t)__image_phys_start; }

uint32_t kernel_image_phys_end(void) { return (uint32_t)(uintptr_t)__image_phys_end; }

uint32_t kernel_user_stub_phys(void) { return (uint32_t)(uintptr_t)__user_stub_phys; }

uint64_t kernel_virtual_offset(void) { return KERNEL_VIRTUAL_OFFSET; }
