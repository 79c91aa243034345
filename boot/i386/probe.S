/*
 * Probed accesses, i386. See probe.c for the C side and the whole story.
 *
 * Supervisor probe: probe_access does the access at a known instruction address; if it faults,
 * the trap handler recognises that address, puts the error code in the saved %eax and resumes
 * at probe_recover, which returns it.
 *
 * User probe: user_probe_enter saves the kernel context and IRETs to the ring-3 stub; the trap
 * that ends the stub's run (its `int`, or a fault) reaches probe.c on the trap stack, which
 * calls user_probe_resume to drop that trap frame and return from user_probe_enter.
 */
#include "probe.h"
#include "segments.h"

#define EFLAGS_RESERVED_ONE 0x2 /* bit 1 is always set; IF, TF, NT clear and IOPL 0 */

    .section .bss
    .balign 4
probe_saved_sp:                  /* %esp inside probe_access, for probe_recover */
    .skip 4
user_probe_kernel_sp:            /* %esp inside user_probe_enter, for user_probe_resume */
    .skip 4

    .text

/* glue_i32 probe_access(uintptr_t address, glue_i32 kind): -1, or the page-fault error code. */
    .global probe_access, probe_read_insn, probe_write_read_insn, probe_write_write_insn
probe_access:
    mov 4(%esp), %ecx
    mov 8(%esp), %edx
    mov %esp, probe_saved_sp
    cmp $PROBE_READ, %edx
    je .Lread
    cmp $PROBE_WRITE, %edx
    je .Lwrite
    call *%ecx                   /* PROBE_EXEC: a failed fetch faults with ip = the target */
    jmp .Lno_fault
.Lread:
probe_read_insn:
    mov (%ecx), %eax
    jmp .Lno_fault
.Lwrite:
probe_write_read_insn:
    mov (%ecx), %eax
probe_write_write_insn:
    mov %eax, (%ecx)             /* writes back what it read: see PROBE_WRITE in probe.h */
.Lno_fault:
    mov $-1, %eax
    ret

    .global probe_recover
probe_recover:
    mov probe_saved_sp, %esp     /* also drops the return address a faulting `call` pushed */
    ret                          /* %eax: the error code, set by the trap handler */

/*
 * glue_i32 user_probe_enter(uintptr_t target, uintptr_t entry)
 *
 * Why this cannot corrupt the kernel's state:
 *  - the callee-saved registers and %esp are saved here, on the kernel stack, and restored by
 *    user_probe_resume; the caller-saved ones are the caller's business, as for any call;
 *  - a trap from ring 3 switches to TSS.esp0, a stack of its own (trap_stack), so the trap frame
 *    never lands on the frames saved here; that stack is simply abandoned on the way back (the
 *    next trap from ring 3 starts at its top again);
 *  - interrupts stay off (IF clear in the pushed EFLAGS), so nothing else runs meanwhile;
 *  - ring 3 gets no kernel data: every register is cleared but %ebx (the target), and it can do
 *    no more than the stub's one access, whose write stores back the value it found;
 *  - the stub has no stack: %esp points into the kernel's trap stack, which ring 3 may not read,
 *    so any stack access traps at once (for an execute probe that is how the `ret` at the
 *    target comes back: see probe.c).
 */
    .global user_probe_enter
user_probe_enter:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, user_probe_kernel_sp
    mov 20(%esp), %ebx           /* target, where the stub expects it */
    mov 24(%esp), %ecx           /* entry: the stub's linear address for this kind */

    pushl $USER_DS               /* SS */
    pushl $trap_stack            /* ESP: readable by the kernel only */
    pushl $EFLAGS_RESERVED_ONE   /* EFLAGS */
    pushl $USER_CS               /* CS, RPL 3: IRET drops to ring 3 */
    push %ecx                    /* EIP */

    mov $USER_DS, %eax           /* the stub's data access goes through %ds */
    mov %ax, %ds
    mov %ax, %es
    xor %eax, %eax
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    iret

/* void user_probe_resume(glue_i32 result): runs on the trap stack. */
    .global user_probe_resume
user_probe_resume:
    mov 4(%esp), %eax
    mov $KERNEL_DS, %ecx
    mov %cx, %ds
    mov %cx, %es
    mov user_probe_kernel_sp, %esp
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret                          /* from user_probe_enter, with %eax = result */
