/**
 * Sockets compared with the native run: AF_UNIX (socketpair, paths as
 * socket inodes, abstract names, datagrams: sockunix.c), TCP and UDP between
 * forked guest tasks (socktcp.c, sockudp.c), SCM_RIGHTS/SCM_CREDENTIALS and
 * SOCK_SEQPACKET (sockmsg.c, also under the in-memory host); and guest
 * programs with host processes: TCP and UDP over 127.0.0.1 and unix stream
 * sockets by path, in both directions.
 */
import { spawn } from "node:child_process";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator, MemoryFs, MemoryHost } from "../src/index.js";
import { CLI, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

if (!IS_X86_64_LINUX) console.log("socket tests skipped: they compare with a native run (x86-64 Linux host needed)");

for (const libc of ["musl", "glibc"]) {
  describe.skipIf(!IS_X86_64_LINUX)(`sockets: ${libc}`, () => {
    for (const prog of ["sockunix", "socktcp", "sockmsg", "sockudp"]) {
      const exe = path.join(ROOT, "fixtures/bin", libc, prog);
      it.skipIf(!fs.existsSync(exe))(prog, () => {
        const dir = fs.mkdtempSync(path.join(tmpDir(), `${prog}-`));
        const args = prog === "socktcp" || prog === "sockudp" ? [] : [dir];
        const n = runNative(exe, args);
        const e = runEmu([exe, ...args]);
        expect(e.stderr).toBe(n.stderr);
        expect(e.stdout).toBe(n.stdout);
        expect(shellStatus(e)).toBe(shellStatus(n));
      }, 60000);
    }
  });
}

describe.skipIf(!IS_X86_64_LINUX)("sockets: unix paths under --root", () => {
  const exe = path.join(ROOT, "fixtures/bin/musl/sockunix");
  it.skipIf(!fs.existsSync(exe))("bound paths are socket inodes inside the root", () => {
    const dir = fs.mkdtempSync(path.join(tmpDir(), "sockunix-native-"));
    const root = fs.mkdtempSync(path.join(tmpDir(), "sockunix-root-"));
    // the guest sees the same directory name inside the root, so the output (address lengths) is the native one
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    const n = runNative(exe, [dir]);
    const e = runEmu(["--root", root, exe, dir]);
    expect(n.stdout).toContain("readdir rel.sock type 12");
    expect(e.stdout).toBe(n.stdout);
    expect(shellStatus(e)).toBe(shellStatus(n));
    // a socket the guest leaves bound stays as a file in the root, never outside it
    expect(fs.readdirSync(path.join(root, dir))).toEqual([]);
  }, 60000);
});

/** A TCP echo server in a host Node process; resolves with its port. */
function hostEchoServer(): Promise<{ port: number; stop: () => void }> {
  const code = `const net=require("net");const s=net.createServer(c=>{c.on("data",d=>c.write(d));c.on("end",()=>c.end())});s.listen(0,"127.0.0.1",()=>console.log(s.address().port))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("echo server did not start")), 10000);
    child.stdout.once("data", (d) => {
      clearTimeout(timer);
      resolve({ port: Number(String(d).trim()), stop: () => child.kill() });
    });
  });
}

/** A port nothing listens on now (the host picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Run a command until it exits (killed after 30 s); `onReady` runs once it prints "ready". */
function runUntilExit(cmd: string, args: string[], onReady: () => void): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    let out = "";
    let ready = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!ready && out.includes("ready\n")) {
        ready = true;
        onReady();
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
  });
}

/** Connect to 127.0.0.1:port (retrying while the server starts), send text, collect the echo until the server closes. */
function hostClient(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1", () => {
      c.write(text);
      c.end();
    });
    let got = "";
    c.on("data", (d) => (got += d));
    c.on("close", () => resolve(got));
    c.on("error", (e) => resolve(`error ${e.message}`));
  });
}

describe.skipIf(!IS_X86_64_LINUX)("sockets: guest and host processes over 127.0.0.1", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "socktcp");
    it.skipIf(!fs.existsSync(exe))(`${libc}: guest client, host echo server`, async () => {
      const srv = await hostEchoServer();
      try {
        const n = runNative(exe, [String(srv.port)]);
        const e = runEmu([exe, String(srv.port)]);
        expect(n.stdout).toContain("host echo: bye");
        expect(e.stdout).toBe(n.stdout);
        expect(shellStatus(e)).toBe(shellStatus(n));
      } finally {
        srv.stop();
      }
    }, 60000);
    it.skipIf(!fs.existsSync(exe))(`${libc}: host client, guest echo server`, async () => {
      const results: string[] = [];
      for (const cmd of [[exe], [process.execPath, CLI, exe]]) {
        const port = await freePort();
        let echoed: Promise<string> = Promise.resolve("");
        const r = await runUntilExit(cmd[0], [...cmd.slice(1), "serve", String(port)], () => {
          echoed = hostClient(port, "ping from the host");
        });
        results.push(`${r.out}code ${r.code}\necho ${await echoed}`);
      }
      expect(results[0]).toContain("echoed 18 bytes");
      expect(results[1]).toBe(results[0]);
    }, 60000);
  }
});

/** A UDP echo server in a host Node process; resolves with its port. */
function hostUdpEcho(): Promise<{ port: number; stop: () => void }> {
  const code = `const d=require("dgram");const s=d.createSocket("udp4");s.on("message",(m,r)=>s.send(m,r.port,r.address));s.bind(0,"127.0.0.1",()=>console.log(s.address().port))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("udp echo server did not start")), 10000);
    child.stdout.once("data", (d) => {
      clearTimeout(timer);
      resolve({ port: Number(String(d).trim()), stop: () => child.kill() });
    });
  });
}

/** A UDP port nothing is bound to now (the host picks it). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Send each datagram to 127.0.0.1:port and wait for its echo (resent while the server may still be starting), then "quit". */
function udpClient(port: number, msgs: string[]): Promise<string> {
  return new Promise((resolve) => {
    const c = dgram.createSocket("udp4");
    const got: string[] = [];
    let j = 0;
    const next = (): void => {
      if (j === msgs.length) {
        c.send("quit", port, "127.0.0.1", () => c.close(() => resolve(got.join("|"))));
        return;
      }
      c.send(msgs[j], port, "127.0.0.1");
    };
    c.on("message", (m) => {
      got.push(String(m));
      j++;
      next();
    });
    c.bind(0, "127.0.0.1", next);
  });
}

describe.skipIf(!IS_X86_64_LINUX)("sockets: UDP between guest and host processes", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "sockudp");
    it.skipIf(!fs.existsSync(exe))(`${libc}: guest client, host UDP echo`, async () => {
      const srv = await hostUdpEcho();
      try {
        const n = runNative(exe, [String(srv.port)]);
        const e = runEmu([exe, String(srv.port)]);
        expect(n.stdout).toContain("peek 5 'first' from host 1");
        expect(e.stdout).toBe(n.stdout);
        expect(shellStatus(e)).toBe(shellStatus(n));
      } finally {
        srv.stop();
      }
    }, 60000);
    it.skipIf(!fs.existsSync(exe))(`${libc}: host client, guest UDP echo`, async () => {
      const results: string[] = [];
      for (const cmd of [[exe], [process.execPath, CLI, exe]]) {
        const port = await freeUdpPort();
        let echoed: Promise<string> = Promise.resolve("");
        const r = await runUntilExit(cmd[0], [...cmd.slice(1), "serve", String(port)], () => {
          echoed = udpClient(port, ["alpha", "a longer second datagram", "3"]);
        });
        results.push(`${r.out}code ${r.code}\necho ${await echoed}`);
      }
      expect(results[0]).toContain("served 3 datagrams");
      expect(results[0]).toContain("echo alpha|a longer second datagram|3");
      expect(results[1]).toBe(results[0]);
    }, 60000);
  }
});

/** Connect to a unix socket path (retrying while the server starts), send text, collect the echo until it closes. */
function unixClient(p: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(p, () => c.end(text));
    let got = "";
    c.on("data", (d) => (got += d));
    c.on("close", () => resolve(got));
    c.on("error", (e) => resolve(`error ${e.message}`));
  });
}

describe.skipIf(!IS_X86_64_LINUX)("sockets: unix paths between guest and host processes", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "sockunix");
    it.skipIf(!fs.existsSync(exe))(`${libc}: host client, guest unix echo server`, async () => {
      const results: string[] = [];
      const dir = fs.mkdtempSync(path.join(tmpDir(), "unixsrv-"));
      for (const cmd of [[exe], [process.execPath, CLI, exe]]) {
        const p = path.join(dir, "echo.sock");
        let echoed: Promise<string> = Promise.resolve("");
        const r = await runUntilExit(cmd[0], [...cmd.slice(1), "serve", p], () => {
          echoed = unixClient(p, "ping over a unix socket");
        });
        results.push(`${r.out}code ${r.code}\necho ${await echoed}`);
      }
      expect(results[0]).toContain("echoed 23 bytes");
      expect(results[1]).toBe(results[0]);
    }, 60000);
    it.skipIf(!fs.existsSync(exe))(`${libc}: guest client, host unix echo server`, async () => {
      const dir = fs.mkdtempSync(path.join(tmpDir(), "unixcli-"));
      const p = path.join(dir, "host.sock");
      const srv = net.createServer((c) => {
        c.on("data", (d) => c.write(d));
        c.on("end", () => c.end());
      });
      await new Promise<void>((resolve) => srv.listen(p, resolve));
      try {
        const run = (cmd: string[]): Promise<string> =>
          new Promise((resolve) => {
            const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            child.stdout.on("data", (d) => (out += d));
            child.on("close", (code) => resolve(`${out}code ${code}`));
          });
        const n = await run([exe, "dial", p]);
        const e = await run([process.execPath, CLI, exe, "dial", p]);
        expect(n).toContain("echo 'hello host'");
        expect(e).toBe(n);
      } finally {
        srv.close();
      }
    }, 60000);
  }
});

describe.skipIf(!IS_X86_64_LINUX)("sockets: the in-memory host", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "sockmsg");
    it.skipIf(!fs.existsSync(exe))(`${libc}: SCM_RIGHTS and SOCK_SEQPACKET between guest tasks, no host network or files`, () => {
      const dir = fs.mkdtempSync(path.join(tmpDir(), "sockmsg-mem-"));
      const n = runNative(exe, [dir]);
      const host = new MemoryHost();
      const emu = Emulator.fromElf(new Uint8Array(fs.readFileSync(exe)), { argv: ["sockmsg", "/work"], host, files: new MemoryFs({ "/work/keep": "" }, { cwd: "/work" }) });
      expect(emu.run()).toEqual({ kind: "exit", code: 0 });
      expect(host.stdoutText()).toBe(n.stdout);
    }, 60000);
  }
});
