//===- MathFunctions.cpp - CUDA math functions and their intrinsics -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Frontend/MathFunctions.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
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

/// Whether `type` is `float` or, when `pointer`, also a pointer to `float`.
static bool isFloat(QualType type, bool pointer) {
  if (pointer && type->isPointerType())
    type = type->getPointeeType();
  return type->isSpecificBuiltinType(BuiltinType::Float);
}

const FastMathFunction *cupilot::findFastMathCall(const CallExpr *call) {
  const FunctionDecl *fn = call->getDirectCallee();
  if (!fn || !fn->getIdentifier())
    return nullptr;
  const FastMathFunction *function = findFastMathFunction(
      fn->getName(),
      call->getType()->isSpecificBuiltinType(BuiltinType::Float));
  if (!function)
    return nullptr;
  // The library's function, not one of the user's of the same name.
  const SourceManager &sm = fn->getASTContext().getSourceManager();
  SourceLocation loc =
      sm.getExpansionLoc(fn->getCanonicalDecl()->getLocation());
  if (loc.isInvalid() || sm.isInMainFile(loc) || !sm.isInSystemHeader(loc))
    return nullptr;
  const DeclContext *dc = fn->getDeclContext()->getRedeclContext();
  while (const auto *ns = dyn_cast<NamespaceDecl>(dc)) {
    if (!ns->isInline())
      break;
    dc = ns->getParent()->getRedeclContext();
  }
  if (!dc->isTranslationUnit() && !dc->isStdNamespace())
    return nullptr;
  // Float arguments as written: no integer exponent of pow, no overload
  // taking another type.
  bool pointers = function->function == "sincosf";
  for (const Expr *arg : call->arguments())
    if (!isFloat(arg->IgnoreParenImpCasts()->getType(), pointers))
      return nullptr;
  return function;
}
