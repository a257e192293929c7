//===- Features.cpp - Kernel facts as strategy features -------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Features.h"

#include "llvm/ADT/StringExtras.h"

using namespace cupilot;

FeatureSet cupilot::makeFeatureSet(const KernelInfo &kernel, const Task *task,
                                   llvm::StringRef rooflineClass) {
  FeatureSet f;
  const KernelFeatures &k = kernel.features;
  auto flag = [&](llvm::StringRef name, bool value) {
    f.numbers[name] = value ? 1 : 0;
  };
  flag("elementwise", k.elementwise);
  flag("reductionLike", k.reductionLike);
  flag("gemmLike", k.gemmLike);
  flag("stencilLike", k.stencilLike);
  flag("usesSharedMemory", k.usesSharedMemory);
  flag("usesBarriers", k.usesBarriers);
  flag("usesWarpIntrinsics", k.usesWarpIntrinsics);
  flag("usesAtomics", k.usesAtomics);
  flag("hasGridStrideLoop", k.hasGridStrideLoop);
  flag("hasReuse", !k.reusedArrays.empty());
  flag("hasLaunchBounds", kernel.launchBounds.has_value());
  flag("isTemplate", kernel.isTemplate || kernel.isInstantiation);
  flag("fromMacro", !kernel.macro.empty());
  f.numbers["threadDims"] = k.threadDims;
  f.numbers["fastMathCalls"] = k.fastMathCalls;
  f.numbers["maxLoopDepth"] = k.maxLoopDepth;
  f.numbers["launchSites"] = kernel.launchSites.size();

  unsigned pointers = 0, readOnly = 0, readOnlyNonConst = 0, restrict = 0;
  for (const ParamInfo &p : kernel.params) {
    if (!p.isPointer)
      continue;
    ++pointers;
    restrict += p.isRestrict;
    if (p.read && !p.written) {
      ++readOnly;
      readOnlyNonConst += !p.pointeeConst;
    }
  }
  f.numbers["pointerParams"] = pointers;
  f.numbers["readOnlyParams"] = readOnly;
  f.numbers["readOnlyNonConstParams"] = readOnlyNonConst;
  f.numbers["restrictParams"] = restrict;

  // The deepest loop (first in source order among the deepest).
  const LoopInfo *innermost = nullptr, *outermost = nullptr;
  for (const LoopInfo &l : kernel.loops) {
    if (!innermost || l.depth > innermost->depth)
      innermost = &l;
    if (!outermost && l.depth == 1)
      outermost = &l;
  }
  flag("hasInnermostLoop", innermost != nullptr);
  if (innermost)
    f.bindings["innermost_loop"] = std::to_string(innermost->id);
  if (outermost)
    f.bindings["outermost_loop"] = std::to_string(outermost->id);

  if (kernel.estimate.known && kernel.estimate.flopsConstant &&
      kernel.estimate.bytesConstant && *kernel.estimate.bytesConstant > 0)
    f.numbers["flopsPerByte"] = double(*kernel.estimate.flopsConstant) /
                                double(*kernel.estimate.bytesConstant);
  else
    f.numbers["flopsPerByte"] = kernel.estimate.known ? 0.0 : -1.0;

  if (task) {
    flag("allowReducedPrecision",
         task->precision == PrecisionPolicy::AllowReducedPrecision);
    flag("allowTF32", task->precision != PrecisionPolicy::StrictFP32);
    if (!task->launches.empty()) {
      int64_t threads = 1;
      bool numeric = true;
      for (const std::string &d : task->launches.front().geometry.block) {
        int64_t v;
        if (llvm::StringRef(d).trim().getAsInteger(10, v))
          numeric = false;
        else
          threads *= v;
      }
      if (numeric) {
        f.numbers["block_threads"] = threads;
        f.bindings["block_threads"] = std::to_string(threads);
      }
    }
  }
  f.bindings["kernel"] = kernel.qualifiedName;
  f.rooflineClass = rooflineClass.str();
  return f;
}
