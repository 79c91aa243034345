/* Port I/O: the serial line and isa-debug-exit are reached through ports, not memory, so they keep
 * working whatever page tables the TypeScript loads. */
#ifndef TSMM_IO_H
#define TSMM_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

#endif
