/**
 * futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET,
 * WAKE_BITSET (PRIVATE and CLOCK_REALTIME flags; timeouts). Waiters are
 * queued per address space and word address, or for a shared futex on a
 * MAP_SHARED page per shared object and offset (processes meet there); a
 * waiter parks its task until woken, timed out or interrupted by a signal.
 * PI futexes (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI) and the robust
 * list are in futex-pi.ts, and so is the requeue-PI pair (WAIT_REQUEUE_PI,
 * CMP_REQUEUE_PI: a condition variable's waiters moved onto a PI mutex).
 */
import type { Memory } from "../cpu/memory.js";
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { cmpRequeuePi, lockPi, unlockPi, waitRequeuePi, type RequeuePi } from "./futex-pi.js";
import { EAGAIN, EFAULT, EINVAL, ENOSYS, ETIMEDOUT } from "./errno.js";


const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_LOCK_PI = 6;
const FUTEX_UNLOCK_PI = 7;
const FUTEX_TRYLOCK_PI = 8;
const FUTEX_LOCK_PI2 = 13;
const FUTEX_WAIT_REQUEUE_PI = 11;
const FUTEX_CMP_REQUEUE_PI = 12;
const FUTEX_PRIVATE = 128;
const FUTEX_CLOCK_REALTIME = 256;

export interface Waiter {
  space: object;
  key: number;
  bitset: number;
  woken: boolean;
  /** A FUTEX_WAIT_REQUEUE_PI waiter (futex-pi.ts): only CMP_REQUEUE_PI moves or wakes it. */
  requeuePi?: RequeuePi;
}

/**
 * Where a futex word lives: a shared futex (no FUTEX_PRIVATE_FLAG) on a MAP_SHARED
 * page is keyed by its shared object and offset in it, so that processes mapping the
 * object meet there (Linux keys it by inode and page index); otherwise by address
 * space and address.
 */
export interface FutexKey {
  space: object;
  key: number;
}

export function keyOf(mem: Memory, addr: number, priv: boolean): FutexKey {
  const sh = priv ? null : mem.sharedAt(addr);
  return sh ? { space: sh.obj, key: sh.page * 4096 + (addr % 4096) } : { space: mem, key: addr };
}

/** Waiters by address space (or shared object), then by word (FIFO). */
const queues = new WeakMap<object, Map<number, Waiter[]>>();

export function queueOf(fk: FutexKey, create: boolean): Waiter[] | null {
  let m = queues.get(fk.space);
  if (!m) {
    if (!create) return null;
    queues.set(fk.space, (m = new Map()));
  }
  let q = m.get(fk.key);
  if (!q) {
    if (!create) return null;
    m.set(fk.key, (q = []));
  }
  return q;
}

export function dropQueueIfEmpty(fk: FutexKey, q: Waiter[]): void {
  if (q.length === 0) queues.get(fk.space)?.delete(fk.key);
}

export function dropWaiter(w: Waiter): void {
  const q = queueOf(w, false);
  if (!q) return;
  const i = q.indexOf(w);
  if (i >= 0) q.splice(i, 1);
  dropQueueIfEmpty(w, q);
}

/** Wake up to n waiters on addr whose bitset meets `bitset`; returns how many. */
export function futexWake(k: Kernel, addr: number, n: number, bitset: number, priv = false): number {
  return wake(keyOf(k.cpu.mem, addr, priv), n, bitset);
}

function wake(fk: FutexKey, n: number, bitset: number): number {
  const q = queueOf(fk, false);
  if (!q) return 0;
  // a requeue-PI waiter is not for FUTEX_WAKE (Linux: EINVAL, as the pair must be used together)
  for (const w of q) if (w.requeuePi && (w.bitset & bitset) !== 0) return -EINVAL;
  let woken = 0;
  for (let j = 0; j < q.length && woken < n; ) {
    const w = q[j];
    if ((w.bitset & bitset) !== 0) {
      w.woken = true;
      q.splice(j, 1);
      woken++;
    } else j++;
  }
  dropQueueIfEmpty(fk, q);
  return woken;
}

/** Move up to n waiters from fk to fk2 (after waking). */
function requeue(fk: FutexKey, fk2: FutexKey, n: number): number {
  const q = queueOf(fk, false);
  if (!q || n <= 0) return 0;
  if (q.some((w, j) => j < n && w.requeuePi)) return -EINVAL;
  const moved = q.splice(0, Math.min(n, q.length));
  dropQueueIfEmpty(fk, q);
  const q2 = queueOf(fk2, true)!;
  for (const w of moved) {
    w.space = fk2.space;
    w.key = fk2.key;
    q2.push(w);
  }
  return moved.length;
}

export function read32(k: Kernel, addr: number): number | null {
  if (addr % 4 !== 0) return null;
  try {
    return k.cpu.mem.read32(addr) | 0;
  } catch {
    return null;
  }
}

/** A timespec at addr in ns, null when unreadable, -1 for invalid. */
export function readTimeout(k: Kernel, addr: number): number | null {
  try {
    const b = k.cpu.mem.readBytes(addr, 16);
    const dv = new DataView(b.buffer);
    const sec = Number(dv.getBigInt64(0, true));
    const ns = Number(dv.getBigInt64(8, true));
    if (sec < 0 || ns < 0 || ns >= 1e9) return -1;
    return sec * 1e9 + ns;
  } catch {
    return null;
  }
}

/** A timeout of t ns (relative, or absolute on CLOCK_MONOTONIC or CLOCK_REALTIME) as a monotonic deadline. */
export function toDeadline(k: Kernel, t: number, absolute: boolean, realtime: boolean): number {
  const mono = Number(k.host.monotonicNs());
  if (!absolute) return mono + t;
  if (realtime) return mono + (t - Number(k.host.realtimeNs()));
  return t;
}

function wait(k: Kernel, addr: number, priv: boolean, val: number, timeoutAddr: number, bitset: number, absolute: boolean, realtime: boolean): number {
  if (bitset === 0) return -EINVAL;
  let deadline: number | null = null;
  if (timeoutAddr !== 0) {
    const t = readTimeout(k, timeoutAddr);
    if (t === null) return -EFAULT;
    if (t < 0) return -EINVAL;
    deadline = toDeadline(k, t, absolute, realtime);
  }
  const cur = read32(k, addr);
  if (cur === null) return addr % 4 ? -EINVAL : -EFAULT;
  if (cur !== (val | 0)) return -EAGAIN;
  if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) return -ETIMEDOUT;
  const fk = keyOf(k.cpu.mem, addr, priv);
  const w: Waiter = { space: fk.space, key: fk.key, bitset, woken: false };
  queueOf(fk, true)!.push(w);
  return k.sched.park(k, {
    retry: () => {
      if (w.woken) return 0;
      if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) {
        dropWaiter(w);
        return -ETIMEDOUT;
      }
      return RESULT_BLOCK;
    },
    deadline,
    onSignal: "restart",
    cancel: () => dropWaiter(w),
  });
}

/** FUTEX_WAKE_OP: apply the encoded operation to *addr2 and report whether the comparison with the old value holds. */
function wakeOp(k: Kernel, addr2: number, enc: number): boolean | null {
  const op = (enc >>> 28) & 7;
  const shift = (enc >>> 28) & 8;
  const cmp = (enc >>> 24) & 15;
  let oparg = (enc << 8) >> 20; // 12-bit signed
  const cmparg = (enc << 20) >> 20;
  if (shift) oparg = 1 << (oparg & 31);
  const old = read32(k, addr2);
  if (old === null) return null;
  let v: number;
  switch (op) {
    case 0:
      v = oparg;
      break; // SET
    case 1:
      v = old + oparg;
      break; // ADD
    case 2:
      v = old | oparg;
      break; // OR
    case 3:
      v = old & ~oparg;
      break; // ANDN
    case 4:
      v = old ^ oparg;
      break; // XOR
    default:
      return null;
  }
  try {
    k.cpu.mem.write32(addr2, v | 0);
  } catch {
    return null;
  }
  switch (cmp) {
    case 0:
      return old === cmparg;
    case 1:
      return old !== cmparg;
    case 2:
      return old < cmparg;
    case 3:
      return old <= cmparg;
    case 4:
      return old > cmparg;
    case 5:
      return old >= cmparg;
    default:
      return null;
  }
}

const OPS: Record<number, string> = { 0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 3: "FUTEX_REQUEUE", 4: "FUTEX_CMP_REQUEUE", 5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI", 7: "FUTEX_UNLOCK_PI", 8: "FUTEX_TRYLOCK_PI", 9: "FUTEX_WAIT_BITSET", 10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI", 12: "FUTEX_CMP_REQUEUE_PI", 13: "FUTEX_LOCK_PI2" };
function fmtFutexOp(_k: Kernel, v: bigint): string {
  const n = Number(v & 0xffffffffn);
  let s = OPS[n & 127] ?? String(n & 127);
  if (n & FUTEX_PRIVATE) s += "_PRIVATE";
  if (n & FUTEX_CLOCK_REALTIME) s += "|FUTEX_CLOCK_REALTIME";
  return s;
}

defineSyscall({
  nr: 202,
  name: "futex",
  args: ["ptr", fmtFutexOp, "d", "ptr", "ptr", "x"],
  fn: (k, a) => {
    const addr = a.u(0);
    const op = a.i32(1);
    const cmd = op & 127;
    const val = a.i32(2);
    const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
    const priv = (op & FUTEX_PRIVATE) !== 0;
    if (realtime && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_LOCK_PI2 && cmd !== FUTEX_WAIT_REQUEUE_PI) return -ENOSYS;
    switch (cmd) {
      case FUTEX_WAIT:
        return wait(k, addr, priv, val, a.u(3), -1, false, realtime);
      case FUTEX_WAIT_BITSET:
        return wait(k, addr, priv, val, a.u(3), a.i32(5), true, realtime);
      case FUTEX_WAKE:
        return futexWake(k, addr, val >>> 0, -1, priv);
      case FUTEX_WAKE_BITSET:
        if (a.i32(5) === 0) return -EINVAL;
        return futexWake(k, addr, val >>> 0, a.i32(5), priv);
      case FUTEX_REQUEUE:
      case FUTEX_CMP_REQUEUE: {
        const n2 = a.u32(3); // val2 travels in the timeout argument
        if (val < 0 || (n2 | 0) < 0) return -EINVAL;
        if (cmd === FUTEX_CMP_REQUEUE) {
          const cur = read32(k, addr);
          if (cur === null) return -EFAULT;
          if (cur !== a.i32(5)) return -EAGAIN;
        }
        const woken = futexWake(k, addr, val, -1, priv);
        if (woken < 0) return woken;
        const moved = requeue(keyOf(k.cpu.mem, addr, priv), keyOf(k.cpu.mem, a.u(4), priv), n2);
        return moved < 0 ? moved : woken + moved;
      }
      case FUTEX_WAKE_OP: {
        const hit = wakeOp(k, a.u(4), a.u32(5));
        if (hit === null) return -EFAULT;
        let n = futexWake(k, addr, val >>> 0, -1, priv);
        if (hit) n += futexWake(k, a.u(4), a.u32(3), -1, priv);
        return n;
      }
      case FUTEX_LOCK_PI:
      case FUTEX_LOCK_PI2:
      case FUTEX_TRYLOCK_PI:
        // LOCK_PI's timeout is on CLOCK_REALTIME; LOCK_PI2's on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME
        return lockPi(k, addr, priv, a.u(3), realtime || cmd === FUTEX_LOCK_PI, cmd === FUTEX_TRYLOCK_PI);
      case FUTEX_UNLOCK_PI:
        return unlockPi(k, addr, priv);
      case FUTEX_WAIT_REQUEUE_PI:
        return waitRequeuePi(k, addr, priv, val, a.u(3), a.u(4), realtime);
      case FUTEX_CMP_REQUEUE_PI:
        return cmpRequeuePi(k, addr, priv, val, a.i32(3), a.u(4), a.i32(5));
      default:
        return -ENOSYS;
    }
  },
});
