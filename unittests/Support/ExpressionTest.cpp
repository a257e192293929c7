//===- ExpressionTest.cpp - Tests of the expression language --------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Expression.h"

#include "cupilot/Support/Error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <string>

using namespace cupilot;

namespace {

/// Parses and evaluates `text` with integer semantics; reports any error as
/// a test failure.
int64_t evalInt(llvm::StringRef text, const ExprEnvironment &env = {}) {
  auto expr = Expression::parse(text);
  if (!expr) {
    ADD_FAILURE() << "parse of '" << text.str()
                  << "' failed: " << llvm::toString(expr.takeError());
    return -424242;
  }
  auto value = expr->evaluateInt(env);
  if (!value) {
    ADD_FAILURE() << "evaluation of '" << text.str()
                  << "' failed: " << llvm::toString(value.takeError());
    return -424242;
  }
  return *value;
}

double evalReal(llvm::StringRef text, const ExprEnvironment &env = {}) {
  auto expr = Expression::parse(text);
  if (!expr) {
    ADD_FAILURE() << "parse of '" << text.str()
                  << "' failed: " << llvm::toString(expr.takeError());
    return NAN;
  }
  auto value = expr->evaluateReal(env);
  if (!value) {
    ADD_FAILURE() << "evaluation of '" << text.str()
                  << "' failed: " << llvm::toString(value.takeError());
    return NAN;
  }
  return *value;
}

/// The message of `err`, checking it is an InputError; "" on success.
std::string messageOf(llvm::Error err) {
  std::string message;
  llvm::handleAllErrors(
      std::move(err),
      [&](const CupilotError &e) {
        EXPECT_EQ(e.getExitCode(), ExitCode::InputError) << e.getMessage();
        message = e.getMessage();
      },
      [&](const llvm::ErrorInfoBase &e) {
        ADD_FAILURE() << "not a CupilotError: " << e.message();
        message = e.message();
      });
  return message;
}

/// The parse error of `text`; "" (and a test failure) if it parses.
std::string parseError(llvm::StringRef text) {
  auto expr = Expression::parse(text);
  if (expr) {
    ADD_FAILURE() << "'" << text.str() << "' parsed but should not";
    return "";
  }
  return messageOf(expr.takeError());
}

/// The integer-evaluation error of `text` (which must parse).
std::string intError(llvm::StringRef text, const ExprEnvironment &env = {}) {
  auto expr = Expression::parse(text);
  if (!expr) {
    ADD_FAILURE() << "parse of '" << text.str()
                  << "' failed: " << llvm::toString(expr.takeError());
    return "";
  }
  auto value = expr->evaluateInt(env);
  if (value) {
    ADD_FAILURE() << "'" << text.str() << "' evaluated to " << *value
                  << " but should fail";
    return "";
  }
  return messageOf(value.takeError());
}

std::string realError(llvm::StringRef text, const ExprEnvironment &env = {}) {
  auto expr = Expression::parse(text);
  if (!expr) {
    ADD_FAILURE() << "parse of '" << text.str()
                  << "' failed: " << llvm::toString(expr.takeError());
    return "";
  }
  auto value = expr->evaluateReal(env);
  if (value) {
    ADD_FAILURE() << "'" << text.str() << "' evaluated to " << *value
                  << " but should fail";
    return "";
  }
  return messageOf(value.takeError());
}

using ::testing::HasSubstr;

TEST(ExpressionTest, Literals) {
  EXPECT_EQ(evalInt("0"), 0);
  EXPECT_EQ(evalInt("42"), 42);
  EXPECT_EQ(evalInt("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(evalInt("1.5e3"), 1500);
  EXPECT_EQ(evalInt("2.0"), 2);
  EXPECT_EQ(evalInt("1E2"), 100);
  EXPECT_DOUBLE_EQ(evalReal("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(evalReal(".25"), 0.25);
  EXPECT_DOUBLE_EQ(evalReal("3."), 3.0);
  EXPECT_DOUBLE_EQ(evalReal("2.5e-3"), 0.0025);
  EXPECT_DOUBLE_EQ(evalReal("1e+2"), 100.0);
  EXPECT_EQ(evalInt(" \t1 +\n2 "), 3);
}

TEST(ExpressionTest, Precedence) {
  EXPECT_EQ(evalInt("2+3*4"), 14);
  EXPECT_EQ(evalInt("(2+3)*4"), 20);
  EXPECT_EQ(evalInt("7-2*3+1"), 2);
  EXPECT_EQ(evalInt("2*3%4"), 2);   // (2*3)%4
  EXPECT_EQ(evalInt("2+3%2"), 3);   // 2+(3%2)
  EXPECT_EQ(evalInt("1+2<<3"), 24); // (1+2)<<3
  EXPECT_EQ(evalInt("1<<2+3"), 32); // 1<<(2+3)
  EXPECT_EQ(evalInt("8>>1+1"), 2);  // 8>>(1+1)
  EXPECT_EQ(evalInt("1<<3<9"), 1);  // (1<<3)<9
  EXPECT_EQ(evalInt("1+1<3"), 1);   // (1+1)<3
  EXPECT_EQ(evalInt("2==1<2"), 0);  // 2==(1<2), not (2==1)<2
  EXPECT_EQ(evalInt("1<2==1"), 1);  // (1<2)==1
  EXPECT_EQ(evalInt("-2*3"), -6);
  EXPECT_EQ(evalInt("-(2+3)"), -5);
  EXPECT_EQ(evalInt("-2-3"), -5);
  EXPECT_EQ(evalInt("--5"), 5);
  EXPECT_EQ(evalInt("+5"), 5);
  EXPECT_EQ(evalInt("2*-3"), -6);
  EXPECT_EQ(evalInt("2- -3"), 5);
}

TEST(ExpressionTest, LeftAssociativity) {
  EXPECT_EQ(evalInt("10-4-3"), 3);
  EXPECT_EQ(evalInt("100/10/5"), 2);
  EXPECT_EQ(evalInt("64>>2>>1"), 8);
  EXPECT_EQ(evalInt("2<<1<<2"), 16);
  EXPECT_EQ(evalInt("17%10%4"), 3);
  EXPECT_EQ(evalInt("3>2>1"), 0); // (3>2)>1
}

TEST(ExpressionTest, TruncatingDivision) {
  EXPECT_EQ(evalInt("7/2"), 3);
  EXPECT_EQ(evalInt("-7/2"), -3);
  EXPECT_EQ(evalInt("7/-2"), -3);
  EXPECT_EQ(evalInt("7%3"), 1);
  EXPECT_EQ(evalInt("-7%3"), -1);
  EXPECT_EQ(evalInt("7%-3"), 1);
}

TEST(ExpressionTest, Comparisons) {
  EXPECT_EQ(evalInt("1<2"), 1);
  EXPECT_EQ(evalInt("2<2"), 0);
  EXPECT_EQ(evalInt("2<=2"), 1);
  EXPECT_EQ(evalInt("3<=2"), 0);
  EXPECT_EQ(evalInt("3>2"), 1);
  EXPECT_EQ(evalInt("2>2"), 0);
  EXPECT_EQ(evalInt("2>=2"), 1);
  EXPECT_EQ(evalInt("1>=2"), 0);
  EXPECT_EQ(evalInt("2==2"), 1);
  EXPECT_EQ(evalInt("2==3"), 0);
  EXPECT_EQ(evalInt("2!=3"), 1);
  EXPECT_EQ(evalInt("2!=2"), 0);
  EXPECT_DOUBLE_EQ(evalReal("0.5<0.75"), 1.0);
  EXPECT_DOUBLE_EQ(evalReal("0.5==0.75"), 0.0);
}

TEST(ExpressionTest, Shifts) {
  EXPECT_EQ(evalInt("1<<0"), 1);
  EXPECT_EQ(evalInt("1<<62"), int64_t(1) << 62);
  EXPECT_EQ(evalInt("3<<4"), 48);
  EXPECT_EQ(evalInt("48>>4"), 3);
  EXPECT_EQ(evalInt("-8>>1"), -4);
  EXPECT_EQ(evalInt("1>>63"), 0);
  EXPECT_DOUBLE_EQ(evalReal("1<<3"), 8.0);
  EXPECT_DOUBLE_EQ(evalReal("2.0>>1"), 1.0);
}

TEST(ExpressionTest, Functions) {
  EXPECT_EQ(evalInt("min(3, 1)"), 1);
  EXPECT_EQ(evalInt("min(3, 1, 2)"), 1);
  EXPECT_EQ(evalInt("max(3, 1)"), 3);
  EXPECT_EQ(evalInt("max(-3, -1, -2)"), -1);
  EXPECT_EQ(evalInt("ceil_div(10, 3)"), 4);
  EXPECT_EQ(evalInt("ceil_div(9, 3)"), 3);
  EXPECT_EQ(evalInt("ceil_div(0, 3)"), 0);
  EXPECT_EQ(evalInt("ceil_div(-7, 2)"), -3);
  EXPECT_EQ(evalInt("ceil_div(7, -2)"), -3);
  EXPECT_EQ(evalInt("ceil_div(-7, -2)"), 4);
  EXPECT_EQ(evalInt("ceil_div(9223372036854775807, 2)"),
            int64_t(4611686018427387904));
  EXPECT_EQ(evalInt("round_up(10, 4)"), 12);
  EXPECT_EQ(evalInt("round_up(12, 4)"), 12);
  EXPECT_EQ(evalInt("round_up(0, 4)"), 0);
  EXPECT_EQ(evalInt("round_up(-5, 4)"), -4);
  EXPECT_EQ(evalInt("log2(1)"), 0);
  EXPECT_EQ(evalInt("log2(2)"), 1);
  EXPECT_EQ(evalInt("log2(1023)"), 9);
  EXPECT_EQ(evalInt("log2(1024)"), 10);
  EXPECT_EQ(evalInt("log2(9223372036854775807)"), 62);
  EXPECT_EQ(evalInt("pow2(0)"), 1);
  EXPECT_EQ(evalInt("pow2(10)"), 1024);
  EXPECT_EQ(evalInt("pow2(62)"), int64_t(1) << 62);
  EXPECT_EQ(evalInt("min(max(1, 2), ceil_div(pow2(log2(100)), 3))"), 2);
  EXPECT_EQ(evalInt("max ( 1 , 2 )"), 2);
}

TEST(ExpressionTest, RealSemantics) {
  ExprEnvironment env;
  env["n"] = 1;
  EXPECT_DOUBLE_EQ(evalReal("1/2"), 0.5);
  EXPECT_EQ(evalInt("1/2"), 0);
  EXPECT_DOUBLE_EQ(evalReal("n/4", env), 0.25);
  EXPECT_DOUBLE_EQ(evalReal("-n", env), -1.0);
  EXPECT_DOUBLE_EQ(evalReal("2.5*2"), 5.0);
  EXPECT_DOUBLE_EQ(evalReal("7 % 2.5"), 2.0);
  EXPECT_DOUBLE_EQ(evalReal("-7 % 2"), -1.0);
  EXPECT_DOUBLE_EQ(evalReal("min(0.5, 0.25, 1)"), 0.25);
  EXPECT_DOUBLE_EQ(evalReal("max(0.5, 0.25)"), 0.5);
  EXPECT_DOUBLE_EQ(evalReal("ceil_div(7, 2)"), 4.0);
  EXPECT_DOUBLE_EQ(evalReal("ceil_div(2.5, 1)"), 3.0);
  EXPECT_DOUBLE_EQ(evalReal("round_up(5, 4)"), 8.0);
  EXPECT_DOUBLE_EQ(evalReal("log2(8)"), 3.0);
  EXPECT_NEAR(evalReal("log2(10)"), 3.321928094887362, 1e-12);
  EXPECT_DOUBLE_EQ(evalReal("pow2(-1)"), 0.5);
  EXPECT_DOUBLE_EQ(evalReal("pow2(0.5)"), std::sqrt(2.0));
}

TEST(ExpressionTest, Identifiers) {
  ExprEnvironment env;
  env["n"] = 1000;
  env["block.x"] = 256;
  env["_tile_2"] = 8;
  EXPECT_EQ(evalInt("ceil_div(n, block.x)", env), 4);
  EXPECT_EQ(evalInt("n * _tile_2", env), 8000);
  EXPECT_EQ(evalInt("block.x", env), 256);

  auto expr = Expression::parse("b + a*b + block.x + min(c, a) - log2(b)");
  ASSERT_TRUE(static_cast<bool>(expr)) << llvm::toString(expr.takeError());
  EXPECT_EQ(expr->identifiers(),
            (std::vector<std::string>{"a", "b", "block.x", "c"}));
  EXPECT_EQ(expr->str(), "b + a*b + block.x + min(c, a) - log2(b)");

  // Function names are only functions when called.
  ExprEnvironment minEnv;
  minEnv["min"] = 3;
  EXPECT_EQ(evalInt("min + 1", minEnv), 4);

  auto constant = Expression::parse("1 + 2");
  ASSERT_TRUE(static_cast<bool>(constant));
  EXPECT_TRUE(constant->identifiers().empty());
}

TEST(ExpressionTest, IdentifierValuesMustBeIntegral) {
  ExprEnvironment env;
  env["n"] = 2.5;
  env["big"] = 1e19;
  env["inf"] = INFINITY;
  EXPECT_EQ(intError("n + 1", env),
            "column 1: 'n' is 2.5, not an integer in 'n + 1'");
  EXPECT_EQ(intError("2 * big", env),
            "column 5: 'big' is 1e+19, which does not fit in 64 bits in "
            "'2 * big'");
  EXPECT_EQ(intError("inf", env), "column 1: 'inf' is inf, not an integer in "
                                  "'inf'");
  EXPECT_EQ(intError("0.5"),
            "column 1: number '0.5' is 0.5, not an integer in '0.5'");
  EXPECT_EQ(realError("inf", env),
            "column 1: 'inf' is not a finite number in 'inf'");
  EXPECT_DOUBLE_EQ(evalReal("n * 2", env), 5.0);
}

TEST(ExpressionTest, ParseErrors) {
  EXPECT_EQ(parseError(""),
            "column 1: expected an expression, found end of expression in "
            "''");
  EXPECT_EQ(parseError("   "), "column 4: expected an expression, found end "
                               "of expression in '   '");
  EXPECT_EQ(parseError("(1+2"), "column 5: expected ')' to match the '(' at "
                                "column 1, found end of expression in '(1+2'");
  EXPECT_EQ(parseError("(1+2]"), "column 5: expected ')' to match the '(' at "
                                 "column 1, found ']' in '(1+2]'");
  EXPECT_EQ(parseError("1+"),
            "column 3: expected an expression, found end of expression in "
            "'1+'");
  EXPECT_EQ(parseError("1 2"), "column 3: expected an operator or end of "
                               "expression, found '2' in '1 2'");
  EXPECT_EQ(parseError("1)"), "column 2: expected an operator or end of "
                              "expression, found ')' in '1)'");
  EXPECT_EQ(parseError("a = 1"), "column 3: unexpected '='; comparisons are "
                                 "spelled '==' and '!=' in 'a = 1'");
  EXPECT_EQ(parseError("!a"),
            "column 1: expected an expression, found '!' in '!a'");
  EXPECT_EQ(parseError("foo(1)"),
            "column 1: unknown function 'foo'; the functions are min, max, "
            "ceil_div, round_up, log2 and pow2 in 'foo(1)'");
  EXPECT_EQ(parseError("a.b(1)"),
            "column 1: unknown function 'a.b'; the functions are min, max, "
            "ceil_div, round_up, log2 and pow2 in 'a.b(1)'");
  EXPECT_EQ(parseError("min(1)"),
            "column 1: 'min' takes at least 2 arguments, got 1 in 'min(1)'");
  EXPECT_EQ(parseError("max()"),
            "column 1: 'max' takes at least 2 arguments, got 0 in 'max()'");
  EXPECT_EQ(parseError("1 + ceil_div(1, 2, 3)"),
            "column 5: 'ceil_div' takes 2 arguments, got 3 in "
            "'1 + ceil_div(1, 2, 3)'");
  EXPECT_EQ(parseError("round_up(1)"),
            "column 1: 'round_up' takes 2 arguments, got 1 in 'round_up(1)'");
  EXPECT_EQ(parseError("log2()"),
            "column 1: 'log2' takes 1 argument, got 0 in 'log2()'");
  EXPECT_EQ(parseError("pow2(1, 2)"),
            "column 1: 'pow2' takes 1 argument, got 2 in 'pow2(1, 2)'");
  EXPECT_EQ(parseError("min(1 2)"), "column 7: expected ',' or ')' after "
                                    "argument 1 of 'min', found '2' in "
                                    "'min(1 2)'");
  EXPECT_EQ(parseError("min(1,"), "column 7: expected an expression, found "
                                  "end of expression in 'min(1,'");
  EXPECT_EQ(parseError("block."), "column 7: expected a name after '.', "
                                  "found end of expression in 'block.'");
  EXPECT_EQ(parseError("block.1"),
            "column 7: expected a name after '.', found '1' in 'block.1'");
  EXPECT_EQ(parseError("1e"), "column 3: expected the digits of the exponent "
                              "of '1e', found end of expression in '1e'");
  EXPECT_EQ(parseError("2e+x"), "column 4: expected the digits of the "
                                "exponent of '2e+', found 'x' in '2e+x'");
  EXPECT_EQ(parseError("12abc"),
            "column 3: invalid 'a' after number '12' in '12abc'");
  EXPECT_EQ(parseError("1.5.2"),
            "column 4: invalid '.' after number '1.5' in '1.5.2'");
  EXPECT_EQ(parseError("99999999999999999999"),
            "column 1: integer '99999999999999999999' does not fit in 64 "
            "bits in '99999999999999999999'");
  EXPECT_EQ(parseError("1e999"),
            "column 1: number '1e999' is out of range in '1e999'");
  EXPECT_EQ(parseError("n # comment"),
            "column 3: expected an operator or end of expression, found '#' "
            "in 'n # comment'");
  EXPECT_EQ(parseError(llvm::StringRef("1+\x01", 3)),
            "column 3: expected an expression, found character 0x01 in "
            "'1+\x01'");
  EXPECT_EQ(parseError("n ? 1 : 2"),
            "column 3: expected an operator or end of expression, found '?' "
            "in 'n ? 1 : 2'");
}

TEST(ExpressionTest, LongTextIsShortenedInMessages) {
  std::string text(100, 'a');
  text += " +";
  std::string message = parseError(text);
  EXPECT_EQ(message, "column 103: expected an expression, found end of "
                     "expression in '" +
                         std::string(80, 'a') + "...'");
}

TEST(ExpressionTest, EvaluationErrors) {
  EXPECT_EQ(intError("x + 1"), "column 1: unknown identifier 'x' in 'x + 1'");
  EXPECT_EQ(realError("2 * block.y"),
            "column 5: unknown identifier 'block.y' in '2 * block.y'");
  EXPECT_EQ(intError("1 / 0"), "column 3: division by zero in '1 / 0'");
  EXPECT_EQ(intError("1 % (2 - 2)"),
            "column 3: division by zero in '1 % (2 - 2)'");
  EXPECT_EQ(intError("ceil_div(1, 0)"),
            "column 1: division by zero in 'ceil_div(1, 0)'");
  EXPECT_EQ(intError("round_up(1, 0)"),
            "column 1: round_up needs a positive multiple, got 0 in "
            "'round_up(1, 0)'");
  EXPECT_EQ(intError("round_up(1, -4)"),
            "column 1: round_up needs a positive multiple, got -4 in "
            "'round_up(1, -4)'");
  EXPECT_EQ(intError("log2(0)"),
            "column 1: log2 of non-positive value 0 in 'log2(0)'");
  EXPECT_EQ(intError("log2(-4)"),
            "column 1: log2 of non-positive value -4 in 'log2(-4)'");
  EXPECT_EQ(intError("pow2(63)"),
            "column 1: pow2 exponent 63 is out of range [0, 62] in "
            "'pow2(63)'");
  EXPECT_EQ(intError("pow2(-1)"),
            "column 1: pow2 exponent -1 is out of range [0, 62] in "
            "'pow2(-1)'");
  EXPECT_EQ(realError("1 / 0"), "column 3: division by zero in '1 / 0'");
  EXPECT_EQ(realError("1 % 0"), "column 3: division by zero in '1 % 0'");
  EXPECT_EQ(realError("ceil_div(1, 0)"),
            "column 1: division by zero in 'ceil_div(1, 0)'");
  EXPECT_EQ(realError("round_up(1, 0)"),
            "column 1: round_up needs a positive multiple, got 0 in "
            "'round_up(1, 0)'");
  EXPECT_EQ(realError("log2(0)"),
            "column 1: log2 of non-positive value 0 in 'log2(0)'");
  EXPECT_EQ(realError("1e308 * 10"),
            "column 7: result of '*' is not a finite number in '1e308 * 10'");
  EXPECT_EQ(realError("pow2(5000)"),
            "column 1: result of 'pow2' is not a finite number in "
            "'pow2(5000)'");
  EXPECT_EQ(realError("1.5 << 1"),
            "column 5: shift operand 1.5 is not a 64-bit integer in "
            "'1.5 << 1'");
  EXPECT_EQ(realError("1 << 64"),
            "column 3: shift amount 64 is out of range [0, 63] in '1 << 64'");
}

TEST(ExpressionTest, Overflow) {
  EXPECT_EQ(intError("9223372036854775807 + 1"),
            "column 21: '+' overflows 64-bit integer arithmetic in "
            "'9223372036854775807 + 1'");
  EXPECT_EQ(intError("-9223372036854775807 - 2"),
            "column 22: '-' overflows 64-bit integer arithmetic in "
            "'-9223372036854775807 - 2'");
  EXPECT_EQ(intError("4611686018427387904 * 2"),
            "column 21: '*' overflows 64-bit integer arithmetic in "
            "'4611686018427387904 * 2'");
  EXPECT_EQ(intError("-(-9223372036854775807 - 1)"),
            "column 1: '-' overflows 64-bit integer arithmetic in "
            "'-(-9223372036854775807 - 1)'");
  EXPECT_EQ(intError("(-9223372036854775807 - 1) / -1"),
            "column 28: '/' overflows 64-bit integer arithmetic in "
            "'(-9223372036854775807 - 1) / -1'");
  EXPECT_EQ(evalInt("(-9223372036854775807 - 1) % -1"), 0);
  EXPECT_EQ(intError("ceil_div(-9223372036854775807 - 1, -1)"),
            "column 1: 'ceil_div' overflows 64-bit integer arithmetic in "
            "'ceil_div(-9223372036854775807 - 1, -1)'");
  EXPECT_EQ(intError("round_up(9223372036854775807, 2)"),
            "column 1: 'round_up' overflows 64-bit integer arithmetic in "
            "'round_up(9223372036854775807, 2)'");
  EXPECT_EQ(intError("1 << 63"),
            "column 3: '<<' overflows 64-bit integer arithmetic in '1 << 63'");
  EXPECT_EQ(intError("3 << 62"),
            "column 3: '<<' overflows 64-bit integer arithmetic in '3 << 62'");
  EXPECT_EQ(intError("1 << 64"),
            "column 3: shift amount 64 is out of range [0, 63] in '1 << 64'");
  EXPECT_EQ(intError("1 >> -1"),
            "column 3: shift amount -1 is out of range [0, 63] in '1 >> -1'");
  EXPECT_EQ(intError("-1 << 1"),
            "column 4: left shift of negative value -1 in '-1 << 1'");
  // Overflow inside a longer chain is reported at the operator at fault.
  EXPECT_EQ(intError("1 + 2 * 4611686018427387904 - 1"),
            "column 7: '*' overflows 64-bit integer arithmetic in "
            "'1 + 2 * 4611686018427387904 - 1'");
}

TEST(ExpressionTest, NestingDepthLimit) {
  auto nested = [](unsigned depth) {
    return std::string(depth, '(') + "1" + std::string(depth, ')');
  };
  EXPECT_EQ(evalInt(nested(256)), 1);
  EXPECT_EQ(parseError(nested(257)),
            "column 257: expression nests deeper than 256 levels of "
            "parentheses, calls and unary operators in '" +
                std::string(80, '(') + "...'");
  EXPECT_EQ(evalInt(std::string(256, '-') + "1"), 1);
  EXPECT_THAT(parseError(std::string(257, '-') + "1"),
              HasSubstr("column 257: expression nests deeper than 256"));
  std::string calls;
  for (int i = 0; i < 300; ++i)
    calls += "min(1, ";
  calls += "1" + std::string(300, ')');
  EXPECT_THAT(parseError(calls),
              HasSubstr("column 1796: expression nests deeper than 256"));
  // Far beyond the limit: an error, not a stack overflow.
  EXPECT_THAT(parseError(std::string(60000, '(')),
              HasSubstr("nests deeper than 256"));
}

TEST(ExpressionTest, LongFlatExpressions) {
  // Runs of one operator do not nest, so long sums are fine.
  std::string sum = "1";
  for (int i = 1; i < 30000; ++i)
    sum += "+1";
  EXPECT_EQ(evalInt(sum), 30000);
  EXPECT_DOUBLE_EQ(evalReal(sum), 30000.0);
}

TEST(ExpressionTest, LengthLimit) {
  std::string text(64 * 1024, '1');
  // Exactly at the limit parses (and overflows as a literal).
  EXPECT_THAT(parseError(text), HasSubstr("does not fit in 64 bits"));
  text += "1";
  EXPECT_EQ(parseError(text),
            "expression is 65537 bytes long; the limit is 65536 bytes");
}

TEST(ExpressionTest, UnparsedExpressionDoesNotEvaluate) {
  Expression expr;
  auto value = expr.evaluateInt({});
  ASSERT_FALSE(static_cast<bool>(value));
  std::string message;
  llvm::handleAllErrors(value.takeError(), [&](const CupilotError &e) {
    EXPECT_EQ(e.getExitCode(), ExitCode::InternalError);
    message = e.getMessage();
  });
  EXPECT_EQ(message, "evaluating an expression that was never parsed");
  EXPECT_TRUE(expr.identifiers().empty());
}

TEST(ExpressionTest, CopiesShareTheParsedTree) {
  ExprEnvironment env;
  env["n"] = 7;
  Expression copy;
  {
    auto expr = Expression::parse("n * 2");
    ASSERT_TRUE(static_cast<bool>(expr));
    copy = *expr;
  }
  EXPECT_EQ(copy.str(), "n * 2");
  auto value = copy.evaluateInt(env);
  ASSERT_TRUE(static_cast<bool>(value));
  EXPECT_EQ(*value, 14);
}

} // namespace
