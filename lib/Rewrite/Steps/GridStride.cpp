//===- GridStride.cpp - The grid-stride step ------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Turns the one-element-per-thread form
//
//   int i = blockIdx.x * blockDim.x + threadIdx.x;
//   if (i < n) { body }
//
// into a grid-stride loop, so any grid covers any n:
//
//   for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
//        i += blockDim.x * gridDim.x) { body }
//
// Legal only when the body may run several times per thread: it must not
// synchronise the block, return, or write a local variable declared outside
// the body (a value carried from one element to the next), and `i` and the
// bound must not change.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

bool isProduct(const Expr *e, llvm::StringRef a, llvm::StringRef b) {
  const auto *mul = dyn_cast<BinaryOperator>(e->IgnoreParenImpCasts());
  if (!mul || mul->getOpcode() != BO_Mul)
    return false;
  std::string l = getBuiltinName(mul->getLHS()),
              r = getBuiltinName(mul->getRHS());
  return (l == a && r == b) || (l == b && r == a);
}

} // namespace

/// `blockIdx.x * blockDim.x + threadIdx.x` in any operand order.
bool cupilot::rewrite::isGlobalThreadIndex(const Expr *e) {
  const auto *add = dyn_cast_or_null<BinaryOperator>(e->IgnoreParenImpCasts());
  if (!add || add->getOpcode() != BO_Add)
    return false;
  const Expr *l = add->getLHS(), *r = add->getRHS();
  if (getBuiltinName(l) == "threadIdx.x")
    std::swap(l, r);
  return getBuiltinName(r) == "threadIdx.x" &&
         isProduct(l, "blockIdx.x", "blockDim.x");
}

namespace {

/// What the guarded body does that a loop body must not.
class BodyChecker : public RecursiveASTVisitor<BodyChecker> {
public:
  BodyChecker(const Stmt *body, const VarDecl *index)
      : body(body), index(index) {}

  bool VisitReturnStmt(ReturnStmt *s) {
    note(s->getBeginLoc(), "the body returns");
    return true;
  }
  bool VisitCallExpr(CallExpr *call) {
    if (const FunctionDecl *callee = call->getDirectCallee()) {
      llvm::StringRef name = callee->getName();
      if (name.starts_with("__syncthreads") || name == "__syncwarp" ||
          name.starts_with("__barrier"))
        note(call->getBeginLoc(),
             "the body synchronises the block; threads would run different "
             "numbers of iterations");
    }
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *b) {
    if (b->isAssignmentOp())
      checkWrite(b->getLHS());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *u) {
    if (u->isIncrementDecrementOp())
      checkWrite(u->getSubExpr());
    return true;
  }

  SourceLocation problemLoc;
  std::string problem;

private:
  void note(SourceLocation loc, llvm::StringRef what) {
    if (problem.empty()) {
      problemLoc = loc;
      problem = what.str();
    }
  }
  void checkWrite(const Expr *lhs) {
    const auto *ref = dyn_cast<DeclRefExpr>(lhs->IgnoreParenImpCasts());
    if (!ref)
      return;
    const auto *var = dyn_cast<VarDecl>(ref->getDecl());
    if (!var)
      return;
    if (var == index) {
      note(ref->getBeginLoc(),
           "the body changes the index '" + var->getName().str() + "'");
      return;
    }
    // Variables declared inside the body are fresh for each element.
    SourceRange range = body->getSourceRange();
    SourceLocation decl = var->getLocation();
    if (!(range.getBegin() <= decl && decl <= range.getEnd()))
      note(ref->getBeginLoc(),
           "the body writes '" + var->getName().str() +
               "', declared outside it; its value would carry from one "
               "element to the next");
  }

  const Stmt *body;
  const VarDecl *index;
};

} // namespace

llvm::Expected<GuardedElement>
cupilot::rewrite::matchGuardedElement(StepContext &sc) {
  const FunctionDecl *kernel = sc.getKernel();
  const auto *body = dyn_cast<CompoundStmt>(kernel->getBody());
  auto mismatch = [&](SourceLocation loc, const llvm::Twine &why) {
    return sc.refuse(loc, why + "; the step needs 'int i = blockIdx.x * "
                                "blockDim.x + threadIdx.x;' directly followed "
                                "by 'if (i < n) { ... }' without else");
  };
  const DeclStmt *declStmt = nullptr;
  const IfStmt *guard = nullptr;
  for (auto it = body->body_begin(); it != body->body_end(); ++it) {
    const auto *ds = dyn_cast<DeclStmt>(*it);
    if (!ds || !ds->isSingleDecl())
      continue;
    const auto *var = dyn_cast<VarDecl>(ds->getSingleDecl());
    if (!var || !var->getInit() || !var->getType()->isIntegerType() ||
        !isGlobalThreadIndex(var->getInit()))
      continue;
    declStmt = ds;
    if (std::next(it) != body->body_end())
      guard = dyn_cast<IfStmt>(*std::next(it));
    break;
  }
  if (!declStmt)
    return mismatch(kernel->getLocation(),
                    "kernel '" + sc.getKernelInfo()->qualifiedName +
                        "' has no global thread index");
  const auto *index = cast<VarDecl>(declStmt->getSingleDecl());
  if (!guard || guard->getElse() || guard->getInit() ||
      guard->getConditionVariable())
    return mismatch(declStmt->getEndLoc(), "no bounds check right after the "
                                           "index");
  const auto *cond =
      dyn_cast<BinaryOperator>(guard->getCond()->IgnoreParenImpCasts());
  const auto *lhs =
      cond ? dyn_cast<DeclRefExpr>(cond->getLHS()->IgnoreParenImpCasts())
           : nullptr;
  if (!cond || cond->getOpcode() != BO_LT || !lhs || lhs->getDecl() != index)
    return mismatch(guard->getCond()->getBeginLoc(),
                    "the bounds check is not 'i < bound'");
  // The bound must not change while the loop runs.
  const Expr *bound = cond->getRHS()->IgnoreParenImpCasts();
  bool stable = bound->isIntegerConstantExpr(sc.getASTContext());
  if (const auto *ref = dyn_cast<DeclRefExpr>(bound))
    if (const auto *var = dyn_cast<VarDecl>(ref->getDecl()))
      stable = isa<ParmVarDecl>(var) || var->getType().isConstQualified();
  if (!stable)
    return mismatch(bound->getBeginLoc(),
                    "the bound is not a constant or a parameter");
  BodyChecker checker(guard->getThen(), index);
  checker.TraverseStmt(const_cast<Stmt *>(guard->getThen()));
  if (!checker.problem.empty())
    return sc.refuse(checker.problemLoc,
                     "cannot run the guarded body once per element: " +
                         checker.problem);
  // After the guard, `i` must not be used: the loop scopes it.
  for (auto it = body->body_begin(); it != body->body_end(); ++it) {
    if (*it != guard)
      continue;
    for (++it; it != body->body_end(); ++it) {
      struct Finder : RecursiveASTVisitor<Finder> {
        const VarDecl *var;
        SourceLocation use;
        bool VisitDeclRefExpr(DeclRefExpr *r) {
          if (r->getDecl() == var && use.isInvalid())
            use = r->getBeginLoc();
          return true;
        }
      } finder;
      finder.var = index;
      finder.TraverseStmt(const_cast<Stmt *>(*it));
      if (finder.use.isValid())
        return sc.refuse(finder.use, "'" + index->getName() +
                                         "' is used after the bounds check");
    }
    break;
  }
  return GuardedElement{declStmt, index, guard, bound};
}

llvm::Error cupilot::rewrite::applyGridStride(StepContext &sc) {
  auto match = matchGuardedElement(sc);
  if (!match)
    return match.takeError();
  const VarDecl *index = match->index;
  llvm::StringRef decl = sc.getText(match->decl->getSourceRange());
  decl = decl.rtrim().rtrim(';').rtrim();
  std::string name = index->getName().str();
  std::string header = ("for (" + decl + "; " + name + " < " +
                        sc.getText(match->bound->getSourceRange()) + "; " +
                        name + " += blockDim.x * gridDim.x) ")
                           .str();
  // Replace `int i = ...;<space>if (i < n) ` by the loop header.
  return sc.replace(
      CharSourceRange::getCharRange(match->decl->getBeginLoc(),
                                    match->guard->getThen()->getBeginLoc()),
      header);
}
