/*
 * The serial protocol read by test/qemu/harness.ts: PASS/FAIL/LOG/FATAL lines, one SUMMARY,
 * then an exit through QEMU's isa-debug-exit device (a write of v to port 0xf4 ends QEMU with
 * status (v << 1) | 1).
 */
#include "boot.h"
#include "io.h"

#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_EXIT_PASSED 0x10 /* QEMU status 33 */
#define DEBUG_EXIT_FAILED 0x11 /* QEMU status 35 */

static uint32_t checks_passed;
static uint32_t checks_failed;

void report_check(const char *name, int ok, const char *what, uint64_t value) {
  serial_write(ok ? "PASS " : "FAIL ");
  serial_write(name);
  serial_write(" ");
  serial_write(what);
  serial_write("=");
  serial_write_hex(value);
  serial_write("\n");
  if (ok)
    checks_passed++;
  else
    checks_failed++;
}

void report_log(const char *text) {
  serial_write("LOG ");
  serial_write(text);
  serial_write("\n");
}

static void __attribute__((noreturn)) exit_qemu(uint32_t passed, uint32_t failed) {
  serial_write("SUMMARY ");
  serial_write_dec(passed);
  serial_write(" ");
  serial_write_dec(failed);
  serial_write("\n");
  /* A run that checked nothing has proved nothing: that is a failure too. */
  outb(DEBUG_EXIT_PORT, failed == 0 && passed > 0 ? DEBUG_EXIT_PASSED : DEBUG_EXIT_FAILED);
  /* Without the device (a real machine, another emulator) stop here for good. */
  for (;;) __asm__ volatile("cli; hlt");
}

void report_exit(void) { exit_qemu(checks_passed, checks_failed); }

void report_abort(void) { exit_qemu(checks_passed, checks_failed + 1); }

void glue_fatal(const char *why) {
  serial_write("FATAL ");
  serial_write(why);
  serial_write("\n");
  report_abort();
}
