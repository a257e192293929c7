//===- ASTHelpers.cpp - AST queries shared by the rewrite rules -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Plain RecursiveASTVisitor walks (no AST matchers, to keep compile times
// down). Every query is conservative: a use it does not understand counts
// as an escape, which makes the rules that depend on it refuse.
//
//===----------------------------------------------------------------------===//

#include "StepContext.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

/// Child-to-parent links of the statements below one root.
class ParentMap {
public:
  explicit ParentMap(const Stmt *root) { add(root); }
  const Stmt *get(const Stmt *s) const { return parents.lookup(s); }

private:
  void add(const Stmt *s) {
    for (const Stmt *child : s->children()) {
      if (!child)
        continue;
      parents[child] = s;
      add(child);
    }
  }
  llvm::DenseMap<const Stmt *, const Stmt *> parents;
};

bool isLdgCall(const Stmt *s) {
  const auto *call = dyn_cast_or_null<CallExpr>(s);
  if (!call)
    return false;
  const FunctionDecl *callee = call->getDirectCallee();
  return callee && callee->getName().starts_with("__ldg");
}

const Stmt *skipParens(const ParentMap &pm, const Stmt *&cur) {
  const Stmt *parent = pm.get(cur);
  while (parent && isa<ParenExpr>(parent)) {
    cur = parent;
    parent = pm.get(cur);
  }
  return parent;
}

/// Classifies the memory access `access` (an lvalue subscript or deref).
void classifyAccess(const ParentMap &pm, const Expr *access,
                    PointerUses &uses) {
  const Stmt *cur = access;
  const Stmt *parent = skipParens(pm, cur);
  if (const auto *cast = dyn_cast_or_null<ImplicitCastExpr>(parent)) {
    if (cast->getCastKind() == CK_LValueToRValue) {
      uses.loads.push_back(access);
      return;
    }
  }
  if (const auto *bin = dyn_cast_or_null<BinaryOperator>(parent)) {
    if (bin->isAssignmentOp() && bin->getLHS() == cur) {
      uses.writes.push_back(access->getBeginLoc());
      return;
    }
  }
  if (const auto *un = dyn_cast_or_null<UnaryOperator>(parent)) {
    if (un->isIncrementDecrementOp()) {
      uses.writes.push_back(access->getBeginLoc());
      return;
    }
    if (un->getOpcode() == UO_AddrOf) {
      const Stmt *up = un;
      const Stmt *grand = skipParens(pm, up);
      while (isa_and_nonnull<ImplicitCastExpr>(grand)) {
        up = grand;
        grand = skipParens(pm, up);
      }
      if (isLdgCall(grand))
        return; // Already a read-only load.
    }
  }
  uses.escapes.push_back(access->getBeginLoc());
}

class UseFinder : public RecursiveASTVisitor<UseFinder> {
public:
  UseFinder(const ParmVarDecl *param, const ParentMap &pm, PointerUses &uses)
      : param(param), pm(pm), uses(uses) {}

  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    if (ref->getDecl() != param)
      return true;
    const Stmt *cur = ref;
    while (true) {
      const Stmt *parent = pm.get(cur);
      if (!parent) {
        uses.escapes.push_back(ref->getBeginLoc());
        return true;
      }
      if (isa<ParenExpr>(parent) ||
          (isa<ImplicitCastExpr>(parent) &&
           cast<ImplicitCastExpr>(parent)->getCastKind() != CK_ToVoid)) {
        cur = parent;
        continue;
      }
      if (const auto *bin = dyn_cast<BinaryOperator>(parent)) {
        if ((bin->getOpcode() == BO_Add || bin->getOpcode() == BO_Sub) &&
            bin->getType()->isPointerType()) {
          cur = parent; // Pointer arithmetic.
          continue;
        }
        if (bin->isComparisonOp())
          return true;
        uses.escapes.push_back(ref->getBeginLoc());
        return true;
      }
      if (const auto *sub = dyn_cast<ArraySubscriptExpr>(parent)) {
        if (sub->getBase() == cur)
          classifyAccess(pm, sub, uses);
        else
          uses.escapes.push_back(ref->getBeginLoc());
        return true;
      }
      if (const auto *un = dyn_cast<UnaryOperator>(parent)) {
        if (un->getOpcode() == UO_Deref)
          classifyAccess(pm, un, uses);
        else
          uses.escapes.push_back(ref->getBeginLoc());
        return true;
      }
      if (isLdgCall(parent))
        return true;
      if (const auto *call = dyn_cast<CallExpr>(parent)) {
        // Passing the pointer to a function that takes a pointer to const
        // cannot write through it.
        const FunctionDecl *callee = call->getDirectCallee();
        for (unsigned i = 0; callee && i < call->getNumArgs(); ++i) {
          if (call->getArg(i) != cur || i >= callee->getNumParams())
            continue;
          QualType type = callee->getParamDecl(i)->getType();
          if (type->isPointerType() &&
              type->getPointeeType().isConstQualified())
            return true;
        }
        uses.escapes.push_back(ref->getBeginLoc());
        return true;
      }
      uses.escapes.push_back(ref->getBeginLoc());
      return true;
    }
  }

private:
  const ParmVarDecl *param;
  const ParentMap &pm;
  PointerUses &uses;
};

class LoopCollector : public RecursiveASTVisitor<LoopCollector> {
public:
  bool shouldVisitLambdaBodies() const { return true; }
  bool VisitForStmt(ForStmt *s) { return add(s); }
  bool VisitWhileStmt(WhileStmt *s) { return add(s); }
  bool VisitDoStmt(DoStmt *s) { return add(s); }
  bool VisitCXXForRangeStmt(CXXForRangeStmt *s) { return add(s); }
  std::vector<const Stmt *> loops;

private:
  bool add(const Stmt *s) {
    loops.push_back(s);
    return true;
  }
};

class LaunchFinder : public RecursiveASTVisitor<LaunchFinder> {
public:
  LaunchFinder(const FunctionDecl *kernel) : kernel(kernel) {}
  bool shouldVisitTemplateInstantiations() const { return true; }

  bool VisitCUDAKernelCallExpr(CUDAKernelCallExpr *call) {
    const FunctionDecl *callee = call->getDirectCallee();
    if (!callee)
      return true;
    const FunctionDecl *pattern = callee;
    if (const FunctionTemplateDecl *primary = callee->getPrimaryTemplate())
      pattern = primary->getTemplatedDecl();
    if (callee->getCanonicalDecl() != kernel->getCanonicalDecl() &&
        pattern->getCanonicalDecl() != kernel->getCanonicalDecl())
      return true;
    if (seen.insert(call->getBeginLoc().getRawEncoding()).second)
      launches.push_back(call);
    return true;
  }

  std::vector<const CUDAKernelCallExpr *> launches;

private:
  const FunctionDecl *kernel;
  llvm::DenseSet<unsigned> seen;
};

} // namespace

PointerUses cupilot::rewrite::analyzePointerUses(const FunctionDecl *kernel,
                                                 const ParmVarDecl *param,
                                                 ASTContext &) {
  PointerUses uses;
  if (!kernel->getBody())
    return uses;
  ParentMap pm(kernel->getBody());
  UseFinder finder(param, pm, uses);
  finder.TraverseStmt(kernel->getBody());
  return uses;
}

std::vector<const Stmt *>
cupilot::rewrite::collectLoops(const FunctionDecl *kernel) {
  LoopCollector collector;
  collector.TraverseStmt(kernel->getBody());
  return collector.loops;
}

std::vector<const CUDAKernelCallExpr *>
cupilot::rewrite::findLaunches(const FunctionDecl *kernel, ASTContext &ctx) {
  const SourceManager &sm = ctx.getSourceManager();
  LaunchFinder finder(kernel);
  for (Decl *decl : ctx.getTranslationUnitDecl()->decls())
    if (sm.isInMainFile(sm.getExpansionLoc(decl->getBeginLoc())))
      finder.TraverseDecl(decl);
  std::vector<const CUDAKernelCallExpr *> launches = finder.launches;
  llvm::stable_sort(launches, [&](const auto *a, const auto *b) {
    return sm.isBeforeInTranslationUnit(sm.getExpansionLoc(a->getBeginLoc()),
                                        sm.getExpansionLoc(b->getBeginLoc()));
  });
  return launches;
}

llvm::Expected<std::vector<const ParmVarDecl *>>
cupilot::rewrite::selectPointerParams(StepContext &sc) {
  const FunctionDecl *kernel = sc.getKernel();
  std::vector<const ParmVarDecl *> result;
  if (!sc.getStep().has("params")) {
    for (const ParmVarDecl *p : kernel->parameters())
      if (p->getType()->isPointerType())
        result.push_back(p);
    return result;
  }
  for (const std::string &name : sc.getStep().getStrings("params")) {
    const ParmVarDecl *found = nullptr;
    for (const ParmVarDecl *p : kernel->parameters())
      if (p->getName() == name)
        found = p;
    if (!found) {
      std::string names;
      for (const ParmVarDecl *p : kernel->parameters())
        names += (names.empty() ? "" : ", ") + p->getName().str();
      return sc.refuseInPlan("params", "kernel '" +
                                           sc.getKernelInfo()->qualifiedName +
                                           "' has no parameter '" + name +
                                           "' (parameters: " + names + ")");
    }
    if (!found->getType()->isPointerType())
      return sc.refuseInPlan("params",
                             "parameter '" + name + "' is not a pointer");
    result.push_back(found);
  }
  return result;
}

PointerTypeLoc cupilot::rewrite::getPointerLoc(const ParmVarDecl *param) {
  const TypeSourceInfo *tsi = param->getTypeSourceInfo();
  if (!tsi)
    return {};
  TypeLoc tl = tsi->getTypeLoc();
  if (auto qualified = tl.getAs<QualifiedTypeLoc>())
    tl = qualified.getUnqualifiedLoc();
  while (auto attributed = tl.getAs<AttributedTypeLoc>())
    tl = attributed.getModifiedLoc();
  return tl.getAs<PointerTypeLoc>();
}

bool cupilot::rewrite::mayAlias(const ParmVarDecl *a, const ParmVarDecl *b) {
  QualType pa = a->getType()->getPointeeType().getCanonicalType();
  QualType pb = b->getType()->getPointeeType().getCanonicalType();
  auto isByteLike = [](QualType t) {
    return t->isVoidType() || t->isCharType();
  };
  if (isByteLike(pa) || isByteLike(pb))
    return true;
  if (pa->isDependentType() || pb->isDependentType())
    return true;
  return pa.getUnqualifiedType() == pb.getUnqualifiedType();
}
