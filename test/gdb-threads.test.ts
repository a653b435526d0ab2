/**
 * The gdb stub's thread packets, spoken directly (no gdb needed): thread
 * lists, thread-alive, Hg register access per thread, breakpoints that stop
 * the thread that hits them, per-thread vCont (step one, others stopped or
 * running), and a run to the end while threads come and go.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Process } from "../src/kernel/program.js";
import { GdbStub } from "../src/gdb/stub.js";
import { MemoryHost } from "../src/host/memory.js";
import { ROOT } from "./helpers/asm.js";

function checksum(s: string): string {
  let c = 0;
  for (let k = 0; k < s.length; k++) c = (c + s.charCodeAt(k)) & 0xff;
  return c.toString(16).padStart(2, "0");
}

function session(fixture: string) {
  const proc = new Process(readFileSync(path.join(ROOT, fixture)), { argv: ["threads"], envp: [], host: new MemoryHost(), exePath: "/bin/threads" });
  const out: string[] = [];
  const queue: Array<() => void> = [];
  const stub = new GdbStub(proc, (d) => out.push(d), (fn) => queue.push(fn), { execFile: "threads" });
  const ask = (body: string): string => {
    out.length = 0;
    stub.receive(`$${body}#${checksum(body)}`);
    for (let n = 0; queue.length && n < 100000; n++) queue.shift()!();
    const replies = out.filter((x) => x !== "+").map((x) => x.slice(1, x.lastIndexOf("#")));
    expect(replies.length, body).toBe(1);
    return replies[0];
  };
  return { ask, proc };
}

const le64 = (hex: string) => Number(BigInt("0x" + (hex.match(/../g) ?? []).reverse().join("")));
const stopThread = (reply: string) => parseInt(/thread:([0-9a-f]+);/.exec(reply)![1], 16);

describe("gdb stub threads", () => {
  it("serves thread packets for a pthreads program", () => {
    const { ask, proc } = session("fixtures/bin/musl/threads");
    const main = proc.sched.root.pid;
    expect(ask("?")).toMatch(new RegExp(`^T05.*thread:${main.toString(16)};`));
    expect(ask("qfThreadInfo")).toBe(`m${main.toString(16)}`);
    expect(ask("qsThreadInfo")).toBe("l");
    expect(ask(`T${main.toString(16)}`)).toBe("OK");
    expect(ask("T1")).toBe("E01");
    expect(ask("Hg1")).toBe("E01");
    const worker = proc.image.symbols.find((s) => s.name === "worker")!.value;
    expect(ask(`Z0,${worker.toString(16)},1`)).toBe("OK");
    const hit = ask("c");
    expect(hit).toMatch(/^T05.*swbreak:;/);
    const t = stopThread(hit);
    expect(t).not.toBe(main);
    expect(le64(/10:([0-9a-f]{16})/.exec(hit)![1])).toBe(worker);
    expect(ask("qC")).toBe(`QC${t.toString(16)}`);
    const tids = ask("qfThreadInfo").slice(1).split(",").map((x) => parseInt(x, 16));
    expect(tids).toContain(main);
    expect(tids).toContain(t);
    for (const id of tids) expect(ask(`T${id.toString(16)}`)).toBe("OK");
    const xml = ask("qXfer:threads:read::0,fff");
    expect(xml).toMatch(/^l<\?xml version="1.0"\?><threads>.*<\/threads>$/);
    expect(xml.match(/<thread id="([0-9a-f]+)" core="0" name="threads">/g)?.length).toBe(tids.length);
    expect(xml).toContain(`<thread id="${t.toString(16)}" core="0" name="threads">runnable</thread>`);
    expect(ask(`qThreadExtraInfo,${t.toString(16)}`)).toBe(Buffer.from("runnable").toString("hex"));
    // registers per thread: the stopped worker is at the breakpoint, the main thread elsewhere
    const rip = (id: number) => {
      expect(ask(`Hg${id.toString(16)}`)).toBe("OK");
      return le64(ask("p10"));
    };
    expect(rip(t)).toBe(worker);
    expect(rip(main)).not.toBe(worker);
    const before = new Map(tids.map((id) => [id, rip(id)]));
    // scheduler-locked step: only t moves (one instruction, push rbp or similar at the function start)
    const s1 = ask(`vCont;s:${t.toString(16)}`);
    expect(stopThread(s1)).toBe(t);
    for (const id of tids) {
      if (id === t) expect(rip(id)).toBeGreaterThan(worker);
      else expect(rip(id), `thread ${id}`).toBe(before.get(id));
    }
    // writes go to the selected thread only
    expect(ask(`Hg${main.toString(16)}`)).toBe("OK");
    const mainRbx = ask("p1");
    expect(ask(`Hg${t.toString(16)}`)).toBe("OK");
    const tRbx = ask("p1");
    expect(ask("P1=efbeadde00000000")).toBe("OK");
    expect(ask("p1")).toBe("efbeadde00000000");
    expect(ask(`Hg${main.toString(16)}`)).toBe("OK");
    expect(ask("p1")).toBe(mainRbx);
    expect(ask(`Hg${t.toString(16)}`)).toBe("OK");
    expect(ask(`P1=${tRbx}`)).toBe("OK");
    // every other worker hits the breakpoint too, each reported as itself
    const seen = new Set([t]);
    let lastHit = t;
    for (let k = 0; k < 3; k++) {
      const h = ask("vCont;c");
      expect(h).toMatch(/^T05.*swbreak:;/);
      lastHit = stopThread(h);
      seen.add(lastHit);
    }
    expect(seen.size).toBe(4);
    expect(ask(`z0,${worker.toString(16)},1`)).toBe("OK");
    const u = lastHit;
    // step u (stopped at the breakpoint, now removed) while the others run (gdb's default): the stop still names u; Hg0 goes back to the stopped thread
    const r1 = rip(u);
    expect(stopThread(ask(`vCont;s:p${main.toString(16)}.${u.toString(16)};c`))).toBe(u);
    expect(ask("Hg0")).toBe("OK");
    expect(le64(ask("p10"))).toBeGreaterThan(r1);
    // run to the end: 200 more threads start and end meanwhile
    expect(ask("c")).toBe("W00");
  });
});
