"""torch.profiler over a benchmark's timed steps, for `hemoseg bench ... --profile-ops`: per-op
calls and self CPU time (FunctionEvent.self_cpu_time_total, what key_averages sums), raw, so that
hemoseg's one categoriser (src/torch/op-category.ts) groups both sides by the same rules.

An op run inside torch.optim's "Optimizer.step#Adam.step" span (the single-tensor Adam's lerp_,
addcdiv_, ...) is named "Optimizer.step > aten::lerp_", so that it counts as optimizer time rather
than as element-wise work of the model.
"""
from torch.profiler import ProfilerActivity, profile


def _name(e):
    p = e.cpu_parent
    while p is not None:
        if p.name.startswith("Optimizer."):
            return p.name.split("#")[0] + " > " + e.name
        p = p.cpu_parent
    return e.name


class OpProfile:
    """start() before the timed steps, stop(steps, wall_s) after: the JSON-ready table."""

    def __init__(self):
        self.prof = profile(activities=[ProfilerActivity.CPU], record_shapes=False)

    def start(self):
        self.prof.start()

    def stop(self, steps, wall_s):
        self.prof.stop()
        agg = {}
        for e in self.prof.events():
            r = agg.setdefault(_name(e), [0, 0.0, 0.0])
            r[0] += 1
            r[1] += e.self_cpu_time_total
            r[2] += e.cpu_time_total
        ops = sorted(([k, *v] for k, v in agg.items()), key=lambda r: -r[2])
        return {"steps": steps, "wall_s": wall_s, "ops": ops}
