/*
 * Every exception lands here. The only expected ones are the faults of probes (probe.c); any
 * other is a bug in the kernel, reported with the state needed to find it, and the end of the
 * run.
 */
#include "boot.h"
#include "probe.h"
#include "traps.h"

static inline uintptr_t read_cr2(void) {
  uintptr_t value;
  __asm__ volatile("mov %%cr2, %0" : "=r"(value));
  return value;
}

void exception_dispatch(struct trap_frame *frame) {
  /* CR2 first: it only means something for #PF, and any later fault would overwrite it. */
  uintptr_t cr2 = read_cr2();
  if (probe_handle_trap(frame, cr2)) return;

  serial_write("FATAL exception ");
  serial_write_dec((int64_t)frame->vector);
  serial_write(" err=");
  serial_write_hex(frame->error);
  serial_write(" ip=");
  serial_write_hex(frame->ip);
  serial_write(" cr2=");
  serial_write_hex(cr2);
  serial_write(trap_from_user(frame) ? " (in ring 3)\n" : "\n");
  report_abort();
}
