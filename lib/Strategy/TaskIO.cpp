//===- TaskIO.cpp - Reading, writing and validating tasks -----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// yaml-cpp reports errors by throwing, so this file is compiled with
// exceptions (see lib/Strategy/CMakeLists.txt). Only the calls that can throw
// (loading and emitting) run inside `try`; every exception is caught here
// and becomes an llvm::Error with the line and column yaml-cpp reports. The
// conversion from YAML nodes to a Task uses only non-throwing node queries.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/TaskIO.h"

#include "YamlDocument.h"

#include "cupilot/Support/Error.h"
#include "cupilot/Support/Expression.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"

#include <yaml-cpp/yaml.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>

using namespace cupilot;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Shortest decimal spelling that reads back as the same double; integers
/// below 10^15 print without an exponent.
static std::string formatReal(double value) {
  if (value == 0)
    return std::signbit(value) ? "-0" : "0";
  if (std::trunc(value) == value && std::fabs(value) < 1e15)
    return std::to_string(static_cast<int64_t>(value));
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value)
      break;
  }
  return buffer;
}

static bool isIdentifier(llvm::StringRef name) {
  if (name.empty() || !(llvm::isAlpha(name.front()) || name.front() == '_'))
    return false;
  return llvm::all_of(name.drop_front(),
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

static bool isBlockDim(llvm::StringRef name) {
  return name == "block.x" || name == "block.y" || name == "block.z";
}

/// The parameters each init distribution takes.
static llvm::ArrayRef<llvm::StringRef>
getDistributionParams(llvm::StringRef dist) {
  static const llvm::StringRef uniform[] = {"min", "max"};
  static const llvm::StringRef normal[] = {"mean", "stddev"};
  static const llvm::StringRef constant[] = {"value"};
  if (dist == "uniform")
    return uniform;
  if (dist == "normal")
    return normal;
  if (dist == "constant")
    return constant;
  return {};
}

static bool isKnownDistribution(llvm::StringRef dist) {
  return dist == "uniform" || dist == "normal" || dist == "constant" ||
         dist == "iota" || dist == "zero";
}

static constexpr const char *DistributionList =
    "uniform, normal, constant, iota, zero";
static constexpr const char *DTypeList =
    "f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64";

namespace {
/// 1-based position of a field in the task file.
struct Location {
  int line;
  int column;
};
} // namespace

/// Where the fields of a parsed task came from, keyed by a dotted path such
/// as `arguments.0.count` or `launches.1.grid.2`; validation uses it to point
/// its diagnostics into the file.
using SourceMap = llvm::StringMap<Location>;

namespace {
/// Builds diagnostics: `file:line:col: error: ...` when the field's position
/// is known, else prefixed by the task's kernel.
class Diagnoser {
public:
  Diagnoser(llvm::StringRef fileName, const SourceMap *sources,
            llvm::StringRef kernel)
      : fileName(fileName), sources(sources), kernel(kernel) {}

  /// True when diagnosing a task read from a file.
  bool hasSources() const { return sources != nullptr; }

  llvm::Error error(llvm::StringRef path, const llvm::Twine &message) const {
    if (sources) {
      // The closest enclosing field with a known position.
      llvm::StringRef key = path;
      while (true) {
        auto it = sources->find(key);
        if (it != sources->end())
          return makeError(ExitCode::InputError, "{0}:{1}:{2}: error: {3}",
                           fileName, it->second.line, it->second.column,
                           message.str());
        size_t dot = key.rfind('.');
        if (dot == llvm::StringRef::npos)
          break;
        key = key.take_front(dot);
      }
      return makeError(ExitCode::InputError, "{0}: error: {1}", fileName,
                       message.str());
    }
    if (kernel.empty())
      return makeError(ExitCode::InputError, "invalid task: {0}",
                       message.str());
    return makeError(ExitCode::InputError, "invalid task for kernel '{0}': {1}",
                     kernel, message.str());
  }

private:
  llvm::StringRef fileName;
  const SourceMap *sources;
  llvm::StringRef kernel;
};
} // namespace

static std::string joinPath(llvm::StringRef a, llvm::StringRef b) {
  return (a + "." + b).str();
}
static std::string joinPath(llvm::StringRef a, size_t index) {
  return (a + "." + llvm::Twine(index)).str();
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

static const char *const DimNames[3] = {"x", "y", "z"};

namespace {
class Validator {
public:
  Validator(const Task &task, const Diagnoser &diag) : task(task), diag(diag) {
    // First declarations win; later duplicates are reported by checkSizes
    // and checkArguments.
    for (size_t i = 0; i < task.sizes.size(); ++i)
      sizeIndex.try_emplace(task.sizes[i].first, i);
    for (const ArgumentSpec &arg : task.arguments)
      argumentNames.insert(arg.name);
  }

  llvm::Error run() {
    if (llvm::Error err = checkLimits())
      return err;
    if (llvm::Error err = checkSizes())
      return err;
    if (llvm::Error err = checkArguments())
      return err;
    if (llvm::Error err = checkLaunches())
      return err;
    if (llvm::Error err =
            checkTolerance("tolerance", "task 'tolerance'", task.tolerance))
      return err;
    if (llvm::Error err = checkVerifyShapes())
      return err;
    if (task.reference.empty())
      return diag.error("reference", "'reference' is empty; give 'original' "
                                     "or the path of a reference .cu file");
    // Everything is in scope and parses: evaluate each shape.
    for (size_t i = 0; i <= task.verifyShapes.size(); ++i)
      if (llvm::Error err = checkValues(i))
        return err;
    return llvm::Error::success();
  }

private:
  /// Parses an expression that was checked before. Each is evaluated once
  /// per shape but parsed only once: a task at the size limit has megabytes
  /// of expressions.
  llvm::Expected<Expression> parseChecked(llvm::StringRef text) {
    auto it = checkedExpressions.find(text);
    if (it != checkedExpressions.end())
      return it->second;
    auto expr = Expression::parse(text);
    if (expr)
      checkedExpressions.try_emplace(text, *expr);
    return expr;
  }

  llvm::Expected<Expression>
  parse(llvm::StringRef path, const llvm::Twine &label, llvm::StringRef text) {
    auto expr = Expression::parse(text);
    if (!expr) {
      // An unquoted `f(a, b)` inside YAML's {...} or [...] is split at the
      // comma, which leaves unbalanced parentheses behind.
      std::string hint;
      if (diag.hasSources() && text.count('(') != text.count(')'))
        hint = "; inside {...} or [...], quote an expression that contains "
               "a comma, e.g. \"ceil_div(n, 256)\"";
      return diag.error(path,
                        label + ": " + llvm::toString(expr.takeError()) + hint);
    }
    return expr;
  }

  /// Parses `text` and checks that its identifiers satisfy `inScope`;
  /// `why(name)` says what the name should have been and how to fix it.
  llvm::Expected<Expression>
  parseInScope(llvm::StringRef path, const llvm::Twine &label,
               llvm::StringRef text,
               llvm::function_ref<bool(llvm::StringRef)> inScope,
               llvm::function_ref<std::string(llvm::StringRef)> why) {
    auto expr = parse(path, label, text);
    if (!expr)
      return expr.takeError();
    for (const std::string &name : expr->identifiers())
      if (!inScope(name))
        return diag.error(path, label + " '" + text + "' uses '" + name +
                                    "', " + why(name));
    return expr;
  }

  /// Bounds the work of validation (and of every later consumer).
  llvm::Error checkLimits() {
    struct Limit {
      const char *path;
      size_t count;
      size_t max;
    };
    for (const Limit &limit :
         {Limit{"sizes", task.sizes.size(), MaxTaskSizes},
          Limit{"arguments", task.arguments.size(), MaxTaskArguments},
          Limit{"launches", task.launches.size(), MaxTaskLaunches},
          Limit{"verify_shapes", task.verifyShapes.size(),
                MaxTaskVerifyShapes}})
      if (limit.count > limit.max)
        return diag.error(limit.path, "'" + llvm::Twine(limit.path) + "' has " +
                                          llvm::Twine(limit.count) +
                                          " entries; a task may have at most " +
                                          llvm::Twine(limit.max));
    return llvm::Error::success();
  }

  size_t findSize(llvm::StringRef name) const {
    auto it = sizeIndex.find(name);
    return it == sizeIndex.end() ? task.sizes.size() : it->second;
  }
  bool isSize(llvm::StringRef name) const {
    return findSize(name) < task.sizes.size();
  }

  std::string notASize(llvm::StringRef name) const {
    if (isBlockDim(name))
      return "but block dimensions are not in scope here; only sizes are";
    return "which is not a size; declare '" + name.str() + "' under 'sizes'";
  }

  /// Checks a value (a size or a verify-shape override) of the size at
  /// `index`: it may use only sizes declared before it.
  llvm::Error checkSizeValue(llvm::StringRef path, const llvm::Twine &label,
                             size_t index, llvm::StringRef text) {
    llvm::StringRef sizeName = task.sizes[index].first;
    auto expr = parseInScope(
        path, label, text,
        [&](llvm::StringRef name) { return findSize(name) < index; },
        [&](llvm::StringRef name) -> std::string {
          size_t other = findSize(name);
          if (other == index)
            return "its own size; a size cannot refer to itself";
          if (other < task.sizes.size())
            return "which is declared after '" + sizeName.str() +
                   "'; sizes may only use earlier sizes, so move '" +
                   name.str() + "' up";
          return notASize(name);
        });
    return expr.takeError();
  }

  llvm::Error checkSizes() {
    llvm::StringMap<size_t> seen;
    for (size_t i = 0; i < task.sizes.size(); ++i) {
      const auto &[name, text] = task.sizes[i];
      std::string path = joinPath("sizes", i);
      if (!isIdentifier(name))
        return diag.error(path + ".key",
                          "size name '" + name +
                              "' is not an identifier; use letters, digits "
                              "and '_', not starting with a digit");
      auto [it, inserted] = seen.try_emplace(name, i);
      if (!inserted)
        return diag.error(path + ".key", "size '" + name +
                                             "' is declared twice; remove "
                                             "or rename one of them");
      if (llvm::Error err =
              checkSizeValue(path, "size '" + name + "'", i, text))
        return err;
    }
    return llvm::Error::success();
  }

  llvm::Error checkTolerance(llvm::StringRef path, const llvm::Twine &label,
                             const Tolerance &tolerance) {
    for (auto [key, value] :
         {std::pair<const char *, double>{"atol", tolerance.atol},
          {"rtol", tolerance.rtol}})
      if (!std::isfinite(value) || value < 0)
        return diag.error(joinPath(path, key),
                          "'" + llvm::Twine(key) + "' of " + label + " is " +
                              formatReal(value) +
                              "; tolerances must be finite and non-negative");
    return llvm::Error::success();
  }

  llvm::Error checkInit(llvm::StringRef path, const llvm::Twine &label,
                        const InitSpec &init) {
    if (!isKnownDistribution(init.distribution))
      return diag.error(joinPath(path, "distribution"),
                        "unknown distribution '" + init.distribution +
                            "' for " + label + "; expected one of " +
                            DistributionList);
    for (auto [key, value] : {std::pair<const char *, double>{"min", init.min},
                              {"max", init.max},
                              {"mean", init.mean},
                              {"stddev", init.stddev},
                              {"value", init.value}})
      if (!std::isfinite(value))
        return diag.error(joinPath(path, key), "'" + llvm::Twine(key) +
                                                   "' of " + label +
                                                   " must be a finite number");
    if (init.distribution == "uniform" && init.min > init.max)
      return diag.error(joinPath(path, "min"),
                        "'min' (" + formatReal(init.min) +
                            ") is greater than 'max' (" + formatReal(init.max) +
                            ") in " + label);
    if (init.distribution == "normal" && init.stddev < 0)
      return diag.error(joinPath(path, "stddev"),
                        "'stddev' of " + label +
                            " is negative; give a value >= 0");
    return llvm::Error::success();
  }

  llvm::Error checkArguments() {
    llvm::StringMap<size_t> seen;
    for (size_t i = 0; i < task.arguments.size(); ++i) {
      const ArgumentSpec &arg = task.arguments[i];
      std::string path = joinPath("arguments", i);
      std::string label = "argument '" + arg.name + "'";
      if (!isIdentifier(arg.name))
        return diag.error(path + ".name",
                          "argument name '" + arg.name +
                              "' is not an identifier; use letters, digits "
                              "and '_', not starting with a digit");
      auto [it, inserted] = seen.try_emplace(arg.name, i);
      if (!inserted)
        return diag.error(
            path + ".name",
            "argument name '" + arg.name + "' is already used by argument " +
                llvm::Twine(it->second) + "; argument names must be unique");
      if (arg.kind == ArgKind::Scalar) {
        auto value = parseInScope(
            path + ".value", "value of " + label, arg.value, isSizeFn(),
            [&](llvm::StringRef name) { return notASize(name); });
        if (!value)
          return value.takeError();
        continue;
      }
      auto count = parseInScope(
          path + ".count", "count of " + label, arg.count, isSizeFn(),
          [&](llvm::StringRef name) { return notASize(name); });
      if (!count)
        return count.takeError();
      if (llvm::Error err = checkInit(path + ".init", label, arg.init))
        return err;
      if (arg.tolerance) {
        if (arg.role == ArgRole::In)
          return diag.error(path + ".tolerance",
                            label +
                                " has a 'tolerance' but role 'in'; only "
                                "outputs (role out or inout) are compared, so "
                                "remove it or change the role");
        if (llvm::Error err =
                checkTolerance(path + ".tolerance", label, *arg.tolerance))
          return err;
      }
    }
    return llvm::Error::success();
  }

  std::function<bool(llvm::StringRef)> isSizeFn() const {
    return [this](llvm::StringRef name) { return isSize(name); };
  }

  std::string launchLabel(size_t index) const {
    if (task.launches.size() == 1)
      return "launch";
    return "launches[" + std::to_string(index) + "] (kernel '" +
           task.launches[index].kernel + "')";
  }

  llvm::Error checkLaunches() {
    if (task.launches.empty())
      return diag.error("launches",
                        "the task has no launch; give 'launch' (one kernel) "
                        "or 'launches' (a sequence)");
    if (task.kernel.empty())
      return diag.error("kernel", "the kernel name is empty");
    if (task.kernel != task.launches.front().kernel)
      return diag.error("kernel", "kernel '" + task.kernel +
                                      "' is not the kernel of the first "
                                      "launch ('" +
                                      task.launches.front().kernel + "')");
    for (size_t i = 0; i < task.launches.size(); ++i)
      if (llvm::Error err = checkLaunch(i))
        return err;
    return llvm::Error::success();
  }

  llvm::Error checkLaunch(size_t index) {
    const LaunchSpec &launch = task.launches[index];
    std::string path = joinPath("launches", index);
    std::string label = launchLabel(index);
    if (launch.kernel.empty())
      return diag.error(path + ".kernel",
                        "'kernel' of " + label + " is empty; name the kernel");
    auto onlySizes = [&](llvm::StringRef name) { return notASize(name); };
    auto sizesOrBlock = [&](llvm::StringRef name) {
      return isSize(name) || isBlockDim(name);
    };
    auto notSizeOrBlock = [&](llvm::StringRef name) -> std::string {
      return "which is neither a size nor block.x, block.y, block.z; "
             "declare '" +
             name.str() + "' under 'sizes'";
    };
    for (unsigned d = 0; d < 3; ++d) {
      auto block =
          parseInScope(joinPath(path + ".block", d),
                       "block." + llvm::Twine(DimNames[d]) + " of " + label,
                       launch.geometry.block[d], isSizeFn(), onlySizes);
      if (!block)
        return block.takeError();
    }
    for (unsigned d = 0; d < 3; ++d) {
      auto grid =
          parseInScope(joinPath(path + ".grid", d),
                       "grid." + llvm::Twine(DimNames[d]) + " of " + label,
                       launch.geometry.grid[d], sizesOrBlock, notSizeOrBlock);
      if (!grid)
        return grid.takeError();
    }
    auto shared =
        parseInScope(path + ".shared_bytes", "shared_bytes of " + label,
                     launch.geometry.sharedBytes, sizesOrBlock, notSizeOrBlock);
    if (!shared)
      return shared.takeError();
    auto repeat = parseInScope(path + ".repeat", "repeat of " + label,
                               launch.repeat, isSizeFn(), onlySizes);
    if (!repeat)
      return repeat.takeError();

    const std::string &loopVar = launch.loopVar;
    if (!loopVar.empty()) {
      std::string loopPath = path + ".loop_var";
      if (!isIdentifier(loopVar))
        return diag.error(loopPath,
                          "loop_var '" + loopVar + "' of " + label +
                              " is not an identifier; use letters, digits "
                              "and '_', not starting with a digit");
      if (isSize(loopVar) || argumentNames.contains(loopVar))
        return diag.error(loopPath, "loop_var '" + loopVar + "' of " + label +
                                        " hides the size or argument of the "
                                        "same name; rename it");
    }

    for (size_t j = 0; j < launch.args.size(); ++j) {
      const std::string &text = launch.args[j];
      if (argumentNames.contains(text))
        continue;
      auto expr = parseInScope(
          joinPath(path + ".args", j),
          "argument " + llvm::Twine(j) + " of " + label, text,
          [&](llvm::StringRef name) {
            return isSize(name) || isBlockDim(name) ||
                   (!loopVar.empty() && name == loopVar);
          },
          [&](llvm::StringRef name) -> std::string {
            return "which is not an argument name, a size, block.x/y/z or "
                   "the loop_var; declare '" +
                   name.str() + "' under 'arguments' or 'sizes'";
          });
      if (!expr)
        return expr.takeError();
    }
    return llvm::Error::success();
  }

  llvm::Error checkVerifyShapes() {
    for (size_t i = 0; i < task.verifyShapes.size(); ++i) {
      const auto &shape = task.verifyShapes[i];
      std::string path = joinPath("verify_shapes", i);
      if (shape.empty())
        return diag.error(path, "verify_shapes[" + llvm::Twine(i) +
                                    "] is empty; override at least one "
                                    "size, e.g. {n: 1}");
      llvm::StringSet<> seen;
      for (size_t j = 0; j < shape.size(); ++j) {
        const auto &[name, text] = shape[j];
        std::string entryPath = joinPath(path, j);
        size_t index = findSize(name);
        if (index == task.sizes.size())
          return diag.error(entryPath + ".key",
                            "verify_shapes[" + llvm::Twine(i) +
                                "] overrides '" + name +
                                "', which is not a size; declare it under "
                                "'sizes' or remove it");
        if (!seen.insert(name).second)
          return diag.error(entryPath + ".key",
                            "verify_shapes[" + llvm::Twine(i) +
                                "] overrides '" + name +
                                "' twice; keep one of them");
        if (llvm::Error err = checkSizeValue(
                entryPath,
                "'" + name + "' in verify_shapes[" + llvm::Twine(i) + "]",
                index, text))
          return err;
      }
    }
    return llvm::Error::success();
  }

  /// Evaluates the sizes of shape `shape` (0: the main shape, i > 0:
  /// verify_shapes[i - 1]) and checks the counts, scalar values and launch
  /// geometry that depend on them.
  llvm::Error checkValues(size_t shape) {
    std::string where;
    if (shape > 0)
      where = " in verify_shapes[" + std::to_string(shape - 1) + "]";
    llvm::StringMap<size_t> overrides;
    if (shape > 0)
      for (size_t j = 0; j < task.verifyShapes[shape - 1].size(); ++j)
        overrides[task.verifyShapes[shape - 1][j].first] = j;
    ExprEnvironment env;
    for (size_t i = 0; i < task.sizes.size(); ++i) {
      const auto &[name, defaultText] = task.sizes[i];
      std::string path = joinPath("sizes", i);
      llvm::StringRef text = defaultText;
      auto override = overrides.find(name);
      if (override != overrides.end()) {
        text = task.verifyShapes[shape - 1][override->second].second;
        path = joinPath(joinPath("verify_shapes", shape - 1), override->second);
      }
      auto expr = parseChecked(text);
      if (!expr)
        return expr.takeError(); // Checked before; cannot happen.
      auto value = expr->evaluateInt(env);
      if (!value)
        return diag.error(path, "size '" + name + "'" + where + ": " +
                                    llvm::toString(value.takeError()));
      // Expressions see sizes as doubles.
      if (*value > (int64_t(1) << 53) || *value < -(int64_t(1) << 53))
        return diag.error(path, "size '" + name + "'" + where + " is " +
                                    llvm::Twine(*value) +
                                    ", beyond 2^53, which expressions cannot "
                                    "represent exactly");
      env[name] = static_cast<double>(*value);
    }

    for (size_t i = 0; i < task.arguments.size(); ++i)
      if (llvm::Error err = checkArgumentValue(i, env, where))
        return err;
    for (size_t i = 0; i < task.launches.size(); ++i)
      if (llvm::Error err = checkLaunchValues(i, env, where))
        return err;
    return llvm::Error::success();
  }

  /// Evaluates `text` as an integer in `env`.
  llvm::Expected<int64_t> evaluate(llvm::StringRef path,
                                   const llvm::Twine &label,
                                   llvm::StringRef text,
                                   const ExprEnvironment &env) {
    auto expr = parseChecked(text);
    if (!expr)
      return expr.takeError();
    auto value = expr->evaluateInt(env);
    if (!value)
      return diag.error(path, label + ": " + llvm::toString(value.takeError()));
    return value;
  }

  llvm::Error checkArgumentValue(size_t index, const ExprEnvironment &env,
                                 llvm::StringRef where) {
    const ArgumentSpec &arg = task.arguments[index];
    std::string path = joinPath("arguments", index);
    std::string label = "argument '" + arg.name + "'";
    if (arg.kind == ArgKind::Buffer) {
      auto count = evaluate(path + ".count", "count of " + label + where,
                            arg.count, env);
      if (!count)
        return count.takeError();
      if (*count < 1)
        return diag.error(path + ".count",
                          "count of " + label + " ('" + arg.count + "') is " +
                              llvm::Twine(*count) + where +
                              "; a buffer needs at least one element");
      int64_t bytes;
      if (__builtin_mul_overflow(*count, int64_t(getByteWidth(arg.dtype)),
                                 &bytes))
        return diag.error(path + ".count", "count of " + label + " ('" +
                                               arg.count + "') is " +
                                               llvm::Twine(*count) + where +
                                               ", too many bytes to allocate");
      return llvm::Error::success();
    }

    std::string valuePath = path + ".value";
    std::string valueLabel = ("value of " + label + where).str();
    auto expr = parseChecked(arg.value);
    if (!expr)
      return expr.takeError();
    auto outOfRange = [&](const std::string &value) {
      return diag.error(valuePath, valueLabel + " ('" + arg.value + "') is " +
                                       value + ", outside the range of " +
                                       toString(arg.dtype));
    };
    switch (arg.dtype) {
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: {
      auto value = expr->evaluateReal(env);
      if (!value)
        return diag.error(valuePath, valueLabel + ": " +
                                         llvm::toString(value.takeError()));
      double limit = arg.dtype == DType::F16    ? 65504.0
                     : arg.dtype == DType::BF16 ? 3.3895313892515355e38
                     : arg.dtype == DType::F32  ? double(FLT_MAX)
                                                : DBL_MAX;
      if (std::fabs(*value) > limit)
        return outOfRange(formatReal(*value));
      return llvm::Error::success();
    }
    default:
      break;
    }
    auto value = expr->evaluateInt(env);
    if (!value)
      return diag.error(valuePath,
                        valueLabel + ": " + llvm::toString(value.takeError()));
    unsigned bits = getByteWidth(arg.dtype) * 8;
    bool isUnsigned = arg.dtype == DType::U8 || arg.dtype == DType::U16 ||
                      arg.dtype == DType::U32 || arg.dtype == DType::U64;
    int64_t lo =
        isUnsigned ? 0 : std::numeric_limits<int64_t>::min() >> (64 - bits);
    int64_t hi = isUnsigned && bits == 64 ? std::numeric_limits<int64_t>::max()
                 : isUnsigned
                     ? (int64_t(1) << bits) - 1
                     : std::numeric_limits<int64_t>::max() >> (64 - bits);
    if (*value < lo || *value > hi)
      return outOfRange(std::to_string(*value));
    return llvm::Error::success();
  }

  llvm::Error checkLaunchValues(size_t index, const ExprEnvironment &sizes,
                                llvm::StringRef where) {
    const LaunchSpec &launch = task.launches[index];
    std::string path = joinPath("launches", index);
    std::string label = launchLabel(index);
    // CUDA's limits on every architecture cupilot targets.
    static const int64_t maxBlock[3] = {1024, 1024, 64};
    static const int64_t maxGrid[3] = {2147483647, 65535, 65535};

    ExprEnvironment env = sizes;
    int64_t threads = 1;
    for (unsigned d = 0; d < 3; ++d) {
      std::string dimPath = joinPath(path + ".block", d);
      std::string dimLabel =
          ("block." + llvm::Twine(DimNames[d]) + " of " + label).str();
      auto value =
          evaluate(dimPath, dimLabel + where, launch.geometry.block[d], sizes);
      if (!value)
        return value.takeError();
      if (*value < 1 || *value > maxBlock[d])
        return diag.error(dimPath, dimLabel + " ('" + launch.geometry.block[d] +
                                       "') is " + llvm::Twine(*value) + where +
                                       "; it must be in [1, " +
                                       llvm::Twine(maxBlock[d]) + "]");
      threads *= *value;
      env[(llvm::Twine("block.") + DimNames[d]).str()] =
          static_cast<double>(*value);
    }
    if (threads > 1024)
      return diag.error(path + ".block", "the block of " + label + " has " +
                                             llvm::Twine(threads) + " threads" +
                                             where +
                                             "; CUDA allows at most 1024");
    for (unsigned d = 0; d < 3; ++d) {
      std::string dimPath = joinPath(path + ".grid", d);
      std::string dimLabel =
          ("grid." + llvm::Twine(DimNames[d]) + " of " + label).str();
      auto value =
          evaluate(dimPath, dimLabel + where, launch.geometry.grid[d], env);
      if (!value)
        return value.takeError();
      if (*value < 1 || *value > maxGrid[d])
        return diag.error(dimPath, dimLabel + " ('" + launch.geometry.grid[d] +
                                       "') is " + llvm::Twine(*value) + where +
                                       "; it must be in [1, " +
                                       llvm::Twine(maxGrid[d]) + "]");
    }
    auto shared =
        evaluate(path + ".shared_bytes", "shared_bytes of " + label + where,
                 launch.geometry.sharedBytes, env);
    if (!shared)
      return shared.takeError();
    if (*shared < 0)
      return diag.error(path + ".shared_bytes",
                        "shared_bytes of " + label + " ('" +
                            launch.geometry.sharedBytes + "') is " +
                            llvm::Twine(*shared) + where +
                            "; it must not be negative");
    auto repeat = evaluate(path + ".repeat", "repeat of " + label + where,
                           launch.repeat, sizes);
    if (!repeat)
      return repeat.takeError();
    if (*repeat < 1)
      return diag.error(path + ".repeat", "repeat of " + label + " ('" +
                                              launch.repeat + "') is " +
                                              llvm::Twine(*repeat) + where +
                                              "; a launch runs at least once");
    return llvm::Error::success();
  }

  const Task &task;
  const Diagnoser &diag;
  llvm::StringMap<size_t> sizeIndex;
  llvm::StringMap<Expression> checkedExpressions;
  llvm::StringSet<> argumentNames;
};
} // namespace

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
/// One `key: value` entry of a YAML mapping.
struct Entry {
  std::string key;
  YAML::Node keyNode;
  YAML::Node value;
};
} // namespace

static std::string describeNode(const YAML::Node &node) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Scalar:
    return "'" + node.Scalar() + "'";
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    return "nothing";
  }
  return "nothing";
}

namespace {
/// Converts YAML nodes to a Task, checking the schema. Uses only node
/// queries that do not throw.
class TaskReader {
public:
  TaskReader(llvm::StringRef fileName, SourceMap &sources)
      : fileName(fileName), sources(sources) {}

  llvm::Expected<Task> read(const YAML::Node &root);

private:
  Location locate(const YAML::Node &node) const {
    YAML::Mark mark = node.Mark();
    if (mark.is_null())
      return {0, 0};
    return {mark.line + 1, mark.column + 1};
  }

  llvm::Error errorAt(const YAML::Node &node, const llvm::Twine &message) {
    Location loc = locate(node);
    if (loc.line == 0)
      return makeError(ExitCode::InputError, "{0}: error: {1}", fileName,
                       message.str());
    return makeError(ExitCode::InputError, "{0}:{1}:{2}: error: {3}", fileName,
                     loc.line, loc.column, message.str());
  }

  void record(llvm::StringRef path, const YAML::Node &node) {
    Location loc = locate(node);
    if (loc.line != 0)
      sources[path] = loc;
  }

  /// Reads a mapping, rejecting duplicate keys and (when `allowed` is not
  /// empty) keys outside `allowed`. A missing value is reported at `anchor`
  /// (its key, or the enclosing list), as yaml-cpp places null nodes at the
  /// token after them.
  llvm::Expected<std::vector<Entry>>
  readMapping(const YAML::Node &node, const YAML::Node &anchor,
              const llvm::Twine &what,
              llvm::ArrayRef<llvm::StringRef> allowed) {
    if (node.IsNull())
      return errorAt(anchor, what + " has no value; give a mapping of "
                                    "'key: value' entries");
    if (!node.IsMap())
      return errorAt(node, what +
                               " must be a mapping of 'key: value' "
                               "entries, not " +
                               describeNode(node));
    std::vector<Entry> entries;
    llvm::StringMap<int> firstLine;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node keyNode = it->first;
      if (!keyNode.IsScalar())
        return errorAt(keyNode, "a key in " + what + " is " +
                                    describeNode(keyNode) +
                                    "; keys must be plain names");
      std::string key = keyNode.Scalar();
      if (!allowed.empty() && !llvm::is_contained(allowed, key)) {
        std::string hint;
        unsigned best = 3;
        for (llvm::StringRef candidate : allowed) {
          unsigned distance = candidate.edit_distance(key);
          if (distance < best) {
            best = distance;
            hint = ("did you mean '" + candidate + "'? ").str();
          }
        }
        if (llvm::StringRef(key).contains(')'))
          hint = "inside {...} or [...], quote an expression that contains "
                 "a comma, e.g. \"ceil_div(n, 256)\"; ";
        return errorAt(keyNode, "unknown key '" + key + "' in " + what + "; " +
                                    hint + "expected one of " +
                                    llvm::join(allowed, ", "));
      }
      auto [prev, inserted] = firstLine.try_emplace(key, locate(keyNode).line);
      if (!inserted)
        return errorAt(keyNode, "duplicate key '" + key + "' in " + what +
                                    " (first given on line " +
                                    llvm::Twine(prev->second) +
                                    "); remove one of them");
      entries.push_back({key, keyNode, it->second});
    }
    return entries;
  }

  static const Entry *find(const std::vector<Entry> &entries,
                           llvm::StringRef key) {
    for (const Entry &entry : entries)
      if (entry.key == key)
        return &entry;
    return nullptr;
  }

  llvm::Error missing(const YAML::Node &parent, llvm::StringRef key,
                      const llvm::Twine &what, const llvm::Twine &fix) {
    return errorAt(parent, what + " has no '" + key + "'; " + fix);
  }

  /// Reads a scalar value; `what` names the field (e.g. "'count' of
  /// argument 'x'").
  llvm::Expected<std::string> readScalar(const Entry &entry,
                                         const llvm::Twine &what,
                                         llvm::StringRef expected) {
    if (entry.value.IsNull())
      return errorAt(entry.keyNode, what + " has no value; give " + expected);
    if (!entry.value.IsScalar())
      return errorAt(entry.value, what + " must be " + expected + ", not " +
                                      describeNode(entry.value));
    return entry.value.Scalar();
  }

  llvm::Expected<std::string> readNonEmpty(const Entry &entry,
                                           const llvm::Twine &what,
                                           llvm::StringRef expected) {
    auto text = readScalar(entry, what, expected);
    if (!text)
      return text.takeError();
    if (text->empty())
      return errorAt(entry.value, what + " is empty; give " + expected);
    return text;
  }

  llvm::Expected<std::string> readExpression(const Entry &entry,
                                             const llvm::Twine &what,
                                             llvm::StringRef path) {
    record(path, entry.value.IsNull() ? entry.keyNode : entry.value);
    return readNonEmpty(entry, what, "an integer or an expression");
  }

  llvm::Expected<double> readNumber(const Entry &entry, const llvm::Twine &what,
                                    llvm::StringRef path) {
    record(path, entry.value.IsNull() ? entry.keyNode : entry.value);
    auto text = readNonEmpty(entry, what, "a number");
    if (!text)
      return text.takeError();
    double value;
    if (llvm::StringRef(*text).getAsDouble(value, /*AllowInexact=*/true) ||
        !std::isfinite(value))
      return errorAt(entry.value,
                     what + " must be a finite number, not '" + *text + "'");
    return value;
  }

  llvm::Expected<bool> readBool(const Entry &entry, const llvm::Twine &what,
                                llvm::StringRef path) {
    record(path, entry.value.IsNull() ? entry.keyNode : entry.value);
    auto text = readNonEmpty(entry, what, "true or false");
    if (!text)
      return text.takeError();
    if (*text == "true")
      return true;
    if (*text == "false")
      return false;
    return errorAt(entry.value,
                   what + " must be true or false, not '" + *text + "'");
  }

  llvm::Expected<Tolerance> readTolerance(const Entry &entry,
                                          const llvm::Twine &what,
                                          llvm::StringRef path);
  llvm::Expected<InitSpec> readInit(const Entry &entry, const llvm::Twine &what,
                                    llvm::StringRef path);
  llvm::Expected<std::array<std::string, 3>>
  readDim3(const Entry &entry, const llvm::Twine &what, llvm::StringRef path);
  llvm::Error readGeometry(const std::vector<Entry> &entries,
                           const YAML::Node &node, const llvm::Twine &what,
                           llvm::StringRef path, LaunchGeometry &geometry);
  llvm::Expected<std::vector<std::pair<std::string, std::string>>>
  readBindings(const YAML::Node &node, const YAML::Node &anchor,
               const llvm::Twine &what, llvm::StringRef path);
  llvm::Expected<ArgumentSpec>
  readArgument(const YAML::Node &node, const YAML::Node &list, size_t index);
  llvm::Expected<LaunchSpec> readLaunch(const YAML::Node &node,
                                        const YAML::Node &list, size_t index);

  llvm::StringRef fileName;
  SourceMap &sources;
};
} // namespace

llvm::Expected<Tolerance> TaskReader::readTolerance(const Entry &entry,
                                                    const llvm::Twine &what,
                                                    llvm::StringRef path) {
  record(path, entry.keyNode);
  auto entries =
      readMapping(entry.value, entry.keyNode, what, {"atol", "rtol", "exact"});
  if (!entries)
    return entries.takeError();
  Tolerance tolerance;
  for (const Entry &field : *entries) {
    std::string fieldPath = joinPath(path, field.key);
    std::string fieldWhat = "'" + field.key + "' of " + what.str();
    if (field.key == "exact") {
      auto exact = readBool(field, fieldWhat, fieldPath);
      if (!exact)
        return exact.takeError();
      tolerance.exact = *exact;
      continue;
    }
    auto value = readNumber(field, fieldWhat, fieldPath);
    if (!value)
      return value.takeError();
    (field.key == "atol" ? tolerance.atol : tolerance.rtol) = *value;
  }
  return tolerance;
}

llvm::Expected<InitSpec> TaskReader::readInit(const Entry &entry,
                                              const llvm::Twine &what,
                                              llvm::StringRef path) {
  record(path, entry.keyNode);
  auto entries =
      readMapping(entry.value, entry.keyNode, what,
                  {"distribution", "min", "max", "mean", "stddev", "value"});
  if (!entries)
    return entries.takeError();
  InitSpec init;
  const Entry *dist = find(*entries, "distribution");
  if (!dist)
    return missing(entry.value, "distribution", what,
                   llvm::Twine("add 'distribution: <") + DistributionList +
                       ">'");
  record(joinPath(path, "distribution"), dist->value);
  auto name = readNonEmpty(*dist, "'distribution' of " + what,
                           "one of uniform, normal, constant, iota, zero");
  if (!name)
    return name.takeError();
  if (!isKnownDistribution(*name))
    return errorAt(dist->value, "unknown distribution '" + *name + "' in " +
                                    what + "; expected one of " +
                                    DistributionList);
  init.distribution = *name;
  llvm::ArrayRef<llvm::StringRef> params = getDistributionParams(*name);
  for (const Entry &field : *entries) {
    if (field.key == "distribution")
      continue;
    if (!llvm::is_contained(params, field.key))
      return errorAt(field.keyNode,
                     "'" + field.key + "' does not apply to distribution '" +
                         *name + "' in " + what + "; " +
                         (params.empty()
                              ? std::string("it takes no parameters")
                              : "it takes " + llvm::join(params, ", ")));
    auto value = readNumber(field, "'" + field.key + "' of " + what,
                            joinPath(path, field.key));
    if (!value)
      return value.takeError();
    double *slot = llvm::StringSwitch<double *>(field.key)
                       .Case("min", &init.min)
                       .Case("max", &init.max)
                       .Case("mean", &init.mean)
                       .Case("stddev", &init.stddev)
                       .Default(&init.value);
    *slot = *value;
  }
  return init;
}

llvm::Expected<std::array<std::string, 3>>
TaskReader::readDim3(const Entry &entry, const llvm::Twine &what,
                     llvm::StringRef path) {
  std::array<std::string, 3> dims = {"1", "1", "1"};
  const YAML::Node &node = entry.value;
  if (node.IsSequence()) {
    record(path, node);
    if (node.size() < 1 || node.size() > 3)
      return errorAt(node, what + " has " + llvm::Twine(node.size()) +
                               " components; give 1 to 3 ([x], [x, y] or "
                               "[x, y, z]) or a single expression");
    size_t d = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++d) {
      Entry item{entry.key, entry.keyNode, *it};
      auto text =
          readExpression(item, "component " + llvm::Twine(d) + " of " + what,
                         joinPath(path, d));
      if (!text)
        return text.takeError();
      dims[d] = *text;
    }
    return dims;
  }
  auto text = readExpression(entry, what, path);
  if (!text)
    return text.takeError();
  record(joinPath(path, 0), entry.value);
  dims[0] = *text;
  return dims;
}

llvm::Error TaskReader::readGeometry(const std::vector<Entry> &entries,
                                     const YAML::Node &node,
                                     const llvm::Twine &what,
                                     llvm::StringRef path,
                                     LaunchGeometry &geometry) {
  for (llvm::StringRef key : {"grid", "block"}) {
    const Entry *entry = find(entries, key);
    if (!entry)
      return missing(node, key, what,
                     "add '" + key + ": <expression or [x, y, z]>'");
    auto dims =
        readDim3(*entry, "'" + key + "' of " + what, joinPath(path, key));
    if (!dims)
      return dims.takeError();
    (key == "grid" ? geometry.grid : geometry.block) = *dims;
  }
  if (const Entry *entry = find(entries, "shared_bytes")) {
    auto text = readExpression(*entry, "'shared_bytes' of " + what,
                               joinPath(path, "shared_bytes"));
    if (!text)
      return text.takeError();
    geometry.sharedBytes = *text;
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::pair<std::string, std::string>>>
TaskReader::readBindings(const YAML::Node &node, const YAML::Node &anchor,
                         const llvm::Twine &what, llvm::StringRef path) {
  auto entries = readMapping(node, anchor, what, {});
  if (!entries)
    return entries.takeError();
  std::vector<std::pair<std::string, std::string>> bindings;
  for (size_t i = 0; i < entries->size(); ++i) {
    const Entry &entry = (*entries)[i];
    std::string entryPath = joinPath(path, i);
    record(entryPath + ".key", entry.keyNode);
    auto text =
        readExpression(entry, "'" + entry.key + "' in " + what, entryPath);
    if (!text)
      return text.takeError();
    bindings.emplace_back(entry.key, *text);
  }
  return bindings;
}

llvm::Expected<ArgumentSpec> TaskReader::readArgument(const YAML::Node &node,
                                                      const YAML::Node &list,
                                                      size_t index) {
  std::string path = joinPath("arguments", index);
  std::string what = "arguments[" + std::to_string(index) + "]";
  record(path, node);
  auto entries = readMapping(
      node, list, what,
      {"name", "kind", "dtype", "count", "role", "init", "value", "tolerance"});
  if (!entries)
    return entries.takeError();
  ArgumentSpec arg;
  const Entry *name = find(*entries, "name");
  if (!name)
    return missing(node, "name", what,
                   "add 'name: <the kernel parameter's name>'");
  record(path + ".name", name->value);
  auto nameText = readNonEmpty(*name, "'name' of " + what, "an identifier");
  if (!nameText)
    return nameText.takeError();
  arg.name = *nameText;
  std::string label = "argument '" + arg.name + "'";

  if (const Entry *kind = find(*entries, "kind")) {
    record(path + ".kind", kind->value);
    auto text = readNonEmpty(*kind, "'kind' of " + label, "buffer or scalar");
    if (!text)
      return text.takeError();
    if (*text == "scalar")
      arg.kind = ArgKind::Scalar;
    else if (*text != "buffer")
      return errorAt(kind->value, "unknown kind '" + *text + "' of " + label +
                                      "; expected buffer or scalar");
  }

  const Entry *dtype = find(*entries, "dtype");
  if (!dtype)
    return missing(node, "dtype", label,
                   llvm::Twine("add 'dtype: <one of ") + DTypeList + ">'");
  record(path + ".dtype", dtype->value);
  auto dtypeText = readNonEmpty(*dtype, "'dtype' of " + label, "a dtype");
  if (!dtypeText)
    return dtypeText.takeError();
  std::optional<DType> parsed = parseDType(*dtypeText);
  if (!parsed) {
    std::string hint;
    if (std::optional<DType> fromCuda = dtypeFromCudaType(*dtypeText))
      hint = ("did you mean '" + toString(*fromCuda) + "'? ").str();
    return errorAt(dtype->value, "unknown dtype '" + *dtypeText + "' of " +
                                     label + "; " + hint + "expected one of " +
                                     DTypeList);
  }
  arg.dtype = *parsed;

  if (arg.kind == ArgKind::Scalar) {
    for (llvm::StringRef key : {"count", "role", "init", "tolerance"})
      if (const Entry *entry = find(*entries, key))
        return errorAt(entry->keyNode, "'" + key +
                                           "' applies only to buffers, but " +
                                           label + " is a scalar; remove it");
    const Entry *value = find(*entries, "value");
    if (!value)
      return missing(node, "value", label,
                     "add 'value: <number or expression of the sizes>'");
    auto text = readExpression(*value, "'value' of " + label, path + ".value");
    if (!text)
      return text.takeError();
    arg.value = *text;
    return arg;
  }

  if (const Entry *value = find(*entries, "value"))
    return errorAt(value->keyNode,
                   "'value' applies only to scalars, but " + label +
                       " is a buffer; add 'kind: scalar', or fill the "
                       "buffer with 'init: {distribution: constant, value: "
                       "...}'");
  const Entry *count = find(*entries, "count");
  if (!count)
    return missing(node, "count", label,
                   "add 'count: <number of elements, an expression of the "
                   "sizes>'");
  auto countText =
      readExpression(*count, "'count' of " + label, path + ".count");
  if (!countText)
    return countText.takeError();
  arg.count = *countText;

  const Entry *role = find(*entries, "role");
  if (!role)
    return missing(node, "role", label, "add 'role: <in, out or inout>'");
  record(path + ".role", role->value);
  auto roleText = readNonEmpty(*role, "'role' of " + label, "in, out or inout");
  if (!roleText)
    return roleText.takeError();
  std::optional<ArgRole> parsedRole = parseArgRole(*roleText);
  if (!parsedRole)
    return errorAt(role->value, "unknown role '" + *roleText + "' of " + label +
                                    "; expected in, out or inout");
  arg.role = *parsedRole;

  if (const Entry *init = find(*entries, "init")) {
    auto spec = readInit(*init, "'init' of " + label, path + ".init");
    if (!spec)
      return spec.takeError();
    arg.init = *spec;
  }
  if (const Entry *tolerance = find(*entries, "tolerance")) {
    auto spec = readTolerance(*tolerance, "'tolerance' of " + label,
                              path + ".tolerance");
    if (!spec)
      return spec.takeError();
    arg.tolerance = *spec;
  }
  return arg;
}

llvm::Expected<LaunchSpec> TaskReader::readLaunch(const YAML::Node &node,
                                                  const YAML::Node &list,
                                                  size_t index) {
  std::string path = joinPath("launches", index);
  std::string what = "launches[" + std::to_string(index) + "]";
  record(path, node);
  auto entries = readMapping(node, list, what,
                             {"kernel", "grid", "block", "shared_bytes", "args",
                              "repeat", "loop_var"});
  if (!entries)
    return entries.takeError();
  LaunchSpec launch;
  const Entry *kernel = find(*entries, "kernel");
  if (!kernel)
    return missing(node, "kernel", what, "add 'kernel: <kernel name>'");
  record(path + ".kernel", kernel->value);
  auto kernelText =
      readNonEmpty(*kernel, "'kernel' of " + what, "a kernel name");
  if (!kernelText)
    return kernelText.takeError();
  launch.kernel = *kernelText;
  if (llvm::Error err =
          readGeometry(*entries, node, what, path, launch.geometry))
    return std::move(err);

  const Entry *args = find(*entries, "args");
  if (!args)
    return missing(node, "args", what,
                   "add 'args: [...]' with one argument name or scalar "
                   "expression per kernel parameter ([] for none)");
  record(path + ".args", args->value);
  if (!args->value.IsSequence())
    return errorAt(args->value.IsNull() ? args->keyNode : args->value,
                   "'args' of " + what +
                       " must be a list of argument names and scalar "
                       "expressions, not " +
                       describeNode(args->value));
  size_t j = 0;
  for (auto it = args->value.begin(); it != args->value.end(); ++it, ++j) {
    Entry item{"args", args->keyNode, *it};
    auto text =
        readExpression(item, "'args' item " + llvm::Twine(j) + " of " + what,
                       joinPath(path + ".args", j));
    if (!text)
      return text.takeError();
    launch.args.push_back(*text);
  }

  if (const Entry *repeat = find(*entries, "repeat")) {
    auto text =
        readExpression(*repeat, "'repeat' of " + what, path + ".repeat");
    if (!text)
      return text.takeError();
    launch.repeat = *text;
  }
  if (const Entry *loopVar = find(*entries, "loop_var")) {
    record(path + ".loop_var", loopVar->value);
    auto text =
        readNonEmpty(*loopVar, "'loop_var' of " + what, "an identifier");
    if (!text)
      return text.takeError();
    launch.loopVar = *text;
  }
  return launch;
}

llvm::Expected<Task> TaskReader::read(const YAML::Node &root) {
  static const llvm::StringRef topKeys[] = {
      "kernel",    "sizes",     "arguments",      "launch",
      "launches",  "tolerance", "verify_shapes",  "precision",
      "reference", "seed",      "extreme_inputs", "extreme_magnitude"};
  if (root.IsNull())
    return makeError(ExitCode::InputError,
                     "{0}: error: the task file is empty; a task needs at "
                     "least 'kernel', 'arguments' and 'launch'",
                     fileName);
  auto entries = readMapping(root, root, "the task", topKeys);
  if (!entries)
    return entries.takeError();
  Task task;

  const Entry *launch = find(*entries, "launch");
  const Entry *launches = find(*entries, "launches");
  const Entry *kernel = find(*entries, "kernel");
  if (launch && launches)
    return errorAt(launches->keyNode,
                   "the task has both 'launch' and 'launches'; use 'launch' "
                   "for one kernel, 'launches' for a sequence");
  if (!launch && !launches)
    return missing(root, "launch", "the task",
                   "add 'launch: {grid: ..., block: ...}' (or 'launches' "
                   "for a sequence of kernels)");
  if (launches && kernel)
    return errorAt(kernel->keyNode,
                   "top-level 'kernel' is not used with 'launches'; each "
                   "launch names its kernel, so remove it");
  if (launch && !kernel)
    return missing(root, "kernel", "the task", "add 'kernel: <kernel name>'");

  const Entry *arguments = find(*entries, "arguments");
  if (!arguments)
    return missing(root, "arguments", "the task",
                   "add 'arguments:' with one entry per kernel parameter "
                   "([] for none)");
  record("arguments", arguments->keyNode);
  if (!arguments->value.IsSequence())
    return errorAt(arguments->value.IsNull() ? arguments->keyNode
                                             : arguments->value,
                   "'arguments' must be a list of argument descriptions, "
                   "not " +
                       describeNode(arguments->value));
  size_t index = 0;
  for (auto it = arguments->value.begin(); it != arguments->value.end();
       ++it, ++index) {
    auto arg = readArgument(*it, arguments->value, index);
    if (!arg)
      return arg.takeError();
    task.arguments.push_back(std::move(*arg));
  }

  if (const Entry *sizes = find(*entries, "sizes")) {
    record("sizes", sizes->keyNode);
    auto bindings =
        readBindings(sizes->value, sizes->keyNode, "'sizes'", "sizes");
    if (!bindings)
      return bindings.takeError();
    task.sizes = std::move(*bindings);
  }

  if (launch) {
    record("kernel", kernel->value);
    auto name = readNonEmpty(*kernel, "'kernel'", "the kernel name");
    if (!name)
      return name.takeError();
    task.kernel = *name;
    LaunchSpec spec;
    spec.kernel = task.kernel;
    record("launches", launch->keyNode);
    record("launches.0", launch->value);
    // Keys only a sequence launch has get a pointer to that form.
    if (launch->value.IsMap())
      for (auto it = launch->value.begin(); it != launch->value.end(); ++it)
        if (it->first.IsScalar() &&
            llvm::is_contained({"kernel", "args", "repeat", "loop_var"},
                               it->first.Scalar()))
          return errorAt(it->first,
                         "'" + it->first.Scalar() +
                             "' is not a key of 'launch', which runs the "
                             "top-level kernel once with the arguments in "
                             "order; use 'launches' to give a kernel, args, "
                             "repeat or loop_var per launch");
    auto fields = readMapping(launch->value, launch->keyNode, "'launch'",
                              {"grid", "block", "shared_bytes"});
    if (!fields)
      return fields.takeError();
    if (llvm::Error err = readGeometry(*fields, launch->value, "'launch'",
                                       "launches.0", spec.geometry))
      return std::move(err);
    for (size_t i = 0; i < task.arguments.size(); ++i) {
      spec.args.push_back(task.arguments[i].name);
      auto it = sources.find(joinPath(joinPath("arguments", i), "name"));
      if (it != sources.end())
        sources[joinPath("launches.0.args", i)] = it->second;
    }
    task.launches.push_back(std::move(spec));
  } else {
    record("launches", launches->keyNode);
    if (!launches->value.IsSequence() || launches->value.size() == 0)
      return errorAt(launches->value.IsNull() ? launches->keyNode
                                              : launches->value,
                     "'launches' must be a non-empty list of launches, not " +
                         describeNode(launches->value));
    index = 0;
    for (auto it = launches->value.begin(); it != launches->value.end();
         ++it, ++index) {
      auto spec = readLaunch(*it, launches->value, index);
      if (!spec)
        return spec.takeError();
      task.launches.push_back(std::move(*spec));
    }
    task.kernel = task.launches.front().kernel;
    auto first = sources.find("launches.0.kernel");
    if (first != sources.end())
      sources["kernel"] = first->second;
  }

  if (const Entry *tolerance = find(*entries, "tolerance")) {
    auto spec = readTolerance(*tolerance, "'tolerance'", "tolerance");
    if (!spec)
      return spec.takeError();
    task.tolerance = *spec;
  }

  if (const Entry *shapes = find(*entries, "verify_shapes")) {
    record("verify_shapes", shapes->keyNode);
    if (!shapes->value.IsSequence())
      return errorAt(shapes->value.IsNull() ? shapes->keyNode : shapes->value,
                     "'verify_shapes' must be a list of mappings from size "
                     "names to values, not " +
                         describeNode(shapes->value));
    index = 0;
    for (auto it = shapes->value.begin(); it != shapes->value.end();
         ++it, ++index) {
      std::string path = joinPath("verify_shapes", index);
      record(path, *it);
      auto bindings =
          readBindings(*it, shapes->value,
                       "verify_shapes[" + llvm::Twine(index) + "]", path);
      if (!bindings)
        return bindings.takeError();
      if (bindings->empty())
        return errorAt(*it, "verify_shapes[" + llvm::Twine(index) +
                                "] is empty; override at least one size, "
                                "e.g. {n: 1}");
      task.verifyShapes.push_back(std::move(*bindings));
    }
  }

  if (const Entry *precision = find(*entries, "precision")) {
    record("precision", precision->value);
    auto text = readNonEmpty(*precision, "'precision'",
                             "strict-fp32, allow-tf32 or "
                             "allow-reduced-precision");
    if (!text)
      return text.takeError();
    std::optional<PrecisionPolicy> policy = parsePrecisionPolicy(*text);
    if (!policy)
      return errorAt(precision->value,
                     "unknown precision '" + *text +
                         "'; expected strict-fp32, allow-tf32 or "
                         "allow-reduced-precision");
    task.precision = *policy;
  }

  if (const Entry *reference = find(*entries, "reference")) {
    record("reference", reference->value);
    auto text = readNonEmpty(*reference, "'reference'",
                             "'original' or the path of a .cu file");
    if (!text)
      return text.takeError();
    task.reference = *text;
  }

  if (const Entry *seed = find(*entries, "seed")) {
    record("seed", seed->value);
    auto text = readNonEmpty(*seed, "'seed'", "an unsigned integer");
    if (!text)
      return text.takeError();
    if (llvm::StringRef(*text).getAsInteger(10, task.seed))
      return errorAt(seed->value, "'seed' must be an unsigned 64-bit "
                                  "integer, not '" +
                                      *text + "'");
  }

  if (const Entry *extremes = find(*entries, "extreme_inputs")) {
    auto value = readBool(*extremes, "'extreme_inputs'", "extreme_inputs");
    if (!value)
      return value.takeError();
    task.extremeInputs = *value;
  }
  if (const Entry *magnitude = find(*entries, "extreme_magnitude")) {
    auto value =
        readNumber(*magnitude, "'extreme_magnitude'", "extreme_magnitude");
    if (!value)
      return value.takeError();
    if (*value <= 0)
      return errorAt(magnitude->value, "'extreme_magnitude' must be positive");
    task.extremeMagnitude = *value;
  }
  return task;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// True when the task can be written in the single-kernel form.
static bool isSingleKernelForm(const Task &task) {
  if (task.launches.size() != 1)
    return false;
  const LaunchSpec &launch = task.launches.front();
  if (launch.kernel != task.kernel || launch.repeat != "1" ||
      !launch.loopVar.empty() || launch.args.size() != task.arguments.size())
    return false;
  for (size_t i = 0; i < launch.args.size(); ++i)
    if (launch.args[i] != task.arguments[i].name)
      return false;
  return true;
}

static void emitDim3(YAML::Emitter &out,
                     const std::array<std::string, 3> &dims) {
  size_t used = 3;
  while (used > 1 && dims[used - 1] == "1")
    --used;
  if (used == 1) {
    out << dims[0];
    return;
  }
  out << YAML::Flow << YAML::BeginSeq;
  for (size_t d = 0; d < used; ++d)
    out << dims[d];
  out << YAML::EndSeq;
}

static void emitGeometry(YAML::Emitter &out, const LaunchGeometry &geometry) {
  out << YAML::Key << "grid" << YAML::Value;
  emitDim3(out, geometry.grid);
  out << YAML::Key << "block" << YAML::Value;
  emitDim3(out, geometry.block);
  out << YAML::Key << "shared_bytes" << YAML::Value << geometry.sharedBytes;
}

static void emitTolerance(YAML::Emitter &out, const Tolerance &tolerance) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "atol" << YAML::Value << formatReal(tolerance.atol);
  out << YAML::Key << "rtol" << YAML::Value << formatReal(tolerance.rtol);
  out << YAML::Key << "exact" << YAML::Value
      << (tolerance.exact ? "true" : "false");
  out << YAML::EndMap;
}

static void
emitBindings(YAML::Emitter &out,
             const std::vector<std::pair<std::string, std::string>> &bindings) {
  out << YAML::BeginMap;
  for (const auto &[name, value] : bindings)
    out << YAML::Key << name << YAML::Value << value;
  out << YAML::EndMap;
}

static void emitArgument(YAML::Emitter &out, const ArgumentSpec &arg) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << arg.name;
  out << YAML::Key << "kind" << YAML::Value
      << (arg.kind == ArgKind::Scalar ? "scalar" : "buffer");
  out << YAML::Key << "dtype" << YAML::Value << toString(arg.dtype).str();
  if (arg.kind == ArgKind::Scalar) {
    out << YAML::Key << "value" << YAML::Value << arg.value;
    out << YAML::EndMap;
    return;
  }
  out << YAML::Key << "count" << YAML::Value << arg.count;
  out << YAML::Key << "role" << YAML::Value << toString(arg.role).str();
  out << YAML::Key << "init" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "distribution" << YAML::Value << arg.init.distribution;
  for (llvm::StringRef param : getDistributionParams(arg.init.distribution)) {
    double value = llvm::StringSwitch<double>(param)
                       .Case("min", arg.init.min)
                       .Case("max", arg.init.max)
                       .Case("mean", arg.init.mean)
                       .Case("stddev", arg.init.stddev)
                       .Default(arg.init.value);
    out << YAML::Key << param.str() << YAML::Value << formatReal(value);
  }
  out << YAML::EndMap;
  if (arg.tolerance) {
    out << YAML::Key << "tolerance" << YAML::Value;
    emitTolerance(out, *arg.tolerance);
  }
  out << YAML::EndMap;
}

static void emitTask(YAML::Emitter &out, const Task &task) {
  bool single = isSingleKernelForm(task);
  out << YAML::BeginMap;
  if (single)
    out << YAML::Key << "kernel" << YAML::Value << task.kernel;
  if (!task.sizes.empty()) {
    out << YAML::Key << "sizes" << YAML::Value;
    emitBindings(out, task.sizes);
  }
  out << YAML::Key << "arguments" << YAML::Value;
  if (task.arguments.empty()) {
    out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
  } else {
    out << YAML::BeginSeq;
    for (const ArgumentSpec &arg : task.arguments)
      emitArgument(out, arg);
    out << YAML::EndSeq;
  }
  if (single) {
    out << YAML::Key << "launch" << YAML::Value << YAML::BeginMap;
    emitGeometry(out, task.launches.front().geometry);
    out << YAML::EndMap;
  } else {
    out << YAML::Key << "launches" << YAML::Value << YAML::BeginSeq;
    for (const LaunchSpec &launch : task.launches) {
      out << YAML::BeginMap;
      out << YAML::Key << "kernel" << YAML::Value << launch.kernel;
      emitGeometry(out, launch.geometry);
      out << YAML::Key << "args" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const std::string &arg : launch.args)
        out << arg;
      out << YAML::EndSeq;
      out << YAML::Key << "repeat" << YAML::Value << launch.repeat;
      if (!launch.loopVar.empty())
        out << YAML::Key << "loop_var" << YAML::Value << launch.loopVar;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "tolerance" << YAML::Value;
  emitTolerance(out, task.tolerance);
  if (!task.verifyShapes.empty()) {
    out << YAML::Key << "verify_shapes" << YAML::Value << YAML::BeginSeq;
    for (const auto &shape : task.verifyShapes) {
      out << YAML::Flow;
      emitBindings(out, shape);
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "precision" << YAML::Value
      << toString(task.precision).str();
  out << YAML::Key << "reference" << YAML::Value << task.reference;
  out << YAML::Key << "seed" << YAML::Value << std::to_string(task.seed);
  if (task.extremeInputs)
    out << YAML::Key << "extreme_inputs" << YAML::Value << "true";
  if (task.extremeMagnitude > 0)
    out << YAML::Key << "extreme_magnitude" << YAML::Value
        << formatReal(task.extremeMagnitude);
  out << YAML::EndMap;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

llvm::Expected<Task> cupilot::parseTask(llvm::StringRef yamlText,
                                        llvm::StringRef fileName) {
  if (yamlText.size() > MaxTaskFileSize)
    return makeError(ExitCode::InputError,
                     "{0}: error: the task is {1} bytes; task files are "
                     "limited to {2} bytes",
                     fileName, yamlText.size(), MaxTaskFileSize);

  auto root = detail::loadSingleDocument(
      yamlText, fileName,
      {"task",
       "the task file is empty; a task needs at least 'kernel', 'arguments' "
       "and 'launch'",
       "a task nests at most 4 levels", MaxTaskFileSize});
  if (!root)
    return root.takeError();

  SourceMap sources;
  TaskReader reader(fileName, sources);
  auto task = reader.read(*root);
  if (!task)
    return task.takeError();
  Diagnoser diag(fileName, &sources, task->kernel);
  if (llvm::Error err = Validator(*task, diag).run())
    return std::move(err);
  return task;
}

llvm::Expected<Task> cupilot::readTaskFile(llvm::StringRef path) {
  if (path != "-") {
    uint64_t size;
    if (std::error_code ec = llvm::sys::fs::file_size(path, size))
      return makeError(ExitCode::InputError, "{0}: error: cannot read: {1}",
                       path, ec.message());
    if (size > MaxTaskFileSize)
      return makeError(ExitCode::InputError,
                       "{0}: error: the task is {1} bytes; task files are "
                       "limited to {2} bytes",
                       path, size, MaxTaskFileSize);
  }
  // A pipe (`-`) or a device has no size to check beforehand: read at most
  // one byte more than the limit, never until an end that may not come.
  llvm::sys::fs::file_t file = llvm::sys::fs::getStdinHandle();
  if (path != "-") {
    auto opened = llvm::sys::fs::openNativeFileForRead(path);
    if (!opened)
      return makeError(ExitCode::InputError, "{0}: error: cannot read: {1}",
                       path, llvm::toString(opened.takeError()));
    file = *opened;
  }
  std::string text(MaxTaskFileSize + 1, '\0');
  size_t size = 0;
  std::string readFailure;
  while (size < text.size()) {
    auto read = llvm::sys::fs::readNativeFile(
        file, llvm::MutableArrayRef<char>(text).drop_front(size));
    if (!read) {
      readFailure = llvm::toString(read.takeError());
      break;
    }
    if (*read == 0)
      break;
    size += *read;
  }
  if (path != "-")
    llvm::sys::fs::closeFile(file);
  if (!readFailure.empty())
    return makeError(ExitCode::InputError, "{0}: error: cannot read: {1}", path,
                     readFailure);
  if (size > MaxTaskFileSize)
    return makeError(ExitCode::InputError,
                     "{0}: error: the task is more than {1} bytes; task files "
                     "are limited to {1} bytes",
                     path, MaxTaskFileSize);
  text.resize(size);
  return parseTask(text, path == "-" ? "<stdin>" : path);
}

std::string cupilot::writeTask(const Task &task) {
  YAML::Emitter out;
  bool failed = false;
  try {
    out.SetIndent(2);
    emitTask(out, task);
  } catch (...) {
    failed = true;
  }
  if (failed || !out.good())
    llvm::report_fatal_error(
        llvm::Twine("cupilot: cannot emit a task as YAML: ") +
        out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

llvm::Error cupilot::validateTask(const Task &task) {
  Diagnoser diag("", nullptr, task.kernel);
  return Validator(task, diag).run();
}
