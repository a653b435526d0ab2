/** --trace and --crash-report through the CLI. */
import { describe, expect, it } from "vitest";
import { assemble, HAS_AS, runEmu } from "./helpers/asm.js";

const SRC = `
.globl _start
_start:
  mov $5, %eax
  lea 1(%rax), %rbx
  nop
  xor %eax, %eax
  mov (%rax), %rcx
`;

describe.skipIf(!HAS_AS)("debugging aids", () => {
  it("--trace prints each instruction and the registers it changed", () => {
    const prog = assemble("trace", SRC);
    const r = runEmu(["--trace", prog]);
    const lines = r.stderr.split("\n");
    expect(lines[0]).toBe("0x401000 <_start>: b8 05 00 00 00           mov eax, 0x5  ; rax=0x5");
    expect(lines[1]).toBe("0x401005 <_start+5>: 48 8d 58 01              lea rbx, [rax+0x1]  ; rbx=0x6");
    expect(lines[2]).toBe("0x401009 <_start+9>: 90                       nop");
    expect(lines[3]).toMatch(/^0x40100a <_start\+10>: 31 c0 +xor eax, eax {2}; rax=0x0 rflags=0x246$/);
    expect(r.signal).toBe("SIGSEGV");
  });

  it("--trace-from and --trace-limit keep it short", () => {
    const prog = assemble("trace2", SRC);
    const r = runEmu(["--trace-from", "0x401005", "--trace-limit", "2", prog]);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^0x401005 <_start\+5>: .*lea rbx/);
    expect(lines[1]).toMatch(/^0x401009 <_start\+9>: .*nop/);
    expect(lines[2]).toMatch(/^x64emu: SIGSEGV/);
    expect(lines).toHaveLength(3);
  });

  it("--crash-report shows registers and the code around the fault", () => {
    const prog = assemble("crash", SRC);
    const r = runEmu(["--crash-report", prog]);
    expect(r.stderr).toMatch(/^x64emu: SIGSEGV at 0x40100c \(_start\+12\): mov rcx, qword ptr \[rax\] — read of unmapped address 0x0/);
    expect(r.stderr).toMatch(/rbx 0x0000000000000006/);
    expect(r.stderr).toMatch(/rip 0x000000000040100c/);
    expect(r.stderr).toMatch(/=> 0x40100c <_start\+12>: 48 8b 08 +mov rcx, qword ptr \[rax\]/);
    expect(r.stderr).toMatch(/ {3}0x40100a <_start\+10>: 31 c0 +xor eax, eax/);
  });
});
