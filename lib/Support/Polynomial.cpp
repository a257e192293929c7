//===- Polynomial.cpp - Symbolic integer polynomials ----------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Polynomial.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <set>

using namespace cupilot;

Polynomial Polynomial::constant(int64_t value) {
  Polynomial p;
  p.addTerm({}, value);
  return p;
}

Polynomial Polynomial::symbol(llvm::StringRef name) {
  Polynomial p;
  p.addTerm({name.str()}, 1);
  return p;
}

void Polynomial::addTerm(const Monomial &m, int64_t coefficient) {
  if (coefficient == 0)
    return;
  auto [it, inserted] = terms.try_emplace(m, coefficient);
  if (inserted)
    return;
  // Saturating add keeps pathological inputs from overflowing (UB).
  int64_t sum;
  if (__builtin_add_overflow(it->second, coefficient, &sum))
    sum = coefficient > 0 ? INT64_MAX : INT64_MIN;
  if (sum == 0)
    terms.erase(it);
  else
    it->second = sum;
}

std::optional<int64_t> Polynomial::getConstant() const {
  if (terms.empty())
    return 0;
  if (terms.size() == 1 && terms.begin()->first.empty())
    return terms.begin()->second;
  return std::nullopt;
}

unsigned Polynomial::degree() const {
  unsigned d = 0;
  for (const auto &[m, c] : terms)
    d = std::max<unsigned>(d, m.size());
  return d;
}

bool Polynomial::mentions(llvm::StringRef name) const {
  return degreeIn(name) > 0;
}

unsigned Polynomial::degreeIn(llvm::StringRef name) const {
  unsigned d = 0;
  for (const auto &[m, c] : terms)
    d = std::max<unsigned>(d, llvm::count(m, name.str()));
  return d;
}

std::optional<Polynomial>
Polynomial::linearCoefficient(llvm::StringRef name) const {
  Polynomial result;
  for (const auto &[m, c] : terms) {
    unsigned n = llvm::count(m, name.str());
    if (n > 1)
      return std::nullopt;
    if (n == 0)
      continue;
    Monomial rest;
    bool removed = false;
    for (const std::string &s : m) {
      if (!removed && s == name) {
        removed = true;
        continue;
      }
      rest.push_back(s);
    }
    result.addTerm(rest, c);
  }
  return result;
}

Polynomial Polynomial::without(llvm::StringRef name) const {
  Polynomial result;
  for (const auto &[m, c] : terms)
    if (!llvm::is_contained(m, name.str()))
      result.addTerm(m, c);
  return result;
}

std::vector<std::string> Polynomial::symbols() const {
  std::set<std::string> s;
  for (const auto &[m, c] : terms)
    s.insert(m.begin(), m.end());
  return {s.begin(), s.end()};
}

Polynomial Polynomial::operator+(const Polynomial &rhs) const {
  Polynomial result = *this;
  for (const auto &[m, c] : rhs.terms)
    result.addTerm(m, c);
  return result;
}

Polynomial Polynomial::operator-() const {
  Polynomial result;
  for (const auto &[m, c] : terms)
    result.addTerm(m, c == INT64_MIN ? INT64_MAX : -c);
  return result;
}

Polynomial Polynomial::operator-(const Polynomial &rhs) const {
  return *this + (-rhs);
}

Polynomial Polynomial::operator*(const Polynomial &rhs) const {
  Polynomial result;
  for (const auto &[m1, c1] : terms) {
    for (const auto &[m2, c2] : rhs.terms) {
      Monomial m = m1;
      m.insert(m.end(), m2.begin(), m2.end());
      llvm::sort(m);
      int64_t c;
      if (__builtin_mul_overflow(c1, c2, &c))
        c = ((c1 < 0) != (c2 < 0)) ? INT64_MIN : INT64_MAX;
      result.addTerm(m, c);
    }
  }
  return result;
}

std::string Polynomial::str() const {
  if (terms.empty())
    return "0";
  // Print higher-degree terms first, then lexicographically; the constant
  // term goes last, as a person would write it.
  std::vector<std::pair<Monomial, int64_t>> ordered(terms.begin(),
                                                     terms.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
    if (a.first.size() != b.first.size())
      return a.first.size() > b.first.size();
    return a.first < b.first;
  });
  std::string out;
  llvm::raw_string_ostream os(out);
  bool first = true;
  for (const auto &[m, c] : ordered) {
    int64_t mag = c;
    if (first) {
      if (c < 0) {
        os << "-";
        mag = -c;
      }
    } else {
      os << (c < 0 ? " - " : " + ");
      mag = c < 0 ? -c : c;
    }
    first = false;
    bool needStar = false;
    if (mag != 1 || m.empty()) {
      os << mag;
      needStar = true;
    }
    for (const std::string &s : m) {
      if (needStar)
        os << "*";
      os << s;
      needStar = true;
    }
  }
  return out;
}
