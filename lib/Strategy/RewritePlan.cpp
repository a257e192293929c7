//===- RewritePlan.cpp - Step schemas and plan accessors ------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The table of step kinds below is the single source of truth for what a
// plan may say; docs/PlanSchema.md mirrors it and PlanIO.cpp enforces it.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/RewritePlan.h"

#include "llvm/ADT/STLExtras.h"

using namespace cupilot;

llvm::StringRef cupilot::describe(ParamType type) {
  switch (type) {
  case ParamType::Int:
    return "an integer";
  case ParamType::Bool:
    return "true or false";
  case ParamType::String:
    return "a string";
  case ParamType::StringList:
    return "a list of strings";
  }
  return "a value";
}

llvm::StringRef cupilot::toString(PlanPrecision precision) {
  return precision == PlanPrecision::Relaxed ? "relaxed" : "strict";
}

namespace {

constexpr int64_t MaxLoopId = 1 << 20;

const ParamSchema LaunchBoundsParams[] = {
    {"max-threads", ParamType::Int, true, 1, 1024,
     "maximum threads per block (first __launch_bounds__ argument)"},
    {"min-blocks", ParamType::Int, false, 1, 32,
     "minimum resident blocks per SM (second argument)"},
};
const ParamSchema RestrictParams[] = {
    {"params", ParamType::StringList, false, 0, 0,
     "pointer parameters to mark (default: every pointer parameter)"},
    {"assume-no-alias", ParamType::Bool, false, 0, 0,
     "assert that no two pointer arguments alias"},
};
const ParamSchema ConstParams[] = {
    {"params", ParamType::StringList, false, 0, 0,
     "pointer parameters to mark (default: every pointer parameter the "
     "kernel never writes through)"},
};
const ParamSchema UnrollParams[] = {
    {"loop", ParamType::Int, true, 0, MaxLoopId,
     "loop id from the kernel index (`--list-kernels`)"},
    {"factor", ParamType::Int, false, 1, 1024, "unroll factor N"},
    {"full", ParamType::Bool, false, 0, 0,
     "unroll completely (constant-trip loops only)"},
};
const ParamSchema ReadOnlyParams[] = {
    {"params", ParamType::StringList, false, 0, 0,
     "pointer parameters whose loads use __ldg (default: every pointer "
     "parameter the kernel never writes through)"},
};
const ParamSchema CompileFlagsParams[] = {
    {"flags", ParamType::StringList, true, 0, 0,
     "NVRTC/nvcc options from the allow-list"},
};
const ParamSchema FastMathParams[] = {
    {"functions", ParamType::StringList, false, 0, 0,
     "the functions to substitute, e.g. [expf, sinf] (default: all of "
     "expf, exp10f, logf, log2f, log10f, sinf, cosf, tanf, sincosf, powf)"},
};
const ParamSchema BlockSizeParams[] = {
    {"x", ParamType::Int, true, 1, 1024, "blockDim.x"},
    {"y", ParamType::Int, false, 1, 1024, "blockDim.y (default 1)"},
    {"z", ParamType::Int, false, 1, 64, "blockDim.z (default 1)"},
    {"launch", ParamType::Int, false, 0, MaxLoopId,
     "index of the launch site to change (default: all)"},
};
const ParamSchema ReplaceKernelParams[] = {
    {"code", ParamType::String, true, 0, 0,
     "the new definition of the kernel (same name and parameter types)"},
};
const ParamSchema CoarsenParams[] = {
    {"factor", ParamType::Int, true, 2, 64, "elements per thread"},
};
const ParamSchema CoarsenRowsParams[] = {
    {"factor", ParamType::Int, true, 2, 64, "consecutive rows per thread"},
};
const ParamSchema VectorizeParams[] = {
    {"width", ParamType::Int, true, 2, 4, "vector width: 2 or 4"},
};
const ParamSchema TileToSharedParams[] = {
    {"tile", ParamType::Int, true, 8, 32,
     "tile edge: 8, 16 or 32 (the block must be tile x tile)"},
};
const ParamSchema InstantiateTemplateParams[] = {
    {"template", ParamType::String, true, 0, 0,
     "template name under strategies/templates/ (or a .cu path relative to "
     "the plan)"},
    {"bind", ParamType::StringList, false, 0, 0,
     "template parameters as NAME=VALUE (default: the template's defaults)"},
    {"args", ParamType::StringList, false, 0, 0,
     "the function's arguments as expressions over the kernel's parameters "
     "(default: the kernel's parameters in order)"},
};
const ParamSchema TileStencilParams[] = {
    {"input", ParamType::String, false, 0, 0,
     "pointer parameter to stage (default: the one read-only pointer read "
     "at several offsets)"},
    {"block-x", ParamType::Int, false, 1, 1024,
     "blockDim.x the launches use (default: from a set-block-size step of "
     "the plan or the launches in the file)"},
    {"block-y", ParamType::Int, false, 1, 1024,
     "blockDim.y (default 1; with block-x)"},
};
const ParamSchema WarpShuffleReduceParams[] = {
    {"loop", ParamType::Int, false, 0, MaxLoopId,
     "loop id of the tree reduction (default: the first halving loop at the "
     "top level of the kernel)"},
};

const StepSchema Schemas[] = {
    {"launch-bounds", true, LaunchBoundsParams,
     "add or replace __launch_bounds__(max-threads[, min-blocks])"},
    {"restrict", true, RestrictParams,
     "add __restrict__ to pointer parameters"},
    {"const", true, ConstParams,
     "make the pointee of never-written pointer parameters const"},
    {"unroll", true, UnrollParams, "insert `#pragma unroll [N]` on a loop"},
    {"read-only-loads", true, ReadOnlyParams,
     "load through __ldg from pointers the kernel never writes"},
    {"compile-flags", false, CompileFlagsParams,
     "record compile options for the variant (no source edit)"},
    {"fast-math-intrinsics", true, FastMathParams,
     "call the fast intrinsics (__expf, __sinf, ...) in place of "
     "single-precision math functions; needs a relaxed plan"},
    {"set-block-size", true, BlockSizeParams,
     "change the block shape at the kernel's launch sites"},
    {"replace-kernel", true, ReplaceKernelParams,
     "replace the kernel's definition with given code"},
    {"grid-stride",
     true,
     {},
     "turn a guarded one-element kernel into a "
     "grid-stride loop"},
    {"coarsen", true, CoarsenParams,
     "each thread handles `factor` elements, a block apart; the grid "
     "shrinks by `factor`"},
    {"coarsen-rows", true, CoarsenRowsParams,
     "in a 2-D kernel each thread handles `factor` consecutive rows; the "
     "grid's y extent shrinks by `factor`"},
    {"vectorize", true, VectorizeParams,
     "float2/float4 (half2, ...) loads and stores with an alignment and size "
     "guard and a scalar path; the grid shrinks by `width`"},
    {"warp-shuffle-reduce", true, WarpShuffleReduceParams,
     "replace a shared-memory tree reduction by __shfl_down_sync within "
     "warps and one shared slot per warp"},
    {"tile-to-shared", true, TileToSharedParams,
     "stage tile x tile tiles of the naive GEMM's operands in shared "
     "memory"},
    {"instantiate-template", true, InstantiateTemplateParams,
     "replace the kernel's body by a call of a parametric template from "
     "strategies/templates/"},
    {"tile-stencil", true, TileStencilParams,
     "stage the input of a 1-D or 2-D stencil, with its halo, in shared "
     "memory"},
};

} // namespace

llvm::ArrayRef<StepSchema> cupilot::getStepSchemas() { return Schemas; }

const StepSchema *cupilot::findStepSchema(llvm::StringRef kind) {
  for (const StepSchema &schema : Schemas)
    if (schema.kind == kind)
      return &schema;
  return nullptr;
}

const ParamValue *RewriteStep::find(llvm::StringRef name) const {
  for (const ParamValue &param : params)
    if (param.name == name)
      return &param;
  return nullptr;
}

int64_t RewriteStep::getInt(llvm::StringRef name, int64_t fallback) const {
  const ParamValue *param = find(name);
  return param && param->type == ParamType::Int ? param->intValue : fallback;
}

bool RewriteStep::getBool(llvm::StringRef name, bool fallback) const {
  const ParamValue *param = find(name);
  return param && param->type == ParamType::Bool ? param->boolValue : fallback;
}

std::string RewriteStep::getString(llvm::StringRef name) const {
  const ParamValue *param = find(name);
  return param && param->type == ParamType::String ? param->stringValue : "";
}

std::vector<std::string> RewriteStep::getStrings(llvm::StringRef name) const {
  const ParamValue *param = find(name);
  return param && param->type == ParamType::StringList
             ? param->listValue
             : std::vector<std::string>();
}

PlanLoc RewriteStep::getLoc(llvm::StringRef name) const {
  const ParamValue *param = find(name);
  return param && param->loc.line ? param->loc : loc;
}
