//===- TaskIO.h - Reading, writing and validating tasks ---------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The YAML form of a Task (`*.task.yaml`), specified in docs/TaskSchema.md.
// Reading checks the schema (unknown keys, types, required fields, duplicate
// names) and then validates the task. Diagnostics have the form
// `file:line:col: error: ...` (`file: error: ...` for the file as a whole)
// and name the key at fault and what would fix it. All errors carry a
// CupilotError with ExitCode::InputError.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_STRATEGY_TASKIO_H
#define CUPILOT_STRATEGY_TASKIO_H

#include "cupilot/Strategy/Task.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <string>

namespace cupilot {

/// Largest task file accepted, in bytes.
constexpr size_t MaxTaskFileSize = size_t(4) * 1024 * 1024;
/// Most entries a task may have in each list; they bound the work of
/// validation, which evaluates the task once per shape.
constexpr size_t MaxTaskSizes = 1024;
constexpr size_t MaxTaskArguments = 1024;
constexpr size_t MaxTaskLaunches = 1024;
constexpr size_t MaxTaskVerifyShapes = 16;

/// Parses the YAML text of a task and validates it (see validateTask).
/// `fileName` is used only in diagnostics.
llvm::Expected<Task> parseTask(llvm::StringRef yamlText,
                               llvm::StringRef fileName);

/// Reads and parses a task file; `-` reads standard input.
llvm::Expected<Task> readTaskFile(llvm::StringRef path);

/// Renders a task as YAML. The output is deterministic (fixed key order,
/// shortest round-tripping numbers) and a valid task parses back to an equal
/// one (init parameters of distributions other than the chosen one are not
/// written). A task with one launch that passes the arguments in order, once,
/// is written in the single-kernel form (`kernel` + `launch`), any other in
/// the sequence form (`launches`).
std::string writeTask(const Task &task);

/// Checks what the schema alone cannot: every expression parses and uses
/// only names in scope (sizes: earlier sizes; counts, scalar values, block
/// and repeat: sizes; grid and shared_bytes: sizes and block.x/y/z; launch
/// arguments: argument names, or expressions of sizes, block.x/y/z and the
/// launch's loop variable);
/// names are unique identifiers; sizes, counts and geometry evaluate, for
/// the main shape and every verify shape, to values a launch accepts;
/// tolerances are finite and non-negative.
llvm::Error validateTask(const Task &task);

} // namespace cupilot

#endif // CUPILOT_STRATEGY_TASKIO_H
