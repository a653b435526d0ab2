/**
 * The CPUID the emulator reports. It advertises exactly what is implemented,
 * so that libc picks code paths we support. Families add feature bits here
 * when they land (see README "CPUID").
 */

/** Leaf 1 EDX feature bits. */
export const CPUID1_EDX = {
  fpu: 1 << 0,
  tsc: 1 << 4,
  cx8: 1 << 8,
  cmov: 1 << 15,
  mmx: 1 << 23,
  fxsr: 1 << 24,
  sse: 1 << 25,
  sse2: 1 << 26,
};
/** Leaf 1 ECX feature bits. */
export const CPUID1_ECX = {
  sse3: 1 << 0,
  pclmulqdq: 1 << 1,
  ssse3: 1 << 9,
  cx16: 1 << 13,
  sse41: 1 << 19,
  sse42: 1 << 20,
  movbe: 1 << 22,
  popcnt: 1 << 23,
  aes: 1 << 25,
  xsave: 1 << 26,
  osxsave: 1 << 27,
  rdrand: 1 << 30,
};
/** Leaf 7 EBX feature bits. */
export const CPUID7_EBX = { fsgsbase: 1 << 0, bmi1: 1 << 3, bmi2: 1 << 8, adx: 1 << 19, rdseed: 1 << 18, sha: 1 << 29 };
/** Leaf 7 ECX feature bits. */
export const CPUID7_ECX = { gfni: 1 << 8, rdpid: 1 << 22 };
/** Leaf 0x80000001 ECX/EDX. */
export const CPUID81_ECX = { lahf: 1 << 0, abm: 1 << 5 };
export const CPUID81_EDX = { syscall: 1 << 11, nx: 1 << 20, lm: 1 << 29, rdtscp: 1 << 27 };

/** The features currently reported. Instruction families extend these when complete. */
export const features = {
  leaf1Edx: CPUID1_EDX.fpu | CPUID1_EDX.tsc | CPUID1_EDX.cx8 | CPUID1_EDX.cmov | CPUID1_EDX.mmx | CPUID1_EDX.fxsr | CPUID1_EDX.sse | CPUID1_EDX.sse2,
  // integer ISA extensions (src/cpu/isa/bits.ts atomic.ts bmi.ts random.ts)
  // + SSE families (src/cpu/isa/sse-core.ts sse4.ts sse42.ts)
  // + crypto (src/cpu/isa/crypto.ts)
  leaf1Ecx: CPUID1_ECX.popcnt | CPUID1_ECX.movbe | CPUID1_ECX.cx16 | CPUID1_ECX.rdrand | CPUID1_ECX.sse3 | CPUID1_ECX.ssse3 | CPUID1_ECX.sse41 | CPUID1_ECX.sse42 | CPUID1_ECX.aes | CPUID1_ECX.pclmulqdq,
  leaf7Ebx: CPUID7_EBX.fsgsbase | CPUID7_EBX.bmi1 | CPUID7_EBX.bmi2 | CPUID7_EBX.adx | CPUID7_EBX.rdseed | CPUID7_EBX.sha,
  leaf7Ecx: CPUID7_ECX.gfni | CPUID7_ECX.rdpid,
  ext1Ecx: CPUID81_ECX.lahf | CPUID81_ECX.abm,
  ext1Edx: CPUID81_EDX.syscall | CPUID81_EDX.nx | CPUID81_EDX.lm | CPUID81_EDX.rdtscp,
};

const OUT = new Int32Array(4);

function str4(s: string, k: number): number {
  return s.charCodeAt(k) | (s.charCodeAt(k + 1) << 8) | (s.charCodeAt(k + 2) << 16) | (s.charCodeAt(k + 3) << 24);
}

/**
 * The vendor string (EBX, EDX, ECX of leaf 0). A known vendor, because GCC's
 * __builtin_cpu_supports (libgcc's __cpu_indicator_init: target_clones and
 * hand-written dispatch) and glibc's ifunc selection read the feature bits
 * only for vendors they know: with an unknown one every program keeps its
 * baseline code. AMD, as qemu's default model, because where vendors differ
 * the emulator follows AMD (push Sreg zero-extends, 16-bit shld/shrd by counts
 * above 16, addr32 rep with ecx = 0 leaves rcx alone; see README "CPUID").
 */
export const VENDOR = "AuthenticAMD";
/** Family 15, model 107, stepping 1 (qemu64's signature): no particular microarchitecture. */
const SIGNATURE = 0x00060fb1;
const BRAND = "x64emu virtual x86-64 CPU".padEnd(48, "\0");

/** Returns [eax, ebx, ecx, edx] for leaf/subleaf (a shared array). */
export function cpuid(leaf: number, sub: number): Int32Array {
  OUT.fill(0);
  switch (leaf) {
    case 0:
      OUT[0] = 7;
      OUT[1] = str4(VENDOR, 0);
      OUT[3] = str4(VENDOR, 4);
      OUT[2] = str4(VENDOR, 8);
      break;
    case 1:
      OUT[0] = SIGNATURE;
      OUT[1] = 0x00010800; // 1 logical processor, clflush size 64
      OUT[2] = features.leaf1Ecx;
      OUT[3] = features.leaf1Edx | (1 << 19); // clflush
      break;
    case 7:
      if (sub === 0) {
        OUT[1] = features.leaf7Ebx;
        OUT[2] = features.leaf7Ecx;
      }
      break;
    case 0x80000000:
      OUT[0] = 0x80000004 | 0;
      break;
    case 0x80000001:
      OUT[2] = features.ext1Ecx;
      OUT[3] = features.ext1Edx;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const base = (leaf - 0x80000002) * 16;
      for (let k = 0; k < 4; k++) OUT[k] = str4(BRAND, base + k * 4);
      break;
    }
  }
  return OUT;
}
