// The real BCCD and PBC samples in test/data/real (see its README for origin and licences).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAnnotated, parseClassMap } from "../../src/data/annotated-import.js";
import { readVoc } from "../../src/data/annotations/voc.js";
import { openDataset } from "../../src/data/dataset.js";
import { importPool } from "../../src/data/pool-import.js";
import { summarise } from "../../src/data/summary.js";
import { writePng } from "../../src/io/png.js";
import { ROOT } from "../helpers.js";
import { tempDir } from "./make.js";

const REAL = join(ROOT, "test", "data", "real");
const BCCD = join(REAL, "bccd");

test("BCCD: JPEG smears with VOC boxes import as sparse labels; every label lies in a box of its class", () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, "bccd");
    const meta = importAnnotated({
      images: join(BCCD, "JPEGImages"),
      annotations: join(BCCD, "Annotations"),
      out,
      classMap: parseClassMap("RBC:red blood cell,WBC:white blood cell,Platelets:platelet"),
    });
    assert.deepEqual([meta.count, meta.channels, meta.height, meta.width], [3, 3, 480, 640]);
    assert.deepEqual(meta.classes, ["background", "platelet", "red blood cell", "white blood cell"]);
    const voc = readVoc(join(BCCD, "Annotations"));
    const names = ["BloodImage_00000.jpg", "BloodImage_00001.jpg", "BloodImage_00003.jpg"];
    const ds = openDataset(out);
    const label = { Platelets: 1, RBC: 2, WBC: 3 } as Record<string, number>;
    names.forEach((n, s) => {
      const boxes = voc.images.get(n)!.shapes;
      const m = ds.masks!.select(0, s).toTypedArray() as Uint8Array;
      m.forEach((v, i) => {
        if (v === 255 || v === 0) return;
        const [x, y] = [(i % 640) + 0.5, Math.floor(i / 640) + 0.5];
        assert.ok(
          boxes.some(
            (b) => b.kind === "box" && label[b.cls] === v && x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1,
          ),
          `${n}: label ${v} at ${x}, ${y} lies in no box of its class`,
        );
      });
    });
    ds.close();
    const s = summarise(out);
    assert.deepEqual(
      s.classes.map((c) => [c.name, c.stacks]),
      [
        ["background", 3],
        ["platelet", 1],
        ["red blood cell", 3],
        ["white blood cell", 2], // BloodImage_00001's white cell is marked truncated: no disc
      ],
    );
    assert.ok(s.labelled! > 0.005 && s.labelled! < 0.05, `labelled ${s.labelled}`);
    assert.ok(Math.abs(s.classes.reduce((a, c) => a + c.fraction, 0) - s.labelled!) < 1e-12);
  } finally {
    cleanup();
  }
});

test("PBC: class folders of JPEG cells and BCCD smears import as one RGB pool", () => {
  const { dir, cleanup } = tempDir();
  try {
    const meta = importPool({
      inputs: [join(REAL, "pbc"), join(BCCD, "JPEGImages")],
      out: join(dir, "pool"),
      resize: 64,
    });
    assert.deepEqual([meta.count, meta.channels, meta.height, meta.width], [7, 3, 64, 64]);
    assert.deepEqual(meta.stackClasses, ["basophil", "basophil", "platelet", "platelet", "", "", ""]);
    const [r, g, b] = meta.stats.mean;
    assert.ok(r > 150 && r > b && b > 0 && g > 0, `mean ${meta.stats.mean}`); // bright, stained smears
    assert.deepEqual(summarise(join(dir, "pool")).imageClasses, [
      { name: "basophil", stacks: 2 },
      { name: "platelet", stacks: 2 },
    ]);
  } finally {
    cleanup();
  }
});

const hemoseg = (...args: string[]) =>
  execFileSync(process.execPath, [join(ROOT, "dist/src/cli/main.js"), ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

test("hemoseg import: napari masks are refused with the flag to give; --unlabelled 0 imports them with a summary", () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, "img"));
    mkdirSync(join(dir, "lab"));
    for (const n of ["a", "b"]) {
      writePng(join(dir, "img", `${n}.png`), {
        width: 8,
        height: 8,
        channels: 3,
        data: new Uint8Array(192).fill(9),
      });
      const m = new Uint8Array(64);
      m[10] = 1;
      m[20] = 2;
      writePng(join(dir, "lab", `${n}.png`), { width: 8, height: 8, channels: 1, data: m });
    }
    const args = [
      "import",
      "--images",
      join(dir, "img"),
      "--masks",
      join(dir, "lab"),
      "--classes",
      "bg,wbc,rbc",
    ];
    assert.throws(
      () => hemoseg(...args, "--out", join(dir, "x")),
      (e: Error & { stderr: string; status: number }) => {
        assert.equal(e.status, 1);
        assert.match(e.stderr, /lab\/a\.png: mask holds no 255 .* --unlabelled 0 if 0 is "not painted"/);
        return true;
      },
    );
    assert.equal(existsSync(join(dir, "x")), false);
    const stdout = hemoseg(
      ...args,
      "--out",
      join(dir, "ok"),
      "--unlabelled",
      "0",
      "--preview",
      join(dir, "pv"),
    );
    assert.match(stdout, /ok: segmentation, 2 stacks of 3 x 8 x 8/);
    assert.match(stdout, /labelled pixels: 3\.13% of all/);
    assert.match(stdout, /wbc +1\.56% +2 px +2 stacks/);
    assert.deepEqual(readdirSync(join(dir, "pv")).sort(), ["labels-0.png", "labels-1.png", "rules.png"]);
  } finally {
    cleanup();
  }
});
