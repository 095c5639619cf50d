// Per-channel mean and standard deviation, accumulated stack by stack in float64. Each stack's
// (count, mean, M2) is exact to float64 on its own; stacks merge with Chan et al.'s pairwise
// formula, so a billion pixels per channel lose no precision to a running sum of squares.

export interface ChannelMoments {
  count: number;
  mean: Float64Array; // (C)
  m2: Float64Array; // (C) sum of squared deviations from mean
}

/** The moments of one (C, H, W) stack stored row-major in data. */
export function stackMoments(data: ArrayLike<number>, channels: number): ChannelMoments {
  const plane = data.length / channels;
  if (!Number.isInteger(plane))
    throw new Error(`stackMoments: ${data.length} values do not split into ${channels} channels`);
  const mean = new Float64Array(channels);
  const m2 = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const o = c * plane;
    let s = 0;
    for (let i = 0; i < plane; i++) s += data[o + i];
    const mu = s / plane;
    let q = 0;
    for (let i = 0; i < plane; i++) {
      const d = data[o + i] - mu;
      q += d * d;
    }
    mean[c] = mu;
    m2[c] = q;
  }
  return { count: plane, mean, m2 };
}

/** Running per-channel moments over many stacks. */
export class ChannelStats {
  readonly channels: number;
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;

  constructor(channels: number) {
    this.channels = channels;
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  add(m: ChannelMoments): void {
    if (m.count === 0) return;
    const n = this.count + m.count;
    for (let c = 0; c < this.channels; c++) {
      const d = m.mean[c] - this.mean[c];
      this.mean[c] += (d * m.count) / n;
      this.m2[c] += m.m2[c] + (d * d * this.count * m.count) / n;
    }
    this.count = n;
  }

  /** numpy's mean and std (ddof 0) per channel. */
  result(): { mean: number[]; std: number[] } {
    if (this.count === 0) throw new Error("ChannelStats: no pixels were added");
    return { mean: Array.from(this.mean), std: Array.from(this.m2, (q) => Math.sqrt(q / this.count)) };
  }
}
