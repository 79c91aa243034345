/*
 * The i386 kernel's entry. GRUB's multiboot2 command jumps here in 32-bit protected mode, paging
 * off, with flat code and data segments (from a GDT we may not rely on for long), EAX = the
 * Multiboot2 magic and EBX = the physical address of the boot information.
 */
#include "layout.h"

    .section .bss
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .text
    .global _start
    .type _start, @function
_start:
    cli
    cld
    mov %eax, %esi               /* keep magic and information out of rep stosb's registers */
    mov %ebx, %edx

    /* The ELF loader zeroes .bss already; doing it again makes the kernel independent of how it
     * was loaded. The stack is part of .bss, so it is set up afterwards. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $boot_stack_top, %esp
    sub $8, %esp                 /* keeps %esp 16-aligned at the call, as gcc assumes */
    push %edx                    /* kmain(magic, info_phys) */
    push %esi
    call kmain                   /* never returns */
1:  cli
    hlt
    jmp 1b
    .size _start, . - _start
