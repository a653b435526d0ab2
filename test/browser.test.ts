/**
 * The browser build: the demo page (examples/web) in real headless Chromium,
 * running the bundled fixtures with the in-memory host.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";
import { type BrowserSession, CHROMIUM, HAS_CHROMIUM, startBrowser } from "./helpers/chromium.js";

if (!HAS_CHROMIUM) console.log(`browser test skipped: ${CHROMIUM} not found (Debian package chromium)`);


describe.skipIf(!HAS_CHROMIUM)("browser demo in headless Chromium", () => {
  let session: BrowserSession | undefined;
  let base = "";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.mjs")]);
    // ?csp: a strict content security policy (no eval / new Function: the interpreter runs alone)
    session = await startBrowser(ROOT, "script-src 'self'");
    ({ base, browser } = session);
  }, 120000);

  afterAll(async () => {
    await session?.close();
  });

  it("runs false and hello, and steps through a program", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e: Error) => errors.push(e.message));
    await page.goto(`${base}/examples/web/index.html`);
    await page.selectOption("#example", "false");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("exit"));
    expect(await page.textContent("#status")).toBe("exit status 1");

    await page.selectOption("#example", "hello");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "exit status 0");
    expect(await page.textContent("#stdout")).toBe("Hello, world!\n");

    // C programs (musl and glibc start-up, printf, stdin from the page)
    await page.selectOption("#example", "musl/printf");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("exit"));
    expect(await page.textContent("#status")).toBe("exit status 0");
    expect(await page.textContent("#stdout")).toContain("-42 42 4000000000 deadbeef CAFE 755\n");
    await page.selectOption("#example", "musl/cat");
    await page.fill("#stdin", "through the page\n");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("exit"));
    expect(await page.textContent("#status")).toBe("exit status 0");
    expect(await page.textContent("#stdout")).toBe("through the page\n");

    // a program of the user's own, through the file input
    await page.setInputFiles("#file", path.join(ROOT, "fixtures/bin/false"));
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("exit"));
    expect(await page.textContent("#status")).toBe("exit status 1");
    await page.selectOption("#example", "hello");

    await page.click("#load");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("loaded"));
    expect(await page.textContent("#next")).toMatch(/^0x401000: mov eax, 0x1$/);
    await page.click("#step");
    expect(await page.textContent("#next")).toMatch(/^0x401005: mov edi, 0x1$/);
    expect(await page.textContent("#regs")).toMatch(/rax 0x0000000000000001/);
    if (process.env.X64EMU_SCREENSHOT) await page.screenshot({ path: process.env.X64EMU_SCREENSHOT });
    expect(errors).toEqual([]);
  });

  it("works under a content security policy that forbids code generation", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e: Error) => errors.push(e.message));
    // record CSP violations from the page's own scripts (the JIT's probe for new Function)
    await page.addInitScript(() => {
      const w = window as unknown as { cspBlocked: string[] };
      w.cspBlocked = [];
      document.addEventListener("securitypolicyviolation", (e) => w.cspBlocked.push(e.blockedURI));
    });
    await page.goto(`${base}/examples/web/index.html?csp`);
    await page.selectOption("#example", "glibc/strings");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("exit"));
    expect(await page.textContent("#status")).toBe("exit status 0");
    expect(await page.textContent("#stdout")).toBe("checksum 2253568\n");
    // the JIT tried to generate code (the wasm tier, or new Function for the JS tier) and was refused
    const blocked = await page.evaluate(() => (window as unknown as { cspBlocked: string[] }).cspBlocked);
    expect(blocked.some((b: string) => b === "eval" || b === "wasm-eval")).toBe(true);
    expect(errors).toEqual([]);
  });
});
