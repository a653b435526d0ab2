/**
 * Decoder cross-check against binutils objdump: random and exhaustive opcode
 * byte sequences, compared instruction by instruction (length and mnemonic)
 * at every instruction start objdump finds.
 */
import { describe, expect, it } from "vitest";
import { decode, INVALID } from "../src/decoder/decode.js";
import { Insn } from "../src/decoder/insn.js";
import { HAS_OBJDUMP, objdump } from "./helpers/objdump.js";
import { prng } from "./helpers/prng.js";

if (!HAS_OBJDUMP) console.log("decoder cross-check skipped: objdump (binutils) is not installed");

function bytes(seed: number): () => number {
  const next = prng(seed);
  return () => next() & 0xff;
}

const PREFIXES = [[], [], [], [0x66], [0x48], [0x41], [0x4c], [0x44], [0xf3], [0xf2], [0x67], [0x64], [0x65], [0x66, 0x48], [0xf0], [0x2e]];

function corpus(seed: number): Uint8Array {
  const rnd = bytes(seed);
  const out: number[] = [];
  const tail = (n: number) => {
    for (let k = 0; k < n; k++) out.push(rnd());
  };
  const pre = () => out.push(...PREFIXES[rnd() % PREFIXES.length]);
  for (let rep = 0; rep < 4; rep++) {
    for (let op = 0; op < 256; op++) {
      if (op === 0x0f) continue;
      pre();
      out.push(op);
      tail(12);
    }
    for (let op = 0; op < 256; op++) {
      if (op === 0x38 || op === 0x3a) continue;
      pre();
      out.push(0x0f, op);
      tail(12);
    }
    for (let op = 0; op < 256; op++) {
      out.push(...[[0x66], [], [0xf2], [0xf3]][rep]);
      out.push(0x0f, 0x38, op);
      tail(10);
      out.push(...[[0x66], [], [0xf2], [0xf3]][rep]);
      out.push(0x0f, 0x3a, op);
      tail(10);
    }
  }
  return Uint8Array.from(out);
}

/** objdump's mnemonic without prefixes like rep/lock/data16/rex.W/cs/bnd/notrack. */
const PREFIX_WORD = /^(rep|repz|repnz|repe|repne|lock|data16|data32|addr32|rex(\.[WRXB]+)?|cs|ds|es|ss|fs|gs|bnd|notrack|xacquire|xrelease|\{[a-z0-9]+\})$/;

function objMnemonic(text: string): string {
  const words = text.split(/\s+/);
  let k = 0;
  while (k < words.length && PREFIX_WORD.test(words[k])) k++;
  // objdump lists prefixes the CPU ignores (a REX before a legacy prefix...) as an instruction of their own
  return k === words.length ? "(prefix)" : words[k];
}

const STRING = /^(movs|cmps|stos|lods|scas|ins|outs)[bwdq]?$/;
const ALIASES: Record<string, string> = { "fneni(8087": "fneni8087_nop", "fndisi(8087": "fndisi8087_nop", "fnsetpm(287": "fnsetpm287_nop", movabs: "mov", xlat: "xlatb", "(bad)": "(bad)", jrcxz: "jrcxz", jecxz: "jrcxz", sal: "shl", int1: "int1", icebp: "int1" };

function norm(m: string): string {
  if (STRING.test(m)) return m.replace(/[bwdq]$/, "").replace(/^(movs|cmps|stos|lods|scas|ins|outs).*/, "$1");
  return ALIASES[m] ?? m;
}

/** Equal up to objdump's size suffixes (pushw, retfq, sysretd...), far forms and MPX hint-NOPs. */
function sameMnemonic(om: string, text: string, ours: string): boolean {
  if (norm(om) === norm(ours)) return true;
  if (om.replace(/[wdq]$/, "") === ours || om === ours + "64") return true; // fxsave64 & co: REX.W form
  if ((om === "call" || om === "jmp") && /FWORD PTR/.test(text) && ours === om + "f") return true;
  if (/^bnd/.test(om) && ours === "nop") return true; // MPX is gone: these execute as hint NOPs
  return false;
}

describe.skipIf(!HAS_OBJDUMP)("decoder vs objdump", () => {
  it("agrees on length and mnemonic at every instruction start", () => {
    let compared = 0;
    let gp = 0;
    let simd = 0;
    const lengthMismatch: string[] = [];
    const mnemonicMismatch: string[] = [];
    const invalidButValid: string[] = [];
    for (const seed of [1, 2, 3]) {
      const bytes = corpus(seed);
      const list = objdump(bytes, "decoder-corpus");
      const fetch = (a: number) => {
        if (a >= bytes.length) throw new Error("past end");
        return bytes[a];
      };
      for (const o of list) {
        const om = objMnemonic(o.text);
        if (om === "(bad)" || om === "(prefix)" || o.text.startsWith(".byte") || o.off + 16 > bytes.length) continue;
        let i: Insn;
        try {
          i = decode(fetch, o.off, new Insn());
        } catch {
          continue;
        }
        compared++;
        const hex = Array.from(bytes.subarray(o.off, o.off + o.len), (b) => b.toString(16).padStart(2, "0")).join(" ");
        if (i.def === INVALID) {
          // objdump accepts some encodings the CPU rejects (lock on non-lockable instructions, opcodes
          // removed from 64-bit mode); any other disagreement is a decoder bug
          // (checked for the one-byte map: the 0F maps hold many extensions we deliberately do not implement)
          if (i.map === 0 && i.opcode !== 0xc4 && i.opcode !== 0xc5 && i.opcode !== 0x62 && !/\block\b/.test(o.text) && !/^(\S+ )?femms/.test(o.text)) invalidButValid.push(`${hex}: objdump '${o.text}'`);
          continue;
        }
        // objdump shows fwait + x87 as one "wait form" (fstsw...); the CPU executes them as two instructions
        if (i.mnem === "fwait" && o.len > 1) continue;
        if (i.len !== o.len) lengthMismatch.push(`${hex}: objdump ${o.len} '${o.text}', x64emu ${i.len} '${i.mnem}'`);
        // mnemonic comparison for general-purpose (non-x87, non-SIMD) instructions
        const isGp = i.map === 0 ? !(i.opcode >= 0xd8 && i.opcode <= 0xdf) : i.map === 1 && !/^(p|mov[ahlnqd]|cvt|un|sh|x|or|and|add|sub|mul|div|min|max|sqrt|rcp|rsq|cmp[ps]|u?comi|ldmx|stmx|emms|pshuf|pinsr|pextr|mask|lddqu|hadd|hsub)/.test(i.mnem);
        // ... and for the 0F38/0F3A maps (SSSE3, SSE4, AES, ...)
        const map23 = i.map === 2 || i.map === 3;
        if (isGp || map23) {
          if (map23) simd++;
          else gp++;
          if (!sameMnemonic(om, o.text, i.mnem)) mnemonicMismatch.push(`${hex}: objdump '${o.text}', x64emu '${i.mnem}'`);
        }
      }
    }
    console.log(`decoder cross-check: ${compared} instructions compared with objdump (${gp} general-purpose and ${simd} 0F38/0F3A mnemonics)`);
    expect(lengthMismatch.slice(0, 30)).toEqual([]);
    expect(mnemonicMismatch.slice(0, 30)).toEqual([]);
    expect(invalidButValid.slice(0, 40)).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
  });
});
