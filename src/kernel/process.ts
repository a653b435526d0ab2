/** Process syscalls: exit, ids, kill. */
import { defineSyscall, ProcessExit, type Kernel } from "./kernel.js";

const EINVAL = 22;
const ESRCH = 3;

function exit(k: Kernel, code: number): never {
  k.terminate({ kind: "exit", code: code & 0xff });
  throw new ProcessExit(k.status!);
}

defineSyscall({ nr: 60, name: "exit", args: ["d"], fn: (k, a) => exit(k, a.i32(0)) });
defineSyscall({ nr: 231, name: "exit_group", args: ["d"], fn: (k, a) => exit(k, a.i32(0)) });
defineSyscall({ nr: 39, name: "getpid", args: [], fn: (k) => k.host.getpid() });
defineSyscall({ nr: 186, name: "gettid", args: [], fn: (k) => k.host.getpid() });
defineSyscall({ nr: 110, name: "getppid", args: [], fn: (k) => k.host.getppid() });
defineSyscall({ nr: 102, name: "getuid", args: [], fn: (k) => k.host.getuid() });
defineSyscall({ nr: 107, name: "geteuid", args: [], fn: (k) => k.host.getuid() });
defineSyscall({ nr: 104, name: "getgid", args: [], fn: (k) => k.host.getgid() });
defineSyscall({ nr: 108, name: "getegid", args: [], fn: (k) => k.host.getgid() });

/** Send sig to pid: to ourselves it is raised in the guest; otherwise it goes to the host process. */
export function sendSignal(k: Kernel, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  const self = k.host.getpid();
  if (pid === self || pid === 0 || pid === -self) {
    if (sig !== 0) k.signalHandlers.raise(k, sig, 0, self);
    return 0;
  }
  if (pid === -1) return k.host.kill(-1, sig); // every process the user may signal except the caller (the emulator) itself
  if (pid > 4194304 || pid < -4194304) return -ESRCH;
  return k.host.kill(pid, sig);
}

defineSyscall({ nr: 62, name: "kill", args: ["d", "sig"], fn: (k, a) => sendSignal(k, a.i32(0), a.i32(1)) });
