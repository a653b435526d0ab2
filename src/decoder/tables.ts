/**
 * The opcode maps, described as data (Intel SDM Vol. 2, Appendix A notation).
 *
 * A spec string is `mnemonic op,op,... attr... @key`:
 *   operand codes: E G M R (ModRM r/m, reg, memory-only r/m, register-only r/m),
 *   I (immediate), J (relative branch), Z (register in the opcode's low 3 bits),
 *   O (moffs), S (segment register), X/Y (string source/destination),
 *   V W U (XMM reg, XMM/mem, XMM reg-only), P Q N (MMX), B (VEX.vvvv GPR),
 *   H (VEX.vvvv XMM), C/D (control/debug reg), ST/STi (x87), fixed registers
 *   (AL, CL, DX, rAX...), and the constant 1.
 *   size codes: b w d q v (16/32/64 by prefixes) y (32/64) z (16/32) x (128)
 *   ps pd ss sd (SSE element views), t (80-bit), p (far pointer), s (descriptor).
 *   attrs: d64 f64 i64 lock str br priv memonly regonly.
 *   `@key` names the executor's handler when it differs from the mnemonic.
 *   "!" is an invalid opcode (#UD).
 *
 * Structured entries:
 *   Spec[] of length 8     -> group, indexed by ModRM.reg
 *   { mem, reg }            -> split by ModRM.mod (memory vs register form)
 *   { rm: Spec[] }          -> split by ModRM.rm (register forms)
 *   { n, p66, f3, f2 }      -> split by mandatory prefix
 *   { w0, w1 }              -> split by REX.W / VEX.W
 *   { o16, o32, o64 }       -> split by operand size
 *   { l0, l1 }              -> split by VEX.L
 */

export type Spec = string | null | Spec[] | SplitMod | SplitRm | SplitPfx | SplitW | SplitOsz | SplitL;
export interface SplitMod {
  mem?: Spec;
  reg?: Spec;
}
export interface SplitRm {
  rm: Spec[];
}
export interface SplitPfx {
  n?: Spec;
  p66?: Spec;
  f3?: Spec;
  f2?: Spec;
}
export interface SplitW {
  w0: Spec;
  w1: Spec;
}
/** Split by VEX.L. */
export interface SplitL {
  l0: Spec;
  l1: Spec;
}
export interface SplitOsz {
  o16: Spec;
  o32: Spec;
  o64: Spec;
}

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
const SHIFTS = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];
const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

/** Group of 8 built from a list of mnemonics and shared operands. */
function grp(names: (string | null)[], ops: string, attrs = ""): Spec[] {
  return names.map((n) => (n === null ? "!" : `${n} ${ops} ${n === "cmp" ? "" : attrs}`.trim()));
}

function aluRow(name: string, lock: boolean): Spec[] {
  const l = lock ? " lock" : "";
  return [`${name} Eb,Gb${l}`, `${name} Ev,Gv${l}`, `${name} Gb,Eb`, `${name} Gv,Ev`, `${name} AL,Ib`, `${name} rAX,Iz`];
}

// ---------------------------------------------------------------------------
// One-byte map
// ---------------------------------------------------------------------------

export const ONE_BYTE: Spec[] = new Array(256).fill("!");

for (let k = 0; k < 8; k++) {
  const row = aluRow(ALU[k], ALU[k] !== "cmp");
  for (let j = 0; j < 6; j++) ONE_BYTE[k * 8 + j] = row[j];
}
// 06 07 0E 16 17 1E 1F 27 2F 37 3F: invalid in 64-bit mode (push/pop seg, BCD)
for (const op of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f]) ONE_BYTE[op] = "!";
for (let k = 0; k < 8; k++) {
  ONE_BYTE[0x50 + k] = "push Zv d64";
  ONE_BYTE[0x58 + k] = "pop Zv d64";
  ONE_BYTE[0xb0 + k] = "mov Zb,Ib";
  ONE_BYTE[0xb8 + k] = "mov Zv,Iv";
}
for (let k = 1; k < 8; k++) ONE_BYTE[0x90 + k] = "xchg Zv,rAX";
ONE_BYTE[0x90] = { n: "nop", p66: "nop", f2: "nop", f3: "pause" }; // 66 90 is xchg ax, ax: a nop
ONE_BYTE[0x63] = { w0: "movsxd Gv,Ed", w1: "movsxd Gv,Ed" };
ONE_BYTE[0x68] = "push Iz d64";
ONE_BYTE[0x69] = "imul Gv,Ev,Iz @imul3";
ONE_BYTE[0x6a] = "push Ib d64";
ONE_BYTE[0x6b] = "imul Gv,Ev,Ib @imul3";
ONE_BYTE[0x6c] = "insb Yb,DX str priv";
ONE_BYTE[0x6d] = "ins Yz,DX str priv";
ONE_BYTE[0x6e] = "outsb DX,Xb str priv";
ONE_BYTE[0x6f] = "outs DX,Xz str priv";
for (let k = 0; k < 16; k++) {
  ONE_BYTE[0x70 + k] = `j${CC[k]} Jb f64 br @jcc`;
}
ONE_BYTE[0x80] = grp(ALU, "Eb,Ib", "lock");
ONE_BYTE[0x81] = grp(ALU, "Ev,Iz", "lock");
ONE_BYTE[0x83] = grp(ALU, "Ev,Ib", "lock");
ONE_BYTE[0x84] = "test Eb,Gb";
ONE_BYTE[0x85] = "test Ev,Gv";
ONE_BYTE[0x86] = "xchg Eb,Gb lock";
ONE_BYTE[0x87] = "xchg Ev,Gv lock";
ONE_BYTE[0x88] = "mov Eb,Gb";
ONE_BYTE[0x89] = "mov Ev,Gv";
ONE_BYTE[0x8a] = "mov Gb,Eb";
ONE_BYTE[0x8b] = "mov Gv,Ev";
ONE_BYTE[0x8c] = "mov Ev,Sw @movfromseg";
ONE_BYTE[0x8d] = "lea Gv,M memonly";
ONE_BYTE[0x8e] = "mov Sw,Ew @movtoseg";
ONE_BYTE[0x8f] = ["pop Ev d64", "!", "!", "!", "!", "!", "!", "!"];
ONE_BYTE[0x98] = { o16: "cbw", o32: "cwde", o64: "cdqe" };
ONE_BYTE[0x99] = { o16: "cwd", o32: "cdq", o64: "cqo" };
ONE_BYTE[0x9b] = "fwait";
ONE_BYTE[0x9c] = "pushf d64";
ONE_BYTE[0x9d] = "popf d64";
ONE_BYTE[0x9e] = "sahf";
ONE_BYTE[0x9f] = "lahf";
ONE_BYTE[0xa0] = "mov AL,Ob";
ONE_BYTE[0xa1] = "mov rAX,Ov";
ONE_BYTE[0xa2] = "mov Ob,AL";
ONE_BYTE[0xa3] = "mov Ov,rAX";
ONE_BYTE[0xa4] = "movsb Yb,Xb str @movs";
ONE_BYTE[0xa5] = "movs Yv,Xv str";
ONE_BYTE[0xa6] = "cmpsb Xb,Yb str @cmps";
ONE_BYTE[0xa7] = "cmps Xv,Yv str";
ONE_BYTE[0xa8] = "test AL,Ib";
ONE_BYTE[0xa9] = "test rAX,Iz";
ONE_BYTE[0xaa] = "stosb Yb,AL str @stos";
ONE_BYTE[0xab] = "stos Yv,rAX str";
ONE_BYTE[0xac] = "lodsb AL,Xb str @lods";
ONE_BYTE[0xad] = "lods rAX,Xv str";
ONE_BYTE[0xae] = "scasb AL,Yb str @scas";
ONE_BYTE[0xaf] = "scas rAX,Yv str";
ONE_BYTE[0xc0] = grp(SHIFTS, "Eb,Ib");
ONE_BYTE[0xc1] = grp(SHIFTS, "Ev,Ib");
ONE_BYTE[0xc2] = "ret Iw f64 br @reti";
ONE_BYTE[0xc3] = "ret f64 br";
ONE_BYTE[0xc6] = { mem: ["mov Eb,Ib", "!", "!", "!", "!", "!", "!", "!"], reg: ["mov Eb,Ib", "!", "!", "!", "!", "!", "!", { rm: ["xabort Ib", "!", "!", "!", "!", "!", "!", "!"] }] };
ONE_BYTE[0xc7] = { mem: ["mov Ev,Iz", "!", "!", "!", "!", "!", "!", "!"], reg: ["mov Ev,Iz", "!", "!", "!", "!", "!", "!", { rm: ["xbegin Jz br", "!", "!", "!", "!", "!", "!", "!"] }] };
ONE_BYTE[0xc8] = "enter Iw,Ib d64";
ONE_BYTE[0xc9] = "leave d64";
ONE_BYTE[0xca] = "retf Iw br";
ONE_BYTE[0xcb] = "retf br";
ONE_BYTE[0xcc] = "int3 br";
ONE_BYTE[0xcd] = "int Ib br";
ONE_BYTE[0xcf] = "iret br";
ONE_BYTE[0xd0] = grp(SHIFTS, "Eb,1");
ONE_BYTE[0xd1] = grp(SHIFTS, "Ev,1");
ONE_BYTE[0xd2] = grp(SHIFTS, "Eb,CL");
ONE_BYTE[0xd3] = grp(SHIFTS, "Ev,CL");
ONE_BYTE[0xd7] = "xlatb";
ONE_BYTE[0xe0] = "loopne Jb f64 br @loop";
ONE_BYTE[0xe1] = "loope Jb f64 br @loop";
ONE_BYTE[0xe2] = "loop Jb f64 br";
ONE_BYTE[0xe3] = "jrcxz Jb f64 br";
ONE_BYTE[0xe4] = "in AL,Ib priv";
ONE_BYTE[0xe5] = "in eAX,Ib priv";
ONE_BYTE[0xe6] = "out Ib,AL priv";
ONE_BYTE[0xe7] = "out Ib,eAX priv";
ONE_BYTE[0xe8] = "call Jz f64 br";
ONE_BYTE[0xe9] = "jmp Jz f64 br";
ONE_BYTE[0xeb] = "jmp Jb f64 br";
ONE_BYTE[0xec] = "in AL,DX priv";
ONE_BYTE[0xed] = "in eAX,DX priv";
ONE_BYTE[0xee] = "out DX,AL priv";
ONE_BYTE[0xef] = "out DX,eAX priv";
ONE_BYTE[0xf1] = "int1 br";
ONE_BYTE[0xf4] = "hlt br priv";
ONE_BYTE[0xf5] = "cmc";
ONE_BYTE[0xf6] = ["test Eb,Ib", "test Eb,Ib", "not Eb lock", "neg Eb lock", "mul Eb", "imul Eb @imul1", "div Eb", "idiv Eb"];
ONE_BYTE[0xf7] = ["test Ev,Iz", "test Ev,Iz", "not Ev lock", "neg Ev lock", "mul Ev", "imul Ev @imul1", "div Ev", "idiv Ev"];
ONE_BYTE[0xf8] = "clc";
ONE_BYTE[0xf9] = "stc";
ONE_BYTE[0xfa] = "cli priv";
ONE_BYTE[0xfb] = "sti priv";
ONE_BYTE[0xfc] = "cld";
ONE_BYTE[0xfd] = "std";
ONE_BYTE[0xfe] = ["inc Eb lock", "dec Eb lock", "!", "!", "!", "!", "!", "!"];
ONE_BYTE[0xff] = ["inc Ev lock", "dec Ev lock", "call Ev f64 br @calli", "callf Mp br memonly", "jmp Ev f64 br @jmpi", "jmpf Mp br memonly", "push Ev d64", "!"];

// x87 escapes D8-DF: memory forms by ModRM.reg, register forms by reg and rm.
const X87_MEM: string[][] = [
  ["fadd Md", "fmul Md", "fcom Md", "fcomp Md", "fsub Md", "fsubr Md", "fdiv Md", "fdivr Md"],
  ["fld Md", "!", "fst Md", "fstp Md", "fldenv Me", "fldcw Mw", "fnstenv Me", "fnstcw Mw"],
  ["fiadd Md", "fimul Md", "ficom Md", "ficomp Md", "fisub Md", "fisubr Md", "fidiv Md", "fidivr Md"],
  ["fild Md", "fisttp Md", "fist Md", "fistp Md", "!", "fld Mt", "!", "fstp Mt"],
  ["fadd Mq", "fmul Mq", "fcom Mq", "fcomp Mq", "fsub Mq", "fsubr Mq", "fdiv Mq", "fdivr Mq"],
  ["fld Mq", "fisttp Mq", "fst Mq", "fstp Mq", "frstor Mf", "!", "fnsave Mf", "fnstsw Mw"],
  ["fiadd Mw", "fimul Mw", "ficom Mw", "ficomp Mw", "fisub Mw", "fisubr Mw", "fidiv Mw", "fidivr Mw"],
  ["fild Mw", "fisttp Mw", "fist Mw", "fistp Mw", "fbld Mt", "fild Mq", "fbstp Mt", "fistp Mq"],
];
const rm8 = (names: string[]): SplitRm => ({ rm: names.map((n) => (n === "" ? "!" : n)) });
const X87_REG: Spec[][] = [
  ["fadd ST,STi", "fmul ST,STi", "fcom ST,STi", "fcomp ST,STi", "fsub ST,STi", "fsubr ST,STi", "fdiv ST,STi", "fdivr ST,STi"],
  [
    "fld ST,STi",
    "fxch ST,STi",
    rm8(["fnop", "", "", "", "", "", "", ""]),
    "fstp1 STi",
    rm8(["fchs", "fabs", "", "", "ftst", "fxam", "", ""]),
    rm8(["fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", ""]),
    rm8(["f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp"]),
    rm8(["fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"]),
  ],
  ["fcmovb ST,STi", "fcmove ST,STi", "fcmovbe ST,STi", "fcmovu ST,STi", "!", rm8(["", "fucompp", "", "", "", "", "", ""]), "!", "!"],
  ["fcmovnb ST,STi", "fcmovne ST,STi", "fcmovnbe ST,STi", "fcmovnu ST,STi", rm8(["fneni8087_nop", "fndisi8087_nop", "fnclex", "fninit", "fnsetpm287_nop", "", "", ""]), "fucomi ST,STi", "fcomi ST,STi", "!"],
  ["fadd STi,ST", "fmul STi,ST", "fcom2 STi", "fcomp3 STi", "fsubr STi,ST", "fsub STi,ST", "fdivr STi,ST", "fdiv STi,ST"],
  ["ffree STi", "fxch4 STi", "fst STi", "fstp STi", "fucom STi", "fucomp STi", "!", "!"],
  ["faddp STi,ST", "fmulp STi,ST", "fcomp5 STi", rm8(["", "fcompp", "", "", "", "", "", ""]), "fsubrp STi,ST", "fsubp STi,ST", "fdivrp STi,ST", "fdivp STi,ST"],
  ["ffreep STi", "fxch7 STi", "fstp8 STi", "fstp9 STi", rm8(["fnstsw AX", "", "", "", "", "", "", ""]), "fucomip ST,STi", "fcomip ST,STi", "!"],
];
for (let k = 0; k < 8; k++) ONE_BYTE[0xd8 + k] = { mem: X87_MEM[k].map((s) => (s === "!" ? s : s + " @x87")), reg: X87_REG[k].map(x87Key) };
function x87Key(s: Spec): Spec {
  if (typeof s === "string") return s === "!" ? s : s.endsWith("_nop") ? s + " @nop" : s + " @x87"; // 8087/287-only control ops are NOPs since the 387
  if (s && typeof s === "object" && "rm" in s) return { rm: s.rm.map(x87Key) };
  return s;
}

// ---------------------------------------------------------------------------
// Two-byte map (0F xx): integer instructions. SSE/MMX entries come from sse-tables.ts.
// ---------------------------------------------------------------------------

export const TWO_BYTE: Spec[] = new Array(256).fill("!");

TWO_BYTE[0x00] = grp(["sldt", "str", "lldt", "ltr", "verr", "verw", null, null], "Ew", "priv");
TWO_BYTE[0x01] = {
  mem: ["sgdt Ms priv", "sidt Ms priv", "lgdt Ms priv", "lidt Ms priv", "smsw Mw priv", "!", "lmsw Ew priv", "invlpg Mb priv"],
  reg: [
    rm8(["", "vmcall priv", "vmlaunch priv", "vmresume priv", "vmxoff priv", "", "", ""]),
    rm8(["monitor priv", "mwait priv", "clac priv", "stac priv", "", "", "", "encls priv"]),
    rm8(["xgetbv", "xsetbv priv", "", "", "vmfunc priv", "xend", "xtest", "enclu priv"]),
    rm8(["vmrun priv", "vmmcall priv", "vmload priv", "vmsave priv", "stgi priv", "clgi priv", "skinit priv", "invlpga priv"]),
    "smsw Rv priv",
    rm8(["", "", "", "", "", "", "rdpkru", "wrpkru"]),
    "lmsw Rw priv",
    rm8(["swapgs priv", "rdtscp", "monitorx priv", "mwaitx priv", "clzero priv", "rdpru", "", ""]),
  ],
};
TWO_BYTE[0x02] = "lar Gv,Ew priv";
TWO_BYTE[0x03] = "lsl Gv,Ew priv";
TWO_BYTE[0x05] = "syscall br";
TWO_BYTE[0x06] = "clts priv";
TWO_BYTE[0x07] = "sysret br priv";
TWO_BYTE[0x08] = "invd priv";
TWO_BYTE[0x09] = "wbinvd priv";
TWO_BYTE[0x0b] = "ud2 br";
TWO_BYTE[0x0d] = grp(["prefetch", "prefetchw", "prefetchwt1", "prefetch", "prefetch", "prefetch", "prefetch", "prefetch"], "Mb memonly @nop");
TWO_BYTE[0x18] = { mem: grp(["prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2", "nop", "nop", "nop", "nop"], "Mb @nop"), reg: "nop Ev @nop" };
for (let k = 0x19; k <= 0x1f; k++) TWO_BYTE[k] = "nop Ev @nop";
TWO_BYTE[0x1e] = {
  n: "nop Ev @nop",
  p66: "nop Ev @nop",
  f2: "nop Ev @nop",
  f3: { mem: "nop Ev @nop", reg: ["nop Ev @nop", "rdssp Ry @nop", "nop Ev @nop", "nop Ev @nop", "nop Ev @nop", "nop Ev @nop", "nop Ev @nop", { rm: ["nop Ev @nop", "nop Ev @nop", "endbr64 @nop", "endbr32 @nop", "nop Ev @nop", "nop Ev @nop", "nop Ev @nop", "nop Ev @nop"] }] },
};
TWO_BYTE[0x20] = "mov Ry,Cy priv";
TWO_BYTE[0x21] = "mov Ry,Dy priv";
TWO_BYTE[0x22] = "mov Cy,Ry priv";
TWO_BYTE[0x23] = "mov Dy,Ry priv";
TWO_BYTE[0x30] = "wrmsr priv";
TWO_BYTE[0x31] = "rdtsc";
TWO_BYTE[0x32] = "rdmsr priv";
TWO_BYTE[0x33] = "rdpmc priv";
TWO_BYTE[0x34] = "sysenter br";
TWO_BYTE[0x35] = "sysexit br priv";
TWO_BYTE[0x37] = "getsec priv";
for (let k = 0; k < 16; k++) {
  TWO_BYTE[0x40 + k] = `cmov${CC[k]} Gv,Ev @cmovcc`;
  TWO_BYTE[0x80 + k] = `j${CC[k]} Jz f64 br @jcc`;
  TWO_BYTE[0x90 + k] = `set${CC[k]} Eb @setcc`;
}
TWO_BYTE[0xa0] = "push FS d64 @pushseg";
TWO_BYTE[0xa1] = "pop FS d64 @popseg";
TWO_BYTE[0xa2] = "cpuid";
TWO_BYTE[0xa3] = "bt Ev,Gv";
TWO_BYTE[0xa4] = "shld Ev,Gv,Ib";
TWO_BYTE[0xa5] = "shld Ev,Gv,CL";
TWO_BYTE[0xa8] = "push GS d64 @pushseg";
TWO_BYTE[0xa9] = "pop GS d64 @popseg";
TWO_BYTE[0xaa] = "rsm priv";
TWO_BYTE[0xab] = "bts Ev,Gv lock";
TWO_BYTE[0xac] = "shrd Ev,Gv,Ib";
TWO_BYTE[0xad] = "shrd Ev,Gv,CL";
TWO_BYTE[0xae] = {
  n: {
    mem: ["fxsave Mf", "fxrstor Mf", "ldmxcsr Md", "stmxcsr Md", "xsave Mf", "xrstor Mf", "xsaveopt Mf", "clflush Mb @nop"],
    reg: ["!", "!", "!", "!", "!", "lfence @nop", "mfence @nop", "sfence @nop"],
  },
  p66: { mem: ["!", "!", "!", "!", "!", "!", "clwb Mb @nop", "clflushopt Mb @nop"], reg: ["!", "!", "!", "!", "!", "!", "tpause Ry", "!"] },
  f3: { mem: ["!", "!", "!", "!", "ptwrite Ey", "!", "clrssbsy Mq", "!"], reg: ["rdfsbase Ry", "rdgsbase Ry", "wrfsbase Ry", "wrgsbase Ry", "ptwrite Ey", "incssp Ry @nop", "umonitor Ry", "!"] },
  f2: { mem: ["!", "!", "!", "!", "!", "!", "!", "!"], reg: ["!", "!", "!", "!", "!", "!", "umwait Ry", "!"] },
};
TWO_BYTE[0xaf] = "imul Gv,Ev @imul2";
TWO_BYTE[0xb0] = "cmpxchg Eb,Gb lock";
TWO_BYTE[0xb1] = "cmpxchg Ev,Gv lock";
TWO_BYTE[0xb2] = "lss Gv,Mp memonly";
TWO_BYTE[0xb3] = "btr Ev,Gv lock";
TWO_BYTE[0xb4] = "lfs Gv,Mp memonly";
TWO_BYTE[0xb5] = "lgs Gv,Mp memonly";
TWO_BYTE[0xb6] = "movzx Gv,Eb";
TWO_BYTE[0xb7] = "movzx Gv,Ew";
TWO_BYTE[0xb8] = { n: "jmpe br", f3: "popcnt Gv,Ev", p66: "jmpe br", f2: "jmpe br" };
TWO_BYTE[0xb9] = "ud1 Gv,Ev br";
TWO_BYTE[0xba] = ["!", "!", "!", "!", "bt Ev,Ib", "bts Ev,Ib lock", "btr Ev,Ib lock", "btc Ev,Ib lock"];
TWO_BYTE[0xbb] = "btc Ev,Gv lock";
TWO_BYTE[0xbc] = { n: "bsf Gv,Ev", p66: "bsf Gv,Ev", f2: "bsf Gv,Ev", f3: "tzcnt Gv,Ev" };
TWO_BYTE[0xbd] = { n: "bsr Gv,Ev", p66: "bsr Gv,Ev", f2: "bsr Gv,Ev", f3: "lzcnt Gv,Ev" };
TWO_BYTE[0xbe] = "movsx Gv,Eb";
TWO_BYTE[0xbf] = "movsx Gv,Ew";
TWO_BYTE[0xc0] = "xadd Eb,Gb lock";
TWO_BYTE[0xc1] = "xadd Ev,Gv lock";
TWO_BYTE[0xc3] = { n: "movnti My,Gy memonly @mov" };
TWO_BYTE[0xc7] = {
  mem: ["!", { w0: "cmpxchg8b Mq lock", w1: "cmpxchg16b Mx lock" }, "!", "xrstors Mf priv", "xsavec Mf", "xsaves Mf priv", "vmptrld Mq priv", "vmptrst Mq priv"],
  reg: ["!", "!", "!", "!", "!", "!", { n: "rdrand Rv", p66: "rdrand Rv", f3: "senduipi Rq priv" }, { n: "rdseed Rv", p66: "rdseed Rv", f3: "rdpid Rq" }],
};
for (let k = 0; k < 8; k++) TWO_BYTE[0xc8 + k] = "bswap Zy";
TWO_BYTE[0xff] = "ud0 Gv,Ev br";

// ---------------------------------------------------------------------------
// Three-byte maps (0F 38 xx, 0F 3A xx): integer parts; SSE parts in sse-tables.ts.
// ---------------------------------------------------------------------------

export const THREE_38: Spec[] = new Array(256).fill("!");
export const THREE_3A: Spec[] = new Array(256).fill("!");

THREE_38[0xf0] = { n: "movbe Gv,Mv memonly", p66: "movbe Gv,Mv memonly", f2: "crc32 Gy,Eb" };
THREE_38[0xf1] = { n: "movbe Mv,Gv memonly", p66: "movbe Mv,Gv memonly", f2: "crc32 Gy,Ev" };
THREE_38[0xf6] = { p66: "adcx Gy,Ey", f3: "adox Gy,Ey" };
// not implemented (SIGILL, not advertised): decoded for the disassembler and the error message
THREE_38[0xf9] = { n: "movdiri My,Gy memonly" };

// VEX-encoded general-purpose instructions (BMI1/BMI2), by map.
export const VEX_38: Spec[] = new Array(256).fill("!");
export const VEX_3A: Spec[] = new Array(256).fill("!");
export const VEX_0F: Spec[] = new Array(256).fill("!");
// (VEX.L must be 0)
VEX_38[0xf2] = { n: "andn Gy,By,Ey vl0" };
VEX_38[0xf3] = { n: ["!", "blsr By,Ey vl0", "blsmsk By,Ey vl0", "blsi By,Ey vl0", "!", "!", "!", "!"] };
VEX_38[0xf5] = { n: "bzhi Gy,Ey,By vl0", f3: "pext Gy,By,Ey vl0", f2: "pdep Gy,By,Ey vl0" };
VEX_38[0xf6] = { f2: "mulx Gy,By,Ey vl0" };
VEX_38[0xf7] = { n: "bextr Gy,Ey,By vl0", p66: "shlx Gy,Ey,By vl0", f3: "sarx Gy,Ey,By vl0", f2: "shrx Gy,Ey,By vl0" };
VEX_3A[0xf0] = { f2: "rorx Gy,Ey,Ib vl0" };

export const CONDITION_CODES = CC;
