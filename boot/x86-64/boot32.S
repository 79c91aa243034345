/*
 * The x86-64 kernel's entry, in 32-bit code. GRUB's multiboot2 command jumps here in 32-bit
 * protected mode, paging off, EAX = the Multiboot2 magic, EBX = the physical address of the boot
 * information. This code lives in the low section .boot.text, linked at its load address, because
 * it runs before any page table exists; what it touches in the rest of the image (linked at the
 * higher half) it reaches through PHYS(symbol).
 *
 * It builds page tables that map physical 0..1 GiB twice with 2 MiB pages: at 0 (identity, for
 * this code and the jump into 64-bit mode) and at 0xFFFFFFFF80000000 (where the kernel is linked),
 * with 5 levels when the command line says "la57" and the CPU has LA57, else 4. Then it turns on
 * long mode and jumps into the higher half (entry64.S).
 */
#include "layout.h"
#include "multiboot2.h"
#include "segments.h"

#define PHYS(symbol) ((symbol) - KERNEL_VIRTUAL_OFFSET)

#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_LA57 (1 << 12)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define CPUID_EXT_LONG_MODE 29 /* CPUID.80000001h:EDX */
#define CPUID_EXT_NX 20        /* CPUID.80000001h:EDX */
#define CPUID_7_LA57 16        /* CPUID.(7,0):ECX */

#define PTE_PRESENT 0x1
#define PTE_WRITABLE 0x2
#define PTE_LARGE 0x80 /* in a page directory: a 2 MiB page */
#define TABLE_ENTRY(table) (PHYS(table) + PTE_PRESENT + PTE_WRITABLE)
#define LARGE_PAGE_SIZE 0x200000

#define ASCII_SPACE 0x20
#define LA57_AS_U32 0x3735616C /* "la57", little-endian */

/* ---- the boot page tables, in .bss: zeroed before use, 4 KiB-aligned ---- */
    .section .bss
    .balign 4096
boot_pml5:                       /* [0] and [511] -> boot_pml4; used only for 5-level paging */
    .skip 4096
boot_pml4:                       /* [0] -> boot_pdpt_low, [511] -> boot_pdpt_high */
    .skip 4096
boot_pdpt_low:                   /* [0] -> boot_pd: linear 0..1 GiB */
    .skip 4096
boot_pdpt_high:                  /* [510] -> boot_pd: linear 0xFFFFFFFF80000000 + 0..1 GiB */
    .skip 4096
boot_pd:                         /* 512 large pages: physical 0..1 GiB */
    .skip 4096

/* What the boot chose, for arch_log_boot (arch.c). */
    .balign 4
    .global boot_paging_levels, boot_la57_refused
boot_paging_levels:              /* 4 or 5 */
    .skip 4
boot_la57_refused:               /* 1: the command line asked for la57, the CPU lacks it */
    .skip 4

/* ---- the loader's way in ---- */
    .section .boot.text, "ax"
    .code32
    .global _start
    .type _start, @function
_start:
    cli
    cld
    mov %eax, %ebp               /* Multiboot2 magic, until it moves to %edi for kmain */
    mov %ebx, %esi               /* boot information: stays in %esi, kmain's second argument */

    /* The ELF loader zeroes .bss already; doing it again makes the kernel independent of how it
     * was loaded, and the page tables below rely on zeroed memory. */
    mov $PHYS(__bss_start), %edi
    mov $PHYS(__bss_end), %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $PHYS(boot_stack_top), %esp
    call require_long_mode
    call choose_paging_levels
    call build_page_tables
    call enter_long_mode

    lgdt boot_gdtr
    mov %ebp, %edi               /* kmain(magic, info_phys) */
    ljmp $KERNEL_CS, $long_mode_low
    .size _start, . - _start

require_long_mode:
    mov $0x80000000, %eax
    cpuid                        /* %eax: highest extended leaf */
    cmp $0x80000001, %eax
    jb 1f
    mov $0x80000001, %eax
    cpuid
    bt $CPUID_EXT_LONG_MODE, %edx
    jnc 1f
    ret
1:  mov $no_long_mode_message, %ebx
    jmp early_fail

/* boot_paging_levels = 5 if the command line has the word "la57" and the CPU has LA57, else 4. */
choose_paging_levels:
    movl $4, PHYS(boot_paging_levels)
    call cmdline_asks_la57
    test %eax, %eax
    jz 2f
    xor %eax, %eax
    cpuid                        /* %eax: highest basic leaf */
    cmp $7, %eax
    jb 1f
    mov $7, %eax
    xor %ecx, %ecx
    cpuid
    bt $CPUID_7_LA57, %ecx
    jnc 1f
    movl $5, PHYS(boot_paging_levels)
    ret
1:  movl $1, PHYS(boot_la57_refused)
2:  ret

/*
 * %eax = 1 if the Multiboot2 command line (tag 1) of the information at %esi has the whole word
 * "la57", else 0. A word ends at any byte <= ' ', as in kernel_cmdline_has (multiboot.c), which
 * C code uses later; this copy exists because the choice must be made before long mode: CR4.LA57
 * cannot change once long mode is on.
 */
cmdline_asks_la57:
    push %esi
    lea MULTIBOOT2_INFO_HEADER_SIZE(%esi), %edx     /* the first tag */
.Lnext_tag:
    mov (%edx), %eax
    cmp $MULTIBOOT2_TAG_END, %eax
    je .Lno
    cmp $MULTIBOOT2_TAG_CMDLINE, %eax
    je .Lscan
    mov 4(%edx), %eax                               /* tag size, without padding */
    cmp $MULTIBOOT2_TAG_HEADER_SIZE, %eax
    jb .Lno                                         /* malformed: never loop in place */
    add $(MULTIBOOT2_TAG_ALIGN - 1), %eax
    and $-MULTIBOOT2_TAG_ALIGN, %eax
    add %eax, %edx
    jmp .Lnext_tag
.Lscan:
    lea MULTIBOOT2_TAG_HEADER_SIZE(%edx), %esi      /* the NUL-terminated string */
.Lbetween_words:
    movzbl (%esi), %eax
    test %eax, %eax
    jz .Lno
    cmp $ASCII_SPACE, %eax
    ja .Lword
    inc %esi
    jmp .Lbetween_words
.Lword:
    /* Four non-NUL bytes must match, so this never compares past the string's end. */
    cmpl $LA57_AS_U32, (%esi)
    jne .Lskip_word
    cmpb $ASCII_SPACE, 4(%esi)
    jbe .Lyes
.Lskip_word:
    inc %esi
    movzbl (%esi), %eax
    cmp $ASCII_SPACE, %eax
    ja .Lskip_word
    jmp .Lbetween_words
.Lyes:
    mov $1, %eax
    pop %esi
    ret
.Lno:
    xor %eax, %eax
    pop %esi
    ret

build_page_tables:
    mov $PHYS(boot_pd), %edx
    mov $(PTE_PRESENT | PTE_WRITABLE | PTE_LARGE), %eax
    xor %ecx, %ecx
1:  mov %eax, (%edx, %ecx, 8)    /* the entry's high half stays 0 */
    add $LARGE_PAGE_SIZE, %eax
    inc %ecx
    cmp $512, %ecx
    jne 1b

    movl $TABLE_ENTRY(boot_pd), PHYS(boot_pdpt_low)
    movl $TABLE_ENTRY(boot_pd), PHYS(boot_pdpt_high) + 510 * 8
    movl $TABLE_ENTRY(boot_pdpt_low), PHYS(boot_pml4)
    movl $TABLE_ENTRY(boot_pdpt_high), PHYS(boot_pml4) + 511 * 8
    /* With 5 levels the top 9 bits of the 57-bit address pick the PML5 entry: 0 for low memory,
     * 511 for the higher half. Both lead to the same PML4. */
    movl $TABLE_ENTRY(boot_pml4), PHYS(boot_pml5)
    movl $TABLE_ENTRY(boot_pml4), PHYS(boot_pml5) + 511 * 8
    ret

/* PAE (+ LA57), CR3, EFER.LME (+ NXE), then CR0.PG: the CPU is in long mode, running this 32-bit
 * code in compatibility mode until the far jump loads a 64-bit CS. */
enter_long_mode:
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov $PHYS(boot_pml4), %edx
    cmpl $5, PHYS(boot_paging_levels)
    jne 1f
    or $CR4_LA57, %eax
    mov $PHYS(boot_pml5), %edx
1:  mov %eax, %cr4
    mov %edx, %cr3

    mov $0x80000001, %eax
    cpuid
    mov $EFER_LME, %ebx
    bt $CPUID_EXT_NX, %edx       /* EFER.NXE may only be set if the CPU has NX */
    jnc 2f
    or $EFER_NXE, %ebx
2:  mov $MSR_EFER, %ecx
    rdmsr
    or %ebx, %eax
    wrmsr

    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0
    ret

/* Prints the NUL-terminated text at %ebx on COM1 (the UART works without set-up under QEMU) and
 * exits QEMU with the "failed" verdict. For failures before C can run. */
early_fail:
1:  movzbl (%ebx), %ecx
    test %ecx, %ecx
    jz 3f
    mov $0x3FD, %dx              /* line status */
2:  in %dx, %al
    test $0x20, %al              /* transmitter empty */
    jz 2b
    mov $0x3F8, %dx
    mov %cl, %al
    out %al, %dx
    inc %ebx
    jmp 1b
3:  mov $0xF4, %dx               /* isa-debug-exit */
    mov $0x11, %al
    out %al, %dx
4:  cli
    hlt
    jmp 4b

    .code64
long_mode_low:
    /* Now in 64-bit mode, still at the identity address: go to the linked one. */
    movabs $long_mode_entry, %rax
    jmp *%rax

    .section .boot.rodata, "a"
    .balign 8
/* Just enough GDT for the jump into 64-bit mode, at the selectors of segments.h; gdt.c loads the
 * real one. The accessed bits are preset so that the CPU never writes to this table. */
boot_gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF     /* KERNEL_CS: 64-bit code, DPL 0 */
    .quad 0x00CF93000000FFFF     /* KERNEL_DS: data, DPL 0 */
boot_gdt_end:
boot_gdtr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

no_long_mode_message:
    .asciz "FATAL the CPU has no long mode (CPUID.80000001h:EDX[29]): this kernel needs x86-64\nSUMMARY 0 1\n"
