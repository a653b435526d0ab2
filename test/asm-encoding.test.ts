/**
 * The assembler against GNU as, byte for byte: the lesson programs (whole
 * .text/.rodata/.data of the linked executables) and a few thousand generated
 * instructions, each aligned to its own 16-byte slot so one difference does
 * not shift the rest.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AsmError, assembleProgram } from "../src/asm/index.js";
import { Emulator, MemoryHost } from "../src/index.js";
import { generateInstructions } from "./helpers/asm-gen.js";
import { HAS_AS, ROOT, tmpDir } from "./helpers/asm.js";

const SRC = path.join(ROOT, "fixtures/src");
const readFile = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined);

function hasObjcopy(): boolean {
  return spawnSync("sh", ["-c", "command -v objcopy"]).status === 0;
}
const TOOLS = HAS_AS && hasObjcopy();
const why = TOOLS ? "" : " (skipped: GNU as, ld or objcopy not installed)";

function section(file: string, name: string): Buffer {
  const out = path.join(tmpDir(), `sec-${process.pid}.bin`);
  execFileSync("objcopy", ["-O", "binary", `--only-section=${name}`, file, out]);
  const b = fs.readFileSync(out);
  fs.rmSync(out);
  return b;
}

const slots = (lines: string[], head = "") => head + lines.map((l) => `.balign 16, 0xcc\n${l}\n`).join("") + ".balign 16, 0xcc\n";

/** GNU as on `lines` (one instruction each, 16-byte slots); lines it rejects are dropped. */
function gasSlots(lines: string[], head = ""): { kept: string[]; text: Buffer } {
  const dir = tmpDir();
  const s = path.join(dir, "gen.s"), o = path.join(dir, "gen.o");
  const first = head.split("\n").length + 1; // line of the first instruction
  let kept = lines;
  for (let attempt = 0; attempt < 3; attempt++) {
    fs.writeFileSync(s, slots(kept, head));
    const r = spawnSync("as", ["--64", "-o", o, s], { encoding: "utf8" });
    const bad = new Set([...r.stderr.matchAll(/gen\.s:(\d+): Error/g)].map((m) => (Number(m[1]) - first) / 2));
    if (r.status === 0 && bad.size === 0) return { kept, text: section(o, ".text") };
    kept = kept.filter((_, i) => !bad.has(i));
  }
  throw new Error("GNU as keeps rejecting the generated instructions");
}

/** Every directive the front handles, with the tricky lexical cases. */
const ZOO = `/* a directive zoo: C comment
   over two lines */
	.globl _start, func
	.text
_start:	mov $60, %eax ; mov $0, %edi	# two statements
	cmpb $'#', (%rsi)		# a '#' constant, not a comment
	cmpb $'\\n', %al
	mov $'a', %ecx
	.rept 3
	inc %eax
	.endr
	.p2align 4
func:	ret
	.size func, . - func
	.type func, @function
1:	jmp 1f
	.balign 8, 0x90
	jmp 1b
1:	.skip 3, 0xcc
	.fill 2, 4, 0x11223344
	.space 2
	.zero 5
	.align 32
far:	je far2
	.fill 200, 1, 0x90
far2:	jne far
	call far
	jmp *table(,%rax,8)
	lea table(%rip), %rax
	mov $table, %rbx
	movabs $table+8, %r11
	.data
	.byte 1
	.align 8
table:	.quad far, far2, _start + 1
	.long far2 - far
	.word 0x1234, -1
	.string "str", "two"
	.asciz "z"
	.equ K, 3 * 4
	.byte K, K >> 1, ~K & 0xff
	.section .rodata
ro:	.ascii "ro\\t\\"q\\"\\\\"
	.octa 0x0123456789abcdef0011223344556677
	.bss
	.lcomm lbuf, 100
	.comm cbuf, 64, 16
bvar:	.zero 24
`;

/** Intel-syntax forms a lesson uses. */
const INTEL = `	.intel_syntax noprefix
	.globl _start
	.text
_start:
	mov rax, QWORD PTR [rbx+rcx*8+16]
	mov DWORD PTR [rsp+8], 5
	mov BYTE PTR [rip+msg], 1
	lea rsi, [rip+msg]
	mov edx, OFFSET msg
	movabs rax, 0x123456789abc
	add rax, 1
	sub rsp, 32
	and rsp, -16
	cmp BYTE PTR [rsi], 0
	movzx eax, BYTE PTR [rsi]
	movsx rax, WORD PTR [rsi]
	movsxd rax, DWORD PTR [rsi]
	imul rax, rbx, 10
	shl rax, 3
	sar eax, cl
	push 1
	push QWORD PTR [rax]
	pop rbx
	call func
	jmp 1f
1:	jne 1b
	cqo
	cdq
	idiv rcx
	xchg rax, rbx
	test al, 1
	setz al
	cmovne eax, ebx
	rep movsb
	movq xmm0, rax
	addsd xmm0, [rax]
	cvtsi2sd xmm1, rax
	inc DWORD PTR [rax]
	neg r8
	not r9d
	lea eax, [rax+rax*2]
	ret
func:	syscall
	ret
	.data
msg: .byte 1
	.text
	addsd xmm0, QWORD PTR [rax]
	movsd xmm1, QWORD PTR [rbx+8]
	movsd QWORD PTR [rbx+8], xmm1
	cvttsd2si eax, QWORD PTR [rax]
	cvtss2sd xmm0, DWORD PTR [rax]
	ucomisd xmm0, QWORD PTR [rip+msg]
	addss xmm2, DWORD PTR [rcx]
	movss xmm2, DWORD PTR [rcx]
	cvtsi2sd xmm1, DWORD PTR [rax]
	cvtsi2sd xmm1, QWORD PTR [rax]
`;

/** A C program without libc, for gcc -S. */
const C_PROGRAM = `static long sys3(long n, long a, long b, long c) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory"); return r; }
static const char msg[] = "from C\\n";
int counter = 5;
static char buf[100];
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
void _start(void) {
  for (int i = 0; i < 7; i++) buf[i] = msg[i];
  sys3(1, 1, (long)buf, 7);
  sys3(60, fib(10) + counter, 0, 0);
}
`;
const HAS_GCC = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;

afterAll(() => fs.rmSync(tmpDir(), { recursive: true, force: true }));

describe("assembler vs GNU as" + why, () => {
  it.skipIf(!TOOLS)("lesson programs: the same .text, .rodata and .data, at the same addresses, with the same symbols", () => {
    const dir = tmpDir();
    for (const f of fs.readdirSync(SRC).filter((f) => f.endsWith(".s"))) {
      const name = f.slice(0, -2);
      const src = path.join(SRC, f);
      const o = path.join(dir, `${name}.o`), ref = path.join(dir, `${name}.ref`), ours = path.join(dir, `${name}.ours`);
      execFileSync("as", ["--64", "-I", SRC, "-o", o, src]);
      execFileSync("ld", ["-static", "--build-id=none", "-o", ref, o]);
      fs.writeFileSync(ours, assembleProgram(fs.readFileSync(src, "utf8"), src, { readFile }));
      for (const sec of [".text", ".rodata", ".data"]) expect(section(ours, sec).equals(section(ref, sec)), `${name} ${sec}`).toBe(true);
      const headers = (p: string) =>
        execFileSync("readelf", ["-lSW", p], { encoding: "utf8" })
          .split("\n")
          .filter((l) => /^\s+(LOAD|\[\s*\d+\] \.(text|rodata|data|bss))\s/.test(l))
          .join("\n");
      expect(headers(ours), name).toBe(headers(ref));
      const syms = (p: string) =>
        execFileSync("nm", [p], { encoding: "utf8" })
          .trim()
          .split("\n")
          .sort()
          .join("\n");
      expect(syms(ours), name).toBe(syms(ref));
      const entry = (p: string) => execFileSync("readelf", ["-h", p], { encoding: "utf8" }).match(/Entry point address:\s+(\S+)/)?.[1];
      expect(entry(ours), name).toBe(entry(ref));
    }
  });

  /** Links `source` with both toolchains; compares sections, load segments and symbols. */
  function compareWithLd(name: string, source: string): void {
    const dir = tmpDir();
    const src = path.join(dir, `${name}.s`), o = path.join(dir, `${name}.o`), ref = path.join(dir, `${name}.ref`), ours = path.join(dir, `${name}.ours`);
    fs.writeFileSync(src, source);
    execFileSync("as", ["--64", "-o", o, src]);
    execFileSync("ld", ["-static", "--build-id=none", "-o", ref, o]);
    fs.writeFileSync(ours, assembleProgram(source, src, { readFile }));
    for (const sec of [".text", ".rodata", ".data"]) expect(section(ours, sec).equals(section(ref, sec)), `${name} ${sec}`).toBe(true);
    const layout = (p: string) =>
      execFileSync("readelf", ["-lSW", p], { encoding: "utf8" })
        .split("\n")
        .filter((l) => /^\s+(LOAD|\[\s*\d+\] \.(text|rodata|data|bss))\s/.test(l))
        .join("\n");
    expect(layout(ours)).toBe(layout(ref));
    const syms = (p: string) => execFileSync("nm", [p], { encoding: "utf8" }).trim().split("\n").sort().join("\n");
    expect(syms(ours)).toBe(syms(ref));
  }

  it.skipIf(!TOOLS)("directives: comments, ; separators, character constants, .rept, alignment fills, data of every size, .lcomm/.comm, relocations", () => {
    compareWithLd("zoo", ZOO);
  });

  it.skipIf(!TOOLS)(".intel_syntax noprefix: sizes with PTR, OFFSET, rip-relative, movabs, scalar SSE", () => {
    compareWithLd("intel", INTEL);
  });

  it.skipIf(!TOOLS || !HAS_GCC)("gcc -S output (sections with entry sizes, .local/.comm, .note.GNU-stack, alignment) links as ld links it", () => {
    const dir = tmpDir();
    const c = path.join(dir, "c1.c");
    fs.writeFileSync(c, C_PROGRAM);
    for (const opt of ["-O0", "-O2", "-Os"]) {
      const s = path.join(dir, `c1${opt}.s`);
      execFileSync("gcc", [opt, "-S", "-fno-pie", "-fno-stack-protector", "-fcf-protection=none", "-fno-asynchronous-unwind-tables", "-o", s, c]);
      compareWithLd(`c1${opt}`, fs.readFileSync(s, "utf8"));
      // with .cfi_* directives (ignored: no .eh_frame) it still runs
      execFileSync("gcc", [opt, "-S", "-fno-pie", "-fno-stack-protector", "-fcf-protection=none", "-o", s, c]);
      const emu = Emulator.fromElf(assembleProgram(fs.readFileSync(s, "utf8"), s), { host: new MemoryHost() });
      expect(emu.run()).toEqual({ kind: "exit", code: 60 });
      expect((emu.host as MemoryHost).stdoutText()).toBe("from C\n");
    }
  });

  it.skipIf(!TOOLS)("branches are relaxed as GNU as relaxes them (short and near jumps, forward and back)", () => {
    const parts = [".globl _start", ".text", "_start:"];
    for (let n = 118; n <= 136; n += 3) {
      parts.push(`L${n}a: jmp L${n}b`, `  jz L${n}a`, `  .fill ${n}, 1, 0x90`, `  jne L${n}a`, `  call L${n}b`, `L${n}b: loop L${n}b`, `  jmp L${n}a`);
    }
    compareWithLd("branches", parts.join("\n") + "\n");
  });

  /** Our encoding of each slot against as's; a list of the differences. */
  function compareSlots(kept: string[], text: Buffer, head: string): string[] {
    const src = slots(kept, ".globl _start\n_start:\n" + head);
    const elf = path.join(tmpDir(), "gen.ours");
    try {
      fs.writeFileSync(elf, assembleProgram(src, "gen.s"));
    } catch (e) {
      const first = head.split("\n").length + 3;
      return ((e as AsmError).diagnostics ?? []).map((d) => `${kept[(d.line - first) / 2]}: ${d.message}`);
    }
    const ours = section(elf, ".text");
    const bad: string[] = [];
    for (let i = 0; i < kept.length; i++) {
      const a = text.subarray(i * 16, i * 16 + 16).toString("hex"), b = ours.subarray(i * 16, i * 16 + 16).toString("hex");
      if (a !== b) bad.push(`${kept[i]}: as ${a.replace(/(cc)+$/, "")} ours ${b.replace(/(cc)+$/, "")}`);
    }
    if (ours.length !== text.length) bad.push(`.text is ${ours.length} bytes, as made ${text.length}`);
    return bad;
  }

  it.skipIf(!TOOLS)("3000 generated instructions encode as GNU as encodes them", () => {
    const { kept, text } = gasSlots(generateInstructions(3000, 18));
    expect(kept.length).toBeGreaterThan(2500);
    expect(compareSlots(kept, text, "").slice(0, 40).join("\n")).toBe("");
  });

  it.skipIf(!TOOLS)("the same instructions in Intel syntax (as objdump -M intel writes them) encode as GNU as encodes them", () => {
    const { kept: att } = gasSlots(generateInstructions(3000, 18));
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "att.s"), att.join("\n") + "\n");
    execFileSync("as", ["--64", "-o", path.join(dir, "att.o"), path.join(dir, "att.s")]);
    const dis = execFileSync("objdump", ["-d", "-M", "intel", "--no-show-raw-insn", path.join(dir, "att.o")], { encoding: "utf8", maxBuffer: 1 << 26 });
    const intel = dis
      .split("\n")
      .map((l) => /^\s+[0-9a-f]+:\s+(.*)$/.exec(l)?.[1])
      .filter((l): l is string => !!l)
      .map((l) => l.replace(/\s+#.*$/, "").replace(/\s+/, " ").trim())
      // objdump-only spellings no one writes: string instructions with operands, immediates shown 64-bit wide
      .filter((l) => !/^(rep\w* )?(movs|cmps|stos|lods|scas|ins|outs|xlat) /.test(l) && !/0xffffffff[0-9a-f]{8}\b/.test(l));
    const head = ".intel_syntax noprefix\n";
    const { kept, text } = gasSlots(intel, head);
    expect(kept.length).toBeGreaterThan(2500);
    expect(compareSlots(kept, text, head).slice(0, 40).join("\n")).toBe("");
  });
});
