//===- WarpShuffleReduce.cpp - The warp-shuffle-reduce step ---------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Replaces the shared-memory tree reduction of a block
//
//   __syncthreads();
//   for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
//     if (tid < s)
//       sdata[tid] += sdata[tid + s];   // or = fmaxf/fminf/max/min(...)
//     __syncthreads();
//   }
//
// by a reduction of each warp's values with __shfl_down_sync, one shared
// slot per warp, and a last shuffle reduction of those slots by the first
// warp, which leaves the result in sdata[0] like the tree does:
//
//   if ((blockDim.x & (blockDim.x - 1)) == 0 && blockDim.x >= 32 &&
//       blockDim.y * blockDim.z == 1) {
//     __shared__ float sdata_warps[32];
//     float sdata_value = sdata[tid];
//     <shuffle reduction of sdata_value>
//     if (tid % 32 == 0) sdata_warps[tid / 32] = sdata_value;
//     __syncthreads();
//     if (tid < 32) {
//       sdata_value = tid < blockDim.x / 32 ? sdata_warps[tid] : 0;
//       <shuffle reduction of sdata_value>
//       if (tid == 0) sdata[0] = sdata_value;
//     }
//     __syncthreads();
//   } else
//   for (...) { original tree }
//
// The tree loop stays as the path for blocks it was written for that the
// shuffle path cannot serve (not a power of two of at least one warp, or
// more than one dimension), so the rewrite holds for any launch. Legal when
// every thread of the block reaches the loop (it is a top-level statement
// after a __syncthreads(), no return before it) and later code reads only
// sdata[0] (the tree leaves partial sums elsewhere; the shuffle does not).
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

const char *Shape = "the step needs 'for (unsigned s = blockDim.x / 2; s > 0; "
                    "s >>= 1) { if (tid < s) sdata[tid] += sdata[tid + s]; "
                    "__syncthreads(); }' (or '= fmaxf(sdata[tid], sdata[tid "
                    "+ s])', fminf, max, min) right after a __syncthreads()";

const DeclRefExpr *refTo(const Expr *e, const VarDecl *var) {
  const auto *ref =
      dyn_cast_or_null<DeclRefExpr>(e ? e->IgnoreParenImpCasts() : nullptr);
  return ref && ref->getDecl() == var ? ref : nullptr;
}

bool isIntLiteral(const Expr *e, int64_t value) {
  const auto *lit = dyn_cast<IntegerLiteral>(e->IgnoreParenImpCasts());
  return lit && lit->getValue() == static_cast<uint64_t>(value);
}

/// The tree loop's pieces.
class TreeMatcher {
public:
  TreeMatcher(StepContext &sc, const ForStmt *loop) : sc(sc), loop(loop) {}

  llvm::Error match();

  const VarDecl *stride = nullptr;
  /// `tid` as a local copy of threadIdx.x, or null for threadIdx.x itself.
  const VarDecl *tidVar = nullptr;
  const VarDecl *shared = nullptr;
  /// `+` for sums, else the function that combines (`fmaxf`, ...).
  std::string combine;

private:
  llvm::Error fail(SourceLocation loc, const llvm::Twine &why) {
    return sc.refuse(loc, "loop is not a shared-memory tree reduction: " + why +
                              "; " + Shape);
  }
  bool isTid(const Expr *e);
  /// `sdata[tid]` (offset false) or `sdata[tid + s]` (offset true);
  /// records sdata.
  bool isSlot(const Expr *e, bool offset);
  llvm::Error matchUpdate(const Stmt *s);

  StepContext &sc;
  const ForStmt *loop;
};

bool TreeMatcher::isTid(const Expr *e) {
  e = e->IgnoreParenImpCasts();
  if (getBuiltinName(e) == "threadIdx.x")
    return true;
  const auto *ref = dyn_cast<DeclRefExpr>(e);
  const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
  if (!var || !var->isLocalVarDecl() || !var->getInit() ||
      getBuiltinName(var->getInit()) != "threadIdx.x" ||
      isWrittenInKernel(sc, var))
    return false;
  if (tidVar && tidVar != var)
    return false;
  tidVar = var;
  return true;
}

bool TreeMatcher::isSlot(const Expr *e, bool offset) {
  const auto *sub = dyn_cast<ArraySubscriptExpr>(e->IgnoreParenImpCasts());
  if (!sub)
    return false;
  const auto *base =
      dyn_cast<DeclRefExpr>(sub->getBase()->IgnoreParenImpCasts());
  const auto *var = base ? dyn_cast<VarDecl>(base->getDecl()) : nullptr;
  if (!var || !var->hasAttr<CUDASharedAttr>() || !var->getType()->isArrayType())
    return false;
  if (shared && shared != var)
    return false;
  shared = var;
  const Expr *idx = sub->getIdx()->IgnoreParenImpCasts();
  if (!offset)
    return isTid(idx);
  const auto *add = dyn_cast<BinaryOperator>(idx);
  if (!add || add->getOpcode() != BO_Add)
    return false;
  return (isTid(add->getLHS()) && refTo(add->getRHS(), stride)) ||
         (isTid(add->getRHS()) && refTo(add->getLHS(), stride));
}

llvm::Error TreeMatcher::matchUpdate(const Stmt *s) {
  if (const auto *compound = dyn_cast<CompoundStmt>(s)) {
    if (compound->size() != 1)
      return fail(s->getBeginLoc(), "the guarded update is not one statement");
    s = compound->body_front();
  }
  const auto *assign = dyn_cast<BinaryOperator>(s);
  if (!assign || !assign->isAssignmentOp() || !isSlot(assign->getLHS(), false))
    return fail(s->getBeginLoc(), "the guarded statement does not update "
                                  "'sdata[tid]' of a __shared__ array");
  if (assign->getOpcode() == BO_AddAssign) {
    if (!isSlot(assign->getRHS(), true))
      return fail(assign->getRHS()->getBeginLoc(),
                  "it does not add 'sdata[tid + s]'");
    combine = "+";
    return llvm::Error::success();
  }
  if (assign->getOpcode() != BO_Assign)
    return fail(assign->getOperatorLoc(),
                "the operator '" + assign->getOpcodeStr() +
                    "' is not a sum, minimum or maximum");
  const Expr *rhs = assign->getRHS()->IgnoreParenImpCasts();
  const Expr *a = nullptr, *b = nullptr;
  if (const auto *add = dyn_cast<BinaryOperator>(rhs)) {
    if (add->getOpcode() != BO_Add)
      return fail(add->getOperatorLoc(),
                  "the operator '" + add->getOpcodeStr() +
                      "' is not a sum, minimum or maximum");
    combine = "+";
    a = add->getLHS();
    b = add->getRHS();
  } else if (const auto *call = dyn_cast<CallExpr>(rhs)) {
    const FunctionDecl *callee = call->getDirectCallee();
    llvm::StringRef name = callee && callee->getIdentifier()
                               ? callee->getName()
                               : llvm::StringRef();
    if (!llvm::is_contained({"fmaxf", "fminf", "fmax", "fmin", "max", "min"},
                            name) ||
        call->getNumArgs() != 2)
      return fail(rhs->getBeginLoc(),
                  "the update calls '" + (name.empty() ? "?" : name) +
                      "', not fmaxf, fminf, fmax, fmin, max or min");
    combine = name.str();
    a = call->getArg(0);
    b = call->getArg(1);
  } else {
    return fail(rhs->getBeginLoc(), "the update is not 'sdata[tid] + "
                                    "sdata[tid + s]' or a min/max call");
  }
  if ((isSlot(a, false) && isSlot(b, true)) ||
      (isSlot(b, false) && isSlot(a, true)))
    return llvm::Error::success();
  return fail(rhs->getBeginLoc(),
              "it does not combine 'sdata[tid]' and 'sdata[tid + s]'");
}

llvm::Error TreeMatcher::match() {
  // for (unsigned s = blockDim.x / 2; ...)
  const auto *init = dyn_cast_or_null<DeclStmt>(loop->getInit());
  const VarDecl *s = init && init->isSingleDecl()
                         ? dyn_cast<VarDecl>(init->getSingleDecl())
                         : nullptr;
  const auto *half =
      s && s->getInit()
          ? dyn_cast<BinaryOperator>(s->getInit()->IgnoreParenImpCasts())
          : nullptr;
  if (!s || !s->getType()->isIntegerType() || !half ||
      getBuiltinName(half->getLHS()) != "blockDim.x" ||
      !((half->getOpcode() == BO_Div && isIntLiteral(half->getRHS(), 2)) ||
        (half->getOpcode() == BO_Shr && isIntLiteral(half->getRHS(), 1))))
    return fail(loop->getBeginLoc(),
                "it does not start at 's = blockDim.x / 2'");
  stride = s;
  // s > 0 (or s >= 1)
  const auto *cond = dyn_cast_or_null<BinaryOperator>(
      loop->getCond() ? loop->getCond()->IgnoreParenImpCasts() : nullptr);
  if (!cond || !refTo(cond->getLHS(), s) ||
      !((cond->getOpcode() == BO_GT && isIntLiteral(cond->getRHS(), 0)) ||
        (cond->getOpcode() == BO_GE && isIntLiteral(cond->getRHS(), 1))))
    return fail(loop->getCond() ? loop->getCond()->getBeginLoc()
                                : loop->getBeginLoc(),
                "it does not run while 's > 0'");
  // s >>= 1, s /= 2, s = s >> 1, s = s / 2
  const auto *inc = dyn_cast_or_null<BinaryOperator>(
      loop->getInc() ? loop->getInc()->IgnoreParenImpCasts() : nullptr);
  bool halves = false;
  if (inc && refTo(inc->getLHS(), s)) {
    if (inc->getOpcode() == BO_ShrAssign)
      halves = isIntLiteral(inc->getRHS(), 1);
    else if (inc->getOpcode() == BO_DivAssign)
      halves = isIntLiteral(inc->getRHS(), 2);
    else if (inc->getOpcode() == BO_Assign)
      if (const auto *r =
              dyn_cast<BinaryOperator>(inc->getRHS()->IgnoreParenImpCasts()))
        halves = refTo(r->getLHS(), s) &&
                 ((r->getOpcode() == BO_Shr && isIntLiteral(r->getRHS(), 1)) ||
                  (r->getOpcode() == BO_Div && isIntLiteral(r->getRHS(), 2)));
  }
  if (!halves)
    return fail(loop->getInc() ? loop->getInc()->getBeginLoc()
                               : loop->getBeginLoc(),
                "it does not halve 's' each iteration");
  // { if (tid < s) update; __syncthreads(); }
  const auto *body = dyn_cast<CompoundStmt>(loop->getBody());
  if (!body || body->size() != 2 || !isSyncThreads(body->body_back()))
    return fail(loop->getBody()->getBeginLoc(),
                "its body is not a guarded update followed by "
                "__syncthreads()");
  const auto *guard = dyn_cast<IfStmt>(body->body_front());
  if (!guard || guard->getElse() || guard->getInit() ||
      guard->getConditionVariable())
    return fail(body->body_front()->getBeginLoc(),
                "its body does not start with 'if (tid < s)'");
  const auto *lt =
      dyn_cast<BinaryOperator>(guard->getCond()->IgnoreParenImpCasts());
  if (!lt || lt->getOpcode() != BO_LT || !isTid(lt->getLHS()) ||
      !refTo(lt->getRHS(), s))
    return fail(guard->getCond()->getBeginLoc(),
                "the guard is not 'tid < s' with tid = threadIdx.x");
  if (llvm::Error err = matchUpdate(guard->getThen()))
    return err;
  if (isWrittenInKernel(sc, s, loop->getBody()))
    return fail(s->getLocation(),
                "'" + s->getName() + "' changes inside the loop");
  return llvm::Error::success();
}

/// Finds uses of `shared` after the loop other than reads of element 0, and
/// returns before the loop.
class UseChecker : public RecursiveASTVisitor<UseChecker> {
public:
  UseChecker(const VarDecl *shared, ASTContext &ctx)
      : shared(shared), ctx(ctx) {}
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *e) {
    const auto *base =
        dyn_cast<DeclRefExpr>(e->getBase()->IgnoreParenImpCasts());
    if (!base || base->getDecl() != shared)
      return true;
    bases.insert(base);
    Expr::EvalResult result;
    if (!e->getIdx()->EvaluateAsInt(result, ctx) || result.Val.getInt() != 0)
      note(e->getBeginLoc());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    if (ref->getDecl() == shared && !bases.count(ref))
      note(ref->getBeginLoc());
    return true;
  }
  SourceLocation problem;

private:
  void note(SourceLocation loc) {
    if (problem.isInvalid())
      problem = loc;
  }
  const VarDecl *shared;
  ASTContext &ctx;
  llvm::SmallPtrSet<const DeclRefExpr *, 8> bases;
};

/// Whether `e` has the same value in every thread of a block: it reads
/// only constants, parameters, blockIdx/blockDim/gridDim and locals
/// initialised from such values, none of them changed.
bool isBlockUniform(StepContext &sc, const Expr *e, unsigned depth = 0) {
  struct Scanner : RecursiveASTVisitor<Scanner> {
    StepContext &sc;
    unsigned depth;
    bool uniform = true;
    Scanner(StepContext &sc, unsigned depth) : sc(sc), depth(depth) {}
    bool VisitStmt(Stmt *s) {
      if (isa<CallExpr>(s) || isa<ArraySubscriptExpr>(s) ||
          (isa<UnaryOperator>(s) &&
           cast<UnaryOperator>(s)->getOpcode() == UO_Deref) ||
          (isa<BinaryOperator>(s) && cast<BinaryOperator>(s)->isAssignmentOp()))
        uniform = false;
      return true;
    }
    bool VisitMemberExpr(MemberExpr *m) {
      uniform &= !m->isArrow();
      return true;
    }
    // blockIdx.x and friends; their pieces are not values.
    bool TraversePseudoObjectExpr(PseudoObjectExpr *p) {
      std::string name = getBuiltinName(p);
      uniform &=
          !name.empty() && !llvm::StringRef(name).starts_with("threadIdx");
      return true;
    }
    bool VisitDeclRefExpr(DeclRefExpr *ref) {
      const auto *var = dyn_cast<VarDecl>(ref->getDecl());
      if (!var) {
        uniform &= isa<EnumConstantDecl>(ref->getDecl());
        return true;
      }
      if (isa<ParmVarDecl>(var) && !var->getType()->isReferenceType()) {
        uniform &= !isWrittenInKernel(sc, var);
        return true;
      }
      if (var->isLocalVarDecl() && var->getInit() && depth < 4 &&
          !isWrittenInKernel(sc, var)) {
        uniform &= isBlockUniform(sc, var->getInit(), depth + 1);
        return true;
      }
      uniform &= var->getType().isConstQualified() && var->getInit() &&
                 var->getInit()->isEvaluatable(sc.getASTContext());
      return true;
    }
  } scanner(sc, depth);
  scanner.TraverseStmt(const_cast<Expr *>(e));
  return scanner.uniform;
}

/// A `return` in `s` that not every thread of the block may take alike;
/// `if (uniform) return;` is fine: the whole block leaves.
const ReturnStmt *findDivergentReturn(StepContext &sc, const Stmt *s) {
  if (const auto *guard = dyn_cast<IfStmt>(s);
      guard && !guard->getElse() && !guard->getInit() &&
      !guard->getConditionVariable() && isBlockUniform(sc, guard->getCond())) {
    const Stmt *then = guard->getThen();
    if (const auto *compound = dyn_cast<CompoundStmt>(then);
        compound && compound->size() == 1)
      then = compound->body_front();
    if (const auto *ret = dyn_cast<ReturnStmt>(then);
        ret && !ret->getRetValue())
      return nullptr;
  }
  struct Finder : RecursiveASTVisitor<Finder> {
    const ReturnStmt *found = nullptr;
    bool VisitReturnStmt(ReturnStmt *r) {
      found = r;
      return false;
    }
  } finder;
  finder.TraverseStmt(const_cast<Stmt *>(s));
  return finder.found;
}

/// The shuffle type's reduction step, e.g. `v += __shfl_down_sync(...)`.
std::string combineStep(const std::string &combine, const std::string &value,
                        const std::string &offset) {
  std::string shuffle =
      "__shfl_down_sync(0xffffffffu, " + value + ", " + offset + ")";
  if (combine == "+")
    return value + " += " + shuffle + ";";
  return value + " = " + combine + "(" + value + ", " + shuffle + ");";
}

} // namespace

llvm::Error cupilot::rewrite::applyWarpShuffleReduce(StepContext &sc) {
  const FunctionDecl *kernel = sc.getKernel();
  const KernelInfo &info = *sc.getKernelInfo();
  const auto *body = cast<CompoundStmt>(kernel->getBody());
  if (info.features.threadDims > 1)
    return sc.refuse(kernel->getLocation(),
                     "kernel '" + info.qualifiedName + "' indexes " +
                         llvm::Twine(info.features.threadDims) +
                         " thread dimensions; the step reduces over "
                         "threadIdx.x of 1-D blocks");
  // The loop: the one named, or the first halving loop at the top level.
  std::vector<const Stmt *> loops = collectLoops(kernel);
  const Stmt *chosen = nullptr;
  if (sc.getStep().has("loop")) {
    int64_t id = sc.getStep().getInt("loop", 0);
    if (id >= static_cast<int64_t>(loops.size()) ||
        loops.size() != info.loops.size())
      return sc.refuseInPlan(
          "loop", "kernel '" + info.qualifiedName + "' has " +
                      llvm::Twine(loops.size()) + " loop(s), not loop " +
                      llvm::Twine(id) + "; see `cupilot-opt --list-kernels`");
    chosen = loops[id];
  } else {
    // A top-level `for` that starts from blockDim.x.
    for (const Stmt *s : body->body()) {
      const auto *f = dyn_cast<ForStmt>(s);
      const auto *init = f ? dyn_cast_or_null<DeclStmt>(f->getInit()) : nullptr;
      const auto *var = init && init->isSingleDecl()
                            ? dyn_cast<VarDecl>(init->getSingleDecl())
                            : nullptr;
      const auto *half =
          var && var->getInit()
              ? dyn_cast<BinaryOperator>(var->getInit()->IgnoreParenImpCasts())
              : nullptr;
      if (half && getBuiltinName(half->getLHS()) == "blockDim.x") {
        chosen = f;
        break;
      }
    }
    if (!chosen)
      return sc.refuse(kernel->getLocation(),
                       "kernel '" + info.qualifiedName +
                           "' has no loop from blockDim.x at the top level "
                           "of its body; " +
                           Shape);
  }
  const auto *loop = dyn_cast<ForStmt>(chosen);
  auto position = llvm::find(body->body(), chosen);
  if (!loop || position == body->body_end())
    return sc.refuse(chosen->getBeginLoc(),
                     llvm::Twine("the loop is not a 'for' statement at the top "
                                 "level of the kernel body, which every thread "
                                 "reaches; ") +
                         Shape);
  TreeMatcher tree(sc, loop);
  if (llvm::Error err = tree.match())
    return err;

  // Every thread reaches the loop after a barrier.
  if (position == body->body_begin() || !isSyncThreads(*std::prev(position)))
    return sc.refuse(loop->getBeginLoc(),
                     "the loop does not follow a __syncthreads(); the shuffle "
                     "path reads each thread's slot without the tree's first "
                     "barrier. Add '__syncthreads();' before the loop");
  for (auto it = body->body_begin(); it != position; ++it)
    if (const ReturnStmt *ret = findDivergentReturn(sc, *it))
      return sc.refuse(ret->getBeginLoc(),
                       "some threads of a block may return before the loop; "
                       "the warp shuffles need every thread of the block "
                       "(only 'if (c) return;' with c the same for the whole "
                       "block is allowed)");
  for (auto it = std::next(position); it != body->body_end(); ++it) {
    UseChecker uses(tree.shared, sc.getASTContext());
    uses.TraverseStmt(const_cast<Stmt *>(*it));
    if (uses.problem.isValid())
      return sc.refuse(uses.problem,
                       "'" + tree.shared->getName() +
                           "' is used after the loop other than as '" +
                           tree.shared->getName() +
                           "[0]'; the tree leaves partial results in the "
                           "other elements, the shuffle reduction does not");
  }
  QualType element = sc.getASTContext()
                         .getAsArrayType(tree.shared->getType())
                         ->getElementType()
                         .getUnqualifiedType();
  const auto *builtin = element->getAs<BuiltinType>();
  if (!builtin ||
      !llvm::is_contained({BuiltinType::Float, BuiltinType::Double,
                           BuiltinType::Int, BuiltinType::UInt,
                           BuiltinType::LongLong, BuiltinType::ULongLong},
                          builtin->getKind()))
    return sc.refuse(tree.shared->getLocation(),
                     "'" + tree.shared->getName() + "' has elements of type '" +
                         element.getAsString() +
                         "', which __shfl_down_sync does not take (float, "
                         "double, int, unsigned, long long)");

  // The shuffle path.
  PrintingPolicy policy(sc.getASTContext().getLangOpts());
  std::string type = element.getAsString(policy);
  std::string sdata = tree.shared->getName().str();
  std::string tid = tree.tidVar ? tree.tidVar->getName().str() : "threadIdx.x";
  std::string warps = uniqueName(sc, sdata + "_warps");
  std::string value = uniqueName(sc, sdata + "_value");
  std::string offset = uniqueName(sc, sdata + "_offset");
  std::string indent = lineIndent(sc, loop->getBeginLoc());
  std::string in1 = indent + "  ", in2 = indent + "    ",
              in3 = indent + "      ";
  auto reduceAt = [&](const std::string &in) {
    return in + "#pragma unroll\n" + in + "for (int " + offset + " = 16; " +
           offset + " > 0; " + offset + " >>= 1)\n" + in + "  " +
           combineStep(tree.combine, value, offset) + "\n";
  };
  std::string filler = tree.combine == "+" ? "0" : warps + "[0]";
  std::string code =
      "if ((blockDim.x & (blockDim.x - 1)) == 0 && blockDim.x >= 32 && "
      "blockDim.y * blockDim.z == 1) {\n" +
      in1 + "__shared__ " + type + " " + warps + "[32];\n" + in1 + type + " " +
      value + " = " + sdata + "[" + tid + "];\n" + reduceAt(in1) + in1 +
      "if (" + tid + " % 32 == 0)\n" + in2 + warps + "[" + tid +
      " / 32] = " + value + ";\n" + in1 + "__syncthreads();\n" + in1 + "if (" +
      tid + " < 32) {\n" + in2 + value + " = " + tid + " < blockDim.x / 32 ? " +
      warps + "[" + tid + "] : " + filler + ";\n" + reduceAt(in2) + in2 +
      "if (" + tid + " == 0)\n" + in3 + sdata + "[0] = " + value + ";\n" + in1 +
      "}\n" + in1 + "__syncthreads();\n" + indent + "} else";
  return insertLinesBefore(sc, loop->getBeginLoc(), code);
}
