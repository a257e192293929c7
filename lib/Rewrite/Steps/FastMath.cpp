//===- FastMath.cpp - The fast-math-intrinsics step -----------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Replaces calls of single-precision math functions in the kernel body by
// their fast hardware intrinsics (`expf(x)` -> `__expf(x)`, the `float`
// overload `exp(x)` or `std::exp(x)` -> `__expf(x)`; the table is
// cupilot/Frontend/MathFunctions.h). This is what `--use_fast_math` does to
// the whole file, made per kernel and per function, and like that flag it
// gives up precision: the step needs a plan with `precision: relaxed`, which
// the tuner writes only for tasks whose precision policy allows reduced
// precision. Verification against the task's tolerances then decides
// whether the variant is good enough.
//
// Only calls of the library's functions (declared in a system header, in
// the global namespace or `std`) with float arguments as written qualify
// (findFastMathCall): not a function of the user's of the same name, not
// `pow(x, 2)` with an integer exponent, which `__powf` would turn into NaN
// for negative `x`.
//
// Only the callee's name changes; arguments, and so evaluation order and
// side effects, stay as written. Device functions called by the kernel are
// not changed (they may have other callers). Calls spelled by a macro are
// left alone, since the macro's other uses would change too.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "cupilot/Frontend/MathFunctions.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

struct Candidate {
  const CallExpr *call;
  /// The callee as written (`expf`, `std::exp`, `::expf`).
  const DeclRefExpr *callee;
  const FastMathFunction *function;
};

class CallFinder : public RecursiveASTVisitor<CallFinder> {
public:
  bool VisitCallExpr(CallExpr *call) {
    const FastMathFunction *function = findFastMathCall(call);
    if (!function)
      return true;
    const auto *callee =
        dyn_cast<DeclRefExpr>(call->getCallee()->IgnoreParenImpCasts());
    if (!callee)
      return true;
    found.push_back({call, callee, function});
    return true;
  }
  std::vector<Candidate> found;
};

} // namespace

llvm::Error cupilot::rewrite::applyFastMathIntrinsics(StepContext &sc) {
  const RewriteStep &step = sc.getStep();
  const KernelInfo &info = *sc.getKernelInfo();
  if (sc.getPlan().precision != PlanPrecision::Relaxed)
    return sc.refuseInPlan(
        "", "substituting fast intrinsics gives up floating-point "
            "precision; the plan needs 'precision: relaxed' (only for a "
            "task whose precision policy allows reduced precision)");

  std::vector<std::string> wanted = step.getStrings("functions");
  for (const std::string &name : wanted)
    if (!llvm::any_of(getFastMathFunctions(), [&](const FastMathFunction &f) {
          return f.function == name;
        })) {
      std::vector<std::string> known;
      for (const FastMathFunction &f : getFastMathFunctions())
        known.push_back(f.function.str());
      return sc.refuseInPlan("functions",
                             "'" + name + "' has no fast intrinsic; known: " +
                                 llvm::join(known, ", "));
    }

  CallFinder finder;
  finder.TraverseStmt(sc.getKernel()->getBody());
  unsigned replaced = 0, inMacros = 0;
  for (const Candidate &c : finder.found) {
    if (!wanted.empty() && !llvm::is_contained(wanted, c.function->function))
      continue;
    if (c.callee->getBeginLoc().isMacroID() ||
        c.callee->getEndLoc().isMacroID()) {
      ++inMacros;
      continue;
    }
    // The whole callee expression, qualifier included (`std::exp`).
    CharSourceRange range =
        CharSourceRange::getTokenRange(c.callee->getSourceRange());
    if (llvm::Error err = sc.replace(range, c.function->intrinsic))
      return err;
    ++replaced;
  }
  if (replaced == 0)
    return sc.refuse(
        sc.getKernel()->getLocation(),
        "kernel '" + info.qualifiedName + "' calls no " +
            (wanted.empty() ? std::string("single-precision math function")
                            : "'" + llvm::join(wanted, "', '") + "'") +
            " with a fast intrinsic" +
            (inMacros ? " outside macros (" + llvm::Twine(inMacros).str() +
                            " call(s) are spelled by a macro)"
                      : std::string()));
  return llvm::Error::success();
}
