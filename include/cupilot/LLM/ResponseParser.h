//===- ResponseParser.h - What an LLM answered, validated -------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Reads the text of an LLM answer: fenced code blocks (```cuda, ```yaml,
// ```genomes, untagged), genome lines and strategy YAML documents. Nothing
// the model writes is trusted: genomes are checked against the strategy
// library (known strategies, parameters in their domains, requirements and
// conflicts, applicability to the kernel) and rejected with a reason, new
// strategies go through the strategy reader and the library checks, code
// must be one closed block that defines the kernel. Every size is bounded.
// The parser accepts any bytes (fuzz/LlmResponseFuzzer.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LLM_RESPONSEPARSER_H
#define CUPILOT_LLM_RESPONSEPARSER_H

#include "cupilot/Strategy/Strategy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace cupilot::llm {

struct ParseLimits {
  /// Bytes of an answer that are read; the rest is ignored (and noted).
  size_t maxResponseBytes = 256 * 1024;
  unsigned maxBlocks = 64;
  /// Genomes accepted from one answer.
  unsigned maxGenomes = 16;
  /// Genome lines considered (accepted or rejected).
  unsigned maxGenomeLines = 64;
  size_t maxGenomeLength = 512;
  /// Strategy documents considered.
  unsigned maxStrategies = 4;
  /// Largest kernel code accepted from the Translator or the Revisor.
  size_t maxCodeBytes = 64 * 1024;
};

struct CodeBlock {
  /// The first word of the info string, lowercased (`cuda`, `yaml`); empty
  /// for an untagged block.
  std::string language;
  std::string text;
  /// 1-based line of the opening fence.
  unsigned line = 0;
  /// False when the answer ended inside the block.
  bool closed = true;
};

/// Fenced blocks (``` or ~~~, three or more, possibly indented), in order.
std::vector<CodeBlock> extractCodeBlocks(llvm::StringRef text,
                                         const ParseLimits &limits = {});

/// Whether a block's language names CUDA/C++ code.
bool isCodeLanguage(llvm::StringRef language);

/// Genome candidates, cleaned (bullets, backquotes, `genome:` and `#`
/// comments removed): the lines of ```genomes blocks, lines starting with
/// `genome:` outside blocks, and, when there is no ```genomes block, the
/// lines of untagged blocks that hold only genome characters.
std::vector<std::string> extractGenomeLines(llvm::StringRef text,
                                            const ParseLimits &limits = {});

/// Checks one genome text against `library` (and, when `features` is given,
/// that each strategy applies to the kernel); returns the canonical genome.
llvm::Expected<Genome> validateGenome(llvm::StringRef text,
                                      const StrategyLibrary &library,
                                      const FeatureSet *features);

struct Rejection {
  std::string text;
  std::string reason;
};

struct StrategistReply {
  /// Valid, canonical, distinct genomes, in the order proposed.
  std::vector<Genome> genomes;
  std::vector<Rejection> rejectedGenomes;
  /// New strategies that pass the strategy reader and the library checks.
  std::vector<Strategy> strategies;
  std::vector<Rejection> rejectedStrategies;
  /// Things the parser noticed (truncation, limits reached).
  std::vector<std::string> notes;
};

/// Reads a Strategist answer. Never fails: what is wrong is a rejection.
StrategistReply parseStrategistReply(llvm::StringRef text,
                                     const StrategyLibrary &library,
                                     const FeatureSet *features,
                                     const ParseLimits &limits = {});

/// The kernel code of a Translator or Revisor answer: the first closed
/// ```cuda (or ```cpp, ```c++, untagged) block that defines a __global__
/// function named like `kernelName` (its unqualified name).
llvm::Expected<std::string> extractKernelCode(llvm::StringRef text,
                                              llvm::StringRef kernelName,
                                              const ParseLimits &limits = {});

} // namespace cupilot::llm

#endif // CUPILOT_LLM_RESPONSEPARSER_H
