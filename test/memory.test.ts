import { describe, expect, it } from "vitest";
import { Memory, MemoryFault, PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";

describe("paged memory", () => {
  it("reads zero from fresh mapped pages and round-trips every size", () => {
    const m = new Memory();
    m.map(0x10000, 0x2000, PROT_READ | PROT_WRITE);
    expect(m.read32(0x10000)).toBe(0);
    m.write8(0x10001, 0xab);
    m.write16(0x10010, 0xbeef);
    m.write32(0x10020, -2);
    m.write64(0x10030, 0x11223344, 0x55667788);
    expect(m.read8(0x10001)).toBe(0xab);
    expect(m.read16(0x10010)).toBe(0xbeef);
    expect(m.read32(0x10020)).toBe(-2);
    expect(m.read32(0x10030)).toBe(0x11223344);
    expect(m.read32(0x10034)).toBe(0x55667788);
  });

  it("handles accesses that cross a page boundary", () => {
    const m = new Memory();
    m.map(0x10000, 0x2000, PROT_READ | PROT_WRITE);
    m.write32(0x10ffe, 0x12345678);
    expect(m.read32(0x10ffe)).toBe(0x12345678);
    expect(m.read16(0x10fff)).toBe(0x3456);
    m.write64(0x10ffc, 0x01020304, 0x05060708);
    expect(Array.from(m.readBytes(0x10ffc, 8))).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
  });

  it("faults with the address and access kind on unmapped pages", () => {
    const m = new Memory();
    m.map(0x10000, 0x1000, PROT_READ | PROT_WRITE);
    const err = (() => {
      try {
        m.read32(0x20000);
      } catch (e) {
        return e;
      }
    })() as MemoryFault;
    expect(err).toBeInstanceOf(MemoryFault);
    expect(err.addr).toBe(0x20000);
    expect(err.access).toBe("read");
    expect(err.protection).toBe(false);
    // a crossing access faults at the first unmapped byte
    expect(() => m.read32(0x10ffe)).toThrow(/unmapped address 0x11000/);
  });

  it("enforces page permissions, also after the TLB is warm", () => {
    const m = new Memory();
    m.map(0x10000, 0x1000, PROT_READ);
    expect(m.read8(0x10000)).toBe(0);
    expect(() => m.write8(0x10000, 1)).toThrow(MemoryFault);
    try {
      m.write8(0x10000, 1);
    } catch (e) {
      expect((e as MemoryFault).protection).toBe(true);
      expect((e as MemoryFault).access).toBe("write");
    }
    expect(() => m.fetch8(0x10000)).toThrow(/exec of protected/);
    m.protect(0x10000, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
    m.write8(0x10000, 7);
    expect(m.fetch8(0x10000)).toBe(7);
    m.protect(0x10000, 0x1000, 0);
    expect(() => m.read8(0x10000)).toThrow(MemoryFault);
  });

  it("a 64-bit store that would fault on its second page stores nothing", () => {
    const m = new Memory();
    m.map(0x10000, 0x1000, PROT_READ | PROT_WRITE);
    m.map(0x11000, 0x1000, PROT_READ);
    expect(() => m.write64(0x10ffc, -1, -1)).toThrow(MemoryFault);
    expect(m.read32(0x10ffc)).toBe(0);
  });

  it("unmap releases pages and remapping gives zeroed memory", () => {
    const m = new Memory();
    m.map(0x10000, 0x1000, PROT_READ | PROT_WRITE);
    m.write32(0x10000, 99);
    m.unmap(0x10000, 0x1000);
    expect(() => m.read32(0x10000)).toThrow(MemoryFault);
    m.map(0x10000, 0x1000, PROT_READ | PROT_WRITE);
    expect(m.read32(0x10000)).toBe(0);
  });

  it("addresses outside the user range fault instead of aliasing", () => {
    const m = new Memory();
    m.map(0, 0x1000, PROT_READ);
    expect(() => m.read8(-1)).toThrow(MemoryFault);
    expect(() => m.read8(2 ** 64 - 8)).toThrow(MemoryFault);
  });

  it("grows the linear memory when many pages are touched", () => {
    const m = new Memory(16 * 1024 * 1024);
    const before = m.wmem.buffer.byteLength;
    m.map(0x40000000, 64 * 1024 * 1024, PROT_READ | PROT_WRITE);
    for (let a = 0x40000000; a < 0x40000000 + 64 * 1024 * 1024; a += 4096) m.write8(a, 1);
    expect(m.wmem.buffer.byteLength).toBeGreaterThan(before);
    expect(m.read8(0x40000000)).toBe(1);
    expect(m.read8(0x40000000 + 63 * 1024 * 1024)).toBe(1);
  });
});
