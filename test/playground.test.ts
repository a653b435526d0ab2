/**
 * The assembly playground (examples/web/playground.html) in real headless
 * Chromium: edit, assemble, run to the exit status, step and see the changed
 * registers, getpid and exit in the syscall panel with their argument
 * registers, a breakpoint, Stop on an infinite loop (the page stays
 * responsive), a phone-width layout, and a strict CSP (interpreter only).
 * Screenshots (desktop and phone width) go to $X64EMU_SCREENSHOT_DIR, or
 * test/.artifacts/ (kept out of git) when it is not set.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";
import { type BrowserSession, CHROMIUM, HAS_CHROMIUM, startBrowser } from "./helpers/chromium.js";

if (!HAS_CHROMIUM) console.log(`playground test skipped: ${CHROMIUM} not found (Debian package chromium)`);

const SHOTS = process.env.X64EMU_SCREENSHOT_DIR || path.join(ROOT, "test/.artifacts");

/** A full-page screenshot, kept in SHOTS. */
async function screenshot(page: any, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const png: Buffer = await page.screenshot({ fullPage: true, path: path.join(SHOTS, name) });
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  expect(png.length).toBeGreaterThan(20000);
}

/** Panels whose content is wider than the panel (cut off, or only seen by scrolling sideways). */
async function overflowing(page: any): Promise<string[]> {
  return page.$$eval("#memory, #disasm, #stack, #regs, #syscalls, .panel", (els: Element[]) =>
    els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.id || e.className),
  );
}

/* eslint-disable @typescript-eslint/no-explicit-any */
describe.skipIf(!HAS_CHROMIUM)("assembly playground in headless Chromium", () => {
  let session: BrowserSession | undefined;
  let base = "";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.mjs")]);
    // ?csp: no eval, no new Function, no WebAssembly compilation (for the page and its worker)
    session = await startBrowser(path.join(ROOT, "examples/web"), "default-src 'self'; script-src 'self'; worker-src 'self'", { width: 1280, height: 1000 });
    ({ base, browser } = session);
  }, 120000);

  afterAll(async () => {
    await session?.close();
  });

  async function open(query = ""): Promise<{ page: any; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e: Error) => errors.push(e.message));
    page.on("console", (m: any) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${base}/playground.html${query}`);
    await page.waitForSelector("#preset option", { state: "attached" });
    return { page, errors };
  }
  const status = (page: any) => page.textContent("#status");
  const waitStatus = async (page: any, re: RegExp) => {
    try {
      await page.waitForFunction((src: string) => new RegExp(src).test(document.getElementById("status")!.textContent!), re.source, { timeout: 30000 });
    } catch {
      throw new Error(`status is "${await status(page)}", expected ${re}`);
    }
  };

  it("edits, assembles and runs to the exit status; reports assembly errors by line", async () => {
    const { page, errors } = await open();
    await page.selectOption("#preset", "false");
    await page.click("#run");
    await waitStatus(page, /^exit status/);
    expect(await status(page)).toBe("exit status 1");

    // edit the program: exit(7) and a line of output
    await page.fill(
      "#source",
      "\t.globl _start\n_start:\n\tmov $1, %eax\n\tmov $1, %edi\n\tlea msg(%rip), %rsi\n\tmov $3, %edx\n\tsyscall\n\tmov $60, %eax\n\tmov $7, %edi\n\tsyscall\n\t.data\nmsg: .ascii \"hi\\n\"\n",
    );
    await page.click("#run");
    await waitStatus(page, /^exit status/);
    expect(await status(page)).toBe("exit status 7");
    expect(await page.textContent("#output")).toBe("hi\n");

    // a mistake: file:line: message, and the line marked
    await page.fill("#source", "\t.globl _start\n_start:\n\tmovq $1, %eax, %ebx\n");
    await page.click("#run");
    await waitStatus(page, /assembly failed/);
    expect(await page.textContent("#errors")).toMatch(/^prog\.s:3: /);
    expect(await page.getAttribute('#gutter div[data-line="3"]', "class")).toContain("errline");
    expect(errors).toEqual([]);
  });

  it("steps (changed registers highlighted, rflags decoded), shows getpid and exit in the syscall panel", async () => {
    const { page, errors } = await open();
    await page.selectOption("#preset", "getpid");
    await page.click("#load");
    await waitStatus(page, /^paused at 0x401000 \(line 5\)/);
    expect(await page.textContent("#disasm tr.cur")).toContain("mov eax, 0x27");
    await page.click("#step");
    await waitStatus(page, /^paused at 0x401005/);
    const changed = await page.$$eval("#regs span.changed", (els: Element[]) => els.map((e) => e.getAttribute("data-reg")));
    expect(changed).toEqual(["rax", "rip"]);
    expect(await page.textContent('#regs span[data-reg="rax"]')).toBe("rax0000000000000027");
    expect(await page.textContent("#flags")).toContain("IF=1");
    expect(await page.getAttribute('#gutter div[data-line="6"]', "class")).toContain("cur");

    // the syscall: rax=39 -> getpid, and its result back in rax
    await page.click("#step");
    await waitStatus(page, /^paused at 0x401007/);
    const first = await page.textContent("#syscalls li:first-child");
    expect(first).toContain("rax=39 → getpid");
    expect(first).toMatch(/rax = \d+ \(0x[0-9a-f]+\)/);
    expect(await page.textContent("#transitions")).toBe("user → kernel: 1");

    // step over the call to print_dec: the pid appears, rip is after the call
    await page.click("#step");
    await page.click("#over");
    await waitStatus(page, /^stopped at a breakpoint at 0x401011 \(line 9\)/);
    expect(await page.textContent("#output")).toMatch(/^\d+$/);

    // run to the end: write and exit, with their argument registers
    await page.click("#cont");
    await waitStatus(page, /^exit status 0$/);
    const names = await page.$$eval("#syscalls li", (els: Element[]) => els.map((e) => e.getAttribute("data-name")));
    expect(names).toEqual(["getpid", "write", "write", "exit"]);
    const exit = await page.textContent("#syscalls li:last-child");
    expect(exit).toContain("rax=60 → exit");
    expect(exit).toContain("rdi=0x0 (0)");
    expect(exit).toContain("does not return");
    const write = await page.textContent("#syscalls li:nth-child(2)");
    expect(write).toMatch(/rdi=0x1 \(1\)rsi=0x[0-9a-f]+ \(\d+\)rdx=0x\w+ \(\d+\)/);
    expect(await page.textContent("#transitions")).toBe("user → kernel: 4");
    expect(await overflowing(page)).toEqual([]);
    await screenshot(page, "playground-getpid.png");
    // two narrow columns on a small screen: the code view stacks each source line under its instruction
    await page.setViewportSize({ width: 900, height: 900 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))); // the memory view re-renders on resize
    expect(await overflowing(page)).toEqual([]);
    // the same at phone width: one column, every panel within the screen
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
    await page.selectOption("#preset", "getpid");
    await page.click("#run");
    await waitStatus(page, /^exit status 0$/);
    expect(await overflowing(page)).toEqual([]);
    expect(await page.textContent("#disasm")).toMatch(/\d+: syscall/); // the source line is there, under its instruction
    await screenshot(page, "playground-getpid-phone.png");
    expect(errors).toEqual([]);
  });

  it("breakpoints, kill's -errno decoded, the crash off .text", async () => {
    const { page, errors } = await open();
    await page.selectOption("#preset", "kill");
    await page.fill("#args", "2147483000 15");
    // a breakpoint on the line after the kill syscall
    const src: string = await page.inputValue("#source");
    const line = src.split("\n").findIndex((l) => /SYS_kill/.test(l)) + 3;
    await page.click(`#gutter div[data-line="${line}"]`);
    await page.click("#run");
    await waitStatus(page, new RegExp(`^stopped at a breakpoint at 0x[0-9a-f]+ \\(line ${line}\\)`));
    const kill = await page.textContent("#syscalls li:last-child");
    expect(kill).toContain("rax=62 → kill");
    expect(kill).toContain("rax = -3 → -ESRCH: No such process");
    await screenshot(page, "playground-kill.png");
    await page.click("#cont");
    await waitStatus(page, /^exit status 1$/);
    expect(await page.textContent("#output")).toBe("kill: ESRCH\n");

    await page.selectOption("#preset", "runoff");
    await page.click("#run");
    await waitStatus(page, /^killed by SIGSEGV/);
    expect(await status(page)).toMatch(/^killed by SIGSEGV \(shell status 139\): .*0x401003/);
    expect(await page.textContent("#transitions")).toBe("user → kernel: 1 (1 by a fault)");
    expect(errors).toEqual([]);
  });

  it("Stop ends an infinite loop while the page stays responsive; phone-width layout", async () => {
    const { page, errors } = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.selectOption("#preset", "loop");
    await page.click("#run");
    await waitStatus(page, /^running… [\d,]+ instructions/);
    // the page answers while the guest runs
    const t0 = Date.now();
    expect(await page.evaluate(() => 6 * 7)).toBe(42);
    expect(Date.now() - t0).toBeLessThan(5000);
    await page.click("#stop");
    await waitStatus(page, /^stopped at 0x40100[25]/);
    const rax = BigInt("0x" + (await page.textContent('#regs span[data-reg="rax"]')).slice(3));
    expect(rax > 1000n).toBe(true);
    expect(await page.isEnabled("#step")).toBe(true);
    await page.click("#step");
    await waitStatus(page, /^paused/);
    // nothing wider than the screen
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    expect(await overflowing(page)).toEqual([]);
    await screenshot(page, "playground-phone.png");
    expect(errors).toEqual([]);
  });

  it("runs under a CSP that forbids code generation: interpreter only", async () => {
    const { page, errors } = await open("?csp");
    await page.selectOption("#preset", "hello");
    await page.click("#run");
    await waitStatus(page, /^exit status 0$/);
    expect(await page.textContent("#output")).toBe("Hello, world!\n");
    await page.selectOption("#preset", "loop");
    await page.click("#run");
    await waitStatus(page, /^running… /);
    await page.waitForFunction(() => /[\d,]{9,} instructions/.test(document.getElementById("status")!.textContent!));
    await page.click("#stop");
    await waitStatus(page, /^stopped/);
    expect(await page.textContent("#tiers")).toMatch(/compiled JavaScript: 0, WebAssembly: 0$/);

    // standard input from the page
    await page.selectOption("#preset", "cat");
    await page.fill("#stdin", "typed on the page\n");
    await page.click("#run");
    await waitStatus(page, /^exit status 0$/);
    expect(await page.textContent("#output")).toBe("typed on the page\n");
    const names = await page.$$eval("#syscalls li", (els: Element[]) => els.map((e) => e.getAttribute("data-name")));
    expect(names).toEqual(["read", "write", "read", "exit"]);
    expect(errors).toEqual([]);
  });
});
