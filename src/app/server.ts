// `hemoseg app --serve`: the app folder over HTTP on 127.0.0.1 only. GET and HEAD of files under
// the folder, nothing else: no directory listings, no path outside it (.., encoded slashes,
// symbolic links leading out), a Host header naming this server (against DNS rebinding), the
// right MIME types (application/wasm included), and strict security headers: the app's CSP, and
// cross-origin isolation so onnxruntime-web may use threads.
import { createReadStream, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, sep } from "node:path";
import { HEADER_CSP } from "./csp.js";

export const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": HEADER_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-cache",
};

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(`${status} ${message}\n`);
}

/** The file a request path names inside root (a real path), or null when it names none. */
export function resolveRequest(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]);
  } catch {
    return null;
  }
  if (!path.startsWith("/") || path.includes("\0") || path.includes("\\")) return null;
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === "." || p.startsWith("."))) return null;
  const file = join(root, ...(parts.length ? parts : ["index.html"]));
  try {
    const real = realpathSync(file);
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

function handler(root: string, hosts: () => string[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!hosts().includes(req.headers.host ?? "")) {
      fail(res, 421, "Misdirected Request");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      fail(res, 405, "Method Not Allowed");
      return;
    }
    const file = resolveRequest(root, req.url ?? "/");
    const type = file && MIME[extname(file).toLowerCase()];
    if (!file || !type) {
      fail(res, 404, "Not Found");
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": statSync(file).size });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  };
}

/** Serves dir on 127.0.0.1:port (0: any free port); resolves once listening. */
export async function serveApp(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const root = realpathSync(dir);
  if (!statSync(join(root, "index.html"), { throwIfNoEntry: false })?.isFile())
    throw new Error(`${dir}: no index.html; write the app first (hemoseg app --run RUN --out ${dir})`);
  let bound = port;
  const hosts = () => [`127.0.0.1:${bound}`, `localhost:${bound}`];
  const server = createServer(handler(root, hosts));
  await new Promise<void>((ok, bad) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      bad(new Error(e.code === "EADDRINUSE" ? `--port ${port}: already in use` : e.message)),
    );
    server.listen(port, "127.0.0.1", () => ok());
  });
  const addr = server.address();
  bound = typeof addr === "object" && addr ? addr.port : port;
  return { server, url: `http://127.0.0.1:${bound}/` };
}
