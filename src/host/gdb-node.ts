/** Node transports for the gdb stub: a TCP listener (127.0.0.1 by default) or stdin/stdout. */
import * as net from "node:net";
import type { Process } from "../kernel/program.js";
import { GdbStub } from "../gdb/stub.js";
import type { ExitStatus } from "../kernel/kernel.js";

export interface GdbServeOptions {
  execFile: string;
  log?: (line: string) => void;
  /** Called once listening (TCP). */
  onListening?: (port: number) => void;
}

/** Result of a debugging session: the guest's end, or null when gdb killed it / detached before it ended. */
export interface GdbResult {
  status: ExitStatus | null;
  detached: boolean;
}

export function serveGdbTcp(proc: Process, port: number, host: string, opts: GdbServeOptions): Promise<GdbResult> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.maxConnections = 1;
    server.listen(port, host, () => {
      const a = server.address();
      opts.onListening?.(typeof a === "object" && a ? a.port : port);
    });
    server.once("connection", (sock) => {
      server.close();
      sock.setNoDelay(true);
      sock.setEncoding("latin1");
      const stub = new GdbStub(proc, (d) => sock.write(d, "latin1"), (fn, ms) => void (ms ? setTimeout(fn, ms) : setImmediate(fn)), opts);
      stub.onEnd = (status, detached) => {
        sock.end();
        resolve({ status, detached });
      };
      sock.on("data", (d: string) => stub.receive(d));
      sock.on("close", () => resolve({ status: proc.kernel.status, detached: false }));
      sock.on("error", () => undefined);
    });
  });
}

export function serveGdbStdio(proc: Process, opts: GdbServeOptions): Promise<GdbResult> {
  return new Promise((resolve) => {
    process.stdin.setEncoding("latin1");
    const stub = new GdbStub(proc, (d) => process.stdout.write(d, "latin1"), (fn, ms) => void (ms ? setTimeout(fn, ms) : setImmediate(fn)), opts);
    stub.onEnd = (status, detached) => {
      process.stdin.pause();
      resolve({ status, detached });
    };
    process.stdin.on("data", (d: string) => stub.receive(d));
    process.stdin.on("end", () => resolve({ status: proc.kernel.status, detached: false }));
  });
}
