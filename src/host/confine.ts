/**
 * --root DIR as tight as chroot(2): a guest path is resolved inside DIR one
 * component at a time, the way the kernel walks a path under a changed root.
 * Symbolic links are read and their targets resolved again inside DIR (an
 * absolute target starts over at DIR, a relative one continues where the link
 * is), ".." stops at DIR, and the host path handed to node:fs has no symlink
 * left in it that the host could follow out of DIR (the last component is one
 * only when the call does not follow it: lstat, readlink, unlink, rename...).
 *
 * What this cannot stop, as a chroot cannot: hard links inside DIR to files
 * outside it, and other host processes changing DIR while a path is resolved.
 */
import * as fs from "node:fs";

const ENOENT = 2;
const ENOTDIR = 20;
const ENAMETOOLONG = 36;
const ELOOP = 40;
/** Linux follows at most 40 symbolic links in one lookup. */
const MAX_LINKS = 40;
const PATH_MAX = 4096;

/** The lstat/readlink the resolver needs (node:fs by default; tests may pass others). */
export interface ResolveFs {
  /** "dir", "link", "other", or -errno */
  kind(hostPath: string): "dir" | "link" | "other" | number;
  readlink(hostPath: string): string | number;
}

function errno(e: unknown): number {
  const code = (e as { code?: string }).code;
  return code === "ENOENT" ? -ENOENT : code === "ENOTDIR" ? -ENOTDIR : code === "ELOOP" ? -ELOOP : code === "EACCES" ? -13 : code === "ENAMETOOLONG" ? -ENAMETOOLONG : -5;
}

export const nodeResolveFs: ResolveFs = {
  kind(p) {
    try {
      const st = fs.lstatSync(p);
      return st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "other";
    } catch (e) {
      return errno(e);
    }
  },
  readlink(p) {
    try {
      return fs.readlinkSync(p);
    } catch (e) {
      return errno(e);
    }
  },
};

/**
 * The host path for guest path `guest` (absolute; "." and ".." allowed) under
 * `root` (a real, absolute directory without a trailing slash), or -errno.
 * `followLast`: a symbolic link as the last component is followed (stat, open)
 * or kept (lstat, readlink, unlink, rename, symlink, link). A missing last
 * component is fine (the call may create it); a missing directory is ENOENT.
 */
export function resolveInRoot(root: string, guest: string, followLast: boolean, rfs: ResolveFs = nodeResolveFs): string | number {
  if (guest.length >= PATH_MAX) return -ENAMETOOLONG;
  const done: string[] = []; // real directories (and last the final name) below root
  const todo = guest.split("/").filter((c) => c !== "" && c !== ".").reverse(); // pop() gives the next component
  let links = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === ".") continue;
    if (c === "..") {
      done.pop(); // at root, ".." is root itself
      continue;
    }
    if (c.length > 255) return -ENAMETOOLONG;
    const last = todo.length === 0;
    const here = root + "/" + [...done, c].join("/");
    if (last && !followLast) {
      done.push(c);
      break;
    }
    const kind = rfs.kind(here);
    if (kind === -ENOENT && last) {
      done.push(c);
      break;
    }
    if (typeof kind === "number") return kind;
    if (kind === "link") {
      if (++links > MAX_LINKS) return -ELOOP;
      const target = rfs.readlink(here);
      if (typeof target === "number") return target;
      if (target.startsWith("/")) done.length = 0; // an absolute target starts over at the root
      for (const t of target.split("/").filter((x) => x !== "" && x !== ".").reverse()) todo.push(t);
      continue;
    }
    if (!last && kind !== "dir") return -ENOTDIR;
    done.push(c);
  }
  return done.length === 0 ? root : root + "/" + done.join("/");
}

/** The guest's view of a host path under root ("/" for root itself), or null when it is outside. */
export function guestPathOf(root: string, host: string): string | null {
  if (host === root) return "/";
  return host.startsWith(root + "/") ? host.slice(root.length) : null;
}
