//===- WorkerServer.h - The request loop of cupilot-worker ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The worker side of docs/WorkerProtocol.md. Plain C++17: cupilot-worker
// links no LLVM, loads libcuda and libnvrtc with dlopen, and creates its CUDA
// context only when a request needs the GPU.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_RUNTIME_WORKERSERVER_H
#define CUPILOT_RUNTIME_WORKERSERVER_H

#include <string>

namespace cupilot {
namespace worker {

/// Exit codes of cupilot-worker (docs/WorkerProtocol.md). Where a meaning
/// is shared with cupilot-opt (docs/CommandLine.md) the value is the same.
enum ExitStatus : int {
  ExitSuccess = 0,
  ExitUsage = 1,
  /// A request could not be decoded.
  ExitBadRequest = 2,
  /// No CUDA driver, GPU or NVRTC where the request needed one.
  ExitNoDevice = 6,
  /// One-shot mode: the candidate failed verification, or the reference is
  /// invalid.
  ExitVerificationFailed = 7,
  /// One-shot mode: a program did not compile.
  ExitCompileError = 9,
  /// A kernel faulted (or the context was otherwise lost); the worker
  /// replied and exited, and must be restarted.
  ExitContextLost = 10,
  /// One-shot mode: a launch was refused.
  ExitLaunchError = 11,
  /// One-shot mode: the request did not fit in device memory.
  ExitOutOfMemory = 12,
  ExitInternal = 70,
};

struct ServerOptions {
  /// CUDA toolkit root: NVRTC is looked for in <cudaPath>/lib64 and the
  /// headers in <cudaPath>/include.
  std::string cudaPath = "/usr/local/cuda";
  /// Directory of the cubin cache; empty disables the on-disk cache.
  std::string cacheDir;
  /// Driver library to open instead of libcuda.so.1.
  std::string driverLibrary;
  /// NVRTC library to open instead of searching for one.
  std::string nvrtcLibrary;
  /// CUPTI library to open instead of searching the toolkit.
  std::string cuptiLibrary;
  /// NVML library to open instead of libnvidia-ml.so.1.
  std::string nvmlLibrary;
  int device = 0;
};

/// Version of cupilot-worker, reported by --version and the greeting.
const char *workerVersion();

/// Serves requests read from `inFd`, writing replies to `outFd`, until end
/// of input or a `quit` request. In the server mode (`greet`) a `hello`
/// message is sent first and the exit status is ExitSuccess unless the
/// context was lost or the input was malformed; in one-shot mode the status
/// also reflects the last reply (ExitNoDevice, ExitVerificationFailed, ...).
int serve(const ServerOptions &options, int inFd, int outFd, bool greet);

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_RUNTIME_WORKERSERVER_H
