import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAnnotated, parseClassMap } from "../../src/data/annotated-import.js";
import { fillPolygon, type PixelShape, shapeLabels } from "../../src/data/box-rules.js";
import { openDataset } from "../../src/data/dataset.js";
import { writePng } from "../../src/io/png.js";
import { tempDir } from "./make.js";

const W = 40;
const H = 30;

/** The labelled pixels of a mask as "x,y:label" strings. */
const labelled = (m: Uint8Array, w = W) =>
  [...m].flatMap((v, i) => (v === 255 ? [] : [`${i % w},${Math.floor(i / w)}:${v}`]));
const count = (m: Uint8Array, v: number) => m.filter((x) => x === v).length;

test("box rules: box interior, central half, centre disc; overlaps and cut boxes stay unlabelled", () => {
  const shapes: PixelShape[] = [
    { kind: "box", label: 1, x0: 2, y0: 2, x1: 22, y1: 22 }, // 20 x 20
    { kind: "box", label: 2, x0: 18, y0: 4, x1: 38, y1: 28 }, // 20 x 24, overlaps the first on x 18..21
    { kind: "box", label: 1, x0: 0, y0: 24, x1: 10, y1: 30, truncated: true },
  ];
  const box = shapeLabels(shapes, H, W, 0, { rule: "box" });
  // box 1: 20 x 20 px less the 4 x 18 px (x 18..21, y 4..21) inside box 2
  assert.equal(count(box, 1), 400 - 4 * 18 + 60); // + the cut box (10 x 6), labelled by this rule
  assert.equal(count(box, 2), 20 * 24 - 4 * 18);
  assert.equal(box[10 * W + 19], 255);
  const shrunk = shapeLabels(shapes, H, W, 0, { rule: "shrunk-box" });
  // box 1: x, y in [7, 17) -> 10 x 10; box 2: x [23, 33), y [10, 22) -> 10 x 12; the cut box: none
  assert.equal(count(shrunk, 1), 100);
  assert.equal(count(shrunk, 2), 120);
  assert.equal(shrunk[7 * W + 7], 1);
  assert.equal(shrunk[6 * W + 7], 255);
  const disc = shapeLabels(shapes, H, W, 0, { rule: "centre-disc" });
  // radius round(0.12 * 20) = 2 around (12, 12): pixel centres within 2 px -> 12 pixels
  assert.equal(count(disc, 1), 12);
  assert.equal(count(disc, 2), 12);
  assert.equal(disc[11 * W + 11], 1);
  // with a background class, dots keep 4 px (+ their radius) from every box, and only there
  const bg = shapeLabels([{ kind: "box", label: 1, x0: 10, y0: 10, x1: 30, y1: 20 }], H, W, 3, {
    rule: "box",
    background: 0,
    backgroundDots: 3,
  });
  assert.ok(count(bg, 0) > 0);
  bg.forEach((v, i) => {
    if (v !== 0) return;
    const [x, y] = [i % W, Math.floor(i / W)];
    assert.ok(x + 0.5 < 6 || x + 0.5 >= 34 || y + 0.5 < 6 || y + 0.5 >= 24, `dot at ${x},${y}`);
  });
});

test("polygons fill the pixels whose centres lie inside; points get discs; two classes on a pixel leave it unlabelled", () => {
  const px: string[] = [];
  fillPolygon([1, 1, 5, 1, 5, 4, 1, 4], 10, 10, (x, y) => px.push(`${x},${y}`));
  assert.deepEqual(px, ["1,1", "2,1", "3,1", "4,1", "1,2", "2,2", "3,2", "4,2", "1,3", "2,3", "3,3", "4,3"]);
  const tri: string[] = [];
  fillPolygon([0, 0, 4, 0, 0, 4], 10, 10, (x, y) => tri.push(`${x},${y}`));
  // centres (x + .5, y + .5) strictly inside x + y < 4: x + y <= 2
  assert.deepEqual(tri, ["0,0", "1,0", "2,0", "0,1", "1,1", "0,2"]);
  const m = shapeLabels(
    [
      { kind: "polygon", label: 1, points: [1, 1, 5, 1, 5, 4, 1, 4] },
      { kind: "polygon", label: 2, points: [4, 1, 8, 1, 8, 4, 4, 4] },
      { kind: "point", label: 3, x: 15.5, y: 5.5 },
    ],
    10,
    20,
    0,
    { rule: "centre-disc", pointRadius: 1 },
  );
  assert.equal(count(m, 1), 9); // x 1..3, y 1..3; column 4 is claimed by both
  assert.equal(count(m, 2), 9); // x 5..7
  assert.equal(m[2 * 20 + 4], 255);
  assert.deepEqual(
    labelled(m, 20).filter((s) => s.endsWith(":3")),
    ["15,4:3", "14,5:3", "15,5:3", "16,5:3", "15,6:3"],
  );
});

/** Two 40 x 30 RGB images a.png, b.png in dir/images. */
function images(dir: string): string {
  const d = join(dir, "images");
  mkdirSync(d, { recursive: true });
  for (const n of ["a", "b"])
    writePng(join(d, `${n}.png`), {
      width: W,
      height: H,
      channels: 3,
      data: new Uint8Array(W * H * 3).fill(n === "a" ? 10 : 20),
    });
  return d;
}

const voc = (file: string, objects: [string, number, number, number, number][]) =>
  `<annotation><filename>${file}</filename><size><width>${W}</width><height>${H}</height><depth>3</depth></size>${objects
    .map(
      ([n, x0, y0, x1, y1]) =>
        `<object><name>${n}</name><truncated>0</truncated><bndbox><xmin>${x0}</xmin><ymin>${y0}</ymin><xmax>${x1}</xmax><ymax>${y1}</ymax></bndbox></object>`,
    )
    .join("")}</annotation>`;

function masksOf(out: string): Uint8Array[] {
  const ds = openDataset(out);
  const all = ds.masks!.toTypedArray() as Uint8Array;
  ds.close();
  return [all.slice(0, W * H), all.slice(W * H)];
}

test("Pascal VOC: boxes with mapped class names become sparse labels", () => {
  const { dir, cleanup } = tempDir();
  try {
    const im = images(dir);
    const ann = join(dir, "ann");
    mkdirSync(ann);
    // VOC pixels are 1-based and inclusive: xmin 3 .. xmax 22 is pixels 2..21 (edges 2..22)
    writeFileSync(
      join(ann, "a.xml"),
      voc("a.png", [
        ["RBC", 3, 3, 22, 22],
        ["WBC", 25, 5, 38, 28],
      ]),
    );
    writeFileSync(join(ann, "b.xml"), voc("b.png", [["RBC", 1, 1, 10, 10]]));
    const meta = importAnnotated({
      images: im,
      annotations: ann,
      out: join(dir, "out"),
      classMap: parseClassMap("RBC:red blood cell,WBC:white blood cell"),
      rule: "box",
    });
    assert.deepEqual(meta.classes, ["background", "red blood cell", "white blood cell"]);
    const [a, b] = masksOf(join(dir, "out"));
    assert.equal(count(a, 1), 400);
    assert.equal(count(a, 2), 14 * 24); // x 24..37, y 4..27
    assert.equal(a[2 * W + 2], 1);
    assert.equal(a[21 * W + 21], 1);
    assert.notEqual(a[22 * W + 21], 1);
    assert.equal(count(b, 1), 100);
    // unknown class names and missing annotations are refused, nothing written
    assert.throws(
      () =>
        importAnnotated({
          images: im,
          annotations: ann,
          out: join(dir, "x"),
          classes: ["background", "RBC"],
        }),
      /annotation class "WBC" is not among the classes \(background, RBC\); map it with --class-map "WBC:NAME" or drop it with --class-map "WBC:-"/,
    );
    const dropped = importAnnotated({
      images: im,
      annotations: ann,
      out: join(dir, "d"),
      classMap: parseClassMap("WBC:-"),
    });
    assert.deepEqual(dropped.classes, ["background", "RBC"]);
    writeFileSync(join(ann, "b.xml"), voc("c.png", []));
    assert.throws(
      () => importAnnotated({ images: im, annotations: ann, out: join(dir, "y") }),
      /ann\/b\.xml: annotates c\.png, which is not in .*images/,
    );
    writeFileSync(
      join(ann, "b.xml"),
      "<annotation><filename>b.png</filename><object><name>RBC</name></object></annotation>",
    );
    assert.throws(
      () => importAnnotated({ images: im, annotations: ann, out: join(dir, "z") }),
      /ann\/b\.xml: object 1 \(RBC\): no <bndbox>/,
    );
    assert.equal(
      existsSync(join(dir, "x")) || existsSync(join(dir, "y")) || existsSync(join(dir, "z")),
      false,
    );
  } finally {
    cleanup();
  }
});

test("YOLO txt with data.yaml names: normalised boxes and polygons", () => {
  const { dir, cleanup } = tempDir();
  try {
    const im = images(dir);
    const lab = join(dir, "labels");
    mkdirSync(lab);
    writeFileSync(join(dir, "data.yaml"), "path: .\nnames:\n  0: platelet\n  1: wbc\n");
    // a: a 20 x 15 px box centred at (10, 7.5); b: a polygon, the square x 20..30, y 10..20
    writeFileSync(join(lab, "a.txt"), "0 0.25 0.25 0.5 0.5\n");
    writeFileSync(join(lab, "b.txt"), "1 0.5 0.3333333 0.75 0.3333333 0.75 0.6666667 0.5 0.6666667\n");
    const meta = importAnnotated({ images: im, annotations: lab, out: join(dir, "out"), rule: "box" });
    assert.deepEqual(meta.classes, ["background", "platelet", "wbc"]);
    const [a, b] = masksOf(join(dir, "out"));
    assert.equal(count(a, 1), 300);
    assert.equal(count(b, 2), 100);
    assert.equal(b[10 * W + 20], 2);
    writeFileSync(join(lab, "a.txt"), "0 12 8 20 15\n");
    assert.throws(
      () => importAnnotated({ images: im, annotations: lab, out: join(dir, "x") }),
      /labels\/a\.txt: line 1: coordinates must be normalised to 0\.\.1, got 12 8 20 15/,
    );
    writeFileSync(join(lab, "a.txt"), "5 0.5 0.5 0.1 0.1\n");
    assert.throws(
      () => importAnnotated({ images: im, annotations: lab, out: join(dir, "x") }),
      /labels\/a\.txt: line 1: class id 5, but data\.yaml names 2 classes/,
    );
  } finally {
    cleanup();
  }
});

test("COCO JSON: boxes, polygons as full labels, crowd regions blocked", () => {
  const { dir, cleanup } = tempDir();
  try {
    const im = images(dir);
    const coco = {
      images: [
        { id: 7, file_name: "a.png", width: W, height: H },
        { id: 8, file_name: "b.png", width: W, height: H },
      ],
      categories: [
        { id: 1, name: "rbc" },
        { id: 2, name: "wbc" },
      ],
      annotations: [
        { id: 1, image_id: 7, category_id: 1, bbox: [0, 0, 10, 10], segmentation: [] },
        {
          id: 2,
          image_id: 7,
          category_id: 2,
          bbox: [20, 10, 10, 10],
          segmentation: [[20, 10, 30, 10, 30, 20, 20, 20]],
        },
        {
          id: 3,
          image_id: 8,
          category_id: 1,
          bbox: [5, 5, 10, 10],
          segmentation: { counts: [0, 100], size: [H, W] },
          iscrowd: 1,
        },
      ],
    };
    writeFileSync(join(dir, "coco.json"), JSON.stringify(coco));
    const meta = importAnnotated({
      images: im,
      annotations: join(dir, "coco.json"),
      out: join(dir, "out"),
      rule: "box",
    });
    assert.deepEqual(meta.classes, ["background", "rbc", "wbc"]);
    const [a, b] = masksOf(join(dir, "out"));
    assert.equal(count(a, 1), 100);
    assert.equal(count(a, 2), 100);
    assert.equal(count(b, 1), 0);
    b.forEach((v, i) => {
      if (v === 0)
        assert.ok(!(i % W >= 0 && i % W < 21 && Math.floor(i / W) < 21), `dot near the crowd at ${i}`);
    });
    coco.annotations[0].image_id = 9;
    writeFileSync(join(dir, "coco.json"), JSON.stringify(coco));
    assert.throws(
      () => importAnnotated({ images: im, annotations: join(dir, "coco.json"), out: join(dir, "x") }),
      /coco\.json: annotation 1: image_id 9 is not in "images"/,
    );
  } finally {
    cleanup();
  }
});

test("CSV points become discs; an image without annotations is refused", () => {
  const { dir, cleanup } = tempDir();
  try {
    const im = images(dir);
    writeFileSync(join(dir, "p.csv"), "filename,x,y,class\na.png,5.5,5.5,wbc\nb.png,20.5,20.5,platelet\n");
    const meta = importAnnotated({
      images: im,
      annotations: join(dir, "p.csv"),
      out: join(dir, "out"),
      pointRadius: 1,
    });
    assert.deepEqual(meta.classes, ["background", "platelet", "wbc"]);
    const [a, b] = masksOf(join(dir, "out"));
    assert.deepEqual(
      labelled(a).filter((s) => !s.endsWith(":0")),
      ["5,4:2", "4,5:2", "5,5:2", "6,5:2", "5,6:2"],
    );
    assert.equal(count(b, 1), 5);
    writeFileSync(join(dir, "p.csv"), "image,x,y,label\na.png,5,5,wbc\n");
    assert.throws(
      () => importAnnotated({ images: im, annotations: join(dir, "p.csv"), out: join(dir, "x") }),
      /images\/b\.png: has no annotations in .*p\.csv/,
    );
    writeFileSync(join(dir, "p.csv"), "image,x,y,label\na.png,5,5,wbc\nb.png,80,5,wbc\n");
    assert.throws(
      () => importAnnotated({ images: im, annotations: join(dir, "p.csv"), out: join(dir, "x") }),
      /p\.csv: b\.png: point \(80, 5\) lies outside the 40 x 30 image/,
    );
    assert.equal(existsSync(join(dir, "x")), false);
  } finally {
    cleanup();
  }
});
