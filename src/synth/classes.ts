// The default class list (DESIGN §5) and the colours previews draw them in.

export const DEFAULT_CLASSES: string[] = [
  "background",
  "white blood cell",
  "platelet",
  "outer red blood cell",
  "inner red blood cell",
  "beads",
  "monster beads",
  "sensor scratch",
  "chamber top scratch",
  "debris",
  "bubble",
];

/** Class ids, named for the scene code. */
export const C = {
  background: 0,
  wbc: 1,
  platelet: 2,
  rbcOuter: 3,
  rbcInner: 4,
  bead: 5,
  monsterBead: 6,
  sensorScratch: 7,
  topScratch: 8,
  debris: 9,
  bubble: 10,
} as const;

export const NUM_CLASSES = DEFAULT_CLASSES.length;

/** Mask value of unlabelled pixels in sparse labels. */
export const UNLABELLED = 255;

/** One distinct RGB per class for overlays (background grey so its strokes show on sparse overlays). */
export const CLASS_COLOURS: [number, number, number][] = [
  [170, 170, 170], // background
  [255, 0, 255], // white blood cell
  [255, 255, 0], // platelet
  [230, 25, 25], // outer red blood cell
  [255, 160, 160], // inner red blood cell
  [0, 210, 255], // beads
  [30, 70, 255], // monster beads
  [0, 230, 0], // sensor scratch
  [255, 140, 0], // chamber top scratch
  [150, 95, 40], // debris
  [150, 60, 230], // bubble
];
