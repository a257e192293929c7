//===- Features.h - Kernel facts as strategy features -----------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Strategy predicates read a FeatureSet, not KernelInfo, so that the Strategy
// layer stays free of the frontend. This is the one place that maps the
// kernel index (and the task) to feature names; docs/StrategySchema.md lists
// them.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_FEATURES_H
#define CUPILOT_TUNER_FEATURES_H

#include "cupilot/Frontend/KernelInfo.h"
#include "cupilot/Strategy/Strategy.h"
#include "cupilot/Strategy/Task.h"

namespace cupilot {

/// Features of `kernel`; `task` (may be null) adds the launch shape and the
/// precision policy; `rooflineClass` is `memory`, `compute`, `latency` or
/// empty when not measured.
FeatureSet makeFeatureSet(const KernelInfo &kernel, const Task *task,
                          llvm::StringRef rooflineClass);

} // namespace cupilot

#endif // CUPILOT_TUNER_FEATURES_H
