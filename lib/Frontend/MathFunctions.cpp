//===- MathFunctions.cpp - CUDA math functions and their intrinsics -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Frontend/MathFunctions.h"

using namespace cupilot;

// The intrinsics of the CUDA Math API's "Intrinsic Functions" with an
// `f`-suffixed library counterpart of the same signature. Their error
// bounds differ (e.g. __sinf is accurate only in [-pi, pi]); whether the
// results are good enough is for verification against the task's
// tolerances to decide.
static const FastMathFunction Functions[] = {
    {"expf", "exp", "__expf"},          {"exp10f", "exp10", "__exp10f"},
    {"logf", "log", "__logf"},          {"log2f", "log2", "__log2f"},
    {"log10f", "log10", "__log10f"},    {"sinf", "sin", "__sinf"},
    {"cosf", "cos", "__cosf"},          {"tanf", "tan", "__tanf"},
    {"sincosf", "sincos", "__sincosf"}, {"powf", "pow", "__powf"},
};

llvm::ArrayRef<FastMathFunction> cupilot::getFastMathFunctions() {
  return Functions;
}

const FastMathFunction *cupilot::findFastMathFunction(llvm::StringRef callee,
                                                      bool floatResult) {
  for (const FastMathFunction &f : Functions) {
    if (callee == f.function)
      return &f;
    if (floatResult && callee == f.overload)
      return &f;
  }
  return nullptr;
}
