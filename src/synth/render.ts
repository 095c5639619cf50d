// Image formation: Beer-Lambert absorbance of the sample plane per channel, a defocus phase-contrast
// term (transport of intensity: intensity changes with the Laplacian of optical thickness, in
// proportion to defocus), per-channel defocus blur, the chamber top's scratches blurred by their own
// defocus, uneven illumination, the sensor's own scratches (always sharp), shot and read noise, and
// the camera's per-channel gain and offset.

import { gaussianBlur } from "./blur.js";
import type { ChannelSetup } from "./optics.js";
import type { Layers } from "./raster.js";
import { GAUSS_TABLE, type Rng } from "./rng.js";

/** Strength of the defocus phase-contrast term per unit of defocus. */
const PHASE_CONTRAST = 0.55;
const SHOT_NOISE = 0.00025; // variance per unit intensity
const READ_NOISE = 0.008; // standard deviation

/** Renders (C, S, S) float32 intensities, roughly in [0, 1], into `out`. */
export function renderImage(layers: Layers, setup: ChannelSetup, rng: Rng, out: Float32Array): void {
  const S = layers.size;
  const N = S * S;
  const C = setup.channels;
  const tmp = new Float32Array(N);

  // Laplacian of the smoothed optical thickness: halos around every refractive object.
  const smooth = Float32Array.from(layers.phase);
  gaussianBlur(smooth, tmp, S, 1.2);
  const lap = new Float32Array(N);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const p = y * S + x;
      const l = x > 0 ? smooth[p - 1] : smooth[p];
      const r = x < S - 1 ? smooth[p + 1] : smooth[p];
      const u = y > 0 ? smooth[p - S] : smooth[p];
      const d = y < S - 1 ? smooth[p + S] : smooth[p];
      lap[p] = l + r + u + d - 4 * smooth[p];
    }

  // Uneven illumination: a smooth field (vignetting plus a few long waves), tilted differently per channel.
  const field = new Float32Array(N);
  const waves = Array.from({ length: 3 }, () => {
    const a = rng.uniform(0, 2 * Math.PI);
    const k = (2 * Math.PI) / rng.uniform(250, 700);
    return [k * Math.cos(a), k * Math.sin(a), rng.uniform(0, 2 * Math.PI), rng.uniform(0.02, 0.05)];
  });
  const cx = rng.uniform(0.2, 0.8) * S;
  const cy = rng.uniform(0.2, 0.8) * S;
  const vignette = rng.uniform(0.05, 0.15) / (S * S);
  // sin(kx x + ky y + ph) = sin(kx x) cos(ky y + ph) + cos(kx x) sin(ky y + ph): per-axis tables.
  const tab = waves.map(([kx, ky, ph, amp]) => {
    const t = new Float64Array(4 * S);
    for (let i = 0; i < S; i++) {
      t[i] = amp * Math.sin(kx * i);
      t[S + i] = amp * Math.cos(kx * i);
      t[2 * S + i] = Math.cos(ky * i + ph);
      t[3 * S + i] = Math.sin(ky * i + ph);
    }
    return t;
  });
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let f = 1 - vignette * ((x - cx) ** 2 + (y - cy) ** 2);
      for (const t of tab) f += t[x] * t[2 * S + y] + t[S + x] * t[3 * S + y];
      field[y * S + x] = f;
    }
  const exposure = rng.uniform(0.9, 1.08);

  // Objects cover a fraction of the field: keep each material's non-zero pixels as a list, and their union.
  const lists: { m: number; idx: Int32Array }[] = [];
  const inUnion = new Uint8Array(N);
  layers.materials.forEach((map, m) => {
    let n = 0;
    for (let p = 0; p < N; p++) if (map[p] !== 0) n++;
    if (n === 0) return;
    const idx = new Int32Array(n);
    for (let p = 0, i = 0; p < N; p++)
      if (map[p] !== 0) {
        idx[i++] = p;
        inUnion[p] = 1;
      }
    lists.push({ m, idx });
  });
  let unionSize = 0;
  for (let p = 0; p < N; p++) unionSize += inUnion[p];
  const union = new Int32Array(unionSize);
  for (let p = 0, i = 0; p < N; p++) if (inUnion[p]) union[i++] = p;
  const absorb = new Float32Array(N);

  // The chamber top's blur, computed once per distinct sigma (to a quarter pixel) and shared by channels.
  const topCache = new Map<number, Float32Array>();
  const topBlurred = (top: Float32Array, sigma: number): Float32Array => {
    const key = Math.round(sigma * 4);
    let t = topCache.get(key);
    if (!t) {
      t = Float32Array.from(top);
      gaussianBlur(t, tmp, S, key / 4);
      topCache.set(key, t);
    }
    return t;
  };
  // Noise standard deviation (shot and read) by intensity, tabulated.
  const noiseSd = new Float32Array(257);
  for (let i = 0; i <= 256; i++) noiseSd[i] = Math.sqrt((SHOT_NOISE * i) / 256 + READ_NOISE * READ_NOISE);
  for (let c = 0; c < C; c++) {
    const plane = out.subarray(c * N, (c + 1) * N);
    // Sample-plane transmission, then the phase-contrast term of this channel's defocus.
    const medium = setup.medium[c];
    plane.fill(Math.exp(-medium));
    for (const { m, idx } of lists) {
      const s = setup.spectra[m * C + c];
      const map = layers.materials[m];
      for (let i = 0; i < idx.length; i++) absorb[idx[i]] += s * map[idx[i]];
    }
    for (let i = 0; i < union.length; i++) {
      const p = union[i];
      plane[p] = Math.exp(-medium - absorb[p]);
      absorb[p] = 0;
    }
    const pc = PHASE_CONTRAST * setup.focus[c] * (setup.wavelength[c] / 550);
    for (let p = 0; p < N; p++) {
      const k = 1 - pc * lap[p];
      plane[p] *= k < 0.4 ? 0.4 : Math.min(k, 1.6);
    }
    gaussianBlur(plane, tmp, S, setup.sigmaSample[c]);
    if (layers.top) {
      const blurred = topBlurred(layers.top, setup.sigmaTop[c]);
      for (let p = 0; p < N; p++) plane[p] *= 1 - blurred[p];
    }
    // Illumination, sensor scratches, noise, camera response.
    const lamp = setup.lamp[c] * exposure * rng.uniform(0.97, 1.03);
    const tiltX = rng.uniform(-0.04, 0.04) / S;
    const tiltY = rng.uniform(-0.04, 0.04) / S;
    const gain = setup.gain[c];
    const offset = setup.offset[c];
    const sensor = layers.sensor;
    for (let y = 0; y < S; y++) {
      const row = y * S;
      const ty = tiltY * (y - S / 2) - tiltX * (S / 2);
      let bits = 0;
      for (let x = 0; x < S; x++) {
        const p = row + x;
        let v = plane[p] * lamp * (field[p] + ty + tiltX * x);
        if (sensor) v *= 1 - sensor[p];
        // Two noise draws per 32 random bits.
        bits = x & 1 ? bits >>> 16 : rng.u32();
        const level = v > 0 ? (v < 1 ? (v * 256) | 0 : 256) : 0;
        v += GAUSS_TABLE[bits & 0xffff] * noiseSd[level];
        v = offset + gain * v;
        plane[p] = v < 0 ? 0 : Math.min(v, 1);
      }
    }
  }
}
