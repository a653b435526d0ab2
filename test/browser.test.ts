/**
 * The browser build: the demo page (examples/web) in real headless Chromium,
 * running the bundled fixtures with the in-memory host.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAS_CHROMIUM) console.log(`browser test skipped: ${CHROMIUM} not found (Debian package chromium)`);

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

describe.skipIf(!HAS_CHROMIUM)("browser demo in headless Chromium", () => {
  let server: http.Server;
  let base = "";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;
  let profile: string | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.mjs")]);
    server = http.createServer((req, res) => {
      const p = path.join(ROOT, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
      if (!p.startsWith(ROOT) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = { "content-type": TYPES[path.extname(p)] ?? "application/octet-stream" };
      // ?csp: a strict content security policy (no eval / new Function: the interpreter runs alone)
      if (req.url?.endsWith("?csp")) headers["content-security-policy"] = "script-src 'self'";
      res.writeHead(200, headers);
      fs.createReadStream(p).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const a = server.address() as { port: number };
    base = `http://127.0.0.1:${a.port}`;
    const { chromium } = await import("playwright-core");
    // a fresh profile directory per run
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
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
    expect(await page.evaluate(() => (window as unknown as { cspBlocked: string[] }).cspBlocked)).toContain("eval");
    expect(errors).toEqual([]);
  });
});
