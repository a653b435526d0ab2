/**
 * Terminal ioctls on descriptors that are host terminals: TCGETS/TCSETS*
 * with the kernel's 36-byte `struct termios` (c_iflag c_oflag c_cflag c_lflag,
 * c_line, c_cc[19]; glibc's 60-byte userspace struct is converted by glibc
 * itself), TIOCGWINSZ/TIOCSWINSZ (struct winsize, 8 bytes), TIOCGPGRP/
 * TIOCSPGRP (the foreground group, which gets SIGWINCH when the host
 * terminal is resized), TIOCGSID, TIOCSCTTY/TIOCNOTTY, FIONBIO. The settings come from the
 * host terminal when the host can read them (Host.termios) and go back to it
 * (Host.setTermios: raw mode for less/vi), else from a per-process copy that
 * starts as Linux's defaults for a new pty.
 */
import type { Kernel } from "./kernel.js";
import { queueSignalToProc } from "./signals.js";
import type { Scheduler } from "./task.js";
import { EFAULT, EINVAL, ENOTTY } from "./errno.js";


export const TERMIOS_SIZE = 36;

export const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TCSBRK = 0x5409;
const TCXONC = 0x540a;
const TCFLSH = 0x540b;
const TIOCSCTTY = 0x540e;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
const TIOCOUTQ = 0x5411;
export const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TIOCNOTTY = 0x5422;
const TIOCGSID = 0x5429;
const TCSBRKP = 0x5425;
const TIOCGPTN = 0x80045430;

/** Linux's defaults for a new terminal (tty_std_termios; `stty -g` of a fresh pty). */
function defaultTermios(): Uint8Array {
  const t = new Uint8Array(TERMIOS_SIZE);
  const dv = new DataView(t.buffer);
  dv.setUint32(0, 0x500, true); // ICRNL | IXON
  dv.setUint32(4, 0x5, true); // OPOST | ONLCR
  dv.setUint32(8, 0xbf, true); // B38400 | CS8 | CREAD | HUPCL
  dv.setUint32(12, 0x8a3b, true); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  // c_line 0; c_cc: VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC 0,
  // VSTART ^Q, VSTOP ^S, VSUSP ^Z, VEOL 0, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2 0
  t.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17);
  return t;
}

interface TtyState {
  /** termios per host fd (descriptors on one terminal share it through the host) */
  termios: Map<number, Uint8Array>;
  winsize: Map<number, Uint8Array>;
}

function state(k: Kernel): TtyState {
  let s = k.state.tty as TtyState | undefined;
  if (!s) {
    s = { termios: new Map(), winsize: new Map() };
    k.state.tty = s;
  }
  return s;
}

function getTermios(k: Kernel, fd: number): Uint8Array {
  const s = state(k);
  let t = s.termios.get(fd);
  if (!t) {
    t = k.host.termios?.(fd) ?? defaultTermios();
    s.termios.set(fd, t);
  }
  return t;
}

function winsize(k: Kernel, fd: number): Uint8Array {
  const set = state(k).winsize.get(fd);
  if (set) return set;
  const w = k.host.winsize?.(fd) ?? { rows: 24, cols: 80 };
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, w.rows, true);
  dv.setUint16(2, w.cols, true);
  return b;
}

/** An ioctl on a descriptor for the host terminal `fd`. */
export function ttyIoctl(k: Kernel, fd: number, req: number, arg: number): number {
  const mem = k.cpu.mem;
  try {
    switch (req) {
      case TCGETS:
        mem.writeBytes(arg, getTermios(k, fd));
        return 0;
      case TCSETS:
      case TCSETSW:
      case TCSETSF: {
        const t = mem.readBytes(arg, TERMIOS_SIZE);
        const old = getTermios(k, fd);
        if (!t.every((b, j) => b === old[j])) {
          state(k).termios.set(fd, t);
          k.host.setTermios?.(fd, t);
        }
        return 0;
      }
      case TIOCGWINSZ:
        mem.writeBytes(arg, winsize(k, fd));
        return 0;
      case TIOCSWINSZ:
        state(k).winsize.set(fd, mem.readBytes(arg, 8));
        return 0;
      case TIOCGPGRP:
        mem.write32(arg, k.sched?.ttyPgrp ?? k.host.getpid());
        return 0;
      case TIOCGSID:
        mem.write32(arg, k.host.getpid());
        return 0;
      case TIOCSPGRP: {
        const pgrp = mem.read32(arg) | 0;
        if (pgrp < 0) return -EINVAL;
        if (k.sched) k.sched.ttyPgrp = pgrp;
        return 0;
      }
      case TIOCOUTQ:
        mem.write32(arg, 0);
        return 0;
      case TIOCSCTTY:
      case TIOCNOTTY:
      case TCSBRK:
      case TCSBRKP:
      case TCXONC:
      case TCFLSH:
        return 0;
      case TIOCGPTN:
        return -ENOTTY; // not a pty master
      default:
        return -EINVAL;
    }
  } catch {
    return -EFAULT;
  }
}

/** Is `req` a terminal ioctl (ENOTTY on other descriptors)? */
export function isTtyIoctl(req: number): boolean {
  return (req & 0xffffff00) === 0x5400 || req === TIOCGPTN;
}

const SIGWINCH = 28;
const SI_KERNEL = 0x80;

/**
 * The host terminal changed size (the host got SIGWINCH): the sizes guests
 * set with TIOCSWINSZ give way to the real one, and the terminal's
 * foreground process group (TIOCSPGRP's, else the first process's) gets
 * SIGWINCH, as Linux's tty_do_resize sends it.
 */
export function terminalResized(sched: Scheduler): void {
  const fg = sched.ttyPgrp ?? sched.root.pgid;
  for (const p of sched.procs.values()) {
    (p.kernel.state.tty as TtyState | undefined)?.winsize.clear();
    if (!p.status && p.pgid === fg) queueSignalToProc(p, SIGWINCH, SI_KERNEL, 0);
  }
}
