// Linear layers on oneDNN for CPU float32, forward and backward.
//
// Eager PyTorch runs every float32 linear on CPU (forward addmm, backward mm for the input and
// the weight gradients) through MKL's sgemm. On CPUs where MKL takes a slower code path (AMD:
// its AVX2 "zen" kernels even where AVX-512 is there) oneDNN, which libtorch also carries, runs
// the same float32 GEMMs 1.5-1.9x faster. libtorch exposes oneDNN's GEMM for dense tensors only
// as `mkldnn::_linear_pointwise`, without a backward, so the three GEMMs of a linear layer go
// through one autograd Function here: y = x W^T + b, dx = dy W, dW = dy^T x, db = sum(dy).
// The results are float32 GEMMs with another summation order (relative differences ~1e-6).
#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <cstring>

#include "hemoseg.h"

namespace hemoseg {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

using PointwiseFn = at::Tensor(const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&,
                               c10::string_view, c10::List<std::optional<c10::Scalar>>,
                               std::optional<c10::string_view>);

/** oneDNN's dense GEMM x W^T (+ b) through the dispatcher; null where this libtorch lacks it. */
const c10::TypedOperatorHandle<PointwiseFn>* pointwiseOp() {
  static const c10::TypedOperatorHandle<PointwiseFn>* op = []() -> c10::TypedOperatorHandle<PointwiseFn>* {
    if (!at::hasMKLDNN()) return nullptr;
    auto h = c10::Dispatcher::singleton().findSchema({"mkldnn::_linear_pointwise", ""});
    if (!h) return nullptr;
    return new c10::TypedOperatorHandle<PointwiseFn>(h->typed<PointwiseFn>());
  }();
  return op;
}

/** x (..., K) times w (N, K) transposed, plus b (N): (..., N), on oneDNN. */
at::Tensor gemm(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b) {
  return pointwiseOp()->call(x, w, b, "none", c10::List<std::optional<c10::Scalar>>(), std::nullopt);
}

struct OneDnnLinear : public torch::autograd::Function<OneDnnLinear> {
  // An absent bias is an empty optional: the Function then has no third input to differentiate.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const std::optional<at::Tensor>& b) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias"] = b.has_value();
    return gemm(x, w, b);  // (..., N)
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];  // (..., K)
    const at::Tensor& w = saved[1];  // (N, K)
    const int64_t n = w.size(0), k = w.size(1);
    at::Tensor dy = grads[0].contiguous();  // (..., N)
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = gemm(dy, w.t(), std::nullopt);  // (..., K) = dy W
    at::Tensor dy2 = dy.reshape({-1, n});                                   // (M, N)
    if (ctx->needs_input_grad(1)) dw = gemm(dy2.t(), x.reshape({-1, k}).t(), std::nullopt);  // (N, K) = dy^T x
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = dy2.sum(0);      // (N)
    return {dx, dw, db};
  }
};

bool envEnabled() {
  const char* v = std::getenv("HEMOSEG_ONEDNN_LINEAR");
  return !(v && (std::strcmp(v, "0") == 0 || std::strcmp(v, "false") == 0 || std::strcmp(v, "off") == 0));
}
bool g_enabled = envEnabled();

/** oneDNN takes the layers it is faster for: CPU float32 strided tensors outside autocast. */
bool useOneDnn(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b) {
  if (!g_enabled || !pointwiseOp()) return false;
  auto fits = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
  };
  if (!fits(x) || !fits(w) || (b && b->defined() && !fits(*b))) return false;
  if (x.dim() < 2 || w.dim() != 2 || x.numel() == 0 || w.numel() == 0) return false;
  if (at::autocast::is_autocast_enabled(at::kCPU)) return false;
  return true;
}

}  // namespace

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b) {
  if (!useOneDnn(x, w, b)) return at::linear(x, w, b);
  const bool grad = c10::GradMode::is_enabled() &&
                    (x.requires_grad() || w.requires_grad() || (b && b->defined() && b->requires_grad()));
  if (!grad) return gemm(x, w, b);
  return OneDnnLinear::apply(x, w, b && b->defined() ? b : std::nullopt);
}

}  // namespace hemoseg

// linearBackend() -> "onednn" | "aten"; linearBackend("aten" | "onednn") switches (benchmarks, tests).
OP(linearBackend) {
  if (a.has(0)) {
    const std::string s = a.s(0);
    if (s == "onednn") {
      if (!hemoseg::pointwiseOp())
        throw std::invalid_argument("linearBackend: this libtorch has no oneDNN linear (mkldnn::_linear_pointwise)");
      hemoseg::g_enabled = true;
    } else if (s == "aten") {
      hemoseg::g_enabled = false;
    } else {
      throw std::invalid_argument("linearBackend: unknown backend '" + s + "' (onednn, aten)");
    }
  }
  return Napi::String::New(a.env, hemoseg::g_enabled && hemoseg::pointwiseOp() ? "onednn" : "aten");
}
