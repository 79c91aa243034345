/*
 * The ring-3 probe stub, x86-64: alone in its page-aligned 4 KiB section (.user_stub, see
 * linker/x86-64.ld), so that the kernel can map this one page user-accessible without exposing
 * anything else. Position-independent: it runs at whatever linear address the caller mapped.
 *
 * user_probe_enter enters at the label for the probe's kind with the target in %rbx. The stub
 * never touches its stack (it has none, see probe.S).
 */
#include "probe.h"

    .section .user_stub, "ax"
    .code64
    .global user_stub_page
user_stub_page:

    .global user_stub_read, user_stub_read_insn
user_stub_read:
user_stub_read_insn:
    movl (%rbx), %eax
    int $USER_PROBE_RETURN_VECTOR

    .global user_stub_write, user_stub_write_read_insn, user_stub_write_write_insn
user_stub_write:
user_stub_write_read_insn:
    movl (%rbx), %eax
user_stub_write_write_insn:
    movl %eax, (%rbx)            /* writes back what it read: see PROBE_WRITE in probe.h */
    int $USER_PROBE_RETURN_VECTOR

/* A jump, not a call: a call would push. The `ret` at the target then pops from the unusable
 * stack and faults, at the target: that fault means the fetch went through. */
    .global user_stub_exec
user_stub_exec:
    jmp *%rbx
