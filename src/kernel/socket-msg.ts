/**
 * Ancillary data of sendmsg/recvmsg on AF_UNIX sockets: SCM_RIGHTS (open
 * files travel with a message; the receiver gets new descriptors for the
 * same open file descriptions) and SCM_CREDENTIALS (the sender's pid, uid,
 * gid, given to a receiver with SO_PASSCRED). Layout and truncation as
 * Linux's __scm_send, put_cmsg and scm_detach_fds.
 */
import type { Kernel } from "./kernel.js";
import { get, install, release, type OFile } from "./files.js";
import { EBADF, EFAULT, EINVAL, EPERM } from "./errno.js";

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const SCM_MAX_FD = 253;
const HDR = 16; // sizeof(struct cmsghdr)
export const MSG_CTRUNC = 0x8;
export const MSG_CMSG_CLOEXEC = 0x40000000;

/** What rides with a message: open files (each holding one reference) and the sender's credentials. */
export interface Anc {
  fds: OFile[] | null;
  pid: number;
  uid: number;
  gid: number;
}

const align = (n: number): number => (n + 7) & ~7;

/** The sender's credentials (pid of its process). */
export function credsOf(k: Kernel): Anc {
  return { fds: null, pid: k.proc ? k.proc.pid : k.host.getpid(), uid: k.host.getuid(), gid: k.host.getgid() };
}

/**
 * Parse a sendmsg control buffer: the files of SCM_RIGHTS (their references
 * taken) and SCM_CREDENTIALS (checked as an unprivileged sender's), or -errno.
 * Messages of other levels are ignored, as Linux's unix sockets do.
 */
export function parseControl(k: Kernel, addr: number, len: number, unix: boolean): Anc | number {
  const anc = credsOf(k);
  if (addr === 0 || len < HDR) return anc;
  let b: Uint8Array;
  try {
    b = k.cpu.mem.readBytes(addr, Math.min(len, 1 << 16));
  } catch {
    return -EFAULT;
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const files: OFile[] = [];
  let err = 0;
  for (let o = 0; o + HDR <= b.length; ) {
    const clen = Number(dv.getBigUint64(o, true));
    const level = dv.getInt32(o + 8, true);
    const type = dv.getInt32(o + 12, true);
    if (clen < HDR || clen > b.length - o) {
      err = -EINVAL;
      break;
    }
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS && unix) {
        const n = (clen - HDR) >> 2;
        if (n + files.length > SCM_MAX_FD) {
          err = -EINVAL;
          break;
        }
        for (let j = 0; j < n && !err; j++) {
          const f = get(k, dv.getInt32(o + HDR + 4 * j, true));
          if (!f) err = -EBADF;
          else files.push(f);
        }
        if (err) break;
      } else if (type === SCM_CREDENTIALS && unix) {
        if (clen !== HDR + 12) {
          err = -EINVAL;
          break;
        }
        const pid = dv.getInt32(o + HDR, true);
        const uid = dv.getInt32(o + HDR + 4, true);
        const gid = dv.getInt32(o + HDR + 8, true);
        if (pid !== anc.pid || uid !== anc.uid || gid !== anc.gid) {
          err = -EPERM;
          break;
        }
      } else {
        err = -EINVAL;
        break;
      }
    }
    o += align(clen);
  }
  if (err) return err;
  if (files.length) {
    for (const f of files) f.refs++;
    anc.fds = files;
  }
  return anc;
}

/** Drop what a receive did not deliver (its files' references). */
export function dropAnc(k: Kernel, anc: Anc | null): void {
  if (!anc || !anc.fds) return;
  for (const f of anc.fds) release(k, f);
  anc.fds = null;
}

/** The same message data once more (MSG_PEEK): new references to its files. */
export function peekAnc(anc: Anc | null): Anc | null {
  if (!anc) return null;
  if (anc.fds) for (const f of anc.fds) f.refs++;
  return { ...anc, fds: anc.fds ? anc.fds.slice() : null };
}

/**
 * Build recvmsg's control data into at most `room` bytes: credentials when
 * asked (SO_PASSCRED), then the passed files installed as descriptors.
 * Returns the bytes and the MSG_CTRUNC flag; undelivered files are released.
 */
export function buildControl(k: Kernel, anc: Anc | null, room: number, passcred: boolean, flags: number): { bytes: Uint8Array; flags: number } {
  const out = new Uint8Array(Math.max(0, Math.min(room, 1 << 16)));
  const dv = new DataView(out.buffer);
  let used = 0;
  let trunc = 0;
  const put = (type: number, data: Uint8Array): void => {
    const left = out.length - used;
    if (left < HDR) {
      trunc = MSG_CTRUNC;
      return;
    }
    let cl = HDR + data.length;
    const hdr = new Uint8Array(HDR);
    const hv = new DataView(hdr.buffer);
    hv.setBigUint64(0, BigInt(cl), true);
    hv.setInt32(8, SOL_SOCKET, true);
    hv.setInt32(12, type, true);
    if (left < cl) {
      trunc = MSG_CTRUNC;
      cl = left;
    }
    const whole = new Uint8Array(HDR + data.length);
    whole.set(hdr);
    whole.set(data, HDR);
    out.set(whole.subarray(0, cl), used);
    used += Math.min(align(HDR + data.length), left);
  };
  if (passcred && anc) {
    const c = new Uint8Array(12);
    const cv = new DataView(c.buffer);
    cv.setInt32(0, anc.pid, true);
    cv.setInt32(4, anc.uid, true);
    cv.setInt32(8, anc.gid, true);
    put(SCM_CREDENTIALS, c);
  }
  const files = anc?.fds ?? null;
  if (files && files.length) {
    const left = out.length - used;
    const fdmax = left > HDR ? (left - HDR) >> 2 : 0;
    const fds: number[] = [];
    let j = 0;
    for (; j < fdmax && j < files.length; j++) {
      const fd = install(k, files[j], (flags & MSG_CMSG_CLOEXEC) !== 0);
      if (fd < 0) break;
      fds.push(fd);
    }
    if (fds.length) {
      dv.setBigUint64(used, BigInt(HDR + 4 * fds.length), true);
      dv.setInt32(used + 8, SOL_SOCKET, true);
      dv.setInt32(used + 12, SCM_RIGHTS, true);
      fds.forEach((fd, i) => dv.setInt32(used + HDR + 4 * i, fd, true));
      used += Math.min(align(HDR + 4 * fds.length), left);
    }
    if (fds.length < files.length) trunc = MSG_CTRUNC;
    for (let i = fds.length; i < files.length; i++) release(k, files[i]);
    anc!.fds = null;
  }
  return { bytes: out.subarray(0, used), flags: trunc };
}
