/*
 * The ring-3 probe stub, i386: alone in its page-aligned 4 KiB section (.user_stub, see
 * linker/i386.ld), so that the kernel can map this one page user-accessible without exposing
 * anything else. Position-independent: it runs at whatever linear address the caller mapped.
 *
 * user_probe_enter enters at the label for the probe's kind with the target in %ebx. The stub
 * never touches its stack (it has none, see probe.S).
 */
#include "probe.h"

    .section .user_stub, "ax"
    .global user_stub_page
user_stub_page:

    .global user_stub_read, user_stub_read_insn
user_stub_read:
user_stub_read_insn:
    mov (%ebx), %eax
    int $USER_PROBE_RETURN_VECTOR

    .global user_stub_write, user_stub_write_read_insn, user_stub_write_write_insn
user_stub_write:
user_stub_write_read_insn:
    mov (%ebx), %eax
user_stub_write_write_insn:
    mov %eax, (%ebx)             /* writes back what it read: see PROBE_WRITE in probe.h */
    int $USER_PROBE_RETURN_VECTOR

/* A jump, not a call: a call would push. The `ret` at the target then pops from the unusable
 * stack and faults, at the target: that fault means the fetch went through. */
    .global user_stub_exec
user_stub_exec:
    jmp *%ebx
