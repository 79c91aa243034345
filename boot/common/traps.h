/* The C end of every exception stub (boot/<arch>/exception_stubs.S). */
#ifndef TSMM_TRAPS_H
#define TSMM_TRAPS_H

#include "trap_frame.h" /* boot/<arch>/trap_frame.h: the saved state, as the stubs lay it out */

#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_PAGE_FAULT 14

#define PF_ERROR_PRESENT 0x01
#define PF_ERROR_WRITE 0x02
#define PF_ERROR_USER 0x04
#define PF_ERROR_FETCH 0x10

/* Handles one exception. When it returns, the stub resumes at frame->ip (which it may have
 * changed); otherwise it ended a user probe or stopped the kernel. */
void exception_dispatch(struct trap_frame *frame);

static inline int trap_from_user(const struct trap_frame *frame) { return (frame->cs & 3) == 3; }

#endif
