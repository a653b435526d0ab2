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

/** GNU as on `lines` (one instruction each, 16-byte slots); lines it rejects are dropped. */
function gasSlots(lines: string[]): { kept: string[]; text: Buffer } {
  const dir = tmpDir();
  const s = path.join(dir, "gen.s"), o = path.join(dir, "gen.o");
  let kept = lines;
  for (let attempt = 0; attempt < 3; attempt++) {
    fs.writeFileSync(s, kept.map((l) => `.balign 16, 0xcc\n${l}\n`).join("") + ".balign 16, 0xcc\n");
    const r = spawnSync("as", ["--64", "-o", o, s], { encoding: "utf8" });
    const bad = new Set([...r.stderr.matchAll(/gen\.s:(\d+): Error/g)].map((m) => (Number(m[1]) - 2) / 2));
    if (r.status === 0 && bad.size === 0) return { kept, text: section(o, ".text") };
    kept = kept.filter((_, i) => !bad.has(i));
  }
  throw new Error("GNU as keeps rejecting the generated instructions");
}

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

  it.skipIf(!TOOLS)("3000 generated instructions encode as GNU as encodes them", () => {
    const { kept, text } = gasSlots(generateInstructions(3000, 18));
    expect(kept.length).toBeGreaterThan(2500);
    const src = kept.map((l) => `.balign 16, 0xcc\n${l}\n`).join("") + ".balign 16, 0xcc\n";
    const elf = path.join(tmpDir(), "gen.ours");
    try {
      fs.writeFileSync(elf, assembleProgram(".globl _start\n_start:\n" + src, "gen.s"));
    } catch (e) {
      const diags = (e as AsmError).diagnostics ?? [];
      expect(diags.map((d) => `${kept[(d.line - 4) / 2]}: ${d.message}`).join("\n")).toBe("");
    }
    const ours = section(elf, ".text");
    const bad: string[] = [];
    for (let i = 0; i < kept.length; i++) {
      const a = text.subarray(i * 16, i * 16 + 16).toString("hex"), b = ours.subarray(i * 16, i * 16 + 16).toString("hex");
      if (a !== b) bad.push(`${kept[i]}: as ${a.replace(/(cc)+$/, "")} ours ${b.replace(/(cc)+$/, "")}`);
    }
    expect(bad.slice(0, 40).join("\n")).toBe("");
    expect(ours.length).toBe(text.length);
  });
});
