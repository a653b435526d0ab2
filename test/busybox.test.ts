/** Debian's busybox-static under x64emu, compared with the native run. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
if (!BUSYBOX) console.log("busybox tests skipped: busybox is not installed (Debian package busybox-static)");
if (!IS_X86_64_LINUX) console.log("busybox tests skipped: the comparison needs a native x86-64 run");

const dir = tmpDir();
const input = path.join(dir, "fruit.txt");
fs.writeFileSync(input, "banana\napple\ncherry\napple\n");

const CASES: Array<{ args: string[]; stdin?: string }> = [
  { args: ["true"] },
  { args: ["false"] },
  { args: ["echo", "hello", "world"] },
  { args: ["seq", "3", "12"] },
  { args: ["expr", "7", "*", "6"] },
  { args: ["printf", "%s-%05d|%x\\n", "abc", "42", "255"] },
  { args: ["wc", input] },
  { args: ["sort", input] },
  { args: ["sort", "-r", "-u", input] },
  { args: ["sha256sum", input] },
  { args: ["md5sum", input] },
  { args: ["basename", "/usr/lib/libc.so.6", ".6"] },
  { args: ["uname", "-s", "-m"] },
  { args: ["head", "-n", "2", input] },
  { args: ["tr", "a-z", "A-Z"], stdin: "shout this\n" },
  { args: ["od", "-A", "x", "-t", "x1z", input] },
  { args: ["cat", input, "-"], stdin: "from stdin\n" },
  { args: ["hostname"] },
  { args: ["ln", "-sf", input, path.join(dir, "link")] },
  { args: ["readlink", path.join(dir, "link")] },
  { args: ["ln", "-f", input, path.join(dir, "hard")] },
  { args: ["stat", "-c", "%h %s", path.join(dir, "hard")] },
  { args: ["sh", "-c", "x=5; echo $((x * 2)); for i in 1 2 3; do printf '%s ' i$i; done; echo; test -f " + input + " && echo exists; exit 3"] },
];

describe.skipIf(!BUSYBOX || !IS_X86_64_LINUX)("busybox", () => {
  for (const c of CASES) {
    it(c.args.join(" ").slice(0, 60), () => {
      const n = runNative(BUSYBOX!, c.args, { input: c.stdin });
      const e = runEmu([BUSYBOX!, ...c.args], { input: c.stdin });
      expect(e.stdout).toBe(n.stdout);
      expect(e.stderr).toBe(n.stderr);
      expect(shellStatus(e)).toBe(shellStatus(n));
    });
  }
});
