/*
 * GDT selectors, the same on both kernels (the descriptors behind them differ: see
 * boot/<arch>/gdt.c). Plain #defines so that assembly can include this file too.
 *
 * A selector is (index << 3) | requested privilege level; user selectors carry RPL 3 because
 * IRET to ring 3 needs CS.RPL = 3 and an SS whose RPL equals the new CPL.
 */
#ifndef TSMM_SEGMENTS_H
#define TSMM_SEGMENTS_H

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS (0x18 | 3)
#define USER_DS (0x20 | 3)
#define TSS_SELECTOR 0x28

#endif
