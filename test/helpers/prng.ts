/** A small seeded xorshift32 generator for reproducible random tests. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Random choices over a prng: an integer below n, an element of a list, a 64-bit value. */
export class Picker {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return this.r() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.r()) << 32n) | BigInt(this.r());
  }
}
