// reconstruct on a fine-tuning run says what that run holds (a UNETR segmenter) instead of
// listing the ViTMAE fields its config lacks.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { UNETR } from "../../src/models/unetr.js";
import { reconstructRun } from "../../src/pipeline/reconstruct-run.js";
import { tinyViT } from "../helpers.js";
import { tempDir } from "./child.js";

test("reconstruct on a UNETR run names it as a finetune run, not a pretrain run", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = join(dir, "ft");
    const model = UNETR.create(tinyViT(4), { outChannels: 3, featureSize: 16 });
    model.savePretrained(join(run, "best"));
    model.dispose();
    assert.throws(
      () =>
        reconstructRun({
          run,
          input: join(dir, "none.npy"),
          out: join(dir, "out"),
          split: "test",
          which: "best",
          count: 1,
          rowsPerGrid: 1,
          device: "cpu",
        }),
      {
        message: `${join(run, "best", "config.json")}: holds a UNETR segmenter (finetune run), not a ViTMAE (pretrain run)`,
      },
    );
  } finally {
    cleanup();
  }
});
