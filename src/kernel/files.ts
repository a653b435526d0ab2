/** File syscalls (the lesson's subset: read/write on the standard descriptors). */
import { defineSyscall } from "./kernel.js";

const EBADF = 9;
const EFAULT = 14;
const MAX_IO = 1 << 20;

defineSyscall({
  nr: 1,
  name: "write",
  args: ["fd", "buf2", "u"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (fd < 0 || fd > 2) return -EBADF;
    const len = Math.min(a.u(2), MAX_IO);
    let data: Uint8Array;
    try {
      data = k.cpu.mem.readBytes(a.u(1), len);
    } catch {
      return -EFAULT;
    }
    return k.host.write(fd, data);
  },
});

defineSyscall({
  nr: 0,
  name: "read",
  args: ["fd", "obuf2", "u"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (fd < 0 || fd > 2) return -EBADF;
    const buf = new Uint8Array(Math.min(a.u(2), MAX_IO));
    const n = k.host.read(fd, buf);
    if (n <= 0) return n;
    try {
      k.cpu.mem.writeBytes(a.u(1), buf.subarray(0, n));
    } catch {
      return -EFAULT;
    }
    return n;
  },
});
