//===- StepRegistry.cpp - The table of rewrite rules ----------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The one place that maps step kinds (as plans spell them, see
// cupilot/Strategy/RewritePlan.h) to the rules that apply them.
//
//===----------------------------------------------------------------------===//

#include "Steps/Steps.h"

using namespace cupilot::rewrite;

namespace {

struct Registration {
  const char *kind;
  StepRule rule;
};

const Registration Rules[] = {
    {"launch-bounds", applyLaunchBounds},
    {"restrict", applyRestrict},
    {"const", applyConst},
    {"unroll", applyUnroll},
    {"read-only-loads", applyReadOnlyLoads},
    {"compile-flags", applyCompileFlags},
    {"fast-math-intrinsics", applyFastMathIntrinsics},
    {"set-block-size", applySetBlockSize},
    {"replace-kernel", applyReplaceKernel},
    {"grid-stride", applyGridStride},
    {"coarsen", applyCoarsen},
    {"coarsen-rows", applyCoarsenRows},
    {"vectorize", applyVectorize},
    {"warp-shuffle-reduce", applyWarpShuffleReduce},
    {"tile-to-shared", applyTileToShared},
    {"instantiate-template", applyInstantiateTemplate},
    {"tile-stencil", applyTileStencil},
};

} // namespace

StepRule cupilot::rewrite::findStepRule(llvm::StringRef kind) {
  for (const Registration &r : Rules)
    if (kind == r.kind)
      return r.rule;
  return nullptr;
}

std::vector<std::string> cupilot::rewrite::getStepRuleNames() {
  std::vector<std::string> names;
  for (const Registration &r : Rules)
    names.push_back(r.kind);
  return names;
}
