//===- Modes.h - cupilot-opt modes that tune, evaluate and apply -*- C++ -*-=//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The work behind `cupilot-opt --evaluate`, `--evolve`, `--apply-best`,
// `--emit=strategies`, `--genome`, `--render-report`, `--llm-propose` and
// `--emit=strategist-prompt|translator-prompt`, so that the tool's
// main stays a thin layer of options (docs/CommandLine.md).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_MODES_H
#define CUPILOT_TUNER_MODES_H

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Tuner/Evolution.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace cupilot {

struct ModeOptions {
  std::string inputFile;
  /// `-o`; `-` is stdout.
  std::string outputFile = "-";
  FrontendOptions frontend;
  std::vector<std::string> taskFiles;
  std::string planFile;
  std::string genome;
  std::string kernel;
  std::string strategiesDir;
  std::string dbPath;
  std::string reportPrefix;
  /// Only best variants measured on this arch (`--best-arch`); any if empty.
  std::string bestArch;
  bool json = false;
  EvolveOptions evolve;
  WorkerOptions worker;
};

/// Default strategy directory: $CUPILOT_STRATEGIES, else the build's.
std::string getDefaultStrategiesDir();
/// The template directory of a strategy library (`DIR/templates`), where
/// instantiate-template finds templates named without a path.
std::string getTemplatesDir(llvm::StringRef strategiesDir);

/// `--evaluate`: the original (or `--plan`'s variant) against the original.
llvm::Error runEvaluate(const ModeOptions &options);
/// `--evolve`: evolves the kernel of every `--task`, writes the optimized
/// source (`-o`), the winning plans and the report.
llvm::Error runEvolve(const ModeOptions &options);
/// `--apply-best`: rewrites every kernel that has a best variant in the
/// database; no GPU needed.
llvm::Error runApplyBest(const ModeOptions &options);
/// `--emit=strategies`: the strategy library and what applies to --kernel.
llvm::Error runListStrategies(const ModeOptions &options);
/// `--genome G --kernel K --emit=plan|source`: lowers a genome.
llvm::Error runGenome(const ModeOptions &options, bool emitSource);
/// `--render-report R.json`: the HTML page of a report.
llvm::Error runRenderReport(const ModeOptions &options,
                            const std::string &reportFile);

/// `--llm-propose`: asks the Strategist (options.evolve.llm) for genomes for
/// the kernel and prints the valid ones, one per line, then what was
/// rejected and why as `#` comments. The history comes from --db when the
/// file exists. No GPU needed.
llvm::Error runLLMPropose(const ModeOptions &options);

enum class PromptRole { Strategist, Translator };
/// `--emit=strategist-prompt|translator-prompt`: the prompt cupilot would
/// send for the kernel (the Translator's for the strategy of --genome that
/// needs code, `llm-rewrite` by default). No LLM is contacted.
llvm::Error runLLMPrompt(const ModeOptions &options, PromptRole role);

} // namespace cupilot

#endif // CUPILOT_TUNER_MODES_H
