/**
 * Sysroot lookup (-L/--sysroot DIR, X64EMU_LD_PREFIX; qemu's -L convention):
 * a guest path is looked up under DIR first and, when it is not there, in the
 * host's own tree. Symbolic links met under DIR resolve inside DIR (an
 * absolute target such as Debian's /lib64/ld-linux-x86-64.so.2 ->
 * /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 stays in the sysroot), so a
 * foreign root works on a machine that has no such files of its own.
 */
import * as fs from "node:fs";

const MAX_LINKS = 40;

/**
 * The host path of guest path `p` (absolute, normalized) under `sysroot`, or
 * null when it does not exist there. `followLast`: resolve a final symlink too.
 */
export function sysrootPath(sysroot: string, p: string, followLast: boolean): string | null {
  const todo = p.split("/").filter((c) => c !== "" && c !== ".");
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === "..") {
      done.pop();
      continue;
    }
    const host = sysroot + "/" + [...done, c].join("/");
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      return null;
    }
    if (st.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++links > MAX_LINKS) return null;
      const target = fs.readlinkSync(host);
      if (target.startsWith("/")) done.length = 0;
      todo.unshift(...target.split("/").filter((x) => x !== "" && x !== "."));
      continue;
    }
    done.push(c);
  }
  return sysroot + "/" + done.join("/");
}
