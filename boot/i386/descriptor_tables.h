/* The i386 kernel's own GDT (with its TSS) and IDT: the loader's GDT is undefined once we run. */
#ifndef TSMM_DESCRIPTOR_TABLES_H
#define TSMM_DESCRIPTOR_TABLES_H

#include <stdint.h>

#include "layout.h"

/* The stack the CPU switches to (TSS.esp0) on a trap from ring 3. */
extern uint8_t trap_stack[TRAP_STACK_SIZE];

void gdt_init(void);
void idt_init(void);

#endif
