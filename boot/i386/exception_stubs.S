/*
 * The i386 exception entry points. Each vector's stub makes the stack look the same (an error
 * code, pushed by the CPU or a 0 pushed here, and the vector number), then exception_common saves
 * the registers as struct trap_frame (trap_frame.h) and calls exception_dispatch (traps.c), which
 * may change the saved registers, e.g. the ip, to resume somewhere else.
 */
#include "probe.h"
#include "segments.h"

/* The exceptions for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro exception_stub vector
exception_stub_\vector:
    .if HAS_ERROR_CODE(\vector)
    .else
    pushl $0                     /* stands in for the error code the CPU did not push */
    .endif
    pushl $\vector
    jmp exception_common
.endm

    .text
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    exception_stub \vector
    .endr

/* `int $USER_PROBE_RETURN_VECTOR`: how the ring-3 stub says its access did not fault. */
    .global user_probe_return_stub
user_probe_return_stub:
    pushl $0
    pushl $USER_PROBE_RETURN_VECTOR
    jmp exception_common

exception_common:
    pusha
    pushl %ds
    pushl %es
    mov $KERNEL_DS, %eax         /* a trap from ring 3 arrives with the user's data segments */
    mov %ax, %ds
    mov %ax, %es
    cld                          /* the C calling convention */
    push %esp                    /* exception_dispatch(struct trap_frame *) */
    call exception_dispatch
    add $4, %esp
    popl %es
    popl %ds
    popa
    add $8, %esp                 /* vector and error code */
    iret

    .section .rodata
    .balign 4
    .global exception_stubs
exception_stubs:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exception_stub_\vector
    .endr
