//===- PlanIO.h - Reading and writing rewrite plans -------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The YAML form of a RewritePlan (`*.plan.yaml`), specified in
// docs/PlanSchema.md. Reading checks the schema: known step kinds, known
// keys, value types, parameter ranges and the compile-flag allow-list. Every
// diagnostic has the form `file:line:col: error: ...` and carries
// ExitCode::InputError. Whether the named kernels exist and whether a step is
// legal on its kernel is checked when the plan is applied (cupilot/Rewrite).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_STRATEGY_PLANIO_H
#define CUPILOT_STRATEGY_PLANIO_H

#include "cupilot/Strategy/RewritePlan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <string>

namespace cupilot {

/// Largest plan file accepted, in bytes.
constexpr size_t MaxPlanFileSize = 4 * 1024 * 1024;

/// Parses and validates the YAML text of a plan; `fileName` is used in
/// diagnostics and recorded in the plan.
llvm::Expected<RewritePlan> parsePlan(llvm::StringRef yamlText,
                                      llvm::StringRef fileName);

/// Reads and parses a plan file; `-` reads standard input.
llvm::Expected<RewritePlan> readPlanFile(llvm::StringRef path);

/// Renders a plan as YAML: fixed key order (`step`, `kernel`, then the
/// parameters in schema order). Deterministic; parses back to an equal plan.
std::string writePlan(const RewritePlan &plan);

/// Checks one compiler option against the allow-list; returns a reason when
/// it is not allowed, else an empty string.
std::string checkCompileFlag(llvm::StringRef flag);

/// Whether an allowed compile flag gives up floating-point precision
/// (`--use_fast_math`, `--ftz=true`, `--prec-div=false`,
/// `--prec-sqrt=false`); such flags need a relaxed plan.
bool relaxesPrecision(llvm::StringRef flag);

} // namespace cupilot

#endif // CUPILOT_STRATEGY_PLANIO_H
