// A caching CPU allocator, installed as libtorch's CPU allocator once per process.
//
// libtorch's default CPU allocator hands every tensor to glibc malloc/free, and glibc gives large
// freed blocks straight back to the kernel (mmap'd chunks, heap trimming): each training step
// then faults in fresh zeroed pages for its activations and gradients all over again (11-15% of
// a step in the kernel on a 2-core VM). Like PyTorch's CUDA caching allocator, this one keeps
// freed blocks of 64 KiB and more in a free list keyed by size (rounded up to 4 KiB) and hands
// them to later requests of the same size or up to 1/8 larger. Smaller requests go straight to
// c10::alloc_cpu / c10::free_cpu, as do all of them when caching is off.
//
// The cached bytes are capped: HEMOSEG_CPU_CACHE_MB (MiB; default the smaller of 2 GiB and a
// quarter of physical memory; 0 leaves libtorch's own allocator in place). Past the cap the
// oldest cached blocks go back to the OS. cpuCacheStats() and emptyCpuCache() are the ops.
#include "hemoseg.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

using namespace hemoseg;

namespace {

constexpr size_t kMinCached = 64 << 10;  // smaller requests pass straight through
constexpr size_t kRound = 4 << 10;       // cached sizes round up to whole 4 KiB pages

struct Stats {
  size_t allocated = 0;  // bytes held by live allocations (cached sizes at their block's size)
  size_t peakAllocated = 0;
  size_t cached = 0;  // bytes in the free list
  size_t cachedBlocks = 0;
  uint64_t hits = 0;       // cacheable requests served from the free list
  uint64_t misses = 0;     // cacheable requests that went to c10::alloc_cpu
  uint64_t evictions = 0;  // cached blocks freed to stay under the cap
};

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  c10::DataPtr allocate(size_t n) override {
    if (n == 0) return {nullptr, nullptr, &Delete, c10::Device(c10::DeviceType::CPU)};
    const bool cacheable = n >= kMinCached;
    size_t size = cacheable ? (n + kRound - 1) / kRound * kRound : n;
    std::unique_lock<std::mutex> g(mu_);
    void* p = cacheable ? take(size) : nullptr;
    if (!p) {
      g.unlock();  // c10::alloc_cpu (and its page faults) outside the lock
      p = fresh(size);
      g.lock();
    }
    live_.emplace(p, size);
    s_.allocated += size;
    if (s_.allocated > s_.peakAllocated) s_.peakAllocated = s_.allocated;
    const size_t allocated = s_.allocated, cached = s_.cached;
    g.unlock();
    report(p, static_cast<int64_t>(size), allocated, cached);
    return {p, p, &Delete, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Delete; }

  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }

  static void Delete(void* p);

  // Back to the free list (cacheable sizes, within the cap) or to the OS.
  void release(void* p) {
    if (!p) return;
    std::vector<void*> drop;
    size_t size = 0, allocated = 0, cached = 0;
    bool keep = false;
    {
      std::lock_guard<std::mutex> g(mu_);
      auto it = live_.find(p);
      if (it == live_.end()) {
        // Only a raw_deallocate of a pointer this allocator never gave out gets here.
        TORCH_WARN("hemoseg: CPU allocator asked to free a block it did not allocate; handed to c10::free_cpu");
      } else {
        size = it->second;
        live_.erase(it);
        s_.allocated -= size;
        keep = size >= kMinCached && size <= limit_;
        if (keep) {
          while (s_.cached + size > limit_) drop.push_back(evictOldest());
          s_.evictions += drop.size();
          const uint64_t age = clock_++;
          byAge_.emplace(age, bySize_.emplace(size, Entry{p, age}));
          s_.cached += size;
          s_.cachedBlocks++;
        }
      }
      allocated = s_.allocated;
      cached = s_.cached;
    }
    report(p, -static_cast<int64_t>(size), allocated, cached);
    if (!keep) c10::free_cpu(p);
    for (void* q : drop) c10::free_cpu(q);
  }

  // Frees every cached block.
  void empty() {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (auto& kv : bySize_) drop.push_back(kv.second.ptr);
      bySize_.clear();
      byAge_.clear();
      s_.cached = 0;
      s_.cachedBlocks = 0;
    }
    for (void* q : drop) c10::free_cpu(q);
  }

  Stats stats() {
    std::lock_guard<std::mutex> g(mu_);
    return s_;
  }
  size_t limit() const { return limit_; }

 private:
  struct Entry {
    void* ptr;
    uint64_t age;
  };
  using BySize = std::multimap<size_t, Entry>;

  // The smallest cached block of at least `size` bytes and at most 1/8 more (nullptr if none),
  // the most recently freed of that size (its lines may still be in the CPU's caches); `size`
  // becomes the block's own size, which it keeps when it comes back. The caller holds mu_.
  void* take(size_t& size) {
    auto it = bySize_.lower_bound(size);
    if (it == bySize_.end() || it->first > size + size / 8) {
      s_.misses++;
      return nullptr;
    }
    it = std::prev(bySize_.upper_bound(it->first));
    void* p = it->second.ptr;
    size = it->first;
    byAge_.erase(it->second.age);
    bySize_.erase(it);
    s_.cached -= size;
    s_.cachedBlocks--;
    s_.hits++;
    return p;
  }

  // A new block from c10; when that fails, frees the cache and tries once more.
  void* fresh(size_t size) {
    try {
      return c10::alloc_cpu(size);
    } catch (const c10::Error&) {
      empty();
      return c10::alloc_cpu(size);
    }
  }

  // The oldest cached block, taken off the list (caller holds mu_).
  void* evictOldest() {
    auto age = byAge_.begin();
    auto it = age->second;
    void* p = it->second.ptr;
    s_.cached -= it->first;
    s_.cachedBlocks--;
    bySize_.erase(it);
    byAge_.erase(age);
    return p;
  }

  // libtorch's memory profiler (profile_memory) sees this allocator as it sees c10's.
  static void report(void* p, int64_t delta, size_t allocated, size_t cached) {
    if (c10::memoryProfilingEnabled())
      c10::reportMemoryUsageToProfiler(p, delta, allocated, allocated + cached, c10::Device(c10::DeviceType::CPU));
  }

  const size_t limit_;
  std::mutex mu_;
  std::unordered_map<void*, size_t> live_;  // pointer -> block size
  BySize bySize_;                           // the free list
  std::map<uint64_t, BySize::iterator> byAge_;
  uint64_t clock_ = 0;
  Stats s_;
};

// Never destroyed: tensors freed during process exit still find it.
CachingCpuAllocator* g_alloc = nullptr;

void CachingCpuAllocator::Delete(void* p) {
  if (g_alloc) g_alloc->release(p);
}

// HEMOSEG_CPU_CACHE_MB, or the default: min(2 GiB, physical memory / 4).
size_t cacheLimit() {
  const char* env = std::getenv("HEMOSEG_CPU_CACHE_MB");
  if (env && *env) {
    const std::string v(env);
    char* end = nullptr;
    errno = 0;
    const unsigned long long mb = std::strtoull(v.c_str(), &end, 10);
    if (v.find_first_not_of("0123456789") != std::string::npos || errno || mb > (1ull << 40))
      throw std::invalid_argument("HEMOSEG_CPU_CACHE_MB: expected a whole number of MiB (0 turns the CPU cache off), got '" +
                                  v + "'");
    return static_cast<size_t>(mb) << 20;
  }
  size_t limit = size_t{2} << 30;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) limit = std::min(limit, static_cast<size_t>(pages) * static_cast<size_t>(page) / 4);
  return limit;
}

}  // namespace

namespace hemoseg {

// Called from the addon's Init in every thread that loads it; installs once per process.
void installCpuAllocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    const size_t limit = cacheLimit();
    if (limit == 0) return;  // libtorch's own allocator, as without this file
    g_alloc = new CachingCpuAllocator(limit);
    c10::SetCPUAllocator(g_alloc, /*priority=*/1);
  });
}

}  // namespace hemoseg

OP(cpuCacheStats) {
  const Stats s = g_alloc ? g_alloc->stats() : Stats{};
  auto o = Napi::Object::New(a.env);
  const auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(a.env, v)); };
  o.Set("enabled", Napi::Boolean::New(a.env, g_alloc != nullptr));
  num("limitBytes", g_alloc ? static_cast<double>(g_alloc->limit()) : 0);
  num("allocatedBytes", static_cast<double>(s.allocated));
  num("peakAllocatedBytes", static_cast<double>(s.peakAllocated));
  num("cachedBytes", static_cast<double>(s.cached));
  num("cachedBlocks", static_cast<double>(s.cachedBlocks));
  num("hits", static_cast<double>(s.hits));
  num("misses", static_cast<double>(s.misses));
  num("evictions", static_cast<double>(s.evictions));
  return o;
}

OP(emptyCpuCache) {
  if (g_alloc) g_alloc->empty();
  return a.none();
}
