/*
 * The four memory functions gcc may call even in freestanding code (for struct copies and
 * zeroing). Written with `rep movsb`/`rep stosb` on purpose: a plain C loop could be recognised
 * by the optimiser as "a memset" and compiled into a call to memset itself.
 */
#include "glue.h"

void *memset(void *dst, int value, size_t count) {
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
  return dst;
}

void *memcpy(void *dst, const void *src, size_t count) {
  void *d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t count) {
  if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + count) return memcpy(dst, src, count);
  /* Overlapping with the destination above the source: copy backwards, from the last byte. */
  void *d = (char *)dst + count - 1;
  const void *s = (const char *)src + count - 1;
  __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(count) : : "memory");
  return dst;
}

int memcmp(const void *a, const void *b, size_t count) {
  const unsigned char *x = a;
  const unsigned char *y = b;
  for (size_t i = 0; i < count; i++) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
