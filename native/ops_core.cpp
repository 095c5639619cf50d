// Handles, metadata, creation, host transfer, views and indexing, autograd, RNG, devices.
#include "hemoseg.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

using namespace hemoseg;
using at::Tensor;

// ---- lifetime and metadata -------------------------------------------------
OP(dispose) {
  release(a.env, a.holder(0));
  return a.none();
}
OP(isDisposed) { return Napi::Boolean::New(a.env, !a.holder(0)->t.defined()); }
OP(liveTensors) { return a.num(static_cast<double>(liveTensors())); }
OP(shape) {
  auto s = a.t(0).sizes();
  auto arr = Napi::Array::New(a.env, s.size());
  for (size_t k = 0; k < s.size(); k++) arr.Set(k, Napi::Number::New(a.env, static_cast<double>(s[k])));
  return arr;
}
OP(dtype) { return Napi::String::New(a.env, dtypeName(a.t(0).scalar_type())); }
OP(device) { return Napi::String::New(a.env, a.t(0).device().str()); }
OP(requiresGrad) { return Napi::Boolean::New(a.env, a.t(0).requires_grad()); }
OP(isLeaf) { return Napi::Boolean::New(a.env, a.t(0).is_leaf()); }
OP(item) { return a.num(a.t(0).item<double>()); }

// ---- creation --------------------------------------------------------------
OP(empty) { return a.ret(at::empty(a.ints(0), a.opts(1, 2))); }
OP(zeros) { return a.ret(at::zeros(a.ints(0), a.opts(1, 2))); }
OP(ones) { return a.ret(at::ones(a.ints(0), a.opts(1, 2))); }
OP(full) { return a.ret(at::full(a.ints(0), a.scalar(1), a.opts(2, 3))); }
OP(rand) { return a.ret(at::rand(a.ints(0), a.opts(1, 2))); }
OP(randn) { return a.ret(at::randn(a.ints(0), a.opts(1, 2))); }
OP(randint) { return a.ret(at::randint(a.i64(0), a.i64(1), a.ints(2), a.opts(3, 4))); }
OP(randperm) { return a.ret(at::randperm(a.i64(0), a.opts(1, 2).dtype(at::kLong))); }
OP(arange) { return a.ret(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), a.opts(3, 4))); }
OP(linspace) { return a.ret(at::linspace(a.scalar(0), a.scalar(1), a.i64(2), a.opts(3, 4))); }
OP(eye) { return a.ret(at::eye(a.i64(0), a.opts(1, 2))); }

// fromBuffer(typedArray, shape, dtype): copies the bytes into a new CPU tensor.
OP(fromBuffer) {
  auto [src, len] = a.bytes(0);
  auto out = at::empty(a.ints(1), at::TensorOptions().dtype(a.dtype(2)));
  size_t nbytes = out.numel() * out.element_size();
  if (len != nbytes)
    throw std::invalid_argument("buffer holds " + std::to_string(len) + " bytes but shape " + c10::str(out.sizes()) +
                                " of " + a.s(2) + " needs " + std::to_string(nbytes));
  if (nbytes) std::memcpy(out.data_ptr(), src, nbytes);
  return a.ret(out);
}

// toBuffer(t): a copy of the elements in row-major order, as an ArrayBuffer.
OP(toBuffer) {
  auto c = a.t(0).detach().to(at::kCPU).contiguous();
  size_t nbytes = c.numel() * c.element_size();
  auto buf = Napi::ArrayBuffer::New(a.env, nbytes);
  if (nbytes) std::memcpy(buf.Data(), c.data_ptr(), nbytes);
  return buf;
}

static size_t bytesFor(const std::vector<int64_t>& shape, at::ScalarType dt) {
  size_t n = c10::elementSize(dt);
  for (auto s : shape) n *= static_cast<size_t>(s);
  return n;
}

// readFile(path, offset, shape, dtype): reads the bytes straight into a new tensor (one copy).
OP(readFile) {
  auto path = a.s(0);
  auto offset = a.i64(1);
  auto shape = a.ints(2);
  auto out = at::empty(shape, at::TensorOptions().dtype(a.dtype(3)));
  size_t nbytes = out.numel() * out.element_size();
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  auto* dst = static_cast<char*>(out.data_ptr());
  size_t done = 0;
  while (done < nbytes) {
    ssize_t r = ::pread(fd, dst + done, nbytes - done, offset + done);
    if (r <= 0) {
      ::close(fd);
      throw std::runtime_error(path + ": truncated: needed " + std::to_string(nbytes) + " bytes at offset " +
                               std::to_string(offset) + ", got " + std::to_string(done));
    }
    done += r;
  }
  ::close(fd);
  return a.ret(out);
}

// mmapFile(path, offset, shape, dtype): a tensor over the mapped file; pages load on demand. The
// mapping is private copy-on-write, so writing into the tensor changes this process's copy only
// (never the file) instead of faulting.
OP(mmapFile) {
  auto path = a.s(0);
  auto offset = a.i64(1);
  auto shape = a.ints(2);
  auto dt = a.dtype(3);
  size_t nbytes = bytesFor(shape, dt);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  struct stat st;
  ::fstat(fd, &st);
  if (static_cast<size_t>(st.st_size) < offset + nbytes) {
    ::close(fd);
    throw std::runtime_error(path + ": truncated: file has " + std::to_string(st.st_size) + " bytes, needs " +
                             std::to_string(offset + nbytes));
  }
  size_t len = offset + nbytes;
  void* base = ::mmap(nullptr, len == 0 ? 1 : len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) throw std::runtime_error(path + ": mmap failed: " + std::strerror(errno));
  auto t = at::from_blob(
      static_cast<char*>(base) + offset, shape, [base, len](void*) { ::munmap(base, len == 0 ? 1 : len); },
      at::TensorOptions().dtype(dt));
  return a.ret(t);
}

// ---- conversion ------------------------------------------------------------
OP(toDtype) { return a.ret(a.t(0).to(a.dtype(1))); }
OP(toDevice) { return a.ret(a.t(0).to(parseDevice(a.s(1)), a.has(2) && a.b(2))); }
OP(clone) { return a.ret(a.t(0).clone()); }
OP(contiguous) { return a.ret(a.t(0).contiguous()); }
OP(detach) { return a.ret(a.t(0).detach()); }

// ---- views and indexing ----------------------------------------------------
OP(reshape) { return a.ret(a.t(0).reshape(a.ints(1))); }
OP(view) { return a.ret(a.t(0).view(a.ints(1))); }
OP(permute) { return a.ret(a.t(0).permute(a.ints(1))); }
OP(transpose) { return a.ret(a.t(0).transpose(a.i64(1), a.i64(2))); }
OP(flatten) { return a.ret(a.t(0).flatten(a.i64(1), a.i64(2))); }
OP(squeeze) { return a.ret(a.has(1) ? a.t(0).squeeze(a.i64(1)) : a.t(0).squeeze()); }
OP(unsqueeze) { return a.ret(a.t(0).unsqueeze(a.i64(1))); }
OP(expand) { return a.ret(a.t(0).expand(a.ints(1))); }
OP(repeat) { return a.ret(a.t(0).repeat(a.ints(1))); }
OP(narrow) { return a.ret(a.t(0).narrow(a.i64(1), a.i64(2), a.i64(3))); }
OP(slice) { return a.ret(a.t(0).slice(a.i64(1), a.optI(2), a.optI(3), a.has(4) ? a.i64(4) : 1)); }
OP(select) { return a.ret(a.t(0).select(a.i64(1), a.i64(2))); }
OP(indexSelect) { return a.ret(a.t(0).index_select(a.i64(1), a.t(2))); }
OP(gather) { return a.ret(a.t(0).gather(a.i64(1), a.t(2))); }
OP(scatter) { return a.ret(a.t(0).scatter(a.i64(1), a.t(2), a.t(3))); }
OP(scatterValue) { return a.ret(a.t(0).scatter(a.i64(1), a.t(2), a.scalar(3))); }
OP(scatterAdd) { return a.ret(a.t(0).scatter_add(a.i64(1), a.t(2), a.t(3))); }
OP(maskedFill) { return a.ret(a.t(0).masked_fill(a.t(1), a.scalar(2))); }
OP(maskedSelect) { return a.ret(a.t(0).masked_select(a.t(1))); }
OP(index) {
  c10::List<std::optional<Tensor>> idx;
  for (auto& o : a.optTensors(1)) idx.push_back(o);
  return a.ret(a.t(0).index(idx));
}
OP(indexPut_) {
  c10::List<std::optional<Tensor>> idx;
  for (auto& o : a.optTensors(1)) idx.push_back(o);
  a.t(0).index_put_(idx, a.t(2), a.has(3) && a.b(3));
  return a.none();
}
OP(cat) { return a.ret(at::cat(a.tensors(0), a.i64(1))); }
OP(stack) { return a.ret(at::stack(a.tensors(0), a.i64(1))); }
OP(split) { return a.ret(a.t(0).split(a.i64(1), a.i64(2))); }
OP(splitSizes) { return a.ret(a.t(0).split_with_sizes(a.ints(1), a.i64(2))); }
OP(chunk) { return a.ret(a.t(0).chunk(a.i64(1), a.i64(2))); }
OP(unbind) { return a.ret(a.t(0).unbind(a.i64(1))); }
OP(flip) { return a.ret(a.t(0).flip(a.ints(1))); }
OP(roll) { return a.ret(a.t(0).roll(a.ints(1), a.ints(2))); }
// pad(t, pads, mode, value): pads as in torch.nn.functional.pad (last dim first).
OP(pad) {
  auto mode = a.s(2);
  if (mode == "constant") return a.ret(at::constant_pad_nd(a.t(0), a.ints(1), a.has(3) ? a.d(3) : 0.0));
  if (mode == "reflect") return a.ret(at::reflection_pad2d(a.t(0), a.ints(1)));
  if (mode == "replicate") return a.ret(at::replication_pad2d(a.t(0), a.ints(1)));
  throw std::invalid_argument("pad: unknown mode '" + mode + "' (constant, reflect, replicate)");
}

// ---- in-place (parameter updates, init; run under noGrad) --------------------
OP(copy_) {
  a.t(0).copy_(a.t(1));
  return a.none();
}
OP(fill_) {
  a.t(0).fill_(a.scalar(1));
  return a.none();
}
OP(zero_) {
  a.t(0).zero_();
  return a.none();
}
OP(add_) {
  a.t(0).add_(a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1));
  return a.none();
}
OP(addS_) {
  a.t(0).add_(a.scalar(1));
  return a.none();
}
OP(mulScalar_) {
  a.t(0).mul_(a.scalar(1));
  return a.none();
}
OP(uniform_) {
  a.t(0).uniform_(a.d(1), a.d(2));
  return a.none();
}
OP(normal_) {
  a.t(0).normal_(a.d(1), a.d(2));
  return a.none();
}
OP(clamp_) {
  a.t(0).clamp_(a.has(1) ? std::optional<at::Scalar>(a.scalar(1)) : std::nullopt,
                a.has(2) ? std::optional<at::Scalar>(a.scalar(2)) : std::nullopt);
  return a.none();
}
// setData(param, value): swaps the storage under a tensor, keeping its identity (module.to()).
OP(setData) {
  a.t(0).set_data(a.t(1));
  return a.none();
}
OP(erfinv_) {
  a.t(0).erfinv_();
  return a.none();
}

// ---- autograd --------------------------------------------------------------
OP(setRequiresGrad) {
  a.t(0).requires_grad_(a.b(1));
  return a.none();
}
OP(backward) {
  auto g = a.optT(1);
  a.t(0).backward(g ? *g : Tensor(), a.has(2) && a.b(2));
  return a.none();
}
OP(grad) {
  auto g = a.t(0).grad();
  return g.defined() ? a.ret(g) : a.env.Null();
}
OP(setGrad) {
  auto g = a.optT(1);
  a.t(0).mutable_grad() = g ? *g : Tensor();
  return a.none();
}
OP(retainGrad) {
  a.t(0).retain_grad();
  return a.none();
}
OP(isGradEnabled) { return Napi::Boolean::New(a.env, c10::GradMode::is_enabled()); }
OP(setGradEnabled) {
  c10::GradMode::set_enabled(a.b(0));
  return a.none();
}

// ---- RNG, threads, devices -------------------------------------------------
OP(manualSeed) {
  at::manual_seed(static_cast<uint64_t>(a.i64(0)));
  return a.none();
}
OP(setNumThreads) {
  at::set_num_threads(static_cast<int>(a.i64(0)));
  return a.none();
}
OP(getNumThreads) { return a.num(at::get_num_threads()); }
OP(cudaIsAvailable) { return Napi::Boolean::New(a.env, at::hasCUDA() && at::getNumGPUs() > 0); }
OP(cudaDeviceCount) { return a.num(at::hasCUDA() ? static_cast<double>(at::getNumGPUs()) : 0); }
OP(cudaSynchronize) {
  if (at::hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(0);
  return a.none();
}
OP(hasFusedAttention) { return Napi::Boolean::New(a.env, TORCH_VERSION_MAJOR >= 2); }
