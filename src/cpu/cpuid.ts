import { ATTR_VEX, type Insn, type OpDef } from "../decoder/insn.js";
import { CpuException, ILL_ILLOPN, SIGILL } from "./exceptions.js";

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
  fma: 1 << 12,
  cx16: 1 << 13,
  sse41: 1 << 19,
  sse42: 1 << 20,
  movbe: 1 << 22,
  popcnt: 1 << 23,
  aes: 1 << 25,
  xsave: 1 << 26,
  osxsave: 1 << 27,
  avx: 1 << 28,
  f16c: 1 << 29,
  rdrand: 1 << 30,
};
/** Leaf 7 EBX feature bits. */
export const CPUID7_EBX = { fsgsbase: 1 << 0, bmi1: 1 << 3, avx2: 1 << 5, bmi2: 1 << 8, adx: 1 << 19, rdseed: 1 << 18, sha: 1 << 29 };
/** Leaf 7 ECX feature bits. */
export const CPUID7_ECX = { gfni: 1 << 8, vaes: 1 << 9, vpclmulqdq: 1 << 10, rdpid: 1 << 22 };
/** Leaf 0x80000001 ECX/EDX. */
export const CPUID81_ECX = { lahf: 1 << 0, abm: 1 << 5 };
export const CPUID81_EDX = { syscall: 1 << 11, nx: 1 << 20, lm: 1 << 29, rdtscp: 1 << 27 };

/** The CPUID feature words a model sets (leaf 1, leaf 7 subleaf 0, leaf 0x80000001). */
export interface CpuFeatures {
  /** The model's name (`--cpu`). */
  name: string;
  leaf1Edx: number;
  leaf1Ecx: number;
  leaf7Ebx: number;
  leaf7Ecx: number;
  leaf7Edx: number;
  ext1Ecx: number;
  ext1Edx: number;
}
type Word = Exclude<keyof CpuFeatures, "name">;
const WORDS: Word[] = ["leaf1Edx", "leaf1Ecx", "leaf7Ebx", "leaf7Ecx", "leaf7Edx", "ext1Ecx", "ext1Edx"];

/**
 * Everything implemented: the `max` model, and the default. Instruction
 * families extend these when complete; the other models are subsets.
 */
export const features: CpuFeatures = {
  name: "max",
  leaf1Edx: CPUID1_EDX.fpu | CPUID1_EDX.tsc | CPUID1_EDX.cx8 | CPUID1_EDX.cmov | CPUID1_EDX.mmx | CPUID1_EDX.fxsr | CPUID1_EDX.sse | CPUID1_EDX.sse2,
  // integer ISA extensions (src/cpu/isa/bits.ts atomic.ts bmi.ts random.ts)
  // + SSE families (src/cpu/isa/sse-core.ts sse4.ts sse42.ts)
  // + crypto (src/cpu/isa/crypto.ts)
  // + AVX, FMA, F16C and the xsave family with XCR0 = x87|SSE|AVX (src/cpu/isa/avx-*.ts, src/cpu/xsave.ts)
  leaf1Ecx:
    CPUID1_ECX.popcnt | CPUID1_ECX.movbe | CPUID1_ECX.cx16 | CPUID1_ECX.rdrand | CPUID1_ECX.sse3 | CPUID1_ECX.ssse3 | CPUID1_ECX.sse41 | CPUID1_ECX.sse42 | CPUID1_ECX.aes | CPUID1_ECX.pclmulqdq |
    CPUID1_ECX.xsave | CPUID1_ECX.osxsave | CPUID1_ECX.avx | CPUID1_ECX.fma | CPUID1_ECX.f16c,
  leaf7Ebx: CPUID7_EBX.fsgsbase | CPUID7_EBX.bmi1 | CPUID7_EBX.bmi2 | CPUID7_EBX.adx | CPUID7_EBX.rdseed | CPUID7_EBX.sha | CPUID7_EBX.avx2,
  leaf7Ecx: CPUID7_ECX.gfni | CPUID7_ECX.vaes | CPUID7_ECX.vpclmulqdq | CPUID7_ECX.rdpid,
  leaf7Edx: 0,
  ext1Ecx: CPUID81_ECX.lahf | CPUID81_ECX.abm,
  ext1Edx: CPUID81_EDX.syscall | CPUID81_EDX.nx | CPUID81_EDX.lm | CPUID81_EDX.rdtscp,
};

/**
 * The x86-64 micro-architecture levels (the psABI's x86-64, -v2, -v3, as
 * GCC's -march and qemu's -cpu name them): each level's CPUID bits.
 */
const V1: Omit<CpuFeatures, "name"> = {
  leaf1Edx: features.leaf1Edx, // fpu tsc cx8 cmov mmx fxsr sse sse2
  leaf1Ecx: 0,
  leaf7Ebx: 0,
  leaf7Ecx: 0,
  leaf7Edx: 0,
  ext1Ecx: 0,
  ext1Edx: CPUID81_EDX.syscall | CPUID81_EDX.nx | CPUID81_EDX.lm,
};
const V2 = { ...V1, leaf1Ecx: CPUID1_ECX.cx16 | CPUID1_ECX.popcnt | CPUID1_ECX.sse3 | CPUID1_ECX.ssse3 | CPUID1_ECX.sse41 | CPUID1_ECX.sse42, ext1Ecx: CPUID81_ECX.lahf };
const V3 = {
  ...V2,
  leaf1Ecx: V2.leaf1Ecx | CPUID1_ECX.fma | CPUID1_ECX.movbe | CPUID1_ECX.xsave | CPUID1_ECX.osxsave | CPUID1_ECX.avx | CPUID1_ECX.f16c,
  leaf7Ebx: CPUID7_EBX.bmi1 | CPUID7_EBX.bmi2 | CPUID7_EBX.avx2,
  ext1Ecx: V2.ext1Ecx | CPUID81_ECX.abm,
};
const LEVELS: Record<string, Omit<CpuFeatures, "name">> = { "x86-64": V1, "x86-64-v2": V2, "x86-64-v3": V3 };

/** The `--cpu` model names. */
export const CPU_MODELS = ["max", ...Object.keys(LEVELS)];

/**
 * The features of a model: `max` is everything implemented; a level is its
 * definition restricted to what is implemented (so x86-64-v3 lacks the AVX
 * family until it lands). Undefined for an unknown name.
 */
export function cpuModel(name: string): CpuFeatures | undefined {
  if (name === "max") return { ...features };
  const level = LEVELS[name];
  if (!level) return undefined;
  const f = { ...features, name };
  for (const w of WORDS) f[w] = level[w] & features[w];
  return f;
}

/** The level bits a model lacks because they are not implemented yet (e.g. avx for x86-64-v3): names, for the README and --help. */
export function missingFromModel(name: string): string[] {
  const level = LEVELS[name];
  if (!level) return [];
  const out: string[] = [];
  const names: [Word, Record<string, number>][] = [["leaf1Edx", CPUID1_EDX], ["leaf1Ecx", CPUID1_ECX], ["leaf7Ebx", CPUID7_EBX], ["leaf7Ecx", CPUID7_ECX], ["ext1Ecx", CPUID81_ECX], ["ext1Edx", CPUID81_EDX]];
  for (const [w, bits] of names) for (const [n, b] of Object.entries(bits)) if (level[w] & b && !(features[w] & b)) out.push(n);
  return out;
}

// ---- instructions gated by the model's features --------------------------------

/** Handler keys of instructions that raise #UD (SIGILL) when their feature is absent. */
const REQUIRES = new Map<string, [Word, number, string]>();
function requires(w: Word, bit: number, feature: string, keys: string): void {
  for (const k of keys.split(/\s+/)) if (k) REQUIRES.set(k, [w, bit, feature]);
}
requires("leaf1Ecx", CPUID1_ECX.sse3, "SSE3", "addsubps addsubpd haddps haddpd hsubps hsubpd movddup movshdup movsldup lddqu fisttp");
requires("leaf1Ecx", CPUID1_ECX.ssse3, "SSSE3", "pshufb phaddw phaddd phaddsw pmaddubsw phsubw phsubd phsubsw psignb psignw psignd pmulhrsw pabsb pabsw pabsd palignr");
requires(
  "leaf1Ecx",
  CPUID1_ECX.sse41,
  "SSE4.1",
  `pblendvb blendvps blendvpd ptest pmovsxbw pmovsxbd pmovsxbq pmovsxwd pmovsxwq pmovsxdq pmovzxbw pmovzxbd pmovzxbq pmovzxwd
   pmovzxwq pmovzxdq pmuldq pcmpeqq movntdqa packusdw pminsb pminsd pminuw pminud pmaxsb pmaxsd pmaxuw pmaxud pmulld phminposuw
   roundps roundpd roundss roundsd blendps blendpd pblendw pextrb pextrd extractps pinsrb insertps pinsrd dpps dppd mpsadbw`,
);
requires("leaf1Ecx", CPUID1_ECX.sse42, "SSE4.2", "pcmpestri pcmpestrm pcmpistri pcmpistrm pcmpgtq crc32");
requires("leaf1Ecx", CPUID1_ECX.popcnt, "POPCNT", "popcnt");
requires("leaf1Ecx", CPUID1_ECX.movbe, "MOVBE", "movbe");
requires("leaf1Ecx", CPUID1_ECX.cx16, "CMPXCHG16B", "cmpxchg16b");
requires("leaf1Ecx", CPUID1_ECX.aes, "AES", "aesenc aesenclast aesdec aesdeclast aesimc aeskeygenassist");
requires("leaf1Ecx", CPUID1_ECX.pclmulqdq, "PCLMULQDQ", "pclmulqdq");
requires("leaf1Ecx", CPUID1_ECX.rdrand, "RDRAND", "rdrand");
requires("leaf7Ebx", CPUID7_EBX.rdseed, "RDSEED", "rdseed");
requires("leaf7Ebx", CPUID7_EBX.sha, "SHA", "sha1rnds4 sha1nexte sha1msg1 sha1msg2 sha256rnds2 sha256msg1 sha256msg2");
requires("leaf7Ebx", CPUID7_EBX.bmi1, "BMI1", "andn bextr blsi blsmsk blsr");
requires("leaf7Ebx", CPUID7_EBX.bmi2, "BMI2", "bzhi mulx pdep pext rorx sarx shlx shrx");
requires("leaf7Ebx", CPUID7_EBX.adx, "ADX", "adcx adox");
requires("leaf7Ebx", CPUID7_EBX.fsgsbase, "FSGSBASE", "rdfsbase rdgsbase wrfsbase wrgsbase");
requires("leaf7Ecx", CPUID7_ECX.gfni, "GFNI", "gf2p8mulb gf2p8affineqb gf2p8affineinvqb");
requires("leaf7Ecx", CPUID7_ECX.rdpid, "RDPID", "rdpid");
/** VEX.256 forms that need a feature of their own beyond the VEX.128 one's (VAES, VPCLMULQDQ). */
const REQUIRES_256 = new Map<string, [Word, number, string]>();
for (const k of ["vaesenc", "vaesenclast", "vaesdec", "vaesdeclast"]) REQUIRES_256.set(k, ["leaf7Ecx", CPUID7_ECX.vaes, "VAES"]);
REQUIRES_256.set("vpclmulqdq", ["leaf7Ecx", CPUID7_ECX.vpclmulqdq, "VPCLMULQDQ"]);
requires("ext1Ecx", CPUID81_ECX.lahf, "LAHF-SAHF", "lahf sahf");
requires("ext1Edx", CPUID81_EDX.rdtscp, "RDTSCP", "rdtscp");
requires("leaf1Ecx", CPUID1_ECX.xsave, "XSAVE", "xsave xsaveopt xsavec xrstor xgetbv");

/**
 * The feature an instruction needs and model `f` lacks, or null. `key` is its
 * handler key; `map` its opcode map (pextrw is SSE2 in 0F, SSE4.1 in 0F 3A).
 * tzcnt/lzcnt are not here: without BMI1/LZCNT they execute as bsf/bsr.
 */
export function missingFeature(f: CpuFeatures, key: string, map: number, vex = false, vexL = 0): string | null {
  const r = REQUIRES.get(key) ?? (key === "pextrw" && map === 3 ? REQUIRES.get("pextrb") : undefined);
  if (r) return f[r[0]] & r[1] ? null : r[2];
  if (!vex) return null;
  // VEX-encoded SIMD (the VEX GPR instructions are BMI1/BMI2 above) needs AVX, once AVX is
  // implemented (advertised by max); every model with AVX also has AVX2, FMA and F16C
  if (features.leaf1Ecx & CPUID1_ECX.avx && !(f.leaf1Ecx & CPUID1_ECX.avx)) return "AVX";
  // and the feature of its legacy form (vaesenc: AES, vgf2p8mulb: GFNI), and VAES/VPCLMULQDQ for VEX.256
  const base = key.charCodeAt(0) === 0x76 ? REQUIRES.get(key.slice(1)) : undefined;
  if (base && !(f[base[0]] & base[1])) return base[2];
  const wide = vexL ? REQUIRES_256.get(key) : undefined;
  return wide && !(f[wide[0]] & wide[1]) ? wide[2] : null;
}

const OUT = new Int32Array(4);

function str4(s: string, k: number): number {
  return s.charCodeAt(k) | (s.charCodeAt(k + 1) << 8) | (s.charCodeAt(k + 2) << 16) | (s.charCodeAt(k + 3) << 24);
}

const GATED = new WeakMap<OpDef, OpDef>();

/** #UD for an instruction whose feature the CPU model lacks (the message names both). */
const absent = (c: { features: CpuFeatures }, i: Insn) => {
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, `invalid instruction: ${i.mnem} needs ${missingFeature(c.features, i.def.key.slice(4), i.map, (i.def.attrs & ATTR_VEX) !== 0, i.vexL) ?? "a feature"}, which CPU model ${c.features.name} lacks`);
};

/**
 * The definition to execute for `def` under model `f`: itself, or (when its
 * feature is absent) a copy with the same text whose handler raises #UD and
 * whose key no compiler tier knows, so every tier calls that handler.
 */
export function gateDef(f: CpuFeatures, def: OpDef, map: number, vexL = 0): OpDef {
  const key = def.key === "x87" ? def.mnem : def.key; // the x87 family has one handler: fisttp (SSE3) by its mnemonic
  if (missingFeature(f, key, map, (def.attrs & ATTR_VEX) !== 0, vexL) === null) return def;
  let g = GATED.get(def);
  if (!g) {
    g = { ...def, key: `#ud:${key}`, fn: absent };
    GATED.set(def, g);
  }
  return g;
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
export function cpuid(leaf: number, sub: number, f: CpuFeatures = features): Int32Array {
  OUT.fill(0);
  switch (leaf) {
    case 0:
      OUT[0] = 0xd;
      OUT[1] = str4(VENDOR, 0);
      OUT[3] = str4(VENDOR, 4);
      OUT[2] = str4(VENDOR, 8);
      break;
    case 1:
      OUT[0] = SIGNATURE;
      OUT[1] = 0x00010800; // 1 logical processor, clflush size 64
      OUT[2] = f.leaf1Ecx;
      OUT[3] = f.leaf1Edx | (1 << 19); // clflush
      break;
    case 7:
      if (sub === 0) {
        OUT[1] = f.leaf7Ebx;
        OUT[2] = f.leaf7Ecx;
        OUT[3] = f.leaf7Edx;
      }
      break;
    case 0xd:
      // XSAVE: XCR0 = x87|SSE|AVX, 832-byte area; sub-leaf 1: xsaveopt, xsavec, xgetbv(1); 2: the AVX component
      if (sub === 0) {
        OUT[0] = 7;
        OUT[1] = 832;
        OUT[2] = 832;
      } else if (sub === 1) {
        OUT[0] = 7;
        OUT[1] = 832;
      } else if (sub === 2) {
        OUT[0] = 256;
        OUT[1] = 576;
      }
      break;
    case 0x80000000:
      OUT[0] = 0x80000004 | 0;
      break;
    case 0x80000001:
      OUT[2] = f.ext1Ecx;
      OUT[3] = f.ext1Edx;
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
