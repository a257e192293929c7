//===- Expression.cpp - Size and launch-geometry expressions --------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A recursive-descent parser with C precedence and two evaluators (checked
// int64 and double). Runs of binary operators of one precedence level are
// kept as one flat `Chain` node, so the tree is only as deep as the
// parentheses, unary operators and calls of the text; that depth is limited,
// which bounds the recursion of parsing, evaluation and destruction.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Expression.h"

#include "cupilot/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>

using namespace cupilot;

namespace {

/// Longest expression text accepted.
constexpr size_t MaxTextLength = size_t(64) * 1024;
/// Deepest nesting of parentheses, calls and unary operators accepted.
constexpr unsigned MaxNestingDepth = 256;
/// Longest excerpt of the expression text quoted in a diagnostic.
constexpr size_t MaxQuotedLength = 80;

enum class BinaryOp {
  Mul,
  Div,
  Rem,
  Add,
  Sub,
  Shl,
  Shr,
  Lt,
  Le,
  Gt,
  Ge,
  Eq,
  Ne
};
enum class Function { Min, Max, CeilDiv, RoundUp, Log2, Pow2 };

/// Precedence levels, loosest first; each level is left-associative.
constexpr unsigned NumLevels = 5;

} // namespace

static unsigned getLevel(BinaryOp op) {
  switch (op) {
  case BinaryOp::Eq:
  case BinaryOp::Ne:
    return 0;
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge:
    return 1;
  case BinaryOp::Shl:
  case BinaryOp::Shr:
    return 2;
  case BinaryOp::Add:
  case BinaryOp::Sub:
    return 3;
  case BinaryOp::Mul:
  case BinaryOp::Div:
  case BinaryOp::Rem:
    return 4;
  }
  llvm_unreachable("unknown binary operator");
}

static llvm::StringRef getSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::Rem:
    return "%";
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Shl:
    return "<<";
  case BinaryOp::Shr:
    return ">>";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  }
  llvm_unreachable("unknown binary operator");
}

static llvm::StringRef getName(Function fn) {
  switch (fn) {
  case Function::Min:
    return "min";
  case Function::Max:
    return "max";
  case Function::CeilDiv:
    return "ceil_div";
  case Function::RoundUp:
    return "round_up";
  case Function::Log2:
    return "log2";
  case Function::Pow2:
    return "pow2";
  }
  llvm_unreachable("unknown function");
}

static std::optional<Function> lookupFunction(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Function>>(name)
      .Case("min", Function::Min)
      .Case("max", Function::Max)
      .Case("ceil_div", Function::CeilDiv)
      .Case("round_up", Function::RoundUp)
      .Case("log2", Function::Log2)
      .Case("pow2", Function::Pow2)
      .Default(std::nullopt);
}

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

/// The expression text as quoted in diagnostics (shortened when long).
static std::string quoteText(llvm::StringRef text) {
  if (text.size() <= MaxQuotedLength)
    return ("'" + text + "'").str();
  return ("'" + text.take_front(MaxQuotedLength) + "...'").str();
}

/// How the character at `pos` is named in a diagnostic.
static std::string describeAt(llvm::StringRef text, size_t pos) {
  if (pos >= text.size())
    return "end of expression";
  unsigned char c = text[pos];
  if (llvm::isPrint(c))
    return ("'" + llvm::Twine(text[pos]) + "'").str();
  return "character 0x" + llvm::utohexstr(c, /*LowerCase=*/true, 2);
}

static llvm::Error makeExprError(llvm::StringRef text, unsigned column,
                                 const llvm::Twine &message) {
  return makeError(ExitCode::InputError, "column {0}: {1} in {2}", column,
                   message.str(), quoteText(text));
}

static bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentifierBody(char c) { return llvm::isAlnum(c) || c == '_'; }

struct Expression::Node {
  enum class Kind { IntLiteral, RealLiteral, Identifier, Negate, Chain, Call };

  Kind kind;
  /// 1-based column of the literal, name, operator or function name.
  unsigned column;
  int64_t intValue = 0;
  double realValue = 0.0;
  /// Identifier name, or the literal's spelling.
  std::string name;
  Function function = Function::Min;
  /// Negate: one operand. Chain: the operands. Call: the arguments.
  std::vector<std::unique_ptr<const Node>> operands;
  /// Chain: ops[i] combines the running value with operands[i + 1].
  std::vector<BinaryOp> ops;
  std::vector<unsigned> opColumns;

  Node(Kind kind, unsigned column) : kind(kind), column(column) {}
};

using NodePtr = std::unique_ptr<Expression::Node>;

namespace {

class Parser {
public:
  explicit Parser(llvm::StringRef text) : text(text) {}

  llvm::Expected<NodePtr> parseAll() {
    auto root = parseLevel(0);
    if (!root)
      return root.takeError();
    skipSpace();
    if (pos != text.size()) {
      if (text[pos] == '=' || text[pos] == '!')
        return error(pos, "unexpected " + describeAt(text, pos) +
                              "; comparisons are spelled '==' and '!='");
      return error(pos, "expected an operator or end of expression, found " +
                            describeAt(text, pos));
    }
    return root;
  }

private:
  llvm::Error error(size_t at, const llvm::Twine &message) {
    return makeExprError(text, at + 1, message);
  }

  void skipSpace() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }

  /// Recognises a binary operator at the current position (longest match).
  std::optional<std::pair<BinaryOp, size_t>> peekBinaryOp() {
    skipSpace();
    llvm::StringRef rest = text.drop_front(pos);
    static const std::pair<llvm::StringRef, BinaryOp> table[] = {
        {"<<", BinaryOp::Shl}, {">>", BinaryOp::Shr}, {"<=", BinaryOp::Le},
        {">=", BinaryOp::Ge},  {"==", BinaryOp::Eq},  {"!=", BinaryOp::Ne},
        {"<", BinaryOp::Lt},   {">", BinaryOp::Gt},   {"+", BinaryOp::Add},
        {"-", BinaryOp::Sub},  {"*", BinaryOp::Mul},  {"/", BinaryOp::Div},
        {"%", BinaryOp::Rem}};
    // Compared by hand: this runs once per operand of every expression.
    for (const auto &[spelling, op] : table)
      if (rest.size() >= spelling.size() && rest[0] == spelling[0] &&
          (spelling.size() == 1 || rest[1] == spelling[1]))
        return std::make_pair(op, spelling.size());
    return std::nullopt;
  }

  /// Parses a left-associative run of operators of precedence `level`.
  llvm::Expected<NodePtr> parseLevel(unsigned level) {
    if (level == NumLevels)
      return parseUnary();
    auto first = parseLevel(level + 1);
    if (!first)
      return first.takeError();
    NodePtr chain;
    while (true) {
      auto op = peekBinaryOp();
      if (!op || getLevel(op->first) != level)
        break;
      unsigned opColumn = pos + 1;
      pos += op->second;
      auto operand = parseLevel(level + 1);
      if (!operand)
        return operand.takeError();
      if (!chain) {
        chain = std::make_unique<Expression::Node>(
            Expression::Node::Kind::Chain, (*first)->column);
        chain->operands.push_back(std::move(*first));
      }
      chain->operands.push_back(std::move(*operand));
      chain->ops.push_back(op->first);
      chain->opColumns.push_back(opColumn);
    }
    if (chain)
      return std::move(chain);
    return first;
  }

  /// Enters one nesting level; errors when the limit is reached.
  llvm::Error enter(size_t at) {
    if (++depth > MaxNestingDepth)
      return error(at, "expression nests deeper than " +
                           llvm::Twine(MaxNestingDepth) +
                           " levels of parentheses, calls and unary operators");
    return llvm::Error::success();
  }

  llvm::Expected<NodePtr> parseUnary() {
    skipSpace();
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
      size_t opPos = pos;
      bool negate = text[pos] == '-';
      ++pos;
      if (llvm::Error err = enter(opPos))
        return std::move(err);
      auto operand = parseUnary();
      --depth;
      if (!operand || !negate)
        return operand;
      auto node = std::make_unique<Expression::Node>(
          Expression::Node::Kind::Negate, opPos + 1);
      node->operands.push_back(std::move(*operand));
      return std::move(node);
    }
    return parsePrimary();
  }

  llvm::Expected<NodePtr> parsePrimary() {
    skipSpace();
    if (pos >= text.size())
      return error(pos, "expected an expression, found end of expression");
    char c = text[pos];
    if (c == '(') {
      size_t open = pos++;
      if (llvm::Error err = enter(open))
        return std::move(err);
      auto inner = parseLevel(0);
      --depth;
      if (!inner)
        return inner.takeError();
      skipSpace();
      if (pos >= text.size() || text[pos] != ')')
        return error(pos, "expected ')' to match the '(' at column " +
                              llvm::Twine(open + 1) + ", found " +
                              describeAt(text, pos));
      ++pos;
      return inner;
    }
    if (llvm::isDigit(c) ||
        (c == '.' && pos + 1 < text.size() && llvm::isDigit(text[pos + 1])))
      return parseNumber();
    if (isIdentifierStart(c))
      return parseName();
    return error(pos, "expected an expression, found " + describeAt(text, pos));
  }

  llvm::Expected<NodePtr> parseNumber() {
    size_t start = pos;
    bool isReal = false;
    auto skipDigits = [&] {
      while (pos < text.size() && llvm::isDigit(text[pos]))
        ++pos;
    };
    skipDigits();
    if (pos < text.size() && text[pos] == '.') {
      isReal = true;
      ++pos;
      skipDigits();
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      isReal = true;
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (pos >= text.size() || !llvm::isDigit(text[pos]))
        return error(pos, "expected the digits of the exponent of '" +
                              text.slice(start, pos) + "', found " +
                              describeAt(text, pos));
      skipDigits();
    }
    llvm::StringRef spelling = text.slice(start, pos);
    if (pos < text.size() && (isIdentifierBody(text[pos]) || text[pos] == '.'))
      return error(pos, "invalid " + describeAt(text, pos) + " after number '" +
                            spelling + "'");
    auto node = std::make_unique<Expression::Node>(
        isReal ? Expression::Node::Kind::RealLiteral
               : Expression::Node::Kind::IntLiteral,
        start + 1);
    node->name = spelling.str();
    if (isReal) {
      double value;
      if (spelling.getAsDouble(value, /*AllowInexact=*/true) ||
          !std::isfinite(value))
        return error(start, "number '" + spelling + "' is out of range");
      node->realValue = value;
    } else {
      int64_t value;
      if (spelling.getAsInteger(10, value))
        return error(start,
                     "integer '" + spelling + "' does not fit in 64 bits");
      node->intValue = value;
      node->realValue = static_cast<double>(value);
    }
    return std::move(node);
  }

  llvm::Expected<NodePtr> parseName() {
    size_t start = pos;
    while (true) {
      while (pos < text.size() && isIdentifierBody(text[pos]))
        ++pos;
      if (pos >= text.size() || text[pos] != '.')
        break;
      ++pos;
      if (pos >= text.size() || !isIdentifierStart(text[pos]))
        return error(pos, "expected a name after '.', found " +
                              describeAt(text, pos));
    }
    llvm::StringRef name = text.slice(start, pos);
    size_t afterName = pos;
    skipSpace();
    if (pos >= text.size() || text[pos] != '(') {
      pos = afterName;
      auto node = std::make_unique<Expression::Node>(
          Expression::Node::Kind::Identifier, start + 1);
      node->name = name.str();
      return std::move(node);
    }
    std::optional<Function> fn = lookupFunction(name);
    if (!fn)
      return error(start, "unknown function '" + name +
                              "'; the functions are min, max, ceil_div, "
                              "round_up, log2 and pow2");
    size_t open = pos++;
    if (llvm::Error err = enter(open))
      return std::move(err);
    auto node = std::make_unique<Expression::Node>(Expression::Node::Kind::Call,
                                                   start + 1);
    node->function = *fn;
    node->name = name.str();
    skipSpace();
    if (pos < text.size() && text[pos] == ')') {
      ++pos;
    } else {
      while (true) {
        auto arg = parseLevel(0);
        if (!arg)
          return arg.takeError();
        node->operands.push_back(std::move(*arg));
        skipSpace();
        if (pos < text.size() && text[pos] == ',') {
          ++pos;
          continue;
        }
        if (pos < text.size() && text[pos] == ')') {
          ++pos;
          break;
        }
        return error(pos, "expected ',' or ')' after argument " +
                              llvm::Twine(node->operands.size()) + " of '" +
                              name + "', found " + describeAt(text, pos));
      }
    }
    --depth;
    size_t count = node->operands.size();
    bool variadic = *fn == Function::Min || *fn == Function::Max;
    size_t expected = (*fn == Function::Log2 || *fn == Function::Pow2) ? 1 : 2;
    if (variadic ? count < 2 : count != expected) {
      std::string takes = variadic        ? "at least 2 arguments"
                          : expected == 1 ? "1 argument"
                                          : "2 arguments";
      return error(start, "'" + name + "' takes " + takes + ", got " +
                              llvm::Twine(count));
    }
    return std::move(node);
  }

  llvm::StringRef text;
  size_t pos = 0;
  unsigned depth = 0;
};

/// Checked int64 evaluation.
class IntEvaluator {
public:
  IntEvaluator(llvm::StringRef text, const ExprEnvironment &env)
      : text(text), env(env) {}

  llvm::Expected<int64_t> evaluate(const Expression::Node &node) {
    using Kind = Expression::Node::Kind;
    switch (node.kind) {
    case Kind::IntLiteral:
      return node.intValue;
    case Kind::RealLiteral:
      return toInt(node.realValue, node.column, "number '" + node.name + "'");
    case Kind::Identifier: {
      auto it = env.find(node.name);
      if (it == env.end())
        return makeExprError(text, node.column,
                             "unknown identifier '" + node.name + "'");
      return toInt(it->second, node.column, "'" + node.name + "'");
    }
    case Kind::Negate: {
      auto value = evaluate(*node.operands[0]);
      if (!value)
        return value.takeError();
      if (*value == std::numeric_limits<int64_t>::min())
        return overflow(node.column, "-");
      return -*value;
    }
    case Kind::Chain: {
      auto value = evaluate(*node.operands[0]);
      if (!value)
        return value.takeError();
      int64_t acc = *value;
      for (size_t i = 0; i < node.ops.size(); ++i) {
        auto rhs = evaluate(*node.operands[i + 1]);
        if (!rhs)
          return rhs.takeError();
        auto result = apply(node.ops[i], acc, *rhs, node.opColumns[i]);
        if (!result)
          return result.takeError();
        acc = *result;
      }
      return acc;
    }
    case Kind::Call:
      return call(node);
    }
    llvm_unreachable("unknown node kind");
  }

private:
  llvm::Error overflow(unsigned column, llvm::StringRef what) {
    return makeExprError(text, column,
                         "'" + what + "' overflows 64-bit integer arithmetic");
  }

  llvm::Expected<int64_t> toInt(double value, unsigned column,
                                const llvm::Twine &what) {
    if (!std::isfinite(value) || std::trunc(value) != value)
      return makeExprError(
          text, column, what + " is " + formatReal(value) + ", not an integer");
    // 2^63 is exactly representable; every smaller double in range converts.
    if (value < -9223372036854775808.0 || value >= 9223372036854775808.0)
      return makeExprError(text, column,
                           what + " is " + formatReal(value) +
                               ", which does not fit in 64 bits");
    return static_cast<int64_t>(value);
  }

  llvm::Expected<int64_t> divide(int64_t a, int64_t b, unsigned column,
                                 llvm::StringRef what, bool remainder) {
    if (b == 0)
      return makeExprError(text, column, "division by zero");
    if (a == std::numeric_limits<int64_t>::min() && b == -1) {
      if (remainder)
        return 0;
      return overflow(column, what);
    }
    return remainder ? a % b : a / b;
  }

  llvm::Expected<int64_t> shift(BinaryOp op, int64_t a, int64_t b,
                                unsigned column) {
    if (b < 0 || b > 63)
      return makeExprError(text, column,
                           "shift amount " + llvm::Twine(b) +
                               " is out of range [0, 63]");
    if (op == BinaryOp::Shr)
      return a >> b;
    if (a < 0)
      return makeExprError(text, column,
                           "left shift of negative value " + llvm::Twine(a));
    if (a > (std::numeric_limits<int64_t>::max() >> b))
      return overflow(column, "<<");
    return a << b;
  }

  llvm::Expected<int64_t> apply(BinaryOp op, int64_t a, int64_t b,
                                unsigned column) {
    int64_t result;
    switch (op) {
    case BinaryOp::Add:
      if (__builtin_add_overflow(a, b, &result))
        return overflow(column, "+");
      return result;
    case BinaryOp::Sub:
      if (__builtin_sub_overflow(a, b, &result))
        return overflow(column, "-");
      return result;
    case BinaryOp::Mul:
      if (__builtin_mul_overflow(a, b, &result))
        return overflow(column, "*");
      return result;
    case BinaryOp::Div:
      return divide(a, b, column, "/", /*remainder=*/false);
    case BinaryOp::Rem:
      return divide(a, b, column, "%", /*remainder=*/true);
    case BinaryOp::Shl:
    case BinaryOp::Shr:
      return shift(op, a, b, column);
    case BinaryOp::Lt:
      return a < b;
    case BinaryOp::Le:
      return a <= b;
    case BinaryOp::Gt:
      return a > b;
    case BinaryOp::Ge:
      return a >= b;
    case BinaryOp::Eq:
      return a == b;
    case BinaryOp::Ne:
      return a != b;
    }
    llvm_unreachable("unknown binary operator");
  }

  llvm::Expected<int64_t> call(const Expression::Node &node) {
    std::vector<int64_t> args;
    for (const auto &operand : node.operands) {
      auto value = evaluate(*operand);
      if (!value)
        return value.takeError();
      args.push_back(*value);
    }
    llvm::StringRef name = getName(node.function);
    switch (node.function) {
    case Function::Min:
      return *llvm::min_element(args);
    case Function::Max:
      return *llvm::max_element(args);
    case Function::CeilDiv:
      return ceilDiv(args[0], args[1], node.column, name);
    case Function::RoundUp: {
      if (args[1] <= 0)
        return makeExprError(text, node.column,
                             "round_up needs a positive multiple, got " +
                                 llvm::Twine(args[1]));
      auto quotient = ceilDiv(args[0], args[1], node.column, name);
      if (!quotient)
        return quotient.takeError();
      int64_t result;
      if (__builtin_mul_overflow(*quotient, args[1], &result))
        return overflow(node.column, name);
      return result;
    }
    case Function::Log2:
      if (args[0] <= 0)
        return makeExprError(text, node.column,
                             "log2 of non-positive value " +
                                 llvm::Twine(args[0]));
      return 63 - __builtin_clzll(static_cast<uint64_t>(args[0]));
    case Function::Pow2:
      if (args[0] < 0 || args[0] > 62)
        return makeExprError(text, node.column,
                             "pow2 exponent " + llvm::Twine(args[0]) +
                                 " is out of range [0, 62]");
      return int64_t(1) << args[0];
    }
    llvm_unreachable("unknown function");
  }

  llvm::Expected<int64_t> ceilDiv(int64_t a, int64_t b, unsigned column,
                                  llvm::StringRef name) {
    auto quotient = divide(a, b, column, name, /*remainder=*/false);
    if (!quotient)
      return quotient.takeError();
    // `/` truncates toward zero; round up when the exact quotient is
    // positive and inexact.
    if (a % b != 0 && ((a < 0) == (b < 0)))
      return *quotient + 1;
    return *quotient;
  }

  llvm::StringRef text;
  const ExprEnvironment &env;
};

/// Double evaluation; errors on division by zero and non-finite results.
class RealEvaluator {
public:
  RealEvaluator(llvm::StringRef text, const ExprEnvironment &env)
      : text(text), env(env) {}

  llvm::Expected<double> evaluate(const Expression::Node &node) {
    using Kind = Expression::Node::Kind;
    switch (node.kind) {
    case Kind::IntLiteral:
    case Kind::RealLiteral:
      return node.realValue;
    case Kind::Identifier: {
      auto it = env.find(node.name);
      if (it == env.end())
        return makeExprError(text, node.column,
                             "unknown identifier '" + node.name + "'");
      if (!std::isfinite(it->second))
        return makeExprError(text, node.column,
                             "'" + node.name + "' is not a finite number");
      return it->second;
    }
    case Kind::Negate: {
      auto value = evaluate(*node.operands[0]);
      if (!value)
        return value.takeError();
      return -*value;
    }
    case Kind::Chain: {
      auto value = evaluate(*node.operands[0]);
      if (!value)
        return value.takeError();
      double acc = *value;
      for (size_t i = 0; i < node.ops.size(); ++i) {
        auto rhs = evaluate(*node.operands[i + 1]);
        if (!rhs)
          return rhs.takeError();
        auto result = apply(node.ops[i], acc, *rhs, node.opColumns[i]);
        if (!result)
          return result.takeError();
        acc = *result;
      }
      return acc;
    }
    case Kind::Call:
      return call(node);
    }
    llvm_unreachable("unknown node kind");
  }

private:
  llvm::Expected<double> finite(double value, unsigned column,
                                llvm::StringRef what) {
    if (!std::isfinite(value))
      return makeExprError(text, column,
                           "result of '" + what + "' is not a finite number");
    return value;
  }

  llvm::Expected<int64_t> toShiftOperand(double value, unsigned column) {
    if (std::trunc(value) != value || value < -9223372036854775808.0 ||
        value >= 9223372036854775808.0)
      return makeExprError(text, column,
                           "shift operand " + formatReal(value) +
                               " is not a 64-bit integer");
    return static_cast<int64_t>(value);
  }

  llvm::Expected<double> apply(BinaryOp op, double a, double b,
                               unsigned column) {
    llvm::StringRef spelling = getSpelling(op);
    switch (op) {
    case BinaryOp::Add:
      return finite(a + b, column, spelling);
    case BinaryOp::Sub:
      return finite(a - b, column, spelling);
    case BinaryOp::Mul:
      return finite(a * b, column, spelling);
    case BinaryOp::Div:
      if (b == 0)
        return makeExprError(text, column, "division by zero");
      return finite(a / b, column, spelling);
    case BinaryOp::Rem:
      if (b == 0)
        return makeExprError(text, column, "division by zero");
      return std::fmod(a, b);
    case BinaryOp::Shl:
    case BinaryOp::Shr: {
      // Shifts are integer operations in both modes.
      auto lhs = toShiftOperand(a, column);
      if (!lhs)
        return lhs.takeError();
      auto rhs = toShiftOperand(b, column);
      if (!rhs)
        return rhs.takeError();
      if (*rhs < 0 || *rhs > 63)
        return makeExprError(text, column,
                             "shift amount " + llvm::Twine(*rhs) +
                                 " is out of range [0, 63]");
      if (op == BinaryOp::Shr)
        return static_cast<double>(*lhs >> *rhs);
      if (*lhs < 0)
        return makeExprError(
            text, column, "left shift of negative value " + llvm::Twine(*lhs));
      if (*lhs > (std::numeric_limits<int64_t>::max() >> *rhs))
        return makeExprError(text, column,
                             "'<<' overflows 64-bit integer arithmetic");
      return static_cast<double>(*lhs << *rhs);
    }
    case BinaryOp::Lt:
      return a < b;
    case BinaryOp::Le:
      return a <= b;
    case BinaryOp::Gt:
      return a > b;
    case BinaryOp::Ge:
      return a >= b;
    case BinaryOp::Eq:
      return a == b;
    case BinaryOp::Ne:
      return a != b;
    }
    llvm_unreachable("unknown binary operator");
  }

  llvm::Expected<double> call(const Expression::Node &node) {
    std::vector<double> args;
    for (const auto &operand : node.operands) {
      auto value = evaluate(*operand);
      if (!value)
        return value.takeError();
      args.push_back(*value);
    }
    llvm::StringRef name = getName(node.function);
    switch (node.function) {
    case Function::Min:
      return *llvm::min_element(args);
    case Function::Max:
      return *llvm::max_element(args);
    case Function::CeilDiv:
      if (args[1] == 0)
        return makeExprError(text, node.column, "division by zero");
      return finite(std::ceil(args[0] / args[1]), node.column, name);
    case Function::RoundUp:
      if (args[1] <= 0)
        return makeExprError(text, node.column,
                             "round_up needs a positive multiple, got " +
                                 formatReal(args[1]));
      return finite(std::ceil(args[0] / args[1]) * args[1], node.column, name);
    case Function::Log2:
      if (args[0] <= 0)
        return makeExprError(text, node.column,
                             "log2 of non-positive value " +
                                 formatReal(args[0]));
      return std::log2(args[0]);
    case Function::Pow2:
      return finite(std::exp2(args[0]), node.column, name);
    }
    llvm_unreachable("unknown function");
  }

  llvm::StringRef text;
  const ExprEnvironment &env;
};
} // namespace

static void collectIdentifiers(const Expression::Node &node,
                               std::set<std::string> &names) {
  if (node.kind == Expression::Node::Kind::Identifier)
    names.insert(node.name);
  for (const auto &operand : node.operands)
    collectIdentifiers(*operand, names);
}

static llvm::Error notParsed() {
  return makeError(ExitCode::InternalError,
                   "evaluating an expression that was never parsed");
}

llvm::Expected<Expression> Expression::parse(llvm::StringRef text) {
  if (text.size() > MaxTextLength)
    return makeError(ExitCode::InputError,
                     "expression is {0} bytes long; the limit is {1} bytes",
                     text.size(), MaxTextLength);
  Parser parser(text);
  auto root = parser.parseAll();
  if (!root)
    return root.takeError();
  Expression expr;
  expr.text = text.str();
  expr.root = std::shared_ptr<const Node>(std::move(*root));
  return expr;
}

llvm::Expected<int64_t>
Expression::evaluateInt(const ExprEnvironment &env) const {
  if (!root)
    return notParsed();
  return IntEvaluator(text, env).evaluate(*root);
}

llvm::Expected<double>
Expression::evaluateReal(const ExprEnvironment &env) const {
  if (!root)
    return notParsed();
  return RealEvaluator(text, env).evaluate(*root);
}

std::vector<std::string> Expression::identifiers() const {
  std::set<std::string> names;
  if (root)
    collectIdentifiers(*root, names);
  return {names.begin(), names.end()};
}
