//===- Evolution.h - Strategy-level evolution of one kernel -----*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Evolves one kernel of a parsed file against its task: genomes (ordered
// sets of strategies with bound parameters) are seeded from the strategies
// that apply to the kernel and its measured roofline class and from the best
// genomes of this and similar kernels in the tuning database (Seeding.h);
// each generation keeps the elite, breeds children by strategy-level
// crossover and mutation steered by the roofline class, deduplicates
// identical variants, compiles the new ones ahead on compile-only workers
// (CompilePool.h) and evaluates them, in order, on the GPU worker. Every
// evaluation is committed to the database before
// the next starts, and evaluations already in the database are reused, so a
// killed run resumes where it stopped; with the same measurements, a seed
// reproduces the run.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_EVOLUTION_H
#define CUPILOT_TUNER_EVOLUTION_H

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/LLM/Client.h"
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Runtime/Evaluation.h"
#include "cupilot/Strategy/Strategy.h"
#include "cupilot/Strategy/Task.h"
#include "cupilot/Tuner/TuningDatabase.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace cupilot {

struct EvolveOptions {
  unsigned generations = 5;
  unsigned population = 8;
  unsigned maxEvaluations = 48;
  std::chrono::seconds wallTime{1200};
  /// Stop after this many generations without a better best.
  unsigned patience = 2;
  uint64_t seed = 1;
  /// A variant must beat the original by this factor to count as a win.
  double minSpeedup = 1.02;
  /// Elite genomes carried to the next generation unchanged.
  unsigned elite = 2;
  EvaluateOptions evaluate;
  /// Progress on a terminal (one updating line) instead of log lines.
  bool terminal = false;
  /// Frontend options, used when a rewrite step re-parses its output.
  FrontendOptions frontend;
  /// Where instantiate-template finds named templates (ApplyOptions).
  std::string templatesDir;
  /// The LLM (docs/LLM.md). When enabled, the Strategist is asked once per
  /// generation for up to `llmGenomesPerGeneration` genomes, the Translator
  /// writes the code of strategies that need it, and the Revisor gets one
  /// attempt at translated code that does not compile. When disabled,
  /// strategies that need a Translator do not apply.
  llm::Config llm;
  unsigned llmGenomesPerGeneration = 4;
  /// Compile-only workers (CompilePool.h) that compile each generation's
  /// candidates ahead of the GPU worker into its cache directory (which the
  /// GPU worker must have); 0: the GPU worker compiles each candidate as it
  /// evaluates it. Results do not depend on it.
  unsigned jobs = 0;
};

/// Measured device ceilings used to place variants on the roofline.
struct DeviceCeilings {
  std::string name;
  std::string arch;
  /// The memory roof: max(attribute peak, measured copy bandwidth).
  double peakBandwidthGBs = 0;
  /// Device-to-device copy bandwidth measured by the worker (0: none).
  double measuredBandwidthGBs = 0;
  /// Compute roofs: max(theoretical from attributes, measured FMA-chain
  /// rate); f16 is the measured half2 FMA rate only (0: unknown).
  double peakGflopsF32 = 0;
  double peakGflopsF64 = 0;
  double peakGflopsF16 = 0;
  /// Measured rates by `precision/method` (`f32/fma`), from the worker's
  /// cached calibration.
  std::map<std::string, double> measuredGflops;
};

struct KernelEvolution {
  /// The report entry (`kernels[i]` of `cupilot.report/v1`).
  llvm::json::Value report = nullptr;
  std::optional<BestVariant> best;
  unsigned evaluations = 0;
  unsigned reused = 0;
};

/// Queries the device and calibrates its bandwidth (cached per device by the
/// worker).
llvm::Expected<DeviceCeilings> measureDevice(Worker &worker,
                                             std::chrono::milliseconds timeout);

/// The task the variant runs with: the launch geometry follows the rewrite
/// (new block shapes; grids divided when each thread handles several
/// elements). Sizes, arguments and shapes stay those of `task`.
Task applyLaunchChanges(const Task &task, const RewriteResult &rewrite);

/// Canonical main-shape sizes plus a hash of the task (the database key).
llvm::Expected<std::string> taskShapeKey(const Task &task);

/// Evolves `kernelName` of `parsed` against `task`; progress goes to `log`.
llvm::Expected<KernelEvolution>
evolveKernel(const ParsedFile &parsed, const KernelIndex &index,
             llvm::StringRef kernelName, const Task &task,
             const std::string &taskFile, const StrategyLibrary &library,
             TuningDatabase &db, Worker &worker, const DeviceCeilings &device,
             const EvolveOptions &options, llvm::raw_ostream &log);

} // namespace cupilot

#endif // CUPILOT_TUNER_EVOLUTION_H
