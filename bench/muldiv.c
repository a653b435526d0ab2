/* 64-bit multiply/divide loop, N iterations (default 3000000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 3000000;
  uint64_t x = 0x123456789abcdefULL, acc = 0;
  for (long i = 1; i <= n; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    acc += x / (uint64_t)(i | 1) + x % 1000003;
    acc ^= (uint64_t)((int64_t)x / -7);
  }
  printf("muldiv %ld: %llu\n", n, (unsigned long long)acc);
  return 0;
}
