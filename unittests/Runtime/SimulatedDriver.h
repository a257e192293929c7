//===- SimulatedDriver.h - A CUDA driver and NVRTC on the host --*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A stand-in for libcuda and NVRTC, for testing the worker's device layer
// and evaluation procedure without a GPU. It fills a DriverApi and an
// NvrtcApi with host functions.
//
// Device memory is host memory behind fake addresses. Work enqueued on a
// stream does NOT run when it is enqueued: it runs, in order, only when
// something waits for it (cuStreamSynchronize of its stream,
// cuCtxSynchronize, cuEventSynchronize, or an implicit synchronisation of
// the legacy default stream). That is the latest schedule the CUDA
// semantics allow, so any missing ordering shows up as stale data:
//   - streams created with CU_STREAM_NON_BLOCKING are not ordered with the
//     legacy default stream (handle 0); blocking streams are (work on one
//     waits for earlier legacy work, legacy work waits for earlier work on
//     blocking streams);
//   - the synchronous cuMemcpyHtoD from pageable memory runs on the legacy
//     stream and, as documented, "returns once the pageable buffer has been
//     copied to the staging memory": the first `syncStagingBytes` land at
//     once, the rest only when the legacy stream is next waited for;
//   - asynchronous copies read (and write) the host memory when they run,
//     not when they are enqueued;
//   - kernels are host functions registered by name; they see the launch
//     geometry and the marshalled parameters, and an access outside an
//     allocation is a sticky CUDA_ERROR_ILLEGAL_ADDRESS.
// The simulation counts what was enqueued on which stream, so tests can
// check that the worker keeps all its work on one stream.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_UNITTESTS_RUNTIME_SIMULATEDDRIVER_H
#define CUPILOT_UNITTESTS_RUNTIME_SIMULATEDDRIVER_H

#include "../../lib/Runtime/Server/CudaApi.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cupilot {
namespace sim {

class Gpu;

/// What a simulated kernel sees of its launch.
struct Launch {
  unsigned grid[3];
  unsigned block[3];
  unsigned sharedBytes;
  /// The bytes of each parameter, copied when the kernel was launched.
  std::vector<std::vector<unsigned char>> params;

  template <typename T> T param(size_t i) const {
    T value{};
    std::memcpy(&value, params.at(i).data(),
                std::min(sizeof(T), params.at(i).size()));
    return value;
  }
};

struct Kernel {
  std::string name;
  /// Sizes of the parameters (cuFuncGetParamInfo).
  std::vector<size_t> paramSizes;
  std::function<void(Gpu &, const Launch &)> body;
};

struct Stream {
  unsigned flags = 0;
  bool legacy = false;
  std::deque<std::function<void()>> pending;
  /// Operations ever enqueued here.
  uint64_t enqueued = 0;
};

struct Event {
  Stream *stream = nullptr;
  bool recorded = false;
  bool complete = false;
  double time = 0;
};

struct Module {
  std::string source;
};

class Gpu {
public:
  Gpu() {
    current() = this;
    legacy.legacy = true;
  }
  ~Gpu() {
    if (current() == this)
      current() = nullptr;
  }
  Gpu(const Gpu &) = delete;
  Gpu &operator=(const Gpu &) = delete;

  static Gpu *&current() {
    static Gpu *gpu = nullptr;
    return gpu;
  }

  /// Registers a kernel; a module provides it when its source mentions the
  /// name.
  void addKernel(std::string name, std::vector<size_t> paramSizes,
                 std::function<void(Gpu &, const Launch &)> body) {
    Kernel kernel{name, std::move(paramSizes), std::move(body)};
    kernels[name] = std::make_unique<Kernel>(std::move(kernel));
  }

  /// Host memory of `count` elements of T at device address `address`, or
  /// null (and a sticky illegal-address error) when that is not inside one
  /// allocation.
  template <typename T> T *span(CUdeviceptr address, uint64_t count) {
    unsigned char *p = bytes(address, count * sizeof(T));
    return reinterpret_cast<T *>(p);
  }
  unsigned char *bytes(CUdeviceptr address, uint64_t size) {
    auto it = allocations.upper_bound(address);
    if (it != allocations.begin()) {
      --it;
      uint64_t offset = address - it->first;
      if (address >= it->first && offset + size <= it->second.size())
        return it->second.data() + offset;
    }
    if (sticky == CUDA_SUCCESS)
      sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
    return nullptr;
  }

  // Knobs.
  /// Bytes of a pageable cuMemcpyHtoD that reach the device before it
  /// returns; the rest arrives when the legacy stream is next waited for.
  size_t syncStagingBytes = 4096;
  /// Simulated duration of each kernel, for events.
  double kernelMs = 0.05;

  // State, readable by tests.
  std::map<CUdeviceptr, std::vector<unsigned char>> allocations;
  Stream legacy;
  std::vector<std::unique_ptr<Stream>> streams;
  std::map<std::string, std::unique_ptr<Kernel>> kernels;
  std::vector<std::unique_ptr<Module>> modules;
  std::vector<std::unique_ptr<Event>> events;
  CUresult sticky = CUDA_SUCCESS;
  double clock = 0;
  uint64_t launches = 0;
  CUdeviceptr nextAddress = 0x7f0000000000ull;

  Stream *stream(CUstream handle) {
    return handle ? reinterpret_cast<Stream *>(handle) : &legacy;
  }

  /// Runs everything pending on `s`, in order.
  void drain(Stream *s) {
    while (!s->pending.empty()) {
      std::function<void()> op = std::move(s->pending.front());
      s->pending.pop_front();
      op();
    }
  }
  void drainBlocking() {
    for (auto &s : streams)
      if (s->flags == CU_STREAM_DEFAULT)
        drain(s.get());
  }
  void drainAll() {
    drain(&legacy);
    for (auto &s : streams)
      drain(s.get());
  }

  /// Enqueues `op` on `s` with the legacy stream's implicit ordering, which
  /// the simulation honours by running the work `op` must follow now.
  void enqueue(Stream *s, std::function<void()> op) {
    if (s->legacy)
      drainBlocking();
    else if (s->flags == CU_STREAM_DEFAULT)
      drain(&legacy);
    s->pending.push_back(std::move(op));
    ++s->enqueued;
  }

  /// cuMemcpyHtoD from pageable memory (which the DriverApi no longer
  /// offers): waits for the legacy stream's earlier work, stages the data,
  /// lands the first `syncStagingBytes` and leaves the DMA of the rest on
  /// the legacy stream.
  CUresult memcpyHtoDPageable(CUdeviceptr to, const void *from, size_t n) {
    drainBlocking();
    drain(&legacy);
    size_t now = std::min(n, syncStagingBytes);
    unsigned char *p = bytes(to, n);
    if (!p)
      return sticky;
    std::memcpy(p, from, now);
    auto staged = std::make_shared<std::vector<unsigned char>>(
        static_cast<const unsigned char *>(from) + now,
        static_cast<const unsigned char *>(from) + n);
    if (!staged->empty())
      enqueue(&legacy, [this, to, now, staged] {
        if (unsigned char *d = bytes(to + now, staged->size()))
          std::memcpy(d, staged->data(), staged->size());
      });
    return CUDA_SUCCESS;
  }

  /// Fills `api` with the simulated driver and `nvrtc` with the simulated
  /// compiler: every entry point the worker uses; the virtual memory API is
  /// absent (buffers get canary zones).
  void install(worker::DriverApi &api, worker::NvrtcApi &nvrtc);
};

inline void Gpu::install(worker::DriverApi &api, worker::NvrtcApi &nvrtc) {
  api = worker::DriverApi();
  nvrtc = worker::NvrtcApi();
  api.Init = [](unsigned) { return CUDA_SUCCESS; };
  api.DriverGetVersion = [](int *v) {
    *v = 13000;
    return CUDA_SUCCESS;
  };
  api.GetErrorName = [](CUresult r, const char **s) {
    static std::map<int, std::string> names;
    names[r] = r == CUDA_ERROR_ILLEGAL_ADDRESS
                   ? "CUDA_ERROR_ILLEGAL_ADDRESS"
                   : "CUDA_ERROR_" + std::to_string(int(r));
    *s = names[r].c_str();
    return CUDA_SUCCESS;
  };
  api.GetErrorString = [](CUresult, const char **s) {
    *s = "simulated error";
    return CUDA_SUCCESS;
  };
  api.DeviceGetCount = [](int *n) {
    *n = 1;
    return CUDA_SUCCESS;
  };
  api.DeviceGet = [](CUdevice *d, int ordinal) {
    *d = ordinal;
    return CUDA_SUCCESS;
  };
  api.DeviceGetName = [](char *name, int len, CUdevice) {
    std::strncpy(name, "Simulated GPU", static_cast<size_t>(len));
    return CUDA_SUCCESS;
  };
  api.DeviceGetAttribute = [](int *value, CUdevice_attribute which, CUdevice) {
    switch (which) {
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
      *value = 9;
      break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
      *value = 2;
      break;
    case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE:
      *value = 1 << 20;
      break;
    case CU_DEVICE_ATTRIBUTE_CLOCK_RATE:
      *value = 1000000;
      break;
    default:
      *value = 0;
    }
    return CUDA_SUCCESS;
  };
  api.DeviceTotalMem = [](size_t *bytes, CUdevice) {
    *bytes = size_t(16) << 30;
    return CUDA_SUCCESS;
  };
  api.DevicePrimaryCtxRetain = [](CUcontext *c, CUdevice) {
    *c = reinterpret_cast<CUcontext>(Gpu::current());
    return CUDA_SUCCESS;
  };
  api.DevicePrimaryCtxRelease = [](CUdevice) { return CUDA_SUCCESS; };
  api.CtxSetCurrent = [](CUcontext) { return CUDA_SUCCESS; };
  api.CtxSynchronize = [] {
    Gpu *g = Gpu::current();
    g->drainAll();
    return g->sticky;
  };
  api.ModuleLoadData = [](CUmodule *module, const void *image) {
    Gpu *g = Gpu::current();
    auto m = std::make_unique<Module>();
    m->source = static_cast<const char *>(image);
    *module = reinterpret_cast<CUmodule>(m.get());
    g->modules.push_back(std::move(m));
    return CUDA_SUCCESS;
  };
  api.ModuleUnload = [](CUmodule) { return CUDA_SUCCESS; };
  api.ModuleGetFunction = [](CUfunction *f, CUmodule module, const char *name) {
    Gpu *g = Gpu::current();
    auto it = g->kernels.find(name);
    const Module *m = reinterpret_cast<const Module *>(module);
    if (it == g->kernels.end() || m->source.find(name) == std::string::npos)
      return CUDA_ERROR_NOT_FOUND;
    *f = reinterpret_cast<CUfunction>(it->second.get());
    return CUDA_SUCCESS;
  };
  api.FuncGetAttribute = [](int *value, CUfunction_attribute which,
                            CUfunction) {
    *value = which == CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK ? 1024 : 0;
    return CUDA_SUCCESS;
  };
  api.FuncSetAttribute = [](CUfunction, CUfunction_attribute, int) {
    return CUDA_SUCCESS;
  };
  api.FuncGetParamInfo = [](CUfunction f, size_t index, size_t *offset,
                            size_t *size) {
    const Kernel *k = reinterpret_cast<const Kernel *>(f);
    if (index >= k->paramSizes.size())
      return CUDA_ERROR_INVALID_VALUE;
    *offset = 0;
    for (size_t i = 0; i < index; ++i)
      *offset += k->paramSizes[i];
    *size = k->paramSizes[index];
    return CUDA_SUCCESS;
  };
  api.LaunchKernel = [](CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        CUstream s, void **params, void **) {
    Gpu *g = Gpu::current();
    const Kernel *k = reinterpret_cast<const Kernel *>(f);
    Launch launch{{gx, gy, gz}, {bx, by, bz}, shared, {}};
    for (size_t i = 0; i < k->paramSizes.size(); ++i) {
      const unsigned char *p = static_cast<const unsigned char *>(params[i]);
      launch.params.emplace_back(p, p + k->paramSizes[i]);
    }
    ++g->launches;
    g->enqueue(g->stream(s), [g, k, launch] {
      if (g->sticky != CUDA_SUCCESS)
        return;
      k->body(*g, launch);
      g->clock += g->kernelMs;
    });
    return CUDA_SUCCESS;
  };
  api.MemGetInfo = [](size_t *freeBytes, size_t *total) {
    *freeBytes = size_t(8) << 30;
    *total = size_t(16) << 30;
    return CUDA_SUCCESS;
  };
  api.MemAlloc = [](CUdeviceptr *p, size_t bytes) {
    Gpu *g = Gpu::current();
    *p = g->nextAddress;
    // Garbage, as fresh device memory may hold anything.
    g->allocations[*p].assign(bytes, 0x3C);
    g->nextAddress += (bytes + 0xFFFFF) / 0x100000 * 0x100000 + 0x100000;
    return CUDA_SUCCESS;
  };
  api.MemFree = [](CUdeviceptr p) {
    Gpu *g = Gpu::current();
    return g->allocations.erase(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  };
  api.MemcpyHtoDAsync = [](CUdeviceptr to, const void *from, size_t n,
                           CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, to, from, n] {
      if (unsigned char *p = g->bytes(to, n))
        std::memcpy(p, from, n);
    });
    return CUDA_SUCCESS;
  };
  api.MemcpyDtoHAsync = [](void *to, CUdeviceptr from, size_t n, CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, to, from, n] {
      if (unsigned char *p = g->bytes(from, n))
        std::memcpy(to, p, n);
    });
    return CUDA_SUCCESS;
  };
  api.MemcpyDtoDAsync = [](CUdeviceptr to, CUdeviceptr from, size_t n,
                           CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, to, from, n] {
      unsigned char *src = g->bytes(from, n);
      unsigned char *dst = g->bytes(to, n);
      if (src && dst)
        std::memmove(dst, src, n);
    });
    return CUDA_SUCCESS;
  };
  api.MemsetD8Async = [](CUdeviceptr p, unsigned char v, size_t n, CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, p, v, n] {
      if (unsigned char *d = g->bytes(p, n))
        std::memset(d, v, n);
    });
    return CUDA_SUCCESS;
  };
  api.MemsetD16Async = [](CUdeviceptr p, unsigned short v, size_t n,
                          CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, p, v, n] {
      if (uint16_t *d = g->span<uint16_t>(p, n))
        for (size_t i = 0; i < n; ++i)
          d[i] = v;
    });
    return CUDA_SUCCESS;
  };
  api.MemsetD32Async = [](CUdeviceptr p, unsigned v, size_t n, CUstream s) {
    Gpu *g = Gpu::current();
    g->enqueue(g->stream(s), [g, p, v, n] {
      if (uint32_t *d = g->span<uint32_t>(p, n))
        for (size_t i = 0; i < n; ++i)
          d[i] = v;
    });
    return CUDA_SUCCESS;
  };
  api.StreamCreate = [](CUstream *s, unsigned flags) {
    Gpu *g = Gpu::current();
    auto stream = std::make_unique<Stream>();
    stream->flags = flags;
    *s = reinterpret_cast<CUstream>(stream.get());
    g->streams.push_back(std::move(stream));
    return CUDA_SUCCESS;
  };
  api.StreamDestroy = [](CUstream) { return CUDA_SUCCESS; };
  api.StreamSynchronize = [](CUstream s) {
    Gpu *g = Gpu::current();
    Stream *stream = g->stream(s);
    if (stream->legacy)
      g->drainBlocking();
    g->drain(stream);
    return g->sticky;
  };
  api.EventCreate = [](CUevent *e, unsigned) {
    Gpu *g = Gpu::current();
    g->events.push_back(std::make_unique<Event>());
    *e = reinterpret_cast<CUevent>(g->events.back().get());
    return CUDA_SUCCESS;
  };
  api.EventDestroy = [](CUevent) { return CUDA_SUCCESS; };
  api.EventRecord = [](CUevent e, CUstream s) {
    Gpu *g = Gpu::current();
    Event *event = reinterpret_cast<Event *>(e);
    event->stream = g->stream(s);
    event->recorded = true;
    event->complete = false;
    g->enqueue(event->stream, [g, event] {
      event->time = g->clock;
      event->complete = true;
    });
    return CUDA_SUCCESS;
  };
  api.EventSynchronize = [](CUevent e) {
    Gpu *g = Gpu::current();
    Event *event = reinterpret_cast<Event *>(e);
    if (event->stream)
      g->drain(event->stream);
    return g->sticky;
  };
  api.EventElapsedTime = [](float *ms, CUevent a, CUevent b) {
    const Event *start = reinterpret_cast<const Event *>(a);
    const Event *stop = reinterpret_cast<const Event *>(b);
    if (!start->complete || !stop->complete)
      return CUDA_ERROR_NOT_READY;
    *ms = static_cast<float>(stop->time - start->time);
    return CUDA_SUCCESS;
  };

  // NVRTC: the "cubin" is the source; lowered names are the expressions.
  struct Program {
    std::string source;
    std::vector<std::string> names;
  };
  nvrtc.Version = [](int *major, int *minor) {
    *major = 13;
    *minor = 0;
    return NVRTC_SUCCESS;
  };
  nvrtc.GetErrorString = [](nvrtcResult) { return "simulated NVRTC error"; };
  nvrtc.CreateProgram = [](nvrtcProgram *prog, const char *source, const char *,
                           int, const char *const *, const char *const *) {
    *prog = reinterpret_cast<nvrtcProgram>(new Program{source, {}});
    return NVRTC_SUCCESS;
  };
  nvrtc.DestroyProgram = [](nvrtcProgram *prog) {
    delete reinterpret_cast<Program *>(*prog);
    *prog = nullptr;
    return NVRTC_SUCCESS;
  };
  nvrtc.CompileProgram = [](nvrtcProgram, int, const char *const *) {
    return NVRTC_SUCCESS;
  };
  nvrtc.GetProgramLogSize = [](nvrtcProgram, size_t *size) {
    *size = 1;
    return NVRTC_SUCCESS;
  };
  nvrtc.GetProgramLog = [](nvrtcProgram, char *log) {
    log[0] = 0;
    return NVRTC_SUCCESS;
  };
  nvrtc.GetCUBINSize = [](nvrtcProgram prog, size_t *size) {
    *size = reinterpret_cast<Program *>(prog)->source.size() + 1;
    return NVRTC_SUCCESS;
  };
  nvrtc.GetCUBIN = [](nvrtcProgram prog, char *cubin) {
    const std::string &s = reinterpret_cast<Program *>(prog)->source;
    std::memcpy(cubin, s.c_str(), s.size() + 1);
    return NVRTC_SUCCESS;
  };
  nvrtc.AddNameExpression = [](nvrtcProgram prog, const char *name) {
    reinterpret_cast<Program *>(prog)->names.push_back(name);
    return NVRTC_SUCCESS;
  };
  nvrtc.GetLoweredName = [](nvrtcProgram prog, const char *name,
                            const char **lowered) {
    for (const std::string &n : reinterpret_cast<Program *>(prog)->names)
      if (n == name) {
        *lowered = n.c_str();
        return NVRTC_SUCCESS;
      }
    return NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION;
  };
}

} // namespace sim
} // namespace cupilot

#endif // CUPILOT_UNITTESTS_RUNTIME_SIMULATEDDRIVER_H
