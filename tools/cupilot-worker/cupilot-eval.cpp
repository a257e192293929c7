//===- cupilot-eval.cpp - Evaluate candidates of a task on a GPU ----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Thin main over cupilot::evaluateTask (lib/Runtime): verifies and times
// each candidate against the reference in one cupilot-worker, printing one
// block per candidate (and JSON with --json). See docs/Runtime.md.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Evaluation.h"
#include "cupilot/Strategy/TaskIO.h"
#include "cupilot/Support/Error.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace cupilot;
namespace cl = llvm::cl;

static cl::OptionCategory category("cupilot-eval options");
static cl::list<std::string> candidates(cl::Positional,
                                        cl::desc("<candidate.cu>..."),
                                        cl::cat(category));
static cl::opt<std::string> taskFile("task", cl::desc("Task file"),
                                     cl::Required, cl::value_desc("file"),
                                     cl::cat(category));
static cl::opt<std::string> candidateTaskFile(
    "candidate-task",
    cl::desc("Task whose launch geometry (grid, block, shared_bytes) the "
             "candidates use"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string>
    referenceFile("reference", cl::desc("Reference .cu (the original kernel)"),
                  cl::Required, cl::value_desc("file"), cl::cat(category));
static cl::list<std::string>
    referenceOptions("reference-option",
                     cl::desc("NVRTC option for the reference"),
                     cl::cat(category));
static cl::list<std::string>
    candidateOptions("candidate-option",
                     cl::desc("NVRTC option for the candidates"),
                     cl::cat(category));
static cl::opt<std::string>
    workerPath("worker", cl::desc("cupilot-worker path"), cl::cat(category));
static cl::opt<std::string> cudaPath("cuda-path", cl::desc("CUDA toolkit root"),
                                     cl::init("/usr/local/cuda"),
                                     cl::cat(category));
static cl::opt<std::string> cacheDir("cache-dir", cl::desc("Cubin cache"),
                                     cl::cat(category));
static cl::list<std::string> workerArgs("worker-arg",
                                        cl::desc("Extra worker argument"),
                                        cl::cat(category));
static cl::opt<std::string> arch("arch", cl::desc("sm_XX (default: device)"),
                                 cl::cat(category));
static cl::opt<unsigned> timeoutSeconds("timeout",
                                        cl::desc("Seconds per request"),
                                        cl::init(120), cl::cat(category));
static cl::opt<unsigned> seeds("seeds", cl::desc("Verification seeds (>= 2)"),
                               cl::init(2), cl::cat(category));
static cl::opt<bool> noTiming("no-timing", cl::desc("Verify only"),
                              cl::cat(category));
static cl::opt<double> maxTimeMs("max-time-ms",
                                 cl::desc("Cap on measured time per shape"),
                                 cl::init(3000), cl::cat(category));
static cl::opt<bool> calibrate("calibrate",
                               cl::desc("Measure device bandwidth first"),
                               cl::cat(category));
static cl::opt<unsigned> calibrateMiB("calibrate-mib",
                                      cl::desc("Calibration copy size"),
                                      cl::init(256), cl::cat(category));
static cl::opt<bool> noProfile("no-profile",
                               cl::desc("Do not collect hardware counters"),
                               cl::cat(category));
static cl::opt<std::string> jsonFile("json", cl::desc("Write results as JSON"),
                                     cl::value_desc("file"), cl::cat(category));

static llvm::Expected<std::string> readSource(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError(ExitCode::InputError, "cannot read '{0}': {1}", path,
                     buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

static llvm::Expected<int> run() {
  auto task = readTaskFile(taskFile);
  if (!task)
    return task.takeError();
  auto reference = readSource(referenceFile);
  if (!reference)
    return reference.takeError();
  EvaluateOptions options;
  if (!candidateTaskFile.empty()) {
    auto candidateTask = readTaskFile(candidateTaskFile);
    if (!candidateTask)
      return candidateTask.takeError();
    options.candidateTask = std::move(*candidateTask);
  }
  options.worker.executable = workerPath;
  options.worker.cudaPath = cudaPath;
  options.worker.cacheDir = cacheDir;
  options.worker.extraArgs.assign(workerArgs.begin(), workerArgs.end());
  options.referenceOptions.assign(referenceOptions.begin(),
                                  referenceOptions.end());
  options.candidateOptions.assign(candidateOptions.begin(),
                                  candidateOptions.end());
  options.arch = arch;
  options.numSeeds = seeds;
  options.time = !noTiming;
  options.timing.maxTimeMs = maxTimeMs;
  options.timeout = std::chrono::seconds(timeoutSeconds);
  options.profile = !noProfile;
  auto worker = Worker::start(options.worker);
  if (!worker)
    return worker.takeError();

  double deviceBandwidth = 0;
  if (calibrate) {
    auto calibration = calibrateBandwidth(
        **worker, uint64_t(calibrateMiB) << 20, options.timeout, true);
    if (!calibration)
      return calibration.takeError();
    deviceBandwidth = calibration->bandwidthGBs;
    llvm::outs() << llvm::format("calibration: %.1f GB/s (device-to-device "
                                 "copy of %u MiB, median %.4f ms)\n",
                                 deviceBandwidth, unsigned(calibrateMiB),
                                 calibration->medianMs);
    // The compute roofs: measured FMA-chain rates (cached per device and
    // driver by the worker), the memory roof: the measured copy.
    std::vector<protocol::Note> notes;
    auto flops = calibrateFlops(
        **worker,
        {{"f32", "fma", 8192}, {"f64", "fma", 8192}, {"f16", "fma", 8192}},
        options.timeout, false, &notes);
    if (!flops)
      return flops.takeError();
    DevicePeaks peaks;
    peaks.bandwidthGBs = deviceBandwidth;
    for (const protocol::FlopsCalibration &c : *flops) {
      peaks.gflops[c.precision] = c.gflops;
      llvm::outs() << llvm::format("flops-calibration: %s %s %.1f GFLOP/s "
                                   "(median %.4f ms%s)\n",
                                   c.precision.c_str(), c.method.c_str(),
                                   c.gflops, c.medianMs,
                                   c.cached ? ", cached" : "");
    }
    for (const protocol::Note &note : notes)
      llvm::outs() << "note: " << note.topic << ": " << note.message << "\n";
    options.peaks = peaks;
  }
  std::vector<std::string> paths(candidates.begin(), candidates.end());
  if (paths.empty())
    paths.push_back(referenceFile);
  llvm::json::Array results;
  int status = 0;
  for (const std::string &file : paths) {
    auto source = readSource(file);
    if (!source)
      return source.takeError();
    options.candidateName = llvm::sys::path::filename(file).str();
    auto result = evaluateTask(**worker, *task, *reference, *source, options);
    if (!result)
      return result.takeError();
    llvm::outs() << "== candidate: " << file << "\n";
    printEvaluation(llvm::outs(), *result);
    if (deviceBandwidth > 0 && result->candidateBandwidthGBs > 0)
      llvm::outs() << llvm::format("bandwidth-fraction: %.3f\n",
                                   result->candidateBandwidthGBs /
                                       deviceBandwidth);
    llvm::json::Value json = toJSON(*result);
    json.getAsObject()->try_emplace("candidate_file", file);
    results.push_back(std::move(json));
    if (!result->passed())
      status = static_cast<int>(ExitCode::VerificationFailed);
  }
  if (!jsonFile.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream out(jsonFile, ec);
    if (ec)
      return makeError(ExitCode::OutputError, "cannot write '{0}': {1}",
                       jsonFile, ec.message());
    out << llvm::formatv("{0:2}", llvm::json::Value(std::move(results)))
        << "\n";
  }
  return status;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "cupilot-eval: verify and time candidate kernels of a task on a GPU\n");
  auto status = run();
  if (!status)
    return reportAndGetExitCode("cupilot-eval", status.takeError());
  return *status;
}
