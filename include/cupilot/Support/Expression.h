//===- Expression.h - Size and launch-geometry expressions ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Tasks and plans describe sizes, element counts, scalar values and launch
// geometry as small arithmetic expressions over named values, e.g.
// `ceil_div(n, block.x)` or `M*K`. The language (documented in
// docs/TaskSchema.md) has integer and floating literals, identifiers (which
// may contain dots: `block.x`), unary +/-, binary + - * / %, parentheses, the
// comparison and shift operators, and the functions min, max, ceil_div,
// round_up, log2, pow2. Integer arithmetic is checked: overflow and
// division by zero are errors, never undefined behaviour.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_SUPPORT_EXPRESSION_H
#define CUPILOT_SUPPORT_EXPRESSION_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cupilot {

/// Values of the identifiers an expression may use.
using ExprEnvironment = llvm::StringMap<double>;

class Expression {
public:
  /// Parses `text`; errors name the column (1-based) and what was expected.
  static llvm::Expected<Expression> parse(llvm::StringRef text);

  /// Evaluates with integer semantics (C-like truncating `/` and `%`);
  /// errors on unknown identifiers, non-integral values, overflow and
  /// division by zero.
  llvm::Expected<int64_t> evaluateInt(const ExprEnvironment &env) const;
  /// Evaluates with floating-point semantics (for scalar values).
  llvm::Expected<double> evaluateReal(const ExprEnvironment &env) const;

  /// Identifiers used, sorted and unique.
  std::vector<std::string> identifiers() const;
  /// The source text the expression was parsed from.
  const std::string &str() const { return text; }

  struct Node;

private:
  std::string text;
  std::shared_ptr<const Node> root;
};

} // namespace cupilot

#endif // CUPILOT_SUPPORT_EXPRESSION_H
