//===- Worker.h - The parent's handle on a cupilot-worker process -*- C++
//-*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The orchestrator never creates a CUDA context: it runs one cupilot-worker
// process per GPU and talks to it over pipes (docs/WorkerProtocol.md). The
// worker runs in its own process group with a scrubbed environment. Every
// request has a deadline; a worker that misses it is killed (SIGKILL to the
// group) and restarted, and so is one that dies or answers garbage. The
// failed request gets a reply with error kind timeout, crashed or
// protocol_error; nothing else is lost.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_RUNTIME_WORKER_H
#define CUPILOT_RUNTIME_WORKER_H

#include "cupilot/Runtime/Protocol.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cupilot {

struct WorkerOptions {
  /// Path of cupilot-worker; empty: next to the running executable, then
  /// on PATH.
  std::string executable;
  /// Passed as --cuda-path unless empty.
  std::string cudaPath;
  /// Passed as --cache-dir unless empty.
  std::string cacheDir;
  int device = 0;
  /// More arguments for the worker (e.g. --driver-library).
  std::vector<std::string> extraArgs;
  /// Variables copied from the parent's environment; everything else is
  /// dropped (LD_PRELOAD, CUDA_LAUNCH_BLOCKING, profiler injection, ...).
  /// PATH is always set to /usr/bin:/bin.
  std::vector<std::string> keepEnvironment = {
      "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",   "CUDA_DEVICE_ORDER", "HOME",
      "TMPDIR",          "NVIDIA_VISIBLE_DEVICES", "NCCL_NVLS_ENABLE"};
  /// How long the worker may take to greet.
  std::chrono::milliseconds startTimeout{30000};
};

class Worker {
public:
  /// Starts a worker and waits for its greeting.
  static llvm::Expected<std::unique_ptr<Worker>> start(WorkerOptions options);
  ~Worker();
  Worker(const Worker &) = delete;
  Worker &operator=(const Worker &) = delete;

  /// Sends `request` (its id is replaced by a fresh one) and waits up to
  /// `timeout` for the reply. A timeout, a dead worker or an undecodable
  /// reply yields a Reply with ok = false and error kind timeout, crashed or
  /// protocol_error, after the worker was killed and restarted. A reply
  /// whose error says the context was lost (runtime_error) also restarts
  /// the worker. Returns an Error only when no worker can be started.
  llvm::Expected<protocol::Reply> call(protocol::Message request,
                                       std::chrono::milliseconds timeout);

  /// Kills the process group and reaps the worker.
  void kill();
  /// Kills (if running) and starts a new worker.
  llvm::Error restart();

  bool isRunning() const { return pid > 0; }
  int getPid() const { return pid; }
  /// Number of restarts since start().
  unsigned getRestarts() const { return restarts; }
  const protocol::Hello &getHello() const { return hello; }
  /// The last (at most 64 KiB) of what the current worker process wrote to
  /// stderr.
  const std::string &getStderrTail() const { return stderrTail; }
  const WorkerOptions &getOptions() const { return options; }

private:
  explicit Worker(WorkerOptions options) : options(std::move(options)) {}
  llvm::Error spawn();
  /// Reads until a message is decoded, the deadline passes or the worker
  /// closes its output. `status` is Complete, Incomplete (timeout or EOF;
  /// `eof` says which) or Malformed.
  protocol::DecodeResult
  readMessage(protocol::Message &out,
              std::chrono::steady_clock::time_point deadline, bool &eof);
  bool writeAll(const std::string &data,
                std::chrono::steady_clock::time_point deadline);
  void drainStderr();
  /// Reaps the worker if it exited; returns its status text ("exit 10",
  /// "signal 9") or "" if it is still running.
  std::string reap(bool wait);
  protocol::Reply failure(uint64_t id, protocol::ErrorKind kind,
                          std::string message);

  WorkerOptions options;
  int pid = -1;
  int toWorker = -1;
  int fromWorker = -1;
  int workerStderr = -1;
  std::string pending;
  std::string stderrTail;
  std::string lastExit;
  protocol::Hello hello;
  uint64_t nextId = 1;
  unsigned restarts = 0;
};

} // namespace cupilot

#endif // CUPILOT_RUNTIME_WORKER_H
