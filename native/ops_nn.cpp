// Neural-network functions: convolution, pooling, normalisation, activations, attention, losses,
// and the fused optimiser updates (one native call per step instead of several per parameter).
#include "hemoseg.h"

#include <c10/core/GradMode.h>

#include <cmath>

using namespace hemoseg;
using at::Tensor;

OP(conv2d) { return a.ret(at::conv2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6))); }
OP(convTranspose2d) {
  return a.ret(
      at::conv_transpose2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6), a.ints(7)));
}
OP(maxPool2d) { return a.ret(at::max_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5))); }
OP(avgPool2d) { return a.ret(at::avg_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5))); }
OP(adaptiveAvgPool2d) { return a.ret(at::adaptive_avg_pool2d(a.t(0), a.ints(1))); }

OP(layerNorm) { return a.ret(at::layer_norm(a.t(0), a.ints(1), a.optT(2), a.optT(3), a.d(4))); }
OP(instanceNorm) {
  return a.ret(at::instance_norm(a.t(0), a.optT(1), a.optT(2), a.optT(3), a.optT(4), a.b(5), a.d(6), a.d(7), false));
}
OP(batchNorm) {
  return a.ret(at::batch_norm(a.t(0), a.optT(1), a.optT(2), a.optT(3), a.optT(4), a.b(5), a.d(6), a.d(7), false));
}
OP(groupNorm) { return a.ret(at::group_norm(a.t(0), a.i64(1), a.optT(2), a.optT(3), a.d(4))); }

OP(softmax) { return a.ret(at::softmax(a.t(0), a.i64(1))); }
OP(logSoftmax) { return a.ret(at::log_softmax(a.t(0), a.i64(1))); }
OP(gelu) { return a.ret(at::gelu(a.t(0), a.has(1) ? a.s(1) : "none")); }
OP(relu) { return a.ret(at::relu(a.t(0))); }
OP(leakyRelu) { return a.ret(at::leaky_relu(a.t(0), a.d(1))); }
OP(sigmoid) { return a.ret(at::sigmoid(a.t(0))); }
OP(tanh) { return a.ret(at::tanh(a.t(0))); }
OP(silu) { return a.ret(at::silu(a.t(0))); }
OP(dropout) { return a.ret(at::dropout(a.t(0), a.d(1), a.b(2))); }

// sdpa(q, k, v, mask?, dropout, causal, scale?): fused kernels where libtorch has them.
OP(sdpa) {
#if TORCH_VERSION_MAJOR >= 2
  return a.ret(at::scaled_dot_product_attention(a.t(0), a.t(1), a.t(2), a.optT(3), a.d(4), a.b(5), a.optD(6)));
#else
  throw std::runtime_error("scaled_dot_product_attention needs libtorch >= 2.0");
#endif
}

OP(interpolate) {
  auto mode = a.s(2);
  auto size = a.ints(1);
  bool ac = a.has(3) && a.b(3);
  if (mode == "nearest") return a.ret(at::upsample_nearest2d(a.t(0), size));
  if (mode == "bilinear") return a.ret(at::upsample_bilinear2d(a.t(0), size, ac));
  if (mode == "bicubic") return a.ret(at::upsample_bicubic2d(a.t(0), size, ac));
  throw std::invalid_argument("interpolate: unknown mode '" + mode + "' (nearest, bilinear, bicubic)");
}
OP(oneHot) { return a.ret(at::one_hot(a.t(0), a.has(1) ? a.i64(1) : -1)); }
OP(embedding) { return a.ret(at::embedding(a.t(0), a.t(1))); }

static int64_t reduction(const std::string& r) {
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw std::invalid_argument("unknown reduction '" + r + "' (mean, sum, none)");
}

// crossEntropy(logits, target, weight?, reduction, ignoreIndex, labelSmoothing)
OP(crossEntropy) {
  return a.ret(at::cross_entropy_loss(a.t(0), a.t(1), a.optT(2), reduction(a.s(3)), a.i64(4), a.d(5)));
}
OP(nllLoss) { return a.ret(at::nll_loss_nd(a.t(0), a.t(1), a.optT(2), reduction(a.s(3)), a.i64(4))); }
OP(mseLoss) { return a.ret(at::mse_loss(a.t(0), a.t(1), reduction(a.s(2)))); }
OP(l1Loss) { return a.ret(at::l1_loss(a.t(0), a.t(1), reduction(a.s(2)))); }

// ---- optimisers ------------------------------------------------------------
// Gradients are read from each parameter's .grad; parameters without one are skipped.

// clipGradNorm(params, maxNorm): scales grads in place so their global L2 norm is at most maxNorm;
// returns the norm before clipping.
OP(clipGradNorm) {
  c10::AutoGradMode ng(false);
  std::vector<Tensor> grads;
  for (auto& p : a.tensors(0))
    if (p.grad().defined()) grads.push_back(p.grad());
  double maxNorm = a.d(1);
  if (grads.empty()) return a.num(0);
  std::vector<Tensor> norms;
  for (auto& g : grads) norms.push_back(g.norm(2).to(at::kFloat));
  auto total = at::stack(norms).norm(2);
  auto coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
  return a.num(total.item<double>());
}

// zeroGrad(params, setToNone)
OP(zeroGrad) {
  for (auto& p : a.tensors(0)) {
    if (!p.grad().defined()) continue;
    if (a.b(1))
      p.mutable_grad() = Tensor();
    else
      p.mutable_grad().zero_();
  }
  return a.none();
}
