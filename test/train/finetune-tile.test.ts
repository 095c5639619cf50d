// Fine-tuning on non-square images (BCCD's 480 x 640 smears): square tiles cut from them by --tile.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { importAnnotated, parseClassMap } from "../../src/data/annotated-import.js";
import { openDataset } from "../../src/data/dataset.js";
import { readJson } from "../../src/io/json.js";
import { evaluateRun } from "../../src/pipeline/evaluate-run.js";
import { FINETUNE_DEFAULTS, finetune } from "../../src/train/finetune.js";
import { ROOT } from "../helpers.js";

const BCCD = join(ROOT, "test", "data", "real", "bccd");
const root = mkdtempSync(join(tmpdir(), "hemoseg-ft-tile-"));
let data: string;
before(() => {
  data = join(root, "bccd");
  importAnnotated({
    images: join(BCCD, "JPEGImages"),
    annotations: join(BCCD, "Annotations"),
    out: data,
    classMap: parseClassMap("RBC:red blood cell,WBC:white blood cell,Platelets:platelet"),
  });
});
after(() => rmSync(root, { recursive: true, force: true }));

const base = (out: string, tile?: number) => ({
  ...FINETUNE_DEFAULTS,
  data,
  out,
  arch: "unetr" as const,
  patch: 16,
  featureSize: 8,
  epochs: 1,
  batchSize: 4,
  maxSteps: 1,
  tile,
  quiet: true,
});

test("non-square images without a tile size are refused, naming the size and a tile that fits", async () => {
  await assert.rejects(
    finetune(base(join(root, "no-tile"))),
    /bccd: the images are 480 x 640, not square: pass a tile size \(--tile, e\.g\. 160\)/,
  );
  await assert.rejects(
    finetune(base(join(root, "big"), 512)),
    /tile size 512 is larger than the 480 x 640 stacks/,
  );
});

test("--tile 160 trains UNETR on 3 x 4 tiles per smear; evaluation counts every labelled pixel of the split", async () => {
  const out = join(root, "run");
  const r = await finetune(base(out, 160));
  assert.equal(r.history.length, 1);
  assert.ok(Number.isFinite(r.bestValLoss), `val loss ${r.bestValLoss}`);
  const info = readJson(join(out, "run.json")) as { tile: number };
  assert.equal(info.tile, 160);
  const ds = openDataset(data);
  let labelled = 0;
  for (const s of ds.meta.split.test) {
    const m = ds.masks!.select(0, s).toTypedArray() as Uint8Array;
    for (const v of m) if (v !== ds.meta.ignoreIndex) labelled++;
  }
  ds.close();
  assert.ok(labelled > 0, "the test split holds labels");
  const ev = await evaluateRun(out, { split: "test", device: "cpu", outDir: join(root, "eval") });
  const counted = ev.sparse.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(counted, labelled, "160 divides 480 and 640: every labelled pixel is evaluated");
});
