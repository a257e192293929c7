//===- cupilot-opt.cpp - The cupilot driver -------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Thin command-line front over the libraries; see docs/CommandLine.md.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Config.h"
#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Frontend/KernelIndexIO.h"
#include "cupilot/Frontend/TaskTemplate.h"
#include "cupilot/LLM/Client.h"
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Support/Error.h"
#include "cupilot/Tuner/Modes.h"

#include "clang/Tooling/CompilationDatabase.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <thread>

using namespace cupilot;
namespace cl = llvm::cl;

static cl::OptionCategory category("cupilot-opt options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.cu>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o",
                                       cl::desc("Output file ('-' = stdout)"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(category));
static cl::opt<std::string>
    buildPath("p", cl::desc("Build directory with compile_commands.json"),
              cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> listKernels("list-kernels",
                                 cl::desc("Print the kernel index"),
                                 cl::cat(category));
enum class Format { Table, JSON };
static cl::opt<Format> format(
    "format", cl::desc("Format of --list-kernels"), cl::init(Format::Table),
    cl::values(clEnumValN(Format::Table, "table", "readable table (default)"),
               clEnumValN(Format::JSON, "json",
                          "JSON, schema " + std::string(KernelIndexSchema))),
    cl::cat(category));
enum class Emit {
  None,
  TaskTemplate,
  Source,
  Changes,
  Plan,
  Flags,
  Strategies,
  StrategistPrompt,
  TranslatorPrompt
};
static cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::None),
    cl::values(clEnumValN(Emit::TaskTemplate, "task-template",
                          "draft a task file for --kernel"),
               clEnumValN(Emit::Source, "source",
                          "the rewritten source (default with --plan)"),
               clEnumValN(Emit::Changes, "changes",
                          "the edits of --plan, one line each, tagged by step"),
               clEnumValN(Emit::Plan, "plan", "the normalized --plan as YAML"),
               clEnumValN(Emit::Flags, "flags",
                          "the compile flags --plan records, one per line"),
               clEnumValN(Emit::Strategies, "strategies",
                          "the strategy library (and what applies to "
                          "--kernel)"),
               clEnumValN(Emit::StrategistPrompt, "strategist-prompt",
                          "the LLM Strategist's prompt for --kernel"),
               clEnumValN(Emit::TranslatorPrompt, "translator-prompt",
                          "the LLM Translator's prompt for --kernel and "
                          "--genome (default llm-rewrite)")),
    cl::cat(category));
static cl::opt<std::string> planFile("plan",
                                     cl::desc("Rewrite plan to apply "
                                              "(docs/PlanSchema.md)"),
                                     cl::value_desc("plan.yaml"),
                                     cl::cat(category));
enum class Mode { None, Evaluate, Evolve, ApplyBest };
static cl::opt<Mode> mode(
    cl::desc("Tuning modes:"), cl::init(Mode::None),
    cl::values(
        clEnumValN(Mode::Evaluate, "evaluate",
                   "verify and time the original (or --plan's variant) "
                   "against the original on the GPU"),
        clEnumValN(Mode::Evolve, "evolve",
                   "evolve the kernel of every --task on the GPU"),
        clEnumValN(Mode::ApplyBest, "apply-best",
                   "rewrite every kernel with a best variant in --db (no "
                   "GPU)")),
    cl::cat(category));
static cl::list<std::string> taskFiles("task",
                                       cl::desc("Task file (docs/TaskSchema.md)"),
                                       cl::value_desc("task.yaml"),
                                       cl::cat(category));
static cl::opt<std::string> genome("genome",
                                   cl::desc("Genome to lower for --kernel "
                                            "(with --emit=plan|source)"),
                                   cl::value_desc("text"), cl::cat(category));
static cl::opt<std::string>
    dbPath("db", cl::desc("Tuning database (SQLite)"),
           cl::value_desc("file"), cl::init(".cupilot/tuning.db"),
           cl::cat(category));
static cl::opt<std::string>
    strategiesDir("strategies", cl::desc("Strategy library directory"),
                  cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string>
    reportPrefix("report",
                 cl::desc("--evolve writes PREFIX.json, PREFIX.html and "
                          "PREFIX.<kernel>.plan.yaml"),
                 cl::value_desc("prefix"), cl::init("cupilot-report"),
                 cl::cat(category));
static cl::opt<std::string>
    renderReport("render-report",
                 cl::desc("Render a report JSON as HTML (to -o)"),
                 cl::value_desc("report.json"), cl::cat(category));
static cl::opt<std::string> bestArch("best-arch",
                                     cl::desc("--apply-best: only variants "
                                              "measured on this sm_XX"),
                                     cl::value_desc("arch"), cl::cat(category));
static cl::opt<std::string> workerPath("worker",
                                       cl::desc("cupilot-worker executable"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::opt<unsigned> seed("seed", cl::desc("Evolution seed"), cl::init(1),
                              cl::cat(category));
static cl::opt<unsigned> generations("generations",
                                     cl::desc("Evolution: generations"),
                                     cl::init(5), cl::cat(category));
static cl::opt<unsigned> population("population",
                                    cl::desc("Evolution: genomes per "
                                             "generation"),
                                    cl::init(8), cl::cat(category));
static cl::opt<unsigned>
    maxEvaluations("max-evaluations",
                   cl::desc("Evolution: new evaluations per kernel"),
                   cl::init(48), cl::cat(category));
static cl::opt<unsigned> timeBudget("time-budget",
                                    cl::desc("Evolution: seconds per kernel"),
                                    cl::init(1200), cl::cat(category));
static cl::opt<unsigned> patience("patience",
                                  cl::desc("Evolution: generations without "
                                           "improvement before stopping"),
                                  cl::init(2), cl::cat(category));
static cl::opt<unsigned>
    jobs("jobs",
         cl::desc("Evolution: compile-only workers that compile candidates "
                  "ahead of the GPU worker (default: the number of cores; 0: "
                  "none)"),
         cl::init(std::max(1u, std::thread::hardware_concurrency())),
         cl::cat(category));
static cl::opt<unsigned> evalTimeout("eval-timeout",
                                     cl::desc("Seconds per worker request"),
                                     cl::init(120), cl::cat(category));
static cl::opt<std::string> kernelName("kernel", cl::desc("Kernel to act on"),
                                       cl::value_desc("name"),
                                       cl::cat(category));
static cl::opt<std::string> cudaPath("cuda-path", cl::desc("CUDA toolkit root"),
                                     cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> resourceDir("resource-dir",
                                        cl::desc("Clang resource directory"),
                                        cl::value_desc("dir"),
                                        cl::cat(category));
static cl::opt<std::string> gpuArch("cuda-gpu-arch",
                                    cl::desc("GPU architecture (sm_XX)"),
                                    cl::value_desc("arch"), cl::cat(category));
// The LLM (docs/LLM.md). The API key has no flag: CUPILOT_LLM_API_KEY only.
static cl::opt<bool>
    llmPropose("llm-propose",
               cl::desc("Ask the LLM Strategist for genomes for --kernel and "
                        "print the valid ones (no GPU)"),
               cl::cat(category));
static cl::opt<std::string> llmUrl("llm-url",
                                   cl::desc("LLM base URL (default "
                                            "$CUPILOT_LLM_URL)"),
                                   cl::value_desc("url"), cl::cat(category));
static cl::opt<std::string> llmModel("llm-model",
                                     cl::desc("LLM model (default "
                                              "$CUPILOT_LLM_MODEL)"),
                                     cl::value_desc("name"), cl::cat(category));
static cl::opt<std::string>
    llmRecord("llm-record",
              cl::desc("Record LLM responses in this directory"),
              cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string>
    llmReplay("llm-replay",
              cl::desc("Answer LLM requests from recordings in this "
                       "directory"),
              cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> noLLM("no-llm",
                           cl::desc("Use no LLM, even if the environment "
                                    "configures one"),
                           cl::cat(category));
static cl::opt<CudaSide>
    side("cuda-side", cl::desc("Which CUDA compilation to parse"),
         cl::init(CudaSide::Host),
         cl::values(clEnumValN(CudaSide::Host, "host", "host side (default)"),
                    clEnumValN(CudaSide::Device, "device", "device side"),
                    clEnumValN(CudaSide::Both, "both", "both sides")),
         cl::cat(category));

static llvm::Error
writeOutput(llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  if (llvm::Error err =
          llvm::writeToOutput(outputFile, [&](llvm::raw_ostream &os) {
            fn(os);
            return llvm::Error::success();
          }))
    return makeError(ExitCode::OutputError, "cannot write '{0}': {1}",
                     outputFile, llvm::toString(std::move(err)));
  return llvm::Error::success();
}

static llvm::Error runPlan(const FrontendOptions &options) {
  auto plan = readPlanFile(planFile);
  if (!plan)
    return plan.takeError();
  if (emit == Emit::Plan)
    return writeOutput([&](llvm::raw_ostream &os) { os << writePlan(*plan); });
  auto parsed = parseCudaFile(inputFile, options);
  if (!parsed)
    return parsed.takeError();
  KernelIndex index = buildKernelIndex(*parsed);
  ApplyOptions applyOptions;
  applyOptions.frontend = options;
  if (!strategiesDir.empty())
    applyOptions.templatesDir = getTemplatesDir(strategiesDir);
  auto result = applyPlan(*parsed, index, *plan, applyOptions);
  if (!result)
    return result.takeError();
  return writeOutput([&](llvm::raw_ostream &os) {
    if (emit == Emit::Changes)
      printChanges(*result, os);
    else if (emit == Emit::Flags)
      for (const std::string &flag : result->compileFlags)
        os << flag << "\n";
    else
      os << result->source;
  });
}

static ModeOptions makeModeOptions(const FrontendOptions &frontend) {
  ModeOptions m;
  m.inputFile = inputFile;
  m.outputFile = outputFile;
  m.frontend = frontend;
  m.taskFiles.assign(taskFiles.begin(), taskFiles.end());
  m.planFile = planFile;
  m.genome = genome;
  m.kernel = kernelName;
  m.strategiesDir =
      strategiesDir.empty() ? getDefaultStrategiesDir() : strategiesDir;
  m.evolve.templatesDir = getTemplatesDir(m.strategiesDir);
  m.dbPath = dbPath;
  m.reportPrefix = reportPrefix;
  m.bestArch = bestArch;
  m.json = format == Format::JSON;
  m.worker.executable = workerPath;
  m.worker.cudaPath = frontend.cudaPath;
  m.evolve.seed = seed;
  m.evolve.generations = generations;
  m.evolve.population = population;
  m.evolve.maxEvaluations = maxEvaluations;
  m.evolve.wallTime = std::chrono::seconds(timeBudget);
  m.evolve.patience = patience;
  m.evolve.frontend = frontend;
  m.evolve.jobs = jobs;
  m.evolve.evaluate.timeout = std::chrono::seconds(evalTimeout);
  m.evolve.evaluate.worker = m.worker;
  m.evolve.terminal = llvm::sys::Process::StandardErrIsDisplayed();
  return m;
}

static llvm::Error run(const FrontendOptions &options) {
  ModeOptions m = makeModeOptions(options);
  if (!renderReport.empty())
    return runRenderReport(m, renderReport);
  if (mode == Mode::Evaluate)
    return runEvaluate(m);
  if (mode == Mode::Evolve || llmPropose) {
    auto llm = llm::loadConfig(
        {llmUrl, llmModel, llmRecord, llmReplay, /*disable=*/noLLM});
    if (!llm)
      return llm.takeError();
    m.evolve.llm = std::move(*llm);
  }
  if (llmPropose)
    return runLLMPropose(m);
  if (emit == Emit::StrategistPrompt || emit == Emit::TranslatorPrompt)
    return runLLMPrompt(m, emit == Emit::StrategistPrompt
                               ? PromptRole::Strategist
                               : PromptRole::Translator);
  if (mode == Mode::Evolve) {
    // -o is the optimized source; without it nothing is written there.
    if (outputFile == "-")
      m.outputFile = "";
    return runEvolve(m);
  }
  if (mode == Mode::ApplyBest)
    return runApplyBest(m);
  if (emit == Emit::Strategies)
    return runListStrategies(m);
  if (!genome.empty())
    return runGenome(m, emit == Emit::Source);
  if (!planFile.empty())
    return runPlan(options);
  auto index = indexCudaFile(inputFile, options);
  if (!index)
    return index.takeError();
  if (listKernels)
    return writeOutput([&](llvm::raw_ostream &os) {
      if (format == Format::JSON)
        printKernelIndexJSON(*index, os);
      else
        printKernelIndexTable(*index, os);
    });
  // --emit=task-template
  const KernelInfo *kernel = index->find(kernelName);
  if (!kernel) {
    std::string names;
    for (const KernelInfo &k : index->kernels)
      names += (names.empty() ? "" : ", ") + k.qualifiedName;
    return makeError(ExitCode::UnknownKernel,
                     "{0}: no kernel named '{1}' (kernels: {2})", inputFile,
                     kernelName, names.empty() ? "none" : names);
  }
  TaskDraft draft = draftTask(*kernel);
  return writeOutput([&](llvm::raw_ostream &os) {
    os << renderTaskTemplate(draft, inputFile);
  });
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::string dbError;
  // Flags after `--` form a fixed compilation database, as in LibTooling.
  std::unique_ptr<clang::tooling::CompilationDatabase> fixedDb =
      clang::tooling::FixedCompilationDatabase::loadFromCommandLine(argc, argv,
                                                                    dbError);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "cupilot-opt " << CUPILOT_VERSION << "\n";
  });
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "cupilot CUDA kernel optimizer\n"))
    return static_cast<int>(ExitCode::Usage);
  auto usage = [](const char *msg) {
    return reportAndGetExitCode("cupilot-opt",
                                makeError(ExitCode::Usage, "{0}", msg));
  };
  bool noInputNeeded = (emit == Emit::Plan && !planFile.empty()) ||
                       !renderReport.empty() ||
                       (emit == Emit::Strategies && kernelName.empty());
  if (inputFile.empty() && !noInputNeeded)
    return usage("no input file (see --help)");
  bool llmMode = llmPropose || emit == Emit::StrategistPrompt ||
                 emit == Emit::TranslatorPrompt;
  bool tuning = mode != Mode::None || !renderReport.empty() ||
                emit == Emit::Strategies || !genome.empty() || llmMode;
  if (tuning) {
    if (listKernels)
      return usage("--list-kernels does not combine with tuning modes");
    if (mode != Mode::None && !renderReport.empty())
      return usage("--render-report does not combine with other modes");
    if (llmMode && (mode != Mode::None || (llmPropose && emit != Emit::None)))
      return usage("--llm-propose and --emit=strategist-prompt|"
                   "translator-prompt go alone");
    if (!genome.empty() && emit != Emit::TranslatorPrompt &&
        (kernelName.empty() || (emit != Emit::Plan && emit != Emit::Source)))
      return usage("--genome needs --kernel NAME and --emit=plan|source");
    if ((mode == Mode::Evolve || mode == Mode::Evaluate) && taskFiles.empty())
      return usage("--evolve and --evaluate need --task TASK.yaml");
  }
  bool planEmit = emit == Emit::Source || emit == Emit::Changes ||
                  emit == Emit::Plan || emit == Emit::Flags;
  if (tuning) {
    // Checked above.
  } else if (!planFile.empty()) {
    if (listKernels || emit == Emit::TaskTemplate)
      return usage("--plan goes with --emit=source|changes|plan|flags only");
  } else if (planEmit) {
    return usage("--emit=source|changes|plan|flags needs --plan PLAN.yaml");
  } else if (listKernels == (emit != Emit::None)) {
    return usage("give exactly one of --list-kernels, --emit=... or --plan");
  }
  if (emit == Emit::TaskTemplate && kernelName.empty())
    return usage("--emit=task-template needs --kernel NAME");

  FrontendOptions options = FrontendOptions::getDefault();
  if (!cudaPath.empty())
    options.cudaPath = cudaPath;
  if (!resourceDir.empty())
    options.resourceDir = resourceDir;
  if (!gpuArch.empty())
    options.gpuArch = gpuArch;
  options.side = side;
  if (!buildPath.empty()) {
    auto db = clang::tooling::CompilationDatabase::loadFromDirectory(buildPath,
                                                                     dbError);
    if (!db)
      return reportAndGetExitCode(
          "cupilot-opt", makeError(ExitCode::InputError,
                                   "cannot load compilation database from "
                                   "'{0}': {1}",
                                   buildPath, dbError));
    options.compilations = std::move(db);
  } else if (fixedDb) {
    options.compilations = std::move(fixedDb);
  }
  return reportAndGetExitCode("cupilot-opt", run(options));
}
