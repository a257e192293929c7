//===- RewritePlan.h - Ordered, checked source transformations --*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A RewritePlan (`*.plan.yaml`, schema in docs/PlanSchema.md) is an ordered
// list of steps, each naming a step kind (`launch-bounds`, `unroll`, ...), the
// kernel it applies to and the step's parameters. This header holds the plan
// as plain data plus the schema of every step kind (its parameters, their
// types and ranges), so that plans can be read, validated and written without
// Clang. Applying a plan is the Rewrite layer's job (cupilot/Rewrite).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_STRATEGY_REWRITEPLAN_H
#define CUPILOT_STRATEGY_REWRITEPLAN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cupilot {

/// A 1-based position in a plan file; line 0 when the value was built in
/// memory rather than read.
struct PlanLoc {
  unsigned line = 0;
  unsigned column = 0;
};

/// Types of step parameters.
enum class ParamType { Int, Bool, String, StringList };

/// Spelling of a ParamType in diagnostics (`an integer`, ...).
llvm::StringRef describe(ParamType type);

/// One parameter of a step kind.
struct ParamSchema {
  llvm::StringRef name;
  ParamType type;
  bool required = false;
  /// Inclusive range of Int parameters.
  int64_t min = 0;
  int64_t max = 0;
  /// One line for docs and `--help`.
  llvm::StringRef doc;
};

/// What a step kind accepts. Steps are listed in docs/PlanSchema.md.
struct StepSchema {
  llvm::StringRef kind;
  /// Whether `kernel` is required (compile-flags applies to the whole file).
  bool needsKernel = true;
  llvm::ArrayRef<ParamSchema> params;
  llvm::StringRef doc;
};

/// All step kinds, in a fixed order.
llvm::ArrayRef<StepSchema> getStepSchemas();
/// The schema of `kind`, or nullptr.
const StepSchema *findStepSchema(llvm::StringRef kind);

/// A parameter value as read (already type-checked against the schema).
struct ParamValue {
  std::string name;
  ParamType type = ParamType::String;
  int64_t intValue = 0;
  bool boolValue = false;
  std::string stringValue;
  std::vector<std::string> listValue;
  PlanLoc loc;
};

struct RewriteStep {
  std::string kind;
  /// Kernel name as the kernel index spells it (qualified, or unqualified
  /// when unambiguous); empty for steps that apply to the whole file.
  std::string kernel;
  /// Parameters in schema order.
  std::vector<ParamValue> params;
  /// Position of the step's `step:` key and of its `kernel:` value.
  PlanLoc loc;
  PlanLoc kernelLoc;

  const ParamValue *find(llvm::StringRef name) const;
  bool has(llvm::StringRef name) const { return find(name) != nullptr; }
  int64_t getInt(llvm::StringRef name, int64_t fallback) const;
  bool getBool(llvm::StringRef name, bool fallback) const;
  std::string getString(llvm::StringRef name) const;
  std::vector<std::string> getStrings(llvm::StringRef name) const;
  /// Where parameter `name` was given, else where the step was.
  PlanLoc getLoc(llvm::StringRef name) const;
};

/// The floating-point precision a plan may give up. `Strict` plans keep
/// every result as the original computes it, up to reassociation by the
/// compiler's defaults; `Relaxed` plans may use fast approximate math
/// (`--use_fast_math`, `--ftz=true`, `--prec-div=false`, `--prec-sqrt=false`,
/// and the fast-math-intrinsics step). A plan is relaxed only where the
/// task's precision policy allows reduced precision.
enum class PlanPrecision { Strict, Relaxed };
llvm::StringRef toString(PlanPrecision precision);

struct RewritePlan {
  std::string name;
  std::vector<RewriteStep> steps;
  PlanPrecision precision = PlanPrecision::Strict;
  /// The file the plan was read from (diagnostics only).
  std::string file;
};

} // namespace cupilot

#endif // CUPILOT_STRATEGY_REWRITEPLAN_H
