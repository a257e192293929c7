//===- Evolution.cpp - Strategy-level evolution of one kernel -------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Evolution.h"
#include "cupilot/LLM/Assistant.h"
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Strategy/TaskIO.h"
#include "cupilot/Support/Error.h"
#include "cupilot/Support/Expression.h"
#include "cupilot/Support/Hashing.h"
#include "cupilot/Tuner/CompilePool.h"
#include "cupilot/Tuner/Features.h"
#include "cupilot/Tuner/Seeding.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <map>
#include <set>

using namespace cupilot;

/// FP32 lanes per SM by architecture (2 FLOPs per FMA per lane per clock).
static unsigned fp32LanesPerSM(llvm::StringRef arch) {
  if (arch == "sm_80")
    return 64;
  return 128; // sm_86, sm_89, sm_90, sm_100, sm_120
}

llvm::Expected<DeviceCeilings>
cupilot::measureDevice(Worker &worker, std::chrono::milliseconds timeout) {
  auto info = queryDevice(worker, timeout);
  if (!info)
    return info.takeError();
  DeviceCeilings d;
  d.name = info->name;
  d.arch = info->arch;
  d.peakBandwidthGBs = info->peakBandwidthGBs;
  d.peakGflopsF32 = 2.0 * fp32LanesPerSM(info->arch) * info->smCount *
                    (info->clockKHz * 1e3) / 1e9;
  // The memory roof is the larger of the attribute peak and a measured copy:
  // a copy kernel rarely reaches the peak, and a roof below what variants
  // achieve would put them above 100%.
  auto calibration = calibrateBandwidth(worker, uint64_t(256) << 20, timeout);
  if (calibration) {
    d.measuredBandwidthGBs = calibration->bandwidthGBs;
    d.peakBandwidthGBs =
        std::max(d.peakBandwidthGBs, calibration->bandwidthGBs);
  } else {
    llvm::consumeError(calibration.takeError());
  }
  // FP64 lanes per SM: full-rate parts (sm_80: 32, sm_90/sm_100: 64); the
  // others run FP64 at 1/64 of FP32 (2 lanes).
  double f64Lanes = info->arch == "sm_80"                             ? 32
                    : info->arch == "sm_90" || info->arch == "sm_100" ? 64
                                                                      : 2;
  d.peakGflopsF64 =
      2.0 * f64Lanes * info->smCount * (info->clockKHz * 1e3) / 1e9;
  // The compute roofs are the larger of the attribute peak and the measured
  // FMA-chain rate (one-time, cached per device and driver by the worker):
  // the clock attribute is the boost clock, so the measurement rarely
  // exceeds it, but a roof below what variants achieve would put them
  // above 100%. A failed calibration keeps the attribute peaks.
  auto flops = calibrateFlops(
      worker,
      {{"f32", "fma", 8192}, {"f64", "fma", 8192}, {"f16", "fma", 8192}},
      timeout);
  if (flops) {
    for (const protocol::FlopsCalibration &c : *flops) {
      // The decoder admits only known precisions and methods; anything
      // else must not raise a roof.
      double *peak = c.precision == "f16"   ? &d.peakGflopsF16
                     : c.precision == "f32" ? &d.peakGflopsF32
                     : c.precision == "f64" ? &d.peakGflopsF64
                                            : nullptr;
      if (!peak || !protocol::isFlopsMethod(c.method))
        continue;
      d.measuredGflops[c.precision + "/" + c.method] = c.gflops;
      *peak = std::max(*peak, c.gflops);
    }
  } else {
    llvm::consumeError(flops.takeError());
  }
  return d;
}

Task cupilot::applyLaunchChanges(const Task &task,
                                 const RewriteResult &rewrite) {
  Task result = task;
  for (const LaunchChange &change : rewrite.launchChanges) {
    for (LaunchSpec &launch : result.launches) {
      if (launch.kernel != change.kernel && result.launches.size() > 1)
        continue;
      if (!change.block.empty())
        for (unsigned d = 0; d < 3; ++d)
          launch.geometry.block[d] =
              std::to_string(d < change.block.size() ? change.block[d] : 1);
      if (change.gridDivisor > 1) {
        std::string &grid = launch.geometry.grid[change.gridDivisorDim];
        grid = "ceil_div(" + grid + ", " + std::to_string(change.gridDivisor) +
               ")";
      }
    }
  }
  return result;
}

llvm::Expected<std::string> cupilot::taskShapeKey(const Task &task) {
  auto sizes = evaluateShapeSizes(task, 0);
  if (!sizes)
    return sizes.takeError();
  std::string key;
  for (const auto &[name, value] : *sizes)
    key += (key.empty() ? "" : ",") + name + "=" + std::to_string(value);
  return key + "#" + sha256Hex(writeTask(task)).substr(0, 12);
}

namespace {

/// Totals of the static estimate for the task's main shape.
struct WorkTotals {
  std::optional<double> flops;
  uint64_t threads = 0;
};

WorkTotals estimateTotals(const KernelInfo &kernel, const Task &task) {
  WorkTotals totals;
  auto sizes = evaluateShapeSizes(task, 0);
  if (!sizes) {
    llvm::consumeError(sizes.takeError());
    return totals;
  }
  ExprEnvironment env;
  for (const auto &[name, value] : *sizes)
    env[name] = static_cast<double>(value);
  if (task.launches.empty())
    return totals;
  const LaunchGeometry &g = task.launches.front().geometry;
  const char *dims[] = {"x", "y", "z"};
  double threads = 1;
  for (unsigned d = 0; d < 3; ++d) {
    auto b = Expression::parse(g.block[d]);
    if (!b) {
      llvm::consumeError(b.takeError());
      return totals;
    }
    auto bv = b->evaluateInt(env);
    if (!bv) {
      llvm::consumeError(bv.takeError());
      return totals;
    }
    env[std::string("block.") + dims[d]] = double(*bv);
    env[std::string("blockDim.") + dims[d]] = double(*bv);
  }
  for (unsigned d = 0; d < 3; ++d) {
    auto gr = Expression::parse(g.grid[d]);
    if (!gr) {
      llvm::consumeError(gr.takeError());
      return totals;
    }
    auto gv = gr->evaluateInt(env);
    if (!gv) {
      llvm::consumeError(gv.takeError());
      return totals;
    }
    env[std::string("gridDim.") + dims[d]] = double(*gv);
    threads *= double(*gv) * env[std::string("blockDim.") + dims[d]];
  }
  totals.threads = static_cast<uint64_t>(threads);
  if (!kernel.estimate.known)
    return totals;
  auto f = Expression::parse(kernel.estimate.flopsPerThread);
  if (!f) {
    llvm::consumeError(f.takeError());
    return totals;
  }
  auto fv = f->evaluateReal(env);
  if (!fv) {
    llvm::consumeError(fv.takeError());
    return totals;
  }
  totals.flops = *fv * threads;
  return totals;
}

/// One point on the roofline.
/// With `measured` counters (DRAM bytes read + written and FLOPs by
/// precision, CUPTI), those replace the buffer bytes and the static FLOP
/// estimate, and the compute roof is that of the precision with most
/// FLOPs; `source` says which was used.
llvm::json::Object
rooflinePoint(std::optional<double> timeMs, std::optional<double> flops,
              uint64_t bytes, const DeviceCeilings &device,
              std::string *rooflineClass,
              const protocol::ProfileMetrics *measured = nullptr) {
  llvm::json::Object o;
  if (!timeMs || *timeMs <= 0 || bytes == 0) {
    o["timeMs"] = nullptr;
    return o;
  }
  if (measured && measured->dramReadBytes && measured->dramWriteBytes &&
      (measured->flopsF16 || measured->flopsF32 || measured->flopsF64)) {
    DevicePeaks peaks;
    peaks.bandwidthGBs = device.peakBandwidthGBs;
    peaks.gflops = {{"f32", device.peakGflopsF32},
                    {"f64", device.peakGflopsF64},
                    {"f16", device.peakGflopsF16}};
    if (auto point = placeOnRoofline(*timeMs, measured, std::nullopt,
                                     double(bytes), peaks)) {
      o["timeMs"] = *timeMs;
      o["source"] = point->source;
      o["bytes"] = point->bytes;
      o["bandwidthGBs"] = point->bandwidthGBs;
      o["gflops"] = point->gflops ? llvm::json::Value(*point->gflops) : nullptr;
      o["intensity"] =
          point->intensity ? llvm::json::Value(*point->intensity) : nullptr;
      o["precision"] = point->precision;
      o["percentOfRoof"] = point->percentOfCeiling;
      o["rooflineClass"] = point->bound;
      if (rooflineClass)
        *rooflineClass = point->bound;
      return o;
    }
  }
  o["source"] = "static";
  double seconds = *timeMs * 1e-3;
  double bandwidth = double(bytes) / seconds / 1e9;
  o["timeMs"] = *timeMs;
  o["bandwidthGBs"] = bandwidth;
  if (!flops) {
    // Without a FLOP estimate only the memory roof applies.
    o["gflops"] = nullptr;
    o["intensity"] = nullptr;
    double pct = device.peakBandwidthGBs > 0
                     ? 100.0 * bandwidth / device.peakBandwidthGBs
                     : 0;
    o["percentOfRoof"] = pct;
    std::string cls = pct < 10 ? "latency" : "memory";
    o["rooflineClass"] = cls;
    if (rooflineClass)
      *rooflineClass = cls;
    return o;
  }
  double gflops = *flops / seconds / 1e9;
  double intensity = *flops / double(bytes);
  double memoryRoof = intensity * device.peakBandwidthGBs;
  double ceiling = std::min(device.peakGflopsF32, memoryRoof);
  double pct = ceiling > 0 ? 100.0 * gflops / ceiling : 0;
  if (*flops == 0) // pure data movement: the memory roof
    pct = device.peakBandwidthGBs > 0
              ? 100.0 * bandwidth / device.peakBandwidthGBs
              : 0;
  std::string cls = pct < 10                                  ? "latency"
                    : memoryRoof < device.peakGflopsF32 || !*flops ? "memory"
                                                               : "compute";
  o["gflops"] = gflops;
  o["intensity"] = intensity;
  o["percentOfRoof"] = pct;
  o["rooflineClass"] = cls;
  if (rooflineClass)
    *rooflineClass = cls;
  return o;
}

struct Scored {
  Genome genome;
  double fitness = 0;
  std::string verdict;
  std::string reason;
  /// Detail of the verdict (a compile log, the first finding).
  std::string message;
  std::optional<double> speedup;
  std::optional<double> timeMs;
  /// The candidate's hardware counters, when this run profiled it.
  std::optional<protocol::ProfileMetrics> metrics;
  int64_t evaluationId = 0;
  std::string planYaml;
  unsigned generation = 0;
};

/// A genome lowered and applied: the variant, or why there is none.
struct Rewritten {
  std::optional<Scored> failure;
  std::string planYaml;
  std::string source;
  std::vector<std::string> flags;
  Task candidateTask;
};

class Evolver {
public:
  Evolver(const ParsedFile &parsed, const KernelIndex &index,
          const KernelInfo &kernel, const Task &task,
          const std::string &taskFile, const StrategyLibrary &library,
          TuningDatabase &db, Worker &worker, const DeviceCeilings &device,
          const EvolveOptions &options, llvm::raw_ostream &log)
      : parsed(parsed), index(index), kernel(kernel), task(task),
        taskFile(taskFile), library(library), db(db), worker(worker),
        device(device), options(options), log(log), rng(options.seed) {}

  llvm::Expected<KernelEvolution> run();

private:
  llvm::Expected<Scored> evaluate(const Genome &genome, unsigned generation);
  /// Lowers, applies and evaluates `genome` with `features`' bindings.
  llvm::Expected<Scored> evaluateLowered(const Genome &genome,
                                         const FeatureSet &features,
                                         unsigned generation,
                                         llvm::StringRef origin);
  /// Lowers and applies `genome`; remembered per genome and translation.
  const Rewritten &rewrite(const Genome &genome, const FeatureSet &features,
                           unsigned generation);
  /// Queues the new variants of `population` (up to the evaluation budget
  /// left) on the compile pool, in evaluation order.
  llvm::Error compileAhead(const std::vector<Genome> &population);
  std::string variantKeyOf(const Rewritten &r) const {
    return sha256Hex(r.source) + "|" + llvm::join(r.flags, " ") + "|" +
           sha256Hex(writeTask(r.candidateTask));
  }
  llvm::Expected<Scored> evaluateSource(const Genome &genome,
                                        const std::string &planYaml,
                                        const std::string &source,
                                        const std::vector<std::string> &flags,
                                        const Task &candidateTask,
                                        unsigned generation,
                                        llvm::StringRef origin);
  /// LLM: the Strategist's genomes for the next generation; the kernel
  /// code of a genome that needs a translation (asked once per genome).
  void askStrategist(unsigned generation, std::vector<Genome> &population,
                     const std::vector<const Strategy *> &applicable);
  llvm::Expected<std::string> translationFor(const Genome &genome);
  bool needsTranslation(const Genome &genome) const;
  std::string originOf(const Genome &genome) const {
    return fromStrategist.count(genome.str()) ? "llm" : "engine";
  }
  Scored failure(const Genome &genome, const std::string &verdict,
                 const std::string &reason, unsigned generation);
  bool budgetLeft() const {
    return newEvaluations < options.maxEvaluations &&
           std::chrono::steady_clock::now() - start < options.wallTime;
  }
  void progress(unsigned generation, const Scored &s);

  const ParsedFile &parsed;
  const KernelIndex &index;
  const KernelInfo &kernel;
  const Task &task;
  const std::string &taskFile;
  const StrategyLibrary &library;
  TuningDatabase &db;
  Worker &worker;
  const DeviceCeilings &device;
  const EvolveOptions &options;
  llvm::raw_ostream &log;
  Rng rng;

  std::string original;
  std::string shape;
  std::optional<WorkTotals> totals;
  uint64_t bufferBytes = 0;
  double bestSpeedup = 1.0;
  unsigned newEvaluations = 0, reusedEvaluations = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  /// Results by genome text and by variant (source hash + flags).
  std::map<std::string, Scored> byGenome;
  std::map<std::string, Scored> byVariant;
  std::vector<Scored> all;

  std::optional<llm::Assistant> assistant;
  llm::KernelContext llmKernel;
  llm::RooflinePosition roofline;
  /// Genomes the Strategist proposed.
  std::set<std::string> fromStrategist;
  /// Translator code by genome text.
  std::map<std::string, std::string> translations;

  /// Rewrites by genome text (+ translation code).
  std::map<std::string, Rewritten> rewrites;
  /// Compiling ahead (options.jobs): tickets by variant key, and counts.
  std::unique_ptr<CompilePool> pool;
  std::map<std::string, size_t> ahead;
  unsigned aheadCompiled = 0, aheadCached = 0, aheadFailed = 0,
           aheadWorkerFailures = 0;
};

} // namespace

Scored Evolver::failure(const Genome &genome, const std::string &verdict,
                        const std::string &reason, unsigned generation) {
  Scored s;
  s.genome = genome;
  s.verdict = verdict;
  s.reason = reason;
  s.generation = generation;
  return s;
}

void Evolver::progress(unsigned generation, const Scored &s) {
  std::string line = llvm::formatv(
      "[{0}] gen {1}/{2}  evals {3} (+{4} reused)  best {5:F3}x  {6}: {7}{8}",
      kernel.qualifiedName, generation, options.generations, newEvaluations,
      reusedEvaluations, bestSpeedup, s.genome.str(), s.verdict,
      s.speedup ? llvm::formatv(" {0:F3}x", *s.speedup).str()
                : (s.reason.empty() ? "" : " (" + s.reason + ")"));
  if (options.terminal) {
    if (line.size() > 118)
      line = line.substr(0, 115) + "...";
    log << "\r\x1b[2K" << line;
  } else {
    log << line << "\n";
  }
  log.flush();
}

llvm::Expected<Scored>
Evolver::evaluateSource(const Genome &genome, const std::string &planYaml,
                        const std::string &source,
                        const std::vector<std::string> &flags,
                        const Task &candidateTask, unsigned generation,
                        llvm::StringRef origin) {
  std::string variantKey = sha256Hex(source) + "|" + llvm::join(flags, " ") +
                           "|" + sha256Hex(writeTask(candidateTask));
  if (auto it = byVariant.find(variantKey); it != byVariant.end()) {
    // The same variant under another genome: no new evaluation.
    Scored s = it->second;
    s.genome = genome;
    s.generation = generation;
    return s;
  }
  EvaluationKey key;
  key.kernelFingerprint = kernel.fingerprint;
  key.gpuArch = device.arch;
  key.taskShape = shape;
  key.sourceHash = sha256Hex(source + "\n" + writeTask(candidateTask));
  key.compileOptions = llvm::join(flags, " ");

  Scored s;
  s.genome = genome;
  s.planYaml = planYaml;
  s.generation = generation;
  auto existing = db.findEvaluation(key);
  if (!existing)
    return existing.takeError();
  if (*existing) {
    const EvaluationRecord &r = **existing;
    s.verdict = r.verdict;
    s.reason = r.reason;
    s.speedup = r.speedup;
    s.timeMs = r.timeMs;
    s.evaluationId = r.id;
    if (auto json = llvm::json::parse(r.resultJson)) {
      if (const llvm::json::Object *o = json->getAsObject())
        s.message = o->getString("message").value_or("").str();
    } else {
      llvm::consumeError(json.takeError());
    }
    ++reusedEvaluations;
  } else {
    if (auto it = ahead.find(variantKey); it != ahead.end()) {
      // Compiled ahead (or being compiled): the worker finds the cubin, or
      // the compile error and its log, in the cache. Whatever happened
      // there, the evaluation below is what counts.
      CompileOutcome compiled = pool->wait(it->second);
      ahead.erase(it);
      switch (compiled.status) {
      case CompileOutcome::Status::Compiled:
        ++(compiled.cacheHit ? aheadCached : aheadCompiled);
        break;
      case CompileOutcome::Status::CompileError:
        ++aheadFailed;
        break;
      case CompileOutcome::Status::WorkerFailure:
        ++aheadWorkerFailures;
        break;
      }
    }
    EvaluateOptions eval = options.evaluate;
    eval.candidateOptions = flags;
    eval.candidateTask = candidateTask;
    auto result = evaluateTask(worker, task, original, source, eval);
    if (!result)
      return result.takeError();
    ++newEvaluations;
    EvaluationRecord r;
    r.key = key;
    r.kernelName = kernel.qualifiedName;
    r.sourceFile = parsed.getFile();
    r.genome = genome.str();
    r.origin = origin.str();
    r.planYaml = planYaml;
    r.verdict = toString(result->verdict).str();
    r.reason = result->reason;
    if (result->candidate)
      r.timeMs = result->candidate->medianMs;
    if (result->baseline)
      r.baselineMs = result->baseline->medianMs;
    if (result->passed() && result->speedup > 0)
      r.speedup = result->speedup;
    std::string json;
    llvm::raw_string_ostream os(json);
    os << toJSON(*result);
    r.resultJson = json;
    auto id = db.recordEvaluation(r);
    if (!id)
      return id.takeError();
    s.verdict = r.verdict;
    s.reason = r.reason;
    s.speedup = r.speedup;
    s.timeMs = r.timeMs;
    s.evaluationId = *id;
    s.message = result->message;
    s.metrics = result->candidateMetrics;
    if (result->bufferBytes)
      bufferBytes = result->bufferBytes;
  }
  s.fitness = s.verdict == "passed" ? s.speedup.value_or(0) : 0;
  if (s.verdict == "passed" && s.speedup &&
      *s.speedup >= options.minSpeedup && !genome.genes.empty()) {
    auto better = db.offerBest(s.evaluationId);
    if (!better)
      return better.takeError();
  }
  byVariant[variantKey] = s;
  return s;
}

const Rewritten &Evolver::rewrite(const Genome &genome,
                                  const FeatureSet &features,
                                  unsigned generation) {
  std::string memo = genome.str();
  if (auto code = features.bindings.find(llm::TranslationBinding);
      code != features.bindings.end())
    memo += "\n" + code->second;
  if (auto it = rewrites.find(memo); it != rewrites.end())
    return it->second;
  Rewritten &r = rewrites[memo];
  auto plan = lowerGenome(genome, library, features);
  if (!plan) {
    r.failure = failure(genome, "lowering-error",
                        llvm::toString(plan.takeError()), generation);
    return r;
  }
  ApplyOptions apply;
  apply.frontend = options.frontend;
  apply.frontend.printDiagnostics = false;
  auto rewritten = applyPlan(parsed, index, *plan, apply);
  if (!rewritten) {
    std::string why = llvm::toString(rewritten.takeError());
    // Keep the diagnostic's message, not the file path in front of it.
    size_t at = why.find("error: ");
    r.failure =
        failure(genome, "illegal-rewrite",
                at == std::string::npos ? why : why.substr(at + 7), generation);
    return r;
  }
  r.candidateTask = applyLaunchChanges(task, *rewritten);
  if (rewritten->source == original && rewritten->compileFlags.empty() &&
      writeTask(r.candidateTask) == writeTask(task) && !genome.genes.empty()) {
    r.failure = failure(genome, "no-op", "the plan does not change the kernel",
                        generation);
    return r;
  }
  r.planYaml = writePlan(*plan);
  r.source = std::move(rewritten->source);
  r.flags = std::move(rewritten->compileFlags);
  return r;
}

llvm::Expected<Scored> Evolver::evaluateLowered(const Genome &genome,
                                                const FeatureSet &features,
                                                unsigned generation,
                                                llvm::StringRef origin) {
  const Rewritten &r = rewrite(genome, features, generation);
  if (r.failure) {
    Scored s = *r.failure;
    s.generation = generation;
    return s;
  }
  return evaluateSource(genome, r.planYaml, r.source, r.flags, r.candidateTask,
                        generation, origin);
}

llvm::Error Evolver::compileAhead(const std::vector<Genome> &population) {
  if (!pool)
    return llvm::Error::success();
  FeatureSet features = makeFeatureSet(kernel, &task, "");
  unsigned queued = 0;
  unsigned budget = options.maxEvaluations > newEvaluations
                        ? options.maxEvaluations - newEvaluations
                        : 0;
  for (const Genome &genome : population) {
    if (queued >= budget)
      break;
    // Translated genomes wait for their code, asked for when evaluated.
    if (genome.genes.empty() || byGenome.count(genome.str()) ||
        needsTranslation(genome))
      continue;
    const Rewritten &r = rewrite(genome, features, 0);
    if (r.failure)
      continue;
    std::string variantKey = variantKeyOf(r);
    if (byVariant.count(variantKey) || ahead.count(variantKey))
      continue;
    EvaluationKey key;
    key.kernelFingerprint = kernel.fingerprint;
    key.gpuArch = device.arch;
    key.taskShape = shape;
    key.sourceHash = sha256Hex(r.source + "\n" + writeTask(r.candidateTask));
    key.compileOptions = llvm::join(r.flags, " ");
    auto existing = db.findEvaluation(key);
    if (!existing)
      return existing.takeError();
    if (*existing)
      continue;
    EvaluateOptions eval = options.evaluate;
    eval.candidateOptions = r.flags;
    eval.candidateTask = r.candidateTask;
    auto request = buildCompileRequest(task, r.source, eval, device.arch);
    if (!request) {
      // The evaluation reports it.
      llvm::consumeError(request.takeError());
      continue;
    }
    ahead[variantKey] = pool->submit(std::move(*request));
    ++queued;
  }
  return llvm::Error::success();
}

bool Evolver::needsTranslation(const Genome &genome) const {
  return llvm::any_of(genome.genes, [&](const Gene &g) {
    const Strategy *s = library.find(g.strategy);
    return s && llm::needsTranslation(*s);
  });
}

llvm::Expected<std::string> Evolver::translationFor(const Genome &genome) {
  std::string text = genome.str();
  if (auto it = translations.find(text); it != translations.end())
    return it->second;
  if (!assistant)
    return makeError(ExitCode::InputError,
                     "'{0}' needs the Translator and no LLM is configured",
                     text);
  llm::TranslatorInput input;
  input.kernel = llmKernel;
  input.roofline = roofline;
  input.genome = text;
  for (const Gene &g : genome.genes)
    if (const Strategy *s = library.find(g.strategy);
        s && llm::needsTranslation(*s))
      input.strategy = s;
  auto code = assistant->translate(input);
  if (!code)
    return code.takeError();
  translations[text] = *code;
  return code;
}

llvm::Expected<Scored> Evolver::evaluate(const Genome &genome,
                                         unsigned generation) {
  std::string text = genome.str();
  if (auto it = byGenome.find(text); it != byGenome.end())
    return it->second;
  FeatureSet features = makeFeatureSet(kernel, &task, "");
  bool translated = needsTranslation(genome);
  std::optional<Scored> result;
  if (translated) {
    auto code = translationFor(genome);
    if (!code)
      result = failure(genome, "translation-error",
                       llvm::toString(code.takeError()), generation);
    else
      features.bindings[llm::TranslationBinding] = *code;
  }
  if (!result) {
    auto s = evaluateLowered(genome, features, generation, originOf(genome));
    if (!s)
      return s.takeError();
    result = std::move(*s);
  }
  // The Revisor gets one attempt at translated code that does not compile
  // (mechanical rewrites are checked steps: their failures are bugs to fix
  // in the step, not code to patch).
  if (translated && assistant &&
      result->verdict == toString(Verdict::CompileError)) {
    all.push_back(*result);
    progress(generation, *result);
    llm::RevisorInput input;
    input.kernel = llmKernel;
    input.code = features.bindings[llm::TranslationBinding];
    input.genome = text;
    input.kind = llm::RepairKind::CompileError;
    input.report = result->message.empty() ? result->reason : result->message;
    auto code = assistant->revise(input);
    if (!code) {
      log << (options.terminal ? "\n" : "") << "[" << kernel.qualifiedName
          << "] revisor: " << llvm::toString(code.takeError()) << "\n";
    } else {
      translations[text] = *code;
      features.bindings[llm::TranslationBinding] = *code;
      auto revised = evaluateLowered(genome, features, generation, "revisor");
      if (!revised)
        return revised.takeError();
      result = std::move(*revised);
    }
  }
  Scored s = std::move(*result);
  if (s.fitness > bestSpeedup)
    bestSpeedup = s.fitness;
  byGenome[text] = s;
  all.push_back(s);
  progress(generation, s);
  return s;
}

void Evolver::askStrategist(unsigned generation,
                            std::vector<Genome> &population,
                            const std::vector<const Strategy *> &applicable) {
  if (!assistant || options.llmGenomesPerGeneration == 0)
    return;
  llm::StrategistInput input;
  input.kernel = llmKernel;
  input.roofline = roofline;
  input.library = &library;
  input.maxGenomes = options.llmGenomesPerGeneration;
  for (const Scored &s : all)
    input.history.push_back({s.genome.str(), s.verdict, s.speedup, s.reason});
  std::string prefix = (options.terminal ? "\n[" : "[") +
                       kernel.qualifiedName + "] strategist: ";
  auto reply = assistant->propose(input);
  if (!reply) {
    // The rule engine carries on without the LLM's genomes.
    log << prefix << llvm::toString(reply.takeError()) << "\n";
    return;
  }
  unsigned added = 0;
  std::vector<Genome> proposed;
  for (Genome &g : reply->genomes) {
    g = normalizeGenome(std::move(g), library, applicable);
    std::string text = g.str();
    if (g.genes.empty() || byGenome.count(text) ||
        llvm::any_of(population,
                     [&](const Genome &p) { return p.str() == text; }))
      continue;
    fromStrategist.insert(text);
    proposed.push_back(std::move(g));
    ++added;
  }
  // First, so that the evaluation budget reaches them.
  population.insert(population.begin(), proposed.begin(), proposed.end());
  log << prefix << "generation " << generation << ": " << added
      << " new genome(s)";
  if (!reply->rejectedGenomes.empty())
    log << ", " << reply->rejectedGenomes.size() << " rejected";
  log << "\n";
  for (const llm::Rejection &r : reply->rejectedGenomes)
    log << "  rejected '" << r.text << "': " << r.reason << "\n";
  for (const Strategy &s : reply->strategies)
    log << "  proposed new strategy '" << s.id
        << "' (not used: review it, then add it to the library)\n";
}

llvm::Expected<KernelEvolution> Evolver::run() {
  auto buffer = llvm::MemoryBuffer::getFile(parsed.getFile(), /*IsText=*/true);
  if (!buffer)
    return makeError(ExitCode::InputError, "{0}: cannot read: {1}",
                     parsed.getFile(), buffer.getError().message());
  original = (*buffer)->getBuffer().str();
  auto shapeKey = taskShapeKey(task);
  if (!shapeKey)
    return shapeKey.takeError();
  shape = *shapeKey;
  if (options.jobs > 0) {
    if (worker.getOptions().cacheDir.empty())
      log << "[" << kernel.qualifiedName
          << "] compiling ahead needs a worker cache directory; the GPU "
             "worker compiles each candidate\n";
    else
      pool = std::make_unique<CompilePool>(worker.getOptions(), options.jobs,
                                           options.evaluate.timeout);
  }
  if (options.llm.isEnabled()) {
    assistant.emplace(options.llm);
    log << "[" << kernel.qualifiedName << "] LLM: " << options.llm.describe()
        << "\n";
  }

  // The original against itself: checks the reference (a racy or partial
  // kernel is refused) and measures the baseline.
  auto base = evaluate(Genome(), 0);
  if (!base)
    return base.takeError();
  if (base->verdict != "passed")
    return makeError(ExitCode::VerificationFailed,
                     "kernel '{0}': the original does not verify against "
                     "itself ({1}: {2}); cupilot refuses to tune against it",
                     kernel.qualifiedName, base->verdict, base->reason);
  totals = estimateTotals(kernel, task);
  std::string rooflineClass;
  llvm::json::Object originalPoint =
      rooflinePoint(base->timeMs, totals->flops, bufferBytes, device,
                    &rooflineClass, base->metrics ? &*base->metrics : nullptr);

  FeatureSet features = makeFeatureSet(kernel, &task, rooflineClass);
  if (assistant) {
    // With a Translator, strategies that need one apply; the code itself is
    // asked for when such a genome is evaluated.
    features.bindings[llm::TranslationBinding] = "";
    llmKernel.name = kernel.qualifiedName;
    llmKernel.signature = kernel.signature;
    llmKernel.fileName = parsed.getFile();
    llmKernel.source = original;
    llmKernel.features = features;
    roofline.rooflineClass = rooflineClass;
    roofline.percentOfRoof = originalPoint.getNumber("percentOfRoof");
    roofline.timeMs = base->timeMs;
  }
  std::vector<const Strategy *> applicable =
      applicableStrategies(library, features);
  Steering steering{rooflineClass, 3.0};
  log << "[" << kernel.qualifiedName << "] " << rooflineClass
      << "-bound; applicable strategies: ";
  for (const Strategy *s : applicable)
    log << s->id << (s == applicable.back() ? "" : ", ");
  log << "\n";

  // What this kernel is, for later runs on other kernels to compare with.
  KernelProfile profile;
  profile.kernelFingerprint = kernel.fingerprint;
  profile.gpuArch = device.arch;
  profile.taskShape = shape;
  profile.kernelName = kernel.qualifiedName;
  profile.rooflineClass = rooflineClass;
  for (const auto &entry : features.numbers)
    profile.features[entry.getKey().str()] = entry.getValue();
  if (llvm::Error e = db.recordKernelProfile(profile))
    return std::move(e);

  // Seed: the best genomes of this kernel and of similar kernels in the
  // database (Seeding.h) that apply to this one, then one genome per
  // applicable strategy (the steering class first), then random ones.
  std::vector<Genome> population;
  std::set<std::string> seeded;
  auto add = [&](Genome g) {
    g = normalizeGenome(std::move(g), library, applicable);
    if (g.genes.empty() || !seeded.insert(g.str()).second)
      return false;
    population.push_back(std::move(g));
    return true;
  };
  auto known = listSeedCandidates(db, kernel.fingerprint, 1000);
  if (!known)
    return known.takeError();
  for (const SeedCandidate &c : rankSeeds(*known, profile)) {
    if (population.size() >= options.population / 2)
      break;
    auto g = parseGenome(c.best.genome);
    if (!g) {
      llvm::consumeError(g.takeError());
      continue;
    }
    bool fits = llvm::all_of(g->genes, [&](const Gene &gene) {
      return llvm::any_of(applicable, [&](const Strategy *s) {
        return s->id == gene.strategy;
      });
    });
    if (!fits)
      continue;
    if (llvm::Error e = verifyGenome(*g, library)) {
      llvm::consumeError(std::move(e));
      continue;
    }
    if (!add(*g))
      continue;
    log << "[" << kernel.qualifiedName << "] seed from the database: "
        << population.back().str() << " ("
        << llvm::formatv("{0:F3}x", c.best.speedup) << ", " << c.why << ")\n";
  }
  std::vector<const Strategy *> ordered = applicable;
  std::stable_partition(ordered.begin(), ordered.end(), [&](const Strategy *s) {
    return toString(s->bottleneck) == rooflineClass;
  });
  // Every applicable strategy is tried once in the first generation, even
  // when that makes it larger than the population.
  for (const Strategy *s : ordered)
    add(Genome{{defaultGene(*s)}});
  for (unsigned tries = 0;
       population.size() < options.population && tries < 100; ++tries)
    add(randomGenome(applicable, library, steering, rng));

  llvm::json::Array history;
  history.push_back(llvm::json::Object{{"generation", 0},
                                       {"evaluations", 1},
                                       {"bestSpeedup", 1.0}});
  unsigned stale = 0;
  double previousBest = bestSpeedup;
  for (unsigned gen = 1; gen <= options.generations && budgetLeft(); ++gen) {
    askStrategist(gen, population, applicable);
    if (llvm::Error e = compileAhead(population))
      return std::move(e);
    std::vector<Scored> scored;
    for (size_t i = 0; i < population.size(); ++i) {
      if (!budgetLeft())
        break;
      Genome g = population[i];
      auto s = evaluate(g, gen);
      if (!s)
        return s.takeError();
      // A genome whose parameters reproduce the original (a block size equal
      // to the task's) is moved to a neighbouring parameter value, so the
      // strategy still gets tried in this generation.
      for (unsigned tries = 0; s->verdict == "no-op" && tries < 4; ++tries) {
        g = mutate(g, library, applicable, steering, rng);
        if (g.genes.empty() || byGenome.count(g.str()))
          continue;
        s = evaluate(g, gen);
        if (!s)
          return s.takeError();
      }
      scored.push_back(*s);
    }
    history.push_back(llvm::json::Object{
        {"generation", gen},
        {"evaluations", static_cast<int64_t>(all.size())},
        {"bestSpeedup", bestSpeedup}});
    if (bestSpeedup > previousBest * 1.005) {
      stale = 0;
      previousBest = bestSpeedup;
    } else if (++stale >= options.patience) {
      log << (options.terminal ? "\n" : "") << "[" << kernel.qualifiedName
          << "] no improvement for " << stale << " generations; stopping\n";
      break;
    }
    // Next generation: elite, then children of tournament winners.
    std::vector<Scored> ranked;
    for (auto &[text, s] : byGenome)
      if (!s.genome.genes.empty())
        ranked.push_back(s);
    std::sort(ranked.begin(), ranked.end(), [](const Scored &a, const Scored &b) {
      if (a.fitness != b.fitness)
        return a.fitness > b.fitness;
      return a.genome.str() < b.genome.str();
    });
    if (ranked.empty())
      break;
    std::vector<Genome> next;
    std::set<std::string> inNext;
    for (unsigned i = 0; i < ranked.size() && next.size() < options.elite; ++i)
      if (ranked[i].fitness > 0 && inNext.insert(ranked[i].genome.str()).second)
        next.push_back(ranked[i].genome);
    auto tournament = [&]() -> const Genome & {
      const Scored &a = ranked[rng.below(ranked.size())];
      const Scored &b = ranked[rng.below(ranked.size())];
      return a.fitness >= b.fitness ? a.genome : b.genome;
    };
    unsigned attempts = 0;
    while (next.size() < options.population && attempts++ < 200) {
      Genome child = crossover(tournament(), tournament(), library, applicable,
                               rng);
      if (rng.chance(0.7) || byGenome.count(child.str()))
        child = mutate(child, library, applicable, steering, rng);
      if (child.genes.empty() || byGenome.count(child.str()) ||
          !inNext.insert(child.str()).second)
        continue;
      next.push_back(std::move(child));
    }
    // Elites were evaluated already; only new genomes cost evaluations.
    population = std::move(next);
    if (llvm::all_of(population,
                     [&](const Genome &g) { return byGenome.count(g.str()); }))
      break;
  }
  if (options.terminal)
    log << "\n";
  if (pool)
    log << "[" << kernel.qualifiedName << "] compiled ahead on "
        << pool->getJobs() << " worker(s): " << aheadCompiled << " compiled, "
        << aheadCached << " already cached, " << aheadFailed
        << " compile error(s), " << aheadWorkerFailures
        << " left to the GPU worker\n";
  pool.reset();

  KernelEvolution result;
  result.evaluations = newEvaluations;
  result.reused = reusedEvaluations;
  const Scored *best = nullptr;
  for (const Scored &s : all)
    if (s.verdict == "passed" && s.speedup && !s.genome.genes.empty() &&
        *s.speedup >= options.minSpeedup &&
        (!best || *s.speedup > *best->speedup))
      best = &s;

  llvm::json::Array evaluations;
  for (const Scored &s : all)
    evaluations.push_back(llvm::json::Object{
        {"genome", s.genome.str()},
        {"verdict", s.verdict},
        {"reason", s.reason},
        {"speedup", s.speedup ? llvm::json::Value(*s.speedup) : nullptr},
        {"timeMs", s.timeMs ? llvm::json::Value(*s.timeMs) : nullptr},
        {"generation", s.generation}});
  llvm::json::Value bestJson = nullptr;
  if (best) {
    llvm::json::Object point =
        rooflinePoint(best->timeMs, totals->flops, bufferBytes, device, nullptr,
                      best->metrics ? &*best->metrics : nullptr);
    point["genome"] = best->genome.str();
    point["speedup"] = *best->speedup;
    point["plan"] = best->planYaml;
    bestJson = std::move(point);
    BestVariant b;
    b.kernelFingerprint = kernel.fingerprint;
    b.gpuArch = device.arch;
    b.taskShape = shape;
    b.kernelName = kernel.qualifiedName;
    b.evaluationId = best->evaluationId;
    b.genome = best->genome.str();
    b.planYaml = best->planYaml;
    b.speedup = *best->speedup;
    result.best = std::move(b);
  }
  result.report = llvm::json::Object{{"kernel", kernel.qualifiedName},
                                     {"fingerprint", kernel.fingerprint},
                                     {"task", taskFile},
                                     {"shape", shape},
                                     {"original", std::move(originalPoint)},
                                     {"best", std::move(bestJson)},
                                     {"history", std::move(history)},
                                     {"evaluations", std::move(evaluations)}};
  return result;
}

llvm::Expected<KernelEvolution>
cupilot::evolveKernel(const ParsedFile &parsed, const KernelIndex &index,
                      llvm::StringRef kernelName, const Task &task,
                      const std::string &taskFile,
                      const StrategyLibrary &library, TuningDatabase &db,
                      Worker &worker, const DeviceCeilings &device,
                      const EvolveOptions &options, llvm::raw_ostream &log) {
  const KernelInfo *kernel = index.find(kernelName.str());
  if (!kernel)
    return makeError(ExitCode::UnknownKernel, "{0}: no kernel named '{1}'",
                     parsed.getFile(), kernelName);
  Evolver evolver(parsed, index, *kernel, task, taskFile, library, db, worker,
                  device, options, log);
  return evolver.run();
}
