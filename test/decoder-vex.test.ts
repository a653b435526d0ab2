/**
 * VEX decoder cross-check against binutils objdump: every opcode of the
 * three VEX maps under every pp, L and W (C4 form, random register fields,
 * ModRM, SIB and immediates), plus the two-byte C5 form, compared on length
 * and mnemonic wherever both decode an instruction. Where we decode an
 * instruction objdump rejects, that is a decoder bug too.
 */
import { describe, expect, it } from "vitest";
import { decode, INVALID } from "../src/decoder/decode.js";
import { formatInsn } from "../src/decoder/format.js";
import { Insn } from "../src/decoder/insn.js";
import { HAS_OBJDUMP, objdump } from "./helpers/objdump.js";
import { prng } from "./helpers/prng.js";

if (!HAS_OBJDUMP) console.log("VEX decoder cross-check skipped: objdump (binutils) is not installed");

/** Each case padded to 32 bytes with int3 so that objdump resynchronizes after it. */
function corpus(seed: number): Uint8Array {
  const rnd = prng(seed);
  const out: number[] = [];
  const emit = (b: number[]) => {
    while (b.length < 32) b.push(0xcc);
    out.push(...b);
  };
  for (let map = 1; map <= 3; map++)
    for (let pp = 0; pp < 4; pp++)
      for (let lw = 0; lw < 4; lw++)
        for (let op = 0; op < 256; op++) {
          const r = rnd();
          const rxb = (r & 1 ? 0xe0 : (r >> 1) & 0xe0) | map;
          const vvvv = r & 0x100 ? 15 : (r >> 9) & 15;
          const b2 = ((lw & 2) << 6) | (vvvv << 3) | ((lw & 1) << 2) | pp;
          const mod = (r >> 14) & 3;
          const modrm = (mod << 6) | ((r >> 16) & 0x3f);
          emit([0xc4, rxb, b2, op, modrm, (r >> 22) & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff]);
          if (map === 1 && lw < 2) {
            const c5 = 0x80 | (vvvv << 3) | ((lw & 1) << 2) | pp;
            emit([0xc5, c5, op, modrm, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff]);
          }
        }
  return Uint8Array.from(out);
}

/** objdump spells compare predicates and pclmul selectors into the mnemonic. */
function same(om: string, ours: string): boolean {
  if (om === ours) return true;
  if (/^vcmp/.test(om) && /^vcmp/.test(ours)) return om.slice(-2) === ours.slice(-2);
  if (/^vpclmul/.test(om) && ours === "vpclmulqdq") return true;
  if (/^vpcmpe?str[im]q?$/.test(om)) return om.replace(/q$/, "") === ours.replace(/q$/, "");
  return false;
}

describe.skipIf(!HAS_OBJDUMP)("VEX decoder vs objdump", () => {
  it("agrees on length and mnemonic for every VEX opcode, pp, L and W", () => {
    const bad: string[] = [];
    let compared = 0;
    const missing = new Set<string>();
    for (const seed of [7, 8]) {
      const bytes = corpus(seed);
      const list = objdump(bytes, "vex-corpus");
      const byOff = new Map(list.map((o) => [o.off, o]));
      const fetch = (a: number) => (a < bytes.length ? bytes[a] : 0xcc);
      for (let off = 0; off < bytes.length; off += 32) {
        const o = byOff.get(off);
        const i = decode(fetch, off, new Insn());
        const hex = Array.from(bytes.subarray(off, off + 12), (b) => b.toString(16).padStart(2, "0")).join(" ");
        const om = o ? o.text.split(/\s+/)[0] : "(none)";
        const objValid = o !== undefined && om !== "(bad)" && !o.text.startsWith(".byte") && !/\{/.test(o.text);
        if (i.def === INVALID) {
          if (objValid) missing.add(om); // extensions we do not implement (gathers, AVX-VNNI, AMX...) are #UD here
          continue;
        }
        if (!objValid) {
          bad.push(`${hex}: objdump '${o?.text}', x64emu '${formatInsn(i)}'`);
          continue;
        }
        compared++;
        if (i.len !== o.len || !same(om, i.mnem)) bad.push(`${hex}: objdump ${o.len} '${o.text}', x64emu ${i.len} '${formatInsn(i)}'`);
      }
    }
    console.log(`VEX decoder cross-check: ${compared} instructions compared with objdump; not decoded (#UD): ${[...missing].sort().join(" ")}`);
    expect(bad.slice(0, 40)).toEqual([]);
    expect(compared).toBeGreaterThan(2000);
  });
});
