import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import { openDataset } from "../../src/data/dataset.js";
import { importOmeZarr } from "../../src/data/ome-zarr-import.js";
import { openOmeZarr, readOmeZarrRegion } from "../../src/io/ome-zarr.js";
import { tempDir } from "../data/make.js";

// value of (c, z, y, x): 1000 c + 100 z + 10 y + x (y, x < 10 here)
const value = (c: number, z: number, y: number, x: number) => 1000 * c + 100 * z + 10 * y + x;
const [C, Z, H, W] = [2, 3, 9, 8];

function cube(): Uint16Array {
  const a = new Uint16Array(C * Z * H * W);
  for (let c = 0; c < C; c++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) a[((c * Z + z) * H + y) * W + x] = value(c, z, y, x);
  return a;
}

const multiscales = (version: string) => [
  {
    ...(version === "0.4" ? { version } : {}),
    axes: [
      { name: "c", type: "channel" },
      { name: "z", type: "space", unit: "micrometer" },
      { name: "y", type: "space", unit: "micrometer" },
      { name: "x", type: "space", unit: "micrometer" },
    ],
    datasets: [
      { path: "0", coordinateTransformations: [{ type: "scale", scale: [1, 2, 0.5, 0.5] }] },
      { path: "1", coordinateTransformations: [{ type: "scale", scale: [1, 2, 1, 1] }] },
    ],
  },
];

/** NGFF 0.5 on Zarr v3, written by zarrita (4 x 4 chunks, uncompressed); level 1 is half size. */
async function writeV3(path: string): Promise<void> {
  mkdirSync(path, { recursive: true });
  const root = zarr.root(new FileSystemStore(path));
  await zarr.create(root, { attributes: { ome: { version: "0.5", multiscales: multiscales("0.5") } } });
  const a = await zarr.create(root.resolve("0"), {
    shape: [C, Z, H, W],
    chunkShape: [1, 1, 4, 4],
    dtype: "uint16",
  });
  await zarr.set(a, null, { data: cube(), shape: [C, Z, H, W], stride: [Z * H * W, H * W, W, 1] });
  await zarr.create(root.resolve("1"), { shape: [C, Z, 5, 4], chunkShape: [1, 1, 5, 4], dtype: "uint16" });
}

/** NGFF 0.4 on Zarr v2, written by hand: .zgroup, .zattrs, .zarray, zlib chunks "c.z.y.x". */
function writeV2(path: string): void {
  mkdirSync(join(path, "0"), { recursive: true });
  writeFileSync(join(path, ".zgroup"), JSON.stringify({ zarr_format: 2 }));
  writeFileSync(
    join(path, ".zattrs"),
    JSON.stringify({
      multiscales: multiscales("0.4").map((m) => ({ ...m, datasets: m.datasets.slice(0, 1) })),
    }),
  );
  const chunk = [1, 1, 5, 5];
  writeFileSync(
    join(path, "0", ".zarray"),
    JSON.stringify({
      zarr_format: 2,
      shape: [C, Z, H, W],
      chunks: chunk,
      dtype: "<u2",
      compressor: { id: "zlib", level: 1 },
      fill_value: 0,
      order: "C",
      filters: null,
    }),
  );
  const all = cube();
  for (let c = 0; c < C; c++)
    for (let z = 0; z < Z; z++)
      for (let cy = 0; cy < 2; cy++)
        for (let cx = 0; cx < 2; cx++) {
          const b = new Uint16Array(25); // edge chunks are whole, padded with the fill value
          for (let y = 0; y < 5; y++)
            for (let x = 0; x < 5; x++) {
              const [yy, xx] = [cy * 5 + y, cx * 5 + x];
              if (yy < H && xx < W) b[y * 5 + x] = all[((c * Z + z) * H + yy) * W + xx];
            }
          writeFileSync(join(path, "0", `${c}.${z}.${cy}.${cx}`), deflateSync(Buffer.from(b.buffer)));
        }
}

/** NGFF 0.5 on Zarr v3 with gzip chunks, written by hand: zarr.json files, chunks at 0/c/c/z/y/x. */
function writeV3Gzip(path: string): void {
  mkdirSync(join(path, "0"), { recursive: true });
  const ms = multiscales("0.5").map((m) => ({ ...m, datasets: m.datasets.slice(0, 1) }));
  writeFileSync(
    join(path, "zarr.json"),
    JSON.stringify({
      zarr_format: 3,
      node_type: "group",
      attributes: { ome: { version: "0.5", multiscales: ms } },
    }),
  );
  writeFileSync(
    join(path, "0", "zarr.json"),
    JSON.stringify({
      zarr_format: 3,
      node_type: "array",
      shape: [C, Z, H, W],
      data_type: "uint16",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [1, 1, 5, 5] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: 0,
      codecs: [
        { name: "bytes", configuration: { endian: "little" } },
        { name: "gzip", configuration: { level: 1 } },
      ],
    }),
  );
  const all = cube();
  for (let c = 0; c < C; c++)
    for (let z = 0; z < Z; z++)
      for (let cy = 0; cy < 2; cy++)
        for (let cx = 0; cx < 2; cx++) {
          const b = new Uint16Array(25);
          for (let y = 0; y < 5; y++)
            for (let x = 0; x < 5; x++) {
              const [yy, xx] = [cy * 5 + y, cx * 5 + x];
              if (yy < H && xx < W) b[y * 5 + x] = all[((c * Z + z) * H + yy) * W + xx];
            }
          const dir = join(path, "0", "c", `${c}`, `${z}`, `${cy}`);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, `${cx}`), gzipSync(Buffer.from(b.buffer)));
        }
}

test("OME-Zarr 0.5 (Zarr v3, raw and gzip) and 0.4 (Zarr v2, zlib): levels, axes, pixel size and region reads", async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeV3(join(dir, "v3.zarr"));
    writeV2(join(dir, "v2.zarr"));
    writeV3Gzip(join(dir, "v3-gzip.zarr"));
    for (const name of ["v3.zarr", "v2.zarr", "v3-gzip.zarr"]) {
      const img = await openOmeZarr(join(dir, name));
      assert.deepEqual(img.shape, [C, Z, H, W], name);
      assert.deepEqual(img.pixelSize, { x: 0.5, y: 0.5, unit: "micrometer" });
      // rows 3..7, columns 2..5 of z = 1, both channels: across chunk borders
      const px = await readOmeZarrRegion(img, { z: [1] }, 3, 7, 2, 5);
      const want: number[] = [];
      for (let c = 0; c < C; c++)
        for (let y = 3; y < 7; y++) for (let x = 2; x < 5; x++) want.push(value(c, 1, y, x));
      assert.deepEqual([...px], want, name);
      await assert.rejects(readOmeZarrRegion(img, {}, 0, 1, 0, 1), /has 3 Z planes; choose with --ome-z N/);
    }
    const v3 = await openOmeZarr(join(dir, "v3.zarr"), 1);
    assert.deepEqual([v3.shape, v3.levels, v3.pixelSize?.x], [[C, Z, 5, 4], 2, 1]);
    await assert.rejects(openOmeZarr(join(dir, "v2.zarr"), 1), /v2\.zarr: --level 1: it has levels 0\.\.0/);
    mkdirSync(join(dir, "plain.zarr"));
    writeFileSync(join(dir, "plain.zarr", ".zgroup"), "{}");
    await assert.rejects(
      openOmeZarr(join(dir, "plain.zarr")),
      /plain\.zarr: not an OME-Zarr image \(no "multiscales"/,
    );
  } finally {
    cleanup();
  }
});

test("OME-Zarr import: a folder of images cut into tiles region by region, planes as channels", async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, "in"));
    await writeV3(join(dir, "in", "a.zarr"));
    writeV2(join(dir, "in", "b.zarr"));
    const meta = await importOmeZarr({
      inputs: [join(dir, "in")],
      out: join(dir, "out"),
      tile: 4,
      ome: { z: [0, 2] },
    });
    // 9 x 8 -> 2 x 2 tiles of 4 per image; channels: z 0, 2 of c 0, 1 -> 4
    assert.deepEqual([meta.count, meta.channels, meta.height, meta.width], [8, 4, 4, 4]);
    assert.deepEqual(meta.pixelSize, { x: 0.5, y: 0.5, unit: "micrometer" });
    const ds = openDataset(join(dir, "out"));
    const t = ds.images.select(0, 1).toFloat32Array(); // image a, tile at row 0 (offset 0), column 4
    // channel order z outer, c inner: (z0,c0) (z0,c1) (z2,c0) (z2,c1); pixel (0, 0) of the tile
    assert.deepEqual(
      [t[0], t[16], t[32], t[48]],
      [value(0, 0, 0, 4), value(1, 0, 0, 4), value(0, 2, 0, 4), value(1, 2, 0, 4)],
    );
    ds.close();
    const whole = await importOmeZarr({
      inputs: [join(dir, "in")],
      out: join(dir, "w"),
      ome: { z: [1], c: [1] },
    });
    assert.deepEqual([whole.count, whole.channels, whole.height, whole.width], [2, 1, H, W]);
    await assert.rejects(
      importOmeZarr({ inputs: [join(dir, "in")], out: join(dir, "x"), level: 1, ome: { z: [0] } }),
      /b\.zarr: --level 1: it has levels 0\.\.0/,
    );
    assert.equal(existsSync(join(dir, "x")), false);
  } finally {
    cleanup();
  }
});
