/* Resource cases that must behave as natively: huge reservations and unmaps are instant,
 * many small mappings are fast, vm.max_map_count and RLIMIT_AS give ENOMEM. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define N_SMALL 200000

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "all";
  int all = !strcmp(which, "all");
  if (all || !strcmp(which, "huge")) {
    char *p = mmap(0, 1UL << 46, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("reserve 64 TiB: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
    printf("munmap 16 TiB: %d\n", munmap(p, 1UL << 44));
    char *q = p + (1UL << 45);
    printf("mprotect inside: %d\n", mprotect(q, 4096, PROT_READ | PROT_WRITE));
    q[10] = 7;
    printf("read back: %d\n", q[10]);
    printf("munmap the rest: %d\n", munmap(p + (1UL << 44), (1UL << 46) - (1UL << 44)));
    char *r = mmap(0, 1UL << 48, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("reserve 256 TiB: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
  }
  if (all || !strcmp(which, "small")) {
    static char *pages[N_SMALL];
    int n = 0;
    for (; n < N_SMALL; n++) {
      pages[n] = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (pages[n] == MAP_FAILED) break;
      pages[n][0] = (char)n;
    }
    long sum = 0;
    for (int k = 0; k < n; k++) sum += pages[k][0];
    int bad = 0;
    for (int k = 0; k < n; k++) bad += munmap(pages[k], 4096) != 0;
    printf("single-page mmaps: %d, sum %ld, failed munmaps %d\n", n, sum, bad);
  }
  if (all || !strcmp(which, "maxmap")) {
    /* alternating protections do not merge: each mapping is one more VMA */
    char *base = mmap(0, 70000UL * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int n = 0, err = 0;
    for (; n < 70000; n += 2) {
      if (mprotect(base + (unsigned long)n * 4096, 4096, PROT_READ) != 0) {
        err = errno;
        break;
      }
    }
    printf("max_map_count: stopped with %s after %s\n", strerror(err), n > 60000 && n < 70000 ? "about 65530 maps" : "an unexpected count");
    printf("munmap all: %d\n", munmap(base, 70000UL * 4096));
  }
  if (all || !strcmp(which, "rlimit")) {
    struct rlimit rl = {256UL << 20, 256UL << 20};
    printf("setrlimit AS 256 MiB: %d\n", setrlimit(RLIMIT_AS, &rl));
    void *a = mmap(0, 512UL << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 512 MiB: %s\n", a == MAP_FAILED ? strerror(errno) : "ok");
    void *b = mmap(0, 64UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 64 MiB: %s\n", b == MAP_FAILED ? strerror(errno) : "ok");
    printf("brk +512 MiB: %s\n", sbrk(512 << 20) == (void *)-1 ? strerror(errno) : "ok");
  }
  return 0;
}
