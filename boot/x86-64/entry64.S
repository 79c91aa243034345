/*
 * The first 64-bit code at its linked (higher-half) address, reached from boot32.S with the
 * boot page tables loaded, %edi = Multiboot2 magic, %esi = physical address of the boot
 * information.
 */
#include "layout.h"
#include "segments.h"

    .section .bss
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:

    .text
    .code64
    .global long_mode_entry
long_mode_entry:
    mov $KERNEL_DS, %eax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea boot_stack_top(%rip), %rsp   /* the same stack, now at its higher-half address */

    /* The upper halves of the registers are undefined after 32-bit code: zero-extend the two
     * values carried over (a 32-bit move clears bits 63:32). */
    mov %edi, %edi
    mov %esi, %esi
    call kmain                       /* never returns */
1:  cli
    hlt
    jmp 1b
