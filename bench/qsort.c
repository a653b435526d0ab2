/* qsort of N generated strings (default 200000); prints a checksum of the order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  char **s = malloc(n * sizeof *s);
  unsigned x = 1;
  for (int i = 0; i < n; i++) {
    char buf[24]; int len = 5 + (x >> 28);
    for (int k = 0; k < len; k++) { x = x * 1664525 + 1013904223; buf[k] = 'a' + (x >> 27) % 26; }
    buf[len] = 0; s[i] = strdup(buf);
  }
  qsort(s, n, sizeof *s, cmp);
  unsigned long h = 0;
  for (int i = 0; i < n; i += 97) h = h * 31 + (unsigned char)s[i][0] + strlen(s[i]);
  printf("qsort %d strings: %lu (first %s)\n", n, h, s[0]);
  return 0;
}
