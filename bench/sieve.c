/* Sieve of Eratosthenes up to N (default 20000000); prints the count of primes. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000000;
  char *c = calloc(n + 1, 1);
  long count = 0;
  for (long i = 2; i <= n; i++) {
    if (c[i]) continue;
    count++;
    for (long j = i * i; j <= n; j += i) c[j] = 1;
  }
  printf("primes up to %ld: %ld\n", n, count);
  return 0;
}
