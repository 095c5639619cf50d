// Distributed collectives on PyTorch's c10d: a TCPStore for the rendezvous (rank 0 hosts it) and
// ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA builds with NCCL headers) as the backend.
//
// distInit / distAllReduce / distBroadcast / distBarrier return promises: the blocking c10d calls
// run on a libuv worker thread, never on the JS thread, and never call into JS. One collective at
// a time per group (src/torch/distributed.ts chains them), so every rank issues them in one order.
//
// Failures never hang past the group's timeout: the backend gets 90% of it, and the remaining 10%
// pays for naming the peer at fault. Every rank's heartbeat thread bumps a counter and publishes
// the number of its current collective in the store; a failed rank reads them twice and names the
// peers whose heartbeat stopped (died or frozen), the peers still behind (alive, not there yet), or
// rank 0 when the store it hosts is gone.
#include "hemoseg.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <c10/util/Logging.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

using namespace hemoseg;
using ms = std::chrono::milliseconds;

namespace {

#ifdef USE_C10D_GLOO
constexpr bool kGloo = true;
#else
constexpr bool kGloo = false;
#endif
#ifdef USE_C10D_NCCL
constexpr bool kNccl = true;
#else
constexpr bool kNccl = false;
#endif

const napi_type_tag kGroupTag = {0x6b1c2f0e5d3a4b79ULL, 0x9e81a4c3d2f05b17ULL};
const napi_type_tag kReducerTag = {0x2d4f8a61c93b7e05ULL, 0x5a0c7e94b1d36f28ULL};

struct Group {
  int rank = 0;
  int size = 1;
  std::string backend;
  std::string addr;
  int port = 0;
  ms timeout{0};
  ms beat{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> pg;
  std::atomic<bool> busy{false};
  std::atomic<int64_t> seq{0};  // collectives started by this rank
  std::atomic<bool> closed{false};
  std::atomic<bool> storeLost{false};  // the heartbeat could not reach the store
  std::thread heartbeat;
  std::mutex m;
  std::condition_variable cv;

  std::string who() const {
    return "rank " + std::to_string(rank) + " of " + std::to_string(size);
  }
  std::string hbKey(int r) const { return "hemoseg/hb/" + std::to_string(r); }
  std::string seqKey(int r) const { return "hemoseg/seq/" + std::to_string(r); }

  void startHeartbeat() {
    auto client = store->clone();
    client->setTimeout(beat * 4);
    heartbeat = std::thread([this, client] {
      std::unique_lock<std::mutex> lk(m);
      while (!closed) {
        try {
          client->set(seqKey(rank), std::to_string(seq.load()));
          client->add(hbKey(rank), 1);
        } catch (...) {
          storeLost = true;  // a failing collective reports it
          return;
        }
        cv.wait_for(lk, beat, [this] { return closed.load(); });
      }
    });
  }

  void close() {
    if (closed.exchange(true)) return;
    cv.notify_all();
    if (heartbeat.joinable()) heartbeat.join();
    pg.reset();
    store.reset();
  }

  static int64_t readInt(c10d::Store& s, const std::string& key) {
    if (!s.check({key})) return -1;
    auto v = s.get(key);
    return std::stoll(std::string(v.begin(), v.end()));
  }

  // Why did collective #n fail? Names the peers at fault (see the file comment).
  std::string diagnose(int64_t n) {
    std::vector<int64_t> beats(size), seqs(size);
    c10::intrusive_ptr<c10d::Store> s;
    try {
      if (storeLost) throw std::runtime_error("store lost");
      c10d::TCPStoreOptions so;  // a client that gives up quickly, unlike clone()
      so.port = static_cast<uint16_t>(port);
      so.waitWorkers = false;
      so.timeout = beat * 2;
      s = c10::make_intrusive<c10d::TCPStore>(addr, so);
      for (int r = 0; r < size; r++) beats[r] = readInt(*s, hbKey(r));
    } catch (const std::exception&) {
      return rank == 0 ? "the store this rank hosts stopped answering"
                       : "rank 0, which hosts the store at " + addr + ":" + std::to_string(port) +
                             ", is unreachable (it has exited or its machine is down)";
    }
    std::this_thread::sleep_for(beat * 5 / 2);
    std::vector<int> stopped, behind;
    try {
      for (int r = 0; r < size; r++) {
        if (r == rank) continue;
        int64_t b = readInt(*s, hbKey(r));
        seqs[r] = readInt(*s, seqKey(r));
        if (b == beats[r]) stopped.push_back(r);
        else if (seqs[r] < n) behind.push_back(r);
      }
    } catch (const std::exception&) {
      return "rank 0, which hosts the store at " + addr + ":" + std::to_string(port) +
             ", stopped answering (it has exited or its machine is down)";
    }
    auto list = [](const std::vector<int>& rs) {
      std::ostringstream o;
      for (size_t k = 0; k < rs.size(); k++) o << (k ? (k + 1 == rs.size() ? " and " : ", ") : "") << rs[k];
      return o.str();
    };
    std::ostringstream o;
    if (!stopped.empty())
      o << "peer rank" << (stopped.size() > 1 ? "s " : " ") << list(stopped)
        << (stopped.size() > 1 ? " have" : " has") << " stopped (no heartbeat: exited, killed or frozen)";
    if (!behind.empty()) {
      if (!stopped.empty()) o << "; ";
      o << "peer rank" << (behind.size() > 1 ? "s " : " ") << list(behind) << " alive but not at this collective (at #";
      for (size_t k = 0; k < behind.size(); k++) o << (k ? ", #" : "") << seqs[behind[k]];
      o << ")";
    }
    if (stopped.empty() && behind.empty()) o << "every peer is alive and has reached this collective";
    return o.str();
  }
};

Group* groupOf(Args& a, size_t i) {
  bool ok = false;
  if (a.size() > i && a.info[i].IsExternal())
    napi_check_object_type_tag(a.env, a.info[i], &kGroupTag, &ok);
  if (!ok) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a process group");
  auto* g = a.info[i].As<Napi::External<Group>>().Data();
  if (g->closed) throw std::runtime_error("process group used after destroy()");
  return g;
}

// Runs fn off the JS thread; the promise resolves with result() (JS thread) or rejects with the
// error fn threw.
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, std::function<void()> fn, std::function<Napi::Value(Napi::Env)> result, Group* g)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fn_(std::move(fn)),
        result_(std::move(result)), group_(g) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      fn_();
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    release();
    deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    release();
    deferred_.Reject(e.Value());
  }

 private:
  void release() {
    if (group_) group_->busy = false;
  }
  Napi::Promise::Deferred deferred_;
  std::function<void()> fn_;
  std::function<Napi::Value(Napi::Env)> result_;
  Group* group_;
};

Napi::Value queue(Args& a, Group* g, std::function<void()> fn,
                  std::function<Napi::Value(Napi::Env)> result = nullptr) {
  if (g && g->busy.exchange(true))
    throw std::runtime_error("distributed: another collective is still running on this process group " +
                             std::string("(await each one before the next)"));
  auto* job = new Job(a.env, std::move(fn), std::move(result), g);
  auto p = job->promise();
  job->Queue();
  return p;
}

// The first line of an exception's message, without c10's backtrace.
std::string firstLine(const std::exception& e) {
  std::string raw = e.what();
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) raw = ce->what_without_backtrace();
  auto nl = raw.find('\n');
  return nl == std::string::npos ? raw : raw.substr(0, nl);
}

// The error of collective #n of this rank: the collective, the peer at fault, the backend's words.
std::runtime_error failure(Group* g, const char* what, int64_t n, const std::string& raw) {
  return std::runtime_error("distributed " + g->who() + ": " + what + " #" + std::to_string(n) + " failed: " +
                            g->diagnose(n) + " [" + g->backend + ": " + raw + "]");
}

// Runs one collective: waits on its work within the backend's timeout and turns any failure into
// an error that names this rank, the collective and the peer at fault.
void run(Group* g, const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
  int64_t n = ++g->seq;
  try {
    auto work = start();
    work->wait();
  } catch (const std::exception& e) {
    throw failure(g, what, n, firstLine(e));
  }
}

// Gradient averaging overlapped with backward, as DDP's reducer does it. The parameters go into
// buckets in reverse order (the order backward produces their gradients); a hook on each one
// copies its gradient into its bucket as soon as autograd has it, and a full bucket starts its
// all-reduce at once (in bucket order, so every rank issues them in one order) while backward goes
// on. finish() starts what is left (parameters without a hook, or without a gradient this step),
// waits for every bucket and writes the means into the gradients. One backward per finish().
struct Reducer {
  Group* g;
  Napi::Reference<Napi::External<Group>> groupRef;  // keeps the group alive
  std::vector<at::Tensor> params;
  struct Bucket {
    std::vector<size_t> idx;   // parameters
    std::vector<int64_t> off;  // their offsets in buf
    at::Tensor buf;
    size_t pending = 0;  // parameters whose gradient has not come yet
    c10::intrusive_ptr<c10d::Work> work;
    int64_t seq = 0;
    std::string error;  // a failure to start
  };
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf, slotOf;
  std::vector<char> ready;
  std::vector<std::pair<size_t, unsigned>> hooks;
  size_t next = 0;  // the first bucket not started
  size_t overlapped = 0;  // buckets the last backward started itself (finish() started the rest)
  std::mutex mu;    // hooks run on autograd's threads (one per device on CUDA)

  Reducer(Group* group, std::vector<at::Tensor> ps, int64_t cap) : g(group), params(std::move(ps)) {
    bucketOf.resize(params.size());
    slotOf.resize(params.size());
    int64_t bytes = 0;
    for (size_t k = params.size(); k-- > 0;) {
      auto& p = params[k];
      int64_t b = p.numel() * p.element_size();
      bool fresh = buckets.empty() || bytes + b > cap;
      if (!fresh) {
        auto& f = params[buckets.back().idx.front()];
        fresh = f.scalar_type() != p.scalar_type() || f.device() != p.device();
      }
      if (fresh) {
        buckets.emplace_back();
        bytes = 0;
      }
      auto& bk = buckets.back();
      bucketOf[k] = buckets.size() - 1;
      slotOf[k] = bk.idx.size();
      bk.off.push_back(bytes / p.element_size());
      bk.idx.push_back(k);
      bytes += b;
    }
    for (auto& bk : buckets) {
      auto& f = params[bk.idx.front()];
      int64_t n = 0;
      for (auto i : bk.idx) n += params[i].numel();
      bk.buf = at::zeros({n}, f.options().requires_grad(false));
    }
    ready.assign(params.size(), 0);
    reset();
  }

  void reset() {
    for (auto& b : buckets) {
      b.pending = b.idx.size();
      b.work.reset();
      b.seq = 0;
      b.error.clear();
    }
    std::fill(ready.begin(), ready.end(), 0);
    next = 0;
  }

  at::Tensor slot(size_t i) {
    auto& b = buckets[bucketOf[i]];
    return b.buf.narrow(0, b.off[slotOf[i]], params[i].numel());
  }

  void start(Bucket& b) {
    b.seq = ++g->seq;
    if (g->closed) {
      b.error = "the process group was destroyed";
      return;
    }
    try {
      std::vector<at::Tensor> v{b.buf};
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      b.work = g->pg->allreduce(v, o);
    } catch (const std::exception& e) {
      b.error = firstLine(e);
    }
  }

  void startReady() {
    while (next < buckets.size() && buckets[next].pending == 0) start(buckets[next++]);
  }

  void onGrad(size_t i, const at::Tensor& grad) {
    std::lock_guard<std::mutex> lk(mu);
    if (ready[i])
      throw std::runtime_error("distributed: a second backward before the gradients were averaged "
                               "(data parallel averages after each backward)");
    at::NoGradGuard ng;
    slot(i).copy_(grad.reshape({-1}));
    ready[i] = 1;
    if (--buckets[bucketOf[i]].pending == 0) startReady();
  }

  // Off the JS thread, after backward.
  void finish() {
    std::lock_guard<std::mutex> lk(mu);
    at::NoGradGuard ng;
    struct Reset {
      Reducer* r;
      ~Reset() { r->reset(); }
    } resetAfter{this};
    overlapped = next;
    for (; next < buckets.size(); next++) {
      auto& b = buckets[next];
      for (auto i : b.idx) {
        if (ready[i]) continue;
        auto gr = params[i].grad();
        if (gr.defined()) slot(i).copy_(gr.reshape({-1}));
        else slot(i).zero_();
      }
      start(b);
    }
    for (auto& b : buckets) {
      if (!b.error.empty()) throw failure(g, "all_reduce", b.seq, b.error);
      try {
        b.work->wait();
      } catch (const std::exception& e) {
        throw failure(g, "all_reduce", b.seq, firstLine(e));
      }
      b.buf.div_(g->size);
    }
    for (size_t i = 0; i < params.size(); i++) {
      auto& gr = params[i].mutable_grad();
      if (gr.defined()) gr.copy_(slot(i).view(gr.sizes()));
    }
  }

  // Removes the hooks and lets go of the parameters and buckets (a detached reducer averages
  // nothing), so their memory does not wait for the garbage collector.
  void detach() {
    std::lock_guard<std::mutex> lk(mu);
    for (auto& [i, h] : hooks) params[i].remove_hook(h);
    hooks.clear();
    params.clear();
    buckets.clear();
    bucketOf.clear();
    slotOf.clear();
    ready.clear();
    next = 0;
  }
};

std::string backendHelp(const std::string& backend) {
  if (backend == "gloo")
    return "distributed training on CPU needs c10d's Gloo backend, but this addon was built without Gloo's "
           "headers: install them (Debian: apt-get install libgloo-dev; scripts/setup.sh does it) and "
           "rebuild the addon (scripts/build-native.sh)";
  return "distributed training on CUDA needs c10d's NCCL backend, but this addon was built without it: use a "
         "CUDA libtorch and the NCCL headers (pip install nvidia-nccl-cu12) and rebuild the addon "
         "(scripts/build-native.sh; see scripts/build-cuda-check.sh)";
}

// Splits tensors into buckets of one dtype and device, at most cap bytes each (a larger tensor
// gets a bucket of its own).
std::vector<std::vector<at::Tensor>> buckets(const std::vector<at::Tensor>& ts, int64_t cap) {
  std::vector<std::vector<at::Tensor>> out;
  std::vector<int64_t> bytes;
  for (auto& t : ts) {
    int64_t b = t.numel() * t.element_size();
    size_t k = 0;
    for (; k < out.size(); k++) {
      auto& f = out[k].front();
      if (f.scalar_type() == t.scalar_type() && f.device() == t.device() && bytes[k] + b <= cap) break;
    }
    if (k == out.size()) {
      out.emplace_back();
      bytes.push_back(0);
    }
    out[k].push_back(t);
    bytes[k] += b;
  }
  return out;
}

}  // namespace

// distBackends() -> { gloo, nccl }: which backends this addon was built with.
OP(distBackends) {
  auto o = Napi::Object::New(a.env);
  o.Set("gloo", Napi::Boolean::New(a.env, kGloo));
  o.Set("nccl", Napi::Boolean::New(a.env, kNccl));
  return o;
}

// distInit(backend "gloo"|"nccl", rank, size, masterAddr, masterPort, timeoutMs, cudaIndex?)
//   -> Promise<group>. Rank 0 hosts the TCPStore; every rank joins within the timeout.
OP(distInit) {
  std::string backend = a.s(0);
  int rank = static_cast<int>(a.i64(1));
  int size = static_cast<int>(a.i64(2));
  std::string addr = a.s(3);
  int port = static_cast<int>(a.i64(4));
  ms timeout(a.i64(5));
  int64_t cudaIndex = a.optI(6).value_or(-1);
  if (backend != "gloo" && backend != "nccl")
    throw std::invalid_argument("distributed: unknown backend '" + backend + "' (gloo or nccl)");
  if ((backend == "gloo" && !kGloo) || (backend == "nccl" && !kNccl)) throw std::runtime_error(backendHelp(backend));
  if (size < 1 || rank < 0 || rank >= size)
    throw std::invalid_argument("distributed: rank " + std::to_string(rank) + " is not in [0, " +
                                std::to_string(size) + ")");
  if (port < 1 || port > 65535) throw std::invalid_argument("distributed: MASTER_PORT " + std::to_string(port) + " is not a port");
  if (timeout.count() < 100) throw std::invalid_argument("distributed: timeout must be at least 100 ms");

  // c10d logs each failed socket call with a stack trace; the errors below say what matters.
  const char* debug = std::getenv("HEMOSEG_DEBUG");
  if (!(debug && std::string(debug) == "1")) FLAGS_caffe2_log_level = std::max<int>(FLAGS_caffe2_log_level, 3);
  auto* g = new Group();
  g->rank = rank;
  g->size = size;
  g->backend = backend;
  g->addr = addr;
  g->port = port;
  g->timeout = timeout;
  g->beat = std::clamp(ms(timeout.count() / 40), ms(20), ms(1000));
  auto ext = Napi::External<Group>::New(a.env, g, [](Napi::Env, Group* p) {
    p->close();
    delete p;
  });
  napi_type_tag_object(a.env, ext, &kGroupTag);
  auto ref = std::make_shared<Napi::Reference<Napi::External<Group>>>(Napi::Persistent(ext));
  return queue(
      a, nullptr,
      [g, cudaIndex] {
        auto backendTimeout = ms(g->timeout.count() * 9 / 10);
        try {
          c10d::TCPStoreOptions so;
          so.port = static_cast<uint16_t>(g->port);
          so.isServer = g->rank == 0;
          so.numWorkers = g->size;
          so.waitWorkers = true;
          so.timeout = backendTimeout;
          g->store = c10::make_intrusive<c10d::TCPStore>(g->addr, so);
        } catch (const std::exception& e) {
          std::string raw = e.what();
          if (auto* ce = dynamic_cast<const c10::Error*>(&e)) raw = ce->what_without_backtrace();
          raw = raw.substr(0, raw.find('\n'));
          throw std::runtime_error(
              "distributed " + g->who() + ": rendezvous at MASTER_ADDR:MASTER_PORT = " + g->addr + ":" +
              std::to_string(g->port) + " failed within " + std::to_string(g->timeout.count() / 1000.0).substr(0, 5) +
              " s (" + (g->rank == 0 ? "this rank hosts the store: is the port free and did every rank start?"
                                     : "is rank 0 running and reachable there?") +
              ") [" + raw + "]");
        }
        if (g->backend == "gloo") {
#ifdef USE_C10D_GLOO
          auto opts = c10d::ProcessGroupGloo::Options::create(backendTimeout);
          const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
          if (ifname && *ifname)
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
          else if (g->addr == "127.0.0.1" || g->addr == "localhost")
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
          else
            opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
          opts->threads = 1;
          g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, g->rank, g->size, opts);
#endif
        } else {
#ifdef USE_C10D_NCCL
          if (cudaIndex >= 0) c10::cuda::set_device(static_cast<c10::DeviceIndex>(cudaIndex));
          setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);  // wait() blocks and throws on timeout
          auto opts = c10d::ProcessGroupNCCL::Options::create();
          opts->timeout = backendTimeout;
          g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, g->rank, g->size, opts);
#endif
        }
        g->startHeartbeat();
      },
      [ref](Napi::Env) { return ref->Value(); });
}

// distAllReduce(group, tensors, "sum"|"avg", bucketBytes) -> Promise: reduces every tensor in
// place, in buckets (flattened into one buffer per bucket, one collective, copied back).
OP(distAllReduce) {
  Group* g = groupOf(a, 0);
  auto ts = a.tensors(1);
  std::string op = a.s(2);
  int64_t cap = a.optI(3).value_or(25 << 20);
  if (op != "sum" && op != "avg") throw std::invalid_argument("allReduce: op must be 'sum' or 'avg', got '" + op + "'");
  for (auto& t : ts) {
    if (op == "avg" && !at::isFloatingType(t.scalar_type()))
      throw std::invalid_argument("allReduce: 'avg' needs floating-point tensors, got " + dtypeName(t.scalar_type()));
    if (t.scalar_type() == at::kBool) throw std::invalid_argument("allReduce: bool tensors are not supported");
  }
  return queue(a, g, [g, ts, op, cap] {
    at::NoGradGuard ng;
    for (auto& bucket : buckets(ts, cap)) {
      bool single = bucket.size() == 1 && bucket[0].is_contiguous();
      std::vector<at::Tensor> flat;
      for (auto& t : bucket) flat.push_back(t.reshape({-1}));
      std::vector<at::Tensor> buf{single ? bucket[0] : at::cat(flat)};
      run(g, "all_reduce", [&] {
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::SUM;
        return g->pg->allreduce(buf, o);
      });
      if (op == "avg") buf[0].div_(g->size);
      if (single) continue;
      int64_t off = 0;
      for (auto& t : bucket) {
        t.copy_(buf[0].narrow(0, off, t.numel()).view(t.sizes()));
        off += t.numel();
      }
    }
  });
}

// distBroadcast(group, tensors, root, bucketBytes) -> Promise: every rank's tensors become root's.
OP(distBroadcast) {
  Group* g = groupOf(a, 0);
  auto ts = a.tensors(1);
  int64_t root = a.i64(2);
  int64_t cap = a.optI(3).value_or(25 << 20);
  if (root < 0 || root >= g->size)
    throw std::invalid_argument("broadcast: root " + std::to_string(root) + " is not a rank of " + g->who());
  return queue(a, g, [g, ts, root, cap] {
    at::NoGradGuard ng;
    for (auto& bucket : buckets(ts, cap)) {
      bool single = bucket.size() == 1 && bucket[0].is_contiguous();
      std::vector<at::Tensor> flat;
      for (auto& t : bucket) flat.push_back(t.reshape({-1}));
      std::vector<at::Tensor> buf{single ? bucket[0] : at::cat(flat)};
      run(g, "broadcast", [&] {
        c10d::BroadcastOptions o;
        o.rootRank = root;
        return g->pg->broadcast(buf, o);
      });
      if (single) continue;
      int64_t off = 0;
      for (auto& t : bucket) {
        t.copy_(buf[0].narrow(0, off, t.numel()).view(t.sizes()));
        off += t.numel();
      }
    }
  });
}

// distBarrier(group) -> Promise: resolves once every rank has reached it.
OP(distBarrier) {
  Group* g = groupOf(a, 0);
  return queue(a, g, [g] { run(g, "barrier", [&] { return g->pg->barrier(c10d::BarrierOptions()); }); });
}

// distDestroy(group): stops the heartbeat and releases the backend and the store (idempotent).
OP(distDestroy) {
  bool ok = false;
  if (a.size() > 0 && a.info[0].IsExternal()) napi_check_object_type_tag(a.env, a.info[0], &kGroupTag, &ok);
  if (!ok) throw std::invalid_argument("argument 0: expected a process group");
  auto* g = a.info[0].As<Napi::External<Group>>().Data();
  if (g->busy) throw std::runtime_error("distributed: destroy() while a collective is running");
  g->close();
  return a.none();
}

// distReducer(group, params, bucketBytes) -> reducer: hooks on params that average their gradients
// over the group while backward runs (see Reducer); distReducerFinish after each backward.
OP(distReducer) {
  Group* g = groupOf(a, 0);
  auto ps = a.tensors(1);
  int64_t cap = a.optI(2).value_or(25 << 20);
  if (cap < 1) throw std::invalid_argument("gradient reducer: bucket bytes must be positive");
  for (auto& p : ps)
    if (!at::isFloatingType(p.scalar_type()))
      throw std::invalid_argument("gradient reducer: parameters must be floating-point, got " + dtypeName(p.scalar_type()));
  auto* r = new Reducer(g, ps, cap);
  r->groupRef = Napi::Persistent(a.info[0].As<Napi::External<Group>>());
  for (size_t i = 0; i < r->params.size(); i++) {
    if (!r->params[i].requires_grad()) continue;  // frozen now: finish() takes its .grad if it has one
    unsigned h = r->params[i].register_hook([r, i](const at::Tensor& grad) { r->onGrad(i, grad); });
    r->hooks.emplace_back(i, h);
  }
  auto ext = Napi::External<Reducer>::New(a.env, r, [](Napi::Env, Reducer* p) {
    p->detach();
    delete p;
  });
  napi_type_tag_object(a.env, ext, &kReducerTag);
  return ext;
}

static Reducer* reducerOf(Args& a, size_t i) {
  bool ok = false;
  if (a.size() > i && a.info[i].IsExternal()) napi_check_object_type_tag(a.env, a.info[i], &kReducerTag, &ok);
  if (!ok) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a gradient reducer");
  return a.info[i].As<Napi::External<Reducer>>().Data();
}

// distReducerFinish(reducer) -> Promise<{ overlapped, buckets }>: after backward, every
// parameter's gradient becomes its mean over the ranks; overlapped of the buckets had started
// during backward.
OP(distReducerFinish) {
  Reducer* r = reducerOf(a, 0);
  if (r->g->closed) throw std::runtime_error("process group used after destroy()");
  return queue(a, r->g, [r] { r->finish(); }, [r](Napi::Env env) {
    auto o = Napi::Object::New(env);
    o.Set("overlapped", Napi::Number::New(env, static_cast<double>(r->overlapped)));
    o.Set("buckets", Napi::Number::New(env, static_cast<double>(r->buckets.size())));
    return o;
  });
}

// distReducerDetach(reducer): removes the hooks (idempotent).
OP(distReducerDetach) {
  reducerOf(a, 0)->detach();
  return a.none();
}
