// hemoseg app --serve (src/app/server.ts): files of the folder only, with the right types and
// security headers; traversal, other hosts and other methods refused.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { serveApp } from "../../src/app/server.js";

const TMP = mkdtempSync(join(tmpdir(), "hemoseg-app-server-"));
const root = join(TMP, "app");
let url = "";
let close = () => {};

before(async () => {
  mkdirSync(join(root, "ort"), { recursive: true });
  writeFileSync(join(TMP, "secret.txt"), "outside");
  writeFileSync(join(root, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(join(root, "ort", "x.wasm"), Uint8Array.from([0, 97, 115, 109]));
  writeFileSync(join(root, "ort", "x.mjs"), "export {};");
  writeFileSync(join(root, "app.json"), "{}");
  writeFileSync(join(root, "notes.md"), "# no type");
  symlinkSync(join(TMP, "secret.txt"), join(root, "link.txt"));
  const s = await serveApp(root, 0);
  url = s.url;
  close = () => s.server.close();
});
after(() => {
  close();
  rmSync(TMP, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (no URL normalisation by a client), with an optional Host and method. */
function get(path: string, o: { host?: string; method?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((ok, bad) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: u.port,
        path,
        method: o.method ?? "GET",
        headers: { host: o.host ?? u.host },
      },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => ok({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", bad);
    req.end();
  });
}

test("listens on 127.0.0.1 and serves the page with a strict CSP and cross-origin isolation", async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const r = await get("/");
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
  const csp = String(r.headers["content-security-policy"]);
  for (const d of [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
  ])
    assert.ok(csp.includes(d), `CSP lacks ${d}: ${csp}`);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("'unsafe-eval'"), csp);
  assert.equal(r.headers["cross-origin-opener-policy"], "same-origin");
  assert.equal(r.headers["cross-origin-embedder-policy"], "require-corp");
  assert.equal(r.headers["x-content-type-options"], "nosniff");
  assert.equal(r.body, "<!doctype html><title>x</title>");
});

test("MIME types: application/wasm, JavaScript modules, JSON", async () => {
  assert.equal((await get("/ort/x.wasm")).headers["content-type"], "application/wasm");
  assert.equal((await get("/ort/x.mjs")).headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal((await get("/app.json?v=1")).headers["content-type"], "application/json; charset=utf-8");
  const head = await get("/ort/x.wasm", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], "4");
  assert.equal(head.body, "");
});

test("nothing outside the folder, no listings, no unknown types, no other hosts or methods", async () => {
  for (const p of [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/ort/..%2f..%2fsecret.txt",
    "/ort/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/..%5csecret.txt",
    "/link.txt",
    "/ort",
    "/ort/",
    "/notes.md",
    "/missing.js",
    "/%00index.html",
    "/%E0%A4%A",
  ]) {
    const r = await get(p);
    assert.equal(r.status, 404, `${p} gave ${r.status}`);
    assert.ok(!r.body.includes("outside"), p);
  }
  assert.equal((await get("/", { host: "evil.example:80" })).status, 421);
  const post = await get("/", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, "GET, HEAD");
});

test("a folder without index.html and a port in use are refused by name", async () => {
  await assert.rejects(serveApp(join(root, "ort"), 0), /ort: no index\.html; write the app first/);
  const port = Number(new URL(url).port);
  await assert.rejects(serveApp(root, port), new RegExp(`--port ${port}: already in use`));
});
