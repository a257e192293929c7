//===- Steps.h - One rule per rewrite step kind -----------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Each rule lives in its own file in this directory and is registered by
// name in StepRegistry.cpp. A rule checks legality on the AST, then makes
// edits through its StepContext, or refuses.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_REWRITE_STEPS_STEPS_H
#define CUPILOT_LIB_REWRITE_STEPS_STEPS_H

#include "../StepContext.h"

namespace clang {
class DeclStmt;
class Expr;
class IfStmt;
class VarDecl;
} // namespace clang

namespace cupilot::rewrite {

/// `int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < bound) body`
/// at the top level of a kernel body (GridStride.cpp).
struct GuardedElement {
  const clang::DeclStmt *decl;
  const clang::VarDecl *index;
  const clang::IfStmt *guard;
  const clang::Expr *bound;
};
/// Finds the guarded-element form and checks that its body can run once per
/// element of a loop; refuses otherwise.
llvm::Expected<GuardedElement> matchGuardedElement(StepContext &sc);
/// `blockIdx.x * blockDim.x + threadIdx.x` in any operand order.
bool isGlobalThreadIndex(const clang::Expr *e);

llvm::Error applyLaunchBounds(StepContext &sc);
llvm::Error applyRestrict(StepContext &sc);
llvm::Error applyConst(StepContext &sc);
llvm::Error applyUnroll(StepContext &sc);
llvm::Error applyReadOnlyLoads(StepContext &sc);
llvm::Error applyCompileFlags(StepContext &sc);
llvm::Error applySetBlockSize(StepContext &sc);
llvm::Error applyReplaceKernel(StepContext &sc);
llvm::Error applyGridStride(StepContext &sc);

} // namespace cupilot::rewrite

#endif // CUPILOT_LIB_REWRITE_STEPS_STEPS_H
