//===- TileStencil.cpp - The tile-stencil step ----------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Stages the input of a naive 1-D or 2-D stencil in shared memory, with its
// halo. The kernel
//
//   int x = blockIdx.x * blockDim.x + threadIdx.x;
//   int y = blockIdx.y * blockDim.y + threadIdx.y;
//   if (x > 0 && x < W - 1 && y > 0 && y < H - 1)
//     out[y * W + x] = 0.2f * (in[y * W + x] + in[y * W + x - 1] + ...
//                              + in[(y + 1) * W + x]);
//
// (or `if (!guard) return;` followed by the rest of the kernel) becomes, for
// blocks of BX x BY threads and reads at offsets dx in [-1, 1], dy in [-1, 1]:
//
//   int x = ...; int y = ...;
//   __shared__ float in_tile[BY + 2][BX + 2];
//   auto in_needed = [=](int x, int y) {
//     return x >= 0 && y >= 0 && x < (long long)gridDim.x * blockDim.x &&
//            y < (long long)gridDim.y * blockDim.y && (guard);
//   };
//   for (int in_row = threadIdx.y; in_row < BY + 2; in_row += blockDim.y)
//     for (int in_col = threadIdx.x; in_col < BX + 2; in_col += blockDim.x) {
//       int y_halo = int(blockIdx.y * blockDim.y) + in_row - 1;
//       int x_halo = int(blockIdx.x * blockDim.x) + in_col - 1;
//       if (in_needed(x_halo, y_halo) || in_needed(x_halo + 1, y_halo) || ...)
//         in_tile[in_row][in_col] = in[y_halo * W + x_halo];
//     }
//   __syncthreads();
//   if (x > 0 && ...)
//     out[y * W + x] = 0.2f * (in_tile[threadIdx.y + 1][threadIdx.x + 1] +
//     ...);
//
// Every thread of the block helps load the tile before any thread leaves
// through the bounds check, so the barrier is reached by all of them. An
// element is loaded only when an existing thread that passes the original
// bounds check reads it with one of the stencil's offsets: the tile never
// touches memory the original kernel leaves alone, and holds every element
// the block's threads read. The arithmetic is untouched, so results are
// bit-identical. The block must be BX x BY: every launch in the file must
// have that block (or a set-block-size step of the plan sets it), and the
// step records it for the task's launches.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <map>
#include <set>

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

/// The largest offset from the thread's own element, per dimension.
constexpr int64_t MaxRadius = 8;
/// Static shared memory a block may declare.
constexpr uint64_t MaxSharedBytes = 48 * 1024;

const char *Shape =
    "the step needs 'int x = blockIdx.x * blockDim.x + threadIdx.x;' (and "
    "'int y = blockIdx.y * blockDim.y + threadIdx.y;' for 2-D) followed by "
    "'if (guard) { ... }' as the last statement or by 'if (!guard) return;', "
    "with reads 'in[(y + dy) * W + x + dx]' (2-D) or 'in[x + dx]' (1-D) for "
    "constant dx, dy";

//===----------------------------------------------------------------------===//
// Index expressions as polynomials
//===----------------------------------------------------------------------===//

/// The factors of a monomial, ordered by declaration position (empty for the
/// constant term).
using Monomial = llvm::SmallVector<const ValueDecl *, 2>;
/// Integer polynomial over the thread indices and integer parameters.
using Polynomial = std::map<Monomial, int64_t>;

void sortFactors(Monomial &m) {
  llvm::sort(m, [](const ValueDecl *a, const ValueDecl *b) {
    return a->getLocation().getRawEncoding() <
           b->getLocation().getRawEncoding();
  });
}

/// Builds the polynomial of an index expression made of `+ - *`, integer
/// constants, the thread indices, integer parameters the kernel never
/// changes and local integer variables (never changed) initialized from
/// those.
class IndexAnalyzer {
public:
  IndexAnalyzer(StepContext &sc, const VarDecl *row, const VarDecl *col)
      : sc(sc), row(row), col(col) {}

  std::optional<Polynomial> analyze(const Expr *e, unsigned depth = 0);

  /// Why `analyze` failed, and where.
  SourceLocation badLoc;
  std::string why;
  /// The failure is a term that is not a compile-time constant (rather than
  /// an operation the step does not model).
  bool nonConstant = false;

private:
  std::nullopt_t fail(SourceLocation loc, const llvm::Twine &message,
                      bool variable) {
    if (badLoc.isInvalid()) {
      badLoc = loc;
      why = message.str();
      nonConstant = variable;
    }
    return std::nullopt;
  }
  StepContext &sc;
  const VarDecl *row, *col;
};

std::optional<Polynomial> IndexAnalyzer::analyze(const Expr *e,
                                                 unsigned depth) {
  e = e->IgnoreParenImpCasts();
  ASTContext &ctx = sc.getASTContext();
  std::string text = sc.getText(e->getSourceRange()).str();
  if (e->isValueDependent() || !e->getType()->isIntegerType())
    return fail(e->getBeginLoc(), "'" + text + "' is not an integer", false);
  if (std::optional<llvm::APSInt> v = e->getIntegerConstantExpr(ctx)) {
    if (v->getSignificantBits() > 32)
      return fail(e->getBeginLoc(), "'" + text + "' is too large", false);
    return Polynomial{{Monomial(), v->getExtValue()}};
  }
  if (const auto *b = dyn_cast<BinaryOperator>(e)) {
    BinaryOperatorKind op = b->getOpcode();
    if (op != BO_Add && op != BO_Sub && op != BO_Mul)
      return fail(b->getOperatorLoc(),
                  "it uses '" + b->getOpcodeStr() +
                      "'; the step models only + - * of the thread indices",
                  false);
    std::optional<Polynomial> l = analyze(b->getLHS(), depth);
    if (!l)
      return std::nullopt;
    std::optional<Polynomial> r = analyze(b->getRHS(), depth);
    if (!r)
      return std::nullopt;
    Polynomial result;
    bool overflow = false;
    if (op == BO_Mul) {
      for (const auto &[lm, lc] : *l)
        for (const auto &[rm, rc] : *r) {
          Monomial m = lm;
          m.append(rm.begin(), rm.end());
          sortFactors(m);
          int64_t product = 0, sum = 0;
          overflow |= llvm::MulOverflow(lc, rc, product);
          overflow |= llvm::AddOverflow(result[m], product, sum);
          result[m] = sum;
        }
    } else {
      result = *l;
      for (const auto &[m, c] : *r) {
        int64_t sum = 0;
        overflow |= op == BO_Add ? llvm::AddOverflow(result[m], c, sum)
                                 : llvm::SubOverflow(result[m], c, sum);
        result[m] = sum;
      }
    }
    if (overflow)
      return fail(e->getBeginLoc(), "'" + text + "' overflows", false);
    for (auto term = result.begin(); term != result.end();)
      term = term->second == 0 ? result.erase(term) : std::next(term);
    return result;
  }
  if (const auto *u = dyn_cast<UnaryOperator>(e)) {
    if (u->getOpcode() == UO_Plus)
      return analyze(u->getSubExpr(), depth);
    if (u->getOpcode() == UO_Minus) {
      std::optional<Polynomial> p = analyze(u->getSubExpr(), depth);
      if (p)
        for (auto &term : *p)
          term.second = -term.second;
      return p;
    }
  }
  if (const auto *ref = dyn_cast<DeclRefExpr>(e)) {
    const auto *var = dyn_cast<VarDecl>(ref->getDecl());
    if (var == row || var == col)
      return Polynomial{{Monomial{var}, 1}};
    if (const auto *p = dyn_cast_or_null<ParmVarDecl>(var);
        p && !isWrittenInKernel(sc, p))
      return Polynomial{{Monomial{p}, 1}};
    // A local that names an index expression (`int i = y * W + x;`).
    if (var && !isa<ParmVarDecl>(var) && var->isLocalVarDecl() &&
        var->getInit() && depth < 8 && !isWrittenInKernel(sc, var))
      return analyze(var->getInit(), depth + 1);
    return fail(ref->getBeginLoc(),
                "'" + text +
                    "' is not a compile-time constant, a thread index or an "
                    "integer parameter the kernel never changes",
                true);
  }
  if (!getBuiltinName(e).empty())
    return fail(e->getBeginLoc(),
                "it uses '" + text +
                    "' directly; name the thread's index in a variable "
                    "'x = blockIdx.x * blockDim.x + threadIdx.x' and use it",
                false);
  return fail(e->getBeginLoc(),
              "it uses '" + text +
                  "'; the step models only + - * of the thread indices, "
                  "integer parameters and constants",
              false);
}

//===----------------------------------------------------------------------===//
// Purity of the bounds check
//===----------------------------------------------------------------------===//

/// Finds what keeps the bounds check from being evaluated for other
/// threads' coordinates inside `needed`: anything but the thread indices,
/// parameters the kernel never changes, constants and side-effect-free
/// operators.
class GuardChecker : public RecursiveASTVisitor<GuardChecker> {
public:
  GuardChecker(StepContext &sc, const VarDecl *row, const VarDecl *col)
      : sc(sc), row(row), col(col) {}

  bool VisitStmt(Stmt *s) {
    if (isa<DeclRefExpr, IntegerLiteral, FloatingLiteral, CXXBoolLiteralExpr,
            CharacterLiteral, ParenExpr, ImplicitCastExpr, ConstantExpr,
            ConditionalOperator>(s))
      return true;
    if (const auto *b = dyn_cast<BinaryOperator>(s);
        b && !b->isAssignmentOp() && b->getOpcode() != BO_Comma)
      return true;
    if (const auto *u = dyn_cast<UnaryOperator>(s);
        u && (u->getOpcode() == UO_LNot || u->getOpcode() == UO_Minus ||
              u->getOpcode() == UO_Plus || u->getOpcode() == UO_Not))
      return true;
    return fail(s->getSourceRange());
  }
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    const ValueDecl *d = ref->getDecl();
    if (d == row || d == col || isa<EnumConstantDecl>(d))
      return true;
    if (const auto *p = dyn_cast<ParmVarDecl>(d);
        p && !p->getType()->isPointerType() &&
        !p->getType()->isReferenceType() && !isWrittenInKernel(sc, p))
      return true;
    if (const auto *v = dyn_cast<VarDecl>(d);
        v && v->getType().isConstQualified() &&
        v->isUsableInConstantExpressions(sc.getASTContext()))
      return true;
    return fail(ref->getSourceRange());
  }

  SourceRange bad;

private:
  bool fail(SourceRange range) {
    bad = range;
    return false; // Stop at the first problem.
  }
  StepContext &sc;
  const VarDecl *row, *col;
};

//===----------------------------------------------------------------------===//
// Conditional reads and stores in the guarded code
//===----------------------------------------------------------------------===//

/// Walks the guarded statements in execution order, marking which reads of
/// the input run under conditions beyond the bounds check (inside a branch,
/// a loop, the right operand of && or ||, or after a return).
class ReadScanner {
public:
  ReadScanner(const ParmVarDecl *input) : input(input) {}

  void scan(const Stmt *s, bool conditional) {
    if (!s)
      return;
    if (const auto *sub = dyn_cast<ArraySubscriptExpr>(s)) {
      const auto *base =
          dyn_cast<DeclRefExpr>(sub->getBase()->IgnoreParenImpCasts());
      if (base && base->getDecl() == input && (conditional || leaves))
        conditionalReads.push_back(sub);
    }
    if (isa<ReturnStmt, GotoStmt>(s))
      leaves = true;
    if (const auto *i = dyn_cast<IfStmt>(s)) {
      scan(i->getInit(), conditional);
      scan(i->getCond(), conditional);
      scan(i->getThen(), true);
      scan(i->getElse(), true);
      return;
    }
    if (isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt, SwitchStmt,
            LambdaExpr>(s)) {
      for (const Stmt *child : s->children())
        scan(child, true);
      return;
    }
    if (const auto *c = dyn_cast<AbstractConditionalOperator>(s)) {
      scan(c->getCond(), conditional);
      scan(c->getTrueExpr(), true);
      scan(c->getFalseExpr(), true);
      return;
    }
    if (const auto *b = dyn_cast<BinaryOperator>(s); b && b->isLogicalOp()) {
      scan(b->getLHS(), conditional);
      scan(b->getRHS(), true);
      return;
    }
    for (const Stmt *child : s->children())
      scan(child, conditional);
  }

  std::vector<const ArraySubscriptExpr *> conditionalReads;

private:
  const ParmVarDecl *input;
  bool leaves = false;
};

/// Stores through pointer parameters (assignments, increments), with the
/// range of the whole store expression.
class StoreFinder : public RecursiveASTVisitor<StoreFinder> {
public:
  bool VisitBinaryOperator(BinaryOperator *b) {
    if (b->isAssignmentOp())
      add(b->getLHS(), b);
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *u) {
    if (u->isIncrementDecrementOp())
      add(u->getSubExpr(), u);
    return true;
  }
  std::vector<std::pair<const ParmVarDecl *, const Expr *>> stores;

private:
  void add(const Expr *target, const Expr *store) {
    while (true) {
      target = target->IgnoreParenImpCasts();
      if (const auto *sub = dyn_cast<ArraySubscriptExpr>(target))
        target = sub->getBase();
      else if (const auto *u = dyn_cast<UnaryOperator>(target);
               u && u->getOpcode() == UO_Deref)
        target = u->getSubExpr();
      else if (const auto *b = dyn_cast<BinaryOperator>(target);
               b && b->getType()->isPointerType())
        target =
            b->getLHS()->getType()->isPointerType() ? b->getLHS() : b->getRHS();
      else
        break;
    }
    const auto *ref = dyn_cast<DeclRefExpr>(target);
    const auto *p = ref ? dyn_cast<ParmVarDecl>(ref->getDecl()) : nullptr;
    if (p && p->getType()->isPointerType())
      stores.push_back({p, store});
  }
};

//===----------------------------------------------------------------------===//
// The rule
//===----------------------------------------------------------------------===//

/// One read of the input and its offset from the thread's own element.
struct StencilRead {
  const ArraySubscriptExpr *expr;
  int64_t dx = 0, dy = 0;
};

class Rule {
public:
  explicit Rule(StepContext &sc) : sc(sc) {}
  llvm::Error run();

private:
  llvm::Error fail(SourceLocation loc, const llvm::Twine &why) {
    return sc.refuse(loc,
                     "not a stencil the step can tile: " + why + "; " + Shape);
  }
  llvm::Error matchStructure();
  llvm::Error checkGuard();
  llvm::Error selectInput();
  llvm::Error matchReads();
  llvm::Error checkBody();
  llvm::Error checkAliasing();
  llvm::Error selectBlock();
  llvm::Error emit();

  StepContext &sc;
  bool twoD = false;
  const CompoundStmt *body = nullptr;
  const VarDecl *row = nullptr, *col = nullptr;
  /// The first statement after the index declarations; the tile is loaded
  /// before it.
  const Stmt *first = nullptr;
  /// `if (C) return;` statements (their conditions are negated) and the
  /// guarding `if`, whose conditions together are the bounds check.
  std::vector<const IfStmt *> returnChecks;
  const IfStmt *guard = nullptr;
  /// The code that runs when the bounds check holds.
  std::vector<const Stmt *> guarded;
  const ParmVarDecl *input = nullptr;
  std::vector<StencilRead> reads;
  /// The row stride: an integer parameter, or a constant.
  const ValueDecl *strideParam = nullptr;
  int64_t strideValue = 0;
  int64_t minDx = 0, maxDx = 0, minDy = 0, maxDy = 0;
  std::array<int64_t, 3> block = {1, 1, 1};
};

llvm::Error Rule::matchStructure() {
  const FunctionDecl *kernel = sc.getKernel();
  const KernelInfo &info = *sc.getKernelInfo();
  body = dyn_cast_or_null<CompoundStmt>(kernel->getBody());
  if (!body)
    return sc.refuse(kernel->getLocation(), "the kernel has no body");
  unsigned dims = info.features.threadDims;
  if (dims != 1 && dims != 2)
    return sc.refuse(kernel->getLocation(),
                     "kernel '" + info.qualifiedName + "' indexes " +
                         llvm::Twine(dims) +
                         " thread dimension(s); the step tiles 1-D and 2-D "
                         "stencils");
  twoD = dims == 2;
  for (const SharedMemoryDecl &shared : info.sharedMemory)
    return sc.refuseAt(
        shared.loc, "the kernel already uses shared memory ('" + shared.name +
                        "'); the step stages the input in shared memory "
                        "of its own and applies only to kernels without "
                        "any");
  if (info.features.usesSharedMemory)
    return sc.refuse(kernel->getLocation(),
                     "the kernel already uses shared memory; the step "
                     "applies only to kernels without any");
  for (const IntrinsicUse &use : info.intrinsics)
    if (use.category == "barrier")
      return sc.refuseAt(use.loc, "the kernel synchronises ('" + use.name +
                                      "'); the step adds the only barrier "
                                      "and applies to kernels without any");
  if (info.features.usesBarriers)
    return sc.refuse(kernel->getLocation(),
                     "the kernel synchronises; the step adds the only "
                     "barrier and applies to kernels without any");

  // Declarations first: the thread indices and values every thread computes.
  auto it = body->body_begin();
  for (; it != body->body_end(); ++it) {
    const auto *ds = dyn_cast<DeclStmt>(*it);
    if (!ds)
      break;
    for (const Decl *d : ds->decls()) {
      const auto *var = dyn_cast<VarDecl>(d);
      if (!var || !var->getInit() || !var->getType()->isIntegerType())
        continue;
      if (!col && isThreadIndex(var->getInit(), 'x'))
        col = var;
      else if (!row && isThreadIndex(var->getInit(), 'y'))
        row = var;
    }
  }
  if (!col || (twoD && !row))
    return fail(kernel->getLocation(),
                twoD ? "the kernel does not declare both thread indices "
                       "'blockIdx.x * blockDim.x + threadIdx.x' and "
                       "'blockIdx.y * blockDim.y + threadIdx.y' at its start"
                     : "the kernel does not declare the thread index "
                       "'blockIdx.x * blockDim.x + threadIdx.x' at its start");
  if (!twoD)
    row = nullptr;
  for (const VarDecl *v : {col, row})
    if (v) {
      if (!v->getType()->isSignedIntegerType())
        return fail(v->getLocation(),
                    "'" + v->getName() +
                        "' is unsigned; halo coordinates left of the block "
                        "are negative, declare it 'int'");
      if (isWrittenInKernel(sc, v))
        return fail(v->getLocation(), "'" + v->getName() + "' changes");
    }
  if (it == body->body_end())
    return fail(body->getRBracLoc(),
                "the kernel has no bounds check after its declarations");
  first = *it;

  // `if (C) return;` ... then the rest, or one `if (guard) { ... }`.
  auto isReturnCheck = [](const Stmt *s) {
    const auto *i = dyn_cast<IfStmt>(s);
    if (!i || i->getElse() || i->getInit() || i->getConditionVariable())
      return false;
    const Stmt *then = i->getThen();
    if (const auto *c = dyn_cast<CompoundStmt>(then); c && c->size() == 1)
      then = c->body_front();
    const auto *ret = dyn_cast<ReturnStmt>(then);
    return ret && !ret->getRetValue();
  };
  for (; it != body->body_end() && isReturnCheck(*it); ++it)
    returnChecks.push_back(cast<IfStmt>(*it));
  std::vector<const Stmt *> rest(it, body->body_end());
  const auto *last =
      rest.size() == 1 ? dyn_cast<IfStmt>(rest.front()) : nullptr;
  if (last && !last->getElse() && !last->getInit() &&
      !last->getConditionVariable()) {
    guard = last;
    guarded.push_back(guard->getThen());
  } else if (!returnChecks.empty()) {
    guarded = rest;
  } else if (const auto *i = dyn_cast<IfStmt>(first);
             i && !i->getElse() && !i->getInit() &&
             !i->getConditionVariable()) {
    return fail(rest[1]->getBeginLoc(),
                "statements follow the bounds check; put them inside it");
  } else {
    return fail(first->getBeginLoc(),
                "the declarations are not followed by a bounds check ('if "
                "(guard) { ... }' or 'if (!guard) return;'), which tells the "
                "step which halo elements the original kernel reads");
  }
  if (guarded.empty())
    return fail(returnChecks.back()->getBeginLoc(),
                "nothing follows the bounds check");
  return llvm::Error::success();
}

llvm::Error Rule::checkGuard() {
  std::vector<const Expr *> conds;
  for (const IfStmt *i : returnChecks)
    conds.push_back(i->getCond());
  if (guard)
    conds.push_back(guard->getCond());
  for (const Expr *cond : conds) {
    GuardChecker checker(sc, row, col);
    checker.TraverseStmt(const_cast<Expr *>(cond));
    if (checker.bad.isValid())
      return sc.refuse(checker.bad.getBegin(),
                       "the bounds check uses '" + sc.getText(checker.bad) +
                           "', which the step cannot evaluate for the halo's "
                           "other threads; it may use only the thread "
                           "indices, parameters the kernel never changes, "
                           "constants and operators without side effects");
    if (cond->getBeginLoc().isMacroID() || cond->getEndLoc().isMacroID())
      return sc.refuse(cond->getBeginLoc(),
                       "the bounds check is spelled inside a macro expansion; "
                       "expand the macro first");
  }
  return llvm::Error::success();
}

llvm::Error Rule::selectInput() {
  const FunctionDecl *kernel = sc.getKernel();
  const RewriteStep &step = sc.getStep();
  if (step.has("input")) {
    std::string name = step.getString("input");
    std::string names;
    for (const ParmVarDecl *p : kernel->parameters()) {
      if (p->getName() == name)
        input = p;
      names += (names.empty() ? "" : ", ") + p->getName().str();
    }
    if (!input)
      return sc.refuseInPlan("input", "kernel '" +
                                          sc.getKernelInfo()->qualifiedName +
                                          "' has no parameter '" + name +
                                          "' (parameters: " + names + ")");
    if (!input->getType()->isPointerType())
      return sc.refuseInPlan("input",
                             "parameter '" + name + "' is not a pointer");
  } else {
    // The read-only pointer read at several elements that depend on the
    // thread.
    std::vector<const ParmVarDecl *> candidates, reused;
    for (const ParmVarDecl *p : kernel->parameters()) {
      if (!p->getType()->isPointerType())
        continue;
      PointerUses uses = analyzePointerUses(kernel, p, sc.getASTContext());
      if (uses.loads.empty() || !uses.writes.empty() || !uses.escapes.empty())
        continue;
      candidates.push_back(p);
      std::set<std::string> indices;
      // Elements that depend on the thread, at several places.
      for (const Expr *load : uses.loads)
        if (const auto *sub = dyn_cast<ArraySubscriptExpr>(load);
            sub && !sub->getIdx()->isValueDependent() &&
            !sub->getIdx()->isIntegerConstantExpr(sc.getASTContext()))
          indices.insert(sc.getText(load->getSourceRange()).str());
      if (indices.size() > 1)
        reused.push_back(p);
    }
    if (candidates.size() == 1)
      input = candidates.front();
    else if (reused.size() == 1)
      input = reused.front();
    if (!input) {
      std::string names;
      for (const ParmVarDecl *p : reused.empty() ? candidates : reused)
        names += (names.empty() ? "'" : ", '") + p->getName().str() + "'";
      return sc.refuseInPlan(
          "", names.empty()
                  ? "the kernel reads no pointer parameter that it never "
                    "writes; there is no stencil input to stage"
                  : "cannot tell which input to stage (" + names +
                        "); name it with 'input:'");
    }
  }
  PointerUses uses = analyzePointerUses(kernel, input, sc.getASTContext());
  if (!uses.writes.empty())
    return sc.refuse(uses.writes.front(),
                     "the kernel writes through '" + input->getName() +
                         "'; other threads would read its old value from "
                         "the tile");
  if (!uses.escapes.empty())
    return sc.refuse(uses.escapes.front(),
                     "'" + input->getName() +
                         "' is used other than by element reads (copied, "
                         "passed to a function, its address taken); the step "
                         "cannot tell what the kernel reads through it");
  if (uses.loads.empty())
    return sc.refuseInPlan(step.has("input") ? "input" : "",
                           "the kernel never reads '" + input->getName() + "'");
  QualType element = input->getType()->getPointeeType();
  const auto *record = element->getAsCXXRecordDecl();
  if (element.isVolatileQualified() ||
      !(element->isScalarType() ||
        (record && record->hasTrivialDefaultConstructor() &&
         record->isTriviallyCopyable())))
    return sc.refuse(input->getLocation(),
                     "'" + input->getName() + "' has elements of type '" +
                         element.getAsString() +
                         "', which a __shared__ array cannot hold as is");
  return llvm::Error::success();
}

llvm::Error Rule::matchReads() {
  PointerUses uses =
      analyzePointerUses(sc.getKernel(), input, sc.getASTContext());
  const SourceManager &sm = sc.getSourceManager();
  auto inGuarded = [&](const Expr *e) {
    for (const Stmt *s : guarded)
      if (!sm.isBeforeInTranslationUnit(e->getBeginLoc(), s->getBeginLoc()) &&
          !sm.isBeforeInTranslationUnit(s->getEndLoc(), e->getEndLoc()))
        return true;
    return false;
  };
  for (const Expr *load : uses.loads) {
    const auto *sub = dyn_cast<ArraySubscriptExpr>(load);
    if (!sub)
      return fail(load->getBeginLoc(),
                  "'" + input->getName() + "' is read without a subscript");
    if (!inGuarded(sub))
      return fail(sub->getBeginLoc(),
                  "'" + input->getName() +
                      "' is read outside the code the bounds check guards");
    if (sub->getBeginLoc().isMacroID() || sub->getEndLoc().isMacroID())
      return sc.refuse(sub->getBeginLoc(),
                       "this read of '" + input->getName() +
                           "' is spelled inside a macro expansion; expand the "
                           "macro first");
    IndexAnalyzer analyzer(sc, row, col);
    std::optional<Polynomial> poly = analyzer.analyze(sub->getIdx());
    if (!poly) {
      if (analyzer.nonConstant)
        return sc.refuse(analyzer.badLoc,
                         "the offset of this read of '" + input->getName() +
                             "' from the thread's element is not a "
                             "compile-time constant: " +
                             analyzer.why);
      return fail(analyzer.badLoc, "the index of '" + input->getName() +
                                       "' is not an affine expression of "
                                       "the thread indices: " +
                                       analyzer.why);
    }
    StencilRead read{sub};
    std::string layout =
        twoD ? "the index of '" + input->getName().str() + "' is not '(" +
                   row->getName().str() + " + dy) * W + " +
                   col->getName().str() +
                   " + dx' for one row stride W (an integer parameter or a "
                   "constant)"
             : "the index of '" + input->getName().str() + "' is not '" +
                   col->getName().str() + " + dx'";
    auto coef = [&](Monomial m) {
      sortFactors(m);
      auto found = poly->find(m);
      return found == poly->end() ? 0 : found->second;
    };
    // Terms without a thread index are the offset; besides constants only
    // the row stride (times dy) may appear there.
    for (const auto &[m, c] : *poly) {
      if (m.empty() || llvm::is_contained(m, col) ||
          (row && llvm::is_contained(m, row)))
        continue;
      if (twoD && m.size() == 1 &&
          (coef({row, m.front()}) != 0 || coef({col, m.front()}) != 0))
        continue;
      std::string names;
      for (const ValueDecl *d : m)
        names += (names.empty() ? "'" : " * '") + d->getName().str() + "'";
      return sc.refuse(sub->getIdx()->getBeginLoc(),
                       "the offset of this read of '" + input->getName() +
                           "' from the thread's element is not a "
                           "compile-time constant: it depends on " +
                           names);
    }
    if (coef({col}) != 1) {
      // Columns that vary with y instead: x must be the contiguous one.
      bool transposed = false;
      if (twoD)
        for (const auto &term : *poly)
          transposed |=
              term.first.size() == 2 && llvm::is_contained(term.first, col);
      if (transposed)
        return fail(sub->getIdx()->getBeginLoc(),
                    "'" + col->getName() + "' selects the row of '" +
                        input->getName() +
                        "'; the step needs x (threadIdx.x) to walk "
                        "contiguous elements");
      return fail(sub->getIdx()->getBeginLoc(), layout);
    }
    int64_t constant = coef({});
    if (!twoD) {
      if (poly->size() != (constant ? 2u : 1u))
        return fail(sub->getIdx()->getBeginLoc(), layout);
      read.dx = constant;
    } else {
      // Exactly one term with the row: `row * S` for an integer parameter
      // S (then `S * dy` may follow) or `row * C` for a constant C.
      const ValueDecl *stride = nullptr;
      int64_t strideConst = 0;
      unsigned rowTerms = 0;
      for (const auto &[m, c] : *poly) {
        if (!llvm::is_contained(m, row))
          continue;
        ++rowTerms;
        if (m.size() == 1 && c > 1)
          strideConst = c;
        else if (m.size() == 2 && c == 1 && m[0] != m[1] &&
                 isa<ParmVarDecl>(m[0] == row ? m[1] : m[0]))
          stride = m[0] == row ? m[1] : m[0];
      }
      if (rowTerms != 1 || (!stride && !strideConst))
        return fail(sub->getIdx()->getBeginLoc(), layout);
      unsigned expected = 2 + (constant != 0);
      if (stride) {
        read.dy = coef({stride});
        read.dx = constant;
        expected += read.dy != 0;
      } else {
        if (strideConst <= 2 * MaxRadius + 1)
          return fail(sub->getIdx()->getBeginLoc(),
                      "the row stride " + llvm::Twine(strideConst) +
                          " is too small to tell rows from columns");
        int64_t half = strideConst / 2;
        read.dy = constant >= 0 ? (constant + half) / strideConst
                                : -((-constant + half) / strideConst);
        read.dx = constant - read.dy * strideConst;
      }
      if (poly->size() != expected)
        return fail(sub->getIdx()->getBeginLoc(), layout);
      if (!reads.empty() &&
          (stride != strideParam || strideConst != strideValue))
        return sc.refuse(sub->getBeginLoc(),
                         "this read of '" + input->getName() +
                             "' uses another row stride than the read '" +
                             sc.getText(reads.front().expr->getSourceRange()) +
                             "'; the step stages one 2-D grid");
      strideParam = stride;
      strideValue = strideConst;
    }
    if (std::abs(read.dx) > MaxRadius || std::abs(read.dy) > MaxRadius)
      return sc.refuse(sub->getBeginLoc(),
                       "this read of '" + input->getName() +
                           "' is at offset (" + llvm::Twine(read.dx) + ", " +
                           llvm::Twine(read.dy) +
                           ") from the thread's element; the step stages "
                           "halos of at most " +
                           llvm::Twine(MaxRadius) + " elements");
    reads.push_back(read);
  }
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (const StencilRead &r : reads)
    offsets.insert({r.dx, r.dy});
  if (offsets.size() < 2)
    return sc.refuse(reads.front().expr->getBeginLoc(),
                     "the kernel reads '" + input->getName() +
                         "' at one offset only; no element is shared between "
                         "threads, so staging it in shared memory cannot "
                         "help");
  for (const StencilRead &r : reads) {
    minDx = std::min(minDx, r.dx);
    maxDx = std::max(maxDx, r.dx);
    minDy = std::min(minDy, r.dy);
    maxDy = std::max(maxDy, r.dy);
  }
  return llvm::Error::success();
}

llvm::Error Rule::checkBody() {
  // The tile holds exactly the elements that threads passing the bounds
  // check read; a read under a further condition could make the load touch
  // an element the original kernel never reads.
  ReadScanner scanner(input);
  for (const Stmt *s : guarded)
    scanner.scan(s, false);
  if (!scanner.conditionalReads.empty())
    return sc.refuse(
        scanner.conditionalReads.front()->getBeginLoc(),
        "this read of '" + input->getName() +
            "' runs only under a condition besides the bounds check (a "
            "branch, a loop, && or ||, or after a return); the step loads "
            "the halo that the bounds check alone implies and could read "
            "elements the original kernel never reads");
  return llvm::Error::success();
}

llvm::Error Rule::checkAliasing() {
  // Once staged, the input is read before any store of the kernel: a store
  // through a pointer that may point into it must not come before a read.
  bool inputRestrict = input->getType().isRestrictQualified();
  for (const RewriteStep &other : sc.getPlan().steps)
    if (other.kind == "restrict" &&
        sc.getIndex().find(other.kernel) == sc.getKernelInfo() &&
        (!other.has("params") ||
         llvm::is_contained(other.getStrings("params"), input->getName())))
      inputRestrict = true;
  if (inputRestrict)
    return llvm::Error::success();
  StoreFinder finder;
  for (const Stmt *s : guarded)
    finder.TraverseStmt(const_cast<Stmt *>(s));
  const SourceManager &sm = sc.getSourceManager();
  for (const auto &[param, store] : finder.stores) {
    if (param == input || param->getType().isRestrictQualified() ||
        !mayAlias(param, input))
      continue;
    for (const StencilRead &r : reads)
      if (sm.isBeforeInTranslationUnit(store->getEndLoc(),
                                       r.expr->getBeginLoc()))
        return sc.refuse(store->getBeginLoc(),
                         "'" + param->getName() + "' may point into '" +
                             input->getName() +
                             "' and is written before a read of it (at " +
                             sc.getText(r.expr->getSourceRange()) +
                             "), which would then see the tile's old value; "
                             "mark the pointers __restrict__ (a restrict "
                             "step) if they never overlap");
  }
  return llvm::Error::success();
}

llvm::Error Rule::selectBlock() {
  const RewriteStep &step = sc.getStep();
  const KernelInfo &info = *sc.getKernelInfo();
  bool known = false;
  if (step.has("block-x")) {
    block = {step.getInt("block-x", 1), step.getInt("block-y", 1), 1};
    known = true;
  } else if (step.has("block-y")) {
    return sc.refuseInPlan("block-y", "'block-y' needs 'block-x'");
  } else {
    // The last set-block-size step of the plan that sets every launch.
    for (const RewriteStep &other : sc.getPlan().steps)
      if (other.kind == "set-block-size" && !other.has("launch") &&
          sc.getIndex().find(other.kernel) == &info) {
        block = {other.getInt("x", 1), other.getInt("y", 1),
                 other.getInt("z", 1)};
        known = true;
      }
    // Otherwise the launches in the file, if they agree.
    if (!known) {
      for (const CUDAKernelCallExpr *launch :
           findLaunches(sc.getKernel(), sc.getASTContext())) {
        std::optional<std::array<int64_t, 3>> b = getLaunchBlock(sc, launch);
        if (!b || (known && *b != block)) {
          known = false;
          break;
        }
        block = *b;
        known = true;
      }
    }
    if (!known)
      return sc.refuseInPlan(
          "", "the block shape of kernel '" + info.qualifiedName +
                  "' is unknown (no set-block-size step, and the file has no "
                  "launch of it with a constant block, or launches with "
                  "different ones), but the tile's size depends on it; give "
                  "'block-x'" +
                  (twoD ? " and 'block-y'" : "") +
                  " or add a set-block-size step");
  }
  if (block[0] * block[1] * block[2] > 1024)
    return sc.refuseInPlan(
        step.has("block-y") ? "block-y" : "",
        "a block of " + llvm::Twine(block[0]) + " x " + llvm::Twine(block[1]) +
            " x " + llvm::Twine(block[2]) + " threads exceeds 1024 threads");
  if (block[2] != 1 || (!twoD && block[1] != 1))
    return sc.refuseInPlan(step.has("block-y") ? "block-y" : "",
                           "kernel '" + info.qualifiedName + "' indexes " +
                               llvm::Twine(twoD ? 2 : 1) +
                               " thread dimension(s), but the block (" +
                               llvm::Twine(block[0]) + ", " +
                               llvm::Twine(block[1]) + ", " +
                               llvm::Twine(block[2]) + ") has threads in more");
  uint64_t elementBytes =
      sc.getASTContext()
          .getTypeSizeInChars(input->getType()->getPointeeType())
          .getQuantity();
  uint64_t bytes = uint64_t(block[0] + maxDx - minDx) *
                   uint64_t(block[1] + maxDy - minDy) * elementBytes;
  if (bytes > MaxSharedBytes)
    return sc.refuseInPlan("", "the tile of " + llvm::Twine(bytes) +
                                   " bytes exceeds the " +
                                   llvm::Twine(MaxSharedBytes) +
                                   " bytes of static shared memory a block may "
                                   "use; choose a smaller block");
  return requireLaunchBlock(sc, block);
}

/// Joins `parts` with the operator `op` as clang-format would: the line
/// starts at `column`, breaks before passing 80 columns, and continuation
/// lines start with `indent`; `tail` closes the last part.
std::string joinWrapped(llvm::ArrayRef<std::string> parts, llvm::StringRef op,
                        size_t column, llvm::StringRef indent,
                        llvm::StringRef tail) {
  std::string result;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string piece =
        parts[i] + (i + 1 < parts.size() ? " " + op.str() : tail.str());
    if (i > 0 && column + 1 + piece.size() > 80) {
      result += "\n" + indent.str();
      column = indent.size();
    } else if (i > 0) {
      result += " ";
      ++column;
    }
    result += piece;
    column += piece.size();
  }
  return result;
}

/// `v`, `v + 3` or `v - 3`.
std::string plusConstant(llvm::StringRef v, int64_t c) {
  if (c == 0)
    return v.str();
  return (v + (c > 0 ? " + " : " - ") + llvm::Twine(std::abs(c))).str();
}

llvm::Error Rule::emit() {
  PrintingPolicy policy(sc.getASTContext().getLangOpts());
  policy.SuppressTagKeyword = true;
  std::string element =
      input->getType()->getPointeeType().getUnqualifiedType().getAsString(
          policy);
  std::string name = input->getName().str();
  std::string tile = uniqueName(sc, name + "_tile");
  std::string needed = uniqueName(sc, name + "_needed");
  std::string rowLoop = uniqueName(sc, name + "_row");
  std::string colLoop = uniqueName(sc, name + "_col");
  std::string colHalo = uniqueName(sc, col->getName().str() + "_halo");
  std::string rowHalo =
      twoD ? uniqueName(sc, row->getName().str() + "_halo") : "";
  std::string colType = spellType(sc, col);
  std::string rowType = twoD ? spellType(sc, row) : "";
  int64_t width = block[0] + maxDx - minDx;
  int64_t height = block[1] + maxDy - minDy;

  std::string guardText;
  for (const IfStmt *i : returnChecks)
    guardText += (guardText.empty() ? "!(" : " && !(") +
                 sc.getText(i->getCond()->getSourceRange()).str() + ")";
  if (guard) {
    std::string cond = sc.getText(guard->getCond()->getSourceRange()).str();
    guardText += guardText.empty() ? cond : " && (" + cond + ")";
  }

  std::string indent = lineIndent(sc, first->getBeginLoc());
  std::string in1 = indent + "  ";
  std::string colName = col->getName().str();
  std::string code = "__shared__ " + element + " " + tile;
  if (twoD)
    code += "[" + std::to_string(height) + "]";
  code += "[" + std::to_string(width) + "];\n";
  // Whether the thread at these coordinates exists and passes the bounds
  // check, i.e. whether the original kernel runs its stencil there.
  code += indent + "auto " + needed + " = [=](" + colType + " " + colName;
  std::vector<std::string> conjuncts = {colName + " >= 0"};
  // The threads of the grid along `d`, as a long long: the product of the
  // two unsigned extents can pass INT_MAX (and wrap in 32 bits), and the
  // index, known to be >= 0 here, converts to long long without change.
  auto threads = [](char d) {
    return std::string("(long long)gridDim.") + d + " * blockDim." + d;
  };
  if (twoD) {
    std::string rowName = row->getName().str();
    code += ", " + rowType + " " + rowName;
    conjuncts.push_back(rowName + " >= 0");
    conjuncts.push_back(colName + " < " + threads('x'));
    conjuncts.push_back(rowName + " < " + threads('y'));
  } else {
    conjuncts.push_back(colName + " < " + threads('x'));
  }
  conjuncts.push_back("(" + guardText + ")");
  code += ") {\n" + in1 + "return " +
          joinWrapped(conjuncts, "&&", in1.size() + 7, in1 + "       ", ";") +
          "\n" + indent + "};\n";

  // Some thread reads the element at (x_halo, y_halo) with offset (dx, dy)
  // exactly when the thread at (x_halo - dx, y_halo - dy) runs its stencil.
  std::vector<std::string> readers;
  std::set<std::pair<int64_t, int64_t>> seen;
  for (const StencilRead &r : reads)
    if (seen.insert({r.dx, r.dy}).second)
      readers.push_back(needed + "(" + plusConstant(colHalo, -r.dx) +
                        (twoD ? ", " + plusConstant(rowHalo, -r.dy) : "") +
                        ")");
  std::string load;
  std::string loopIndent = twoD ? in1 : indent;
  std::string bodyIndent = loopIndent + "  ";
  if (twoD) {
    code += indent + "for (int " + rowLoop + " = threadIdx.y; " + rowLoop +
            " < " + std::to_string(height) + "; " + rowLoop +
            " += blockDim.y) {\n";
  }
  code += loopIndent + "for (int " + colLoop + " = threadIdx.x; " + colLoop +
          " < " + std::to_string(width) + "; " + colLoop +
          " += blockDim.x) {\n";
  if (twoD)
    code += bodyIndent + rowType + " " + rowHalo + " = " +
            plusConstant(rowType + "(blockIdx.y * blockDim.y) + " + rowLoop,
                         minDy) +
            ";\n";
  code +=
      bodyIndent + colType + " " + colHalo + " = " +
      plusConstant(colType + "(blockIdx.x * blockDim.x) + " + colLoop, minDx) +
      ";\n";
  std::string strideText =
      strideParam ? strideParam->getName().str() : std::to_string(strideValue);
  std::string globalIndex =
      twoD ? rowHalo + " * " + strideText + " + " + colHalo : colHalo;
  code += bodyIndent + "if (" +
          joinWrapped(readers, "||", bodyIndent.size() + 4, bodyIndent + "    ",
                      ")") +
          "\n" + bodyIndent + "  " + tile + (twoD ? "[" + rowLoop + "]" : "") +
          "[" + colLoop + "] = " + name + "[" + globalIndex + "];\n" +
          loopIndent + "}\n";
  if (twoD)
    code += indent + "}\n";
  code += indent + "__syncthreads();";
  if (llvm::Error err = insertLinesBefore(sc, first->getBeginLoc(), code))
    return err;

  for (const StencilRead &r : reads) {
    std::string text = tile;
    if (twoD)
      text += "[" + plusConstant("threadIdx.y", r.dy - minDy) + "]";
    text += "[" + plusConstant("threadIdx.x", r.dx - minDx) + "]";
    if (llvm::Error err = sc.replace(
            CharSourceRange::getTokenRange(r.expr->getSourceRange()), text))
      return err;
  }
  return llvm::Error::success();
}

llvm::Error Rule::run() {
  if (llvm::Error err = matchStructure())
    return err;
  if (llvm::Error err = checkGuard())
    return err;
  if (llvm::Error err = selectInput())
    return err;
  if (llvm::Error err = matchReads())
    return err;
  if (llvm::Error err = checkBody())
    return err;
  if (llvm::Error err = checkAliasing())
    return err;
  if (llvm::Error err = selectBlock())
    return err;
  return emit();
}

} // namespace

llvm::Error cupilot::rewrite::applyTileStencil(StepContext &sc) {
  return Rule(sc).run();
}
