import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Dataset, openDataset } from "../../src/data/dataset.js";
import { disposeBatch, type TileBatch, TileLoader, type TileLoaderOptions } from "../../src/data/loader.js";
import { liveTensors, scope } from "../../src/torch/index.js";
import { coordDataset, coordFull, coordLabel, coordValue, type Geometry, tempDir } from "./make.js";

// 30 stacks of 3 x 16 x 24: tile 8 gives a 2 x 3 grid, 6 tiles a stack.
const G: Geometry = { count: 30, channels: 3, height: 16, width: 24 };
const T = 8;
let tmp: ReturnType<typeof tempDir>;
let ds: Dataset;

before(() => {
  tmp = tempDir();
  coordDataset(join(tmp.dir, "set"), G, 3);
  ds = openDataset(join(tmp.dir, "set"));
});
after(() => {
  ds.close();
  tmp.cleanup();
});

/** Every batch of one epoch as plain arrays (tensors disposed). */
async function collect(opts: TileLoaderOptions, epoch = 0) {
  const loader = new TileLoader(ds, { tile: T, ...opts });
  const out: {
    images: Float32Array;
    masks?: BigInt64Array;
    full?: BigInt64Array;
    indices: number[];
    shape: number[];
  }[] = [];
  try {
    for await (const b of loader.epoch(epoch)) {
      out.push({
        images: b.images.toFloat32Array(),
        masks: b.masks?.toTypedArray() as BigInt64Array | undefined,
        full: b.fullMasks?.toTypedArray() as BigInt64Array | undefined,
        indices: b.indices,
        shape: b.images.shape,
      });
      disposeBatch(b);
    }
  } finally {
    await loader.close();
  }
  return { loader, batches: out };
}

test("tile k of the loader is the right crop of the right stack, masks included", async () => {
  const live = liveTensors();
  const { loader, batches } = await collect({
    split: "all",
    batchSize: 7,
    normalize: false,
    flips: false,
    shuffle: false,
  });
  assert.equal(loader.grid.perStack, 6);
  assert.equal(loader.numTiles, 180);
  assert.equal(batches.length, 26); // 25 full batches of 7 and one of 5
  assert.deepEqual(batches.at(-1)!.shape, [5, 3, T, T]);
  let k = 0;
  for (const b of batches) {
    for (let i = 0; i < b.indices.length; i++, k++) {
      assert.equal(b.indices[i], k);
      const { stack, row, col } = loader.tileRef(k);
      assert.deepEqual([stack, row, col], [Math.floor(k / 6), Math.floor((k % 6) / 3), k % 3]);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < T; y++)
          for (let x = 0; x < T; x++) {
            const got = b.images[((i * 3 + c) * T + y) * T + x];
            assert.equal(got, coordValue(G, stack, c, row * T + y, col * T + x));
          }
      for (let y = 0; y < T; y++)
        for (let x = 0; x < T; x++) {
          assert.equal(b.masks![(i * T + y) * T + x], BigInt(coordLabel(G, row * T + y, col * T + x)));
          assert.equal(b.full![(i * T + y) * T + x], BigInt(coordFull(G, row * T + y, col * T + x)));
        }
    }
  }
  // The same crop through the memory-mapped tensor.
  const crop = scope(() => ds.images.select(0, 13).narrow(1, 8, 8).narrow(2, 16, 8));
  const k13 = 13 * 6 + 3 + 2; // stack 13, row 1, col 2
  const b = batches[Math.floor(k13 / 7)];
  const i = k13 % 7;
  assert.deepEqual(Array.from(crop.toFloat32Array()), Array.from(b.images.subarray(i * 192, (i + 1) * 192)));
  crop.dispose();
  assert.equal(liveTensors(), live, "batches and crops disposed");
});

test("flips move image and masks together; normalisation uses the train statistics", async () => {
  const { mean, std } = ds.meta.stats;
  const { loader, batches } = await collect({ split: "train", batchSize: 16, seed: 11 });
  assert.equal(loader.opts.flips, true, "train flips by default");
  const seen = new Set<string>();
  for (const b of batches)
    for (let i = 0; i < b.indices.length; i++) {
      const { stack, row, col } = loader.tileRef(b.indices[i]);
      // Which flip? Read it off the tile's first pixel, then check every pixel and label against it.
      const raw = (c: number, y: number, x: number) =>
        b.images[((i * 3 + c) * T + y) * T + x] * std[c] + mean[c];
      const v00 = Math.round(raw(0, 0, 0)) - coordValue(G, stack, 0, row * T, col * T);
      const vflip = v00 >= (T - 1) * G.width;
      const hflip = v00 % G.width === T - 1;
      seen.add(`${hflip}${vflip}`);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < T; y++)
          for (let x = 0; x < T; x++) {
            const sy = row * T + (vflip ? T - 1 - y : y);
            const sx = col * T + (hflip ? T - 1 - x : x);
            const want = coordValue(G, stack, c, sy, sx);
            assert.ok(Math.abs(raw(c, y, x) - want) < 0.05, `pixel ${c},${y},${x}`);
            if (c === 0) {
              // The labels are functions of the pixel's source position: they must agree after flips.
              assert.equal(b.masks![(i * T + y) * T + x], BigInt(coordLabel(G, sy, sx)));
              assert.equal(b.full![(i * T + y) * T + x], BigInt(coordFull(G, sy, sx)));
            }
          }
    }
  assert.equal(seen.size, 4, "all four flip combinations occur");
  // Without flips, the normalised train tiles have per-channel mean 0 and std 1.
  const plain = await collect({ split: "train", batchSize: 50, flips: false });
  for (let c = 0; c < 3; c++) {
    let n = 0;
    let s = 0;
    let q = 0;
    for (const b of plain.batches)
      for (let i = 0; i < b.indices.length; i++)
        for (let p = 0; p < T * T; p++) {
          const v = b.images[(i * 3 + c) * T * T + p];
          n++;
          s += v;
          q += v * v;
        }
    assert.ok(Math.abs(s / n) < 1e-4, `channel ${c} mean ${s / n}`);
    assert.ok(Math.abs(Math.sqrt(q / n - (s / n) ** 2) - 1) < 1e-4, `channel ${c} std`);
  }
  // Validation is neither shuffled nor flipped by default.
  const val = await collect({ split: "val", batchSize: 4 });
  assert.deepEqual(
    val.batches.flatMap((b) => b.indices),
    Array.from({ length: val.loader.numTiles }, (_, i) => i),
  );
});

test("epochs repeat by (seed, epoch) whatever the workers and prefetch, and differ otherwise", async () => {
  const a = await collect({ batchSize: 10, seed: 4, workers: 1, prefetch: 2 }, 3);
  const b = await collect({ batchSize: 10, seed: 4, workers: 2, prefetch: 4 }, 3);
  assert.deepEqual(
    a.batches.map((x) => x.indices),
    b.batches.map((x) => x.indices),
  );
  for (let i = 0; i < a.batches.length; i++) {
    assert.deepEqual(a.batches[i].images, b.batches[i].images);
    assert.deepEqual(a.batches[i].masks, b.batches[i].masks);
  }
  const order = (x: typeof a) => x.batches.flatMap((y) => y.indices);
  assert.notDeepEqual(order(await collect({ batchSize: 10, seed: 4 }, 4)), order(a), "next epoch reshuffles");
  assert.notDeepEqual(order(await collect({ batchSize: 10, seed: 5 }, 3)), order(a), "another seed");
  assert.deepEqual(
    [...order(a)].sort((x, y) => x - y),
    Array.from({ length: a.loader.numTiles }, (_, i) => i),
  );
});

test("ranks shard an epoch disjointly and completely; dropLast keeps them in step", async () => {
  const base = { batchSize: 5, seed: 9, worldSize: 3 };
  const shards = [];
  for (let rank = 0; rank < 3; rank++) shards.push(await collect({ ...base, rank }, 2));
  const all = shards.flatMap((s) => s.batches.flatMap((b) => b.indices));
  const n = shards[0].loader.numTiles; // 24 train stacks x 6 = 144 tiles
  assert.equal(all.length, n);
  assert.equal(new Set(all).size, n, "disjoint and complete");
  // The ranks split one shared shuffled order.
  const single = (await collect({ batchSize: 5, seed: 9 }, 2)).batches.flatMap((b) => b.indices);
  assert.deepEqual(
    shards[1].batches.flatMap((b) => b.indices),
    single.filter((_, i) => i % 3 === 1),
  );
  // 180 tiles over 7 ranks: with dropLast every rank gets 25 tiles and the same number of full batches.
  const odd = [0, 1].map(
    (rank) => new TileLoader(ds, { tile: T, split: "all", batchSize: 8, worldSize: 7, rank, dropLast: true }),
  );
  assert.deepEqual(
    odd.map((l) => [l.shardSize, l.numBatches]),
    [
      [25, 3],
      [25, 3],
    ],
  );
  const loose = new TileLoader(ds, { tile: T, split: "all", batchSize: 8, worldSize: 7, rank: 6 });
  assert.deepEqual([loose.shardSize, loose.numBatches], [25, 4]);
  const first = new TileLoader(ds, { tile: T, split: "all", batchSize: 8, worldSize: 7, rank: 0 });
  assert.equal(first.shardSize, 26); // 180 = 7 x 25 + 5: the first five ranks get one more
  assert.throws(() => new TileLoader(ds, { worldSize: 2, rank: 2 }), /rank must be an integer in \[0, 2\)/);
  assert.throws(() => new TileLoader(ds, { tile: 32 }), /tile size 32 is larger than the 16 x 24 stacks/);
});

test("a consumer may stop mid-epoch; the loader goes on and frees everything", async () => {
  const live = liveTensors();
  const loader = new TileLoader(ds, { tile: T, batchSize: 4, prefetch: 3 });
  const firstTwo: TileBatch[] = [];
  for await (const b of loader.epoch(0)) {
    firstTwo.push(b);
    if (firstTwo.length === 2) break;
  }
  let n = 0;
  for await (const b of loader.epoch(1)) {
    n++;
    disposeBatch(b);
  }
  assert.equal(n, loader.numBatches);
  for (const b of firstTwo) disposeBatch(b);
  await loader.close();
  assert.equal(liveTensors(), live);
  await assert.rejects(async () => {
    for await (const _ of loader.epoch(2));
  }, /closed/);
});
