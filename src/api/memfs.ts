/**
 * An in-memory file system (path -> bytes) behind the HostFs interface, for
 * browsers and tests: the guest's open/read/write/stat/getdents/mkdir/...
 * work on it through the kernel's file syscalls.
 */
import type { HostDirent, HostFs, HostStat } from "../host/host.js";

const ENOENT = 2;
const EBADF = 9;
const EEXIST = 17;
const ENOTDIR = 20;
const EISDIR = 21;
const EINVAL = 22;
const ENOTEMPTY = 39;
const ELOOP = 40;

const O_ACCMODE = 3;
const O_CREAT = 0x40;
const O_EXCL = 0x80;
const O_TRUNC = 0x200;
const O_DIRECTORY = 0x10000;
const O_NOFOLLOW = 0x20000;

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

interface Node {
  kind: "file" | "dir" | "symlink";
  data: Uint8Array;
  size: number;
  mode: number;
  ino: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  target: string;
}

/** Contents for {@link MemoryFs}: a file's bytes (strings are UTF-8 encoded). */
export type MemoryFsEntry = Uint8Array | string;

/** Options of {@link MemoryFs}. */
export interface MemoryFsOptions {
  /** The guest's initial working directory (default "/"). */
  cwd?: string;
  /** Clock for timestamps, in ns (default: Date.now()). */
  nowNs?: () => bigint;
}

function norm(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function parent(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/**
 * A file system held in memory: regular files, directories and symbolic
 * links; no owners or permission checks (the mode bits are stored and
 * reported). Give it to a host as `host.fs`, or pass `files` to
 * `Emulator.fromElf`.
 *
 * ```ts
 * const fs = new MemoryFs({ "/etc/motd": "hi\n", "/data/in.bin": bytes });
 * // ... run a program that writes /out.txt
 * new TextDecoder().decode(fs.readFile("/out.txt"));
 * ```
 */
export class MemoryFs implements HostFs {
  private readonly nodes = new Map<string, Node>();
  private readonly handles = new Map<number, Node>();
  private nextHandle = 3;
  private nextIno = 2;
  private readonly dir: string;
  private readonly now: () => bigint;

  /** Create the file system with files (parent directories are created as needed). */
  constructor(files: Record<string, MemoryFsEntry> = {}, opts: MemoryFsOptions = {}) {
    this.now = opts.nowNs ?? (() => BigInt(Date.now()) * 1000000n);
    this.nodes.set("/", this.node("dir", 0o755));
    for (const [p, data] of Object.entries(files)) this.writeFile(p, data);
    this.dir = norm(opts.cwd ?? "/");
    this.mkdirs(this.dir);
  }

  private node(kind: Node["kind"], mode: number): Node {
    const t = this.now();
    return { kind, data: new Uint8Array(0), size: 0, mode, ino: this.nextIno++, atimeNs: t, mtimeNs: t, ctimeNs: t, target: "" };
  }

  private mkdirs(p: string): void {
    const path = norm(p);
    if (path === "/") return;
    this.mkdirs(parent(path));
    if (!this.nodes.has(path)) this.nodes.set(path, this.node("dir", 0o755));
  }

  // ---- helpers for the embedder ----------------------------------------------------------------

  /** Create or replace a file (and its parent directories). */
  writeFile(path: string, data: MemoryFsEntry, mode = 0o644): void {
    const p = norm(path);
    this.mkdirs(parent(p));
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data.slice();
    const n = this.node("file", mode);
    n.data = bytes;
    n.size = bytes.length;
    this.nodes.set(p, n);
  }

  /** A file's contents (following symbolic links), or undefined when there is no such file. */
  readFile(path: string): Uint8Array | undefined {
    const r = this.lookup(path, true);
    if (typeof r === "number" || r.node.kind !== "file") return undefined;
    return r.node.data.slice(0, r.node.size);
  }

  /** Create a symbolic link at `path` pointing to `target`. */
  symlink(target: string, path: string): void {
    const p = norm(path);
    this.mkdirs(parent(p));
    const n = this.node("symlink", 0o777);
    n.target = target;
    n.size = new TextEncoder().encode(target).length;
    this.nodes.set(p, n);
  }

  /** All paths, sorted (directories included). */
  list(): string[] {
    return [...this.nodes.keys()].sort();
  }

  // ---- path resolution ----------------------------------------------------------------------

  /** Resolve symlinks in every component (and the last one too when `follow`). */
  private resolvePath(path: string, follow: boolean, depth = 0): string | number {
    if (depth > 40) return -ELOOP;
    const parts = norm(path).split("/").filter(Boolean);
    let cur = "/";
    for (let j = 0; j < parts.length; j++) {
      const next = cur === "/" ? "/" + parts[j] : cur + "/" + parts[j];
      const n = this.nodes.get(next);
      const last = j === parts.length - 1;
      if (n === undefined) {
        if (!last) return -ENOENT;
        cur = next;
        break;
      }
      if (n.kind === "symlink" && (!last || follow)) {
        const t = n.target.startsWith("/") ? n.target : cur + "/" + n.target;
        const rest = parts.slice(j + 1).join("/");
        return this.resolvePath(rest ? t + "/" + rest : t, follow, depth + 1);
      }
      if (!last && n.kind !== "dir") return -ENOTDIR;
      cur = next;
    }
    return cur;
  }

  private lookup(path: string, follow: boolean): { path: string; node: Node } | number {
    const p = this.resolvePath(path, follow);
    if (typeof p === "number") return p;
    const node = this.nodes.get(p);
    return node ? { path: p, node } : -ENOENT;
  }

  /** Where a new entry named by `path` goes: its resolved path, after checking the parent. */
  private creatable(path: string): string | number {
    const p = this.resolvePath(path, false);
    if (typeof p === "number") return p;
    const dir = this.nodes.get(parent(p));
    if (!dir) return -ENOENT;
    if (dir.kind !== "dir") return -ENOTDIR;
    return p;
  }

  private children(dir: string): string[] {
    const prefix = dir === "/" ? "/" : dir + "/";
    const out: string[] = [];
    for (const p of this.nodes.keys()) if (p !== "/" && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) out.push(p.slice(prefix.length));
    return out.sort();
  }

  private stats(n: Node): HostStat {
    const type = n.kind === "dir" ? S_IFDIR : n.kind === "symlink" ? S_IFLNK : S_IFREG;
    const size = n.kind === "dir" ? 4096 : n.size;
    return {
      dev: 1,
      ino: n.ino,
      mode: type | (n.mode & 0o7777),
      nlink: n.kind === "dir" ? 2 : 1,
      uid: 1000,
      gid: 1000,
      rdev: 0,
      size,
      blksize: 4096,
      blocks: Math.ceil(size / 512),
      atimeNs: n.atimeNs,
      mtimeNs: n.mtimeNs,
      ctimeNs: n.ctimeNs,
    };
  }

  // ---- HostFs -----------------------------------------------------------------------------------

  /** @inheritDoc */
  cwd(): string {
    return this.dir;
  }

  /** @inheritDoc */
  open(path: string, flags: number, mode: number): number {
    let r = this.lookup(path, (flags & O_NOFOLLOW) === 0);
    if (typeof r === "number") {
      if (r !== -ENOENT || !(flags & O_CREAT)) return r;
      const target = this.resolvePath(path, true);
      if (typeof target === "number") return target;
      const p = this.creatable(target);
      if (typeof p === "number") return p;
      const n = this.node("file", mode & 0o7777);
      this.nodes.set(p, n);
      r = { path: p, node: n };
    } else if (flags & O_CREAT && flags & O_EXCL) return -EEXIST;
    const n = r.node;
    if (n.kind === "symlink") return -ELOOP;
    if (flags & O_DIRECTORY && n.kind !== "dir") return -ENOTDIR;
    if (n.kind === "dir" && (flags & O_ACCMODE) !== 0) return -EISDIR;
    if (n.kind === "file" && flags & O_TRUNC && (flags & O_ACCMODE) !== 0) this.truncNode(n, 0);
    const h = this.nextHandle++;
    this.handles.set(h, n);
    return h;
  }

  /** @inheritDoc */
  close(h: number): number {
    return this.handles.delete(h) ? 0 : -EBADF;
  }

  /** @inheritDoc */
  pread(h: number, buf: Uint8Array, pos: number): number {
    const n = this.handles.get(h);
    if (!n) return -EBADF;
    if (n.kind === "dir") return -EISDIR;
    const len = Math.max(0, Math.min(buf.length, n.size - pos));
    buf.set(n.data.subarray(pos, pos + len));
    n.atimeNs = this.now();
    return len;
  }

  /** @inheritDoc */
  pwrite(h: number, data: Uint8Array, pos: number): number {
    const n = this.handles.get(h);
    if (!n) return -EBADF;
    if (n.kind === "dir") return -EISDIR;
    const end = pos + data.length;
    if (end > n.data.length) {
      const grown = new Uint8Array(Math.max(end, n.data.length * 2, 64));
      grown.set(n.data.subarray(0, n.size));
      n.data = grown;
    }
    n.data.set(data, pos);
    if (end > n.size) n.size = end;
    n.mtimeNs = n.ctimeNs = this.now();
    return data.length;
  }

  /** @inheritDoc */
  fstat(h: number): HostStat | number {
    const n = this.handles.get(h);
    return n ? this.stats(n) : -EBADF;
  }

  /** @inheritDoc */
  stat(path: string, follow: boolean): HostStat | number {
    const r = this.lookup(path, follow);
    return typeof r === "number" ? r : this.stats(r.node);
  }

  /** @inheritDoc */
  readdir(path: string): HostDirent[] | number {
    const r = this.lookup(path, true);
    if (typeof r === "number") return r;
    if (r.node.kind !== "dir") return -ENOTDIR;
    const up = this.nodes.get(parent(r.path))!;
    const out: HostDirent[] = [
      { name: ".", type: 4, ino: r.node.ino },
      { name: "..", type: 4, ino: up.ino },
    ];
    for (const name of this.children(r.path)) {
      const c = this.nodes.get(r.path === "/" ? "/" + name : r.path + "/" + name)!;
      out.push({ name, type: c.kind === "dir" ? 4 : c.kind === "symlink" ? 10 : 8, ino: c.ino });
    }
    return out;
  }

  /** @inheritDoc */
  readlink(path: string): string | number {
    const r = this.lookup(path, false);
    if (typeof r === "number") return r;
    return r.node.kind === "symlink" ? r.node.target : -EINVAL;
  }

  /** @inheritDoc */
  mkdir(path: string, mode: number): number {
    const p = this.creatable(path);
    if (typeof p === "number") return p;
    if (this.nodes.has(p)) return -EEXIST;
    this.nodes.set(p, this.node("dir", mode & 0o7777));
    return 0;
  }

  /** @inheritDoc */
  rmdir(path: string): number {
    const r = this.lookup(path, false);
    if (typeof r === "number") return r;
    if (r.node.kind !== "dir") return -ENOTDIR;
    if (r.path === "/") return -EINVAL;
    if (this.children(r.path).length) return -ENOTEMPTY;
    this.nodes.delete(r.path);
    return 0;
  }

  /** @inheritDoc */
  unlink(path: string): number {
    const r = this.lookup(path, false);
    if (typeof r === "number") return r;
    if (r.node.kind === "dir") return -EISDIR;
    this.nodes.delete(r.path); // open handles keep the node
    return 0;
  }

  /** @inheritDoc */
  rename(from: string, to: string): number {
    const a = this.lookup(from, false);
    if (typeof a === "number") return a;
    const b = this.creatable(to);
    if (typeof b === "number") return b;
    if (a.path === b) return 0;
    if (b.startsWith(a.path + "/")) return -EINVAL;
    const old = this.nodes.get(b);
    if (old) {
      if (old.kind === "dir" && a.node.kind !== "dir") return -EISDIR;
      if (old.kind !== "dir" && a.node.kind === "dir") return -ENOTDIR;
      if (old.kind === "dir" && this.children(b).length) return -ENOTEMPTY;
    }
    const moves: Array<[string, Node]> = [];
    for (const [p, n] of this.nodes) if (p === a.path || p.startsWith(a.path + "/")) moves.push([p, n]);
    for (const [p] of moves) this.nodes.delete(p);
    for (const [p, n] of moves) this.nodes.set(b + p.slice(a.path.length), n);
    return 0;
  }

  private truncNode(n: Node, len: number): void {
    if (len > n.data.length) {
      const grown = new Uint8Array(len);
      grown.set(n.data.subarray(0, n.size));
      n.data = grown;
    } else n.data.fill(0, len, n.size);
    n.size = len;
    n.mtimeNs = n.ctimeNs = this.now();
  }

  /** @inheritDoc */
  truncate(h: number, len: number): number {
    const n = this.handles.get(h);
    if (!n) return -EBADF;
    if (n.kind !== "file" || len < 0) return -EINVAL;
    this.truncNode(n, len);
    return 0;
  }

  /** @inheritDoc */
  chmod(path: string, mode: number): number {
    const r = this.lookup(path, true);
    if (typeof r === "number") return r;
    r.node.mode = mode & 0o7777;
    r.node.ctimeNs = this.now();
    return 0;
  }

  /** @inheritDoc */
  access(path: string, _mode: number): number {
    const r = this.lookup(path, true);
    return typeof r === "number" ? r : 0;
  }

  /** @inheritDoc */
  utimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): number {
    const r = this.lookup(path, true);
    if (typeof r === "number") return r;
    if (atimeNs !== null) r.node.atimeNs = atimeNs;
    if (mtimeNs !== null) r.node.mtimeNs = mtimeNs;
    r.node.ctimeNs = this.now();
    return 0;
  }
}
