//===- KernelAnalysis.h - Frontend-internal analysis facts ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Facts the body walk gathers beyond the public KernelInfo (index
// polynomials, per-loop trip counts, accumulations), from which the static
// features and the cost estimate are derived. Private to lib/Frontend.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_FRONTEND_KERNELANALYSIS_H
#define CUPILOT_LIB_FRONTEND_KERNELANALYSIS_H

#include "cupilot/Frontend/KernelInfo.h"
#include "cupilot/Support/Polynomial.h"

#include "clang/Basic/SourceLocation.h"

#include <optional>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
class Expr;
} // namespace clang

namespace cupilot::detail {

/// Index polynomials of MemoryAccess i (same order as KernelInfo::accesses).
struct AccessFacts {
  /// Index with loop variables as symbols.
  Polynomial index;
  /// Index with loop variables replaced by `start + progress`.
  Polynomial indexSub;
  bool load = false;
};

/// `acc += ...` (or `acc = f(acc, ...)`) on a local scalar inside a loop.
struct Accumulation {
  int loop = -1;
  std::string var;
  bool hasProduct = false;
  const clang::Expr *rhs = nullptr;
};

/// Polynomial form of BoundsGuard i.
struct GuardFacts {
  Polynomial expr;
  std::vector<std::string> boundParams;
};

struct KernelFacts {
  std::vector<GuardFacts> guardPolys;
  /// Integer parameters each loop's bound mentions, per loop id.
  std::vector<std::vector<std::string>> loopBoundParams;
  std::vector<AccessFacts> accessPolys;
  /// Trip count per loop id; std::nullopt when unknown.
  std::vector<std::optional<Polynomial>> loopTrips;
  /// (loop id, flops) per floating-point operation.
  std::vector<std::pair<int, int>> flops;
  std::vector<Accumulation> accumulations;
  unsigned threadDims = 0;
  bool usesConstantMemory = false;
  /// Calls with a fast-math intrinsic (MathFunctions.h).
  unsigned fastMathCalls = 0;
};

std::string getText(const clang::Expr *e, const clang::ASTContext &ctx);
SourceLoc getLoc(clang::SourceLocation loc, const clang::ASTContext &ctx);

/// Fills info.features from the extracted facts.
void computeFeatures(KernelInfo &info, const KernelFacts &facts);
/// Fills ParamInfo::extentHint of the pointer parameters.
void computeExtentHints(KernelInfo &info, const KernelFacts &facts);
/// Fills info.estimate from the extracted facts.
void computeEstimate(KernelInfo &info, const KernelFacts &facts);

} // namespace cupilot::detail

#endif // CUPILOT_LIB_FRONTEND_KERNELANALYSIS_H
