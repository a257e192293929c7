//===- TileToShared.cpp - The tile-to-shared step -------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Tiles the naive GEMM loop nest
//
//   int row = blockIdx.y * blockDim.y + threadIdx.y;
//   int col = blockIdx.x * blockDim.x + threadIdx.x;
//   if (row < M && col < N) {
//     float sum = 0.0f;
//     for (int k = 0; k < K; ++k)
//       sum += A[row * K + k] * B[k * N + col];
//     epilogue (C[row * N + col] = sum; ...)
//   }
//
// for blocks of TILE x TILE threads: each block stages a TILE x TILE tile of
// A (its rows, the next TILE k) and of B (the next TILE k, its columns) in
// shared memory, every thread of the block helping, then accumulates from
// the tiles:
//
//   __shared__ float A_tile[T][T];
//   __shared__ float B_tile[T][T];
//   float sum = 0.0f;
//   for (int k_tile = 0; k_tile < K; k_tile += T) {
//     {
//       int k = k_tile + threadIdx.x;
//       A_tile[threadIdx.y][threadIdx.x] = row < M && k < K ? A[row * K + k] :
//       0.0f;
//     }
//     {
//       int k = k_tile + threadIdx.y;
//       B_tile[threadIdx.y][threadIdx.x] = col < N && k < K ? B[k * N + col] :
//       0.0f;
//     }
//     __syncthreads();
//     #pragma unroll
//     for (int k = 0; k < T; ++k)
//       sum += A_tile[threadIdx.y][k] * B_tile[k][threadIdx.x];
//     __syncthreads();
//   }
//   if (row < M && col < N) {
//     epilogue
//   }
//
// The loads reuse the original index expressions with the thread's own k, so
// any A index that depends on the thread only through `row` (and B only
// through `col`) is staged correctly; out-of-range elements are zero-filled
// (they only add 0 * 0), and the sum runs over k in the original order.
// The block must be TILE x TILE: every launch in the file must have that
// block (or a set-block-size step of the plan sets it), and the step records
// it for the task's launches.
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

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

const char *Shape =
    "the step needs 'int row = blockIdx.y * blockDim.y + threadIdx.y; int "
    "col = blockIdx.x * blockDim.x + threadIdx.x; if (row < M && col < N) { "
    "float sum = 0.0f; for (int k = 0; k < K; ++k) sum += A[row * K + k] * "
    "B[k * N + col]; ... }' as the whole kernel body";

const VarDecl *singleVar(const Stmt *s) {
  const auto *ds = dyn_cast_or_null<DeclStmt>(s);
  return ds && ds->isSingleDecl() ? dyn_cast<VarDecl>(ds->getSingleDecl())
                                  : nullptr;
}

const DeclRefExpr *refTo(const Expr *e, const VarDecl *var) {
  const auto *ref = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts());
  return ref && ref->getDecl() == var ? ref : nullptr;
}

/// What an index expression of A or B mentions; `ok` is false when it uses
/// anything but the named variables, parameters and integer arithmetic.
struct IndexUse {
  bool ok = true;
  bool row = false, col = false, k = false;
  SourceLocation bad;
};

class IndexScanner : public RecursiveASTVisitor<IndexScanner> {
public:
  IndexScanner(StepContext &sc, const VarDecl *row, const VarDecl *col,
               const VarDecl *k, IndexUse &use)
      : sc(sc), row(row), col(col), k(k), use(use) {}

  bool VisitStmt(Stmt *s) {
    if (isa<DeclRefExpr>(s) || isa<IntegerLiteral>(s) || isa<ParenExpr>(s) ||
        isa<ImplicitCastExpr>(s))
      return true;
    if (const auto *b = dyn_cast<BinaryOperator>(s))
      if (b->getOpcode() == BO_Add || b->getOpcode() == BO_Sub ||
          b->getOpcode() == BO_Mul)
        return true;
    fail(s->getBeginLoc());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    const ValueDecl *d = ref->getDecl();
    if (d == row)
      use.row = true;
    else if (d == col)
      use.col = true;
    else if (d == k)
      use.k = true;
    else if (const auto *p = dyn_cast<ParmVarDecl>(d);
             p && p->getType()->isIntegerType() && !isWrittenInKernel(sc, p))
      return true;
    else
      fail(ref->getBeginLoc());
    return true;
  }

private:
  void fail(SourceLocation loc) {
    if (use.ok) {
      use.ok = false;
      use.bad = loc;
    }
  }
  StepContext &sc;
  const VarDecl *row, *col, *k;
  IndexUse &use;
};

/// A bound that holds for the whole kernel: a constant or an integer
/// parameter the kernel never changes.
bool isStableBound(StepContext &sc, const Expr *e) {
  e = e->IgnoreParenImpCasts();
  if (e->isIntegerConstantExpr(sc.getASTContext()))
    return true;
  const auto *ref = dyn_cast<DeclRefExpr>(e);
  const auto *p = ref ? dyn_cast<ParmVarDecl>(ref->getDecl()) : nullptr;
  return p && p->getType()->isIntegerType() && !isWrittenInKernel(sc, p);
}

class Rule {
public:
  Rule(StepContext &sc) : sc(sc), tile(sc.getStep().getInt("tile", 16)) {}
  llvm::Error run();

private:
  llvm::Error fail(SourceLocation loc, const llvm::Twine &why) {
    return sc.refuse(loc,
                     "not the naive GEMM loop nest: " + why + "; " + Shape);
  }
  llvm::Error match();
  llvm::Error matchProduct(const Stmt *s);
  llvm::Error checkLaunches();

  StepContext &sc;
  int64_t tile;
  const VarDecl *row = nullptr, *col = nullptr;
  const IfStmt *guard = nullptr;
  const BinaryOperator *rowCheck = nullptr, *colCheck = nullptr;
  const DeclStmt *accDecl = nullptr;
  const VarDecl *acc = nullptr;
  const ForStmt *loop = nullptr;
  const VarDecl *k = nullptr;
  const ArraySubscriptExpr *a = nullptr, *b = nullptr;
};

llvm::Error Rule::matchProduct(const Stmt *s) {
  if (const auto *compound = dyn_cast<CompoundStmt>(s)) {
    if (compound->size() != 1)
      return fail(s->getBeginLoc(), "the loop body is not one statement");
    s = compound->body_front();
  }
  const auto *add = dyn_cast<BinaryOperator>(s);
  if (!add || add->getOpcode() != BO_AddAssign || !refTo(add->getLHS(), acc))
    return fail(s->getBeginLoc(), "the loop body is not '" + acc->getName() +
                                      " += A[...] * B[...]'");
  const auto *mul =
      dyn_cast<BinaryOperator>(add->getRHS()->IgnoreParenImpCasts());
  if (!mul || mul->getOpcode() != BO_Mul)
    return fail(add->getRHS()->getBeginLoc(),
                "the loop does not accumulate a product");
  for (const Expr *operand : {mul->getLHS(), mul->getRHS()}) {
    const auto *sub =
        dyn_cast<ArraySubscriptExpr>(operand->IgnoreParenImpCasts());
    const auto *base =
        sub ? dyn_cast<DeclRefExpr>(sub->getBase()->IgnoreParenImpCasts())
            : nullptr;
    const auto *param = base ? dyn_cast<ParmVarDecl>(base->getDecl()) : nullptr;
    if (!param || !param->getType()->isPointerType())
      return fail(operand->getBeginLoc(),
                  "a factor is not an element of a pointer parameter");
    IndexUse use;
    IndexScanner scanner(sc, row, col, k, use);
    scanner.TraverseStmt(const_cast<Expr *>(sub->getIdx()));
    if (!use.ok)
      return fail(use.bad, "the index of '" + param->getName() +
                               "' uses more than '" + row->getName() + "', '" +
                               col->getName() + "', '" + k->getName() +
                               "', integer parameters and + - *");
    if (use.k && use.row && !use.col && !a)
      a = sub;
    else if (use.k && use.col && !use.row && !b)
      b = sub;
    else
      return fail(sub->getBeginLoc(),
                  "the index of '" + param->getName() +
                      "' does not depend on '" + k->getName() +
                      "' and exactly one of '" + row->getName() + "' and '" +
                      col->getName() + "'");
  }
  for (const ArraySubscriptExpr *sub : {a, b}) {
    const auto *param = cast<ParmVarDecl>(
        cast<DeclRefExpr>(sub->getBase()->IgnoreParenImpCasts())->getDecl());
    QualType element = param->getType()->getPointeeType().getCanonicalType();
    if (element.isVolatileQualified() ||
        !(element->isSpecificBuiltinType(BuiltinType::Float) ||
          element->isSpecificBuiltinType(BuiltinType::Double)))
      return sc.refuse(param->getLocation(),
                       "'" + param->getName() + "' has elements of type '" +
                           element.getAsString() +
                           "'; the step stages float or double tiles");
    PointerUses uses =
        analyzePointerUses(sc.getKernel(), param, sc.getASTContext());
    if (!uses.writes.empty())
      return sc.refuse(uses.writes.front(),
                       "the kernel writes through '" + param->getName() +
                           "', which the step would read from a stale tile");
  }
  return llvm::Error::success();
}

llvm::Error Rule::match() {
  const FunctionDecl *kernel = sc.getKernel();
  const auto *body = cast<CompoundStmt>(kernel->getBody());
  if (body->size() != 3)
    return fail(kernel->getLocation(),
                "the kernel body has " + llvm::Twine(body->size()) +
                    " statements, not the 2 index declarations and the "
                    "bounds check");
  auto it = body->body_begin();
  const VarDecl *first = singleVar(*it), *second = singleVar(*std::next(it));
  for (const VarDecl *v : {first, second}) {
    if (!v || !v->getInit() || !v->getType()->isIntegerType())
      continue;
    if (isThreadIndex(v->getInit(), 'y'))
      row = v;
    else if (isThreadIndex(v->getInit(), 'x'))
      col = v;
  }
  if (!row || !col)
    return fail((*it)->getBeginLoc(),
                "the kernel does not start with the 2-D thread indices 'row' "
                "(y) and 'col' (x)");
  for (const VarDecl *v : {row, col})
    if (isWrittenInKernel(sc, v))
      return fail(v->getLocation(), "'" + v->getName() + "' changes");
  guard = dyn_cast<IfStmt>(*std::next(it, 2));
  if (!guard || guard->getElse() || guard->getInit() ||
      guard->getConditionVariable())
    return fail((*std::next(it, 2))->getBeginLoc(),
                "the indices are not followed by a bounds check without "
                "else");
  const auto *both =
      dyn_cast<BinaryOperator>(guard->getCond()->IgnoreParenImpCasts());
  if (!both || both->getOpcode() != BO_LAnd)
    return fail(guard->getCond()->getBeginLoc(),
                "the bounds check is not 'row < M && col < N'");
  for (const Expr *side : {both->getLHS(), both->getRHS()}) {
    const auto *lt = dyn_cast<BinaryOperator>(side->IgnoreParenImpCasts());
    if (!lt || lt->getOpcode() != BO_LT || !isStableBound(sc, lt->getRHS()))
      continue;
    if (refTo(lt->getLHS(), row) && !rowCheck)
      rowCheck = lt;
    else if (refTo(lt->getLHS(), col) && !colCheck)
      colCheck = lt;
  }
  if (!rowCheck || !colCheck)
    return fail(guard->getCond()->getBeginLoc(),
                "the bounds check is not 'row < M && col < N' with constant "
                "or parameter bounds");
  const auto *then = dyn_cast<CompoundStmt>(guard->getThen());
  if (!then || then->size() < 2)
    return fail(guard->getThen()->getBeginLoc(),
                "the guarded block does not hold the accumulator and the "
                "loop");
  accDecl = dyn_cast<DeclStmt>(then->body_front());
  acc = singleVar(accDecl);
  if (!acc || !acc->getType()->isRealFloatingType() || !acc->getInit() ||
      !acc->getInit()->isEvaluatable(sc.getASTContext()))
    return fail(then->body_front()->getBeginLoc(),
                "the guarded block does not start with a floating-point "
                "accumulator with a constant initial value");
  loop = dyn_cast<ForStmt>(*std::next(then->body_begin()));
  if (!loop)
    return fail((*std::next(then->body_begin()))->getBeginLoc(),
                "the accumulator is not followed by the loop over k");
  k = singleVar(loop->getInit());
  const Expr *kInit = k && k->getInit() ? k->getInit() : nullptr;
  Expr::EvalResult zero;
  if (!k || !k->getType()->isIntegerType() || !kInit ||
      !kInit->EvaluateAsInt(zero, sc.getASTContext()) || zero.Val.getInt() != 0)
    return fail(loop->getBeginLoc(), "the loop does not start at 'k = 0'");
  const auto *cond = dyn_cast_or_null<BinaryOperator>(
      loop->getCond() ? loop->getCond()->IgnoreParenImpCasts() : nullptr);
  if (!cond || cond->getOpcode() != BO_LT || !refTo(cond->getLHS(), k) ||
      !isStableBound(sc, cond->getRHS()))
    return fail(loop->getBeginLoc(),
                "the loop does not run while 'k < K' with a constant or "
                "parameter K");
  const Expr *inc =
      loop->getInc() ? loop->getInc()->IgnoreParenImpCasts() : nullptr;
  bool step = false;
  if (const auto *u = dyn_cast_or_null<UnaryOperator>(inc))
    step = u->isIncrementOp() && refTo(u->getSubExpr(), k);
  else if (const auto *c = dyn_cast_or_null<BinaryOperator>(inc))
    step =
        c->getOpcode() == BO_AddAssign && refTo(c->getLHS(), k) &&
        isa<IntegerLiteral>(c->getRHS()->IgnoreParenImpCasts()) &&
        cast<IntegerLiteral>(c->getRHS()->IgnoreParenImpCasts())->getValue() ==
            1;
  if (!step)
    return fail(loop->getBeginLoc(), "the loop does not step by 1");
  if (isWrittenInKernel(sc, k, loop->getBody()))
    return fail(k->getLocation(), "'" + k->getName() + "' changes in the loop");
  return matchProduct(loop->getBody());
}

llvm::Error Rule::checkLaunches() {
  bool square = false;
  std::string hint;
  for (const CUDAKernelCallExpr *launch :
       findLaunches(sc.getKernel(), sc.getASTContext()))
    if (std::optional<std::array<int64_t, 3>> block =
            getLaunchBlock(sc, launch)) {
      int64_t x = (*block)[0];
      square = x == (*block)[1] && (*block)[2] == 1 &&
               (x == 8 || x == 16 || x == 32) && x != tile;
      if (square) {
        hint = " or choose 'tile: " + std::to_string(x) + "'";
        break;
      }
    }
  return requireLaunchBlock(sc, {tile, tile, 1}, hint);
}

llvm::Error Rule::run() {
  const KernelInfo &info = *sc.getKernelInfo();
  if (info.features.threadDims != 2)
    return sc.refuse(sc.getKernel()->getLocation(),
                     "kernel '" + info.qualifiedName + "' indexes " +
                         llvm::Twine(info.features.threadDims) +
                         " thread dimension(s); the tiles need a 2-D block");
  if (llvm::Error err = match())
    return err;
  if (llvm::Error err = checkLaunches())
    return err;

  auto paramOf = [](const ArraySubscriptExpr *sub) {
    return cast<ParmVarDecl>(
        cast<DeclRefExpr>(sub->getBase()->IgnoreParenImpCasts())->getDecl());
  };
  const ParmVarDecl *pa = paramOf(a), *pb = paramOf(b);
  std::string aTile = uniqueName(sc, pa->getName().str() + "_tile");
  std::string bTile = uniqueName(sc, pb->getName().str() + "_tile");
  if (bTile == aTile)
    bTile = uniqueName(sc, pb->getName().str() + "_tile_b");
  std::string kName = k->getName().str();
  std::string kTile = uniqueName(sc, kName + "_tile");
  std::string kType = spellType(sc, k);
  PrintingPolicy policy(sc.getASTContext().getLangOpts());
  auto elementOf = [&](const ParmVarDecl *p) {
    return p->getType()->getPointeeType().getUnqualifiedType().getAsString(
        policy);
  };
  auto zeroOf = [&](const ParmVarDecl *p) {
    return p->getType()->getPointeeType()->isSpecificBuiltinType(
               BuiltinType::Float)
               ? std::string("0.0f")
               : std::string("0.0");
  };
  std::string t = std::to_string(tile);
  std::string indent = lineIndent(sc, guard->getBeginLoc());
  std::string in1 = indent + "  ", in2 = indent + "    ";
  const Expr *spelled[] = {a, b, rowCheck->getRHS(), colCheck->getRHS(),
                           loop->getCond()};
  for (const Expr *e : spelled)
    if (e->getBeginLoc().isMacroID() || e->getEndLoc().isMacroID())
      return sc.refuse(e->getBeginLoc(), "'" + sc.getText(e->getSourceRange()) +
                                             "' is spelled inside a macro "
                                             "expansion; expand the macro "
                                             "first");
  std::string rowText = sc.getText(rowCheck->getSourceRange()).str();
  std::string colText = sc.getText(colCheck->getSourceRange()).str();
  std::string kCond = sc.getText(loop->getCond()->getSourceRange()).str();
  std::string bound =
      sc.getText(cast<BinaryOperator>(loop->getCond()->IgnoreParenImpCasts())
                     ->getRHS()
                     ->getSourceRange())
          .str();
  std::string accText =
      sc.getText(CharSourceRange::getCharRange(accDecl->getBeginLoc(),
                                               getStmtEnd(sc, accDecl)))
          .str();
  std::string code =
      "__shared__ " + elementOf(pa) + " " + aTile + "[" + t + "][" + t +
      "];\n" + indent + "__shared__ " + elementOf(pb) + " " + bTile + "[" + t +
      "][" + t + "];\n" + indent + accText + "\n" + indent + "for (" + kType +
      " " + kTile + " = 0; " + kTile + " < " + bound + "; " + kTile +
      " += " + t + ") {\n" + in1 + "{\n" + in2 + kType + " " + kName + " = " +
      kTile + " + threadIdx.x;\n" + in2 + aTile +
      "[threadIdx.y][threadIdx.x] = " + rowText + " && " + kCond + " ? " +
      sc.getText(a->getSourceRange()).str() + " : " + zeroOf(pa) + ";\n" + in1 +
      "}\n" + in1 + "{\n" + in2 + kType + " " + kName + " = " + kTile +
      " + threadIdx.y;\n" + in2 + bTile +
      "[threadIdx.y][threadIdx.x] = " + colText + " && " + kCond + " ? " +
      sc.getText(b->getSourceRange()).str() + " : " + zeroOf(pb) + ";\n" + in1 +
      "}\n" + in1 + "__syncthreads();\n" + in1 + "#pragma unroll\n" + in1 +
      "for (" + kType + " " + kName + " = 0; " + kName + " < " + t + "; ++" +
      kName + ")\n" + in2 + acc->getName().str() + " += " + aTile +
      "[threadIdx.y][" + kName + "] * " + bTile + "[" + kName +
      "][threadIdx.x];\n" + in1 + "__syncthreads();\n" + indent + "}\n" +
      indent + "if (" + sc.getText(guard->getCond()->getSourceRange()).str() +
      ") {";
  return sc.replace(
      CharSourceRange::getCharRange(guard->getBeginLoc(), getStmtEnd(sc, loop)),
      code);
}

} // namespace

llvm::Error cupilot::rewrite::applyTileToShared(StepContext &sc) {
  return Rule(sc).run();
}
