//===- Task.h - How to run one kernel (or a launch sequence) ----*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A Task (`*.task.yaml`, schema in docs/TaskSchema.md) says how to run a
// kernel: named problem sizes, the arguments (buffers with dtype, element
// count, role and initial distribution; scalars with a value), the launch
// geometry as expressions of the sizes and of the block shape, tolerances,
// extra shapes used only for verification, the precision policy and the
// reference. All expressions are strings in the Support expression language
// (cupilot/Support/Expression.h) and are evaluated by the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_STRATEGY_TASK_H
#define CUPILOT_STRATEGY_TASK_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cupilot {

/// Element types of task buffers and scalars.
enum class DType { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64 };

/// Spelling used in YAML and JSON (`f32`, `bf16`, `i64`, ...).
llvm::StringRef toString(DType dtype);
std::optional<DType> parseDType(llvm::StringRef text);
/// Size of one element in bytes.
unsigned getByteWidth(DType dtype);
/// Maps a CUDA C++ type spelling (`float`, `__half`, `unsigned int`, ...) to a
/// task dtype; std::nullopt when there is no such dtype.
std::optional<DType> dtypeFromCudaType(llvm::StringRef cudaType);

enum class ArgRole { In, Out, InOut };
llvm::StringRef toString(ArgRole role);
std::optional<ArgRole> parseArgRole(llvm::StringRef text);

enum class ArgKind { Buffer, Scalar };

/// How a buffer is filled before a run.
struct InitSpec {
  /// `uniform` (in [min, max]), `normal` (mean, stddev), `constant` (value),
  /// `iota` (0, 1, 2, ...), `zero`.
  std::string distribution = "uniform";
  double min = -1.0;
  double max = 1.0;
  double mean = 0.0;
  double stddev = 1.0;
  double value = 0.0;
};

/// Comparison tolerance of an output: |got - want| <= atol + rtol * |want|,
/// or bitwise equality when `exact`.
struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-5;
  bool exact = false;
};

struct ArgumentSpec {
  std::string name;
  ArgKind kind = ArgKind::Buffer;
  DType dtype = DType::F32;
  /// Buffers: element-count expression. Unused for scalars.
  std::string count;
  /// Buffers: how the kernel uses the buffer.
  ArgRole role = ArgRole::In;
  InitSpec init;
  /// Scalars: value expression.
  std::string value;
  /// Outputs: overrides the task-wide tolerance.
  std::optional<Tolerance> tolerance;
};

/// Launch geometry; each component is an expression that may use the sizes
/// and `block.x`, `block.y`, `block.z`.
struct LaunchGeometry {
  std::array<std::string, 3> grid = {"1", "1", "1"};
  std::array<std::string, 3> block = {"1", "1", "1"};
  std::string sharedBytes = "0";
};

/// One kernel launch of the task. A task with a single kernel has one launch
/// whose arguments are the task's arguments in order.
struct LaunchSpec {
  std::string kernel;
  LaunchGeometry geometry;
  /// Expression per kernel parameter: a buffer name or a scalar expression.
  std::vector<std::string> args;
  /// The launch is repeated `repeat` times; `loopVar` (if set) names the
  /// iteration number, usable in the scalar argument expressions.
  std::string repeat = "1";
  std::string loopVar;
};

enum class PrecisionPolicy { StrictFP32, AllowTF32, AllowReducedPrecision };
llvm::StringRef toString(PrecisionPolicy policy);
std::optional<PrecisionPolicy> parsePrecisionPolicy(llvm::StringRef text);

struct Task {
  /// Kernel name as listed by `cupilot-opt --list-kernels` (single-launch
  /// tasks); for sequences, the kernel of the first launch.
  std::string kernel;
  /// Named sizes in declaration order; a value may use earlier sizes.
  std::vector<std::pair<std::string, std::string>> sizes;
  std::vector<ArgumentSpec> arguments;
  std::vector<LaunchSpec> launches;
  Tolerance tolerance;
  /// Extra size bindings used only for verification (each overrides some of
  /// `sizes`).
  std::vector<std::vector<std::pair<std::string, std::string>>> verifyShapes;
  PrecisionPolicy precision = PrecisionPolicy::StrictFP32;
  /// `original` (the unmodified kernel) or a path to a reference .cu file.
  std::string reference = "original";
  uint64_t seed = 1;
  /// Verify on an extra input set of extreme values too (large and tiny
  /// magnitudes, subnormals, signed zeros, mixed signs) for floating-point
  /// inputs with a random init (docs/TaskSchema.md, `extreme_inputs`).
  bool extremeInputs = false;
  /// Largest magnitude of that set; 0: a default per element type.
  double extremeMagnitude = 0;
};

} // namespace cupilot

#endif // CUPILOT_STRATEGY_TASK_H
