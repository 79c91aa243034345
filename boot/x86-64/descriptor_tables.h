/* The x86-64 kernel's own GDT (with its TSS) and IDT, at higher-half addresses, so that they stay
 * valid whatever the TypeScript's page tables do with low memory. */
#ifndef TSMM_DESCRIPTOR_TABLES_H
#define TSMM_DESCRIPTOR_TABLES_H

#define DOUBLE_FAULT_IST 1 /* the TSS.ist slot #DF runs on */

void gdt_init(void);
void idt_init(void);

#endif
