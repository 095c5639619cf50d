// The photopea decoders (upng-js, utif), loaded as classic scripts before the app
// (vendor/pako_inflate.min.js, vendor/UPNG.js, vendor/UTIF.js) so the browser code needs no
// bundler. Only the parts the app uses are typed.

export interface UpngImage {
  width: number;
  height: number;
  depth: number;
  ctype: number;
  data: ArrayBuffer;
  tabs: { PLTE?: number[]; [k: string]: unknown };
}

export interface UtifIfd {
  width: number;
  height: number;
  data: Uint8Array;
  [tag: string]: unknown;
}

export interface Upng {
  decode(buf: ArrayBuffer): UpngImage;
}

export interface Utif {
  decode(buf: ArrayBuffer): UtifIfd[];
  decodeImage(buf: ArrayBuffer, ifd: UtifIfd): void;
}

function vendor<T>(name: string): T {
  const v = (globalThis as Record<string, unknown>)[name];
  if (!v) throw new Error(`vendor/${name}.js did not load; the app folder is incomplete`);
  return v as T;
}

export const upng = (): Upng => vendor<Upng>("UPNG");
export const utif = (): Utif => vendor<Utif>("UTIF");
