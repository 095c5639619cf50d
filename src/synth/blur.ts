// Separable Gaussian blur of one (S, S) plane, cheap at any sigma: three-tap passes for small sigmas,
// three running-sum box passes (which approach a Gaussian) for larger ones. Edges replicate. Vertical
// passes sweep whole rows so memory is read in order.

/** Blurs `img` (S x S) in place; `tmp` is scratch space of the same size. */
export function gaussianBlur(img: Float32Array, tmp: Float32Array, S: number, sigma: number): void {
  if (sigma < 0.3) return;
  if (sigma < 1.5) {
    // Each [a, 1-2a, a] pass adds variance 2a (a <= 1/3), so split sigma^2 into equal passes.
    const passes = Math.ceil((sigma * sigma) / (2 / 3));
    const a = (sigma * sigma) / passes / 2;
    for (let i = 0; i < passes; i++) {
      threeTapRows(img, tmp, S, a);
      threeTapCols(tmp, img, S, a);
    }
    return;
  }
  const col = new Float64Array(S);
  for (const r of boxRadii(sigma, 3)) {
    boxRows(img, tmp, S, r);
    boxCols(tmp, img, S, r, col);
  }
}

/** Radii of n box filters whose composition has the Gaussian's variance (Kovesi's "boxes for gauss"). */
function boxRadii(sigma: number, n: number): number[] {
  const ideal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let wl = Math.floor(ideal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const m = Math.round((12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4));
  return Array.from({ length: n }, (_, i) => ((i < m ? wl : wu) - 1) / 2);
}

function threeTapRows(src: Float32Array, dst: Float32Array, S: number, a: number): void {
  const b = 1 - 2 * a;
  for (let o = 0; o < S * S; o += S) {
    dst[o] = a * (src[o] + src[o + 1]) + b * src[o];
    for (let i = o + 1; i < o + S - 1; i++) dst[i] = a * (src[i - 1] + src[i + 1]) + b * src[i];
    dst[o + S - 1] = a * (src[o + S - 2] + src[o + S - 1]) + b * src[o + S - 1];
  }
}

function threeTapCols(src: Float32Array, dst: Float32Array, S: number, a: number): void {
  const b = 1 - 2 * a;
  for (let y = 0; y < S; y++) {
    const o = y * S;
    const up = y > 0 ? o - S : o;
    const down = y < S - 1 ? o + S : o;
    for (let x = 0; x < S; x++) dst[o + x] = a * (src[up + x] + src[down + x]) + b * src[o + x];
  }
}

function boxRows(src: Float32Array, dst: Float32Array, S: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  for (let o = 0; o < S * S; o += S) {
    const first = src[o];
    const end = src[o + S - 1];
    // Window [i - r, i + r], edges replicated.
    let sum = (r + 1) * first;
    for (let i = 1; i <= r; i++) sum += i < S ? src[o + i] : end;
    for (let i = 0; i < S; i++) {
      dst[o + i] = sum * inv;
      const add = i + r + 1;
      const sub = i - r;
      sum += (add < S ? src[o + add] : end) - (sub > 0 ? src[o + sub] : first);
    }
  }
}

function boxCols(src: Float32Array, dst: Float32Array, S: number, r: number, sum: Float64Array): void {
  const inv = 1 / (2 * r + 1);
  const row = (y: number) => (y < 0 ? 0 : Math.min(y, S - 1)) * S;
  for (let x = 0; x < S; x++) sum[x] = 0;
  for (let y = -r; y <= r; y++) {
    const o = row(y);
    for (let x = 0; x < S; x++) sum[x] += src[o + x];
  }
  for (let y = 0; y < S; y++) {
    const o = y * S;
    const add = row(y + r + 1);
    const sub = row(y - r);
    for (let x = 0; x < S; x++) {
      dst[o + x] = sum[x] * inv;
      sum[x] += src[add + x] - src[sub + x];
    }
  }
}
