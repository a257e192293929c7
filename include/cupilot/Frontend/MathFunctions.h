//===- MathFunctions.h - CUDA math functions and their intrinsics -*- C++ -*-=//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The single-precision math library functions that have a fast, less
// precise hardware intrinsic (`expf` -> `__expf`, ...): the substitutions
// `nvcc --use_fast_math` makes, here made explicitly in the source so that a
// plan can choose them per kernel and per function. The frontend counts the
// candidate calls (KernelFeatures::fastMathCalls) and the fast-math-intrinsics
// rewrite step substitutes them; both use this one table.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FRONTEND_MATHFUNCTIONS_H
#define CUPILOT_FRONTEND_MATHFUNCTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace clang {
class CallExpr;
} // namespace clang

namespace cupilot {

/// One substitution: the `f`-suffixed function, its C++ overload name (the
/// `float` overload of `exp`, also as `std::exp`), and the intrinsic.
struct FastMathFunction {
  llvm::StringRef function;
  llvm::StringRef overload;
  llvm::StringRef intrinsic;
};

/// All substitutions, in a fixed order.
llvm::ArrayRef<FastMathFunction> getFastMathFunctions();

/// The substitution for a call of `callee` (unqualified name) whose result
/// is `float` (`floatResult`); null when there is none. `expf` qualifies
/// whatever its result type; `exp` only as the float overload.
const FastMathFunction *findFastMathFunction(llvm::StringRef callee,
                                             bool floatResult);

/// The substitution for `call` when it calls a math library function that
/// has a fast intrinsic with the same meaning: the callee is declared in a
/// system header (not the main file), in the global namespace or `std`,
/// every argument as written is a `float` (or, for `sincosf`, a pointer to
/// one), so that an overload such as CUDA's `pow(float, int)` or an integer
/// exponent (`powf(x, 2)`, which `__powf` turns into NaN for negative `x`)
/// stays. Null otherwise. The frontend counts these calls and the
/// fast-math-intrinsics step substitutes them.
const FastMathFunction *findFastMathCall(const clang::CallExpr *call);

} // namespace cupilot

#endif // CUPILOT_FRONTEND_MATHFUNCTIONS_H
