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

#include "llvm/ADT/SmallVector.h"

#include <array>
#include <optional>

namespace clang {
class CompoundStmt;
class DeclStmt;
class Expr;
class IfStmt;
class ReturnStmt;
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

/// Code that a restructuring step runs several times per thread, once per
/// element (or row) it gives the thread (ElementKernel.cpp).
struct RepeatedCode {
  /// What one run handles ("element", "row"), for diagnostics.
  llvm::StringRef unit = "element";
  /// The repeated code: variables declared in it are fresh on every run.
  clang::SourceRange range;
  /// The thread's indices, which the repeated code must not change.
  llvm::SmallVector<const clang::VarDecl *, 2> indices;
  /// 0: the step changes every block and thread index of an element, so
  /// `blockIdx` and `gridDim` are refused (and `threadIdx` unless
  /// `allowThreadIdx`). 'y': it changes only the y members of `blockIdx`,
  /// `threadIdx` and `gridDim`, which are refused.
  char dim = 0;
  bool allowThreadIdx = true;
};
/// Refuses the first thing in `s` (part of the repeated code) that keeps it
/// from running several times per thread, for any element, in any order: a
/// barrier, a warp intrinsic, a return, a jump, inline assembly, a write of
/// an index or of a variable declared outside the repeated code, a
/// reference or static declaration, a use of what the step changes.
llvm::Error checkRepeated(StepContext &sc, const RepeatedCode &code,
                          const clang::Stmt *s);
/// Refuses the first thing in `s`, which runs once per thread around the
/// repeated code, that would be repeated or dropped: a write to memory or a
/// parameter, a call with effects, a return, and what checkRepeated
/// refuses of builtins.
llvm::Error checkAroundRepeated(StepContext &sc, const RepeatedCode &code,
                                const clang::Stmt *s);

/// A kernel that handles one element per thread (ElementKernel.cpp), as
///
///   int i = blockIdx.x * blockDim.x + threadIdx.x;
///   if (i < n) body                          (Guarded)
/// or
///   int i = blockIdx.x * blockDim.x + threadIdx.x;
///   if (i >= n) return;                      (EarlyReturn)
///   body (the rest of the kernel)
///
/// checked so that the body may run several times per thread, for any
/// element, in any order: it does not synchronise, return, jump, use warp
/// intrinsics, blockIdx or gridDim, or write the index or a variable
/// declared outside it; the kernel uses no shared memory; the statements
/// outside the body neither write memory nor call functions.
struct ElementKernel {
  enum Form { Guarded, EarlyReturn };
  Form form = Guarded;
  const clang::CompoundStmt *kernelBody = nullptr;
  const clang::DeclStmt *decl = nullptr;
  const clang::VarDecl *index = nullptr;
  const clang::IfStmt *guard = nullptr;
  const clang::Expr *bound = nullptr;
  /// EarlyReturn: the `return` of the guard.
  const clang::ReturnStmt *earlyReturn = nullptr;
  /// The statements that run once per element: Guarded, the guard's then
  /// statement; EarlyReturn, the statements after the guard.
  std::vector<const clang::Stmt *> body;
};
/// Matches and checks the one-element form; refuses otherwise.
llvm::Expected<ElementKernel> matchElementKernel(StepContext &sc);
/// Divides the x extent of the grid by `factor`, rounding up, at every
/// launch of the kernel in the file, and records one LaunchChange for the
/// kernel's launch geometry (which the task's launches follow; a file
/// without launches only records it). Refuses when a grid in the file
/// cannot be rewritten, or when it is neither a multiple of `factor` nor a
/// ceil-division by the block size (then the larger grid could reach
/// elements the original launch left alone).
/// `dim` 1 divides the y extent instead (each thread takes several rows),
/// with the same checks against the block's y extent.
llvm::Error divideLaunchGrids(StepContext &sc, int64_t factor,
                              unsigned dim = 0);
/// A launch change of the current step for the kernel, located at launch
/// `at`, or at the kernel when `at` is null.
LaunchChange makeLaunchChange(StepContext &sc,
                              const clang::CUDAKernelCallExpr *at);
/// The block shape of `launch` when its extents are constants (literals,
/// `dim3(...)` of them, or local variables that hold them)
/// (LaunchGeometry.cpp).
std::optional<std::array<int64_t, 3>>
getLaunchBlock(StepContext &sc, const clang::CUDAKernelCallExpr *launch);
/// Checks that every launch of the kernel in the file runs with the block
/// `want`: the block of the last set-block-size step of the plan that covers
/// the launch (all launches, or the one its 'launch' names), else the block
/// the launch has; without launches in the file, that of the last
/// set-block-size step for all launches, if any. Records the block for the
/// kernel's launches; `hint` ends the refusal (e.g. " or choose 'tile:
/// 16'").
llvm::Error requireLaunchBlock(StepContext &sc, std::array<int64_t, 3> want,
                               llvm::StringRef hint = "");
/// `blockIdx.D * blockDim.D + threadIdx.D` in any operand order.
bool isThreadIndex(const clang::Expr *e, char dim);
/// `base`, or `base_N`, whichever is not a word of the kernel's text.
std::string uniqueName(StepContext &sc, llvm::StringRef base);
/// The whitespace that starts the line of `loc`.
std::string lineIndent(StepContext &sc, clang::SourceLocation loc);
/// Whether only whitespace precedes `loc` on its line.
bool startsLine(StepContext &sc, clang::SourceLocation loc);
/// Inserts `text` on its own line(s) before the statement at `loc`, which
/// must start its line: `text` then a newline and the line's indentation.
llvm::Error insertLinesBefore(StepContext &sc, clang::SourceLocation loc,
                              llvm::StringRef text);
/// The location just past `s`, including a `;` that ends it.
clang::SourceLocation getStmtEnd(StepContext &sc, const clang::Stmt *s);
/// The unqualified type of `var` as a declaration would spell it.
std::string spellType(StepContext &sc, const clang::VarDecl *var);
/// `threadIdx.x`, `blockDim.y`, ... when `e` is such a builtin, else "".
std::string getBuiltinName(const clang::Expr *e);
/// Whether `e` is `__syncthreads()`.
bool isSyncThreads(const clang::Stmt *s);
/// Whether anything in the kernel (or in `within`) assigns to `var`, takes
/// its address or binds a non-const reference to it.
bool isWrittenInKernel(StepContext &sc, const clang::VarDecl *var,
                       const clang::Stmt *within = nullptr);

llvm::Error applyLaunchBounds(StepContext &sc);
llvm::Error applyRestrict(StepContext &sc);
llvm::Error applyConst(StepContext &sc);
llvm::Error applyUnroll(StepContext &sc);
llvm::Error applyReadOnlyLoads(StepContext &sc);
llvm::Error applyCompileFlags(StepContext &sc);
llvm::Error applyFastMathIntrinsics(StepContext &sc);
llvm::Error applySetBlockSize(StepContext &sc);
llvm::Error applyReplaceKernel(StepContext &sc);
llvm::Error applyGridStride(StepContext &sc);
llvm::Error applyCoarsen(StepContext &sc);
llvm::Error applyCoarsenRows(StepContext &sc);
llvm::Error applyVectorize(StepContext &sc);
llvm::Error applyWarpShuffleReduce(StepContext &sc);
llvm::Error applyTileToShared(StepContext &sc);
llvm::Error applyInstantiateTemplate(StepContext &sc);
llvm::Error applyTileStencil(StepContext &sc);

} // namespace cupilot::rewrite

#endif // CUPILOT_LIB_REWRITE_STEPS_STEPS_H
