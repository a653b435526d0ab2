/** The in-memory file system (MemoryFs) under C programs and directly, through the public entry point. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator, EmulatorError, MemoryFs, MemoryHost } from "../src/index.js";
import { ROOT } from "./helpers/asm.js";

const bin = (n: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, "fixtures/bin", n)));
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

describe("MemoryFs", () => {
  for (const libc of ["musl", "glibc"]) {
    it(`fixtures/c/files.c (${libc}) creates, reads, renames, lists and removes files in memory`, () => {
      const mfs = new MemoryFs({ "/work/keep": "x" }, { cwd: "/work" });
      const host = new MemoryHost();
      const emu = Emulator.fromElf(bin(`${libc}/files`), { argv: ["files", "/work"], host, files: mfs });
      expect(emu.run()).toEqual({ kind: "exit", code: 0 });
      expect(host.stdoutText()).toBe(
        [
          "size 790 mode 644",
          "read 20: [e 1\nline 2\nline 3\nli]",
          "end at 790",
          "entry keep",
          "entry renamed.txt",
          "entry sub",
          "access 0 -1",
          "cwd ok 1",
          "exe 0", // no /proc/self/exe for a program given as bytes
          "",
        ].join("\n"),
      );
      expect(mfs.list()).toEqual(["/", "/work", "/work/keep"]);
      expect(emu.host.fs).toBe(mfs);
    });
  }

  it("serves stdin and files to cat, and takes files as a plain record", () => {
    const host = new MemoryHost({ stdin: "from stdin\n" });
    const emu = Emulator.fromElf(bin("musl/cat"), { host, files: { "/etc/motd": "hi\n" } });
    expect(emu.run()).toEqual({ kind: "exit", code: 0 });
    expect(host.stdoutText()).toBe("from stdin\n");
    expect(text((emu.host.fs as MemoryFs).readFile("/etc/motd"))).toBe("hi\n");
    expect(() => Emulator.fromElf(bin("true"), { host: emu.host, files: {} })).toThrow(EmulatorError);
  });

  it("implements the HostFs calls with Linux errno values", () => {
    const m = new MemoryFs({ "/a/b.txt": "hello" });
    const O_RDONLY = 0,
      O_WRONLY = 1,
      O_RDWR = 2,
      O_CREAT = 0x40,
      O_EXCL = 0x80,
      O_TRUNC = 0x200,
      O_DIRECTORY = 0x10000;
    expect(m.open("/a/none", O_RDONLY, 0)).toBe(-2); // ENOENT
    expect(m.open("/a/b.txt", O_CREAT | O_EXCL | O_WRONLY, 0o600)).toBe(-17); // EEXIST
    expect(m.open("/a", O_WRONLY, 0)).toBe(-21); // EISDIR
    expect(m.open("/a/b.txt", O_DIRECTORY, 0)).toBe(-20); // ENOTDIR
    expect(m.open("/a/b.txt/x", O_RDONLY, 0)).toBe(-20);
    expect(m.open("/nodir/x", O_CREAT | O_WRONLY, 0o644)).toBe(-2);

    const h = m.open("/a/b.txt", O_RDWR, 0);
    expect(h).toBeGreaterThan(0);
    const buf = new Uint8Array(10);
    expect(m.pread(h, buf, 1)).toBe(4);
    expect(text(buf.subarray(0, 4))).toBe("ello");
    expect(m.pwrite(h, new TextEncoder().encode("!!"), 7)).toBe(2);
    expect(text(m.readFile("/a/b.txt"))).toBe("hello\0\0!!"); // a hole reads as zeros
    expect(m.truncate(h, 2)).toBe(0);
    expect(text(m.readFile("/a/b.txt"))).toBe("he");
    expect(m.close(h)).toBe(0);
    expect(m.close(h)).toBe(-9); // EBADF

    const t = m.open("/a/b.txt", O_WRONLY | O_TRUNC, 0);
    expect(m.fstat(t)).toMatchObject({ size: 0, mode: 0o100644 });
    m.close(t);

    m.symlink("b.txt", "/a/link");
    expect(m.readlink("/a/link")).toBe("b.txt");
    expect(m.readlink("/a/b.txt")).toBe(-22); // EINVAL
    expect(m.stat("/a/link", true)).toMatchObject({ mode: 0o100644 });
    expect(m.stat("/a/link", false)).toMatchObject({ mode: 0o120777 });
    m.symlink("/loop", "/loop");
    expect(m.stat("/loop", true)).toBe(-40); // ELOOP

    expect(m.mkdir("/a/d", 0o700)).toBe(0);
    expect(m.mkdir("/a/d", 0o700)).toBe(-17);
    m.writeFile("/a/d/f", "data");
    expect(m.rmdir("/a/d")).toBe(-39); // ENOTEMPTY
    expect(m.unlink("/a/d")).toBe(-21);
    expect(m.rename("/a/d", "/a/e")).toBe(0);
    expect(text(m.readFile("/a/e/f"))).toBe("data");
    expect(m.rename("/a/e", "/a/e/sub")).toBe(-22);
    const names = m.readdir("/a");
    expect(Array.isArray(names) && names.map((d) => `${d.name}:${d.type}`)).toEqual([".:4", "..:4", "b.txt:8", "e:4", "link:10"]);
    expect(m.readdir("/a/b.txt")).toBe(-20);
    expect(m.unlink("/a/e/f")).toBe(0);
    expect(m.rmdir("/a/e")).toBe(0);
    expect(m.access("/a/e", 0)).toBe(-2);
    expect(m.chmod("/a/b.txt", 0o400)).toBe(0);
    expect(m.stat("/a/b.txt", true)).toMatchObject({ mode: 0o100400 });
    expect(m.utimes("/a/b.txt", null, 5n)).toBe(0);
    expect(m.stat("/a/b.txt", true)).toMatchObject({ mtimeNs: 5n });
    expect(m.cwd()).toBe("/");
  });
});

describe("MemoryHost", () => {
  it("randomBytes fills more than Web Crypto's 65,536 bytes per call, all of it", () => {
    const b = new Uint8Array(200001);
    new MemoryHost().randomBytes(b); // one getRandomValues call throws QuotaExceededError here
    const tail = b.subarray(196608);
    expect(tail.some((x) => x !== 0)).toBe(true);
  });
});
