//===- Prompts.h - Prompts of the LLM roles ---------------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The three roles of ARCHITECTURE.md, as prompts built from plain data:
//  - Strategist: proposes genomes (and possibly new strategies) from the
//    kernel source, its features, its roofline position, the history of
//    evaluated genomes and the strategy library;
//  - Translator: writes the kernel for a strategy that has no mechanical
//    lowering (`replace-kernel` with `${translation}`);
//  - Revisor: repairs such a kernel from a compile log or a verification
//    report.
// Prompts are deterministic text (same input, same bytes): they key the
// record/replay cache and are checked with FileCheck (docs/LLM.md).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LLM_PROMPTS_H
#define CUPILOT_LLM_PROMPTS_H

#include "cupilot/LLM/Client.h"
#include "cupilot/Strategy/Strategy.h"

#include <optional>
#include <string>
#include <vector>

namespace cupilot::llm {

/// The kernel a prompt is about.
struct KernelContext {
  /// Qualified name (how genomes and plans name it).
  std::string name;
  std::string signature;
  std::string fileName;
  /// The translation unit's text (truncated in prompts beyond
  /// MaxSourceBytes).
  std::string source;
  FeatureSet features;
};

/// Where the kernel stands on the roofline (from a measurement).
struct RooflinePosition {
  /// `memory`, `compute`, `latency`, or empty when not measured.
  std::string rooflineClass;
  std::optional<double> percentOfRoof;
  std::optional<double> timeMs;
};

/// One evaluated genome.
struct HistoryEntry {
  std::string genome;
  /// `passed`, `failed`, `compile-error`, `illegal-rewrite`, ...
  std::string verdict;
  std::optional<double> speedup;
  std::string reason;
};

struct StrategistInput {
  KernelContext kernel;
  RooflinePosition roofline;
  /// Oldest first; prompts keep the last MaxHistoryEntries.
  std::vector<HistoryEntry> history;
  const StrategyLibrary *library = nullptr;
  /// How many genomes to ask for.
  unsigned maxGenomes = 4;
};

struct TranslatorInput {
  KernelContext kernel;
  RooflinePosition roofline;
  /// The strategy whose lowering needs code (e.g. `llm-rewrite`).
  const Strategy *strategy = nullptr;
  /// The genome being lowered, for context.
  std::string genome;
};

enum class RepairKind { CompileError, VerificationFailure };

struct RevisorInput {
  KernelContext kernel;
  /// The kernel code that failed.
  std::string code;
  std::string genome;
  RepairKind kind = RepairKind::CompileError;
  /// The compile log or the verification report.
  std::string report;
};

/// Bounds on what a prompt includes.
constexpr size_t MaxSourceBytes = 24 * 1024;
constexpr size_t MaxReportBytes = 8 * 1024;
constexpr unsigned MaxHistoryEntries = 40;

std::vector<Message> buildStrategistPrompt(const StrategistInput &input);
std::vector<Message> buildTranslatorPrompt(const TranslatorInput &input);
std::vector<Message> buildRevisorPrompt(const RevisorInput &input);

/// Messages as readable text: `### <role>` headers, then the content.
std::string renderMessages(llvm::ArrayRef<Message> messages);

} // namespace cupilot::llm

#endif // CUPILOT_LLM_PROMPTS_H
