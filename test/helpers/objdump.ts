/** binutils objdump as the decoder's oracle: disassemble raw x86-64 bytes into (offset, length, text). */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "./asm.js";

export const HAS_OBJDUMP = spawnSync("sh", ["-c", "command -v objdump"]).status === 0;

export interface ObjInsn {
  off: number;
  len: number;
  text: string;
}

/** objdump -D of `bytes` as a flat x86-64 binary in Intel syntax, one entry per instruction it prints. */
export function objdump(bytes: Uint8Array, name = "corpus"): ObjInsn[] {
  const file = path.join(tmpDir(), `${name}.bin`);
  fs.writeFileSync(file, bytes);
  const txt = execFileSync("objdump", ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel,intel64", "--insn-width=16", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const res: ObjInsn[] = [];
  for (const line of txt.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$/.exec(line);
    if (!m) continue;
    res.push({ off: parseInt(m[1], 16), len: m[2].trim().split(/\s+/).length, text: m[3].trim() });
  }
  return res;
}
