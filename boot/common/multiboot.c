/*
 * The Multiboot2 information: its address is kept for the kernel, and the command line is copied
 * into .bss at once, because the information block is reached by physical address, which only
 * the boot mapping provides: the page tables the TypeScript loads later need not map it.
 */
#include "boot.h"
#include "multiboot2.h"

/* Longer command lines are cut here (at a word boundary or not: nothing this long is expected). */
#define CMDLINE_CAPACITY 1024

static uint32_t multiboot_info_phys;
static char cmdline[CMDLINE_CAPACITY];

struct multiboot2_tag {
  uint32_t type;
  uint32_t size;
};

void multiboot_save(uint32_t info_phys) {
  multiboot_info_phys = info_phys;
  const char *info = (const char *)(uintptr_t)(KERNEL_VIRTUAL_OFFSET + info_phys);
  if ((uint64_t)info_phys + MULTIBOOT2_INFO_HEADER_SIZE > BOOT_MAPPED_PHYS_LIMIT)
    glue_fatal("the Multiboot2 information lies beyond the boot mapping");
  uint32_t total_size = *(const uint32_t *)info;
  if ((uint64_t)info_phys + total_size > BOOT_MAPPED_PHYS_LIMIT)
    glue_fatal("the Multiboot2 information lies beyond the boot mapping");

  uint32_t offset = MULTIBOOT2_INFO_HEADER_SIZE;
  while (offset + MULTIBOOT2_TAG_HEADER_SIZE <= total_size) {
    const struct multiboot2_tag *tag = (const struct multiboot2_tag *)(info + offset);
    if (tag->type == MULTIBOOT2_TAG_END) break;
    if (tag->type == MULTIBOOT2_TAG_CMDLINE) {
      const char *text = (const char *)(tag + 1);
      uint32_t length = tag->size - MULTIBOOT2_TAG_HEADER_SIZE;
      for (uint32_t i = 0; i < length && i < CMDLINE_CAPACITY - 1 && text[i] != '\0'; i++) cmdline[i] = text[i];
      break;
    }
    offset += (tag->size + MULTIBOOT2_TAG_ALIGN - 1) & ~(uint32_t)(MULTIBOOT2_TAG_ALIGN - 1);
  }
}

const char *boot_cmdline(void) { return cmdline; }

uint32_t kernel_multiboot_info(void) { return multiboot_info_phys; }

/* Words are separated by spaces, tabs or any other control character (the x86-64 entry, which
 * looks for "la57" before C runs, uses the same rule). */
static int is_separator(char c) { return (unsigned char)c <= ' '; }

/* Whether `text` begins with `word` followed by a separator or the end. */
static int starts_with_word(const char *text, const char *word) {
  while (*word != '\0') {
    if (*text++ != *word++) return 0; /* also stops at the end of text: *word is never NUL here */
  }
  return is_separator(*text);
}

int kernel_cmdline_has(const char *word) {
  if (word[0] == '\0') return 0;
  for (const char *p = cmdline; *p != '\0'; p++) {
    int at_word_start = p == cmdline || is_separator(p[-1]);
    if (at_word_start && starts_with_word(p, word)) return 1;
  }
  return 0;
}
