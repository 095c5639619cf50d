// Addon entry: handle lifetime, argument decoding, error translation, op export.
#include "hemoseg.h"

#include <atomic>
#include <cmath>

namespace hemoseg {

static std::atomic<int64_t> g_live{0};

int64_t liveTensors() { return g_live.load(); }

static int64_t hostBytes(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() ? static_cast<int64_t>(t.numel() * t.element_size()) : 0;
}

void release(Napi::Env env, Holder* h) {
  if (!h->t.defined()) return;
  h->t = at::Tensor();
  g_live--;
  if (h->reported) Napi::MemoryManagement::AdjustExternalMemory(env, -h->reported);
  h->reported = 0;
}

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* h = new Holder{std::move(t), 0};
  h->reported = hostBytes(h->t);
  if (h->reported) Napi::MemoryManagement::AdjustExternalMemory(env, h->reported);
  g_live++;
  return Napi::External<Holder>::New(env, h, [](Napi::Env e, Holder* p) {
    release(e, p);
    delete p;
  });
}

std::vector<std::pair<const char*, OpFn>>& registry() {
  static std::vector<std::pair<const char*, OpFn>> r;
  return r;
}
Registrar::Registrar(const char* name, OpFn fn) { registry().emplace_back(name, fn); }

// ---- dtypes and devices ----------------------------------------------------

static const std::pair<const char*, at::ScalarType> kDtypes[] = {
    {"float32", at::kFloat}, {"float16", at::kHalf},  {"bfloat16", at::kBFloat16}, {"float64", at::kDouble},
    {"int64", at::kLong},    {"int32", at::kInt},     {"int16", at::kShort},       {"int8", at::kChar},
    {"uint8", at::kByte},    {"bool", at::kBool},
};

at::ScalarType parseDtype(const std::string& s) {
  for (auto& [n, t] : kDtypes)
    if (s == n) return t;
  throw std::invalid_argument("unknown dtype '" + s + "'");
}

std::string dtypeName(at::ScalarType t) {
  for (auto& [n, v] : kDtypes)
    if (v == t) return n;
  return c10::toString(t);
}

at::Device parseDevice(const std::string& s) { return at::Device(s); }

// ---- argument decoding -----------------------------------------------------

static std::invalid_argument argError(size_t i, const char* what) {
  return std::invalid_argument("argument " + std::to_string(i) + ": expected " + what);
}

Holder* Args::holder(size_t i) const {
  if (i >= info.Length() || !info[i].IsExternal()) throw argError(i, "a Tensor");
  return info[i].As<Napi::External<Holder>>().Data();
}

at::Tensor& Args::t(size_t i) const {
  Holder* h = holder(i);
  if (!h->t.defined()) throw std::runtime_error("tensor used after dispose()");
  return h->t;
}

std::optional<at::Tensor> Args::optT(size_t i) const {
  if (!has(i)) return std::nullopt;
  return t(i);
}

static std::vector<Napi::Value> items(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsArray()) throw argError(i, what);
  auto arr = info[i].As<Napi::Array>();
  std::vector<Napi::Value> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out[k] = arr.Get(k);
  return out;
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  std::vector<at::Tensor> out;
  for (auto& v : items(info, i, "an array of Tensors")) {
    if (!v.IsExternal()) throw argError(i, "an array of Tensors");
    auto* h = v.As<Napi::External<Holder>>().Data();
    if (!h->t.defined()) throw std::runtime_error("tensor used after dispose()");
    out.push_back(h->t);
  }
  return out;
}

std::vector<std::optional<at::Tensor>> Args::optTensors(size_t i) const {
  std::vector<std::optional<at::Tensor>> out;
  for (auto& v : items(info, i, "an array of Tensors or nulls")) {
    if (v.IsNull() || v.IsUndefined()) {
      out.emplace_back(std::nullopt);
      continue;
    }
    if (!v.IsExternal()) throw argError(i, "an array of Tensors or nulls");
    auto* h = v.As<Napi::External<Holder>>().Data();
    if (!h->t.defined()) throw std::runtime_error("tensor used after dispose()");
    out.emplace_back(h->t);
  }
  return out;
}

double Args::d(size_t i) const {
  if (i >= info.Length() || !info[i].IsNumber()) throw argError(i, "a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
std::optional<double> Args::optD(size_t i) const {
  if (!has(i)) return std::nullopt;
  return d(i);
}
int64_t Args::i64(size_t i) const {
  if (i >= info.Length() || !info[i].IsNumber()) throw argError(i, "an integer");
  return info[i].As<Napi::Number>().Int64Value();
}
std::optional<int64_t> Args::optI(size_t i) const {
  if (!has(i)) return std::nullopt;
  return i64(i);
}
bool Args::b(size_t i) const {
  if (i >= info.Length() || !info[i].IsBoolean()) throw argError(i, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}
std::string Args::s(size_t i) const {
  if (i >= info.Length() || !info[i].IsString()) throw argError(i, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}
std::vector<int64_t> Args::ints(size_t i) const {
  std::vector<int64_t> out;
  for (auto& v : items(info, i, "an array of integers")) {
    if (!v.IsNumber()) throw argError(i, "an array of integers");
    out.push_back(v.As<Napi::Number>().Int64Value());
  }
  return out;
}
std::optional<std::vector<int64_t>> Args::optInts(size_t i) const {
  if (!has(i)) return std::nullopt;
  return ints(i);
}

// JS numbers that are whole become integer scalars, like Python ints, so int tensors stay int.
at::Scalar Args::scalar(size_t i) const {
  if (i < info.Length() && info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  double v = d(i);
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

std::pair<void*, size_t> Args::bytes(size_t i) const {
  if (i >= info.Length() || !info[i].IsTypedArray()) throw argError(i, "a typed array");
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, info[i], &type, &length, &data, nullptr, nullptr) != napi_ok)
    throw argError(i, "a readable typed array");
  return {data, info[i].As<Napi::TypedArray>().ByteLength()};
}

at::TensorOptions Args::opts(size_t dtypeArg, size_t deviceArg) const {
  auto o = at::TensorOptions().dtype(has(dtypeArg) ? dtype(dtypeArg) : at::kFloat);
  if (has(deviceArg)) o = o.device(parseDevice(s(deviceArg)));
  return o;
}

Napi::Value Args::ret(const std::vector<at::Tensor>& ts) const {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++) arr.Set(k, wrap(env, ts[k]));
  return arr;
}

// ---- dispatch --------------------------------------------------------------

static Napi::Value dispatch(const Napi::CallbackInfo& info) {
  auto fn = reinterpret_cast<OpFn>(info.Data());
  Args a(info);
  try {
    return fn(a);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

void installCpuAllocator();  // alloc_cpu.cpp

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    installCpuAllocator();
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  for (auto& [name, fn] : registry())
    exports.Set(name, Napi::Function::New(env, dispatch, name, reinterpret_cast<void*>(fn)));
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

}  // namespace hemoseg

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return hemoseg::Init(env, exports); }
NODE_API_MODULE(hemoseg_native, InitAddon)
