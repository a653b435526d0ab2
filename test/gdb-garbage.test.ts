/**
 * The gdb stub against malformed and random packets (issue 16): every packet
 * gets a reply (an error for malformed ones), nothing throws, and the stub
 * keeps serving (registers, memory, stepping, continuing to the exit).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Process } from "../src/kernel/program.js";
import { GdbStub } from "../src/gdb/stub.js";
import { MemoryHost } from "../src/host/memory.js";
import { prng } from "./helpers/prng.js";
import { ROOT } from "./helpers/asm.js";

function checksum(s: string): string {
  let c = 0;
  for (let k = 0; k < s.length; k++) c = (c + s.charCodeAt(k)) & 0xff;
  return c.toString(16).padStart(2, "0");
}

/** A stub over the hello fixture; `ask` sends one packet and returns the replies, running scheduled slices. */
function session() {
  const proc = new Process(readFileSync(path.join(ROOT, "fixtures/bin/hello")), { argv: ["hello"], envp: [], host: new MemoryHost() });
  const out: string[] = [];
  const queue: Array<() => void> = [];
  const stub = new GdbStub(proc, (d) => out.push(d), (fn) => queue.push(fn), { execFile: "hello" });
  let ended = false;
  stub.onEnd = () => (ended = true);
  const ask = (body: string): string[] => {
    out.length = 0;
    stub.receive(`$${body}#${checksum(body)}`);
    for (let n = 0; queue.length && n < 1000; n++) queue.shift()!();
    return out.filter((x) => x !== "+").map((x) => x.slice(1, x.lastIndexOf("#")));
  };
  return { ask, stub, proc, ended: () => ended };
}

const MALFORMED = [
  "S", "Szz", "C", "Cxyz", "C1ff", "c;", "c;zz", "s;-1", "czz", "vCont;", "vCont;S", "vCont;Cq", "vCont;r", "vCont;r1", "vCont;rzz,1", "vCont;x",
  "p", "pzz", "p-1", "P", "P=", "P1=", "P1=abc", "P1=zz", "Pzz=00", "G", "G0", "Gzz", "g1",
  "m", "m,", "mzz,4", "m0,zz", "m-1,4", "M", "M0,1", "M0,1:", "M0,1:z", "M0,2:00", "Mzz,1:00", "X0,1", "Xzz,1:a",
  "Z", "Z0", "Z0,", "Z0,zz,1", "Z2,400000", "z0,q,1", "Z9,0,0",
  "qXfer:features:read:target.xml:zz,10", "qXfer:features:read:target.xml", "qXfer:auxv:read::0,", "qXfer:nope:read::0,10", "qXfer",
  "H", "T", "?x", "Hg", "Hgzz", "Hx1", "Hg123456789", "Hgp1.zz", "Tzz", "T-2", "qThreadExtraInfo,", "qThreadExtraInfo,zz", "vCont;s:1;s:2", "vCont;c:99999", "vCont;s:-2", "qXfer:threads:read::zz,10", "qXfer:threads:read::0", "vKill", "qRcmd,zz", "\x01\x02", "$", "#", "}", "vCont;c:zz", "D;zz",
];

describe("gdb stub against malformed packets", () => {
  it("answers each malformed packet with an error or empty reply and keeps serving", () => {
    const s = session();
    const regs = s.ask("g")[0];
    expect(regs).toMatch(/^[0-9a-f]+$/);
    for (const p of MALFORMED) {
      if (p.startsWith("D")) continue; // a detach ends the session
      let replies: string[] = [];
      expect(() => (replies = s.ask(p)), p).not.toThrow();
      expect(replies.length, p).toBeGreaterThan(0);
      expect(s.ask("g")[0], `registers after ${JSON.stringify(p)}`).toBe(regs);
    }
    // still a working session: step once, then run to the exit
    expect(s.ask("s")[0]).toMatch(/^T05/);
    expect(s.ask("c")[0]).toBe("W00");
  });

  it("random packets never throw and never kill the session (seeded)", () => {
    const rnd = prng(4321);
    const alphabet = "0123456789abcdefABCDEF:;,=$#}*xXgGmMpPsScCvZzqQ?Hk.-";
    for (let session_ = 0; session_ < 10; session_++) {
      const s = session();
      for (let n = 0; n < 300; n++) {
        const len = rnd() % 24;
        let p = "";
        for (let k = 0; k < len; k++) p += alphabet[rnd() % alphabet.length];
        if (/^[kD]/.test(p) || s.ended()) continue;
        expect(() => s.ask(p), JSON.stringify(p)).not.toThrow();
      }
      if (!s.ended()) expect(s.ask("?")[0]).toMatch(/^[TWX][0-9a-f]{2}/);
    }
  });
});
