//===- Polynomial.h - Symbolic integer polynomials --------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A Polynomial is a sum of integer-coefficient monomials over named symbols
// (`threadIdx.x`, a kernel parameter, an opaque sub-expression). The frontend
// uses it to normalise index expressions (to classify accesses by their
// dependence on the thread index) and to build static per-thread cost
// estimates such as `2*K` FLOPs.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_SUPPORT_POLYNOMIAL_H
#define CUPILOT_SUPPORT_POLYNOMIAL_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cupilot {

class Polynomial {
public:
  /// A product of symbols, kept sorted; repeated symbols are powers.
  using Monomial = std::vector<std::string>;

  Polynomial() = default;
  static Polynomial constant(int64_t value);
  static Polynomial symbol(llvm::StringRef name);

  bool isZero() const { return terms.empty(); }
  /// Returns the value if the polynomial has no symbols.
  std::optional<int64_t> getConstant() const;
  /// Number of monomials; the empty monomial (constant term) counts.
  size_t size() const { return terms.size(); }
  /// Highest total degree of any monomial.
  unsigned degree() const;
  /// True if any monomial mentions `name`.
  bool mentions(llvm::StringRef name) const;
  /// The degree of `name` in the polynomial (max over monomials).
  unsigned degreeIn(llvm::StringRef name) const;
  /// d/d`name`, valid for polynomials of degree <= 1 in `name` (returns the
  /// coefficient polynomial); std::nullopt when the degree is larger.
  std::optional<Polynomial> linearCoefficient(llvm::StringRef name) const;
  /// The polynomial with every monomial mentioning `name` removed.
  Polynomial without(llvm::StringRef name) const;
  /// All symbols mentioned, sorted.
  std::vector<std::string> symbols() const;

  Polynomial operator+(const Polynomial &rhs) const;
  Polynomial operator-(const Polynomial &rhs) const;
  Polynomial operator*(const Polynomial &rhs) const;
  Polynomial operator-() const;
  bool operator==(const Polynomial &rhs) const { return terms == rhs.terms; }
  bool operator!=(const Polynomial &rhs) const { return !(*this == rhs); }

  /// Deterministic C-like rendering, e.g. `2*K*N + 4`. Symbols that are not
  /// plain identifiers print as they were given (callers parenthesise them).
  std::string str() const;

private:
  void addTerm(const Monomial &m, int64_t coefficient);
  std::map<Monomial, int64_t> terms;
};

} // namespace cupilot

#endif // CUPILOT_SUPPORT_POLYNOMIAL_H
