/* Allocates and touches 1 MiB blocks until malloc fails, then reports how far it got. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  int n = 0;
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    n++;
  }
  printf("allocated %d MiB, then malloc returned NULL\n", n);
  return 0;
}
