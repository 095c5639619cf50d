// Ops for the data loader: copy host bytes into an existing tensor, and tell whether a tensor's
// storage is used by anything but the caller's own handle. Together they let the loader recycle
// its batch tensors instead of allocating (and page-faulting, and fragmenting the heap with)
// megabytes per batch.
#include "hemoseg.h"

#include <cstring>

using namespace hemoseg;

// copyFromBuffer(t, typedArray): copies the array's bytes (any typed array, on an ArrayBuffer or a
// SharedArrayBuffer) into the contiguous CPU tensor t; the byte sizes must match.
OP(copyFromBuffer) {
  auto& t = a.t(0);
  if (!t.device().is_cpu() || !t.is_contiguous())
    throw std::invalid_argument("copyFromBuffer: the target must be a contiguous CPU tensor");
  auto [data, len] = a.bytes(1);
  size_t nbytes = t.numel() * t.element_size();
  if (len != nbytes)
    throw std::invalid_argument("copyFromBuffer: the array holds " + std::to_string(len) +
                                " bytes, the tensor " + std::to_string(nbytes));
  if (nbytes) std::memcpy(t.data_ptr(), data, nbytes);
  return a.none();
}

// storageUseCount(t): how many tensors (handles, views, autograd's saved tensors) share t's storage.
OP(storageUseCount) { return a.num(static_cast<double>(a.t(0).storage().use_count())); }
