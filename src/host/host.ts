/**
 * The kernel's only way to the outside world. NodeHost (node.ts) implements it
 * with node:fs/node:process; MemoryHost (memory.ts) keeps everything in memory
 * for tests and browsers.
 */

export interface HostStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface Host {
  /** Process id the guest sees as its own (getpid). */
  getpid(): number;
  getppid(): number;
  getuid(): number;
  getgid(): number;
  /** Write to a host file descriptor; returns bytes written or -errno. */
  write(fd: number, data: Uint8Array): number;
  /** Read from a host file descriptor; returns bytes read (0 at EOF) or -errno. */
  read(fd: number, buf: Uint8Array): number;
  /** Send a signal to a host process: 0 or -errno (ESRCH, EPERM, EINVAL). */
  kill(pid: number, sig: number): number;
  /** CLOCK_REALTIME in nanoseconds. */
  realtimeNs(): bigint;
  /** CLOCK_MONOTONIC in nanoseconds. */
  monotonicNs(): bigint;
  /** Fill with random bytes. */
  randomBytes(buf: Uint8Array): void;
  /** Is the host fd a terminal (for ioctl TCGETS)? */
  isatty(fd: number): boolean;
}
