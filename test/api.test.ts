/** The embedding API, through the public entry point. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ElfError, Emulator, GuestFault, MemoryHost, PROT } from "../src/index.js";
import { ROOT } from "./helpers/asm.js";

const bin = (n: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, "fixtures/bin", n)));

describe("Emulator API", () => {
  it("runs an ELF to completion with captured output", () => {
    const host = new MemoryHost();
    const emu = Emulator.fromElf(bin("hello"), { host });
    expect(emu.run()).toEqual({ kind: "exit", code: 0 });
    expect(host.stdoutText()).toBe("Hello, world!\n");
    expect(Emulator.fromElf(bin("false")).run()).toEqual({ kind: "exit", code: 1 });
  });

  it("calls hand-written assembly functions by symbol (register and stack arguments)", () => {
    const emu = Emulator.fromElf(bin("lib"));
    const buf = 0x10000000n;
    emu.map(buf, 4096, PROT.READ | PROT.WRITE);
    emu.write(buf, new TextEncoder().encode("hello\0"));
    expect(emu.call("my_strlen", buf)).toBe(5n);
    expect(emu.call("add2", 40n, 2n)).toBe(42n);
    expect(emu.call("sum8", 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n)).toBe(36n);
    expect(emu.call("sum8", -1n, -2n, 0n, 0n, 0n, 0n, 0n, 3n)).toBe(0n);
    // repeated calls leave the stack pointer where it was
    const sp = emu.reg("rsp");
    emu.call("add2", 1n, 1n);
    expect(emu.reg("rsp")).toBe(sp);
  });

  it("a syscall hook can fake getpid", () => {
    const host = new MemoryHost({ pid: 1234 });
    const emu = Emulator.fromElf(bin("getpid"), { host });
    emu.onSyscall((nr) => (nr === 39 ? 777 : undefined));
    expect(emu.run()).toEqual({ kind: "exit", code: 0 });
    expect(host.stdoutText()).toBe("777\n");
  });

  it("a memory hook sees a store", () => {
    // mov qword ptr [0x500000], rax ; mov eax, 60 ; xor edi, edi ; syscall
    const code = Uint8Array.from([0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]);
    const emu = Emulator.fromCode(code);
    emu.map(0x500000, 4096, PROT.READ | PROT.WRITE);
    emu.setReg("rax", 0x1122334455667788n);
    const seen: Array<[string, bigint, number]> = [];
    emu.onMemory({ start: 0x500000, end: 0x500008 }, "write", (kind, addr, size) => seen.push([kind, addr, size]));
    expect(emu.run()).toEqual({ kind: "exit", code: 0 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0][0]).toBe("write");
    expect(seen[0][1]).toBe(0x500000n);
    expect(emu.readU64(0x500000)).toBe(0x1122334455667788n);
  });

  it("steps one instruction at a time", () => {
    const emu = Emulator.fromElf(bin("false"));
    const start = emu.reg("rip");
    expect(emu.step()).toBeNull();
    expect(emu.reg("rip")).toBe(start + 7n); // mov $60, %rax is 7 bytes
    expect(emu.reg("rax")).toBe(60n);
    expect(emu.step()).toBeNull();
    expect(emu.reg("rdi")).toBe(1n);
    expect(emu.step()).toEqual({ kind: "exit", code: 1 });
  });

  it("runs with maxInstructions and until, and a hook can stop the run", () => {
    const emu = Emulator.fromElf(bin("hello"));
    const entry = emu.reg("rip");
    expect(emu.run({ maxInstructions: 2 })).toEqual({ kind: "stopped", reason: "limit" });
    expect(emu.reg("rip")).toBe(entry + 10n);
    const e2 = Emulator.fromElf(bin("hello"));
    expect(e2.run({ until: entry + 5n })).toEqual({ kind: "stopped", reason: "until" });
    expect(e2.reg("rip")).toBe(entry + 5n);
    const e3 = Emulator.fromElf(bin("hello"));
    const texts: string[] = [];
    e3.onInstruction((addr, text) => {
      texts.push(text);
      return texts.length < 3;
    });
    expect(e3.run()).toEqual({ kind: "stopped", reason: "hook" });
    expect(texts[0]).toBe("mov eax, 0x1");
  });

  it("reads and writes sub-registers like the CPU", () => {
    const emu = Emulator.fromCode(Uint8Array.of(0x90));
    emu.setReg("rax", 0x1122334455667788n);
    emu.setReg("al", 0xffn);
    expect(emu.reg("rax")).toBe(0x11223344556677ffn);
    emu.setReg("ah", 0xeen);
    expect(emu.reg("ax")).toBe(0xeeffn);
    emu.setReg("eax", 1n);
    expect(emu.reg("rax")).toBe(1n); // 32-bit writes zero the upper half
    emu.setReg("r9w", 0xabcdn);
    expect(emu.reg("r9")).toBe(0xabcdn);
    emu.setReg("xmm3", (1n << 127n) | 5n);
    expect(emu.reg("xmm3")).toBe((1n << 127n) | 5n);
    expect(() => emu.reg("foo")).toThrow(/unknown register/);
  });

  it("reports typed errors", () => {
    expect(() => Emulator.fromElf(new TextEncoder().encode("not an elf"))).toThrow(ElfError);
    const r = Emulator.fromElf(bin("nullread")).run();
    expect(r.kind).toBe("signal");
    if (r.kind !== "signal") return;
    expect(r.signal).toBe(11);
    expect(r.fault).toBeInstanceOf(GuestFault);
    expect(r.fault!.address).toBe(0n);
    expect(r.fault!.instruction).toBe("mov rbx, qword ptr [rax]");
    const lib = Emulator.fromElf(bin("lib"));
    expect(() => lib.call("my_strlen", 0n)).toThrow(GuestFault);
  });

  it("a fault hook can stop the run instead of delivering the signal", () => {
    const emu = Emulator.fromElf(bin("ud2"));
    let seen = 0;
    emu.onFault((f) => {
      seen = f.signal;
      return "stop";
    });
    const r = emu.run();
    expect(seen).toBe(4);
    expect(r.kind).toBe("signal");
  });
});
