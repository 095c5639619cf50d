// Painted strokes as the mask PNG `hemoseg import` reads as it is: 8-bit greyscale (colour type
// 0, never a palette, whose indices import would take as classes), the class index per labelled
// pixel and 255 elsewhere. Compressed with the browser's own zlib (CompressionStream "deflate").

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlib(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** (H*W) mask values -> PNG bytes, greyscale 8-bit. */
export async function maskPng(mask: Uint8Array, W: number, H: number): Promise<Blob> {
  if (mask.length !== W * H) throw new Error(`mask of ${mask.length} pixels is not ${W} x ${H}`);
  const rows = new Uint8Array(H * (W + 1)); // filter byte 0 (None) before each row
  for (let y = 0; y < H; y++) rows.set(mask.subarray(y * W, (y + 1) * W), y * (W + 1) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, W);
  v.setUint32(4, H);
  ihdr[8] = 8; // bit depth; colour type 0, compression 0, filter 0, no interlace
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", await zlib(rows)),
    chunk("IEND", new Uint8Array(0)),
  ];
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: "image/png" });
}
