/*
 * Probed accesses, x86-64. See probe.c for the C side and the whole story.
 *
 * Supervisor probe: probe_access does the access at a known instruction address; if it faults,
 * the trap handler recognises that address, puts the error code in the saved %rax and resumes
 * at probe_recover, which returns it.
 *
 * User probe: user_probe_enter saves the kernel context and IRETs to the ring-3 stub; the trap
 * that ends the stub's run (its `int`, or a fault) reaches probe.c on the trap stack, which
 * calls user_probe_resume to drop that trap frame and return from user_probe_enter.
 */
#include "probe.h"
#include "segments.h"

#define RFLAGS_RESERVED_ONE 0x2 /* bit 1 is always set; IF, TF, NT clear and IOPL 0 */
/* Bit 63 set, bits 62:47 clear: non-canonical for 4- and 5-level paging alike, so any use as
 * an address faults (#GP or #SS) whatever the page tables say. */
#define NO_USER_STACK 0x8000000000000000

    .section .bss
    .balign 8
probe_saved_sp:                  /* %rsp inside probe_access, for probe_recover */
    .skip 8
user_probe_kernel_sp:            /* %rsp inside user_probe_enter, for user_probe_resume */
    .skip 8

    .text
    .code64

/* glue_i32 probe_access(uintptr_t address (%rdi), glue_i32 kind (%esi)): -1, or the error code. */
    .global probe_access, probe_read_insn, probe_write_read_insn, probe_write_write_insn
probe_access:
    mov %rsp, probe_saved_sp(%rip)
    cmp $PROBE_READ, %esi
    je .Lread
    cmp $PROBE_WRITE, %esi
    je .Lwrite
    call *%rdi                   /* PROBE_EXEC: a failed fetch faults with ip = the target */
    jmp .Lno_fault
.Lread:
probe_read_insn:
    movl (%rdi), %eax
    jmp .Lno_fault
.Lwrite:
probe_write_read_insn:
    movl (%rdi), %eax
probe_write_write_insn:
    movl %eax, (%rdi)            /* writes back what it read: see PROBE_WRITE in probe.h */
.Lno_fault:
    mov $-1, %eax
    ret

    .global probe_recover
probe_recover:
    mov probe_saved_sp(%rip), %rsp   /* also drops the return address a faulting `call` pushed */
    ret                              /* %eax: the error code, set by the trap handler */

/*
 * glue_i32 user_probe_enter(uintptr_t target (%rdi), uintptr_t entry (%rsi))
 *
 * Why this cannot corrupt the kernel's state:
 *  - the callee-saved registers and %rsp are saved here, on the kernel stack, and restored by
 *    user_probe_resume; the caller-saved ones are the caller's business, as for any call;
 *  - a trap from ring 3 switches to TSS.rsp0, a stack of its own (gdt.c), so the trap frame never
 *    lands on the frames saved here; that stack is simply abandoned on the way back (the next
 *    trap from ring 3 starts at its top again);
 *  - interrupts stay off (IF clear in the pushed RFLAGS), so nothing else runs meanwhile;
 *  - ring 3 gets no kernel data: every register is cleared but %rbx (the target), and it can do
 *    no more than the stub's one access, whose write stores back the value it found;
 *  - the stub has no stack: %rsp is non-canonical, so any stack access traps at once (for an
 *    execute probe that is how the `ret` at the target comes back: see probe.c).
 */
    .global user_probe_enter
user_probe_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, user_probe_kernel_sp(%rip)
    mov %rdi, %rbx               /* target, where the stub expects it */

    pushq $USER_DS               /* SS */
    movabs $NO_USER_STACK, %rax
    push %rax                    /* RSP */
    pushq $RFLAGS_RESERVED_ONE   /* RFLAGS */
    pushq $USER_CS               /* CS, RPL 3: IRET drops to ring 3 */
    push %rsi                    /* RIP */

    xor %eax, %eax               /* 32-bit moves clear the whole 64-bit register */
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    iretq

/* void user_probe_resume(glue_i32 result (%edi)): runs on the trap stack. */
    .global user_probe_resume
user_probe_resume:
    mov %edi, %eax
    /* The trap from ring 3 left %ss null and IRET to ring 3 had nulled %ds and %es: restore the
     * kernel's (64-bit mode ignores them for addressing, but keep the state as it was). */
    mov $KERNEL_DS, %ecx
    mov %cx, %ds
    mov %cx, %es
    mov %cx, %ss
    mov user_probe_kernel_sp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret                          /* from user_probe_enter, with %eax = result */
