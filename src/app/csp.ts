// The app's Content-Security-Policy: nothing but its own files, WebAssembly compiled from them,
// no inline script or style, no network beyond its own origin.
const DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** For a <meta http-equiv> (frame-ancestors is ignored there, so it is left out). */
export const META_CSP = DIRECTIVES.join("; ");

/** For the server's header. */
export const HEADER_CSP = [...DIRECTIVES, "frame-ancestors 'none'"].join("; ");
