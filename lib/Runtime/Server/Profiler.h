//===- Profiler.h - Hardware counters (CUPTI) and clocks (NVML) -*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Both libraries are opened with dlopen, like the driver: the worker starts
// and evaluates without them, and says in a note why a metric or a clock is
// missing instead of inventing one.
//
// Profiler: the CUPTI range profiler (cupti_range_profiler.h and
// cupti_profiler_host.h, CUDA 12.6 and later) with a user range and user
// replay: the profiled run (all launches of one side) is one range, run once
// per pass the metrics need, each pass prepared like a timed repetition.
// Hardware counters need permission (NVreg_RestrictProfilingToAdminUsers=0, or
// admin rights); without it the profiler reports "not permitted" once and is
// not tried again.
//
// Nvml: SM and memory clocks, temperature, power and the clock event
// (throttle) reasons of the worker's GPU, found by UUID.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_PROFILER_H
#define CUPILOT_LIB_RUNTIME_SERVER_PROFILER_H

#include "cupilot/Runtime/Protocol.h"

#include <cuda.h>

#include <functional>
#include <memory>
#include <string>

namespace cupilot {
namespace worker {

class Device;

class Profiler {
public:
  /// `library`: libcupti to open instead of searching `<cudaPath>`.
  Profiler(std::string cudaPath, std::string library);
  ~Profiler();
  Profiler(const Profiler &) = delete;
  Profiler &operator=(const Profiler &) = delete;

  /// Collects the counters of the launches `run` enqueues and waits for,
  /// as one range. The metrics need several passes: before each, `prepare`
  /// puts the buffers back in the state of the first (inputs restored,
  /// outputs poisoned, L2 flushed). Both return false on an error they
  /// have reported themselves; profiling then stops and `runFailed` is set
  /// (the caller's error, not the profiler's). `launches` is how many
  /// kernel launches `run` makes. Returns true with `out` filled, or false
  /// with `note` saying why there are no metrics.
  bool profile(Device &device, unsigned launches,
               const std::function<bool()> &prepare,
               const std::function<bool()> &run, protocol::ProfileMetrics &out,
               std::string &note, bool &runFailed);

  /// The hardware metrics the profiler asks for (exposed for docs/tests).
  static const char *const *metricNames(size_t &count);

  struct Api;

private:
  bool load(std::string &note);

  std::string cudaPath;
  std::string library;
  std::unique_ptr<Api> api;
  bool loadTried = false;
  /// Set once profiling is known to be impossible on this machine (no
  /// library, not permitted, unsupported device): later requests get the
  /// same note without trying again.
  std::string permanentNote;
};

class Nvml {
public:
  explicit Nvml(std::string library);
  ~Nvml();
  Nvml(const Nvml &) = delete;
  Nvml &operator=(const Nvml &) = delete;

  /// Finds the GPU with the driver's UUID (32 hex digits); false with
  /// `note` when NVML or the GPU is not available.
  bool open(const std::string &uuid, std::string &note);
  /// One sample of the clocks and state; false with `note` on failure.
  bool sample(protocol::ClockSample &out, std::string &note);

  struct Api;

private:
  std::string library;
  std::unique_ptr<Api> api;
  void *device = nullptr;
  bool opened = false;
  std::string openNote;
};

/// Merges `sample` into the aggregate of phase `during`: lowest clocks,
/// highest temperature and power, union of the reasons.
void accumulateClockSample(protocol::ClockSample &during,
                           const protocol::ClockSample &sample);

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_PROFILER_H
