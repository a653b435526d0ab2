/**
 * BMI1 (andn blsi blsr blsmsk bextr; tzcnt is in bits.ts), BMI2 (bzhi pdep
 * pext mulx rorx sarx shlx shrx), ADX (adcx adox). The VEX forms need VEX.L = 0.
 */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CF, F_LOGIC, OF, getCF, getOF, materialize, setLazy, setResultFlags } from "../flags.js";
import { rd0, rd1, rd2, setReg } from "../ops.js";
import { register } from "../registry.js";
import { add64, sub64 } from "./alu.js";
import { ud } from "./bits.js";
import { PROD, mulu64 } from "./muldiv.js";
import { bit64, sar64, shl64, shr64 } from "./shift.js";

/** VEX.L must be 0 (and an unused VEX.vvvv must be 1111, i.e. vexV 0, when `noV`). */
function vexCheck(i: Insn, noV = false): void {
  if (i.vexL !== 0 || (noV && i.vexV !== 0)) throw ud(i);
}

register("andn", (c, i) => {
  vexCheck(i);
  const size = i.s0;
  const a = rd1(c, i);
  const ahi = c.hi;
  const b = rd2(c, i);
  const bhi = c.hi;
  const r = ~a & b;
  const rhi = size === 8 ? ~ahi & bhi : 0;
  setReg(c, i.r0, size, r, rhi);
  setLazy(c, F_LOGIC, size, 0, 0, 0, 0, r, rhi, 0);
});

const BLSR = 1,
  BLSMSK = 2,
  BLSI = 3;

function bls(c: CPU, i: Insn, op: number): void {
  vexCheck(i);
  const size = i.s0;
  const s = rd1(c, i);
  const shi = size === 8 ? c.hi : 0;
  const zero = size === 8 ? (s | shi) === 0 : s === 0;
  let r: number;
  let rhi: number;
  if (op === BLSI) {
    r = sub64(c, 0, 0, s, shi, 0) & s;
    rhi = c.hi & shi;
  } else {
    const m = sub64(c, s, shi, 1, 0, 0);
    const mhi = c.hi;
    r = op === BLSR ? m & s : m ^ s;
    rhi = op === BLSR ? mhi & shi : mhi ^ shi;
  }
  if (size < 8) rhi = 0;
  setReg(c, i.r0, size, r, rhi);
  // blsi: CF = source != 0; blsr/blsmsk: CF = source == 0; OF = 0
  setResultFlags(c, size, r, rhi, (op === BLSI ? !zero : zero) ? CF : 0);
}
register("blsr", (c, i) => bls(c, i, BLSR));
register("blsmsk", (c, i) => bls(c, i, BLSMSK));
register("blsi", (c, i) => bls(c, i, BLSI));

/** Low `n` bits of a lo/hi value (n >= size*8: unchanged); hi in c.hi. */
function lowBits(c: CPU, lo: number, hi: number, n: number): number {
  if (n >= 64) {
    c.hi = hi;
    return lo;
  }
  if (n >= 32) {
    c.hi = n === 32 ? 0 : hi & (-1 >>> (64 - n));
    return lo;
  }
  c.hi = 0;
  return n === 0 ? 0 : lo & (-1 >>> (32 - n));
}

register("bextr", (c, i) => {
  vexCheck(i);
  const size = i.s0;
  const bits = size * 8;
  const s = rd1(c, i);
  const shi = c.hi;
  const ctl = rd2(c, i);
  const start = ctl & 0xff;
  const len = (ctl >>> 8) & 0xff;
  let r = 0;
  let rhi = 0;
  if (start < bits) {
    r = shr64(c, s, size === 8 ? shi : 0, start);
    r = lowBits(c, r, c.hi, Math.min(len, bits));
    rhi = size === 8 ? c.hi : 0;
  }
  setReg(c, i.r0, size, r, rhi);
  setResultFlags(c, size, r, rhi, 0); // ZF from the result, CF = OF = 0
});

register("bzhi", (c, i) => {
  vexCheck(i);
  const size = i.s0;
  const bits = size * 8;
  const s = rd1(c, i);
  const shi = size === 8 ? c.hi : 0;
  const n = rd2(c, i) & 0xff;
  const r = lowBits(c, s, shi, n >= bits ? 64 : n);
  const rhi = size === 8 ? c.hi : 0;
  setReg(c, i.r0, size, r, rhi);
  setResultFlags(c, size, r, rhi, n > bits - 1 ? CF : 0);
});

/** pdep deposits the low source bits at the mask's set positions; pext gathers them back down. */
function bitScatter(deposit: boolean): (c: CPU, i: Insn) => void {
  return (c, i) => {
    vexCheck(i);
    const size = i.s0;
    const s = rd1(c, i);
    const shi = c.hi;
    const m = rd2(c, i);
    const mhi = size === 8 ? c.hi : 0;
    let r = 0;
    let rhi = 0;
    let k = 0;
    for (let p = 0; p < size * 8; p++) {
      if (bit64(m, mhi, p)) {
        const from = deposit ? k : p;
        const to = deposit ? p : k;
        if (bit64(s, shi, from)) {
          if (to < 32) r |= 1 << to;
          else rhi |= 1 << (to - 32);
        }
        k++;
      }
    }
    setReg(c, i.r0, size, r, rhi);
  };
}

register("pdep", bitScatter(true));
register("pext", bitScatter(false));

register("mulx", (c, i) => {
  vexCheck(i);
  const size = i.s0;
  const s = rd2(c, i);
  const shi = c.hi;
  const r = c.r;
  if (size === 8) mulu64(r[4], r[5], s, shi);
  else mulu64(r[4], 0, s, 0);
  // low half to vvvv, then high half to ModRM.reg (the high half wins when they are one register)
  if (size === 8) {
    const l0 = PROD[0];
    const l1 = PROD[1];
    const h0 = PROD[2];
    const h1 = PROD[3];
    setReg(c, i.r1, 8, l0, l1);
    setReg(c, i.r0, 8, h0, h1);
  } else {
    const l = PROD[0];
    const h = PROD[1];
    setReg(c, i.r1, 4, l, 0);
    setReg(c, i.r0, 4, h, 0);
  }
});

register("rorx", (c, i) => {
  vexCheck(i, true);
  const size = i.s0;
  const s = rd1(c, i);
  const shi = c.hi;
  if (size === 8) {
    const n = i.imm & 63;
    if (n === 0) return setReg(c, i.r0, 8, s, shi);
    const a = shr64(c, s, shi, n);
    const ah = c.hi;
    const b = shl64(c, s, shi, 64 - n);
    setReg(c, i.r0, 8, a | b, ah | c.hi);
  } else {
    const n = i.imm & 31;
    setReg(c, i.r0, 4, n === 0 ? s : (s >>> n) | (s << (32 - n)), 0);
  }
});

function shiftx(c: CPU, i: Insn, kind: number): void {
  vexCheck(i);
  const size = i.s0;
  const s = rd1(c, i);
  const shi = c.hi;
  const n = rd2(c, i) & (size === 8 ? 63 : 31);
  if (size === 8) {
    const r = kind === 0 ? shl64(c, s, shi, n) : kind === 1 ? shr64(c, s, shi, n) : sar64(c, s, shi, n);
    setReg(c, i.r0, 8, r, c.hi);
  } else setReg(c, i.r0, 4, kind === 0 ? s << n : kind === 1 ? s >>> n : s >> n, 0);
}
register("shlx", (c, i) => shiftx(c, i, 0));
register("shrx", (c, i) => shiftx(c, i, 1));
register("sarx", (c, i) => shiftx(c, i, 2));

/** adcx (carry in/out through CF) and adox (through OF); no other flag changes. */
function adx(c: CPU, i: Insn, flag: number): void {
  const size = i.s0;
  const a = rd0(c, i);
  const ahi = c.hi;
  const b = rd1(c, i);
  const bhi = c.hi;
  const cin = flag === CF ? getCF(c) : getOF(c);
  let r: number;
  let rhi = 0;
  let cout: number;
  if (size === 8) {
    r = add64(c, a, ahi, b, bhi, cin);
    rhi = c.hi;
    const ua = ahi >>> 0;
    const ur = rhi >>> 0;
    cout = ur < ua || (ur === ua && (r >>> 0 < a >>> 0 || (cin === 1 && r === a))) ? 1 : 0;
  } else {
    const sum = (a >>> 0) + (b >>> 0) + cin;
    r = sum | 0;
    cout = sum > 0xffffffff ? 1 : 0;
  }
  setReg(c, i.r0, size, r, rhi);
  materialize(c);
  c.flags = (c.flags & ~flag) | (cout ? flag : 0);
}
register("adcx", (c, i) => adx(c, i, CF));
register("adox", (c, i) => adx(c, i, OF));
