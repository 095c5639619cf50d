// The imaging chamber's instrument model: each channel is one wavelength at one focus, with its own lamp
// brightness, gain and offset; each material absorbs with its own spectrum (Beer-Lambert). The
// instrument is fixed per seed (a data set comes from one microscope); stacks only jitter its exposure.

import { hashSeed, Rng } from "./rng.js";

/** Materials the scene deposits into absorbance maps; their spectra make the classes' colours. */
export const M = {
  hb: 0, // haemoglobin, red cells
  cyto: 1, // white-cell cytoplasm and platelet bodies
  nucleus: 2, // white-cell nuclei
  granule: 3, // platelet and white-cell granules
  bead: 4, // dyed polystyrene calibration beads
  debris: 5, // brownish particulate matter
  rim: 6, // light refracted away at a bubble's edge (grey)
  fringe: 7, // chromatic fringe inside a bubble's rim
} as const;
export const NUM_MATERIALS = 8;

/** The chamber top lies this far above the sample, in the normalised defocus units of `focus`. */
export const TOP_PLANE = 1.4;

const gauss = (x: number, mu: number, w: number): number => Math.exp(-0.5 * ((x - mu) / w) ** 2);

/** Absorbance of one unit of each material at wavelength `nm`. Beads absorb least where haemoglobin
 * absorbs most (the Soret band) and about as much in its Q bands, so beads and red-cell rims share
 * ranges channel by channel and differ in the ratios between channels. */
export function materialAbsorbance(material: number, nm: number): number {
  switch (material) {
    case M.hb:
      return (
        1.45 * gauss(nm, 415, 17) +
        0.36 * gauss(nm, 542, 13) +
        0.38 * gauss(nm, 577, 10) +
        0.07 * gauss(nm, 470, 40) +
        0.025
      );
    case M.cyto:
      return 0.06 + 0.07 * (450 / nm) ** 2;
    case M.nucleus:
      return 0.22 + 0.38 * gauss(nm, 595, 50) + 0.18 * gauss(nm, 430, 28);
    case M.granule:
      return 0.2 + 0.45 * gauss(nm, 505, 45);
    case M.bead:
      return 0.03 + 0.5 * gauss(nm, 420, 35) + 0.28 * gauss(nm, 555, 26);
    case M.debris:
      return 0.1 + 0.45 * (420 / nm) ** 2.5;
    case M.rim:
      return 1.15 + 0.1 * (nm / 700);
    case M.fringe:
      return 0.05 + 0.55 * ((nm - 400) / 300) ** 2;
    default:
      throw new Error(`synth/optics: unknown material ${material}`);
  }
}

/** Yellowish plasma: a faint bilirubin band near 455 nm plus a little scatter. */
const mediumAbsorbance = (nm: number): number => 0.02 + 0.05 * gauss(nm, 455, 30);

export interface ChannelSetup {
  channels: number;
  wavelength: Float64Array; // nm
  /** Signed defocus of the sample plane (0 = in focus); the chamber top sits at TOP_PLANE. */
  focus: Float64Array;
  /** Gaussian blur (px) of the sample plane and of the chamber top in each channel. */
  sigmaSample: Float64Array;
  sigmaTop: Float64Array;
  lamp: Float64Array;
  gain: Float64Array;
  offset: Float64Array;
  /** Absorbance of the medium. */
  medium: Float64Array;
  /** spectra[m * channels + c]: absorbance of material m in channel c. */
  spectra: Float64Array;
}

/** Channels whose focus is on the chamber top, where its scratches are sharp: every fifth channel. */
export function isTopFocusChannel(c: number, channels: number): boolean {
  if (channels < 2) return false;
  if (channels < 5) return c === channels - 1;
  return c % 5 === 4;
}

export function channelSetup(channels: number, seed: number): ChannelSetup {
  const rng = new Rng(hashSeed(seed, 0x0c7a11));
  const f64 = () => new Float64Array(channels);
  const s: ChannelSetup = {
    channels,
    wavelength: f64(),
    focus: f64(),
    sigmaSample: f64(),
    sigmaTop: f64(),
    lamp: f64(),
    gain: f64(),
    offset: f64(),
    medium: f64(),
    spectra: new Float64Array(NUM_MATERIALS * channels),
  };
  for (let c = 0; c < channels; c++) {
    const t = channels === 1 ? 0.5 : c / (channels - 1);
    const nm = 405 + 290 * t;
    s.wavelength[c] = nm;
    // Chromatic focal shift plus a three-step focus sweep; a few channels focus on the chamber top.
    s.focus[c] = isTopFocusChannel(c, channels)
      ? TOP_PLANE - 0.08 * (c % 3)
      : 0.3 * (2 * t - 1) + 0.28 * ((c % 3) - 1);
    s.sigmaSample[c] = 0.45 + 1.2 * Math.abs(s.focus[c]);
    s.sigmaTop[c] = 0.45 + 1.7 * Math.abs(s.focus[c] - TOP_PLANE);
    // A halogen-like lamp, weak in the blue, seen through a camera with per-channel gain and offset.
    s.lamp[c] = (0.5 + 0.5 * t ** 0.6) * rng.uniform(0.93, 1.05);
    s.gain[c] = rng.uniform(0.55, 0.85);
    s.offset[c] = rng.uniform(0.02, 0.12);
    s.medium[c] = mediumAbsorbance(nm);
    for (let m = 0; m < NUM_MATERIALS; m++) s.spectra[m * channels + c] = materialAbsorbance(m, nm);
  }
  return s;
}
