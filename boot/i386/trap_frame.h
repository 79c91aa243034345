/* The state saved by exception_common (exception_stubs.S), lowest address first. Register names
 * drop the e/r prefix so that the common trap code reads the same on both kernels. */
#ifndef TSMM_TRAP_FRAME_H
#define TSMM_TRAP_FRAME_H

#include <stdint.h>

struct trap_frame {
  uint32_t es, ds;                                  /* pushed by exception_common */
  uint32_t di, si, bp, sp_ignored, bx, dx, cx, ax;  /* pusha: popa restores all but sp */
  uint32_t vector, error;                           /* pushed by the stub (error: by the CPU, or a 0) */
  uint32_t ip, cs, flags;                           /* pushed by the CPU */
  uint32_t user_sp, user_ss;                        /* pushed by the CPU only on traps from ring 3 */
};

#endif
