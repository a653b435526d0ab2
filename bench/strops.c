/* memcpy/strlen/memcmp-heavy workload, N rounds (default 2000); prints a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  static char a[65536], b[65536];
  for (int i = 0; i < 65535; i++) a[i] = 'a' + i % 23;
  unsigned long sum = 0;
  for (int r = 0; r < rounds; r++) {
    size_t len = 1000 + (r * 7919) % 60000;
    memcpy(b, a + (r % 64), len);
    b[len] = 0;
    sum += strlen(b);
    sum += memcmp(a, b, len % 4096) != 0;
    memset(b, r & 0xff, len / 2);
    sum += (unsigned char)b[len / 3];
  }
  printf("strops %d: %lu\n", rounds, sum);
  return 0;
}
