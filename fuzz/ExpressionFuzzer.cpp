//===- ExpressionFuzzer.cpp - Fuzz target of the expression language ------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is the text of an expression. It is parsed and, when it parses,
// evaluated with integer and with real semantics in a fixed environment that
// holds ordinary sizes, block dimensions and the awkward values (0, negative,
// fractional, 2^53, near 2^63, huge, infinite, NaN). Checks: errors are input
// errors; a parsed expression keeps its text and lists sorted, unique
// identifiers; parsing and evaluation are deterministic.
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Support/Expression.h"

#include <cmath>
#include <limits>

using namespace cupilot;
using namespace cupilot::fuzz;

namespace {

const ExprEnvironment &getEnvironment() {
  static const ExprEnvironment env = [] {
    ExprEnvironment env;
    env["n"] = 1024;
    env["m"] = 3;
    env["k"] = 0;
    env["neg"] = -7;
    env["half"] = 0.5;
    env["big"] = 9007199254740992.0;     // 2^53
    env["huge"] = 9223372036854775807.0; // rounds to 2^63: out of int64
    env["tiny"] = 1e-300;
    env["vast"] = 1e300;
    env["inf"] = std::numeric_limits<double>::infinity();
    env["nan"] = std::numeric_limits<double>::quiet_NaN();
    env["block.x"] = 256;
    env["block.y"] = 4;
    env["block.z"] = 1;
    return env;
  }();
  return env;
}

/// The outcome of an evaluation as a comparable string.
template <typename T> std::string outcome(llvm::Expected<T> value) {
  if (!value)
    return "error: " + expectError(value.takeError(), ExitCode::InputError,
                                   "evaluating an expression");
  if constexpr (std::is_same_v<T, double>) {
    if (std::isnan(*value))
      fail("evaluateReal returned NaN instead of an error");
    if (std::isinf(*value))
      fail("evaluateReal returned an infinite value instead of an error");
  }
  return "value: " + std::to_string(*value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  auto expr = Expression::parse(text);
  if (!expr) {
    expectError(expr.takeError(), ExitCode::InputError, "parsing");
    return 0;
  }
  check(expr->str() == text, "str() differs from the parsed text");

  std::vector<std::string> names = expr->identifiers();
  for (size_t i = 0; i < names.size(); ++i) {
    check(!names[i].empty(), "an empty identifier");
    check(text.contains(names[i]),
          "identifier '" + names[i] + "' does not occur in the text");
    check(i == 0 || names[i - 1] < names[i],
          "identifiers() is not sorted and unique");
  }

  const ExprEnvironment &env = getEnvironment();
  std::string asInt = outcome(expr->evaluateInt(env));
  std::string asReal = outcome(expr->evaluateReal(env));

  // A copy shares the tree; a second parse builds a new one. Both must give
  // the same results.
  Expression copy = *expr;
  check(outcome(copy.evaluateInt(env)) == asInt,
        "evaluateInt of a copy differs");
  auto again = Expression::parse(text);
  check(static_cast<bool>(again), "a second parse of the same text failed");
  check(outcome(again->evaluateInt(env)) == asInt,
        "evaluateInt is not deterministic");
  check(outcome(again->evaluateReal(env)) == asReal,
        "evaluateReal is not deterministic");
  return 0;
}
