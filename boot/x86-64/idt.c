/*
 * The x86-64 IDT: the 32 exception vectors, and the vector the ring-3 probe stub uses to come
 * back. Interrupt gates, so that a handler never runs with interrupts on; they are off all the
 * time anyway, as nothing programs the interrupt controllers.
 */
#include "boot.h"
#include "descriptor_tables.h"
#include "probe.h"
#include "segments.h"
#include "traps.h"

#define GATE_INTERRUPT_64 0x8E /* present, DPL 0, 64-bit interrupt gate */
#define GATE_DPL3 0x60         /* may be raised by `int` from ring 3 */

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist; /* 0: stay on the current stack (or rsp0, coming from ring 3) */
  uint8_t type_attributes;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
} __attribute__((packed));

extern const uintptr_t exception_stubs[32];
extern const char user_probe_return_stub[];

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uintptr_t handler, uint8_t type_attributes, uint8_t ist) {
  idt[vector] = (struct idt_gate){
      .offset_low = (uint16_t)handler,
      .selector = KERNEL_CS,
      .ist = ist,
      .type_attributes = type_attributes,
      .offset_mid = (uint16_t)(handler >> 16),
      .offset_high = (uint32_t)(handler >> 32),
  };
}

void idt_init(void) {
  for (unsigned vector = 0; vector < 32; vector++) set_gate(vector, exception_stubs[vector], GATE_INTERRUPT_64, 0);
  /* A double fault often means the stack is gone: give it one that is known to work, so that
   * it can still be reported. */
  set_gate(VECTOR_DOUBLE_FAULT, exception_stubs[VECTOR_DOUBLE_FAULT], GATE_INTERRUPT_64, DOUBLE_FAULT_IST);
  set_gate(USER_PROBE_RETURN_VECTOR, (uintptr_t)user_probe_return_stub, GATE_INTERRUPT_64 | GATE_DPL3, 0);

  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}
