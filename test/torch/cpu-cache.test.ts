// The caching CPU allocator (native/alloc_cpu.cpp): freed blocks of 64 KiB and more come back
// for later requests of the same size (or up to 1/8 larger), with the right values; the cap
// (HEMOSEG_CPU_CACHE_MB) holds, 0 turns the cache off, a bad value is refused by name; worker
// threads loading the addon share the one allocator.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import {
  cpuCacheStats,
  empty,
  emptyCpuCache,
  full,
  liveTensors,
  randn,
  zeros,
} from "../../src/torch/index.js";
import { ROOT } from "../helpers.js";

const MiB = 1 << 20;
const TORCH = pathToFileURL(join(ROOT, "dist", "src", "torch", "index.js")).href;

test("a freed block is reused by the next request of its size, and its old bytes do not leak into zeros()", () => {
  const live = liveTensors();
  emptyCpuCache();
  const s0 = cpuCacheStats();
  assert.equal(s0.enabled, true);
  assert.equal(s0.cachedBytes, 0);
  assert.equal(s0.cachedBlocks, 0);

  const a = full([MiB / 4], 7); // 1 MiB of float32
  const s1 = cpuCacheStats();
  assert.equal(s1.misses, s0.misses + 1);
  assert.equal(s1.allocatedBytes, s0.allocatedBytes + MiB);
  a.dispose();
  const s2 = cpuCacheStats();
  assert.equal(s2.cachedBytes, MiB);
  assert.equal(s2.cachedBlocks, 1);
  assert.equal(s2.allocatedBytes, s0.allocatedBytes);

  // empty() hands back the very block, still holding the sevens: proof that it was reused.
  const b = empty([MiB / 4]);
  const s3 = cpuCacheStats();
  assert.equal(s3.hits, s2.hits + 1);
  assert.equal(s3.misses, s2.misses);
  assert.equal(s3.cachedBytes, 0);
  assert.ok(b.toFloat32Array().every((v) => v === 7));
  b.dispose();

  const z = zeros([MiB / 4]);
  assert.equal(cpuCacheStats().hits, s3.hits + 1);
  assert.ok(z.toFloat32Array().every((v) => v === 0));
  z.dispose();
  assert.equal(liveTensors(), live, "cached blocks are not tensors");
});

test("a copy into a reused block is exact", () => {
  emptyCpuCache();
  const a = randn([512, 512]);
  const b = a.mul(3); // a 1 MiB block with other values
  b.dispose();
  const before = cpuCacheStats();
  const c = a.clone();
  assert.equal(cpuCacheStats().hits, before.hits + 1);
  assert.deepEqual(c.toFloat32Array(), a.toFloat32Array());
  a.dispose();
  c.dispose();
});

test("requests up to 1/8 above a cached block's size reuse it; smaller blocks and small requests do not", () => {
  emptyCpuCache();
  full([MiB / 4], 1).dispose(); // caches one 1 MiB block
  let s = cpuCacheStats();
  // Half the size: the 1 MiB block would waste more than 1/8, so a fresh block.
  const half = empty([MiB / 8]);
  assert.equal(cpuCacheStats().misses, s.misses + 1);
  assert.equal(cpuCacheStats().cachedBytes, MiB);
  half.dispose();
  // 1 MiB less 8 KiB rounds to 1016 KiB: the 1 MiB block (within 1/8) serves it.
  s = cpuCacheStats();
  const near = empty([(MiB - 8192) / 4]);
  const t = cpuCacheStats();
  assert.equal(t.hits, s.hits + 1);
  assert.equal(t.cachedBytes, MiB / 2, "only the half-size block stays cached");
  near.dispose();
  // The block comes back at its own size, 1 MiB.
  assert.equal(cpuCacheStats().cachedBytes, MiB + MiB / 2);
  // Below 64 KiB: straight to c10, never cached.
  s = cpuCacheStats();
  zeros([1024]).dispose();
  const u = cpuCacheStats();
  assert.equal(u.cachedBytes, s.cachedBytes);
  assert.deepEqual([u.hits, u.misses], [s.hits, s.misses]);
});

test("emptyCpuCache frees every cached block and leaves live tensors alone", () => {
  const keep = full([MiB / 4], 5);
  for (const n of [1, 2, 3]) full([(n * MiB) / 4], n).dispose();
  assert.ok(cpuCacheStats().cachedBytes >= 6 * MiB);
  emptyCpuCache();
  const s = cpuCacheStats();
  assert.equal(s.cachedBytes, 0);
  assert.equal(s.cachedBlocks, 0);
  assert.ok(keep.toFloat32Array().every((v) => v === 5));
  keep.dispose();
});

/** Runs `body` in a fresh Node process with the given environment; prints/returns its JSON. */
function child(env: Record<string, string>, body: string): ReturnType<typeof spawnSync> {
  const script = `const T = await import(${JSON.stringify(TORCH)}); const out = {}; ${body}; console.log(JSON.stringify(out));`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}
const json = (r: ReturnType<typeof spawnSync>) => {
  assert.equal(r.status, 0, String(r.stderr));
  return JSON.parse(String(r.stdout).trim().split("\n").at(-1) ?? "{}");
};

test("HEMOSEG_CPU_CACHE_MB caps the cached bytes: the oldest blocks go first, larger ones are not kept, the newest is reused first", () => {
  const out = json(
    child(
      { HEMOSEG_CPU_CACHE_MB: "1" },
      `const ts = [1, 2, 3].map((v) => T.full([131072], v)); // three 512 KiB blocks
       for (const t of ts) t.dispose();
       out.three = T.cpuCacheStats();
       const b = T.empty([131072]); // the newest two are cached: this gets the newest
       out.reused = b.toFloat32Array()[0];
       b.dispose();
       T.full([524288], 9).dispose(); // 2 MiB: above the cap, freed at once
       out.big = T.cpuCacheStats();`,
    ),
  );
  assert.equal(out.three.limitBytes, MiB);
  assert.equal(out.three.cachedBytes, MiB);
  assert.equal(out.three.cachedBlocks, 2);
  assert.equal(out.three.evictions, 1);
  assert.equal(out.reused, 3, "the most recently freed block of the size comes back first");
  assert.equal(out.big.cachedBytes, MiB);
  assert.equal(out.big.allocatedBytes, out.three.allocatedBytes);
});

test("HEMOSEG_CPU_CACHE_MB=0 keeps libtorch's own allocator; a bad value is refused by name", () => {
  const off = json(
    child(
      { HEMOSEG_CPU_CACHE_MB: "0" },
      `const t = T.full([262144], 4); out.sum = t.sum().item(); t.dispose(); T.emptyCpuCache(); out.s = T.cpuCacheStats();`,
    ),
  );
  assert.equal(off.sum, 4 * 262144);
  assert.deepEqual(off.s, {
    enabled: false,
    limitBytes: 0,
    allocatedBytes: 0,
    peakAllocatedBytes: 0,
    cachedBytes: 0,
    cachedBlocks: 0,
    hits: 0,
    misses: 0,
    evictions: 0,
  });
  for (const bad of ["lots", "-5", "1.5"]) {
    const r = child({ HEMOSEG_CPU_CACHE_MB: bad }, "T.zeros([1])");
    assert.notEqual(r.status, 0);
    assert.match(
      String(r.stderr),
      new RegExp(`HEMOSEG_CPU_CACHE_MB: expected a whole number of MiB.*'${bad}'`),
    );
  }
});

/**
 * One thread's share of the concurrency test: 1,000 tensors of five cacheable sizes (64 KiB to
 * 1 MiB, none within 1/8 of another), each filled, summed, checked and freed. Returns the
 * number of wrong sums. Self-contained: the workers get it as source text.
 */
function churn(T: typeof import("../../src/torch/index.js"), id: number): number {
  const sizes = [16384, 32768, 65536, 98304, 262144];
  let bad = 0;
  for (let i = 0; i < 1000; i++) {
    const n = sizes[(i * 7 + id) % sizes.length] as number;
    const v = id + (i % 5);
    const t = T.full([n], v);
    const s = t.sum();
    if (s.item() !== n * v) bad++;
    s.dispose();
    t.dispose();
  }
  return bad;
}

test("worker threads that load the addon share the one allocator, concurrently, without losing a byte", async () => {
  emptyCpuCache();
  const live = liveTensors();
  const base = cpuCacheStats();
  const started: Promise<void>[] = [];
  const workers = [1, 2].map((id) => {
    const w = new Worker(
      `const { parentPort } = require("node:worker_threads");
       import(${JSON.stringify(TORCH)}).then((T) => {
         parentPort.postMessage("started");
         parentPort.postMessage((${churn.toString()})(T, ${id}));
       });`,
      { eval: true },
    );
    started.push(new Promise((resolve) => w.once("message", () => resolve())));
    return new Promise<number>((resolve, reject) => {
      w.on("message", (m) => m !== "started" && resolve(m as number));
      w.once("error", reject);
    });
  });
  await Promise.all(started);
  const T = await import("../../src/torch/index.js");
  assert.equal(churn(T, 3), 0); // meanwhile on the main thread
  assert.deepEqual(await Promise.all(workers), [0, 0]);
  const s = cpuCacheStats();
  assert.equal(s.limitBytes, base.limitBytes, "one allocator: the workers did not install another");
  assert.equal(s.allocatedBytes, base.allocatedBytes, "every block freed is accounted for");
  // At most three threads hold a block of each of the five sizes at once: 15 fresh blocks.
  assert.ok(s.hits + s.misses - base.hits - base.misses >= 3000);
  assert.ok(s.misses - base.misses <= 15, `${s.misses - base.misses} misses`);
  assert.equal(liveTensors(), live);
  emptyCpuCache();
  assert.equal(cpuCacheStats().cachedBytes, 0);
});
