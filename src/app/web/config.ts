// app.json: what the browser app needs to know about the run it was made from.

export interface AppClass {
  index: number;
  name: string;
  /** RGB, 0..255. */
  colour: [number, number, number];
}

export interface AppConfig {
  /** Format version of this file. */
  version: 1;
  /** The run directory the app was made from (for the page's title line). */
  run: string;
  architecture: string;
  /** The model file beside index.html. */
  model: string;
  classes: AppClass[];
  channels: number;
  tile: number;
  overlap: number;
  /** Windows per inference call. */
  batch: number;
  mean: number[];
  std: number[];
  /** Channels shown as red, green, blue. */
  rgb: [number, number, number];
}

/** The mask value of an unlabelled pixel, as `hemoseg import` reads it. */
export const UNLABELLED = 255;
