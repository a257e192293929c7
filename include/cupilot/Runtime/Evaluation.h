//===- Evaluation.h - Evaluating a variant of a task ------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// evaluateTask turns a Task into concrete worker requests (every expression
// evaluated for the main shape and each verify shape), runs them on a
// cupilot-worker, and folds the replies into one EvaluationResult: the
// verdict, why, the timing of baseline and candidate, resources, and the
// integrity block. A variant that fails (does not compile, is wrong, faults,
// hangs) is a successful evaluation with a failing verdict; an llvm::Error
// means the evaluation itself could not be made (bad task, no worker, no
// device).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_RUNTIME_EVALUATION_H
#define CUPILOT_RUNTIME_EVALUATION_H

#include "cupilot/Runtime/Protocol.h"
#include "cupilot/Runtime/Worker.h"
#include "cupilot/Strategy/Task.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cupilot {

enum class Verdict {
  Passed,
  /// Verification failed (mismatch, unwritten output, modified input,
  /// out-of-bounds write, nondeterminism, suspect timing, ...).
  Failed,
  /// The reference itself is unusable (nondeterministic, leaves outputs
  /// unwritten, modifies inputs): do not tune against it.
  ReferenceInvalid,
  /// The variant breaks the task's precision policy (compile options).
  PolicyViolation,
  CompileError,
  LaunchError,
  /// A kernel faulted (illegal address, trap, ...).
  RuntimeError,
  Timeout,
  Crashed,
  OutOfMemory,
  /// The worker answered something unexpected.
  ProtocolError,
};
llvm::StringRef toString(Verdict verdict);

/// Ceilings of the device for the roofline: the memory roof and a compute
/// roof per precision (`f16`, `f32`, `f64`), in GB/s and GFLOP/s.
struct DevicePeaks {
  double bandwidthGBs = 0;
  std::map<std::string, double> gflops;
};

/// One program's place on the roofline.
struct RooflinePoint {
  /// `measured` (DRAM bytes and FLOPs from the hardware counters) or
  /// `static` (the buffers' bytes and, if known, the static FLOP estimate).
  std::string source;
  double timeMs = 0;
  double bytes = 0;
  std::optional<double> flops;
  /// The precision whose compute roof applies (the one with most FLOPs).
  std::string precision;
  double bandwidthGBs = 0;
  std::optional<double> gflops;
  /// FLOPs per byte.
  std::optional<double> intensity;
  /// `memory`, `compute` or `latency` (below 10% of the applicable
  /// ceiling: neither roof explains the time).
  std::string bound;
  /// Achieved bandwidth over the memory roof (memory-bound) or achieved
  /// FLOP/s over the compute roof of `precision` (compute-bound), in %.
  double percentOfCeiling = 0;
};

/// Places a program that ran `timeMs` on the roofline of `peaks`. With
/// `measured` DRAM bytes (read + written) and FLOPs, those are used
/// (source `measured`); otherwise `staticBytes` and `staticFlops` (source
/// `static`). The compute roof is that of the precision with most FLOPs
/// (f32 for the static estimate); without FLOPs only the memory roof
/// applies. None when the time or the bytes are unknown, or `peaks` has no
/// memory roof.
std::optional<RooflinePoint>
placeOnRoofline(double timeMs, const protocol::ProfileMetrics *measured,
                std::optional<double> staticFlops, double staticBytes,
                const DevicePeaks &peaks);

struct EvaluateOptions {
  /// Used by the evaluateTask overload that starts its own worker.
  WorkerOptions worker;
  /// NVRTC options of the reference and of the candidate.
  std::vector<std::string> referenceOptions;
  std::vector<std::string> candidateOptions;
  /// Names used in NVRTC diagnostics.
  std::string referenceName = "reference.cu";
  std::string candidateName = "candidate.cu";
  /// `sm_XX`; empty: the device's.
  std::string arch;
  /// Verification seeds are task.seed, task.seed + 1, ... (at least 2).
  unsigned numSeeds = 2;
  /// Time the main shape (baseline = reference, interleaved).
  bool time = true;
  protocol::TimingSpec timing;
  /// Deadline of each request (one per shape).
  std::chrono::milliseconds timeout{120000};
  /// The candidate's launch geometry, when a rewrite changed it (a new block
  /// shape; fewer blocks because each thread handles several elements).
  /// Only the grid, block and shared_bytes expressions of its launches are
  /// used, evaluated per shape exactly like the task's (with the task's
  /// sizes, verify-shape overrides and `block.x/y/z` of the candidate's own
  /// block); sizes, arguments, tolerances, shapes, seeds and repeats come
  /// from the task. It must have as many launches as the task, with the same
  /// kernel, arguments, repeat and loop_var in each (else an InputError),
  /// and a launch argument may not evaluate differently under the two
  /// geometries. The reference always runs with the task's geometry.
  /// Unset: the candidate runs with the task's geometry too.
  std::optional<Task> candidateTask;
  /// Profile one extra, untimed run of each side of the main shape with the
  /// hardware counters (CUPTI). Without permission the result has a note
  /// instead of metrics.
  bool profile = true;
  /// Device ceilings: when set, the result places baseline and candidate
  /// on the roofline.
  std::optional<DevicePeaks> peaks;
};

/// The outcome on one shape.
struct ShapeResult {
  /// `main` or `verify_shapes[i]`.
  std::string label;
  /// The evaluated sizes, in declaration order.
  std::vector<std::pair<std::string, int64_t>> sizes;
  protocol::Reply reply;
};

struct EvaluationResult {
  Verdict verdict = Verdict::Passed;
  /// A short reason: the finding kind (`mismatch`, `input-modified`, ...),
  /// the CUDA fault (`illegal address`) or the error kind.
  std::string reason;
  /// Human-readable detail (first finding, error message, compile log).
  std::string message;
  /// Shapes in the order they were evaluated (verify shapes first, the main
  /// shape last); evaluation stops at the first failing shape.
  std::vector<ShapeResult> shapes;
  std::optional<protocol::DeviceInfo> device;
  std::optional<protocol::TimingStats> baseline;
  std::optional<protocol::TimingStats> candidate;
  /// baseline median / candidate median; 0 when not timed.
  double speedup = 0;
  /// Bytes of all buffers of the main shape (each counted once), and the
  /// bandwidth that implies at the candidate's median time.
  uint64_t bufferBytes = 0;
  double candidateBandwidthGBs = 0;
  std::vector<protocol::KernelResources> resources;
  std::optional<protocol::Integrity> integrity;
  /// Hardware counters of the main shape (`reference` and `candidate`),
  /// when profiled.
  std::optional<protocol::ProfileMetrics> baselineMetrics;
  std::optional<protocol::ProfileMetrics> candidateMetrics;
  /// NVML samples around the main shape's timing.
  std::vector<protocol::ClockSample> clocks;
  /// A sample had a power or thermal clock event reason: the times may be
  /// slower than the device can do.
  bool throttled = false;
  /// What could not be measured, and why (profiling not permitted, no
  /// NVML, ...), from every shape.
  std::vector<protocol::Note> notes;
  /// With EvaluateOptions::peaks and a timing.
  std::optional<RooflinePoint> baselineRoofline;
  std::optional<RooflinePoint> candidateRoofline;
  /// Worker restarts caused by this evaluation.
  unsigned workerRestarts = 0;

  bool passed() const { return verdict == Verdict::Passed; }
};

/// The sizes of one shape (0: the main shape, i > 0: verify_shapes[i - 1])
/// in declaration order.
llvm::Expected<std::vector<std::pair<std::string, int64_t>>>
evaluateShapeSizes(const Task &task, size_t shape);

/// The concrete request for one shape (0: the main shape, i > 0:
/// verify_shapes[i - 1]). Expressions are evaluated here; `repeat` launches
/// are unrolled with their loop variable. With `options.candidateTask`,
/// `candidateLaunches` holds the candidate's launches (same kernels and
/// arguments, the candidate task's geometry); otherwise it is empty. Fails
/// with an InputError on a task that does not evaluate (run validateTask
/// first for diagnostics with file positions) or a candidate task that
/// changes more than the geometry.
llvm::Expected<protocol::EvaluateRequest> buildEvaluateRequest(
    const Task &task, size_t shape, llvm::StringRef referenceSource,
    llvm::StringRef candidateSource, const EvaluateOptions &options);

/// The compile-only request for the candidate of `buildEvaluateRequest`:
/// the same program (name, options, source) and name expressions (the
/// launched kernels, in order of first launch), for `arch` (a worker
/// without a device must be told the device's), so that it fills the
/// worker cache under the key the evaluation will look up.
llvm::Expected<protocol::CompileRequest>
buildCompileRequest(const Task &task, llvm::StringRef candidateSource,
                    const EvaluateOptions &options, llvm::StringRef arch);

/// Evaluates `candidateSource` against `referenceSource` (the original
/// kernel unless the task names another reference) on `worker`.
llvm::Expected<EvaluationResult> evaluateTask(Worker &worker, const Task &task,
                                              llvm::StringRef referenceSource,
                                              llvm::StringRef candidateSource,
                                              const EvaluateOptions &options);

/// Same, on a worker started (and stopped) for this call.
llvm::Expected<EvaluationResult> evaluateTask(const Task &task,
                                              llvm::StringRef referenceSource,
                                              llvm::StringRef candidateSource,
                                              const EvaluateOptions &options);

/// Measures the device's copy bandwidth (bytes read + written per second)
/// with a device-to-device copy of `bytes`; cached per device by the
/// worker when it has a cache directory.
llvm::Expected<protocol::Calibration>
calibrateBandwidth(Worker &worker, uint64_t bytes,
                   std::chrono::milliseconds timeout, bool force = false);

/// Measures FLOP rates (`fma` kernels, cuBLAS GEMMs); each is cached per
/// device and driver by the worker when it has a cache directory. Rates the
/// worker cannot measure (no cuBLAS, ...) are missing from the result and
/// explained in `notes`.
llvm::Expected<std::vector<protocol::FlopsCalibration>>
calibrateFlops(Worker &worker, const std::vector<protocol::FlopsSpec> &specs,
               std::chrono::milliseconds timeout, bool force = false,
               std::vector<protocol::Note> *notes = nullptr);

/// The device the worker drives.
llvm::Expected<protocol::DeviceInfo>
queryDevice(Worker &worker, std::chrono::milliseconds timeout);

llvm::json::Value toJSON(const EvaluationResult &result);
/// A few aligned lines: verdict and reason, times, speedup, resources.
void printEvaluation(llvm::raw_ostream &os, const EvaluationResult &result);

} // namespace cupilot

#endif // CUPILOT_RUNTIME_EVALUATION_H
