//===- CoarsenRows.cpp - The coarsen-rows step ----------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Coarsening along y by a factor K: in a 2-D kernel
//
//   int x = blockIdx.x * blockDim.x + threadIdx.x;
//   int y = blockIdx.y * blockDim.y + threadIdx.y;
//   if (guard) { body }
//
// each thread computes K consecutive rows:
//
//   int x = blockIdx.x * blockDim.x + threadIdx.x;
//   int y_coarsen0 = (blockIdx.y * blockDim.y + threadIdx.y) * K;
//   #pragma unroll
//   for (int y_coarsen = 0; y_coarsen < K; ++y_coarsen) {
//   int y = y_coarsen0 + y_coarsen;
//   if (guard) { body }
//   }
//
// The loop runs everything after the declaration of `y` once per row, as
// the thread that owned the row did; `if (C) return;` bounds checks become
// `if (C) continue;`. A thread's rows are adjacent, so once the loop is
// unrolled (and the pointers do not alias) the compiler can keep the rows
// that row j loads for row j + 1, which a stencil reads again. Every
// launch's grid shrinks to `(grid.y + K - 1) / K` in y.
//
// The checks are coarsen's, for y: the per-row code may run several times
// per thread for any row in any order (checkRepeated: no barriers, warp
// intrinsics, returns, jumps, writes to the indices or to variables declared
// outside it, uses of blockIdx.y, threadIdx.y or gridDim.y); the code left
// outside the loop neither writes memory nor calls functions; the bounds
// check bounds `y` from above (`y < E` among the guard's `&&` terms, E the
// same in every thread), and the grid's y extent is a ceil-division by the
// block's or a multiple of K (divideLaunchGrids), so the rows the divided grid
// adds beyond the original's fail the bounds check.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

const char *Shape =
    "; the step needs 'int x = blockIdx.x * blockDim.x + threadIdx.x;' and "
    "'int y = blockIdx.y * blockDim.y + threadIdx.y;' among the declarations "
    "that start the kernel, followed by 'if (guard) { ... }' as the last "
    "statement or by 'if (C) return;' and the rest of the kernel";

/// `if (C) return;` (or `{ return; }`) without else.
const ReturnStmt *getGuardReturn(const Stmt *s) {
  const auto *i = dyn_cast<IfStmt>(s);
  if (!i || i->getElse() || i->getInit() || i->getConditionVariable())
    return nullptr;
  const Stmt *then = i->getThen();
  if (const auto *c = dyn_cast<CompoundStmt>(then); c && c->size() == 1)
    then = c->body_front();
  const auto *ret = dyn_cast<ReturnStmt>(then);
  return ret && !ret->getRetValue() ? ret : nullptr;
}

bool refersTo(const Stmt *s, const VarDecl *var) {
  struct Finder : RecursiveASTVisitor<Finder> {
    const VarDecl *var;
    bool found = false;
    bool VisitDeclRefExpr(DeclRefExpr *r) {
      found |= r->getDecl() == var;
      return true;
    }
  } finder;
  finder.var = var;
  finder.TraverseStmt(const_cast<Stmt *>(s));
  return finder.found;
}

/// Whether `e` has the same value in every thread: it has no side effects
/// and reads no thread or block index, and no variable but parameters and
/// locals that the kernel never writes (a local's initialiser being the
/// same in every thread too), and non-local variables.
bool isSameInEveryThread(StepContext &sc, const Expr *e, unsigned depth = 0) {
  if (depth > 4 || e->HasSideEffects(sc.getASTContext()))
    return false;
  struct Finder : RecursiveASTVisitor<Finder> {
    StepContext &sc;
    unsigned depth;
    bool same = true;
    Finder(StepContext &sc, unsigned depth) : sc(sc), depth(depth) {}
    bool VisitCallExpr(CallExpr *) {
      same = false;
      return false;
    }
    bool VisitDeclRefExpr(DeclRefExpr *r) {
      const auto *var = dyn_cast<VarDecl>(r->getDecl());
      if (!var) {
        same &= isa<EnumConstantDecl>(r->getDecl());
      } else if (!var->isLocalVarDecl() && !isa<ParmVarDecl>(var)) {
        same &= var->getName() != "threadIdx" && var->getName() != "blockIdx";
      } else {
        same &= !isWrittenInKernel(sc, var) &&
                (isa<ParmVarDecl>(var) ||
                 (var->getInit() && !var->getType()->isReferenceType() &&
                  isSameInEveryThread(sc, var->getInit(), depth + 1)));
      }
      return same;
    }
  } finder(sc, depth);
  finder.TraverseStmt(const_cast<Expr *>(e));
  return finder.same;
}

/// Whether `cond`, or one of the terms `&&` joins at its top (`||` when
/// `negated`: the condition of an `if (C) return;`), keeps `row` below a
/// bound the same in every thread: `row < E`, `row <= E`, `E > row` or
/// `E >= row` (negated: `row >= E`, `row > E`, `E <= row`, `E < row`).
bool boundsAbove(StepContext &sc, const Expr *cond, const VarDecl *row,
                 bool negated) {
  const auto *b = dyn_cast<BinaryOperator>(cond->IgnoreParenImpCasts());
  if (!b)
    return false;
  if (b->getOpcode() == (negated ? BO_LOr : BO_LAnd))
    return boundsAbove(sc, b->getLHS(), row, negated) ||
           boundsAbove(sc, b->getRHS(), row, negated);
  auto isRow = [&](const Expr *e) {
    const auto *r = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts());
    return r && r->getDecl() == row;
  };
  BinaryOperatorKind op = b->getOpcode();
  if (negated)
    op = op == BO_GE   ? BO_LT
         : op == BO_GT ? BO_LE
         : op == BO_LE ? BO_GT
         : op == BO_LT ? BO_GE
                       : BO_Comma;
  if ((op == BO_LT || op == BO_LE) && isRow(b->getLHS()))
    return isSameInEveryThread(sc, b->getRHS());
  if ((op == BO_GT || op == BO_GE) && isRow(b->getRHS()))
    return isSameInEveryThread(sc, b->getLHS());
  return false;
}

} // namespace

llvm::Error cupilot::rewrite::applyCoarsenRows(StepContext &sc) {
  int64_t factor = sc.getStep().getInt("factor", 2);
  const FunctionDecl *kernel = sc.getKernel();
  const KernelInfo &info = *sc.getKernelInfo();
  const auto *body = dyn_cast_or_null<CompoundStmt>(kernel->getBody());
  if (!body)
    return sc.refuse(kernel->getLocation(), "the kernel has no body");
  if (info.features.threadDims != 2)
    return sc.refuse(kernel->getLocation(),
                     "kernel '" + info.qualifiedName + "' indexes " +
                         llvm::Twine(info.features.threadDims) +
                         " thread dimension(s); the step coarsens the rows "
                         "of 2-D kernels");
  for (const SharedMemoryDecl &shared : info.sharedMemory)
    return sc.refuseAt(shared.loc, "the kernel uses shared memory ('" +
                                       shared.name +
                                       "'), through which threads exchange "
                                       "values; the step moves rows to other "
                                       "threads, so it applies only to "
                                       "kernels without shared memory");
  if (info.features.usesSharedMemory)
    return sc.refuse(kernel->getLocation(),
                     "the kernel uses shared memory, through which threads "
                     "exchange values; rows would move to other threads");

  // The declarations that start the kernel, among them both indices.
  const VarDecl *col = nullptr, *row = nullptr;
  const DeclStmt *rowDecl = nullptr;
  auto it = body->body_begin();
  for (; it != body->body_end() && isa<DeclStmt>(*it); ++it)
    for (const Decl *d : cast<DeclStmt>(*it)->decls()) {
      const auto *var = dyn_cast<VarDecl>(d);
      if (!var || !var->getInit() || !var->getType()->isIntegerType())
        continue;
      if (!col && isThreadIndex(var->getInit(), 'x')) {
        col = var;
      } else if (!row && isThreadIndex(var->getInit(), 'y')) {
        row = var;
        rowDecl = cast<DeclStmt>(*it);
      }
    }
  if (!col || !row)
    return sc.refuse(kernel->getLocation(),
                     "kernel '" + info.qualifiedName +
                         "' does not declare both thread indices "
                         "'blockIdx.x * blockDim.x + threadIdx.x' and "
                         "'blockIdx.y * blockDim.y + threadIdx.y' at its "
                         "start" +
                         Shape);
  if (!rowDecl->isSingleDecl())
    return sc.refuse(row->getLocation(),
                     "'" + row->getName() +
                         "' is declared together with other variables; "
                         "declare it in a statement of its own");
  if (rowDecl->getBeginLoc().isMacroID() || rowDecl->getEndLoc().isMacroID() ||
      row->getInit()->getBeginLoc().isMacroID() ||
      row->getInit()->getEndLoc().isMacroID())
    return sc.refuse(rowDecl->getBeginLoc(),
                     "the declaration of '" + row->getName() +
                         "' is spelled inside a macro expansion; expand the "
                         "macro first");

  // The bounds check: `if (C) return;` (one or more) and the rest of the
  // kernel, or one `if (guard) { ... }` as the last statement.
  if (it == body->body_end())
    return sc.refuse(body->getRBracLoc(),
                     "the kernel has no bounds check after its declarations" +
                         llvm::Twine(Shape));
  const Stmt *first = *it;
  std::vector<const IfStmt *> returnChecks;
  for (; it != body->body_end() && getGuardReturn(*it); ++it)
    returnChecks.push_back(cast<IfStmt>(*it));
  std::vector<const Expr *> conditions;
  if (!returnChecks.empty()) {
    if (it == body->body_end())
      return sc.refuse(returnChecks.back()->getBeginLoc(),
                       "nothing follows the bounds check");
    for (const IfStmt *check : returnChecks)
      conditions.push_back(check->getCond());
  } else {
    const auto *guard = dyn_cast<IfStmt>(first);
    if (!guard || guard->getElse() || guard->getInit() ||
        guard->getConditionVariable())
      return sc.refuse(first->getBeginLoc(),
                       "the declarations are not followed by a bounds check "
                       "('if (guard) { ... }' without else, or 'if (C) "
                       "return;')" +
                           llvm::Twine(Shape));
    if (std::next(it) != body->body_end())
      return sc.refuse((*std::next(it))->getBeginLoc(),
                       "statements follow the bounds check; put them inside "
                       "it");
    conditions.push_back(guard->getCond());
  }
  // The divided grid may reach rows beyond the original launch's: only a
  // bounds check on the row keeps them from running.
  if (llvm::none_of(conditions,
                    [&](const Expr *c) { return refersTo(c, row); }))
    return sc.refuse(conditions.front()->getBeginLoc(),
                     "the bounds check does not test '" + row->getName() +
                         "'; the divided grid can reach rows beyond the "
                         "original launch's, which only a check of '" +
                         row->getName() + "' keeps from running");
  bool bounded = llvm::any_of(conditions, [&](const Expr *c) {
    return boundsAbove(sc, c, row, /*negated=*/!returnChecks.empty());
  });
  if (!bounded) {
    std::string y = row->getName().str();
    return sc.refuse(
        conditions.front()->getBeginLoc(),
        "the bounds check does not bound '" + y +
            "' from above; the divided grid can reach rows beyond the "
            "original launch's, which only a check '" +
            y + " < E' (E the same in every thread) keeps from running; " +
            (returnChecks.empty()
                 ? "make it one of the terms that '&&' joins in the guard"
                 : "return when '" + y + " >= E' (alone or joined by '||')"));
  }

  // Everything after the declaration of `y` runs once per row; the
  // statements before it stay once per thread.
  RepeatedCode code;
  code.unit = "row";
  code.range = SourceRange(rowDecl->getEndLoc(), body->getRBracLoc());
  code.indices = {col, row};
  code.dim = 'y';
  bool afterRow = false;
  for (const Stmt *s : body->body()) {
    if (s == rowDecl) {
      afterRow = true;
      continue;
    }
    const auto *check = dyn_cast<IfStmt>(s);
    if (check && llvm::is_contained(returnChecks, check))
      s = check->getCond();
    if (llvm::Error err = afterRow ? checkRepeated(sc, code, s)
                                   : checkAroundRepeated(sc, code, s))
      return err;
  }

  // `int y = ...;` -> the first row and the loop over the rows.
  std::string name = row->getName().str();
  std::string first0 = uniqueName(sc, name + "_coarsen0");
  std::string counter = uniqueName(sc, name + "_coarsen");
  std::string k = std::to_string(factor);
  std::string type = spellType(sc, row);
  std::string indent = lineIndent(sc, rowDecl->getBeginLoc());
  std::string text = type + " " + first0 + " = (" +
                     sc.getText(row->getInit()->getSourceRange()).str() +
                     ") * " + k + ";\n" + indent + "#pragma unroll\n" + indent +
                     "for (int " + counter + " = 0; " + counter + " < " + k +
                     "; ++" + counter + ") {\n" + indent +
                     (row->getType().isConstQualified() ? "const " : "") +
                     type + " " + name + " = " + first0 + " + " + counter + ";";
  if (llvm::Error err =
          sc.replace(CharSourceRange::getCharRange(rowDecl->getBeginLoc(),
                                                   getStmtEnd(sc, rowDecl)),
                     text))
    return err;
  // An early return moves on to the next row.
  for (const IfStmt *check : returnChecks)
    if (llvm::Error err = sc.replace(CharSourceRange::getTokenRange(
                                         getGuardReturn(check)->getBeginLoc()),
                                     "continue"))
      return err;
  if (llvm::Error err =
          insertLinesBefore(sc, body->getRBracLoc(), indent + "}"))
    return err;
  return divideLaunchGrids(sc, factor, /*dim=*/1);
}
