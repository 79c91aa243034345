/*
 * Probing accesses: shared by the C side (probe.c, which keeps the bookkeeping and decides what a
 * trap during a probe means) and the assembly side (boot/<arch>/probe.S, which performs the
 * accesses, and boot/<arch>/user_stub.S, the ring-3 code).
 */
#ifndef TSMM_PROBE_H
#define TSMM_PROBE_H

#define PROBE_READ 0
/* Reads the word, then writes the same value back, so memory does not change. If the read
 * faults, the trap handler resumes at the write anyway: a page that refuses a read refuses a
 * write too (x86 has no write-only pages), so the write faults as well and cannot land, and the
 * probe reports a write's error code (with W) whether the page is absent, read-only or kernel. */
#define PROBE_WRITE 1
#define PROBE_EXEC 2 /* calls (or, from ring 3, jumps to) a `ret` the caller placed */

/* The vector the ring-3 stub raises with `int` when its access did not fault. Its IDT gate is the
 * only one with DPL 3: `int` on any other vector from ring 3 is a #GP. */
#define USER_PROBE_RETURN_VECTOR 0x80

#ifndef __ASSEMBLER__
#include "glue.h"
#include "traps.h"

/* C side (probe.c): called by the trap dispatcher for every exception. Returns 1 when the trap
 * was an expected fault of a probe and the frame now says where to resume; ends a user probe
 * without returning; returns 0 for anything unexpected. */
int probe_handle_trap(struct trap_frame *frame, uintptr_t fault_address);

/* Assembly side (probe.S). */
/* Performs one supervisor access; returns -1, or the error code when it faulted (the trap
 * handler then put the code in the result register and resumed at probe_recover). */
glue_i32 probe_access(uintptr_t address, glue_i32 kind);
/* The instructions in probe_access that may fault, and where it resumes after a fault that ends
 * the probe. */
extern const char probe_read_insn[], probe_write_read_insn[], probe_write_write_insn[];
extern const char probe_recover[];
/* Saves the kernel context, then IRETs to ring 3 at `entry` with the target in the register the
 * stub expects. Returns the value later passed to user_probe_resume. */
glue_i32 user_probe_enter(uintptr_t target, uintptr_t entry);
/* Called on the trap stack when the ring-3 stub came back: drops the trap frame, restores the
 * context saved by user_probe_enter and makes it return `result`. */
void user_probe_resume(glue_i32 result) __attribute__((noreturn));

/* The ring-3 stub (user_stub.S): the page's first byte, one entry per kind, and the
 * instructions that may fault. */
extern const char user_stub_page[];
extern const char user_stub_read[], user_stub_write[], user_stub_exec[];
extern const char user_stub_read_insn[], user_stub_write_read_insn[], user_stub_write_write_insn[];
#endif

#endif
