import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importDataset } from "../../src/data/import.js";
import { readImageStack } from "../../src/io/image-file.js";
import { parseOmeXml, readOmeInfo, readOmeTiff } from "../../src/io/ome-tiff.js";
import { readTiffDescription, writeTiff } from "../../src/io/tiff.js";
import { tensor } from "../../src/torch/index.js";
import { tempDir } from "../data/make.js";

const [W, H] = [3, 2];

/** OME-XML for SizeZ x SizeC x SizeT planes of W x H, pixels 0.25 x 0.3 µm. */
const omeXml = (z: number, c: number, t: number, order = "XYZCT", extra = "") =>
  `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="${order}" Type="float" SizeX="${W}" SizeY="${H}" SizeZ="${z}" SizeC="${c}" SizeT="${t}" PhysicalSizeX="0.25" PhysicalSizeY="0.3" PhysicalSizeXUnit="µm">${Array.from(
    { length: c },
    (_, i) => `<Channel ID="Channel:0:${i}" Name="ch${i}" SamplesPerPixel="1"/>`,
  ).join("")}${extra}<TiffData PlaneCount="${z * c * t}"/></Pixels></Image></OME>`;

/** Page p holds the value 10 * p + (pixel index / 100) everywhere. */
function writeOme(path: string, pages: number, xml: string): void {
  const v = new Float32Array(pages * W * H).map((_, i) => 10 * Math.floor(i / (W * H)) + (i % (W * H)) / 100);
  const t = tensor(v, [pages, H, W], "float32");
  writeTiff(path, t, { description: xml });
  t.dispose();
}

const pageIds = (t: ReturnType<typeof readOmeTiff>) => {
  const v = t.toFloat32Array();
  t.dispose();
  return Array.from({ length: v.length / (W * H) }, (_, i) => Math.round(v[i * W * H] / 10));
};

test("OME-TIFF: planes follow DimensionOrder; Z/T choices become channels, T then Z then C", () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, "s.ome.tif");
    writeOme(f, 2 * 3 * 2, omeXml(2, 3, 2)); // XYZCT: page = z + 2 * (c + 3 * t)
    assert.match(readTiffDescription(f)!, /^<\?xml/);
    const info = readOmeInfo(f);
    assert.deepEqual(
      [info.sizeZ, info.sizeC, info.sizeT, info.channelNames],
      [2, 3, 2, ["ch0", "ch1", "ch2"]],
    );
    assert.deepEqual(info.pixelSize, { x: 0.25, y: 0.3, unit: "µm" });
    assert.deepEqual(pageIds(readOmeTiff(f, { z: [1], t: [0] })), [1, 3, 5]);
    assert.deepEqual(pageIds(readOmeTiff(f, { z: "all", t: [1], c: [2] })), [10, 11]);
    assert.deepEqual(pageIds(readOmeTiff(f, { z: [0], t: "all", c: [0, 1] })), [0, 2, 6, 8]);
    assert.throws(
      () => readOmeTiff(f),
      /s\.ome\.tif: has 2 Z planes; choose with --ome-z N \(one plane\), --ome-z 0,2 or --ome-z all/,
    );
    assert.throws(
      () => readOmeTiff(f, { z: [2], t: [0] }),
      /s\.ome\.tif: --ome-z 2: it has 2 Z planes \(0\.\.1\)/,
    );
    // XYCTZ: page = c + 3 * (t + 2 * z)
    writeOme(f, 12, omeXml(2, 3, 2, "XYCTZ"));
    assert.deepEqual(pageIds(readOmeTiff(f, { z: [1], t: [1] })), [9, 10, 11]);
    // explicit TiffData per plane wins over the order
    const td =
      '<TiffData FirstZ="0" FirstC="0" FirstT="0" IFD="2" PlaneCount="1"/><TiffData FirstZ="0" FirstC="1" FirstT="0" IFD="0" PlaneCount="1"/>';
    const xml = omeXml(1, 3, 1, "XYZCT", td).replace('<TiffData PlaneCount="3"/>', "");
    writeOme(f, 3, xml);
    assert.deepEqual(pageIds(readOmeTiff(f)), [2, 0, 2]);
    assert.throws(
      () => parseOmeXml("<OME></OME>", "x.ome.tif"),
      /x\.ome\.tif: ImageDescription is not OME-XML/,
    );
    writeOme(f, 2, omeXml(1, 3, 1));
    assert.throws(() => readOmeTiff(f), /describes 3 planes, the TIFF holds 2 pages/);
  } finally {
    cleanup();
  }
});

test("OME-TIFF import: the chosen planes as channels and the physical pixel size in dataset.json", () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, "in"));
    for (const n of ["a", "b"]) writeOme(join(dir, "in", `${n}.ome.tif`), 6, omeXml(3, 2, 1));
    const meta = importDataset({ images: join(dir, "in"), out: join(dir, "out"), ome: { z: "all" } });
    assert.deepEqual([meta.channels, meta.height, meta.width], [6, H, W]);
    assert.deepEqual(meta.pixelSize, { x: 0.25, y: 0.3, unit: "µm" });
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, "out", "dataset.json"), "utf8")).pixelSize,
      meta.pixelSize,
    );
    const s = readImageStack(join(dir, "in", "a.ome.tif"), { ome: { z: [2] } });
    assert.deepEqual(s.shape, [2, H, W]);
    s.dispose();
    assert.throws(
      () => importDataset({ images: join(dir, "in"), out: join(dir, "x") }),
      /a\.ome\.tif: has 3 Z planes; choose with --ome-z/,
    );
    writeOme(
      join(dir, "in", "b.ome.tif"),
      6,
      omeXml(3, 2, 1).replace('PhysicalSizeX="0.25"', 'PhysicalSizeX="0.5"'),
    );
    assert.throws(
      () => importDataset({ images: join(dir, "in"), out: join(dir, "x"), ome: { z: "all" } }),
      /b\.ome\.tif: pixels are 0\.5 x 0\.3 µm, but .*a\.ome\.tif has 0\.25 x 0\.3 µm/,
    );
  } finally {
    cleanup();
  }
});
