/** An in-memory Host for tests and browsers: captured output, scripted input, fake pid. */
import type { Host } from "./host.js";

export interface MemoryHostOptions {
  pid?: number;
  stdin?: Uint8Array | string;
  /** Called with each chunk written to fd 1 or 2 (in addition to capture). */
  onOutput?: (fd: number, data: Uint8Array) => void;
  /** Fixed clock start (ns); defaults to Date.now(). */
  clockNs?: bigint;
}

export class MemoryHost implements Host {
  readonly stdout: number[] = [];
  readonly stderr: number[] = [];
  private stdin: Uint8Array;
  private stdinPos = 0;
  private readonly pid: number;
  private readonly onOutput?: (fd: number, data: Uint8Array) => void;
  private readonly t0: bigint;
  /** Signals sent to other processes: [pid, sig]. */
  readonly killed: Array<[number, number]> = [];

  constructor(opts: MemoryHostOptions = {}) {
    this.pid = opts.pid ?? 4242;
    this.stdin = typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : (opts.stdin ?? new Uint8Array(0));
    this.onOutput = opts.onOutput;
    this.t0 = opts.clockNs ?? BigInt(Date.now()) * 1000000n;
  }

  getpid(): number {
    return this.pid;
  }
  getppid(): number {
    return 1;
  }
  getuid(): number {
    return 1000;
  }
  getgid(): number {
    return 1000;
  }
  write(fd: number, data: Uint8Array): number {
    if (fd === 1) for (const b of data) this.stdout.push(b);
    else if (fd === 2) for (const b of data) this.stderr.push(b);
    else return -9; // EBADF
    this.onOutput?.(fd, data);
    return data.length;
  }
  read(fd: number, buf: Uint8Array): number {
    if (fd !== 0) return -9;
    const n = Math.min(buf.length, this.stdin.length - this.stdinPos);
    buf.set(this.stdin.subarray(this.stdinPos, this.stdinPos + n));
    this.stdinPos += n;
    return n;
  }
  kill(pid: number, sig: number): number {
    if (sig < 0 || sig > 64) return -22;
    if (pid !== this.pid) return -3; // ESRCH: no other processes here
    this.killed.push([pid, sig]);
    return 0;
  }
  realtimeNs(): bigint {
    return this.t0 + BigInt(Math.round(performanceNow() * 1e6));
  }
  monotonicNs(): bigint {
    return BigInt(Math.round(performanceNow() * 1e6));
  }
  randomBytes(buf: Uint8Array): void {
    // Web Crypto fills at most 65,536 bytes per call (QuotaExceededError beyond)
    for (let o = 0; o < buf.length; o += 65536) globalThis.crypto.getRandomValues(buf.subarray(o, o + 65536));
  }
  isatty(): boolean {
    return false;
  }
  /** Captured stdout as text. */
  stdoutText(): string {
    return new TextDecoder().decode(Uint8Array.from(this.stdout));
  }
  stderrText(): string {
    return new TextDecoder().decode(Uint8Array.from(this.stderr));
  }
}

function performanceNow(): number {
  return globalThis.performance.now();
}
