/** Data movement: mov movzx movsx movsxd lea xchg push pop cbw.. cqo cmovcc setcc bswap xlat. */
import { K_REG } from "../../decoder/insn.js";
import { cond } from "../flags.js";
import { ea, pop, push, rd0, rd1, readMem, rspNum, setReg, setRspNum, sext, wr0, wr0rmw, wr1rmw, writeMem } from "../ops.js";
import { register, registerAll } from "../registry.js";
import { add64 } from "./alu.js";

register("mov", (c, i) => {
  const v = rd1(c, i);
  wr0(c, i, v, i.s0 === 8 && i.s1 < 8 ? v >> 31 : c.hi);
});

register("movzx", (c, i) => {
  wr0(c, i, rd1(c, i), 0);
});

register("movsx", (c, i) => {
  const v = sext(rd1(c, i), i.s1);
  wr0(c, i, v, v >> 31);
});

register("movsxd", (c, i) => {
  const v = rd1(c, i);
  wr0(c, i, v, v >> 31);
});

/** lea: exact 64-bit address arithmetic (no segment base). */
register("lea", (c, i) => {
  const r = c.r;
  let lo: number;
  let hi: number;
  if (i.ripRel) {
    lo = i.disp % 4294967296 | 0;
    hi = Math.floor(i.disp / 4294967296) | 0;
  } else {
    lo = i.disp;
    hi = i.disp >> 31;
    if (i.base >= 0) {
      lo = add64(c, lo, hi, r[2 * i.base], r[2 * i.base + 1], 0);
      hi = c.hi;
    }
    if (i.index >= 0) {
      let xl = r[2 * i.index];
      let xh = r[2 * i.index + 1];
      const s = i.scale;
      if (s) {
        xh = (xh << s) | (xl >>> (32 - s));
        xl = xl << s;
      }
      lo = add64(c, lo, hi, xl, xh, 0);
      hi = c.hi;
    }
  }
  if (i.asize === 4) hi = 0;
  setReg(c, i.r0, i.s0, lo, hi);
});

register("xchg", (c, i) => {
  const a = rd0(c, i);
  const ahi = c.hi;
  const b = rd1(c, i);
  const bhi = c.hi;
  wr0rmw(c, i, b, bhi); // memory (if any) first: a fault leaves registers untouched
  wr1rmw(c, i, a, ahi);
});

register("push", (c, i) => {
  const v = rd0(c, i); // immediates arrive sign-extended (hi in c.hi)
  push(c, i.size, v, c.hi);
});

register("pop", (c, i) => {
  const size = i.size;
  const old = rspNum(c);
  const v = pop(c, size);
  const hi = c.hi;
  if (i.k0 === K_REG) setReg(c, i.r0, size, v, hi);
  else {
    try {
      writeMem(c, ea(c, i), size, v, hi); // address uses the incremented rsp, as the SDM says
    } catch (e) {
      setRspNum(c, old);
      throw e;
    }
  }
});

register("cbw", (c) => setReg(c, 0, 2, (c.r[0] << 24) >> 24, 0));
register("cwde", (c) => setReg(c, 0, 4, (c.r[0] << 16) >> 16, 0));
register("cdqe", (c) => setReg(c, 0, 8, c.r[0], c.r[0] >> 31));
register("cwd", (c) => setReg(c, 2, 2, (c.r[0] << 16) >> 31, 0));
register("cdq", (c) => setReg(c, 2, 4, c.r[0] >> 31, 0));
register("cqo", (c) => setReg(c, 2, 8, c.r[1] >> 31, c.r[1] >> 31));

register("cmovcc", (c, i) => {
  const v = rd1(c, i);
  const hi = c.hi;
  if (cond(c, i.opcode & 15)) setReg(c, i.r0, i.s0, v, hi);
  else if (i.s0 === 4) c.r[2 * i.r0 + 1] = 0; // 32-bit cmov zero-extends even when false
});

register("setcc", (c, i) => {
  wr0(c, i, cond(c, i.opcode & 15) ? 1 : 0, 0);
});

register("bswap", (c, i) => {
  const r = c.r;
  const n = i.r0;
  const sw = (v: number) => ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) | 0;
  if (i.size === 2) {
    setReg(c, n, 2, 0, 0); // bswap r16: undefined; the host clears the low 16 bits
  } else if (i.s0 === 8) {
    const lo = r[2 * n];
    r[2 * n] = sw(r[2 * n + 1]);
    r[2 * n + 1] = sw(lo);
  } else setReg(c, n, 4, sw(r[2 * n]), 0);
});

register("xlatb", (c, i) => {
  const base = i.asize === 8 ? c.r[7] * 4294967296 + (c.r[6] >>> 0) : c.r[6] >>> 0;
  const seg = i.seg === 4 ? c.fsBase : i.seg === 5 ? c.gsBase : 0;
  const v = readMem(c, base + (c.r[0] & 0xff) + seg, 1);
  setReg(c, 0, 1, v, 0);
});

registerAll(["nop", "pause", "fwait"], () => {});

// mov r/m, Sreg (movfromseg) and the other segment-register forms: segs.ts
