/** Headless Debian Chromium (through playwright-core) on a local static server, for the browser-side tests. */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

export const CHROMIUM = "/usr/bin/chromium";
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

export interface BrowserSession {
  base: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  browser: any;
  close(): Promise<void>;
}

/**
 * Serve the files under `root` on 127.0.0.1 (with `csp` as the content security policy of URLs whose query has `csp`)
 * and start Chromium on a fresh profile.
 */
export async function startBrowser(root: string, csp: string, viewport?: { width: number; height: number }): Promise<BrowserSession> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    const p = path.join(root, decodeURIComponent(url.pathname));
    if (!p.startsWith(root) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { "content-type": TYPES[path.extname(p)] ?? "application/octet-stream" };
    if (url.searchParams.has("csp")) headers["content-security-policy"] = csp;
    res.writeHead(200, headers);
    fs.createReadStream(p).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { chromium } = await import("playwright-core");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    ...(viewport ? { viewport } : {}),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    base,
    browser,
    async close() {
      await browser.close();
      server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
