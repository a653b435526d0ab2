/* A few pthreads each hashing its own share of work, a mutex-guarded shared
 * total and a barrier-like join. Argument: iterations per thread. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shared_total;
static long iters;

static void* work(void* arg) {
  uint64_t id = (uintptr_t)arg, h = 0xcbf29ce484222325ull ^ id;
  for (long i = 0; i < iters; i++) {
    h = (h ^ (uint64_t)i) * 0x100000001b3ull;
    h ^= h >> 29;
    if ((i & 4095) == 0) {
      pthread_mutex_lock(&lock);
      shared_total += h & 0xffff;
      pthread_mutex_unlock(&lock);
    }
  }
  return (void*)(uintptr_t)h;
}

int main(int argc, char** argv) {
  iters = argc > 1 ? atol(argv[1]) : 2000000;
  pthread_t t[THREADS];
  for (uintptr_t k = 0; k < THREADS; k++) pthread_create(&t[k], 0, work, (void*)k);
  uint64_t x = 0;
  for (int k = 0; k < THREADS; k++) {
    void* r;
    pthread_join(t[k], &r);
    x ^= (uintptr_t)r;
  }
  printf("threads %d iters %ld xor %016llx total %llu\n", THREADS, iters, (unsigned long long)x,
         (unsigned long long)shared_total);
  return 0;
}
