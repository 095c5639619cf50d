// Elementwise math, comparisons, reductions, sorting, linear algebra.
#include "hemoseg.h"

using namespace hemoseg;
using at::Tensor;

// Binary ops come in two forms: tensor-tensor, and tensor-scalar ("...S").
#define BINARY(name, expr_tt, expr_ts)                             \
  OP(name) { return a.ret(expr_tt); }                              \
  OP(name##S) { return a.ret(expr_ts); }

BINARY(add, at::add(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)), at::add(a.t(0), a.scalar(1)))
BINARY(sub, at::sub(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)), at::sub(a.t(0), a.scalar(1)))
BINARY(mul, at::mul(a.t(0), a.t(1)), at::mul(a.t(0), a.scalar(1)))
BINARY(div, at::div(a.t(0), a.t(1)), at::div(a.t(0), a.scalar(1)))
BINARY(pow, at::pow(a.t(0), a.t(1)), at::pow(a.t(0), a.scalar(1)))
BINARY(maximum, at::maximum(a.t(0), a.t(1)), at::clamp_min(a.t(0), a.scalar(1)))
BINARY(minimum, at::minimum(a.t(0), a.t(1)), at::clamp_max(a.t(0), a.scalar(1)))
BINARY(eq, at::eq(a.t(0), a.t(1)), at::eq(a.t(0), a.scalar(1)))
BINARY(ne, at::ne(a.t(0), a.t(1)), at::ne(a.t(0), a.scalar(1)))
BINARY(lt, at::lt(a.t(0), a.t(1)), at::lt(a.t(0), a.scalar(1)))
BINARY(le, at::le(a.t(0), a.t(1)), at::le(a.t(0), a.scalar(1)))
BINARY(gt, at::gt(a.t(0), a.t(1)), at::gt(a.t(0), a.scalar(1)))
BINARY(ge, at::ge(a.t(0), a.t(1)), at::ge(a.t(0), a.scalar(1)))
BINARY(remainder, at::remainder(a.t(0), a.t(1)), at::remainder(a.t(0), a.scalar(1)))
OP(rsubS) { return a.ret(at::rsub(a.t(0), a.scalar(1))); }
OP(rdivS) { return a.ret(at::reciprocal(a.t(0)).mul(a.scalar(1))); }
OP(floorDivide) { return a.ret(at::div(a.t(0), a.t(1), "floor")); }
OP(floorDivideS) { return a.ret(at::div(a.t(0), at::scalar_tensor(a.scalar(1), a.t(0).options()), "floor")); }
OP(logicalAnd) { return a.ret(at::logical_and(a.t(0), a.t(1))); }
OP(logicalOr) { return a.ret(at::logical_or(a.t(0), a.t(1))); }
OP(logicalNot) { return a.ret(at::logical_not(a.t(0))); }

#define UNARY(name, fn) \
  OP(name) { return a.ret(at::fn(a.t(0))); }
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(abs, abs)
UNARY(neg, neg)
UNARY(sign, sign)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(reciprocal, reciprocal)
UNARY(sin, sin)
UNARY(cos, cos)
UNARY(erf, erf)
UNARY(erfinv, erfinv)
UNARY(isnan, isnan)
UNARY(isfinite, isfinite)
UNARY(square, square)

OP(clamp) {
  return a.ret(at::clamp(a.t(0), a.has(1) ? std::optional<at::Scalar>(a.scalar(1)) : std::nullopt,
                         a.has(2) ? std::optional<at::Scalar>(a.scalar(2)) : std::nullopt));
}
OP(where) { return a.ret(at::where(a.t(0), a.t(1), a.t(2))); }

// ---- reductions ------------------------------------------------------------
// dims null = all; the result of a full reduction is 0-d.
OP(sum) {
  std::optional<at::ScalarType> dt;
  if (a.has(3)) dt = a.dtype(3);
  if (!a.has(1)) return a.ret(at::sum(a.t(0), dt));
  return a.ret(at::sum(a.t(0), a.ints(1), a.has(2) && a.b(2), dt));
}
OP(mean) {
  if (!a.has(1)) return a.ret(at::mean(a.t(0)));
  return a.ret(at::mean(a.t(0), a.ints(1), a.has(2) && a.b(2)));
}
OP(var) {
  auto dims = a.optInts(1);
  std::optional<at::Scalar> correction = at::Scalar(a.b(2) ? 1 : 0);
  return a.ret(at::var(a.t(0), dims ? at::OptionalIntArrayRef(*dims) : std::nullopt, correction, a.has(3) && a.b(3)));
}
OP(std) {
  auto dims = a.optInts(1);
  std::optional<at::Scalar> correction = at::Scalar(a.b(2) ? 1 : 0);
  return a.ret(at::std(a.t(0), dims ? at::OptionalIntArrayRef(*dims) : std::nullopt, correction, a.has(3) && a.b(3)));
}
OP(prod) { return a.ret(a.has(1) ? at::prod(a.t(0), a.i64(1), a.has(2) && a.b(2)) : at::prod(a.t(0))); }
OP(amax) { return a.ret(at::amax(a.t(0), a.has(1) ? a.ints(1) : std::vector<int64_t>{}, a.has(2) && a.b(2))); }
OP(amin) { return a.ret(at::amin(a.t(0), a.has(1) ? a.ints(1) : std::vector<int64_t>{}, a.has(2) && a.b(2))); }
OP(maxDim) { return a.ret(at::max(a.t(0), a.i64(1), a.has(2) && a.b(2))); }
OP(minDim) { return a.ret(at::min(a.t(0), a.i64(1), a.has(2) && a.b(2))); }
OP(argmax) { return a.ret(at::argmax(a.t(0), a.optI(1), a.has(2) && a.b(2))); }
OP(argmin) { return a.ret(at::argmin(a.t(0), a.optI(1), a.has(2) && a.b(2))); }
OP(logsumexp) { return a.ret(at::logsumexp(a.t(0), a.ints(1), a.has(2) && a.b(2))); }
OP(cumsum) { return a.ret(at::cumsum(a.t(0), a.i64(1))); }
OP(norm) {
  return a.ret(at::norm(a.t(0), at::Scalar(a.d(1)), a.has(2) ? a.ints(2) : std::vector<int64_t>{},
                        a.has(3) && a.b(3)));
}
OP(any) { return a.ret(at::any(a.t(0))); }
OP(all) { return a.ret(at::all(a.t(0))); }
OP(bincount) { return a.ret(at::bincount(a.t(0), a.optT(1), a.has(2) ? a.i64(2) : 0)); }
OP(sort) { return a.ret(at::sort(a.t(0), a.has(3) ? std::optional<bool>(a.b(3)) : true, a.i64(1), a.b(2))); }
OP(argsort) { return a.ret(at::argsort(a.t(0), a.has(3) ? a.b(3) : true, a.i64(1), a.b(2))); }
OP(topk) { return a.ret(at::topk(a.t(0), a.i64(1), a.i64(2), a.b(3), a.has(4) ? a.b(4) : true)); }
OP(allclose) { return Napi::Boolean::New(a.env, at::allclose(a.t(0), a.t(1), a.d(2), a.d(3))); }

// ---- linear algebra --------------------------------------------------------
OP(matmul) { return a.ret(at::matmul(a.t(0), a.t(1))); }
OP(bmm) { return a.ret(at::bmm(a.t(0), a.t(1))); }
OP(mm) { return a.ret(at::mm(a.t(0), a.t(1))); }
OP(linear) { return a.ret(hemoseg::linear(a.t(0), a.t(1), a.optT(2))); }
OP(einsum) { return a.ret(at::einsum(a.s(0), a.tensors(1))); }
OP(outer) { return a.ret(at::outer(a.t(0), a.t(1))); }
