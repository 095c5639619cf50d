// Fused optimiser steps: libtorch's multi-tensor fused Adam / AdamW kernels (the ones behind
// torch.optim.Adam(fused=True)) for CPU float32 parameters, one pass over each parameter's memory.
#include "hemoseg.h"

#include <c10/core/GradMode.h>

#include <cmath>

using at::Tensor;

namespace {

bool fusable(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v) {
  auto ok = [&](const Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous() && !t.is_sparse();
  };
  return ok(p) && ok(g) && ok(m) && ok(v) && g.sizes() == p.sizes();
}

// torch.optim.Adam's single-tensor step, for whatever the fused kernel does not take.
void exactStep(Tensor& p, Tensor g, Tensor& m, Tensor& v, double step, double lr, double b1, double b2,
               double eps, double wd, bool decoupled) {
  double bc1 = 1 - std::pow(b1, step), bc2sqrt = std::sqrt(1 - std::pow(b2, step));
  if (wd != 0) {
    if (decoupled)
      p.mul_(1 - lr * wd);
    else
      g = g.add(p, wd);
  }
  m.lerp_(g, 1 - b1);
  v.mul_(b2).addcmul_(g, g, 1 - b2);
  auto denom = (v.sqrt() / bc2sqrt).add_(eps);
  p.addcdiv_(m, denom, -lr / bc1);
}

}  // namespace

// adamStep(params, expAvgs, expAvgSqs, steps, lr, beta1, beta2, eps, weightDecay, decoupled)
// Follows torch.optim.Adam / AdamW (single-tensor path) exactly; each parameter's step count is a
// 0-d float64 CPU tensor (as in PyTorch's optimizer state), advanced only when it has a gradient.
OP(adamStep) {
  c10::AutoGradMode ng(false);
  auto params = a.tensors(0), m = a.tensors(1), v = a.tensors(2), steps = a.tensors(3);
  double lr = a.d(4), b1 = a.d(5), b2 = a.d(6), eps = a.d(7), wd = a.d(8);
  bool decoupled = a.b(9);
  if (m.size() != params.size() || v.size() != params.size() || steps.size() != params.size())
    throw std::invalid_argument("adamStep: parameter and state lists differ in length");
  for (size_t k = 0; k < params.size(); k++) {
    Tensor g = params[k].grad();
    if (!g.defined()) continue;
    steps[k].add_(1);
    exactStep(params[k], g, m[k], v[k], steps[k].item<double>(), lr, b1, b2, eps, wd, decoupled);
  }
  return a.none();
}

// fusedAdamStep(params, expAvgs, expAvgSqs, steps, lr, beta1, beta2, eps, weightDecay, decoupled)
// Same contract as adamStep (steps: 0-d float64 CPU tensors, advanced only for parameters with a
// gradient); CPU float32 contiguous parameters go through at::_fused_adam_ / _fused_adamw_ in one
// call, any other through the single-tensor formula.
OP(fusedAdamStep) {
  c10::AutoGradMode ng(false);
  auto params = a.tensors(0), m = a.tensors(1), v = a.tensors(2), steps = a.tensors(3);
  double lr = a.d(4), b1 = a.d(5), b2 = a.d(6), eps = a.d(7), wd = a.d(8);
  bool decoupled = a.b(9);
  if (m.size() != params.size() || v.size() != params.size() || steps.size() != params.size())
    throw std::invalid_argument("fusedAdamStep: parameter and state lists differ in length");
  std::vector<Tensor> fp, fg, fm, fv, fs;
  for (size_t k = 0; k < params.size(); k++) {
    auto& p = params[k];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    steps[k].add_(1);
    if (fusable(p, g, m[k], v[k])) {
      fp.push_back(p);
      fg.push_back(g);
      fm.push_back(m[k]);
      fv.push_back(v[k]);
      fs.push_back(steps[k]);
    } else {
      exactStep(p, g, m[k], v[k], steps[k].item<double>(), lr, b1, b2, eps, wd, decoupled);
    }
  }
  if (!fp.empty()) {
    if (decoupled)
      at::_fused_adamw_(fp, fg, fm, fv, {}, fs, lr, b1, b2, wd, eps, false, false);
    else
      at::_fused_adam_(fp, fg, fm, fv, {}, fs, lr, b1, b2, wd, eps, false, false);
  }
  return a.none();
}
