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
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Support/Error.h"

#include "clang/Tooling/CompilationDatabase.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

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
enum class Emit { None, TaskTemplate, Source, Changes, Plan, Flags };
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
                          "the compile flags --plan records, one per line")),
    cl::cat(category));
static cl::opt<std::string> planFile("plan",
                                     cl::desc("Rewrite plan to apply "
                                              "(docs/PlanSchema.md)"),
                                     cl::value_desc("plan.yaml"),
                                     cl::cat(category));
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

static llvm::Error run(const FrontendOptions &options) {
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
  if (inputFile.empty() && !(emit == Emit::Plan && !planFile.empty()))
    return usage("no input file (see --help)");
  bool planEmit = emit == Emit::Source || emit == Emit::Changes ||
                  emit == Emit::Plan || emit == Emit::Flags;
  if (!planFile.empty()) {
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
