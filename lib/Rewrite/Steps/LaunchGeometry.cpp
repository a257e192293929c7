//===- LaunchGeometry.cpp - Reading and changing kernel launches ----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// What steps that change a kernel's launch geometry share: the block of a
// launch when it is made of constants, checking that launches use the block
// a rewritten kernel needs, and dividing the grid of every launch when each
// thread takes several elements. Each records a LaunchChange, which the
// task's launches of the kernel follow.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <optional>

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

const Expr *strip(const Expr *e) {
  while (true) {
    e = e->IgnoreParenImpCasts();
    if (const auto *c = dyn_cast<CXXConstructExpr>(e);
        c && c->getNumArgs() == 1 &&
        c->getConstructor()->isCopyOrMoveConstructor()) {
      e = c->getArg(0);
      continue;
    }
    if (const auto *m = dyn_cast<MaterializeTemporaryExpr>(e)) {
      e = m->getSubExpr();
      continue;
    }
    if (const auto *b = dyn_cast<CXXBindTemporaryExpr>(e)) {
      e = b->getSubExpr();
      continue;
    }
    // `dim3(x)`, `int(x)`.
    if (const auto *f = dyn_cast<CXXFunctionalCastExpr>(e)) {
      e = f->getSubExpr();
      continue;
    }
    return e;
  }
}

bool isDim3(QualType type) {
  const auto *record = type->getAsCXXRecordDecl();
  return record && record->getName() == "dim3";
}

/// Looks through the implicit conversion of an integer to dim3 that a
/// launch configuration `<<<blocks, 256>>>` contains.
const Expr *unwrapImplicitDim3(const Expr *e) {
  const auto *c = dyn_cast<CXXConstructExpr>(strip(e));
  if (!c || isa<CXXTemporaryObjectExpr>(c) ||
      c->getParenOrBraceRange().isValid() || c->getNumArgs() == 0 ||
      c->getConstructor()->getParent()->getName() != "dim3")
    return e;
  for (unsigned i = 1; i < c->getNumArgs(); ++i)
    if (!isa<CXXDefaultArgExpr>(c->getArg(i)))
      return e;
  return c->getArg(0);
}

/// `dim3(a, b)` or `dim3 v(a, b)` as written (not a conversion).
const CXXConstructExpr *dim3Construct(const Expr *e) {
  if (!e)
    return nullptr;
  const auto *c = dyn_cast<CXXConstructExpr>(strip(e));
  if (!c || c->getConstructor()->getParent()->getName() != "dim3" ||
      c->getNumArgs() == 0 || isa<CXXDefaultArgExpr>(c->getArg(0)))
    return nullptr;
  return c;
}

/// Whether host code changes `var` after its declaration (or may, through
/// its address).
bool changedAfterInit(const VarDecl *var) {
  const auto *fn =
      dyn_cast_or_null<FunctionDecl>(var->getParentFunctionOrMethod());
  if (!fn || !fn->getBody())
    return true;
  struct Finder : RecursiveASTVisitor<Finder> {
    const VarDecl *var;
    bool changed = false;
    bool refersTo(const Expr *e) {
      e = e->IgnoreParenImpCasts();
      if (const auto *m = dyn_cast<MemberExpr>(e))
        e = m->getBase()->IgnoreParenImpCasts();
      const auto *r = dyn_cast<DeclRefExpr>(e);
      return r && r->getDecl() == var;
    }
    bool VisitBinaryOperator(BinaryOperator *b) {
      changed |= b->isAssignmentOp() && refersTo(b->getLHS());
      return true;
    }
    bool VisitUnaryOperator(UnaryOperator *u) {
      changed |= (u->isIncrementDecrementOp() || u->getOpcode() == UO_AddrOf) &&
                 refersTo(u->getSubExpr());
      return true;
    }
    bool VisitCXXOperatorCallExpr(CXXOperatorCallExpr *op) {
      changed |= op->isAssignmentOp() && op->getNumArgs() > 0 &&
                 refersTo(op->getArg(0));
      return true;
    }
  } finder;
  finder.var = var;
  finder.TraverseStmt(fn->getBody());
  return finder.changed;
}

/// The local variable `e` names, when it has an initializer that still
/// holds.
const VarDecl *stableLocal(const Expr *e) {
  const auto *ref = dyn_cast<DeclRefExpr>(strip(e));
  const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
  if (!var || !var->isLocalVarDecl() || !var->getInit() ||
      changedAfterInit(var))
    return nullptr;
  return var;
}

std::optional<int64_t> literalValue(const Expr *e, const ASTContext &ctx) {
  for (unsigned hops = 0; e && hops < 4; ++hops) {
    Expr::EvalResult result;
    if (!e->isValueDependent() && strip(e)->getType()->isIntegerType() &&
        e->EvaluateAsInt(result, ctx))
      return result.Val.getInt().getSExtValue();
    const VarDecl *var = stableLocal(e);
    e = var ? var->getInit() : nullptr;
  }
  return std::nullopt;
}

/// The name of a grid or block dimension.
const char *dimName(unsigned dim) { return dim == 0 ? "x" : "y"; }

/// The x (or y) extent of a launch's block: its value when known, and the
/// variable that holds it (an int, or a dim3 whose `.x` it is).
struct BlockExtent {
  unsigned dim = 0;
  std::optional<int64_t> value;
  const VarDecl *var = nullptr;
  bool isDim3Var = false;
};

/// Argument `dim` of `dim3(...)`: a value, or 1 when left out.
std::optional<int64_t> dim3Extent(const CXXConstructExpr *c, unsigned dim,
                                  const ASTContext &ctx) {
  if (dim >= c->getNumArgs() || isa<CXXDefaultArgExpr>(c->getArg(dim)))
    return 1;
  return literalValue(c->getArg(dim), ctx);
}

BlockExtent resolveBlock(const Expr *arg, const ASTContext &ctx, unsigned dim) {
  BlockExtent block;
  block.dim = dim;
  const Expr *e = strip(unwrapImplicitDim3(arg));
  if (const auto *ref = dyn_cast<DeclRefExpr>(e)) {
    block.var = dyn_cast<VarDecl>(ref->getDecl());
    if (block.var && isDim3(block.var->getType())) {
      block.isDim3Var = true;
      if (const CXXConstructExpr *c = dim3Construct(block.var->getInit());
          c && !changedAfterInit(block.var))
        block.value = dim3Extent(c, dim, ctx);
      return block;
    }
  }
  if (const CXXConstructExpr *c = dim3Construct(e)) {
    block.value = dim3Extent(c, dim, ctx);
    return block;
  }
  if (dim != 0) {
    // An integer block has one thread in y.
    block.var = nullptr;
    block.value = 1;
    return block;
  }
  block.value = literalValue(e, ctx);
  return block;
}

bool isBlockExtent(const Expr *e, const BlockExtent &block,
                   const ASTContext &ctx) {
  e = strip(e);
  if (const auto *m = dyn_cast<MemberExpr>(e)) {
    const auto *ref = dyn_cast<DeclRefExpr>(strip(m->getBase()));
    return block.isDim3Var && ref && ref->getDecl() == block.var &&
           m->getMemberDecl()->getName() == dimName(block.dim);
  }
  if (const auto *ref = dyn_cast<DeclRefExpr>(e);
      ref && !block.isDim3Var && block.var && ref->getDecl() == block.var)
    return true;
  std::optional<int64_t> v = literalValue(e, ctx);
  return v && block.value && *v == *block.value;
}

void flattenSum(const Expr *e, bool positive,
                std::vector<std::pair<const Expr *, bool>> &terms) {
  e = e->IgnoreParenImpCasts();
  if (const auto *b = dyn_cast<BinaryOperator>(e)) {
    if (b->getOpcode() == BO_Add || b->getOpcode() == BO_Sub) {
      flattenSum(b->getLHS(), positive, terms);
      flattenSum(b->getRHS(), b->getOpcode() == BO_Add ? positive : !positive,
                 terms);
      return;
    }
  }
  terms.push_back({e, positive});
}

/// `(x + B - 1) / B` or `(x + C) / B` with C == B - 1, where B is the
/// block's extent, possibly through local variables.
bool isCeilDivByBlock(const Expr *e, const BlockExtent &block,
                      const ASTContext &ctx) {
  for (unsigned hops = 0; e && hops < 4; ++hops) {
    const auto *div = dyn_cast<BinaryOperator>(strip(e));
    if (div && div->getOpcode() == BO_Div) {
      if (!isBlockExtent(div->getRHS(), block, ctx))
        return false;
      std::vector<std::pair<const Expr *, bool>> terms;
      flattenSum(div->getLHS(), true, terms);
      bool hasBlock = false, minusOne = false, blockMinusOne = false;
      for (auto [term, positive] : terms) {
        std::optional<int64_t> v;
        if (const auto *lit = dyn_cast<IntegerLiteral>(strip(term)))
          v = lit->getValue().getSExtValue();
        if (positive && isBlockExtent(term, block, ctx))
          hasBlock = true;
        else if (!positive && v && *v == 1)
          minusOne = true;
        else if (positive && v && block.value && *v == *block.value - 1)
          blockMinusOne = true;
      }
      return (hasBlock && minusOne) || blockMinusOne;
    }
    const VarDecl *var = stableLocal(e);
    e = var ? var->getInit() : nullptr;
  }
  return false;
}

/// Whether `e` needs parentheses as the left operand of `+`.
bool needsParens(const Expr *e) {
  e = e->IgnoreImpCasts();
  if (const auto *b = dyn_cast<BinaryOperator>(e))
    return !(b->isMultiplicativeOp() || b->isAdditiveOp());
  return isa<ConditionalOperator>(e) || isa<BinaryConditionalOperator>(e);
}

class GridDivider {
public:
  GridDivider(StepContext &sc, int64_t factor, unsigned dim)
      : sc(sc), factor(factor), dim(dim) {}

  llvm::Error run();

private:
  llvm::Error divide(const CUDAKernelCallExpr *launch);
  /// Checks that dividing the integer grid extent `e` keeps the elements.
  llvm::Error checkCovers(const Expr *e, const BlockExtent &block);
  /// Refuses a grid whose y extent is a fixed 1 (an integer grid, or a
  /// dim3 without it).
  llvm::Error refuseSingleRowOfBlocks(const Expr *grid);
  /// `e` -> `(e + factor-1) / factor`, through insertions only so that
  /// edits of other steps inside `e` (set-block-size) still apply.
  llvm::Error wrap(const Expr *e);

  StepContext &sc;
  int64_t factor;
  /// The grid dimension to divide: 0 (x) or 1 (y).
  unsigned dim;
};

llvm::Error GridDivider::checkCovers(const Expr *e, const BlockExtent &block) {
  if (isCeilDivByBlock(e, block, sc.getASTContext()))
    return llvm::Error::success();
  if (std::optional<int64_t> v = literalValue(e, sc.getASTContext())) {
    if (*v % factor == 0)
      return llvm::Error::success();
    if (dim != 0)
      return sc.refuse(e->getBeginLoc(),
                       "the grid has a fixed " + llvm::Twine(*v) +
                           " blocks in y, not a multiple of " +
                           llvm::Twine(factor) +
                           "; the divided grid would reach rows the "
                           "original launch leaves alone");
    return sc.refuse(e->getBeginLoc(),
                     "the grid has a fixed " + llvm::Twine(*v) +
                         " blocks, not a multiple of " + llvm::Twine(factor) +
                         "; the divided grid would reach elements the "
                         "original launch leaves alone");
  }
  if (dim != 0)
    return sc.refuse(e->getBeginLoc(),
                     "cannot tell that the grid covers all rows, so dividing "
                     "its y extent by " +
                         llvm::Twine(factor) +
                         " could reach rows the original launch leaves alone; "
                         "write the grid's y extent as a ceil-division by the "
                         "block's (e.g. '(H + 7) / 8' for blocks of 8 rows) "
                         "or as a multiple of " +
                         llvm::Twine(factor));
  return sc.refuse(e->getBeginLoc(),
                   "cannot tell that the grid covers all elements, so "
                   "dividing it by " +
                       llvm::Twine(factor) +
                       " could reach elements the original launch leaves "
                       "alone; write the grid as a ceil-division by the block "
                       "size (e.g. '(n + 255) / 256') or as a multiple of " +
                       llvm::Twine(factor));
}

llvm::Error GridDivider::refuseSingleRowOfBlocks(const Expr *grid) {
  return sc.refuse(grid->getBeginLoc(),
                   "the grid has a fixed 1 block in y, not a multiple of " +
                       llvm::Twine(factor) +
                       "; the divided grid would reach rows the original "
                       "launch leaves alone. Launch a 2-D grid whose y extent "
                       "is a ceil-division by the block's");
}

llvm::Error GridDivider::wrap(const Expr *e) {
  SourceRange range = e->getSourceRange();
  if (std::optional<int64_t> v = literalValue(e, sc.getASTContext());
      v && isa<IntegerLiteral>(strip(e)))
    return sc.replace(CharSourceRange::getTokenRange(range),
                      std::to_string(*v / factor));
  const SourceManager &sm = sc.getSourceManager();
  SourceLocation begin = range.getBegin();
  SourceLocation end = Lexer::getLocForEndOfToken(
      range.getEnd(), 0, sm, sc.getASTContext().getLangOpts());
  if (begin.isMacroID() || end.isInvalid() || end.isMacroID())
    return sc.refuse(begin, "the grid is spelled inside a macro expansion; "
                            "expand the macro first");
  bool parens = needsParens(e);
  std::string open = parens ? "((" : "(";
  std::string close = (parens ? ")" : "") + std::string(" + ") +
                      std::to_string(factor - 1) + ") / " +
                      std::to_string(factor);
  if (llvm::Error err = sc.insert(begin, open))
    return err;
  return sc.insert(end, close);
}

llvm::Error GridDivider::divide(const CUDAKernelCallExpr *launch) {
  const CallExpr *config = launch->getConfig();
  if (!config || config->getNumArgs() < 2)
    return sc.refuse(launch->getBeginLoc(), "the launch has no grid argument");
  BlockExtent block = resolveBlock(config->getArg(1), sc.getASTContext(), dim);
  const Expr *grid = unwrapImplicitDim3(config->getArg(0));
  const Expr *inner = strip(grid);
  if (inner->getType()->isIntegerType()) {
    if (dim != 0)
      return refuseSingleRowOfBlocks(grid);
    if (llvm::Error err = checkCovers(grid, block))
      return err;
    return wrap(grid);
  }
  // The extent `dim` of `dim3(...)`, or null when left out.
  auto extent = [&](const CXXConstructExpr *c) -> const Expr * {
    if (dim >= c->getNumArgs() || isa<CXXDefaultArgExpr>(c->getArg(dim)))
      return nullptr;
    return c->getArg(dim);
  };
  if (const CXXConstructExpr *c = dim3Construct(inner)) {
    const Expr *e = extent(c);
    if (!e)
      return refuseSingleRowOfBlocks(grid);
    if (llvm::Error err = checkCovers(e, block))
      return err;
    return wrap(e);
  }
  if (const auto *ref = dyn_cast<DeclRefExpr>(inner)) {
    const auto *var = dyn_cast<VarDecl>(ref->getDecl());
    const CXXConstructExpr *c =
        var && var->isLocalVarDecl() ? dim3Construct(var->getInit()) : nullptr;
    if (c && !changedAfterInit(var)) {
      const Expr *e = extent(c);
      if (!e)
        return refuseSingleRowOfBlocks(grid);
      if (llvm::Error err = checkCovers(e, block))
        return err;
      // `grid` -> `dim3((grid.x + K-1) / K, grid.y, grid.z)` (or the y
      // extent divided).
      std::string name = var->getName().str();
      SourceLocation begin = ref->getBeginLoc();
      SourceLocation end =
          Lexer::getLocForEndOfToken(ref->getEndLoc(), 0, sc.getSourceManager(),
                                     sc.getASTContext().getLangOpts());
      if (begin.isMacroID() || end.isInvalid())
        return sc.refuse(begin, "the grid is spelled inside a macro "
                                "expansion; expand the macro first");
      std::string divided = ") / " + std::to_string(factor);
      std::string plus = " + " + std::to_string(factor - 1);
      if (dim != 0) {
        if (llvm::Error err = sc.insert(begin, "dim3(" + name + ".x, ("))
          return err;
        return sc.insert(end, ".y" + plus + divided + ", " + name + ".z)");
      }
      if (llvm::Error err = sc.insert(begin, "dim3(("))
        return err;
      return sc.insert(end, ".x" + plus + divided + ", " + name + ".y, " +
                                name + ".z)");
    }
  }
  if (dim != 0)
    return sc.refuse(grid->getBeginLoc(),
                     "cannot divide the y extent of this grid by " +
                         llvm::Twine(factor) +
                         "; give the launch a dim3(...) or a local dim3 "
                         "variable that is not changed after its declaration");
  return sc.refuse(grid->getBeginLoc(),
                   "cannot divide this grid by " + llvm::Twine(factor) +
                       "; give the launch an integer grid, a dim3(...) or a "
                       "local dim3 variable that is not changed after its "
                       "declaration");
}

llvm::Error GridDivider::run() {
  std::vector<const CUDAKernelCallExpr *> launches =
      findLaunches(sc.getKernel(), sc.getASTContext());
  for (const CUDAKernelCallExpr *launch : launches)
    if (llvm::Error err = divide(launch))
      return err;
  // One change for the kernel's launch geometry (the task's), located at
  // the first launch in the file, or at the kernel when there is none.
  LaunchChange change =
      makeLaunchChange(sc, launches.empty() ? nullptr : launches.front());
  change.gridDivisor = factor;
  change.gridDivisorDim = dim;
  sc.getResult().launchChanges.push_back(change);
  return llvm::Error::success();
}

} // namespace

LaunchChange cupilot::rewrite::makeLaunchChange(StepContext &sc,
                                                const CUDAKernelCallExpr *at) {
  const KernelInfo &info = *sc.getKernelInfo();
  LaunchChange change;
  change.step = sc.getStepIndex();
  change.kind = sc.getStep().kind;
  change.kernel = info.qualifiedName;
  change.loc = info.loc;
  if (at) {
    const SourceManager &sm = sc.getSourceManager();
    PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(at->getBeginLoc()));
    change.loc.file = p.getFilename();
    change.loc.line = p.getLine();
    change.loc.column = p.getColumn();
  }
  return change;
}

std::optional<std::array<int64_t, 3>>
cupilot::rewrite::getLaunchBlock(StepContext &sc,
                                 const CUDAKernelCallExpr *launch) {
  const CallExpr *config = launch->getConfig();
  if (!config || config->getNumArgs() < 2)
    return std::nullopt;
  const ASTContext &ctx = sc.getASTContext();
  const Expr *e = strip(unwrapImplicitDim3(config->getArg(1)));
  std::array<int64_t, 3> block = {1, 1, 1};
  if (e->getType()->isIntegerType()) {
    std::optional<int64_t> x = literalValue(e, ctx);
    if (!x)
      return std::nullopt;
    block[0] = *x;
    return block;
  }
  const CXXConstructExpr *c = dim3Construct(e);
  if (!c)
    if (const VarDecl *var = stableLocal(e))
      c = dim3Construct(var->getInit());
  if (!c)
    return std::nullopt;
  for (unsigned d = 0; d < c->getNumArgs() && d < 3; ++d) {
    if (isa<CXXDefaultArgExpr>(c->getArg(d)))
      break;
    std::optional<int64_t> v = literalValue(c->getArg(d), ctx);
    if (!v)
      return std::nullopt;
    block[d] = *v;
  }
  return block;
}

llvm::Error cupilot::rewrite::divideLaunchGrids(StepContext &sc, int64_t factor,
                                                unsigned dim) {
  return GridDivider(sc, factor, dim).run();
}

llvm::Error cupilot::rewrite::requireLaunchBlock(StepContext &sc,
                                                 std::array<int64_t, 3> want,
                                                 llvm::StringRef hint) {
  const KernelInfo &info = *sc.getKernelInfo();
  std::string shape = "(" + std::to_string(want[0]) + ", " +
                      std::to_string(want[1]) + ", " + std::to_string(want[2]) +
                      ")";
  std::string fix =
      "add a set-block-size step with x: " + std::to_string(want[0]) +
      (want[1] != 1 ? ", y: " + std::to_string(want[1]) : "") +
      (want[2] != 1 ? ", z: " + std::to_string(want[2]) : "");
  std::vector<const CUDAKernelCallExpr *> launches =
      findLaunches(sc.getKernel(), sc.getASTContext());
  // The set-block-size steps of the plan for this kernel that cover a
  // launch (all launches without 'launch:', launch N with 'launch: N'). Each
  // rewrites the original launch, so when several cover one they must agree
  // (else which one takes effect depends on the source, not on their order);
  // a launch no step covers keeps the block it has.
  struct PlanBlock {
    unsigned step;
    std::array<int64_t, 3> block;
    std::optional<int64_t> launch;
  };
  std::vector<PlanBlock> planned;
  const std::vector<RewriteStep> &steps = sc.getPlan().steps;
  for (unsigned i = 0; i < steps.size(); ++i) {
    const RewriteStep &other = steps[i];
    if (other.kind == "set-block-size" &&
        sc.getIndex().find(other.kernel) == &info)
      planned.push_back(
          {i,
           {other.getInt("x", 1), other.getInt("y", 1), other.getInt("z", 1)},
           other.has("launch")
               ? std::optional<int64_t>(other.getInt("launch", 0))
               : std::nullopt});
  }
  bool perLaunch = llvm::any_of(
      planned, [](const PlanBlock &b) { return b.launch.has_value(); });
  auto describe = [](std::array<int64_t, 3> b) {
    return "(" + std::to_string(b[0]) + ", " + std::to_string(b[1]) + ", " +
           std::to_string(b[2]) + ")";
  };
  // The block the plan gives launch `n` (every launch when null), if any.
  auto planBlock = [&](std::optional<int64_t> n)
      -> llvm::Expected<std::optional<PlanBlock>> {
    std::optional<PlanBlock> found;
    std::string which = n ? "launch " + std::to_string(*n) : "the launches";
    for (const PlanBlock &b : planned) {
      if (b.launch && b.launch != n)
        continue;
      if (found && found->block != b.block)
        return sc.refuseInPlan(
            "", "step " + llvm::Twine(found->step) + " and step " +
                    llvm::Twine(b.step) + " (set-block-size) give " + which +
                    " of kernel '" + info.qualifiedName +
                    "' different blocks, " + describe(found->block) + " and " +
                    describe(b.block) +
                    "; each rewrites the original launch, so keep one");
      found = b;
    }
    if (found && found->block != want)
      return sc.refuseInPlan(
          "", "step " + llvm::Twine(found->step) + " (set-block-size) gives " +
                  (found->launch ? which : std::string("the launches")) +
                  " of kernel '" + info.qualifiedName + "' blocks of " +
                  describe(found->block) +
                  " threads, but the rewritten kernel needs " + shape +
                  "; make the set-block-size steps of '" + info.qualifiedName +
                  "' give " + shape + hint);
    return found;
  };
  if (launches.empty())
    if (llvm::Error err = planBlock(std::nullopt).takeError())
      return err;
  for (unsigned n = 0; n < launches.size(); ++n) {
    const CUDAKernelCallExpr *launch = launches[n];
    llvm::Expected<std::optional<PlanBlock>> b = planBlock(n);
    if (!b)
      return b.takeError();
    if (*b)
      continue;
    SourceLocation where = launch->getConfig()->getArg(1)->getBeginLoc();
    std::optional<std::array<int64_t, 3>> block = getLaunchBlock(sc, launch);
    if (!block)
      return sc.refuse(where, "cannot tell the block of this launch; the "
                              "rewritten kernel needs blocks of " +
                                  shape +
                                  " threads. Write the block as "
                                  "constants or " +
                                  fix);
    if (*block != want)
      return sc.refuse(
          where, "this launch uses blocks of (" + llvm::Twine((*block)[0]) +
                     ", " + llvm::Twine((*block)[1]) + ", " +
                     llvm::Twine((*block)[2]) +
                     ") threads; the rewritten kernel needs " + shape + ". " +
                     llvm::StringRef(fix).take_front(1).upper() +
                     llvm::StringRef(fix).drop_front(1) +
                     (perLaunch ? " for every launch" : "") + hint);
  }
  LaunchChange change =
      makeLaunchChange(sc, launches.empty() ? nullptr : launches.front());
  change.block = {want[0], want[1], want[2]};
  sc.getResult().launchChanges.push_back(change);
  return llvm::Error::success();
}
