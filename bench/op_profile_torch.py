"""torch.profiler over a benchmark's timed steps, for `hemoseg bench ... --profile-ops`: per-op
calls and self CPU time (key_averages), raw, so that hemoseg's one categoriser
(src/torch/op-category.ts) groups both sides by the same rules.
"""
from torch.profiler import ProfilerActivity, profile


class OpProfile:
    """start() before the timed steps, stop(steps, wall_s) after: the JSON-ready table."""

    def __init__(self):
        self.prof = profile(activities=[ProfilerActivity.CPU], record_shapes=False)

    def start(self):
        self.prof.start()

    def stop(self, steps, wall_s):
        self.prof.stop()
        ops = [
            [e.key, e.count, e.self_cpu_time_total, e.cpu_time_total]
            for e in self.prof.key_averages()
        ]
        ops.sort(key=lambda r: -r[2])
        return {"steps": steps, "wall_s": wall_s, "ops": ops}
