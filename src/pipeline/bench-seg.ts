// Training-step throughput of the segmenters (UNETR, BasicUNet) on random tiles, in hemoseg and
// (alternating, for comparison) in plain PyTorch with the same layout (bench/epoch_torch.py).
import { vitConfigToHF } from "../models/hf-config.js";
import { type PresetName, presetConfig } from "../models/presets.js";
import { BasicUNet, DEFAULT_UNET_FEATURES } from "../models/unet.js";
import { UNETR } from "../models/unetr.js";
import { F, getNumThreads, keep, optim, randint, randn, scope, startOpProfile } from "../torch/index.js";
import {
  alternateSteps,
  runTorchSpec,
  type StepBench,
  stepOpTable,
  stepSpec,
  summarise,
  torchStepBench,
} from "./bench-torch.js";
import { opProfiles } from "./op-profile.js";

export interface SegBenchOptions {
  arch: "unetr" | "unet";
  model: PresetName;
  patch: number;
  featureSize: number;
  classes: number;
  channels: number;
  tile: number;
  batch: number;
  steps: number;
  warmup: number;
  rounds: number;
  pytorch: string[];
  /** Profile the timed steps op by op on every side. */
  profileOps?: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Images/s of hemoseg's training step (forward, cross-entropy, backward, Adam), median of steps. */
export function segStepHemoseg(o: SegBenchOptions): StepBench {
  const vit = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const model =
    o.arch === "unetr"
      ? UNETR.create(vit, { outChannels: o.classes, featureSize: o.featureSize })
      : new BasicUNet({ inChannels: o.channels, outChannels: o.classes, features: DEFAULT_UNET_FEATURES });
  model.train();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.95] });
  const x = keep(randn([o.batch, o.channels, o.tile, o.tile]));
  const y = keep(randint(0, o.classes, [o.batch, o.tile, o.tile]));
  const times: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    if (o.profileOps && i === o.warmup) startOpProfile();
    const t0 = performance.now();
    scope(() => {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y, { ignoreIndex: 255 });
      loss.backward();
      opt.step();
      loss.item();
    });
    if (i >= o.warmup) times.push((performance.now() - t0) / 1000);
  }
  const ops = o.profileOps ? stepOpTable(times) : undefined;
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
  const step = median(times);
  return { images_per_s: o.batch / step, step_s: step, ops };
}

export function segStepSpec(o: SegBenchOptions, variant: string): Record<string, unknown> {
  const vit = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  return {
    ...stepSpec(o, variant, 1e-3, vitConfigToHF(vit)),
    classes: o.classes,
    feature_size: o.featureSize,
  };
}

/**
 * Alternating rounds of hemoseg's step and each PyTorch variant's; images/s, and with profileOps
 * each side's op profile over all its rounds (op_profile; formatOpProfiles prints them).
 */
export function benchSeg(
  o: SegBenchOptions,
  onRun?: (name: string, round: number, imagesPerS: number) => void,
): Record<string, unknown> {
  const runners: Record<string, () => StepBench> = { hemoseg: () => segStepHemoseg(o) };
  for (const v of o.pytorch)
    runners[v] = () => torchStepBench(runTorchSpec(segStepSpec(o, v)), "bench/epoch_torch.py");
  const { got, tables } = alternateSteps(runners, o.rounds, onRun);
  const res: Record<string, unknown> = {
    arch: o.arch,
    threads: getNumThreads(),
    batch: o.batch,
    images_per_s: summarise(got),
  };
  if (o.profileOps) res.op_profile = opProfiles(tables);
  return res;
}
