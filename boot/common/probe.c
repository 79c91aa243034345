/*
 * Probes: an access that may fault, done on purpose so that tests can ask the MMU itself whether
 * a page is mapped, writable, executable, or reachable from ring 3.
 *
 * The accesses are in assembly (boot/<arch>/probe.S, user_stub.S) so that the address of every
 * instruction that may fault is known. When a page fault arrives, the trap handler asks
 * probe_handle_trap whether the faulting instruction is one of those, in the style of an
 * exception table: a kernel probe then resumes at a recovery label with the error code as its
 * result; a user probe goes back to the kernel context saved before ring 3 was entered.
 */
#include "boot.h"
#include "probe.h"
#include "traps.h"

/* The probe in progress. The kernel is single-threaded with interrupts off, so one of each is
 * enough; `active` makes sure a fault outside any probe is never mistaken for a probe's. */
static struct {
  int active;
  glue_i32 kind;
  uintptr_t target;
} kernel_probe;

static struct {
  int active;
  glue_i32 kind;
  uintptr_t target;
  uintptr_t stub; /* linear address of the stub page, as the caller mapped it */
} user_probe;

/* CR2 of the last probe that faulted. */
static uint64_t last_fault_address;

glue_i32 glue_fault_addr_lo(void) { return (glue_i32)(uint32_t)last_fault_address; }

glue_i32 glue_fault_addr_hi(void) { return (glue_i32)(uint32_t)(last_fault_address >> 32); }

static void check_kind(glue_i32 kind) {
  if (kind < PROBE_READ || kind > PROBE_EXEC) glue_fatal("probe of an unknown kind (0 read, 1 write, 2 execute)");
}

glue_i32 glue_probe(glue_i32 lo, glue_i32 hi, glue_i32 kind) {
  check_kind(kind);
  kernel_probe.target = address_from_halves(lo, hi);
  kernel_probe.kind = kind;
  kernel_probe.active = 1;
  glue_i32 result = probe_access(kernel_probe.target, kind);
  kernel_probe.active = 0;
  return result;
}

/* Where `label` of user_stub.S is, once the stub page is mapped at user_probe.stub. */
static uintptr_t in_mapped_stub(const char *label) {
  return user_probe.stub + ((uintptr_t)label - (uintptr_t)user_stub_page);
}

glue_i32 glue_probe_user(glue_i32 lo, glue_i32 hi, glue_i32 kind, glue_i32 stub_lo, glue_i32 stub_hi) {
  static const char *const entries[] = {[PROBE_READ] = user_stub_read, [PROBE_WRITE] = user_stub_write,
                                        [PROBE_EXEC] = user_stub_exec};
  check_kind(kind);
  user_probe.stub = address_from_halves(stub_lo, stub_hi);
  if ((user_probe.stub & (PAGE_SIZE - 1)) != 0) glue_fatal("glue_probe_user: the stub's linear address is not page-aligned");
  user_probe.target = address_from_halves(lo, hi);
  user_probe.kind = kind;
  user_probe.active = 1;
  /* Returns when the trap that ends the stub's run calls user_probe_resume. */
  return user_probe_enter(user_probe.target, in_mapped_stub(entries[kind]));
}

/* A fault of a kernel probe: either the read of a write probe, which goes on to the write (see
 * PROBE_WRITE), or one that ends the probe with its error code. */
static int handle_kernel_trap(struct trap_frame *frame, uintptr_t fault_address) {
  if (!kernel_probe.active || frame->vector != VECTOR_PAGE_FAULT) return 0;
  uintptr_t ip = frame->ip;
  if (ip == (uintptr_t)probe_write_read_insn) {
    frame->ip = (uintptr_t)probe_write_write_insn;
    return 1;
  }
  /* An execute probe faults while fetching the target itself, so the saved ip is the target. */
  int ends_probe = ip == (uintptr_t)probe_read_insn || ip == (uintptr_t)probe_write_write_insn ||
                   (kernel_probe.kind == PROBE_EXEC && ip == kernel_probe.target);
  if (!ends_probe) return 0;
  kernel_probe.active = 0;
  last_fault_address = fault_address;
  frame->ax = frame->error; /* probe_access's result, returned by probe_recover */
  frame->ip = (uintptr_t)probe_recover;
  return 1;
}

/* Every trap from ring 3 during a user probe is one of the stub's ways back: its `int` after an
 * access that went through, a fault of the access, or for an execute probe a trap at the target.
 * Works out the result and goes back to the kernel context, except after the read of a write
 * probe, which resumes in ring 3 at the write (see PROBE_WRITE). Returns 0 for a trap that is
 * none of these, to be reported as fatal. */
static int handle_user_trap(struct trap_frame *frame, uintptr_t fault_address) {
  if (!user_probe.active) return 0;
  uintptr_t ip = frame->ip;
  int page_fault = frame->vector == VECTOR_PAGE_FAULT;
  glue_i32 result;
  if (page_fault && ip == in_mapped_stub(user_stub_write_read_insn)) {
    frame->ip = in_mapped_stub(user_stub_write_write_insn);
    return 1;
  }
  if (frame->vector == USER_PROBE_RETURN_VECTOR && ip - user_probe.stub < PAGE_SIZE) {
    result = -1;
  } else if (page_fault && (ip == in_mapped_stub(user_stub_read_insn) || ip == in_mapped_stub(user_stub_write_write_insn))) {
    result = (glue_i32)frame->error;
    last_fault_address = fault_address;
  } else if (user_probe.kind == PROBE_EXEC && ip == user_probe.target) {
    if (page_fault && fault_address == user_probe.target) {
      result = (glue_i32)frame->error; /* fetching the target faulted */
      last_fault_address = fault_address;
    } else {
      /* The target was fetched and its `ret` ran into the stub's unusable stack pointer (see
       * user_probe_enter): that fault is the proof that the fetch succeeded. */
      result = -1;
    }
  } else {
    return 0;
  }
  user_probe.active = 0;
  user_probe_resume(result);
}

int probe_handle_trap(struct trap_frame *frame, uintptr_t fault_address) {
  return trap_from_user(frame) ? handle_user_trap(frame, fault_address) : handle_kernel_trap(frame, fault_address);
}
