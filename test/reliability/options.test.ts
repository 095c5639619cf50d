// Every numeric option is read by one helper: integers and reals, in a range, refused with a
// message naming the option, the range and the text given, before anything runs.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { describeSpec, parseNumber, parseNumberList } from "../../src/cli/numeric.js";
import { parseError } from "../cli/parse-error.js";
import { runCli, tempDir } from "./child.js";

test("parseNumber takes plain decimals in range and refuses everything else naming the option", () => {
  assert.equal(parseNumber("--epochs", "12", { integer: true, min: 1 }), 12);
  assert.equal(parseNumber("--lr", "1.5e-4", { above: 0 }), 1.5e-4);
  assert.equal(parseNumber("--overlap", "0", { min: 0, below: 1 }), 0);
  const bad: [string, string, Parameters<typeof parseNumber>[2], string][] = [
    ["--epochs", "0", { integer: true, min: 1 }, "--epochs must be an integer >= 1, got '0'"],
    ["--threads", "abc", { integer: true, min: 1 }, "--threads must be an integer >= 1, got 'abc'"],
    ["--threads", "", { integer: true, min: 1 }, "--threads must be an integer >= 1, got ''"],
    ["--seed", "1.5", { integer: true, min: 0 }, "--seed must be an integer >= 0, got '1.5'"],
    ["--seed", "0x10", { integer: true, min: 0 }, "--seed must be an integer >= 0, got '0x10'"],
    ["--lr", "-1", { above: 0 }, "--lr must be a number > 0, got '-1'"],
    ["--lr", "Infinity", { above: 0 }, "--lr must be a number > 0, got 'Infinity'"],
    ["--lr", "NaN", { above: 0 }, "--lr must be a number > 0, got 'NaN'"],
    ["--overlap", "1", { min: 0, below: 1 }, "--overlap must be a number in [0, 1), got '1'"],
    [
      "--feature-size",
      "7",
      { integer: true, min: 16, max: 256 },
      "--feature-size must be an integer in [16, 256], got '7'",
    ],
  ];
  for (const [name, text, spec, msg] of bad)
    assert.throws(() => parseNumber(name, text, spec), { message: msg });
  assert.deepEqual(parseNumberList("--betas", "0.9, 0.95", { min: 0, below: 1 }, 2), [0.9, 0.95]);
  assert.throws(() => parseNumberList("--betas", "0.9", { min: 0, below: 1 }, 2), {
    message: "--betas takes 2 comma-separated numbers, got '0.9'",
  });
  assert.throws(() => parseNumberList("--betas", "0.9,1", { min: 0, below: 1 }, 2), {
    message: "--betas must be a number in [0, 1), got '1'",
  });
  assert.equal(describeSpec({ above: 0, max: 1 }), "a number in (0, 1]");
});

test("every command refuses each bad numeric option of the hostile run, naming it, before it runs", async () => {
  const train = ["--data", "/nonexistent-data", "--out", "/nonexistent-out"];
  const cases: [string[], string][] = [
    [["pretrain", ...train, "--threads", "0"], "--threads must be an integer >= 1, got '0'"],
    [["pretrain", ...train, "--threads", "abc"], "--threads must be an integer >= 1, got 'abc'"],
    [["pretrain", ...train, "--seed", "abc"], "--seed must be an integer >= 0, got 'abc'"],
    [["pretrain", ...train, "--max-steps", "-3"], "--max-steps must be an integer >= 0, got '-3'"],
    [["pretrain", ...train, "--lr", "-1"], "--lr must be a number > 0, got '-1'"],
    [["pretrain", ...train, "--epochs", "0"], "--epochs must be an integer >= 1, got '0'"],
    [["pretrain", ...train, "--batch-tiles", "2.5"], "--batch-tiles must be an integer >= 1, got '2.5'"],
    [
      ["finetune", ...train, "--feature-size", "7"],
      "--feature-size must be an integer in [16, 256], got '7'",
    ],
    [["finetune", ...train, "--epochs", "0"], "--epochs must be an integer >= 1, got '0'"],
    [["finetune", ...train, "--betas", "0.9"], "--betas takes 2 comma-separated numbers, got '0.9'"],
    [["train-unet", ...train, "--class-weights", "1,-2"], "--class-weights must be a number >= 0, got '-2'"],
    [
      ["predict", "--run", "/r", "--input", "/i", "--out", "/o", "--overlap", "1"],
      "--overlap must be a number in [0, 1), got '1'",
    ],
    [
      ["synth", "--out", "/o", "--label-fraction", "0"],
      "--label-fraction must be a number in (0, 1], got '0'",
    ],
    [["pretrain", ...train, "--blr", "0"], "--blr must be a number > 0, got '0'"],
    [["pretrain", ...train, "--clip-grad", "-1"], "--clip-grad must be a number > 0, got '-1'"],
    [["pretrain", ...train, "--mask-ratio", "1"], "--mask-ratio must be a number in (0, 1), got '1'"],
    [["finetune", ...train, "--train-tiles", "-1"], "--train-tiles must be an integer >= 0, got '-1'"],
    [["finetune", ...train, "--layer-decay", "0"], "--layer-decay must be a number in (0, 1], got '0'"],
    [
      ["predict", "--run", "/r", "--input", "/i", "--out", "/o", "--channels", "1,2"],
      "--channels takes 3 comma-separated numbers, got '1,2'",
    ],
    [
      ["reconstruct", "--run", "/r", "--out", "/o", "--count", "0"],
      "--count must be an integer >= 1, got '0'",
    ],
    [
      ["bench", "epoch", "--data", "/d", "--feature-size", "7"],
      "--feature-size must be an integer in [16, 256], got '7'",
    ],
    [["sweep", "--out", "/o", "--scale", "0"], "--scale must be a number > 0, got '0'"],
    [["import", "--out", "/o", "--level", "-1"], "--level must be an integer >= 0, got '-1'"],
    [["app", "--out", "/o", "--port", "70000"], "--port must be an integer in [0, 65535], got '70000'"],
    [
      ["report", "--runs", "/r", "--out", "/o.html", "--examples", "x"],
      "--examples must be an integer >= 0, got 'x'",
    ],
  ];
  for (const [args, msg] of cases) {
    const e = await parseError(args);
    assert.equal(e?.message, msg, args.join(" "));
  }
});

test("hemoseg exits 1 on a bad option, prints the message alone and writes nothing", () => {
  const t = tempDir();
  try {
    const out = join(t.dir, "run");
    for (const [opt, value, msg] of [
      ["--epochs", "0", "--epochs must be an integer >= 1, got '0'"],
      ["--threads", "abc", "--threads must be an integer >= 1, got 'abc'"],
    ]) {
      const r = runCli(["pretrain", "--data", t.dir, "--out", out, opt, value]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), `hemoseg: ${msg}`);
      assert.equal(existsSync(out), false, "no run directory, no run.json");
    }
  } finally {
    t.cleanup();
  }
});
