// Benchmark: TileLoader throughput and memory while streaming a dataset far larger than anything
// the loader holds (it keeps no cache: only `prefetch` batches in flight; the data comes through
// positioned reads from the page cache or the disk).
// 1. writes a ~4 GiB pretrain set (N x 16 x 256 x 256 float32) with DatasetWriter, streaming;
// 2. in a fresh child process (so its peak RSS is the loader's alone), runs one training epoch of
//    64 x 64 tiles with flips and normalisation, per worker count, and reports tiles/s and peak RSS;
// 3. deletes the set.
// Usage: node dist/bench/loader.js [--gib 4] [--dir DIR] [--batch 32,256] [--workers 1,2] [--cold] [--keep]
// --cold drops the set from the page cache first (posix_fadvise through python3), so the first
// epoch reads from the disk.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDataset, writeDataset } from "../src/data/dataset.js";
import { disposeBatch, TileLoader } from "../src/data/loader.js";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const C = 16;
const S = 256;
const T = 64;

/** This process's peak RSS in MiB: VmHWM, which (unlike getrusage's maxrss) a child does not
 *  inherit from the parent that spawned it. */
function peakRssMiB(): number {
  const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Math.round((hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024);
}

async function stream(dir: string, workers: number, batch: number): Promise<void> {
  const ds = openDataset(dir);
  const loader = new TileLoader(ds, {
    split: "train",
    tile: T,
    batchSize: batch,
    workers,
    prefetch: 3,
    seed: 0,
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  let tiles = 0;
  let checksum = 0;
  for await (const b of loader.epoch(0)) {
    tiles += b.indices.length;
    checksum += b.images.shape[0];
    disposeBatch(b);
  }
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await loader.close();
  ds.close();
  const gib = (tiles * C * T * T * 4) / 2 ** 30;
  console.log(
    JSON.stringify({
      workers,
      batch,
      tiles,
      seconds: +secs.toFixed(2),
      tiles_per_s: Math.round(tiles / secs),
      gib_per_s: +(gib / secs).toFixed(2),
      gib_streamed: +gib.toFixed(2),
      peak_rss_mib: Math.max(Math.round(peak / 2 ** 20), peakRssMiB()),
      ok: checksum === tiles,
    }),
  );
}

function makeSet(dir: string, gib: number): void {
  const count = Math.ceil((gib * 2 ** 30) / (C * S * S * 4));
  const image = new Float32Array(C * S * S);
  let x = 12345;
  const t0 = performance.now();
  writeDataset(
    dir,
    { kind: "pretrain", count, channels: C, height: S, width: S, source: "bench/loader.ts" },
    (w) => {
      for (let i = 0; i < count; i++) {
        // Cheap varied content: a per-channel ramp plus xorshift noise.
        for (let k = 0; k < image.length; k++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          image[k] = ((k >>> 16) + (k & 255)) / 256 + (x & 1023) / 4096;
        }
        w.append({ image });
      }
    },
  );
  const bytes = statSync(join(dir, "images.npy")).size;
  const secs = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      wrote: join(dir, "images.npy"),
      stacks: count,
      gib: +(bytes / 2 ** 30).toFixed(2),
      seconds: +secs.toFixed(1),
      writer_peak_rss_mib: peakRssMiB(),
    }),
  );
}

async function main(): Promise<void> {
  if (args[0] === "--stream") {
    await stream(args[1], Number(args[2]), Number(args[3]));
    return;
  }
  const gib = Number(opt("gib", "4"));
  const batches = opt("batch", "32,256").split(",").map(Number);
  const workerCounts = opt("workers", "1,2").split(",").map(Number);
  const root = mkdtempSync(join(opt("dir", tmpdir()), "hemoseg-bench-loader-"));
  const dir = join(root, "set");
  try {
    makeSet(dir, gib);
    if (args.includes("--cold")) {
      const drop =
        "import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nos.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)";
      execFileSync("python3", ["-c", drop, join(dir, "images.npy")]);
      console.log(JSON.stringify({ page_cache: "dropped images.npy" }));
    }
    const self = fileURLToPath(import.meta.url);
    for (const batch of batches)
      for (const w of workerCounts)
        execFileSync(process.execPath, [self, "--stream", dir, String(w), String(batch)], {
          stdio: "inherit",
        });
  } finally {
    if (!args.includes("--keep")) rmSync(root, { recursive: true, force: true });
  }
}

await main();
