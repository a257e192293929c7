//===- CompilePool.h - Compiling variants ahead of the GPU worker -*- C++ -*-=//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A CompilePool runs `compile` requests (docs/WorkerProtocol.md) on a few
// compile-only cupilot-worker processes, one per pool thread, that share the
// GPU worker's cache directory. Compiling a generation's candidates there
// while the GPU worker evaluates lets the evaluation find each cubin (or the
// compile error and its log) in the cache. The pool only fills the cache:
// the evaluation on the GPU worker stays the one source of verdicts, so
// what the tuning database records does not depend on the pool, on its
// size or on timing. A compile worker that crashes or hangs is restarted
// (Worker::call); a crashed job is tried once more, and a job that still
// gets no answer is left to the GPU worker, which compiles it as it would
// without a pool.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_COMPILEPOOL_H
#define CUPILOT_TUNER_COMPILEPOOL_H

#include "cupilot/Runtime/Protocol.h"
#include "cupilot/Runtime/Worker.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cupilot {

/// What one compile job found.
struct CompileOutcome {
  enum class Status {
    /// Compiled (or found in the cache): `hash`, `cacheHit`, `log`.
    Compiled,
    /// NVRTC refused it: `message` and `log`, cached for the GPU worker.
    CompileError,
    /// No answer (the compile worker crashed, hung, could not start or
    /// refused the request): `message`; the GPU worker compiles it.
    WorkerFailure,
  };
  Status status = Status::WorkerFailure;
  bool cacheHit = false;
  /// NVRTC time (or cache lookup time) in the compile worker.
  double milliseconds = 0;
  std::string hash;
  std::string message;
  std::string log;
  /// Worker restarts while running this job.
  unsigned restarts = 0;
};

class CompilePool {
public:
  /// A pool of `jobs` (at least 1) threads, each with its own compile-only
  /// worker started from `worker` (on its first job) with no device
  /// needed; every request gets `timeout`.
  CompilePool(WorkerOptions worker, unsigned jobs,
              std::chrono::milliseconds timeout);
  /// Drops the jobs not started, waits for those running, stops the
  /// workers.
  ~CompilePool();
  CompilePool(const CompilePool &) = delete;
  CompilePool &operator=(const CompilePool &) = delete;

  /// Queues `request` (first in, first started); returns its ticket.
  size_t submit(protocol::CompileRequest request);
  /// Waits for the job of `ticket` and returns its outcome (once).
  CompileOutcome wait(size_t ticket);

  unsigned getJobs() const { return static_cast<unsigned>(threads.size()); }

private:
  void serve(unsigned index);
  CompileOutcome runJob(std::unique_ptr<Worker> &worker,
                        const protocol::CompileRequest &request);

  WorkerOptions options;
  std::chrono::milliseconds timeout;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<size_t, protocol::CompileRequest>> queue;
  std::map<size_t, CompileOutcome> done;
  size_t nextTicket = 0;
  bool stopping = false;
};

} // namespace cupilot

#endif // CUPILOT_TUNER_COMPILEPOOL_H
