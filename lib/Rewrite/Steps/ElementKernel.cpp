//===- ElementKernel.cpp - One-element-per-thread kernels and their grids -===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// What `coarsen` and `vectorize` share: matching a kernel that handles one
// element per thread (guarded or early-return form) and proving that its
// per-element body may run several times per thread. Also the small AST and
// text helpers the other restructuring steps use.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

bool isBuiltinVar(const Decl *d, llvm::StringRef name) {
  const auto *var = dyn_cast<VarDecl>(d);
  return var && var->hasGlobalStorage() && var->getName() == name;
}

bool isBarrierName(llvm::StringRef name) {
  return name.starts_with("__syncthreads") || name == "__syncwarp" ||
         name.starts_with("__barrier") || name == "sync" ||
         name == "barrier_sync";
}

bool isWarpIntrinsicName(llvm::StringRef name) {
  return name.starts_with("__shfl") || name.starts_with("__ballot") ||
         name == "__any_sync" || name == "__all_sync" || name == "__uni_sync" ||
         name == "__activemask" || name.starts_with("__match") ||
         name.starts_with("__reduce_") || name == "__any" || name == "__all";
}

/// "an element", "a row".
std::string withArticle(llvm::StringRef unit) {
  return (llvm::StringRef("aeiou").contains(unit.front()) ? "an " : "a ") +
         unit.str();
}

/// The first thing in a statement that keeps it from running several times
/// per thread (the repeated code), or from being left once per thread
/// (`outside`: statements around the repeated code).
class ElementChecker : public RecursiveASTVisitor<ElementChecker> {
public:
  ElementChecker(const RepeatedCode &code, bool outside)
      : code(code), outside(outside), unit(code.unit) {}

  bool VisitReturnStmt(ReturnStmt *s) {
    note(s->getBeginLoc(),
         outside ? "the kernel returns outside the per-" + unit + " code"
                 : "the per-" + unit + " code returns; skip the rest of the " +
                       unit + " with an if instead");
    return true;
  }
  bool VisitGotoStmt(GotoStmt *s) {
    note(s->getBeginLoc(), "the kernel uses goto");
    return true;
  }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *s) {
    note(s->getBeginLoc(), "the kernel uses goto");
    return true;
  }
  bool VisitAsmStmt(AsmStmt *s) {
    note(s->getBeginLoc(), "the kernel uses inline assembly");
    return true;
  }
  bool VisitCallExpr(CallExpr *call) {
    const FunctionDecl *callee = call->getDirectCallee();
    llvm::StringRef name = callee && callee->getIdentifier()
                               ? callee->getName()
                               : llvm::StringRef();
    if (isBarrierName(name))
      note(call->getBeginLoc(), "the kernel synchronises threads ('" + name +
                                    "'); threads would wait for work that "
                                    "moved to other threads");
    else if (isWarpIntrinsicName(name))
      note(call->getBeginLoc(), "the kernel uses the warp intrinsic '" + name +
                                    "', which exchanges values between "
                                    "the threads that own " +
                                    unit + "s");
    else if (outside && !isPureLibraryCall(call))
      note(call->getBeginLoc(),
           "the kernel calls '" + (name.empty() ? "a function" : name) +
               "' outside the per-" + unit +
               " code, which could have effects the step would repeat or "
               "drop; move the call into the per-" +
               unit + " code");
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *b) {
    if (b->isAssignmentOp())
      checkWrite(b->getLHS(), b->getLHS()->getBeginLoc());
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *u) {
    if (u->isIncrementDecrementOp())
      checkWrite(u->getSubExpr(), u->getBeginLoc());
    if (u->getOpcode() == UO_AddrOf)
      if (const auto *ref =
              dyn_cast<DeclRefExpr>(u->getSubExpr()->IgnoreParenImpCasts()))
        if (const auto *var = dyn_cast<VarDecl>(ref->getDecl());
            var && !var->hasGlobalStorage() && !declaredInside(var))
          note(u->getBeginLoc(),
               "the kernel takes the address of '" + var->getName() + "'");
    return true;
  }
  bool VisitVarDecl(VarDecl *var) {
    if (var->getType()->isReferenceType() && !outside)
      note(var->getLocation(), "the per-" + unit +
                                   " code declares the reference '" +
                                   var->getName() + "'");
    if (var->isStaticLocal())
      note(var->getLocation(),
           "the kernel declares the static variable '" + var->getName() + "'");
    return true;
  }
  bool VisitPseudoObjectExpr(PseudoObjectExpr *e) {
    if (!code.dim)
      return true;
    // `blockIdx.y`: the members of one dimension change.
    std::string name = getBuiltinName(e);
    if (name.empty())
      return true;
    if (const auto *prop = dyn_cast<MSPropertyRefExpr>(
            e->getSyntacticForm()->IgnoreParenImpCasts()))
      if (const auto *ove = dyn_cast<OpaqueValueExpr>(
              prop->getBaseExpr()->IgnoreParenImpCasts()))
        propertyBases.insert(ove->getSourceExpr()->IgnoreParenImpCasts());
    std::string d(1, code.dim);
    if (name == "blockIdx." + d || name == "gridDim." + d ||
        name == "threadIdx." + d)
      note(e->getBeginLoc(),
           "the kernel uses '" + name + "' outside the index '" +
               code.indices.back()->getName() +
               "', and the step changes which block and thread handle a " +
               unit + " and the grid's " + d +
               " extent; derive the value from the index");
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    const ValueDecl *d = ref->getDecl();
    if (code.dim) {
      // A builtin used as a whole (`uint3 b = blockIdx;`).
      if ((isBuiltinVar(d, "blockIdx") || isBuiltinVar(d, "gridDim") ||
           isBuiltinVar(d, "threadIdx")) &&
          !propertyBases.count(ref))
        note(ref->getBeginLoc(), "the kernel uses '" + d->getName() +
                                     "' as a whole; the step changes its " +
                                     llvm::Twine(code.dim) +
                                     " member for every " + unit);
      return true;
    }
    if (isBuiltinVar(d, "blockIdx") || isBuiltinVar(d, "gridDim"))
      note(ref->getBeginLoc(),
           "the kernel uses '" + d->getName() +
               "' outside the index, and the step changes both the block of "
               "an element and the grid; derive the value from the index");
    else if (!code.allowThreadIdx && isBuiltinVar(d, "threadIdx"))
      note(ref->getBeginLoc(),
           "the kernel uses 'threadIdx' outside the index, and the step "
           "changes the thread of an element; derive the value from the "
           "index");
    return true;
  }

  SourceLocation problemLoc;
  std::string problem;

private:
  /// A call of a function from a header (CUDA's math library) with no
  /// pointer arguments: it reads and writes nothing but its result.
  bool isPureLibraryCall(const CallExpr *call) const {
    const FunctionDecl *callee = call->getDirectCallee();
    if (!callee)
      return false;
    const SourceManager &sm = callee->getASTContext().getSourceManager();
    if (sm.isInMainFile(sm.getExpansionLoc(callee->getLocation())))
      return false;
    for (const Expr *arg : call->arguments())
      if (arg->getType()->isPointerType() || arg->getType()->isReferenceType())
        return false;
    return !callee->getReturnType()->isVoidType();
  }
  bool declaredInside(const VarDecl *var) const {
    if (outside)
      return false;
    SourceLocation decl = var->getLocation();
    return code.range.getBegin() <= decl && decl <= code.range.getEnd();
  }
  void note(SourceLocation loc, const llvm::Twine &what) {
    if (problem.empty()) {
      problemLoc = loc;
      problem = what.str();
    }
  }
  void checkWrite(const Expr *lhs, SourceLocation loc) {
    const auto *ref = dyn_cast<DeclRefExpr>(lhs->IgnoreParenImpCasts());
    const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
    if (outside) {
      // Around the body only locals of the thread may change.
      if (!var || var->hasGlobalStorage() || isa<ParmVarDecl>(var))
        note(loc, "the kernel writes memory outside the per-" + unit + " code");
      return;
    }
    if (!var)
      return; // A store to memory: the element's work.
    if (llvm::is_contained(code.indices, var)) {
      note(ref->getBeginLoc(),
           "the per-" + unit + " code changes the index '" + var->getName() +
               "'; copy it into a local variable and change that");
      return;
    }
    if (!declaredInside(var))
      note(ref->getBeginLoc(),
           "the per-" + unit + " code writes '" + var->getName() +
               "', declared outside it; its value would carry from one " +
               unit + " to the next");
  }

  const RepeatedCode &code;
  bool outside;
  std::string unit;
  llvm::SmallPtrSet<const Expr *, 4> propertyBases;
};

bool isReturnOnly(const Stmt *s) {
  if (const auto *compound = dyn_cast<CompoundStmt>(s)) {
    if (compound->size() != 1)
      return false;
    s = compound->body_front();
  }
  const auto *ret = dyn_cast<ReturnStmt>(s);
  return ret && !ret->getRetValue();
}

const ReturnStmt *getReturn(const Stmt *s) {
  if (const auto *compound = dyn_cast<CompoundStmt>(s))
    s = compound->body_front();
  return cast<ReturnStmt>(s);
}

bool usesVar(const Stmt *s, const VarDecl *var, SourceLocation &where) {
  struct Finder : RecursiveASTVisitor<Finder> {
    const VarDecl *var;
    SourceLocation use;
    bool VisitDeclRefExpr(DeclRefExpr *r) {
      if (r->getDecl() == var && use.isInvalid())
        use = r->getBeginLoc();
      return true;
    }
  } finder;
  finder.var = var;
  finder.TraverseStmt(const_cast<Stmt *>(s));
  where = finder.use;
  return where.isValid();
}

} // namespace

llvm::Expected<ElementKernel>
cupilot::rewrite::matchElementKernel(StepContext &sc) {
  const FunctionDecl *kernel = sc.getKernel();
  const KernelInfo &info = *sc.getKernelInfo();
  const auto *body = dyn_cast<CompoundStmt>(kernel->getBody());
  auto mismatch = [&](SourceLocation loc, const llvm::Twine &why) {
    return sc.refuse(loc, why + "; the step needs 'int i = blockIdx.x * "
                                "blockDim.x + threadIdx.x;' directly followed "
                                "by 'if (i < n) { ... }' without else, or by "
                                "'if (i >= n) return;'");
  };
  if (info.features.threadDims > 1)
    return sc.refuse(kernel->getLocation(),
                     "kernel '" + info.qualifiedName + "' indexes " +
                         llvm::Twine(info.features.threadDims) +
                         " thread dimensions; the step handles 1-D kernels");
  for (const SharedMemoryDecl &shared : info.sharedMemory)
    return sc.refuseAt(shared.loc, "the kernel uses shared memory ('" +
                                       shared.name +
                                       "'), through which threads exchange "
                                       "values; the step moves elements to "
                                       "other threads, so it applies only to "
                                       "kernels without shared memory");
  if (info.features.usesSharedMemory)
    return sc.refuse(kernel->getLocation(),
                     "the kernel uses shared memory, through which threads "
                     "exchange values; elements would move to other threads");

  ElementKernel m;
  m.kernelBody = body;
  auto it = body->body_begin();
  for (; it != body->body_end(); ++it) {
    const auto *ds = dyn_cast<DeclStmt>(*it);
    if (!ds || !ds->isSingleDecl())
      continue;
    const auto *var = dyn_cast<VarDecl>(ds->getSingleDecl());
    if (!var || !var->getInit() || !var->getType()->isIntegerType() ||
        !isGlobalThreadIndex(var->getInit()))
      continue;
    m.decl = ds;
    m.index = var;
    break;
  }
  if (!m.decl)
    return mismatch(kernel->getLocation(), "kernel '" + info.qualifiedName +
                                               "' has no global thread index");
  auto guardIt = std::next(it);
  if (guardIt != body->body_end())
    m.guard = dyn_cast<IfStmt>(*guardIt);
  const IfStmt *guard = m.guard;
  if (!guard || guard->getElse() || guard->getInit() ||
      guard->getConditionVariable())
    return mismatch(m.decl->getEndLoc(), "no bounds check right after the "
                                         "index");
  const auto *cond =
      dyn_cast<BinaryOperator>(guard->getCond()->IgnoreParenImpCasts());
  const auto *lhs =
      cond ? dyn_cast<DeclRefExpr>(cond->getLHS()->IgnoreParenImpCasts())
           : nullptr;
  if (cond && lhs && lhs->getDecl() == m.index && cond->getOpcode() == BO_LT) {
    m.form = ElementKernel::Guarded;
    m.body.push_back(guard->getThen());
  } else if (cond && lhs && lhs->getDecl() == m.index &&
             cond->getOpcode() == BO_GE && isReturnOnly(guard->getThen())) {
    m.form = ElementKernel::EarlyReturn;
    m.earlyReturn = getReturn(guard->getThen());
    for (auto rest = std::next(guardIt); rest != body->body_end(); ++rest)
      m.body.push_back(*rest);
    if (m.body.empty())
      return sc.refuse(guard->getBeginLoc(),
                       "nothing follows the bounds check");
  } else {
    return mismatch(guard->getCond()->getBeginLoc(),
                    "the bounds check is neither 'i < bound' nor "
                    "'if (i >= bound) return;'");
  }
  // The bound must not change while the elements are handled.
  m.bound = cond->getRHS()->IgnoreParenImpCasts();
  bool stable = m.bound->isIntegerConstantExpr(sc.getASTContext());
  if (const auto *ref = dyn_cast<DeclRefExpr>(m.bound))
    if (const auto *var = dyn_cast<VarDecl>(ref->getDecl()))
      stable = isa<ParmVarDecl>(var) || var->getType().isConstQualified();
  if (!stable)
    return mismatch(m.bound->getBeginLoc(),
                    "the bound is not a constant or a parameter");

  RepeatedCode code;
  code.unit = "element";
  code.range = SourceRange(m.body.front()->getBeginLoc(),
                           m.form == ElementKernel::EarlyReturn
                               ? body->getRBracLoc()
                               : m.body.back()->getEndLoc());
  code.indices = {m.index};
  code.allowThreadIdx = sc.getStep().kind != "vectorize";
  for (const Stmt *s : m.body)
    if (llvm::Error err = checkRepeated(sc, code, s))
      return std::move(err);
  for (const Stmt *s : body->body()) {
    if (s == m.decl || s == guard || llvm::is_contained(m.body, s))
      continue;
    if (llvm::Error err = checkAroundRepeated(sc, code, s))
      return std::move(err);
    SourceLocation use;
    if (usesVar(s, m.index, use))
      return sc.refuse(use, "'" + m.index->getName() +
                                "' is used after the bounds check");
  }
  return m;
}

llvm::Error cupilot::rewrite::checkRepeated(StepContext &sc,
                                            const RepeatedCode &code,
                                            const Stmt *s) {
  ElementChecker checker(code, /*outside=*/false);
  checker.TraverseStmt(const_cast<Stmt *>(s));
  if (checker.problem.empty())
    return llvm::Error::success();
  return sc.refuse(checker.problemLoc,
                   "cannot run the per-" + code.unit +
                       " code several times per thread: " + checker.problem);
}

llvm::Error cupilot::rewrite::checkAroundRepeated(StepContext &sc,
                                                  const RepeatedCode &code,
                                                  const Stmt *s) {
  ElementChecker checker(code, /*outside=*/true);
  checker.TraverseStmt(const_cast<Stmt *>(s));
  if (checker.problem.empty())
    return llvm::Error::success();
  return sc.refuse(checker.problemLoc, "cannot change which thread handles " +
                                           withArticle(code.unit) + ": " +
                                           checker.problem);
}

//===----------------------------------------------------------------------===//
// Text helpers
//===----------------------------------------------------------------------===//

static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

std::string cupilot::rewrite::uniqueName(StepContext &sc,
                                         llvm::StringRef base) {
  llvm::StringRef text = sc.getText(sc.getKernel()->getSourceRange());
  auto used = [&](llvm::StringRef name) {
    for (size_t pos = text.find(name); pos != llvm::StringRef::npos;
         pos = text.find(name, pos + 1)) {
      bool before = pos > 0 && isIdentChar(text[pos - 1]);
      size_t end = pos + name.size();
      bool after = end < text.size() && isIdentChar(text[end]);
      if (!before && !after)
        return true;
    }
    return false;
  };
  if (!used(base))
    return base.str();
  for (unsigned n = 1;; ++n) {
    std::string name = (base + "_" + llvm::Twine(n)).str();
    if (!used(name))
      return name;
  }
}

std::string cupilot::rewrite::lineIndent(StepContext &sc, SourceLocation loc) {
  const SourceManager &sm = sc.getSourceManager();
  loc = sm.getExpansionLoc(loc);
  llvm::StringRef buffer = sm.getBufferData(sm.getFileID(loc));
  unsigned offset = sm.getFileOffset(loc);
  size_t lineStart = buffer.rfind('\n', offset);
  lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
  return buffer.substr(lineStart, offset - lineStart)
      .take_while([](char c) { return c == ' ' || c == '\t'; })
      .str();
}

bool cupilot::rewrite::startsLine(StepContext &sc, SourceLocation loc) {
  const SourceManager &sm = sc.getSourceManager();
  loc = sm.getExpansionLoc(loc);
  llvm::StringRef buffer = sm.getBufferData(sm.getFileID(loc));
  unsigned offset = sm.getFileOffset(loc);
  size_t lineStart = buffer.rfind('\n', offset);
  lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
  return buffer.substr(lineStart, offset - lineStart).trim().empty();
}

llvm::Error cupilot::rewrite::insertLinesBefore(StepContext &sc,
                                                SourceLocation loc,
                                                llvm::StringRef text) {
  const SourceManager &sm = sc.getSourceManager();
  if (loc.isMacroID())
    return sc.refuse(loc, "the code to rewrite is spelled inside a macro "
                          "expansion; expand the macro first");
  llvm::StringRef buffer = sm.getBufferData(sm.getFileID(loc));
  unsigned offset = sm.getFileOffset(loc);
  size_t lineStart = buffer.rfind('\n', offset);
  lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
  llvm::StringRef before = buffer.substr(lineStart, offset - lineStart);
  llvm::StringRef indent =
      before.take_while([](char c) { return c == ' ' || c == '\t'; });
  if (indent.size() == before.size())
    return sc.insert(loc, (text + "\n" + indent).str());
  return sc.insert(loc, ("\n" + indent + text + "\n" + indent).str());
}

SourceLocation cupilot::rewrite::getStmtEnd(StepContext &sc, const Stmt *s) {
  const SourceManager &sm = sc.getSourceManager();
  const LangOptions &lo = sc.getASTContext().getLangOpts();
  SourceLocation end =
      Lexer::getLocForEndOfToken(sm.getExpansionLoc(s->getEndLoc()), 0, sm, lo);
  if (isa<CompoundStmt>(s))
    return end;
  std::optional<Token> next =
      Lexer::findNextToken(sm.getExpansionLoc(s->getEndLoc()), sm, lo);
  if (next && next->is(tok::semi))
    return next->getEndLoc();
  return end;
}

std::string cupilot::rewrite::spellType(StepContext &sc, const VarDecl *var) {
  PrintingPolicy policy(sc.getASTContext().getLangOpts());
  policy.SuppressTagKeyword = true;
  return var->getType().getUnqualifiedType().getAsString(policy);
}

std::string cupilot::rewrite::getBuiltinName(const Expr *e) {
  e = e->IgnoreParenImpCasts();
  if (const auto *pseudo = dyn_cast<PseudoObjectExpr>(e))
    e = pseudo->getSyntacticForm()->IgnoreParenImpCasts();
  const auto *prop = dyn_cast<MSPropertyRefExpr>(e);
  if (!prop)
    return "";
  const Expr *base = prop->getBaseExpr()->IgnoreParenImpCasts();
  if (const auto *ove = dyn_cast<OpaqueValueExpr>(base))
    base = ove->getSourceExpr()->IgnoreParenImpCasts();
  const auto *ref = dyn_cast<DeclRefExpr>(base);
  if (!ref || !isBuiltinVar(ref->getDecl(), ref->getDecl()->getName()))
    return "";
  return (ref->getDecl()->getName() + "." + prop->getPropertyDecl()->getName())
      .str();
}

bool cupilot::rewrite::isSyncThreads(const Stmt *s) {
  const auto *call = dyn_cast_or_null<CallExpr>(s);
  const FunctionDecl *callee = call ? call->getDirectCallee() : nullptr;
  return callee && callee->getIdentifier() &&
         callee->getName() == "__syncthreads" && call->getNumArgs() == 0;
}

bool cupilot::rewrite::isWrittenInKernel(StepContext &sc, const VarDecl *var,
                                         const Stmt *within) {
  struct Finder : RecursiveASTVisitor<Finder> {
    const VarDecl *var;
    bool written = false;
    bool refersTo(const Expr *e) {
      const auto *r = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts());
      return r && r->getDecl() == var;
    }
    bool VisitBinaryOperator(BinaryOperator *b) {
      written |= b->isAssignmentOp() && refersTo(b->getLHS());
      return true;
    }
    bool VisitUnaryOperator(UnaryOperator *u) {
      written |= (u->isIncrementDecrementOp() || u->getOpcode() == UO_AddrOf) &&
                 refersTo(u->getSubExpr());
      return true;
    }
    bool VisitVarDecl(VarDecl *v) {
      // A non-const reference bound to it.
      if (v->getType()->isReferenceType() &&
          !v->getType()->getPointeeType().isConstQualified() && v->getInit())
        written |= refersTo(v->getInit());
      return true;
    }
  } finder;
  finder.var = var;
  finder.TraverseStmt(
      const_cast<Stmt *>(within ? within : sc.getKernel()->getBody()));
  return finder.written;
}

bool cupilot::rewrite::isThreadIndex(const Expr *e, char dim) {
  const auto *add = dyn_cast_or_null<BinaryOperator>(e->IgnoreParenImpCasts());
  if (!add || add->getOpcode() != BO_Add)
    return false;
  std::string d(1, dim);
  const Expr *l = add->getLHS(), *r = add->getRHS();
  if (getBuiltinName(l) == "threadIdx." + d)
    std::swap(l, r);
  if (getBuiltinName(r) != "threadIdx." + d)
    return false;
  const auto *mul = dyn_cast<BinaryOperator>(l->IgnoreParenImpCasts());
  if (!mul || mul->getOpcode() != BO_Mul)
    return false;
  std::string a = getBuiltinName(mul->getLHS()),
              b = getBuiltinName(mul->getRHS());
  return (a == "blockIdx." + d && b == "blockDim." + d) ||
         (a == "blockDim." + d && b == "blockIdx." + d);
}
