//===- SetBlockSize.cpp - The set-block-size step -------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Changes the block shape at the kernel's launch sites. The block argument
// must be a literal, a `dim3(...)` of literals, or a local variable (int or
// dim3) initialised with literals; the variable's initialiser is edited,
// so it must serve only launches of this kernel. The grid is kept
// consistent: literals equal to the old block size (or to it minus one, as
// in `(n + 255) / 256`) in the grid expression, or in the initialisers of
// the local variables it uses, become the new size; a grid written in terms
// of the block variable follows it by itself. A grid that does not depend on
// the block is accepted only for grid-stride kernels; a kernel with static
// shared memory or launch bounds below the new size is refused.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"

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
    return e;
  }
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

/// A local variable used in a launch configuration.
const VarDecl *localVar(const Expr *e) {
  const auto *ref = dyn_cast<DeclRefExpr>(strip(unwrapImplicitDim3(e)));
  const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
  return var && var->isLocalVarDecl() && var->getInit() ? var : nullptr;
}

/// The dim3 constructor arguments of `e` (`dim3(a, b)` or `dim3 v(a, b)`).
const CXXConstructExpr *dim3Construct(const Expr *e) {
  const auto *c = dyn_cast<CXXConstructExpr>(strip(e));
  if (!c || c->getConstructor()->getParent()->getName() != "dim3")
    return nullptr;
  return c;
}

/// Collects DeclRefExprs and integer literals below a statement.
class Scan : public RecursiveASTVisitor<Scan> {
public:
  bool VisitDeclRefExpr(DeclRefExpr *r) {
    refs.push_back(r);
    return true;
  }
  bool VisitIntegerLiteral(IntegerLiteral *l) {
    literals.push_back(l);
    return true;
  }
  std::vector<const DeclRefExpr *> refs;
  std::vector<const IntegerLiteral *> literals;
};

class Rule {
public:
  Rule(StepContext &sc) : sc(sc), sm(sc.getSourceManager()) {
    const RewriteStep &step = sc.getStep();
    size = {step.getInt("x", 1), step.getInt("y", 1), step.getInt("z", 1)};
  }

  llvm::Error run();

private:
  llvm::Error changeLaunch(const CUDAKernelCallExpr *launch);
  llvm::Error replaceLiteral(const IntegerLiteral *lit, int64_t value);
  llvm::Error checkOnlyServesLaunches(const VarDecl *var, unsigned depth = 0);
  llvm::Error updateGrid(const Expr *grid, const std::vector<int64_t> &old,
                         const VarDecl *blockVar,
                         const CUDAKernelCallExpr *launch);
  bool inLaunchConfig(SourceLocation loc) const;

  StepContext &sc;
  const SourceManager &sm;
  std::vector<int64_t> size;
  std::vector<const CUDAKernelCallExpr *> launches;
  llvm::DenseSet<const IntegerLiteral *> edited;
  llvm::SmallPtrSet<const VarDecl *, 8> checked;
};

bool Rule::inLaunchConfig(SourceLocation loc) const {
  for (const CUDAKernelCallExpr *l : launches) {
    SourceRange r = l->getConfig()->getSourceRange();
    if (!sm.isBeforeInTranslationUnit(loc, r.getBegin()) &&
        !sm.isBeforeInTranslationUnit(r.getEnd(), loc))
      return true;
  }
  return false;
}

llvm::Error Rule::checkOnlyServesLaunches(const VarDecl *var, unsigned depth) {
  if (!checked.insert(var).second)
    return llvm::Error::success();
  const auto *fn =
      dyn_cast_or_null<FunctionDecl>(var->getParentFunctionOrMethod());
  if (!fn || !fn->getBody() || depth > 4)
    return sc.refuse(var->getLocation(),
                     "cannot follow the uses of '" + var->getName() + "'");
  Scan scan;
  scan.TraverseStmt(fn->getBody());
  for (const DeclRefExpr *ref : scan.refs) {
    if (ref->getDecl() != var || inLaunchConfig(ref->getBeginLoc()))
      continue;
    // Used to initialise another local, which must serve only these
    // launches too.
    bool ok = false;
    Scan inner;
    for (const DeclRefExpr *other : scan.refs) {
      const auto *w = dyn_cast<VarDecl>(other->getDecl());
      if (!w || !w->isLocalVarDecl() || !w->getInit())
        continue;
      SourceRange init = w->getInit()->getSourceRange();
      if (!sm.isBeforeInTranslationUnit(ref->getBeginLoc(), init.getBegin()) &&
          !sm.isBeforeInTranslationUnit(init.getEnd(), ref->getBeginLoc())) {
        if (llvm::Error err = checkOnlyServesLaunches(w, depth + 1))
          return err;
        ok = true;
        break;
      }
    }
    if (!ok)
      return sc.refuse(ref->getBeginLoc(),
                       "'" + var->getName() +
                           "' is also used here, outside the launches of '" +
                           sc.getKernelInfo()->qualifiedName +
                           "'; give the launch its own block size variable");
  }
  return llvm::Error::success();
}

llvm::Error Rule::replaceLiteral(const IntegerLiteral *lit, int64_t value) {
  if (!edited.insert(lit).second)
    return llvm::Error::success();
  return sc.replace(CharSourceRange::getTokenRange(lit->getSourceRange()),
                    std::to_string(value));
}

llvm::Error Rule::updateGrid(const Expr *grid, const std::vector<int64_t> &old,
                             const VarDecl *blockVar,
                             const CUDAKernelCallExpr *launch) {
  // Per grid component, the old and new block extent of that dimension.
  std::vector<const Expr *> components;
  grid = unwrapImplicitDim3(grid);
  const Expr *root = grid;
  if (const VarDecl *var = localVar(grid)) {
    if (llvm::Error err = checkOnlyServesLaunches(var))
      return err;
    root = var->getInit();
  }
  if (const CXXConstructExpr *c = dim3Construct(root)) {
    for (const Expr *arg : c->arguments())
      if (!isa<CXXDefaultArgExpr>(arg))
        components.push_back(arg);
  } else {
    components.push_back(root);
  }
  bool dependent = false;
  for (unsigned d = 0; d < components.size() && d < 3; ++d) {
    std::vector<const Expr *> work = {components[d]};
    for (unsigned hops = 0; hops < work.size() && hops < 16; ++hops) {
      Scan scan;
      scan.TraverseStmt(const_cast<Expr *>(work[hops]));
      for (const IntegerLiteral *lit : scan.literals) {
        int64_t v = lit->getValue().getSExtValue();
        if (old[d] > 1 && v == old[d]) {
          dependent = true;
          if (llvm::Error err = replaceLiteral(lit, size[d]))
            return err;
        } else if (old[d] > 2 && v == old[d] - 1) {
          dependent = true;
          if (llvm::Error err = replaceLiteral(lit, size[d] - 1))
            return err;
        }
      }
      for (const DeclRefExpr *ref : scan.refs) {
        const auto *var = dyn_cast<VarDecl>(ref->getDecl());
        if (!var)
          continue;
        if (var == blockVar) {
          dependent = true;
          continue;
        }
        if (var->isLocalVarDecl() && var->getInit() &&
            !var->getType().isConstQualified()) {
          if (llvm::Error err = checkOnlyServesLaunches(var))
            return err;
          work.push_back(var->getInit());
        }
      }
    }
  }
  if (dependent)
    return llvm::Error::success();
  if (sc.getKernelInfo()->features.hasGridStrideLoop)
    return llvm::Error::success();
  return sc.refuse(grid->getBeginLoc(),
                   "the grid does not follow the block size and the kernel "
                   "has no grid-stride loop; the launch would cover a "
                   "different number of elements. Write the grid in terms "
                   "of the block size (e.g. '(n + 255) / 256')");
}

llvm::Error Rule::changeLaunch(const CUDAKernelCallExpr *launch) {
  const CallExpr *config = launch->getConfig();
  if (!config || config->getNumArgs() < 2)
    return sc.refuse(launch->getBeginLoc(), "the launch has no block argument");
  const Expr *block = unwrapImplicitDim3(config->getArg(1));
  const Expr *root = block;
  const VarDecl *blockVar = localVar(block);
  if (blockVar) {
    if (llvm::Error err = checkOnlyServesLaunches(blockVar))
      return err;
    root = blockVar->getInit();
  }
  std::vector<int64_t> old(3, 1);
  bool threeD = size[1] != 1 || size[2] != 1;
  if (const auto *lit = dyn_cast<IntegerLiteral>(strip(root))) {
    old[0] = lit->getValue().getSExtValue();
    if (llvm::Error err = updateGrid(config->getArg(0), old, blockVar, launch))
      return err;
    if (threeD) {
      if (blockVar)
        return sc.refuse(blockVar->getLocation(),
                         "'" + blockVar->getName() +
                             "' is an integer; declare it as dim3 for a "
                             "multi-dimensional block");
      edited.insert(lit);
      return sc.replace(CharSourceRange::getTokenRange(lit->getSourceRange()),
                        "dim3(" + std::to_string(size[0]) + ", " +
                            std::to_string(size[1]) + ", " +
                            std::to_string(size[2]) + ")");
    }
    return replaceLiteral(lit, size[0]);
  }
  const CXXConstructExpr *c = dim3Construct(root);
  if (!c)
    return sc.refuse(block->getBeginLoc(),
                     "the block size is not a literal, a dim3 of literals or "
                     "a local variable initialised with one");
  std::vector<const IntegerLiteral *> lits;
  for (const Expr *arg : c->arguments()) {
    if (isa<CXXDefaultArgExpr>(arg))
      break;
    const auto *lit = dyn_cast<IntegerLiteral>(strip(arg));
    if (!lit)
      return sc.refuse(arg->getBeginLoc(), "the block dimension is not an "
                                           "integer literal");
    old[lits.size()] = lit->getValue().getSExtValue();
    lits.push_back(lit);
  }
  if (lits.empty())
    return sc.refuse(block->getBeginLoc(), "the block has no dimensions");
  if (llvm::Error err = updateGrid(config->getArg(0), old, blockVar, launch))
    return err;
  unsigned needed = size[2] != 1 ? 3 : size[1] != 1 ? 2 : 1;
  if (needed <= lits.size()) {
    for (unsigned d = 0; d < lits.size(); ++d)
      if (llvm::Error err = replaceLiteral(lits[d], size[d]))
        return err;
    return llvm::Error::success();
  }
  // More dimensions than written: rewrite the argument list.
  std::string args;
  for (unsigned d = 0; d < needed; ++d)
    args += (d ? ", " : "") + std::to_string(size[d]);
  return sc.replace(CharSourceRange::getTokenRange(lits.front()->getBeginLoc(),
                                                   lits.back()->getEndLoc()),
                    args);
}

llvm::Error Rule::run() {
  const KernelInfo &info = *sc.getKernelInfo();
  int64_t threads = size[0] * size[1] * size[2];
  unsigned dims = size[2] != 1 ? 3 : size[1] != 1 ? 2 : 1;
  if (dims > std::max(info.features.threadDims, 1u))
    return sc.refuseInPlan(
        dims == 3 ? "z" : "y",
        "kernel '" + info.qualifiedName + "' indexes " +
            llvm::Twine(std::max(info.features.threadDims, 1u)) +
            " thread dimension(s); a " + llvm::Twine(dims) +
            "-D block would repeat its work");
  for (const SharedMemoryDecl &shared : info.sharedMemory)
    if (!shared.dynamic)
      return sc.refuseAt(shared.loc,
                         "the kernel declares __shared__ '" + shared.name +
                             "' with a fixed size, which may assume the old "
                             "block size");
  if (info.launchBounds && info.launchBounds->maxThreadsValue &&
      *info.launchBounds->maxThreadsValue < threads) {
    bool rebounded = false;
    for (const RewriteStep &other : sc.getPlan().steps)
      rebounded |= other.kind == "launch-bounds" &&
                   sc.getIndex().find(other.kernel) == &info &&
                   other.getInt("max-threads", 0) >= threads;
    if (!rebounded)
      return sc.refuse(sc.getKernel()->getLocation(),
                       "the kernel's __launch_bounds__ allow " +
                           llvm::Twine(*info.launchBounds->maxThreadsValue) +
                           " threads per block, fewer than " +
                           llvm::Twine(threads) + "; add a launch-bounds step");
  }
  launches = findLaunches(sc.getKernel(), sc.getASTContext());
  if (launches.empty()) {
    // A kernel-only file (launched by a task, or by code elsewhere): the
    // block shape lives in the task, which the caller updates from the
    // launch change; the source does not change.
    if (sc.getStep().has("launch"))
      return sc.refuseInPlan("launch", "the file has no launch of '" +
                                           info.qualifiedName + "'");
    LaunchChange change = makeLaunchChange(sc, nullptr);
    change.block = size;
    sc.getResult().launchChanges.push_back(change);
    return llvm::Error::success();
  }
  std::vector<const CUDAKernelCallExpr *> chosen = launches;
  if (sc.getStep().has("launch")) {
    int64_t n = sc.getStep().getInt("launch", 0);
    if (n >= static_cast<int64_t>(launches.size()))
      return sc.refuseInPlan("launch", "'" + info.qualifiedName + "' has " +
                                           llvm::Twine(launches.size()) +
                                           " launch site(s), not launch " +
                                           llvm::Twine(n));
    chosen = {launches[n]};
    launches = chosen;
  }
  for (const CUDAKernelCallExpr *launch : chosen) {
    if (llvm::Error err = changeLaunch(launch))
      return err;
    LaunchChange change = makeLaunchChange(sc, launch);
    change.block = size;
    sc.getResult().launchChanges.push_back(change);
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error cupilot::rewrite::applySetBlockSize(StepContext &sc) {
  return Rule(sc).run();
}
