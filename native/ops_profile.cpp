// libtorch's own op profiler (the Kineto-backed one behind torch.profiler), exposed thinly: start
// it for CPU activities (no shapes, memory or stacks) and stop it, getting per-op aggregates.
// KinetoEvent gives inclusive intervals only, so self time is computed here from nesting on each
// thread (as torch.profiler's key_averages does): an op's duration less its direct children's.
#include "hemoseg.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <unordered_map>

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

namespace {

bool g_running = false;

struct Interval {
  std::string name;
  uint64_t tid, start, end;
};

struct Agg {
  int64_t calls = 0;
  uint64_t totalNs = 0, selfNs = 0;
};

}  // namespace

// profilerStart(): records every op (RecordFunction) on this thread and the threads it hands
// work to (autograd), until profilerStop().
OP(profilerStart) {
  if (g_running) throw std::runtime_error("profilerStart: the op profiler is already running");
  if (impl::profilerEnabled())
    throw std::runtime_error("profilerStart: another libtorch profiler is already active in this process");
  impl::ProfilerConfig config(impl::ProfilerState::KINETO, /*report_input_shapes=*/false,
                              /*profile_memory=*/false, /*with_stack=*/false, /*with_flops=*/false,
                              /*with_modules=*/false);
  std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  g_running = true;
  return a.none();
}

// profilerStop() -> [{ name, calls, totalNs, selfNs }], largest self time first.
OP(profilerStop) {
  if (!g_running) throw std::runtime_error("profilerStop: the op profiler is not running (call profilerStart first)");
  g_running = false;
  std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();
  std::vector<Interval> ev;
  if (result) {
    for (const auto& e : result->events()) {
      if (e.deviceType() != c10::DeviceType::CPU || e.isHiddenEvent()) continue;
      std::string name = e.name();
      if (name.empty() || name[0] == '[') continue;  // [memory] and similar markers
      uint64_t s = e.startNs(), d = e.durationNs();
      ev.push_back({std::move(name), e.startThreadId(), s, s + d});
    }
  }
  // Per thread, by start; of two starting together the longer one is the parent.
  std::sort(ev.begin(), ev.end(), [](const Interval& x, const Interval& y) {
    if (x.tid != y.tid) return x.tid < y.tid;
    if (x.start != y.start) return x.start < y.start;
    return x.end > y.end;
  });
  std::vector<uint64_t> childNs(ev.size(), 0);
  std::vector<size_t> open;
  for (size_t i = 0; i < ev.size(); i++) {
    while (!open.empty() && (ev[open.back()].tid != ev[i].tid || ev[open.back()].end <= ev[i].start)) open.pop_back();
    if (!open.empty()) {
      const auto& p = ev[open.back()];
      childNs[open.back()] += std::min(ev[i].end, p.end) - ev[i].start;
    }
    open.push_back(i);
  }
  std::unordered_map<std::string, Agg> by;
  std::vector<std::string> order;
  for (size_t i = 0; i < ev.size(); i++) {
    auto [it, fresh] = by.try_emplace(ev[i].name);
    if (fresh) order.push_back(ev[i].name);
    uint64_t d = ev[i].end - ev[i].start;
    it->second.calls++;
    it->second.totalNs += d;
    it->second.selfNs += d > childNs[i] ? d - childNs[i] : 0;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& x, const std::string& y) { return by[x].selfNs > by[y].selfNs; });
  auto arr = Napi::Array::New(a.env, order.size());
  for (size_t k = 0; k < order.size(); k++) {
    const Agg& g = by[order[k]];
    auto o = Napi::Object::New(a.env);
    o.Set("name", Napi::String::New(a.env, order[k]));
    o.Set("calls", Napi::Number::New(a.env, static_cast<double>(g.calls)));
    o.Set("totalNs", Napi::Number::New(a.env, static_cast<double>(g.totalNs)));
    o.Set("selfNs", Napi::Number::New(a.env, static_cast<double>(g.selfNs)));
    arr.Set(k, o);
  }
  return arr;
}
