/** The embedding API, through the public entry point. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ElfError, Emulator, EmulatorError, GuestFault, MemoryFault, MemoryHost, PROT } from "../src/index.js";
import { NodeHost } from "../src/node.js";
import { ROOT, tmpDir } from "./helpers/asm.js";

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
    // from the until address itself, the run goes on (to the end here)
    expect(e2.run({ until: entry + 5n })).toEqual({ kind: "exit", code: 0 });
    const e3 = Emulator.fromElf(bin("hello"));
    const texts: string[] = [];
    e3.onInstruction((addr, text) => {
      texts.push(text);
      return texts.length < 3;
    });
    expect(e3.run()).toEqual({ kind: "stopped", reason: "hook" });
    expect(texts[0]).toBe("mov eax, 0x1");
  });

  it("run({ until }) in a loop stops at each visit of a breakpoint address once", () => {
    // mov ecx, 3 ; L: dec ecx ; jnz L ; mov eax, 60 ; xor edi, edi ; syscall
    const code = Uint8Array.of(0xb9, 3, 0, 0, 0, 0xff, 0xc9, 0x75, 0xfc, 0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05);
    const emu = Emulator.fromCode(code);
    const hits: bigint[] = [];
    for (;;) {
      const r = emu.run({ until: 0x400005n });
      if (r.kind !== "stopped") {
        expect(r).toEqual({ kind: "exit", code: 0 });
        break;
      }
      expect(r.reason).toBe("until");
      hits.push(emu.reg("ecx"));
    }
    expect(hits).toEqual([3n, 2n, 1n]);
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
    expect(() => emu.reg("foo")).toThrow(EmulatorError);
    expect(() => emu.setReg("foo", 1n)).toThrow(/unknown register/);
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

  // stores and loads of 1, 2, 4, 8 and 16 bytes, then getpid -> exit status (see the listing)
  const SIZES = Uint8Array.from([
    0xc6, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0x01, // mov byte ptr [0x500000], 1
    0x66, 0xc7, 0x04, 0x25, 0x02, 0x00, 0x50, 0x00, 0x03, 0x02, // mov word ptr [0x500002], 0x203
    0xc7, 0x04, 0x25, 0x04, 0x00, 0x50, 0x00, 0x05, 0x00, 0x00, 0x00, // mov dword ptr [0x500004], 5
    0x8a, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // mov al, byte ptr [0x500000]
    0x66, 0x8b, 0x04, 0x25, 0x02, 0x00, 0x50, 0x00, // mov ax, word ptr [0x500002]
    0x8b, 0x04, 0x25, 0x04, 0x00, 0x50, 0x00, // mov eax, dword ptr [0x500004]
    0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // mov rax, qword ptr [0x500000]
    0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x50, 0x00, // mov qword ptr [0x500008], rax
    0xf3, 0x0f, 0x6f, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // movdqu xmm0, xmmword ptr [0x500000]
    0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, // mov eax, 39 ; syscall
    0x89, 0xc7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, // mov edi, eax ; mov eax, 60 ; syscall
  ]);

  for (const jit of [true, false]) {
    it(`memory hooks see reads and writes of every size (${jit ? "JIT on" : "interpreter"})`, () => {
      const emu = Emulator.fromCode(SIZES);
      emu.cpu.jitThreshold = 0;
      emu.cpu.jitEnabled = jit;
      emu.map(0x500000, 4096, PROT.READ | PROT.WRITE);
      const seen: string[] = [];
      const off = emu.onMemory({ start: 0x500000, end: 0x500010 }, "access", (kind, addr, size, value) =>
        seen.push(`${kind} ${addr - 0x500000n} ${size} ${value.toString(16)}`),
      );
      expect(emu.cpu.jitEnabled).toBe(false);
      const writesOnly: string[] = [];
      emu.onMemory({ start: 0x500008, end: 0x500009 }, "write", (kind, addr, size) => writesOnly.push(`${kind} ${addr - 0x500000n} ${size}`));
      emu.onSyscall((nr) => (nr === 39 ? 7 : undefined));
      expect(emu.run()).toEqual({ kind: "exit", code: 7 });
      expect(seen).toEqual([
        "write 0 1 1",
        "write 2 2 203",
        "write 4 4 5",
        "read 0 1 1",
        "read 2 2 203",
        "read 4 4 5",
        "read 0 4 2030001",
        "read 4 4 5",
        "write 8 4 2030001",
        "write 12 4 5",
        "read 0 4 2030001",
        "read 4 4 5",
        "read 8 4 2030001",
        "read 12 4 5",
      ]);
      expect(writesOnly).toEqual(["write 8 4"]);
      expect(emu.reg("xmm0")).toBe(0x0000000502030001_0000000502030001n);
      off();
    });
  }

  it("removing the last memory hook restores the JIT setting", () => {
    const emu = Emulator.fromCode(SIZES);
    const off = emu.onMemory({ start: 0, end: 1 }, "read", () => {});
    expect(emu.cpu.jitEnabled).toBe(false);
    off();
    expect(emu.cpu.jitEnabled).toBe(true);
  });

  it("steps raw code: rip moves by instruction lengths", () => {
    const emu = Emulator.fromCode(SIZES, { address: 0x10000n });
    emu.map(0x500000, 4096, PROT.READ | PROT.WRITE);
    const lens = [8, 10, 11, 7, 8, 7, 8, 8, 9, 5, 2];
    let rip = 0x10000n;
    for (const n of lens) {
      expect(emu.reg("rip")).toBe(rip);
      expect(emu.step()).toBeNull();
      rip += BigInt(n);
    }
    expect(emu.reg("rip")).toBe(rip);
    expect(emu.reg("rax")).toBe(4242n); // MemoryHost's default pid
    expect(emu.readU16(0x500002)).toBe(0x203);
    expect(emu.readU64(0x500008)).toBe(0x0000000502030001n);
    expect(emu.step()).toBeNull();
    expect(emu.reg("edi")).toBe(4242n);
    expect(emu.step()).toBeNull();
    expect(emu.step()).toEqual({ kind: "exit", code: 4242 & 255 });
  });

  it("stop() from a memory hook ends the run after the current instruction", () => {
    const emu = Emulator.fromCode(SIZES);
    emu.map(0x500000, 4096, PROT.READ | PROT.WRITE);
    emu.onMemory({ start: 0x500004, end: 0x500008 }, "write", () => emu.stop());
    expect(emu.run()).toEqual({ kind: "stopped", reason: "stop" });
    expect(emu.reg("rip")).toBe(0x400000n + 29n);
    expect(emu.run()).toEqual({ kind: "exit", code: 4242 & 255 });
  });

  it("call() works with an instruction hook, with raw code at an address, and restores registers", () => {
    // add2: lea rax, [rdi+rsi] ; ret
    const emu = Emulator.fromCode(Uint8Array.of(0x48, 0x8d, 0x04, 0x37, 0xc3), { address: 0x20000 });
    emu.setReg("rbx", 99n);
    emu.setReg("rdi", 5n);
    const texts: string[] = [];
    emu.onInstruction((_a, t) => void texts.push(t));
    expect(emu.call(0x20000n, 40n, 2n)).toBe(42n);
    expect(texts).toEqual(["lea rax, [rdi+rsi*1]", "ret"]);
    expect(emu.reg("rdi")).toBe(5n);
    expect(emu.reg("rbx")).toBe(99n);
    expect(emu.reg("rip")).toBe(0x20000n);
    expect(BigInt.asIntN(64, emu.call(0x20000n, -50n, 8n))).toBe(-42n);
    expect(() => emu.call("nope")).toThrow(EmulatorError);
  });

  it("call() aligns the stack as the SysV ABI requires, with any number of stack arguments", () => {
    const emu = Emulator.fromElf(bin("lib"));
    const entry = emu.symbol("sum8")!;
    for (const extra of [0, 1, 2, 3]) {
      emu.setReg("rsp", emu.reg("rsp") - 8n); // misalign the caller's stack on purpose
      let rsp = -1n;
      emu.onInstruction((addr) => {
        if (addr === entry && rsp < 0n) rsp = emu.reg("rsp");
      });
      const args = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, ...Array.from({ length: extra }, () => 100n)];
      expect(emu.call("sum8", ...args)).toBe(36n);
      expect((rsp + 8n) % 16n).toBe(0n); // rsp+8 is 16-byte aligned at function entry
      expect(emu.readU64(rsp + 8n)).toBe(7n); // first stack argument just above the return address
      emu.onInstruction(null);
    }
  });

  it("memory helpers round-trip and fault on unmapped pages", () => {
    const emu = Emulator.fromCode(Uint8Array.of(0x90));
    emu.map(0x700000n, 8192, PROT.READ);
    emu.writeU8(0x700000, 0x1ff);
    emu.writeU16(0x700001, 0xbeef);
    emu.writeU32(0x700ffe, 0xdeadbeef); // crosses a page
    emu.writeU64(0x701100, -2n);
    expect(emu.readU8(0x700000)).toBe(0xff);
    expect(emu.readU16(0x700001)).toBe(0xbeef);
    expect(emu.readU32(0x700ffe)).toBe(0xdeadbeef);
    expect(emu.readU64(0x701100)).toBe(0xfffffffffffffffen);
    emu.write(0x701000, new TextEncoder().encode("héllo\0junk"));
    expect(emu.readCString(0x701000)).toBe("héllo");
    expect(emu.protect(0x700000, 4096, PROT.READ | PROT.WRITE)).toBe(true);
    emu.unmap(0x701000, 4096);
    expect(() => emu.read(0x701000, 1)).toThrow(MemoryFault);
    expect(emu.protect(0x701000, 4096, PROT.READ)).toBe(false);
  });

  it("a signal hook sees a fault and a kill to itself", () => {
    const sigs: Array<[number, boolean]> = [];
    const a = Emulator.fromElf(bin("nullread"));
    a.onSignal((sig, fault) => sigs.push([sig, fault !== null]));
    expect(a.run().kind).toBe("signal");
    const b = Emulator.fromElf(bin("selfkill"));
    b.onSignal((sig, fault) => sigs.push([sig, fault !== null]));
    const r = b.run();
    expect(r.kind).toBe("signal");
    expect(sigs).toEqual([
      [11, true],
      [r.kind === "signal" ? r.signal : 0, false],
    ]);
  });

  it("runs with the Node host from the x64emu/node entry point (real files, real pid)", () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "in.txt"), "abc");
    const pid = Emulator.fromElf(bin("getpid"), { host: new NodeHost() });
    expect(pid.host.getpid()).toBe(process.pid);
    const emu = Emulator.fromElf(bin("musl/files"), { argv: ["files", dir], host: new NodeHost() });
    const out: string[] = [];
    emu.onSyscall((nr, args) => {
      // swallow stdout (write and writev), reporting it written
      if (nr === 1 && args[0] === 1n) {
        out.push(new TextDecoder().decode(emu.read(args[1], Number(args[2]))));
        return args[2];
      }
      if (nr === 20 && args[0] === 1n) {
        let n = 0n;
        for (let k = 0n; k < args[2]; k++) {
          const base = emu.readU64(args[1] + 16n * k);
          const len = emu.readU64(args[1] + 16n * k + 8n);
          out.push(new TextDecoder().decode(emu.read(base, Number(len))));
          n += len;
        }
        return n;
      }
      return undefined;
    });
    expect(emu.run()).toEqual({ kind: "exit", code: 0 });
    expect(out.join("")).toContain("entry in.txt\nentry renamed.txt\nentry sub\n");
    expect(fs.readdirSync(dir)).toEqual(["in.txt"]);
  });
});
