//===- CudaFrontend.cpp - Parsing CUDA translation units ------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Config.h"
#include "cupilot/Support/Error.h"

#include "clang/AST/ASTContext.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace cupilot;
using namespace clang;

cupilot::FrontendOptions cupilot::FrontendOptions::getDefault() {
  cupilot::FrontendOptions options;
  options.cudaPath = CUPILOT_DEFAULT_CUDA_PATH;
  options.resourceDir = CUPILOT_DEFAULT_RESOURCE_DIR;
  options.gpuArch = CUPILOT_DEFAULT_GPU_ARCH;
  if (const char *env = std::getenv("CUPILOT_CUDA_PATH"); env && *env)
    options.cudaPath = env;
  if (const char *env = std::getenv("CUPILOT_RESOURCE_DIR"); env && *env)
    options.resourceDir = env;
  return options;
}

ParsedFile::ParsedFile(std::string file, std::unique_ptr<ASTUnit> ast)
    : file(std::move(file)), ast(std::move(ast)) {}
ParsedFile::~ParsedFile() = default;
ParsedFile::ParsedFile(ParsedFile &&) noexcept = default;
ParsedFile &ParsedFile::operator=(ParsedFile &&) noexcept = default;

ASTContext &ParsedFile::getASTContext() const { return ast->getASTContext(); }

namespace {

/// Prints diagnostics like clang does and counts the errors, so that a
/// failed parse is never mistaken for success (ClangTool::buildASTs reports
/// success regardless).
class CountingDiagnosticConsumer : public DiagnosticConsumer {
public:
  CountingDiagnosticConsumer(bool print)
      : diagOpts(), printer(llvm::errs(), diagOpts), print(print) {}

  void BeginSourceFile(const LangOptions &langOpts,
                       const Preprocessor *pp) override {
    printer.BeginSourceFile(langOpts, pp);
  }
  void EndSourceFile() override { printer.EndSourceFile(); }
  void HandleDiagnostic(DiagnosticsEngine::Level level,
                        const Diagnostic &info) override {
    DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level >= DiagnosticsEngine::Error) {
      ++errors;
      // Unprinted, the first errors go into the returned error instead, so
      // that a caller that parses generated code (a rewritten source) can
      // say what is wrong with it.
      if (!print && firstErrors.size() < MaxKeptErrors) {
        llvm::SmallString<128> text;
        info.FormatDiagnostic(text);
        std::string where;
        if (info.hasSourceManager() && info.getLocation().isValid()) {
          PresumedLoc p = info.getSourceManager().getPresumedLoc(
              info.getSourceManager().getExpansionLoc(info.getLocation()));
          if (p.isValid())
            where = std::to_string(p.getLine()) + ":" +
                    std::to_string(p.getColumn()) + ": ";
        }
        firstErrors.push_back(where + "error: " + text.str().str());
      }
    }
    if (print)
      printer.HandleDiagnostic(level, info);
  }

  static constexpr size_t MaxKeptErrors = 5;
  unsigned errors = 0;
  /// The first errors (line:col: error: message) when not printing.
  std::vector<std::string> firstErrors;

private:
  DiagnosticOptions diagOpts;
  TextDiagnosticPrinter printer;
  bool print;
};

tooling::ArgumentsAdjuster makeCudaAdjuster(const cupilot::FrontendOptions &options,
                                            bool deviceSide) {
  std::vector<std::string> front = {"-xcuda"};
  std::vector<std::string> back = {
      deviceSide ? "--cuda-device-only" : "--cuda-host-only",
      "--cuda-path=" + options.cudaPath,
      "-Wno-unknown-cuda-version",
      "-isystem",
      options.cudaPath + "/include/cccl",
      "-fsyntax-only",
  };
  if (!options.gpuArch.empty())
    back.push_back("--cuda-gpu-arch=" + options.gpuArch);
  if (!options.resourceDir.empty())
    back.push_back("-resource-dir=" + options.resourceDir);
  back.insert(back.end(), options.extraArgs.begin(), options.extraArgs.end());

  tooling::ArgumentsAdjuster adjuster = tooling::combineAdjusters(
      tooling::getClangStripOutputAdjuster(),
      tooling::getClangStripDependencyFileAdjuster());
  adjuster = tooling::combineAdjusters(
      adjuster, [](const tooling::CommandLineArguments &args,
                   StringRef) -> tooling::CommandLineArguments {
        // Flags that select the offload side or the GPU are ours to set.
        tooling::CommandLineArguments result;
        for (const std::string &arg : args) {
          StringRef a(arg);
          if (a == "--cuda-host-only" || a == "--cuda-device-only" ||
              a == "-c" || a == "-fsyntax-only" ||
              a.starts_with("--cuda-gpu-arch="))
            continue;
          result.push_back(arg);
        }
        return result;
      });
  adjuster = tooling::combineAdjusters(
      adjuster, tooling::getInsertArgumentAdjuster(
                    front, tooling::ArgumentInsertPosition::BEGIN));
  return tooling::combineAdjusters(
      adjuster,
      tooling::getInsertArgumentAdjuster(back,
                                         tooling::ArgumentInsertPosition::END));
}

llvm::Expected<std::unique_ptr<ASTUnit>>
parseOneSide(StringRef file, const cupilot::FrontendOptions &options, bool deviceSide) {
  std::unique_ptr<tooling::CompilationDatabase> fixed;
  const tooling::CompilationDatabase *db = options.compilations.get();
  if (!db || db->getCompileCommands(file).empty()) {
    fixed = std::make_unique<tooling::FixedCompilationDatabase>(
        ".", std::vector<std::string>());
    db = fixed.get();
  }

  tooling::ClangTool tool(*db, {file.str()});
  tool.appendArgumentsAdjuster(makeCudaAdjuster(options, deviceSide));
  CountingDiagnosticConsumer diags(options.printDiagnostics);
  tool.setDiagnosticConsumer(&diags);
  tool.setPrintErrorMessage(false);

  std::vector<std::unique_ptr<ASTUnit>> asts;
  int status = tool.buildASTs(asts);
  const char *side = deviceSide ? "device" : "host";
  if (diags.errors > 0) {
    std::string details;
    for (const std::string &e : diags.firstErrors)
      details += "\n  " + e;
    return makeError(ExitCode::ParseError,
                     "{0}: {1} error{2} while parsing the CUDA {3} side{4}",
                     file, diags.errors, diags.errors == 1 ? "" : "s", side,
                     details);
  }
  if (status != 0 || asts.size() != 1 || !asts.front())
    return makeError(ExitCode::ParseError,
                     "{0}: clang could not build an AST for the CUDA {1} side",
                     file, side);
  return std::move(asts.front());
}

} // namespace

llvm::Expected<ParsedFile> cupilot::parseCudaFile(StringRef file,
                                                  const cupilot::FrontendOptions &options) {
  if (!llvm::sys::fs::exists(file))
    return makeError(ExitCode::InputError, "{0}: no such file", file);
  if (llvm::sys::fs::is_directory(file))
    return makeError(ExitCode::InputError, "{0}: is a directory", file);
  if (!options.cudaPath.empty() &&
      !llvm::sys::fs::exists(options.cudaPath + "/include/cuda_runtime.h"))
    return makeError(ExitCode::NoDevice,
                     "no CUDA toolkit at '{0}' (cuda_runtime.h not found); "
                     "pass --cuda-path or set CUPILOT_CUDA_PATH",
                     options.cudaPath);

  if (options.side == CudaSide::Device || options.side == CudaSide::Both) {
    auto device = parseOneSide(file, options, /*deviceSide=*/true);
    if (!device)
      return device.takeError();
    if (options.side == CudaSide::Device)
      return ParsedFile(file.str(), std::move(*device));
  }
  auto host = parseOneSide(file, options, /*deviceSide=*/false);
  if (!host)
    return host.takeError();
  return ParsedFile(file.str(), std::move(*host));
}

llvm::Expected<KernelIndex>
cupilot::indexCudaFile(StringRef file, const cupilot::FrontendOptions &options) {
  auto parsed = parseCudaFile(file, options);
  if (!parsed)
    return parsed.takeError();
  return buildKernelIndex(*parsed);
}
