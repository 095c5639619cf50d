// Shared plumbing of the addon: tensor handles, argument decoding, the op registry.
// Every op is a plain function Args& -> Napi::Value registered by name with OP(name).
#pragma once
#ifndef NAPI_CPP_EXCEPTIONS  // build-native.sh passes it on the command line; node-gyp does not
#define NAPI_CPP_EXCEPTIONS
#endif
#include <napi.h>
#include <ATen/ATen.h>
#include <torch/version.h>

#include <optional>
#include <string>
#include <vector>

namespace hemoseg {

// One JS Tensor owns one Holder; dispose() resets t, the finalizer deletes the Holder.
struct Holder {
  at::Tensor t;
  int64_t reported;  // bytes reported to V8 as external memory
};

Napi::Value wrap(Napi::Env env, at::Tensor t);
void release(Napi::Env env, Holder* h);
int64_t liveTensors();

at::ScalarType parseDtype(const std::string& s);
std::string dtypeName(at::ScalarType t);
at::Device parseDevice(const std::string& s);

struct Args {
  const Napi::CallbackInfo& info;
  Napi::Env env;
  explicit Args(const Napi::CallbackInfo& i) : info(i), env(i.Env()) {}

  size_t size() const { return info.Length(); }
  bool has(size_t i) const { return i < info.Length() && !info[i].IsUndefined() && !info[i].IsNull(); }
  Holder* holder(size_t i) const;
  at::Tensor& t(size_t i) const;
  std::optional<at::Tensor> optT(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  std::vector<std::optional<at::Tensor>> optTensors(size_t i) const;
  double d(size_t i) const;
  std::optional<double> optD(size_t i) const;
  int64_t i64(size_t i) const;
  std::optional<int64_t> optI(size_t i) const;
  bool b(size_t i) const;
  std::string s(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  std::optional<std::vector<int64_t>> optInts(size_t i) const;
  at::Scalar scalar(size_t i) const;
  /** The bytes of a typed array (on an ArrayBuffer or a SharedArrayBuffer): pointer and length. */
  std::pair<void*, size_t> bytes(size_t i) const;
  at::ScalarType dtype(size_t i) const { return parseDtype(s(i)); }
  at::TensorOptions opts(size_t dtypeArg, size_t deviceArg) const;

  Napi::Value ret(at::Tensor t) const { return wrap(env, std::move(t)); }
  Napi::Value ret(const std::vector<at::Tensor>& ts) const;
  Napi::Value ret(const std::tuple<at::Tensor, at::Tensor>& p) const {
    return ret(std::vector<at::Tensor>{std::get<0>(p), std::get<1>(p)});
  }
  Napi::Value num(double v) const { return Napi::Number::New(env, v); }
  Napi::Value none() const { return env.Undefined(); }
};

/** A linear layer x W^T + b: oneDNN for CPU float32 (linear_onednn.cpp), else at::linear. */
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const std::optional<at::Tensor>& b);

using OpFn = Napi::Value (*)(Args&);
struct Registrar {
  Registrar(const char* name, OpFn fn);
};
std::vector<std::pair<const char*, OpFn>>& registry();

}  // namespace hemoseg

#define OP(name)                                                    \
  static Napi::Value op_##name(hemoseg::Args& a);                   \
  static hemoseg::Registrar reg_##name(#name, op_##name);           \
  static Napi::Value op_##name(hemoseg::Args& a)
