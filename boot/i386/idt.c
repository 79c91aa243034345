/*
 * The i386 IDT: the 32 exception vectors, and the vector the ring-3 probe stub uses to come back.
 * Interrupt gates (not trap gates), so that a handler never runs with interrupts on; they are off
 * all the time anyway, as nothing programs the interrupt controllers.
 */
#include "boot.h"
#include "descriptor_tables.h"
#include "probe.h"
#include "segments.h"

#define GATE_INTERRUPT_32 0x8E /* present, DPL 0, 32-bit interrupt gate */
#define GATE_DPL3 0x60         /* may be raised by `int` from ring 3 */

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t zero;
  uint8_t type_attributes;
  uint16_t offset_high;
} __attribute__((packed));

extern const uintptr_t exception_stubs[32];
extern const char user_probe_return_stub[];

static struct idt_gate idt[256] __attribute__((aligned(8)));

static void set_gate(unsigned vector, uintptr_t handler, uint8_t type_attributes) {
  idt[vector] = (struct idt_gate){
      .offset_low = (uint16_t)handler,
      .selector = KERNEL_CS,
      .type_attributes = type_attributes,
      .offset_high = (uint16_t)(handler >> 16),
  };
}

void idt_init(void) {
  for (unsigned vector = 0; vector < 32; vector++) set_gate(vector, exception_stubs[vector], GATE_INTERRUPT_32);
  set_gate(USER_PROBE_RETURN_VECTOR, (uintptr_t)user_probe_return_stub, GATE_INTERRUPT_32 | GATE_DPL3);

  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) idtr = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}
