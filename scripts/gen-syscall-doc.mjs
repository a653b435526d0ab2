#!/usr/bin/env node
// Rewrites the README's supported-syscall list (between the syscalls markers) from the
// syscall table in dist/ (run `npm run build` first). `--check` exits 1 when the README is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { syscallTable } = await import(pathToFileURL(path.join(root, "dist/kernel/index.js")).href);
const list = syscallTable()
  .map((d) => d.name)
  .sort();
const lines = [];
let line = "";
for (const name of list) {
  const word = "`" + name + "`";
  if ((line + " " + word).length > 76) {
    lines.push(line);
    line = word;
  } else line = line ? line + " " + word : word;
}
if (line) lines.push(line);
const block = `<!-- syscalls:begin -->\n${list.length} system calls (Linux x86-64 numbers):\n${lines.join("\n")}\n\nEvery other system call returns \`-ENOSYS\`, as Linux does for unknown calls\n(\`--strace\` shows \`-1 ENOSYS (Function not implemented)\`).\n<!-- syscalls:end -->`;
const readmePath = path.join(root, "README.md");
const readme = fs.readFileSync(readmePath, "utf8");
const next = readme.replace(/<!-- syscalls:begin -->[\s\S]*?<!-- syscalls:end -->/, block);
if (process.argv.includes("--check")) {
  if (next !== readme) {
    console.error("README.md syscall list is stale: run node scripts/gen-syscall-doc.mjs");
    process.exit(1);
  }
} else {
  fs.writeFileSync(readmePath, next);
  console.log(`README.md: ${list.length} syscalls listed`);
}
