//===- PolynomialTest.cpp - Tests of symbolic integer polynomials ---------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Polynomial.h"

#include "gtest/gtest.h"

#include <cstdint>

using namespace cupilot;

namespace {

Polynomial c(int64_t value) { return Polynomial::constant(value); }
Polynomial s(llvm::StringRef name) { return Polynomial::symbol(name); }

TEST(PolynomialTest, Constants) {
  EXPECT_TRUE(Polynomial().isZero());
  EXPECT_TRUE(c(0).isZero());
  EXPECT_EQ(c(0).size(), 0u);
  EXPECT_EQ(Polynomial().getConstant(), 0);
  EXPECT_EQ(c(7).getConstant(), 7);
  EXPECT_EQ(c(-3).getConstant(), -3);
  EXPECT_EQ(c(7).size(), 1u);
  EXPECT_EQ(c(7).degree(), 0u);
  EXPECT_EQ(s("x").getConstant(), std::nullopt);
  EXPECT_EQ((s("x") + c(1)).getConstant(), std::nullopt);
  EXPECT_EQ(Polynomial().str(), "0");
  EXPECT_EQ(c(42).str(), "42");
  EXPECT_EQ(c(-42).str(), "-42");
  EXPECT_EQ(c(1).str(), "1");
}

TEST(PolynomialTest, Arithmetic) {
  Polynomial x = s("x"), y = s("y");
  EXPECT_EQ(x + y, y + x);
  EXPECT_EQ(x * y, y * x);
  EXPECT_EQ((x + y) * (x + y), x * x + c(2) * x * y + y * y);
  EXPECT_EQ((x + c(1)) * (x - c(1)), x * x - c(1));
  EXPECT_TRUE((x - x).isZero());
  EXPECT_TRUE((x * y - y * x).isZero());
  EXPECT_EQ(-(x - y), y - x);
  EXPECT_EQ(c(2) * c(3), c(6));
  EXPECT_EQ(c(2) + c(3), c(5));
  EXPECT_TRUE((x * c(0)).isZero());
  EXPECT_NE(x, y);
  EXPECT_NE(x, x * x);
  EXPECT_EQ(((x + c(1)) * (x - c(1))).size(), 2u);
}

TEST(PolynomialTest, DegreeAndSymbols) {
  Polynomial tid = s("threadIdx.x"), n = s("N");
  Polynomial p = c(3) * tid * tid * n + c(2) * n + c(5);
  EXPECT_EQ(p.degree(), 3u);
  EXPECT_EQ(p.degreeIn("threadIdx.x"), 2u);
  EXPECT_EQ(p.degreeIn("N"), 1u);
  EXPECT_EQ(p.degreeIn("M"), 0u);
  EXPECT_TRUE(p.mentions("N"));
  EXPECT_TRUE(p.mentions("threadIdx.x"));
  EXPECT_FALSE(p.mentions("M"));
  EXPECT_EQ(p.symbols(), (std::vector<std::string>{"N", "threadIdx.x"}));
  EXPECT_EQ(p.size(), 3u);
  EXPECT_TRUE(c(1).symbols().empty());
}

TEST(PolynomialTest, LinearCoefficient) {
  Polynomial tid = s("tid"), n = s("N");
  // 4*tid + 2*tid*N + 7: d/dtid = 2*N + 4.
  Polynomial p = c(4) * tid + c(2) * tid * n + c(7);
  std::optional<Polynomial> dTid = p.linearCoefficient("tid");
  ASSERT_TRUE(dTid.has_value());
  EXPECT_EQ(*dTid, c(2) * n + c(4));
  EXPECT_EQ(dTid->str(), "2*N + 4");

  std::optional<Polynomial> dN = p.linearCoefficient("N");
  ASSERT_TRUE(dN.has_value());
  EXPECT_EQ(*dN, c(2) * tid);

  std::optional<Polynomial> dM = p.linearCoefficient("M");
  ASSERT_TRUE(dM.has_value());
  EXPECT_TRUE(dM->isZero());

  EXPECT_EQ((tid * tid + tid).linearCoefficient("tid"), std::nullopt);
  EXPECT_EQ(p.without("tid"), c(7));
  EXPECT_EQ(p.without("N"), c(4) * tid + c(7));
  EXPECT_EQ(p.without("M"), p);
}

TEST(PolynomialTest, Rendering) {
  Polynomial k = s("K"), n = s("N"), x = s("x"), y = s("y");
  EXPECT_EQ((c(2) * k * n + c(4)).str(), "2*K*N + 4");
  EXPECT_EQ((c(4) + c(2) * n * k).str(), "2*K*N + 4");
  EXPECT_EQ(x.str(), "x");
  EXPECT_EQ((-x).str(), "-x");
  EXPECT_EQ((c(3) - x).str(), "-x + 3");
  EXPECT_EQ((x - c(2) * y).str(), "x - 2*y");
  EXPECT_EQ((x * x - c(1)).str(), "x*x - 1");
  EXPECT_EQ((c(-5) * x * y + x - c(7)).str(), "-5*x*y + x - 7");
  // Higher degree first; within a degree, lexicographic.
  EXPECT_EQ((y + x * x * x + x + x * y).str(), "x*x*x + x*y + x + y");
  // Symbols that are not identifiers print as given.
  EXPECT_EQ((c(2) * s("a[i]")).str(), "2*a[i]");
}

TEST(PolynomialTest, CoefficientsSaturate) {
  EXPECT_EQ(c(INT64_MAX) + c(1), c(INT64_MAX));
  EXPECT_EQ(c(INT64_MIN) + c(-1), c(INT64_MIN));
  EXPECT_EQ(c(INT64_MAX) * c(2), c(INT64_MAX));
  EXPECT_EQ(c(INT64_MAX) * c(-2), c(INT64_MIN));
  EXPECT_EQ(-c(INT64_MIN), c(INT64_MAX));
}

} // namespace
