import { describe, expect, it } from "vitest";
import { Memory, MemoryFault, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";

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

import { VmaList } from "../src/cpu/vma.js";
import { prng } from "./helpers/prng.js";

describe("mapping ranges (VmaList) against a page-by-page model", () => {
  it("set/unmap/find/holes/free search agree with the model on random operations", () => {
    const rnd = prng(2024);
    const r = (n: number) => rnd() % n;
    for (let t = 0; t < 200; t++) {
      const v = new VmaList();
      const model = new Array<number>(64).fill(-1);
      for (let k = 0; k < 60; k++) {
        if (k % 7 === 0) {
          const n = 1 + r(6);
          let want = -1;
          for (let p = 60 - n; p >= 2 && want < 0; p--) if (model.slice(p, p + n).every((x) => x < 0)) want = p;
          const got = v.findFreeDown(n, 60, 2);
          expect(got).toBe(want);
          if (got >= 0 && r(2)) {
            v.set(got, got + n, 1);
            model.fill(1, got, got + n);
          }
          continue;
        }
        const s = r(64);
        const e = s + 1 + r(64 - s);
        const f = r(4) - 1;
        v.set(s, e, f);
        model.fill(f, s, e);
        for (let q = 0; q < 64; q++) expect(v.flagsAt(q)).toBe(model[q]);
        expect(v.totalPages).toBe(model.filter((x) => x >= 0).length);
        expect(v.committedPages).toBe(model.filter((x) => x >= 0 && x & 2).length);
        for (let i = 1; i < v.count; i++) {
          expect(v.start[i - 1]).toBeGreaterThanOrEqual(v.end[i]); // descending, disjoint
          expect(v.start[i - 1] === v.end[i] && v.flags[i - 1] === v.flags[i]).toBe(false); // merged
        }
        const a = r(64);
        const b = a + 1 + r(64 - a);
        expect(v.firstHole(a, b)).toBe(model.slice(a, b).findIndex((x) => x < 0) < 0 ? -1 : a + model.slice(a, b).findIndex((x) => x < 0));
        expect(v.anyIn(a, b)).toBe(model.slice(a, b).some((x) => x >= 0));
      }
    }
  });

  it("protect and unmap of terabyte ranges are instant and exact", () => {
    const m = new Memory();
    m.map(0x100000000000, 2 ** 46, PROT_NONE); // 64 TiB
    expect(m.protect(0x100000000000 + 2 ** 45, 8192, PROT_READ | PROT_WRITE)).toBe(true);
    m.write32(0x100000000000 + 2 ** 45 + 4, 77);
    m.unmap(0x100000000000, 2 ** 44); // 16 TiB
    expect(m.isMapped(0x100000000000)).toBe(false);
    expect(m.read32(0x100000000000 + 2 ** 45 + 4)).toBe(77);
    expect(m.mapCount).toBe(3);
    expect(m.mappedBytes).toBe(2 ** 46 - 2 ** 44);
  });

  it("pages read before a protection change or an unmap do not stay readable through the TLB", () => {
    const m = new Memory();
    m.map(0x10000, 0x1000, PROT_READ);
    expect(m.read8(0x10000)).toBe(0); // the shared zero frame, through the TLB
    m.protect(0x10000, 0x1000, PROT_NONE);
    expect(() => m.read8(0x10000)).toThrow(MemoryFault);
    m.protect(0x10000, 0x1000, PROT_READ | PROT_WRITE);
    expect(m.read8(0x10000)).toBe(0);
    m.write8(0x10000, 5); // gets a frame of its own: the zero frame stays zero
    expect(m.read8(0x10000)).toBe(5);
    m.map(0x20000, 0x1000, PROT_READ);
    expect(m.read8(0x20000)).toBe(0);
    m.unmap(0x10000, 0x20000);
    expect(() => m.read8(0x10000)).toThrow(MemoryFault);
    expect(() => m.read8(0x20000)).toThrow(MemoryFault);
  });
});
