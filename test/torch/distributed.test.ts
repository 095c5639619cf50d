// c10d collectives across 2 worker processes on 127.0.0.1 (Gloo, CPU), a killed rank, the launcher.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { backends, distEnv } from "../../src/torch/distributed.js";
import { freePort, launchLocal } from "../../src/torch/launch.js";
import { ROOT } from "../helpers.js";

const WORKER = join(ROOT, "dist", "test", "dist-worker.js");
const dir = mkdtempSync(join(tmpdir(), "hemoseg-dist-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = backends().gloo ? false : "addon built without Gloo (apt-get install libgloo-dev, rebuild)";
const quiet = () => undefined;

test("torchrun's environment is read, and bad values are refused by name", () => {
  assert.equal(distEnv({}), undefined);
  assert.deepEqual(
    distEnv({ WORLD_SIZE: "4", RANK: "3", LOCAL_RANK: "1", MASTER_ADDR: "n1", MASTER_PORT: "1234" }),
    {
      rank: 3,
      worldSize: 4,
      localRank: 1,
      localWorldSize: 4,
      masterAddr: "n1",
      masterPort: 1234,
    },
  );
  assert.throws(() => distEnv({ WORLD_SIZE: "2", RANK: "2" }), /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => distEnv({ WORLD_SIZE: "two" }), /WORLD_SIZE=two/);
  assert.throws(() => distEnv({ WORLD_SIZE: "2", MASTER_PORT: "70000" }), /MASTER_PORT=70000/);
});

test("all-reduce (sum, avg), broadcast and the gradient reducer are exact across 2 ranks", {
  skip,
}, async () => {
  const out = join(dir, "coll");
  const r = await launchLocal({
    nproc: 2,
    command: process.execPath,
    args: [WORKER],
    env: { HEMOSEG_TEST_WORKER: "collectives", HEMOSEG_TEST_OUT: out, OMP_NUM_THREADS: "1" },
    log: quiet,
  });
  assert.equal(r.code, 0, `worker exit codes ${r.codes}`);
  for (const rank of [0, 1]) {
    const res = JSON.parse(readFileSync(`${out}.${rank}`, "utf8"));
    assert.deepEqual(res.sum_f32, [4, -4, 0.25, 16]);
    assert.deepEqual(res.sum_f64, [3e-12, 7]);
    assert.deepEqual(res.sum_i64, [1, -1]); // 2^41 + 1 and -1: no rounding through floats
    assert.deepEqual(res.sum_i32, [7, 2]);
    assert.deepEqual(res.sum_u8, [201, 6]);
    assert.deepEqual(res.sum_f16, [2, 4]);
    assert.deepEqual(res.avg_f32, [0.5, 5, 1]);
    assert.deepEqual(res.avg_f64, [2]);
    assert.deepEqual(res.bcast_f32, [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(res.bcast_i32, [4]);
    assert.deepEqual(res.red_w1, [3, 3, 3]); // (1 + 2) x 2 / 2, the second step's
    assert.deepEqual(res.red_w2, [3, -3, 1.5, 6]); // 2 w2 x (1 + 2) / 2
    assert.deepEqual(res.red_w3, [], "a parameter without a gradient gets none");
    assert.deepEqual(res.red_w4, [0.5, 0.5]); // (0 + 1) / 2, through .grad (no hook)
    // w2 and w1 started during backward; w4 (no hook) and w3 (no gradient) by finish
    assert.deepEqual(res.red_buckets, [2, 4]);
    assert.match(res.refused, /'avg' needs floating-point tensors, got int32/);
  }
});

test("a killed rank makes the other fail with a message naming both, within the timeout", {
  skip,
}, async () => {
  const out = join(dir, "die");
  const port = await freePort();
  const codes = await Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<number | null>((resolve) => {
          const env = {
            ...process.env,
            HEMOSEG_TEST_WORKER: "die",
            HEMOSEG_TEST_OUT: out,
            HEMOSEG_DIST_TIMEOUT_S: "180", // also bounds the start-up of both ranks on a busy machine
            RANK: String(rank),
            WORLD_SIZE: "2",
            MASTER_ADDR: "127.0.0.1",
            MASTER_PORT: String(port),
          };
          const c = spawn(process.execPath, [WORKER], { env, stdio: "ignore" });
          // A hang past the timeout (plus start-up) fails the test instead of hanging it.
          const guard = setTimeout(() => c.kill("SIGKILL"), 600_000);
          c.on("exit", (code, sig) => {
            clearTimeout(guard);
            resolve(sig === "SIGKILL" && rank === 0 ? -9 : code);
          });
        }),
    ),
  );
  assert.equal(codes[0], 1, "rank 0 exits with an error, not a hang");
  const msg = readFileSync(`${out}.0`, "utf8");
  assert.match(msg, /^distributed rank 0 of 2: all_reduce #\d+ failed: peer rank 1 has stopped/);
});

test("the launcher stops the other ranks when one fails and returns its exit code", { skip }, async () => {
  const lines: string[] = [];
  const r = await launchLocal({
    nproc: 2,
    command: process.execPath,
    args: [WORKER],
    env: { HEMOSEG_TEST_WORKER: "fail" },
    graceMs: 2000,
    log: (l) => lines.push(l),
  });
  assert.equal(r.code, 3);
  assert.equal(r.failedRank, 1);
  assert.notEqual(r.codes[0], 0, "rank 0 was stopped");
  assert.match(lines.join("\n"), /rank 1 exited with code 3; stopping the other 1 rank/);
});
