/*
 * The x86-64 exception entry points. Each vector's stub makes the stack look the same (an error
 * code, pushed by the CPU or a 0 pushed here, and the vector number), then exception_common saves
 * the registers as struct trap_frame (trap_frame.h) and calls exception_dispatch (traps.c), which
 * may change the saved registers, e.g. the ip, to resume somewhere else.
 */
#include "probe.h"

/* The exceptions for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro exception_stub vector
exception_stub_\vector:
    .if HAS_ERROR_CODE(\vector)
    .else
    pushq $0                     /* stands in for the error code the CPU did not push */
    .endif
    pushq $\vector
    jmp exception_common
.endm

    .text
    .code64
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    exception_stub \vector
    .endr

/* `int $USER_PROBE_RETURN_VECTOR`: how the ring-3 stub says its access did not fault. */
    .global user_probe_return_stub
user_probe_return_stub:
    pushq $0
    pushq $USER_PROBE_RETURN_VECTOR
    jmp exception_common

exception_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld                          /* the C calling convention */
    /* The CPU aligned %rsp to 16 before pushing its 5 words; with the 2 of the stub and these 15
     * that is 22 words: %rsp is 16-aligned at the call, as the ABI wants. */
    mov %rsp, %rdi               /* exception_dispatch(struct trap_frame *) */
    call exception_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                /* vector and error code */
    iretq

    .section .rodata
    .balign 8
    .global exception_stubs
exception_stubs:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exception_stub_\vector
    .endr
