//===- StepContext.h - What a rewrite rule sees and produces ----*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Rewrite. A rule (one per step kind, in Steps/) gets a
// StepContext: the AST, the kernel's declaration and KernelInfo, the step and
// its index. It produces edits through `replace`/`insert` (which refuse
// anything not spelled contiguously in the main file, such as text inside a
// macro expansion) and refuses through `refuse`.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_REWRITE_STEPCONTEXT_H
#define CUPILOT_LIB_REWRITE_STEPCONTEXT_H

#include "cupilot/Frontend/KernelInfo.h"
#include "cupilot/Rewrite/PlanApplier.h"
#include "cupilot/Strategy/RewritePlan.h"

#include "clang/AST/TypeLoc.h"
#include "clang/Basic/SourceLocation.h"
#include "clang/Tooling/Core/Replacement.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace clang {
class ASTContext;
class CUDAKernelCallExpr;
class FunctionDecl;
class ParmVarDecl;
class SourceManager;
class Stmt;
} // namespace clang

namespace cupilot::rewrite {

class StepContext {
public:
  StepContext(clang::ASTContext &ctx, const RewritePlan &plan,
              const KernelIndex &index, unsigned stepIndex,
              const clang::FunctionDecl *kernel, const KernelInfo *info,
              RewriteResult &result, const ApplyOptions &options);

  clang::ASTContext &getASTContext() const { return ctx; }
  clang::SourceManager &getSourceManager() const;
  const RewritePlan &getPlan() const { return plan; }
  const KernelIndex &getIndex() const { return index; }
  const RewriteStep &getStep() const { return plan.steps[stepIndex]; }
  unsigned getStepIndex() const { return stepIndex; }
  /// The kernel's definition; null for whole-file steps.
  const clang::FunctionDecl *getKernel() const { return kernel; }
  const KernelInfo *getKernelInfo() const { return info; }
  RewriteResult &getResult() { return result; }
  const ApplyOptions &getOptions() const { return options; }

  /// Replaces the characters of `range` (in the main file) by `text`.
  llvm::Error replace(clang::CharSourceRange range, llvm::StringRef text);
  /// Inserts `text` before the character at `loc`.
  llvm::Error insert(clang::SourceLocation loc, llvm::StringRef text);
  /// The source text of `range` ("" when not in the main file).
  llvm::StringRef getText(clang::CharSourceRange range) const;
  llvm::StringRef getText(clang::SourceRange tokenRange) const;

  /// `file:line:col: error: step N (kind): message` at a source location
  /// (its expansion location) with ExitCode::IllegalRewrite.
  llvm::Error refuse(clang::SourceLocation loc, const llvm::Twine &message);
  /// The same at a location from the kernel index.
  llvm::Error refuseAt(const SourceLoc &loc, const llvm::Twine &message);
  /// The same, pointing at the plan file (`where` = a parameter name, or
  /// empty for the step itself).
  llvm::Error refuseInPlan(llvm::StringRef where, const llvm::Twine &message);

  /// The edits made so far by this step.
  std::vector<RewriteEdit> takeEdits() { return std::move(edits); }

private:
  clang::ASTContext &ctx;
  const RewritePlan &plan;
  const KernelIndex &index;
  unsigned stepIndex;
  const clang::FunctionDecl *kernel;
  const KernelInfo *info;
  RewriteResult &result;
  const ApplyOptions &options;
  std::vector<RewriteEdit> edits;
};

/// A rule applies one step kind.
using StepRule = llvm::Error (*)(StepContext &);

/// The rule of `kind`, or null.
StepRule findStepRule(llvm::StringRef kind);
/// All registered kinds, in table order.
std::vector<std::string> getStepRuleNames();

//===----------------------------------------------------------------------===//
// Shared AST helpers (ASTHelpers.cpp)
//===----------------------------------------------------------------------===//

/// How the kernel uses a pointer parameter.
struct PointerUses {
  /// Loads through the pointer (subscripts, `*p`) used as values; their
  /// outermost expression (the ArraySubscriptExpr or UnaryOperator).
  std::vector<const clang::Expr *> loads;
  /// A store or read-modify-write through the pointer.
  std::vector<clang::SourceLocation> writes;
  /// A use that may write or need a non-const pointee: the pointer is copied,
  /// passed to a function taking a non-const pointer, has its address
  /// taken, ...
  std::vector<clang::SourceLocation> escapes;
};

/// Classifies every use of `param` in the kernel body.
PointerUses analyzePointerUses(const clang::FunctionDecl *kernel,
                               const clang::ParmVarDecl *param,
                               clang::ASTContext &ctx);

/// Loops of the kernel body in the kernel index's numbering (source order,
/// pre-order; `for`, range-`for`, `while`, `do`).
std::vector<const clang::Stmt *>
collectLoops(const clang::FunctionDecl *kernel);

/// Host launches `kernel<<<...>>>(...)` of `kernel` in the main file, in
/// source order.
std::vector<const clang::CUDAKernelCallExpr *>
findLaunches(const clang::FunctionDecl *kernel, clang::ASTContext &ctx);

/// The pointer parameters named in the step's `params` (all pointer
/// parameters when absent); refuses unknown or non-pointer names.
llvm::Expected<std::vector<const clang::ParmVarDecl *>>
selectPointerParams(StepContext &sc);

/// The pointer as spelled in `param`'s declaration (`float *`), looking
/// through qualifiers on the pointer; null when the type is not spelled as
/// a pointer (a typedef, a template parameter).
clang::PointerTypeLoc getPointerLoc(const clang::ParmVarDecl *param);

/// Whether two pointer parameters may point into the same memory: their
/// pointee types match (ignoring qualifiers) or one is a character/void type.
bool mayAlias(const clang::ParmVarDecl *a, const clang::ParmVarDecl *b);

} // namespace cupilot::rewrite

#endif // CUPILOT_LIB_REWRITE_STEPCONTEXT_H
