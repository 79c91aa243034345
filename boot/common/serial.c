/*
 * COM1, polled: 115200 baud, 8 data bits, no parity, 1 stop bit. No interrupts, no buffering:
 * every byte is out before the call returns, so the last line before a crash is never lost.
 */
#include "boot.h"
#include "io.h"

#define COM1 0x3F8
#define REG_DATA 0            /* with DLAB=1: divisor low byte */
#define REG_INTERRUPT_ENABLE 1 /* with DLAB=1: divisor high byte */
#define REG_FIFO_CONTROL 2
#define REG_LINE_CONTROL 3
#define REG_MODEM_CONTROL 4
#define REG_LINE_STATUS 5

#define LINE_DLAB 0x80
#define LINE_8N1 0x03
#define STATUS_TRANSMIT_EMPTY 0x20

void serial_init(void) {
  outb(COM1 + REG_INTERRUPT_ENABLE, 0x00); /* polled: the kernel runs with interrupts off */
  outb(COM1 + REG_LINE_CONTROL, LINE_DLAB);
  outb(COM1 + REG_DATA, 1); /* divisor 1: 115200 baud */
  outb(COM1 + REG_INTERRUPT_ENABLE, 0);
  outb(COM1 + REG_LINE_CONTROL, LINE_8N1);
  outb(COM1 + REG_FIFO_CONTROL, 0xC7); /* enable and clear the FIFOs */
  outb(COM1 + REG_MODEM_CONTROL, 0x03); /* DTR, RTS; OUT2 stays off: no IRQ line */
}

static void serial_put(char c) {
  while ((inb(COM1 + REG_LINE_STATUS) & STATUS_TRANSMIT_EMPTY) == 0) {
  }
  outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write(const char *text) {
  while (*text != '\0') serial_put(*text++);
}

void serial_write_hex(uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  int shift = 60;
  serial_write("0x");
  while (shift > 0 && (value >> shift) == 0) shift -= 4; /* no leading zeros; 0 prints "0x0" */
  for (; shift >= 0; shift -= 4) serial_put(digits[(value >> shift) & 0xF]);
}

void serial_write_dec(int64_t value) {
  /* By subtraction, not division: 32-bit code has no libgcc for 64-bit division. */
  static const uint64_t powers[] = {
      10000000000000000000u, 1000000000000000000u, 100000000000000000u, 10000000000000000u,
      1000000000000000u, 100000000000000u, 10000000000000u, 1000000000000u, 100000000000u,
      10000000000u, 1000000000u, 100000000u, 10000000u, 1000000u, 100000u, 10000u, 1000u, 100u,
      10u, 1u};
  uint64_t magnitude = (uint64_t)value;
  int started = 0;
  if (value < 0) {
    serial_put('-');
    magnitude = 0 - magnitude; /* also right for INT64_MIN */
  }
  for (unsigned i = 0; i < sizeof powers / sizeof powers[0]; i++) {
    char digit = '0';
    while (magnitude >= powers[i]) {
      magnitude -= powers[i];
      digit++;
    }
    if (digit != '0' || started || powers[i] == 1) {
      serial_put(digit);
      started = 1;
    }
  }
}
