//===- Modes.cpp - cupilot-opt modes that tune, evaluate and apply --------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Modes.h"
#include "cupilot/Config.h"
#include "cupilot/LLM/Assistant.h"
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Strategy/TaskIO.h"
#include "cupilot/Support/Error.h"
#include "cupilot/Tuner/Features.h"
#include "cupilot/Tuner/Report.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace cupilot;

/// The compute roofs the report charts: f32 always, f64 and f16 where known.
static llvm::json::Object peakGflopsJSON(const DeviceCeilings &device) {
  llvm::json::Object peaks{{"f32", device.peakGflopsF32}};
  if (device.peakGflopsF64 > 0)
    peaks["f64"] = device.peakGflopsF64;
  if (device.peakGflopsF16 > 0)
    peaks["f16"] = device.peakGflopsF16;
  return peaks;
}

std::string cupilot::getDefaultStrategiesDir() {
  if (const char *env = std::getenv("CUPILOT_STRATEGIES"); env && *env)
    return env;
  return CUPILOT_DEFAULT_STRATEGIES_DIR;
}

std::string cupilot::getTemplatesDir(llvm::StringRef strategiesDir) {
  llvm::SmallString<256> dir(strategiesDir);
  llvm::sys::path::append(dir, "templates");
  return dir.str().str();
}

static llvm::Error writeFile(llvm::StringRef path,
                             llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  if (llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        fn(os);
        return llvm::Error::success();
      }))
    return makeError(ExitCode::OutputError, "cannot write '{0}': {1}", path,
                     llvm::toString(std::move(err)));
  return llvm::Error::success();
}

namespace {
/// A parsed input file with its index.
struct Input {
  ParsedFile parsed;
  KernelIndex index;
};
} // namespace

static llvm::Expected<Input> parseInput(const ModeOptions &options) {
  auto parsed = parseCudaFile(options.inputFile, options.frontend);
  if (!parsed)
    return parsed.takeError();
  KernelIndex index = buildKernelIndex(*parsed);
  return Input{std::move(*parsed), std::move(index)};
}

static llvm::Expected<const KernelInfo *> findKernel(const KernelIndex &index,
                                                     llvm::StringRef name,
                                                     llvm::StringRef file) {
  if (const KernelInfo *k = index.find(name.str()))
    return k;
  std::string names;
  for (const KernelInfo &k : index.kernels)
    names += (names.empty() ? "" : ", ") + k.qualifiedName;
  return makeError(ExitCode::UnknownKernel,
                   "{0}: no kernel named '{1}' (kernels: {2})", file, name,
                   names.empty() ? "none" : names);
}

static llvm::Expected<std::string> readText(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError(ExitCode::InputError, "{0}: cannot read: {1}", path,
                     buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

//===----------------------------------------------------------------------===//
// --evaluate
//===----------------------------------------------------------------------===//

llvm::Error cupilot::runEvaluate(const ModeOptions &options) {
  if (options.taskFiles.size() != 1)
    return makeError(ExitCode::Usage, "--evaluate needs one --task");
  auto task = readTaskFile(options.taskFiles.front());
  if (!task)
    return task.takeError();
  auto original = readText(options.inputFile);
  if (!original)
    return original.takeError();
  std::string candidate = *original;
  EvaluateOptions eval = options.evolve.evaluate;
  if (!options.planFile.empty()) {
    auto plan = readPlanFile(options.planFile);
    if (!plan)
      return plan.takeError();
    // A relaxed plan gives up precision; the task decides whether that is
    // allowed (docs/PlanSchema.md), before anything is compiled.
    if (plan->precision == PlanPrecision::Relaxed &&
        task->precision != PrecisionPolicy::AllowReducedPrecision)
      return makeError(ExitCode::InputError,
                       "{0}: error: the plan has 'precision: relaxed', but "
                       "task {1} has precision policy '{2}'; only a task "
                       "with 'allow-reduced-precision' accepts a relaxed plan",
                       options.planFile, options.taskFiles.front(),
                       toString(task->precision));
    auto input = parseInput(options);
    if (!input)
      return input.takeError();
    ApplyOptions apply;
    apply.frontend = options.frontend;
    apply.templatesDir = getTemplatesDir(options.strategiesDir);
    auto rewritten = applyPlan(input->parsed, input->index, *plan, apply);
    if (!rewritten)
      return rewritten.takeError();
    candidate = rewritten->source;
    eval.candidateOptions = rewritten->compileFlags;
    eval.candidateTask = applyLaunchChanges(*task, *rewritten);
  }
  eval.worker = options.worker;
  auto result = evaluateTask(*task, *original, candidate, eval);
  if (!result)
    return result.takeError();
  if (llvm::Error e = writeFile(options.outputFile, [&](llvm::raw_ostream &os) {
        if (options.json)
          os << llvm::formatv("{0:2}", toJSON(*result)) << "\n";
        else
          printEvaluation(os, *result);
      }))
    return e;
  if (!result->passed())
    return makeError(ExitCode::VerificationFailed,
                     "the variant did not pass: {0} ({1})",
                     toString(result->verdict), result->reason);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// --apply-best
//===----------------------------------------------------------------------===//

/// The steps of the best plan of every kernel that has one, in kernel order.
static llvm::Expected<RewritePlan>
collectBestPlans(const KernelIndex &index, TuningDatabase &db,
                 llvm::StringRef bestArch, llvm::raw_ostream *log) {
  RewritePlan combined;
  combined.name = "best";
  for (const KernelInfo &k : index.kernels) {
    auto best = db.findBest(k.fingerprint);
    if (!best)
      return best.takeError();
    const BestVariant *chosen = nullptr;
    for (const BestVariant &b : *best) // highest speedup first
      if (bestArch.empty() || b.gpuArch == bestArch) {
        chosen = &b;
        break;
      }
    if (!chosen)
      continue;
    auto plan = parsePlan(chosen->planYaml, "<best plan of " +
                                                k.qualifiedName + ">");
    if (!plan)
      return plan.takeError();
    if (log)
      *log << "apply-best: " << k.qualifiedName << ": " << chosen->genome
           << " (" << llvm::formatv("{0:F3}", chosen->speedup) << "x on "
           << chosen->gpuArch << ")\n";
    for (RewriteStep &step : plan->steps)
      combined.steps.push_back(std::move(step));
  }
  return combined;
}

/// The input with the best plans of its kernels applied (the input itself
/// when no kernel has one).
static llvm::Expected<std::string> bestSource(const ModeOptions &options,
                                              const Input &input,
                                              TuningDatabase &db,
                                              llvm::StringRef arch,
                                              llvm::raw_ostream *log) {
  auto plan = collectBestPlans(input.index, db, arch, log);
  if (!plan)
    return plan.takeError();
  if (plan->steps.empty()) {
    if (log)
      *log << "apply-best: no kernel of " << options.inputFile
           << " has a best variant in " << db.getPath() << "\n";
    return readText(options.inputFile);
  }
  ApplyOptions apply;
  apply.frontend = options.frontend;
  apply.templatesDir = getTemplatesDir(options.strategiesDir);
  auto rewritten = applyPlan(input.parsed, input.index, *plan, apply);
  if (!rewritten)
    return rewritten.takeError();
  return rewritten->source;
}

llvm::Error cupilot::runApplyBest(const ModeOptions &options) {
  auto db = TuningDatabase::openReadOnly(options.dbPath);
  if (!db)
    return db.takeError();
  auto input = parseInput(options);
  if (!input)
    return input.takeError();
  auto source = bestSource(options, *input, *db, options.bestArch,
                           &llvm::errs());
  if (!source)
    return source.takeError();
  return writeFile(options.outputFile,
                   [&](llvm::raw_ostream &os) { os << *source; });
}

//===----------------------------------------------------------------------===//
// --emit=strategies and --genome
//===----------------------------------------------------------------------===//

llvm::Error cupilot::runListStrategies(const ModeOptions &options) {
  auto library = StrategyLibrary::load(options.strategiesDir);
  if (!library)
    return library.takeError();
  std::optional<FeatureSet> features;
  if (!options.kernel.empty()) {
    auto input = parseInput(options);
    if (!input)
      return input.takeError();
    auto kernel = findKernel(input->index, options.kernel, options.inputFile);
    if (!kernel)
      return kernel.takeError();
    std::optional<Task> task;
    if (!options.taskFiles.empty()) {
      auto t = readTaskFile(options.taskFiles.front());
      if (!t)
        return t.takeError();
      task = std::move(*t);
    }
    features = makeFeatureSet(**kernel, task ? &*task : nullptr, "");
  }
  return writeFile(options.outputFile, [&](llvm::raw_ostream &os) {
    for (const Strategy &s : library->strategies()) {
      os << s.id << "  [" << toString(s.bottleneck) << "]  " << s.title;
      if (features) {
        std::string why;
        if (s.appliesTo(*features, &why))
          os << "  -- applies";
        else
          os << "  -- does not apply: " << why;
      }
      os << "\n";
    }
  });
}

llvm::Error cupilot::runGenome(const ModeOptions &options, bool emitSource) {
  auto library = StrategyLibrary::load(options.strategiesDir);
  if (!library)
    return library.takeError();
  auto genome = parseGenome(options.genome);
  if (!genome)
    return genome.takeError();
  auto input = parseInput(options);
  if (!input)
    return input.takeError();
  auto kernel = findKernel(input->index, options.kernel, options.inputFile);
  if (!kernel)
    return kernel.takeError();
  std::optional<Task> task;
  if (!options.taskFiles.empty()) {
    auto t = readTaskFile(options.taskFiles.front());
    if (!t)
      return t.takeError();
    task = std::move(*t);
  }
  FeatureSet features = makeFeatureSet(**kernel, task ? &*task : nullptr, "");
  auto plan = lowerGenome(*genome, *library, features);
  if (!plan)
    return plan.takeError();
  if (!emitSource)
    return writeFile(options.outputFile,
                     [&](llvm::raw_ostream &os) { os << writePlan(*plan); });
  ApplyOptions apply;
  apply.frontend = options.frontend;
  apply.templatesDir = getTemplatesDir(options.strategiesDir);
  auto rewritten = applyPlan(input->parsed, input->index, *plan, apply);
  if (!rewritten)
    return rewritten.takeError();
  return writeFile(options.outputFile,
                   [&](llvm::raw_ostream &os) { os << rewritten->source; });
}

//===----------------------------------------------------------------------===//
// --render-report
//===----------------------------------------------------------------------===//

llvm::Error cupilot::runRenderReport(const ModeOptions &options,
                                     const std::string &reportFile) {
  auto text = readText(reportFile);
  if (!text)
    return text.takeError();
  auto json = llvm::json::parse(*text);
  if (!json)
    return makeError(ExitCode::InputError, "{0}: not valid JSON: {1}",
                     reportFile, llvm::toString(json.takeError()));
  auto html = renderReportHTML(*json);
  if (!html)
    return html.takeError();
  return writeFile(options.outputFile,
                   [&](llvm::raw_ostream &os) { os << *html; });
}

//===----------------------------------------------------------------------===//
// --evolve
//===----------------------------------------------------------------------===//

llvm::Error cupilot::runEvolve(const ModeOptions &options) {
  if (options.taskFiles.empty())
    return makeError(ExitCode::Usage, "--evolve needs at least one --task");
  auto library = StrategyLibrary::load(options.strategiesDir);
  if (!library)
    return library.takeError();
  std::vector<Task> tasks;
  for (const std::string &file : options.taskFiles) {
    auto task = readTaskFile(file);
    if (!task)
      return task.takeError();
    tasks.push_back(std::move(*task));
  }
  auto input = parseInput(options);
  if (!input)
    return input.takeError();
  for (const Task &task : tasks)
    if (auto k = findKernel(input->index, task.kernel, options.inputFile); !k)
      return k.takeError();
  auto db = TuningDatabase::open(options.dbPath);
  if (!db)
    return db.takeError();
  // Compiling ahead fills the GPU worker's cubin cache: without a cache
  // directory, one next to the database.
  WorkerOptions workerOptions = options.worker;
  if (options.evolve.jobs > 0 && workerOptions.cacheDir.empty()) {
    llvm::SmallString<256> cache(options.dbPath);
    llvm::sys::fs::make_absolute(cache);
    llvm::sys::path::remove_filename(cache);
    llvm::sys::path::append(cache, "cubins");
    workerOptions.cacheDir = std::string(cache);
  }
  auto worker = Worker::start(workerOptions);
  if (!worker)
    return worker.takeError();
  auto device = measureDevice(**worker, options.evolve.evaluate.timeout);
  if (!device)
    return device.takeError();
  llvm::errs() << "evolve: " << device->name << " (" << device->arch
               << "), memory roof "
               << llvm::formatv("{0:F0}", device->peakBandwidthGBs)
               << " GB/s (measured copy "
               << llvm::formatv("{0:F0}", device->measuredBandwidthGBs)
               << "), fp32 roof "
               << llvm::formatv("{0:F0}", device->peakGflopsF32)
               << " GFLOP/s; database " << options.dbPath << "\n";

  llvm::json::Array kernels;
  std::vector<std::pair<std::string, BestVariant>> winners;
  for (size_t i = 0; i < tasks.size(); ++i) {
    auto evolved = evolveKernel(input->parsed, input->index, tasks[i].kernel,
                                tasks[i], options.taskFiles[i], *library, *db,
                                **worker, *device, options.evolve,
                                llvm::errs());
    if (!evolved)
      return evolved.takeError();
    kernels.push_back(std::move(evolved->report));
    if (evolved->best)
      winners.emplace_back(tasks[i].kernel, *evolved->best);
    llvm::errs() << "evolve: " << tasks[i].kernel << ": "
                 << evolved->evaluations << " new evaluations, "
                 << evolved->reused << " reused; "
                 << (evolved->best ? llvm::formatv("best {0:F3}x with {1}",
                                                   evolved->best->speedup,
                                                   evolved->best->genome)
                                         .str()
                                   : std::string("no variant beat the "
                                                 "original"))
                 << "\n";
  }

  // Winning plans, the optimized source (kernels that improved; the rest
  // untouched) and the report.
  std::string prefix = options.reportPrefix;
  for (const auto &winner : winners) {
    const BestVariant &best = winner.second;
    std::string safe;
    for (char c : winner.first)
      safe += llvm::isAlnum(c) || c == '_' || c == '-' ? c : '_';
    if (llvm::Error e = writeFile(prefix + "." + safe + ".plan.yaml",
                                  [&](llvm::raw_ostream &os) {
                                    os << best.planYaml;
                                  }))
      return e;
  }
  if (options.outputFile != "") {
    auto source = bestSource(options, *input, *db, device->arch, nullptr);
    if (!source)
      return source.takeError();
    if (llvm::Error e = writeFile(options.outputFile, [&](llvm::raw_ostream &os) {
          os << *source;
        }))
      return e;
  }
  llvm::json::Value report = llvm::json::Object{
      {"schema", ReportSchema},
      {"source", options.inputFile},
      {"device",
       llvm::json::Object{{"name", device->name},
                          {"arch", device->arch},
                          {"peakBandwidthGBs", device->peakBandwidthGBs},
                          {"measuredBandwidthGBs",
                           device->measuredBandwidthGBs},
                          {"peakGflops", peakGflopsJSON(*device)}}},
      {"kernels", std::move(kernels)}};
  if (llvm::Error e = writeFile(prefix + ".json", [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", report) << "\n";
      }))
    return e;
  auto html = renderReportHTML(report);
  if (!html)
    return html.takeError();
  if (llvm::Error e = writeFile(prefix + ".html",
                                [&](llvm::raw_ostream &os) { os << *html; }))
    return e;
  llvm::errs() << "evolve: report " << prefix << ".json, " << prefix
               << ".html\n";
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// --llm-propose and --emit=strategist-prompt|translator-prompt
//===----------------------------------------------------------------------===//

namespace {
/// What the LLM roles are told about the kernel outside evolution.
struct LLMInputs {
  Input input;
  const KernelInfo *kernel = nullptr;
  llm::KernelContext context;
  std::vector<llm::HistoryEntry> history;
};
} // namespace

static llvm::Expected<LLMInputs> prepareLLMInputs(const ModeOptions &options,
                                                  bool withHistory) {
  std::optional<Task> task;
  if (!options.taskFiles.empty()) {
    auto t = readTaskFile(options.taskFiles.front());
    if (!t)
      return t.takeError();
    task = std::move(*t);
  }
  std::string name = options.kernel;
  if (name.empty() && task)
    name = task->kernel;
  if (name.empty())
    return makeError(ExitCode::Usage,
                     "the LLM modes need --kernel NAME (or a --task)");
  auto input = parseInput(options);
  if (!input)
    return input.takeError();
  LLMInputs result{std::move(*input), nullptr, {}, {}};
  auto kernel = findKernel(result.input.index, name, options.inputFile);
  if (!kernel)
    return kernel.takeError();
  result.kernel = *kernel;
  auto source = readText(options.inputFile);
  if (!source)
    return source.takeError();
  llm::KernelContext &k = result.context;
  k.name = result.kernel->qualifiedName;
  k.signature = result.kernel->signature;
  k.fileName = options.inputFile;
  k.source = std::move(*source);
  k.features = makeFeatureSet(*result.kernel, task ? &*task : nullptr, "");
  // These modes are about an LLM: a Translator is available.
  k.features.bindings[llm::TranslationBinding] = "";
  if (withHistory && llvm::sys::fs::exists(options.dbPath)) {
    auto db = TuningDatabase::openReadOnly(options.dbPath);
    if (!db)
      return db.takeError();
    auto records = db->listEvaluations(result.kernel->fingerprint);
    if (!records)
      return records.takeError();
    for (const EvaluationRecord &r : *records)
      result.history.push_back({r.genome, r.verdict, r.speedup, r.reason});
  }
  return std::move(result);
}

llvm::Error cupilot::runLLMPropose(const ModeOptions &options) {
  const llm::Config &config = options.evolve.llm;
  if (!config.isEnabled())
    return makeError(ExitCode::Usage,
                     "--llm-propose needs an LLM: set CUPILOT_LLM_URL and "
                     "CUPILOT_LLM_MODEL (or pass --llm-url/--llm-model, or "
                     "--llm-replay DIR); see docs/LLM.md");
  auto library = StrategyLibrary::load(options.strategiesDir);
  if (!library)
    return library.takeError();
  auto inputs = prepareLLMInputs(options, /*withHistory=*/true);
  if (!inputs)
    return inputs.takeError();
  llm::StrategistInput request;
  request.kernel = inputs->context;
  request.history = inputs->history;
  request.library = &*library;
  request.maxGenomes = options.evolve.llmGenomesPerGeneration;
  llvm::errs() << "llm-propose: " << config.describe() << "\n";
  llm::Assistant assistant(config);
  auto reply = assistant.propose(request);
  if (!reply)
    return reply.takeError();
  return writeFile(options.outputFile, [&](llvm::raw_ostream &os) {
    os << "# " << reply->genomes.size() << " genome(s) for '"
       << request.kernel.name << "' (" << reply->rejectedGenomes.size()
       << " rejected)\n";
    for (const Genome &g : reply->genomes)
      os << g.str() << "\n";
    for (const llm::Rejection &r : reply->rejectedGenomes)
      os << "# rejected '" << r.text << "': " << r.reason << "\n";
    for (const Strategy &s : reply->strategies)
      os << "# new strategy '" << s.id << "': " << s.title
         << " (valid; review it before adding it to the library)\n";
    for (const llm::Rejection &r : reply->rejectedStrategies)
      os << "# rejected strategy " << r.text << ": " << r.reason << "\n";
    for (const std::string &note : reply->notes)
      os << "# note: " << note << "\n";
  });
}

llvm::Error cupilot::runLLMPrompt(const ModeOptions &options,
                                  PromptRole role) {
  auto library = StrategyLibrary::load(options.strategiesDir);
  if (!library)
    return library.takeError();
  auto inputs = prepareLLMInputs(options, role == PromptRole::Strategist);
  if (!inputs)
    return inputs.takeError();
  std::vector<llm::Message> messages;
  if (role == PromptRole::Strategist) {
    llm::StrategistInput request;
    request.kernel = inputs->context;
    request.history = inputs->history;
    request.library = &*library;
    request.maxGenomes = options.evolve.llmGenomesPerGeneration;
    messages = llm::buildStrategistPrompt(request);
  } else {
    llm::TranslatorInput request;
    request.kernel = inputs->context;
    request.genome = options.genome.empty() ? "llm-rewrite" : options.genome;
    auto genome = parseGenome(request.genome);
    if (!genome)
      return genome.takeError();
    for (const Gene &g : genome->genes)
      if (const Strategy *s = library->find(g.strategy);
          s && llm::needsTranslation(*s))
        request.strategy = s;
    if (!request.strategy)
      return makeError(ExitCode::Usage,
                       "genome '{0}' has no strategy that needs the "
                       "Translator",
                       request.genome);
    messages = llm::buildTranslatorPrompt(request);
  }
  return writeFile(options.outputFile, [&](llvm::raw_ostream &os) {
    os << llm::renderMessages(messages);
  });
}
