//===- PlanApplier.h - Applying rewrite plans to CUDA sources ---*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Applies a RewritePlan to a parsed CUDA file. Every step sees the original
// AST, checks that it is legal on its kernel and produces edits as values
// (clang::tooling::Replacement) tagged with the step that made them. Edits of
// different steps must not overlap; the result is the original text with all
// edits applied, byte-identical on every run. Refusals are llvm::Errors with
// ExitCode::IllegalRewrite and the form
// `file:line:col: error: step N (kind): ...`.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_REWRITE_PLANAPPLIER_H
#define CUPILOT_REWRITE_PLANAPPLIER_H

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Frontend/KernelInfo.h"
#include "cupilot/Strategy/RewritePlan.h"

#include "clang/Tooling/Core/Replacement.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cupilot {

/// One edit of the source, tagged with the plan step that made it.
struct RewriteEdit {
  unsigned step = 0;
  std::string kind;
  /// Offset, length and new text in the main file.
  clang::tooling::Replacement replacement;
  /// The replaced text and the 1-based range it spans (begin inclusive,
  /// end exclusive, both in the original file).
  std::string oldText;
  SourceLoc begin;
  SourceLoc end;
};

/// A launch whose block (and possibly grid) a step changed. The task's
/// launches of `kernel` follow it. `loc` is the launch in the file, or the
/// kernel when the file has none (the change is for the task's launches).
struct LaunchChange {
  unsigned step = 0;
  /// The kind of the step (`set-block-size`, `coarsen`, ...).
  std::string kind;
  std::string kernel;
  SourceLoc loc;
  /// The new block shape; empty when the block did not change.
  std::vector<int64_t> block;
  /// The grid's extent `gridDivisorDim` is now the old one divided by this,
  /// rounded up (steps that give each thread several elements or rows); 1
  /// when unchanged.
  int64_t gridDivisor = 1;
  /// The grid dimension `gridDivisor` divides: 0 (x: coarsen, vectorize) or
  /// 1 (y: coarsen-rows).
  unsigned gridDivisorDim = 0;
};

struct RewriteResult {
  std::string file;
  /// The rewritten source.
  std::string source;
  /// All edits, ordered by position in the file, then by step.
  std::vector<RewriteEdit> edits;
  /// Options from `compile-flags` steps, in plan order, duplicates removed.
  std::vector<std::string> compileFlags;
  std::vector<LaunchChange> launchChanges;
};

struct ApplyOptions {
  /// Used to re-parse the rewritten source (replace-kernel checks, and
  /// `verifyOutput`).
  FrontendOptions frontend;
  /// Re-parse the output even when no step requires it.
  bool verifyOutput = false;
  /// Where instantiate-template finds templates named without a path
  /// (`templates/` of the strategy library in use); empty: `templates/`
  /// under $CUPILOT_STRATEGIES, else under the configured strategies
  /// directory.
  std::string templatesDir;
};

/// Applies `plan` to `parsed` (whose kernel index is `index`).
llvm::Expected<RewriteResult> applyPlan(const ParsedFile &parsed,
                                        const KernelIndex &index,
                                        const RewritePlan &plan,
                                        const ApplyOptions &options);

/// Prints every edit as
/// `step N (kind) file:L:C-L:C: replace "old" with "new"` (or `insert
/// "new"`), then one line per compile flag and launch change.
void printChanges(const RewriteResult &result, llvm::raw_ostream &os);

/// The step kinds this library can apply, in table order.
std::vector<std::string> getRegisteredSteps();

} // namespace cupilot

#endif // CUPILOT_REWRITE_PLANAPPLIER_H
