/*
 * An FP-heavy AVX/FMA kernel for measuring the WebAssembly tier's inline VEX floating point
 * (README, AVX section); not part of the bench suite:
 *   gcc -O3 -march=x86-64-v3 -fno-math-errno -static -o /tmp/avxfp bench/src/avxfp.c -lm
 *   time node dist/cli.js /tmp/avxfp    # native: 19245.389120 630816.127961
 */
#include <math.h>
#include <stdio.h>
#define N 2048
static float a[N], b[N], c[N];
static double da[N], db[N];
__attribute__((noinline)) static void step(float s) {
  for (int i = 0; i < N; i++) {
    float x = fmaf(a[i], b[i], c[i]);
    x = x * s + a[i] / (b[i] + 3.0f);
    x = x > -100.0f ? x : -100.0f; x = x < 100.0f ? x : 100.0f; c[i] = x + sqrtf(b[i]);
  }
}
__attribute__((noinline)) static double dstep(void) {
  double t = 0;
  for (int i = 0; i < N; i++) { double x = da[i] * db[i] + da[i] / (db[i] + 1.0); t += x; da[i] = x * 0.1 + 0.01; }
  return t;
}
int main(void) {
  for (int i = 0; i < N; i++) { a[i] = (i % 97) / 13.0f - 3; b[i] = (i % 89) / 7.0f + 0.5f; c[i] = 0; da[i] = i / 100.0; db[i] = (i % 7) + 1.5; }
  double t = 0;
  for (int r = 0; r < 1500; r++) { step(0.5f); t += dstep(); }
  double s = 0;
  for (int i = 0; i < N; i++) s += c[i];
  printf("%.6f %.6f\n", s, t);
  return 0;
}
