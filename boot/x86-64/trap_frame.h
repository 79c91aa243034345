/* The state saved by exception_common (exception_stubs.S), lowest address first. Register names
 * drop the r prefix so that the common trap code reads the same on both kernels. */
#ifndef TSMM_TRAP_FRAME_H
#define TSMM_TRAP_FRAME_H

#include <stdint.h>

struct trap_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8; /* pushed by exception_common */
  uint64_t bp, di, si, dx, cx, bx, ax;
  uint64_t vector, error; /* pushed by the stub (error: by the CPU, or a 0) */
  uint64_t ip, cs, flags; /* pushed by the CPU ... */
  uint64_t sp, ss;        /* ... always, in 64-bit mode */
};

#endif
