//===- KernelExtractor.cpp - KernelInfo from the Clang AST ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Walks every __global__ function of the main file and records plain facts:
// parameters, loops, memory accesses (with their index expressions normalised
// to polynomials over thread/block indices, parameters and loop variables),
// shared memory, synchronisation and warp intrinsics, and host launch sites.
// Static features and the per-thread cost estimate are derived from those
// facts in KernelFeatures.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelAnalysis.h"

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Frontend/MathFunctions.h"
#include "cupilot/Support/Polynomial.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <set>

using namespace clang;
using namespace cupilot;
using namespace cupilot::detail;

//===----------------------------------------------------------------------===//
// Source text helpers
//===----------------------------------------------------------------------===//

static std::string collapseSpaces(StringRef text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space)
      out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string cupilot::detail::getText(const Expr *e, const ASTContext &ctx) {
  if (!e)
    return "";
  const SourceManager &sm = ctx.getSourceManager();
  SourceRange range = e->getSourceRange();
  SourceLocation b = range.getBegin(), en = range.getEnd();
  // An expression written inside one macro body (a kernel produced by a
  // macro) has no text of its own in the file: print it instead.
  bool insideOneMacro = b.isMacroID() && en.isMacroID() &&
                        sm.getExpansionLoc(b) == sm.getExpansionLoc(en) &&
                        !sm.isMacroArgExpansion(b);
  if (b.isValid() && en.isValid() && !insideOneMacro) {
    // Macro arguments map to where they were written, other macro tokens
    // (`TILE`) to their expansion.
    SourceLocation fb = sm.getFileLoc(b), fe = sm.getFileLoc(en);
    if (sm.getFileID(fb) == sm.getFileID(fe) &&
        !sm.isBeforeInTranslationUnit(fe, fb)) {
      bool invalid = false;
      StringRef text = Lexer::getSourceText(
          CharSourceRange::getTokenRange(fb, fe), sm, ctx.getLangOpts(),
          &invalid);
      if (!invalid && !text.empty())
        return collapseSpaces(text);
    }
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  PrintingPolicy policy(ctx.getLangOpts());
  policy.SuppressImplicitBase = true;
  e->printPretty(os, nullptr, policy);
  return collapseSpaces(out);
}

SourceLoc cupilot::detail::getLoc(SourceLocation loc, const ASTContext &ctx) {
  SourceLoc result;
  const SourceManager &sm = ctx.getSourceManager();
  if (loc.isInvalid())
    return result;
  PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(loc));
  if (p.isInvalid())
    return result;
  result.file = p.getFilename();
  result.line = p.getLine();
  result.column = p.getColumn();
  return result;
}

static std::optional<int64_t> evaluateInt(const Expr *e,
                                          const ASTContext &ctx) {
  if (!e || e->isValueDependent() || e->isTypeDependent() ||
      e->containsErrors())
    return std::nullopt;
  Expr::EvalResult result;
  if (!e->EvaluateAsInt(result, ctx))
    return std::nullopt;
  const llvm::APSInt &v = result.Val.getInt();
  if (v.getSignificantBits() > 64)
    return std::nullopt;
  return v.getExtValue();
}

static std::string typeToString(QualType type, const ASTContext &ctx) {
  PrintingPolicy policy(ctx.getLangOpts());
  policy.SuppressTagKeyword = true;
  return type.getAsString(policy);
}

/// The CUDA builtin `threadIdx.x` etc. is an MS property reference wrapped
/// in a PseudoObjectExpr; returns "threadIdx.x" or "".
static std::string getCudaBuiltinName(const Expr *e) {
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
  if (!ref)
    return "";
  StringRef var = ref->getDecl()->getName();
  if (var != "threadIdx" && var != "blockIdx" && var != "blockDim" &&
      var != "gridDim")
    return "";
  return (var + "." + prop->getPropertyDecl()->getName()).str();
}

//===----------------------------------------------------------------------===//
// Kernel body analysis
//===----------------------------------------------------------------------===//

/// Drops one pair of parentheses around the whole of `text`.
static std::string stripParens(const std::string &text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    return text;
  int depth = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
    if (depth == 0)
      return text; // `(a) + (b)`
  }
  return text.substr(1, text.size() - 2);
}

/// A symbol for an opaque sub-expression, parenthesised when it has an
/// operator at top level so that products of symbols print correctly.
static Polynomial opaqueSymbol(const std::string &text) {
  int depth = 0;
  for (char c : text) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth == 0 && (c == ' ' || c == '+' || c == '-' || c == '*' ||
                       c == '/' || c == '%' || c == '<' || c == '>' ||
                       c == '?' || c == '&' || c == '|' || c == '^'))
      return Polynomial::symbol("(" + text + ")");
  }
  return Polynomial::symbol(text);
}

namespace {

/// Flags gathered while turning an expression into a polynomial.
struct PolyFlags {
  /// The value depends on something loaded from memory.
  bool load = false;
  /// Thread dimensions (bit 0 = x) a non-polynomial part depends on.
  unsigned opaqueThreadDims = 0;
  /// A variable whose value is not known statically (modified local).
  bool opaqueVariable = false;
};

struct LoopState {
  const Stmt *stmt = nullptr;
  const VarDecl *iv = nullptr;
  /// The loop variable's start value (its progress is the IV symbol).
  Polynomial init;
  PolyFlags initFlags;
  bool stepUniform = false;
  std::optional<Polynomial> trip;
  bool tripKnown = false;
};

class BodyAnalyzer : public RecursiveASTVisitor<BodyAnalyzer> {
public:
  BodyAnalyzer(const FunctionDecl *kernel, ASTContext &ctx, KernelInfo &info,
               KernelFacts &facts)
      : kernel(kernel), ctx(ctx), info(info), facts(facts) {}

  bool shouldVisitTemplateInstantiations() const { return false; }
  bool shouldVisitLambdaBodies() const { return true; }

  void run() {
    for (const ParmVarDecl *p : kernel->parameters())
      if (p->getType()->isIntegralOrEnumerationType())
        integerParams.insert(p->getName().str());
    collectModifications(kernel->getBody());
    TraverseStmt(kernel->getBody());
  }

  // Loops ----------------------------------------------------------------
  bool TraverseAttributedStmt(AttributedStmt *s) {
    for (const Attr *a : s->getAttrs()) {
      const auto *hint = dyn_cast<LoopHintAttr>(a);
      if (!hint)
        continue;
      if (hint->getOption() == LoopHintAttr::Unroll ||
          hint->getOption() == LoopHintAttr::UnrollCount) {
        if (hint->getState() == LoopHintAttr::Full ||
            hint->getState() == LoopHintAttr::Enable)
          pendingUnroll = -1;
        else if (hint->getState() == LoopHintAttr::Disable)
          pendingUnroll = 1;
        if (hint->getOption() == LoopHintAttr::UnrollCount)
          if (auto v = evaluateInt(hint->getValue(), ctx))
            pendingUnroll = static_cast<int>(*v);
      }
    }
    return RecursiveASTVisitor::TraverseAttributedStmt(s);
  }

  bool TraverseForStmt(ForStmt *s) {
    if (s->getInit())
      TraverseStmt(s->getInit());
    LoopState state = analyzeFor(s);
    pushLoop(s, "for", std::move(state));
    if (s->getCond())
      TraverseStmt(s->getCond());
    if (s->getInc())
      TraverseStmt(s->getInc());
    TraverseStmt(s->getBody());
    popLoop();
    return true;
  }

  bool TraverseWhileStmt(WhileStmt *s) {
    pushLoop(s, "while", LoopState());
    bool ok = RecursiveASTVisitor::TraverseWhileStmt(s);
    popLoop();
    return ok;
  }

  bool TraverseDoStmt(DoStmt *s) {
    pushLoop(s, "do", LoopState());
    bool ok = RecursiveASTVisitor::TraverseDoStmt(s);
    popLoop();
    return ok;
  }

  bool TraverseCXXForRangeStmt(CXXForRangeStmt *s) {
    pushLoop(s, "for", LoopState());
    bool ok = RecursiveASTVisitor::TraverseCXXForRangeStmt(s);
    popLoop();
    return ok;
  }

  // Memory accesses ------------------------------------------------------
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *e) {
    // Partial subscripts of multi-dimensional arrays (`a[i]` in `a[i][j]`)
    // are handled with the full access.
    if (e->getType()->isArrayType())
      return true;
    recordAccess(e);
    return true;
  }

  bool VisitUnaryOperator(UnaryOperator *u) {
    if (u->getOpcode() == UO_Deref && !u->getType()->isFunctionType())
      recordAccess(u);
    return true;
  }

  // Arithmetic for the cost estimate -------------------------------------
  bool VisitBinaryOperator(BinaryOperator *b) {
    if (!b->getType()->isRealFloatingType() &&
        !isHalfLike(b->getType()))
      return true;
    switch (b->getOpcode()) {
    case BO_Add:
    case BO_Sub:
    case BO_Mul:
    case BO_Div:
    case BO_AddAssign:
    case BO_SubAssign:
    case BO_MulAssign:
    case BO_DivAssign:
      facts.flops.push_back({currentLoop(), 1});
      break;
    default:
      break;
    }
    if (b->isCompoundAssignmentOp() || b->getOpcode() == BO_Assign)
      noteAccumulation(b);
    return true;
  }

  bool VisitCompoundAssignOperator(CompoundAssignOperator *) { return true; }

  bool VisitCXXOperatorCallExpr(CXXOperatorCallExpr *call) {
    // Arithmetic on __half / __nv_bfloat16 goes through operator overloads.
    if (call->getNumArgs() == 2 && isHalfLike(call->getType())) {
      switch (call->getOperator()) {
      case OO_Plus:
      case OO_Minus:
      case OO_Star:
      case OO_Slash:
      case OO_PlusEqual:
      case OO_MinusEqual:
      case OO_StarEqual:
      case OO_SlashEqual:
        facts.flops.push_back({currentLoop(), 1});
        break;
      default:
        break;
      }
    }
    return true;
  }

  bool VisitCallExpr(CallExpr *call) {
    std::string name = calleeName(call);
    if (name.empty())
      return true;
    if (const char *category = intrinsicCategory(call, name)) {
      IntrinsicUse use;
      use.name = name;
      use.category = category;
      use.loop = currentLoop();
      use.loc = getLoc(call->getBeginLoc(), ctx);
      info.intrinsics.push_back(std::move(use));
      // `atomicAdd(p, v)` on a plain pointer accesses *p.
      if (StringRef(category) == "atomic" && call->getNumArgs() > 0) {
        const Expr *target = call->getArg(0)->IgnoreParenImpCasts();
        const auto *addr = dyn_cast<UnaryOperator>(target);
        if (target->getType()->isPointerType() &&
            !(addr && addr->getOpcode() == UO_AddrOf))
          recordAccess(call, target);
      }
    }
    if (int flops = mathFlops(name))
      facts.flops.push_back({currentLoop(), flops});
    if (findFastMathCall(call))
      ++facts.fastMathCalls;
    return true;
  }

  // Bounds guards ----------------------------------------------------------
  bool VisitIfStmt(IfStmt *s) {
    const Stmt *then = s->getThen();
    if (const auto *block = dyn_cast_or_null<CompoundStmt>(then))
      if (block->size() == 1)
        then = block->body_front();
    bool earlyReturn = then && isa<ReturnStmt>(then) && !s->getElse();
    collectGuards(s->getCond(), earlyReturn);
    return true;
  }

  /// `(i < n) ? in[i] : 0.0f` guards the access like an `if` does.
  bool VisitConditionalOperator(ConditionalOperator *c) {
    collectGuards(c->getCond(), /*earlyReturn=*/false);
    return true;
  }

  // Shared memory ----------------------------------------------------------
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    const auto *var = dyn_cast<VarDecl>(ref->getDecl());
    if (var && var->hasAttr<CUDASharedAttr>())
      noteSharedDecl(var);
    if (var && var->hasAttr<CUDAConstantAttr>())
      facts.usesConstantMemory = true;
    return true;
  }

  bool VisitVarDecl(VarDecl *var) {
    if (var->hasAttr<CUDASharedAttr>())
      noteSharedDecl(var);
    return true;
  }

  // Thread dimensions ------------------------------------------------------
  /// Every threadIdx/blockIdx counts, also where the index analysis does not
  /// reach (`i` reassigned in a while loop is opaque to it).
  bool VisitPseudoObjectExpr(PseudoObjectExpr *e) {
    noteThreadDim(getCudaBuiltinName(e));
    return true;
  }

  /// Maximum thread dimension referenced through threadIdx/blockIdx.
  unsigned threadDims = 0;

private:
  /// Splits `a && b` (or, for early returns, `a || b`) and records each
  /// comparison of a thread-dependent expression with a uniform bound.
  void collectGuards(const Expr *cond, bool earlyReturn) {
    if (!cond)
      return;
    cond = cond->IgnoreParenImpCasts();
    const auto *b = dyn_cast<BinaryOperator>(cond);
    if (!b)
      return;
    if (b->getOpcode() == (earlyReturn ? BO_LOr : BO_LAnd)) {
      collectGuards(b->getLHS(), earlyReturn);
      collectGuards(b->getRHS(), earlyReturn);
      return;
    }
    if (!b->isRelationalOp())
      return;
    auto isIndexish = [](const Polynomial &p) {
      for (const std::string &s : p.symbols())
        if (StringRef(s).starts_with("threadIdx.") ||
            StringRef(s).starts_with("blockIdx."))
          return true;
      return false;
    };
    PolyFlags lf, rf;
    Polynomial l = toPoly(b->getLHS(), lf, true);
    Polynomial r = toPoly(b->getRHS(), rf, true);
    BinaryOperatorKind op = b->getOpcode();
    const Expr *exprSide = b->getLHS(), *boundSide = b->getRHS();
    if (!isIndexish(l) && isIndexish(r)) {
      std::swap(l, r);
      std::swap(lf, rf);
      std::swap(exprSide, boundSide);
      op = BinaryOperator::reverseComparisonOp(op);
    }
    if (!isIndexish(l) || isIndexish(r) || rf.load || lf.load)
      return;
    if (earlyReturn)
      op = BinaryOperator::negateComparisonOp(op);
    BoundsGuard guard;
    guard.expr = getText(exprSide, ctx);
    guard.comparison = BinaryOperator::getOpcodeStr(op).str();
    guard.bound = getText(boundSide, ctx);
    guard.earlyReturn = earlyReturn;
    guard.loc = getLoc(b->getBeginLoc(), ctx);
    static const char *dims[] = {"x", "y", "z"};
    for (const char *d : dims) {
      bool t = l.mentions(std::string("threadIdx.") + d);
      bool bl = l.mentions(std::string("blockIdx.") + d);
      if (t || bl)
        guard.dims.push_back(d);
      guard.usesThreadIdx |= t;
    }
    GuardFacts gf;
    gf.expr = l;
    for (const std::string &sym : r.symbols())
      if (integerParams.count(sym))
        gf.boundParams.push_back(sym);
    guard.boundParams = gf.boundParams;
    info.guards.push_back(std::move(guard));
    facts.guardPolys.push_back(std::move(gf));
  }

  //===--------------------------------------------------------------------===//
  // Modifications: which locals are assigned after their declaration.
  //===--------------------------------------------------------------------===//
  /// Records which locals are modified. Plain `v = e` assignments in
  /// straight-line code (not under a loop or branch) are remembered as
  /// definitions, so a later use reads the latest one.
  void collectModifications(const Stmt *s, bool nested = false) {
    if (!s)
      return;
    auto noteTarget = [&](const Expr *target, const Expr *value) {
      target = target->IgnoreParenImpCasts();
      const auto *ref = dyn_cast<DeclRefExpr>(target);
      const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
      if (!var)
        return;
      modified.insert(var);
      // The definition is visible after its right-hand side (so that
      // `x = x * 2` reads the previous definition of x).
      if (value && !nested)
        straightDefs[var].push_back({value->getEndLoc(), value});
      else
        complexModified.insert(var);
    };
    if (const auto *b = dyn_cast<BinaryOperator>(s)) {
      if (b->getOpcode() == BO_Assign)
        noteTarget(b->getLHS(), b->getRHS());
      else if (b->isAssignmentOp())
        noteTarget(b->getLHS(), nullptr);
    } else if (const auto *u = dyn_cast<UnaryOperator>(s)) {
      if (u->isIncrementDecrementOp() || u->getOpcode() == UO_AddrOf)
        noteTarget(u->getSubExpr(), nullptr);
    } else if (const auto *op = dyn_cast<CXXOperatorCallExpr>(s)) {
      if (op->isAssignmentOp() && op->getNumArgs() > 0)
        noteTarget(op->getArg(0), nullptr);
    }
    bool childNested = nested || isa<ForStmt>(s) || isa<WhileStmt>(s) ||
                       isa<DoStmt>(s) || isa<IfStmt>(s) ||
                       isa<SwitchStmt>(s) || isa<CXXForRangeStmt>(s) ||
                       isa<ConditionalOperator>(s) || isa<LambdaExpr>(s);
    // `a && (v = x)` only maybe assigns.
    if (const auto *b = dyn_cast<BinaryOperator>(s))
      childNested |= b->isLogicalOp();
    for (const Stmt *child : s->children())
      collectModifications(child, childNested);
  }

  /// The expression defining `var` at `use`: the latest straight-line
  /// assignment before it, else the initializer; null when unknown.
  const Expr *reachingDefinition(const VarDecl *var, SourceLocation use) {
    if (complexModified.count(var))
      return nullptr;
    const Expr *def = var->getInit();
    auto it = straightDefs.find(var);
    if (it == straightDefs.end())
      return def;
    const SourceManager &sm = ctx.getSourceManager();
    for (const auto &[loc, value] : it->second)
      if (sm.isBeforeInTranslationUnit(loc, use))
        def = value;
    return def;
  }

  //===--------------------------------------------------------------------===//
  // Expressions as polynomials.
  //===--------------------------------------------------------------------===//
  void noteThreadDim(StringRef builtin) {
    if (builtin.starts_with("threadIdx.") || builtin.starts_with("blockIdx."))
      threadDims = std::max(threadDims, builtin.ends_with(".x")   ? 1u
                                        : builtin.ends_with(".y") ? 2u
                                                                  : 3u);
  }

  static unsigned dimBit(StringRef builtin) {
    if (builtin.ends_with(".x"))
      return 1;
    if (builtin.ends_with(".y"))
      return 2;
    return 4;
  }

  /// Thread-dimension bits of any threadIdx/blockIdx mentioned inside `e`,
  /// and whether it reads memory.
  void scanOpaque(const Expr *e, PolyFlags &flags, bool substituteIVs,
                  unsigned depth) {
    if (!e)
      return;
    std::string builtin = getCudaBuiltinName(e);
    if (!builtin.empty()) {
      if (StringRef(builtin).starts_with("threadIdx"))
        flags.opaqueThreadDims |= dimBit(builtin);
      return;
    }
    e = e->IgnoreParenImpCasts();
    if (isa<ArraySubscriptExpr>(e) ||
        (isa<UnaryOperator>(e) &&
         cast<UnaryOperator>(e)->getOpcode() == UO_Deref)) {
      flags.load = true;
    }
    if (const auto *ref = dyn_cast<DeclRefExpr>(e)) {
      // Functions and enumerators carry no thread dependence (a function
      // name is opaque to toPoly, which would scan it again).
      if (!isa<VarDecl>(ref->getDecl()))
        return;
      if (depth > 64) {
        flags.opaqueVariable = true;
        return;
      }
      PolyFlags inner;
      // Any threadIdx reached through the variable counts as opaque here.
      Polynomial p = toPoly(ref, inner, substituteIVs, depth + 1);
      flags.load |= inner.load;
      flags.opaqueVariable |= inner.opaqueVariable;
      flags.opaqueThreadDims |= inner.opaqueThreadDims;
      for (const char *d : {"threadIdx.x", "threadIdx.y", "threadIdx.z"})
        if (p.mentions(d))
          flags.opaqueThreadDims |= dimBit(d);
      return;
    }
    for (const Stmt *child : e->children())
      if (const auto *ce = dyn_cast_or_null<Expr>(child))
        scanOpaque(ce, flags, substituteIVs, depth + 1);
  }

  Polynomial opaque(const Expr *e, PolyFlags &flags, bool substituteIVs,
                    unsigned depth) {
    scanOpaque(e, flags, substituteIVs, depth);
    std::string text = getText(e, ctx);
    if (!isa<DeclRefExpr>(e->IgnoreParenImpCasts()))
      text = "(" + text + ")";
    return Polynomial::symbol(text);
  }

  const LoopState *loopOf(const VarDecl *var) const {
    for (const auto &[stmt, state] : loopStates)
      if (state.iv == var)
        return &state;
    return nullptr;
  }

public:
  /// Converts an integer expression to a polynomial over builtins
  /// (`threadIdx.x`), parameters and loop variables. With `substituteIVs`,
  /// a loop variable becomes `init + iv`, so the thread dependence of its
  /// start value is visible.
  Polynomial toPoly(const Expr *e, PolyFlags &flags, bool substituteIVs,
                    unsigned depth = 0) {
    if (!e)
      return Polynomial();
    // Past the depth limit nothing is known about the value, not even
    // whether it depends on the thread.
    if (depth > 64) {
      flags.opaqueVariable = true;
      return Polynomial::symbol("(" + getText(e, ctx) + ")");
    }
    std::string builtin = getCudaBuiltinName(e);
    if (!builtin.empty()) {
      noteThreadDim(builtin);
      return Polynomial::symbol(builtin);
    }
    if (auto v = evaluateInt(e, ctx))
      return Polynomial::constant(*v);

    e = e->IgnoreParens();
    if (const auto *cast = dyn_cast<CastExpr>(e)) {
      QualType t = cast->getType();
      if (t->isIntegralOrEnumerationType() || t->isPointerType() ||
          isa<ImplicitCastExpr>(cast))
        return toPoly(cast->getSubExpr(), flags, substituteIVs, depth + 1);
      return opaque(e, flags, substituteIVs, depth);
    }
    if (const auto *tmp = dyn_cast<MaterializeTemporaryExpr>(e))
      return toPoly(tmp->getSubExpr(), flags, substituteIVs, depth + 1);
    // `i = block.group_index().x * ...` destroys temporaries at its end.
    if (const auto *full = dyn_cast<FullExpr>(e))
      return toPoly(full->getSubExpr(), flags, substituteIVs, depth + 1);
    if (const auto *bind = dyn_cast<CXXBindTemporaryExpr>(e))
      return toPoly(bind->getSubExpr(), flags, substituteIVs, depth + 1);
    if (const auto *subst = dyn_cast<SubstNonTypeTemplateParmExpr>(e))
      return toPoly(subst->getReplacement(), flags, substituteIVs, depth + 1);

    if (const auto *b = dyn_cast<BinaryOperator>(e)) {
      switch (b->getOpcode()) {
      case BO_Add:
      case BO_Sub:
      case BO_Mul: {
        // Pointer arithmetic in an index keeps element units.
        Polynomial l = toPoly(b->getLHS(), flags, substituteIVs, depth + 1);
        Polynomial r = toPoly(b->getRHS(), flags, substituteIVs, depth + 1);
        Polynomial result = b->getOpcode() == BO_Add   ? l + r
                            : b->getOpcode() == BO_Sub ? l - r
                                                       : l * r;
        if (result.size() > 64 || result.degree() > 6)
          return opaque(e, flags, substituteIVs, depth);
        return result;
      }
      case BO_Shl:
        if (auto sh = evaluateInt(b->getRHS(), ctx); sh && *sh >= 0 &&
                                                     *sh < 31)
          return toPoly(b->getLHS(), flags, substituteIVs, depth + 1) *
                 Polynomial::constant(int64_t(1) << *sh);
        return opaque(e, flags, substituteIVs, depth);
      case BO_Comma:
        return toPoly(b->getRHS(), flags, substituteIVs, depth + 1);
      default:
        return opaque(e, flags, substituteIVs, depth);
      }
    }
    if (const auto *u = dyn_cast<UnaryOperator>(e)) {
      if (u->getOpcode() == UO_Minus)
        return -toPoly(u->getSubExpr(), flags, substituteIVs, depth + 1);
      if (u->getOpcode() == UO_Plus)
        return toPoly(u->getSubExpr(), flags, substituteIVs, depth + 1);
      return opaque(e, flags, substituteIVs, depth);
    }
    if (const auto *ref = dyn_cast<DeclRefExpr>(e)) {
      const ValueDecl *decl = ref->getDecl();
      if (const auto *parm = dyn_cast<ParmVarDecl>(decl)) {
        if (modified.count(parm))
          flags.opaqueVariable = true;
        return Polynomial::symbol(parm->getName());
      }
      if (isa<NonTypeTemplateParmDecl>(decl))
        return Polynomial::symbol(decl->getName());
      if (const auto *var = dyn_cast<VarDecl>(decl)) {
        if (const LoopState *loop = loopOf(var)) {
          Polynomial sym = Polynomial::symbol(var->getName());
          if (!substituteIVs)
            return sym;
          if (!loop->stepUniform) {
            flags.opaqueThreadDims |= 7;
            return sym;
          }
          flags.load |= loop->initFlags.load;
          flags.opaqueThreadDims |= loop->initFlags.opaqueThreadDims;
          flags.opaqueVariable |= loop->initFlags.opaqueVariable;
          return loop->init + sym;
        }
        if (var->isLocalVarDecl() && !var->getType()->isReferenceType())
          if (const Expr *def = reachingDefinition(var, ref->getBeginLoc())) {
            if (depth > 32) {
              flags.opaqueVariable = true;
              return Polynomial::symbol(var->getName());
            }
            // Definitions are converted once: chains of locals that each use
            // the previous one several times would otherwise take
            // exponential time.
            auto key = std::make_pair(def, substituteIVs);
            auto cached = definitionCache.find(key);
            if (cached == definitionCache.end()) {
              PolyFlags defFlags;
              Polynomial p = toPoly(def, defFlags, substituteIVs, depth + 1);
              cached = definitionCache.try_emplace(key, p, defFlags).first;
            }
            flags.load |= cached->second.second.load;
            flags.opaqueThreadDims |= cached->second.second.opaqueThreadDims;
            flags.opaqueVariable |= cached->second.second.opaqueVariable;
            return cached->second.first;
          }
        if (var->isLocalVarDecl() && modified.count(var))
          flags.opaqueVariable = true;
        return Polynomial::symbol(var->getName());
      }
      return opaque(e, flags, substituteIVs, depth);
    }
    if (std::optional<Polynomial> p = cooperativeGroupsIndex(e, flags))
      return *p;
    return opaque(e, flags, substituteIVs, depth);
  }

private:
  /// Thread and block indices read through cooperative groups: a
  /// thread_block's `thread_rank()` is the linear thread index, its
  /// `thread_index().x`, `group_index().x` and `group_dim().x` are
  /// threadIdx.x, blockIdx.x and blockDim.x. The rank in a tile or in the
  /// grid depends on the thread, but not affinely (flagged, not returned).
  std::optional<Polynomial> cooperativeGroupsIndex(const Expr *e,
                                                   PolyFlags &flags) {
    std::string component;
    if (const auto *member = dyn_cast<MemberExpr>(e)) {
      component = member->getMemberDecl()->getName().str();
      e = member->getBase()->IgnoreImplicit()->IgnoreParens();
    }
    const auto *call = dyn_cast<CallExpr>(e);
    if (!call || !inCooperativeGroups(call))
      return std::nullopt;
    std::string name = calleeName(call);
    // The group's type: the object of `block.thread_rank()`, also when the
    // member function is static (then the call is not a member call).
    const CXXRecordDecl *record = nullptr;
    if (const auto *memberCall = dyn_cast<CXXMemberCallExpr>(call))
      record = memberCall->getRecordDecl();
    else if (const auto *callee =
                 dyn_cast<MemberExpr>(call->getCallee()->IgnoreParenImpCasts()))
      record = callee->getBase()->getType()->getAsCXXRecordDecl();
    bool isBlock = record && record->getName() == "thread_block";
    if (component.empty()) {
      if (name != "thread_rank")
        return std::nullopt;
      if (!isBlock) {
        flags.opaqueThreadDims |= 1;
        return std::nullopt;
      }
      noteThreadDim("threadIdx.x");
      auto sym = [](const char *s) { return Polynomial::symbol(s); };
      return sym("threadIdx.x") +
             sym("blockDim.x") *
                 (sym("threadIdx.y") + sym("blockDim.y") * sym("threadIdx.z"));
    }
    const char *builtin = name == "thread_index"  ? "threadIdx"
                          : name == "group_index" ? "blockIdx"
                          : name == "group_dim" || name == "dim_threads"
                              ? "blockDim"
                              : nullptr;
    if (!isBlock || !builtin ||
        (component != "x" && component != "y" && component != "z"))
      return std::nullopt;
    std::string index = std::string(builtin) + "." + component;
    noteThreadDim(index);
    return Polynomial::symbol(index);
  }

  //===--------------------------------------------------------------------===//
  // Loops
  //===--------------------------------------------------------------------===//
  LoopState analyzeFor(const ForStmt *s) {
    LoopState state;
    state.stmt = s;
    const VarDecl *iv = nullptr;
    const Expr *init = nullptr;
    if (const auto *ds = dyn_cast_or_null<DeclStmt>(s->getInit())) {
      if (ds->isSingleDecl())
        if (const auto *var = dyn_cast<VarDecl>(ds->getSingleDecl())) {
          iv = var;
          init = var->getInit();
        }
    } else if (const auto *b = dyn_cast_or_null<BinaryOperator>(
                   s->getInit() ? cast<Expr>(s->getInit())->IgnoreParens()
                                : nullptr)) {
      if (b->getOpcode() == BO_Assign)
        if (const auto *ref =
                dyn_cast<DeclRefExpr>(b->getLHS()->IgnoreParenImpCasts()))
          if ((iv = dyn_cast<VarDecl>(ref->getDecl())))
            init = b->getRHS();
    }
    LoopInfo &loop = pendingLoop;
    loop = LoopInfo();
    if (!iv || !init)
      return state;
    state.iv = iv;
    loop.inductionVar = iv->getName().str();
    loop.init = getText(init, ctx);
    state.init = toPoly(init, state.initFlags, /*substituteIVs=*/true);

    // Condition: `iv OP bound` or `bound OP iv`.
    const Expr *bound = nullptr;
    BinaryOperatorKind cmp = BO_Comma;
    if (const auto *c = dyn_cast_or_null<BinaryOperator>(
            s->getCond() ? s->getCond()->IgnoreParenImpCasts() : nullptr)) {
      if (c->isComparisonOp()) {
        auto refersToIV = [&](const Expr *x) {
          const auto *ref = dyn_cast<DeclRefExpr>(x->IgnoreParenImpCasts());
          return ref && ref->getDecl() == iv;
        };
        if (refersToIV(c->getLHS())) {
          bound = c->getRHS();
          cmp = c->getOpcode();
        } else if (refersToIV(c->getRHS())) {
          bound = c->getLHS();
          cmp = BinaryOperator::reverseComparisonOp(c->getOpcode());
        }
      }
    }
    if (bound) {
      loop.comparison = BinaryOperator::getOpcodeStr(cmp).str();
      loop.bound = getText(bound, ctx);
    }

    // Step.
    std::optional<Polynomial> step;
    bool halving = false, doubling = false;
    PolyFlags stepFlags;
    if (const Expr *inc = s->getInc()) {
      inc = inc->IgnoreParenImpCasts();
      auto isIV = [&](const Expr *x) {
        const auto *ref = dyn_cast<DeclRefExpr>(x->IgnoreParenImpCasts());
        return ref && ref->getDecl() == iv;
      };
      if (const auto *u = dyn_cast<UnaryOperator>(inc);
          u && u->isIncrementDecrementOp() && isIV(u->getSubExpr())) {
        step = Polynomial::constant(u->isIncrementOp() ? 1 : -1);
        loop.step = u->isIncrementOp() ? "1" : "-1";
      } else if (const auto *b = dyn_cast<BinaryOperator>(inc);
                 b && isIV(b->getLHS())) {
        const Expr *rhs = b->getRHS();
        switch (b->getOpcode()) {
        case BO_AddAssign:
          step = toPoly(rhs, stepFlags, true);
          loop.step = getText(rhs, ctx);
          break;
        case BO_SubAssign:
          step = -toPoly(rhs, stepFlags, true);
          loop.step = "-(" + getText(rhs, ctx) + ")";
          break;
        case BO_ShrAssign:
        case BO_DivAssign:
          halving = true;
          loop.step = std::string(b->getOpcodeStr()) + " " + getText(rhs, ctx);
          break;
        case BO_ShlAssign:
        case BO_MulAssign:
          doubling = true;
          loop.step = std::string(b->getOpcodeStr()) + " " + getText(rhs, ctx);
          break;
        case BO_Assign:
          // iv = iv + E
          if (const auto *add =
                  dyn_cast<BinaryOperator>(rhs->IgnoreParenImpCasts());
              add && add->getOpcode() == BO_Add && isIV(add->getLHS())) {
            step = toPoly(add->getRHS(), stepFlags, true);
            loop.step = getText(add->getRHS(), ctx);
          } else {
            loop.step = getText(rhs, ctx);
          }
          break;
        default:
          break;
        }
      }
    }
    bool stepThreadDependent =
        stepFlags.load || stepFlags.opaqueThreadDims || stepFlags.opaqueVariable ||
        (step && (step->mentions("threadIdx.x") ||
                  step->mentions("threadIdx.y") ||
                  step->mentions("threadIdx.z")));
    state.stepUniform = (step || halving || doubling) && !stepThreadDependent;
    loop.logarithmic = halving || doubling;

    bool initThreadDependent =
        state.initFlags.opaqueThreadDims ||
        state.init.mentions("threadIdx.x") ||
        state.init.mentions("threadIdx.y") ||
        state.init.mentions("threadIdx.z") ||
        state.init.mentions("blockIdx.x") || state.init.mentions("blockIdx.y") ||
        state.init.mentions("blockIdx.z");
    if (step && initThreadDependent && !stepThreadDependent &&
        (step->mentions("gridDim.x") || step->mentions("gridDim.y") ||
         step->mentions("gridDim.z")))
      loop.gridStride = true;

    // Trip count.
    if (!bound || !state.stepUniform)
      return state;
    PolyFlags boundFlags;
    Polynomial boundPoly = toPoly(bound, boundFlags, true);
    for (const std::string &sym : boundPoly.symbols())
      if (integerParams.count(sym))
        pendingBoundParams.push_back(sym);
    bool boundOk = !boundFlags.load && !boundFlags.opaqueThreadDims &&
                   !boundFlags.opaqueVariable &&
                   !boundPoly.mentions("threadIdx.x") &&
                   !boundPoly.mentions("threadIdx.y") &&
                   !boundPoly.mentions("threadIdx.z");
    if (!boundOk)
      return state;
    bool stepPositive = step && !step->getConstant().has_value()
                            ? true
                            : step && step->getConstant().value_or(0) > 0;
    if (initThreadDependent && !state.initFlags.load && stepPositive &&
        (cmp == BO_LT || cmp == BO_LE)) {
      // A thread starts at its index and strides over the range: at most
      // ceil(bound / step) iterations.
      std::string tripText = "ceil_div(" + boundPoly.str() + ", " +
                             step->str() + ")";
      state.trip = opaqueSymbol(tripText);
      state.tripKnown = true;
      loop.tripCountExpr = tripText;
      return state;
    }
    if (initThreadDependent || state.initFlags.load ||
        state.initFlags.opaqueVariable)
      return state;
    if (halving || doubling) {
      // `for (s = N; s > 0; s >>= 1)` runs log2(N) + 1 times; `s < N` with
      // doubling from 1 runs log2(N) times.
      std::string tripText;
      if (halving && (cmp == BO_GT || cmp == BO_GE))
        tripText = "log2(" + stripParens(state.init.str()) + ")" +
                   (cmp == BO_GT && boundPoly.getConstant() == 0 ? " + 1" : "");
      else if (doubling && (cmp == BO_LT || cmp == BO_LE))
        tripText = "log2(" + stripParens(boundPoly.str()) + ")";
      if (!tripText.empty()) {
        auto i = state.init.getConstant(), n = boundPoly.getConstant();
        if (i && n && *i > 0) {
          int64_t count = 0;
          for (int64_t v = *i; count < 4096; ++count) {
            bool cont = cmp == BO_GT ? v > *n : cmp == BO_GE ? v >= *n
                        : cmp == BO_LT ? v < *n : v <= *n;
            if (!cont)
              break;
            v = halving ? v / 2 : v * 2;
            if (v == 0 && halving) {
              ++count;
              if (!(cmp == BO_GT ? 0 > *n : 0 >= *n))
                break;
            }
          }
          loop.tripCount = count;
          state.trip = Polynomial::constant(count);
        } else {
          state.trip = opaqueSymbol(tripText);
        }
        state.tripKnown = true;
        loop.tripCountExpr = state.trip->str();
      }
      return state;
    }
    auto stepConst = step->getConstant();
    if (!stepConst || *stepConst == 0)
      return state;
    Polynomial span;
    if (*stepConst > 0 && (cmp == BO_LT || cmp == BO_NE))
      span = boundPoly - state.init;
    else if (*stepConst > 0 && cmp == BO_LE)
      span = boundPoly - state.init + Polynomial::constant(1);
    else if (*stepConst < 0 && cmp == BO_GT)
      span = state.init - boundPoly;
    else if (*stepConst < 0 && cmp == BO_GE)
      span = state.init - boundPoly + Polynomial::constant(1);
    else
      return state;
    int64_t stride = *stepConst < 0 ? -*stepConst : *stepConst;
    if (auto c = span.getConstant()) {
      int64_t count = *c <= 0 ? 0 : (*c + stride - 1) / stride;
      loop.tripCount = count;
      state.trip = Polynomial::constant(count);
    } else if (stride == 1) {
      state.trip = span;
    } else {
      state.trip = Polynomial::symbol("ceil_div(" + span.str() + ", " +
                                      std::to_string(stride) + ")");
    }
    state.tripKnown = true;
    loop.tripCountExpr = state.trip->str();
    return state;
  }

  void pushLoop(const Stmt *s, StringRef kind, LoopState state) {
    LoopInfo loop = isa<ForStmt>(s) ? pendingLoop : LoopInfo();
    pendingLoop = LoopInfo();
    loop.id = info.loops.size();
    loop.parent = loopStack.empty() ? -1 : static_cast<int>(loopStack.back());
    loop.depth = loopStack.size() + 1;
    loop.kind = kind.str();
    loop.unroll = pendingUnroll;
    pendingUnroll = 0;
    loop.loc = getLoc(s->getBeginLoc(), ctx);
    facts.loopTrips.push_back(state.tripKnown ? state.trip : std::nullopt);
    facts.loopBoundParams.push_back(std::move(pendingBoundParams));
    pendingBoundParams.clear();
    loopStack.push_back(loop.id);
    loopStates.emplace_back(s, std::move(state));
    info.loops.push_back(std::move(loop));
  }

  void popLoop() {
    loopStack.pop_back();
    loopStates.pop_back();
  }

  int currentLoop() const {
    return loopStack.empty() ? -1 : static_cast<int>(loopStack.back());
  }

  //===--------------------------------------------------------------------===//
  // Accesses
  //===--------------------------------------------------------------------===//
  struct AccessKind {
    bool read = true;
    bool write = false;
    bool addressOnly = false;
  };

  /// How the expression is used: read, written, both, or address taken.
  AccessKind classifyUse(const Expr *e) {
    AccessKind kind;
    const Expr *cur = e;
    for (unsigned hops = 0; hops < 8; ++hops) {
      DynTypedNodeList parents = ctx.getParents(*cur);
      if (parents.empty())
        break;
      const auto *parent = parents[0].get<Expr>();
      if (!parent)
        break;
      if (isa<ParenExpr>(parent)) {
        cur = parent;
        continue;
      }
      if (const auto *b = dyn_cast<BinaryOperator>(parent)) {
        if (b->getLHS()->IgnoreParens() == cur) {
          if (b->getOpcode() == BO_Assign) {
            kind.read = false;
            kind.write = true;
          } else if (b->isCompoundAssignmentOp()) {
            kind.write = true;
          }
        }
      } else if (const auto *u = dyn_cast<UnaryOperator>(parent)) {
        if (u->isIncrementDecrementOp())
          kind.write = true;
        else if (u->getOpcode() == UO_AddrOf) {
          // `atomicAdd(&a[i], v)` reads and writes; `__ldg(&a[i])` reads;
          // any other address-of is not itself an access.
          kind.addressOnly = true;
          DynTypedNodeList up = ctx.getParents(*parent);
          const Expr *p = parent;
          while (!up.empty() && up[0].get<ImplicitCastExpr>()) {
            p = up[0].get<ImplicitCastExpr>();
            up = ctx.getParents(*p);
          }
          if (!up.empty())
            if (const auto *call = up[0].get<CallExpr>()) {
              std::string name = calleeName(call);
              if (StringRef(name).starts_with("atomic")) {
                kind.addressOnly = false;
                kind.write = true;
              } else if (StringRef(name).starts_with("__ld")) {
                kind.addressOnly = false;
              }
            }
        }
      } else if (const auto *op = dyn_cast<CXXOperatorCallExpr>(parent)) {
        if (op->getNumArgs() > 0 && op->getArg(0)->IgnoreParens() == cur) {
          if (op->getOperator() == OO_Equal) {
            kind.read = false;
            kind.write = true;
          } else if (op->isAssignmentOp() ||
                     op->getOperator() == OO_PlusPlus ||
                     op->getOperator() == OO_MinusMinus) {
            kind.write = true;
          }
        }
      } else if (const auto *member = dyn_cast<MemberExpr>(parent)) {
        // `v[i].x = ...`: the element is accessed through a field.
        cur = member;
        continue;
      }
      break;
    }
    return kind;
  }

  /// Records the access `e` (a subscript or dereference). For atomics on a
  /// plain pointer (`atomicAdd(p + i, v)`), `pointer` is that argument and
  /// the access reads and writes.
  void recordAccess(const Expr *e, const Expr *pointer = nullptr) {
    // Collect the subscript chain `base[i0][i1]...`.
    std::vector<const Expr *> indices;
    const Expr *base = e;
    if (pointer) {
      base = pointer;
      indices.push_back(nullptr);
    } else if (const auto *u = dyn_cast<UnaryOperator>(e)) {
      base = u->getSubExpr();
      indices.push_back(nullptr);
    } else {
      while (const auto *sub =
                 dyn_cast<ArraySubscriptExpr>(base->IgnoreParenImpCasts())) {
        indices.insert(indices.begin(), sub->getIdx());
        base = sub->getBase();
      }
    }

    MemoryAccess access;
    // Resolve the base variable; `p + off` pointer arithmetic contributes
    // to the index, and unmodified local pointers are followed.
    PolyFlags flags;
    Polynomial offset;
    Polynomial offsetSub;
    PolyFlags flagsSub;
    const Expr *b = base;
    const VarDecl *var = nullptr;
    for (unsigned hops = 0; hops < 16 && b; ++hops) {
      b = b->IgnoreParenCasts();
      if (const auto *bin = dyn_cast<BinaryOperator>(b)) {
        if ((bin->getOpcode() == BO_Add || bin->getOpcode() == BO_Sub) &&
            bin->getLHS()->getType()->isPointerType()) {
          Polynomial o = toPoly(bin->getRHS(), flags, false);
          Polynomial os = toPoly(bin->getRHS(), flagsSub, true);
          offset = bin->getOpcode() == BO_Add ? offset + o : offset - o;
          offsetSub = bin->getOpcode() == BO_Add ? offsetSub + os : offsetSub - os;
          b = bin->getLHS();
          continue;
        }
        if (bin->getOpcode() == BO_Add &&
            bin->getRHS()->getType()->isPointerType()) {
          offset = offset + toPoly(bin->getLHS(), flags, false);
          offsetSub = offsetSub + toPoly(bin->getLHS(), flagsSub, true);
          b = bin->getRHS();
          continue;
        }
        return;
      }
      const auto *ref = dyn_cast<DeclRefExpr>(b);
      if (!ref)
        return;
      var = dyn_cast<VarDecl>(ref->getDecl());
      if (!var)
        return;
      if (isa<ParmVarDecl>(var) || var->hasAttr<CUDASharedAttr>() ||
          var->hasAttr<CUDAConstantAttr>() || var->getType()->isArrayType())
        break;
      if (var->isLocalVarDecl() && var->getType()->isPointerType() &&
          !modified.count(var) && var->getInit()) {
        b = var->getInit();
        var = nullptr;
        continue;
      }
      return;
    }
    if (!var)
      return;

    if (const auto *parm = dyn_cast<ParmVarDecl>(var)) {
      if (!parm->getType()->isPointerType())
        return;
      access.space = MemorySpace::Global;
    } else if (var->hasAttr<CUDASharedAttr>()) {
      access.space = MemorySpace::Shared;
    } else if (var->hasAttr<CUDAConstantAttr>()) {
      access.space = MemorySpace::Constant;
    } else if (var->isLocalVarDecl() && var->getType()->isArrayType()) {
      access.space = MemorySpace::Local;
    } else if (var->getType()->isPointerType() && var->hasGlobalStorage()) {
      access.space = MemorySpace::Global;
    } else {
      return;
    }
    access.base = var->getName().str();

    AccessKind use;
    if (pointer)
      use.write = true;
    else
      use = classifyUse(e);
    if (use.addressOnly)
      return;
    access.isRead = use.read;
    access.isWrite = use.write;

    // Linearise multi-dimensional subscripts with the array's extents.
    std::vector<uint64_t> extents;
    QualType t = var->getType();
    while (const auto *arr = ctx.getAsArrayType(t)) {
      if (const auto *c = dyn_cast<ConstantArrayType>(arr))
        extents.push_back(c->getSize().getZExtValue());
      else
        extents.push_back(0);
      t = arr->getElementType();
    }
    Polynomial index = offset, indexSub = offsetSub;
    std::string text;
    for (size_t i = 0; i < indices.size(); ++i) {
      if (i > 0) {
        uint64_t extent = i < extents.size() ? extents[i] : 0;
        Polynomial scale = extent ? Polynomial::constant(extent)
                                  : Polynomial::symbol("?");
        index = index * scale;
        indexSub = indexSub * scale;
        text += "][";
      }
      if (indices[i]) {
        index = index + toPoly(indices[i], flags, false);
        indexSub = indexSub + toPoly(indices[i], flagsSub, true);
        text += getText(indices[i], ctx);
      } else {
        text += "0";
      }
    }
    if (!offset.isZero() && indices.size() == 1 && !indices[0])
      text = getText(base, ctx);
    access.index = text;
    access.normalizedIndex = index.str();

    // Classify along threadIdx.x.
    flags.load |= flagsSub.load;
    if (flags.load || flagsSub.load) {
      access.pattern = AccessPattern::Indirect;
    } else if (flagsSub.opaqueThreadDims & 1) {
      access.pattern = AccessPattern::Unknown;
    } else if (auto c = indexSub.linearCoefficient("threadIdx.x")) {
      access.threadStride = c->str();
      if (c->isZero())
        access.pattern = AccessPattern::Uniform;
      else if (c->getConstant() == 1)
        access.pattern = AccessPattern::Coalesced;
      else
        access.pattern = AccessPattern::Strided;
      if (flagsSub.opaqueVariable) {
        access.pattern = AccessPattern::Unknown;
        access.threadStride.clear();
      }
    }
    static const char *dims[] = {"x", "y", "z"};
    for (unsigned d = 0; d < 3; ++d) {
      std::string sym = std::string("threadIdx.") + dims[d];
      if (!indexSub.mentions(sym) && !(flagsSub.opaqueThreadDims & (1u << d)) &&
          access.pattern != AccessPattern::Indirect)
        access.invariantDims.push_back(dims[d]);
    }

    QualType elem = pointer ? pointer->getType()->getPointeeType() : e->getType();
    if (elem.isNull())
      return;
    access.elementType = typeToString(elem.getUnqualifiedType(), ctx);
    if (!elem->isIncompleteType() && !elem->isDependentType())
      access.elementBytes = ctx.getTypeSizeInChars(elem).getQuantity();
    access.loop = currentLoop();
    access.loc = getLoc(e->getBeginLoc(), ctx);

    AccessFacts af;
    af.index = index;
    af.indexSub = indexSub;
    af.load = flags.load;
    facts.accessPolys.push_back(std::move(af));
    info.accesses.push_back(std::move(access));
  }

  void noteAccumulation(const BinaryOperator *b) {
    // `acc += expr` or `acc = acc + expr` on a local scalar.
    const auto *ref = dyn_cast<DeclRefExpr>(b->getLHS()->IgnoreParenImpCasts());
    if (!ref || loopStack.empty())
      return;
    const auto *var = dyn_cast<VarDecl>(ref->getDecl());
    if (!var || !var->isLocalVarDecl() || var->getType()->isArrayType())
      return;
    bool accumulates = b->isCompoundAssignmentOp();
    if (b->getOpcode() == BO_Assign) {
      // acc = acc OP x, or acc = fmaxf(acc, x).
      struct Finder : RecursiveASTVisitor<Finder> {
        const VarDecl *v;
        bool found = false;
        bool VisitDeclRefExpr(DeclRefExpr *r) {
          found |= r->getDecl() == v;
          return true;
        }
      } finder;
      finder.v = var;
      finder.TraverseStmt(const_cast<Expr *>(b->getRHS()));
      accumulates = finder.found;
    }
    if (!accumulates)
      return;
    Accumulation acc;
    acc.loop = currentLoop();
    acc.var = var->getName().str();
    acc.hasProduct = containsProduct(b->getRHS()) ||
                     b->getOpcode() == BO_MulAssign;
    acc.rhs = b->getRHS();
    facts.accumulations.push_back(std::move(acc));
  }

  static bool containsProduct(const Expr *e) {
    if (!e)
      return false;
    e = e->IgnoreParenImpCasts();
    if (const auto *b = dyn_cast<BinaryOperator>(e))
      if (b->getOpcode() == BO_Mul)
        return true;
    if (const auto *op = dyn_cast<CXXOperatorCallExpr>(e))
      if (op->getOperator() == OO_Star)
        return true;
    if (const auto *call = dyn_cast<CallExpr>(e))
      if (const FunctionDecl *fd = call->getDirectCallee())
        if (fd->getName().starts_with("fma") ||
            fd->getName().starts_with("__fma") ||
            fd->getName().starts_with("__hfma"))
          return true;
    for (const Stmt *child : e->children())
      if (containsProduct(dyn_cast_or_null<Expr>(child)))
        return true;
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Intrinsics and math
  //===--------------------------------------------------------------------===//
  static std::string calleeName(const CallExpr *call) {
    if (const FunctionDecl *fd = call->getDirectCallee())
      return fd->getNameAsString();
    if (const auto *unresolved =
            dyn_cast<UnresolvedLookupExpr>(call->getCallee()->IgnoreParens()))
      return unresolved->getName().getAsString();
    if (const auto *member = dyn_cast<CXXDependentScopeMemberExpr>(
            call->getCallee()->IgnoreParens()))
      return member->getMember().getAsString();
    return "";
  }

  static bool inCooperativeGroups(const CallExpr *call) {
    const auto *member = dyn_cast<CXXMemberCallExpr>(call);
    const CXXRecordDecl *record = member ? member->getRecordDecl() : nullptr;
    const DeclContext *dc =
        record ? record->getDeclContext()
               : (call->getDirectCallee()
                      ? call->getDirectCallee()->getDeclContext()
                      : nullptr);
    for (; dc; dc = dc->getParent())
      if (const auto *ns = dyn_cast<NamespaceDecl>(dc))
        if (ns->getName() == "cooperative_groups")
          return true;
    return false;
  }

  static const char *intrinsicCategory(const CallExpr *call, StringRef name) {
    if (name == "__syncthreads" || name == "__syncthreads_count" ||
        name == "__syncthreads_and" || name == "__syncthreads_or" ||
        name == "__barrier_sync")
      return "barrier";
    if (name == "__syncwarp")
      return "warp-barrier";
    if (name.starts_with("__shfl"))
      return "warp-shuffle";
    if (name == "__ballot_sync" || name == "__any_sync" ||
        name == "__all_sync" || name == "__activemask" ||
        name.starts_with("__match_"))
      return "warp-vote";
    if (name.starts_with("__reduce_") && name.ends_with("_sync"))
      return "warp-reduce";
    if (name.starts_with("atomic"))
      return "atomic";
    if (name.starts_with("__threadfence"))
      return "fence";
    if (name == "__ldg" || name == "__ldcg" || name == "__ldca" ||
        name == "__ldcs" || name == "__ldlu" || name == "__ldcv")
      return "read-only-load";
    if (inCooperativeGroups(call)) {
      if (name == "sync" || name == "barrier_wait")
        return "barrier";
      if (name.starts_with("shfl"))
        return "warp-shuffle";
      if (name == "ballot" || name == "any" || name == "all" ||
          name == "match_any" || name == "match_all")
        return "warp-vote";
      if (name == "reduce")
        return "warp-reduce";
    }
    return nullptr;
  }

  static int mathFlops(StringRef name) {
    static const llvm::StringSet<> oneFlop = {
        "expf",     "exp",      "__expf",   "exp2f",   "exp2",    "logf",
        "log",      "__logf",   "log2f",    "sqrtf",   "sqrt",    "rsqrtf",
        "rsqrt",    "sinf",     "cosf",     "__sinf",  "__cosf",  "tanhf",
        "tanh",     "powf",     "pow",      "__powf",  "fmaxf",   "fminf",
        "fmax",     "fmin",     "__fdividef", "erff",  "hexp",    "hsqrt",
        "__hadd",   "__hsub",   "__hmul",   "__hdiv",  "__hmax",  "__hmin",
        "h2exp",    "__fadd_rn", "__fmul_rn"};
    static const llvm::StringSet<> twoFlops = {"fmaf", "fma", "__fmaf_rn",
                                               "__hfma", "__hadd2", "__hsub2",
                                               "__hmul2", "__hmax2",
                                               "__hmin2"};
    if (oneFlop.contains(name))
      return 1;
    if (twoFlops.contains(name))
      return 2;
    if (name == "__hfma2")
      return 4;
    return 0;
  }

  static bool isHalfLike(QualType t) {
    std::string s = t.getUnqualifiedType().getAsString();
    return s == "__half" || s == "half" || s == "__nv_bfloat16" ||
           s == "nv_bfloat16" || s == "__half2" || s == "half2" ||
           s == "__nv_bfloat162";
  }

  void noteSharedDecl(const VarDecl *var) {
    if (!sharedSeen.insert(var).second)
      return;
    SharedMemoryDecl decl;
    decl.name = var->getName().str();
    decl.type = typeToString(var->getType(), ctx);
    QualType t = var->getType();
    if (isa<IncompleteArrayType>(ctx.getAsArrayType(t)) ||
        var->hasExternalStorage()) {
      decl.dynamic = true;
    } else if (!t->isDependentType() && !t->isIncompleteType()) {
      decl.bytes = ctx.getTypeSizeInChars(t).getQuantity();
    }
    decl.loc = getLoc(var->getLocation(), ctx);
    info.sharedMemory.push_back(std::move(decl));
  }

  const FunctionDecl *kernel;
  ASTContext &ctx;
  KernelInfo &info;
  KernelFacts &facts;
  llvm::DenseSet<const VarDecl *> modified;
  llvm::DenseSet<const VarDecl *> complexModified;
  std::map<std::pair<const Expr *, bool>, std::pair<Polynomial, PolyFlags>>
      definitionCache;
  llvm::DenseMap<const VarDecl *,
                 std::vector<std::pair<SourceLocation, const Expr *>>>
      straightDefs;
  llvm::DenseSet<const VarDecl *> sharedSeen;
  std::set<std::string> integerParams;
  std::vector<unsigned> loopStack;
  std::vector<std::pair<const Stmt *, LoopState>> loopStates;
  LoopInfo pendingLoop;
  std::vector<std::string> pendingBoundParams;
  int pendingUnroll = 0;
};

//===----------------------------------------------------------------------===//
// Translation unit walk
//===----------------------------------------------------------------------===//

class IndexBuilder : public RecursiveASTVisitor<IndexBuilder> {
public:
  IndexBuilder(ASTContext &ctx, KernelIndex &index) : ctx(ctx), index(index) {}

  bool shouldVisitTemplateInstantiations() const { return true; }

  bool TraverseFunctionDecl(FunctionDecl *fd) {
    const FunctionDecl *saved = currentFunction;
    currentFunction = fd;
    bool ok = RecursiveASTVisitor::TraverseFunctionDecl(fd);
    currentFunction = saved;
    return ok;
  }
  bool TraverseCXXMethodDecl(CXXMethodDecl *fd) {
    const FunctionDecl *saved = currentFunction;
    currentFunction = fd;
    bool ok = RecursiveASTVisitor::TraverseCXXMethodDecl(fd);
    currentFunction = saved;
    return ok;
  }

  bool VisitFunctionDecl(FunctionDecl *fd) {
    if (!fd->hasAttr<CUDAGlobalAttr>() || !fd->doesThisDeclarationHaveABody())
      return true;
    const SourceManager &sm = ctx.getSourceManager();
    if (sm.isInSystemHeader(sm.getExpansionLoc(fd->getLocation())))
      return true;
    if (!seen.insert(fd).second)
      return true;
    // Instantiations are reached both through the template and as
    // specializations; they are indexed once, after their template.
    index.kernels.push_back(analyzeKernel(fd));
    kernelOf[fd->getCanonicalDecl()] = index.kernels.size() - 1;
    return true;
  }

  bool VisitCUDAKernelCallExpr(CUDAKernelCallExpr *call) {
    if (call->isValueDependent() || call->isTypeDependent())
      return true;
    const FunctionDecl *callee = call->getDirectCallee();
    if (!callee)
      return true;
    SourceLoc loc = getLoc(call->getBeginLoc(), ctx);
    std::string key = loc.file + ":" + std::to_string(loc.line) + ":" +
                      std::to_string(loc.column) + "|" +
                      callee->getQualifiedNameAsString();
    if (!launchSeen.insert(key).second)
      return true;

    LaunchSite site;
    site.callee = getText(call->getCallee(), ctx);
    if (currentFunction)
      site.caller = currentFunction->getQualifiedNameAsString();
    site.loc = loc;
    const CallExpr *config = call->getConfig();
    auto configArg = [&](unsigned i) -> const Expr * {
      if (!config || i >= config->getNumArgs())
        return nullptr;
      const Expr *arg = config->getArg(i);
      if (isa<CXXDefaultArgExpr>(arg->IgnoreImplicit()))
        return nullptr;
      return arg;
    };
    site.grid = getText(configArg(0), ctx);
    site.block = getText(configArg(1), ctx);
    site.sharedMem = getText(configArg(2), ctx);
    site.stream = getText(configArg(3), ctx);
    // Host variables the arguments mention name the task's sizes; the
    // geometry may be resolved through any other (unmodified) local.
    launchArgVars.clear();
    for (const Expr *arg : call->arguments())
      collectVars(arg, launchArgVars);
    site.gridDims = resolveDim3(configArg(0));
    site.blockDims = resolveDim3(configArg(1));
    for (const Expr *arg : call->arguments())
      site.args.push_back(getText(arg, ctx));
    pendingLaunches.emplace_back(callee->getCanonicalDecl(), std::move(site));
    return true;
  }

  /// Attaches launch sites to their kernels (call after traversal).
  void finish() {
    for (auto &[callee, site] : pendingLaunches) {
      auto it = kernelOf.find(callee);
      if (it == kernelOf.end())
        continue;
      index.kernels[it->second].launchSites.push_back(std::move(site));
    }
  }

private:
  static void collectVars(const Stmt *s,
                          llvm::DenseSet<const VarDecl *> &vars) {
    if (!s)
      return;
    if (const auto *ref = dyn_cast<DeclRefExpr>(s))
      if (const auto *var = dyn_cast<VarDecl>(ref->getDecl()))
        vars.insert(var);
    for (const Stmt *child : s->children())
      collectVars(child, vars);
  }

  /// Locals of `fn` used other than by reading their value (assigned,
  /// incremented, address taken, bound to a reference).
  const llvm::DenseSet<const VarDecl *> &
  getModifiedLocals(const FunctionDecl *fn) {
    auto [it, inserted] = hostModified.try_emplace(fn);
    if (!inserted || !fn || !fn->getBody())
      return it->second;
    llvm::DenseSet<const DeclRefExpr *> reads;
    std::vector<const DeclRefExpr *> refs;
    std::function<void(const Stmt *)> walk = [&](const Stmt *s) {
      if (!s)
        return;
      if (const auto *cast = dyn_cast<ImplicitCastExpr>(s))
        if (cast->getCastKind() == CK_LValueToRValue)
          if (const auto *ref =
                  dyn_cast<DeclRefExpr>(cast->getSubExpr()->IgnoreParens()))
            reads.insert(ref);
      if (const auto *ref = dyn_cast<DeclRefExpr>(s))
        refs.push_back(ref);
      for (const Stmt *child : s->children())
        walk(child);
    };
    walk(fn->getBody());
    for (const DeclRefExpr *ref : refs)
      if (!reads.count(ref))
        if (const auto *var = dyn_cast<VarDecl>(ref->getDecl()))
          it->second.insert(var);
    return it->second;
  }

  /// A local of the launching function that the geometry may be resolved
  /// through: an integer initialised once and never modified, and not used
  /// by the launch arguments.
  const VarDecl *getResolvableLocal(const Expr *e) {
    const auto *ref = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts());
    const auto *var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
    if (!var || !var->isLocalVarDecl() || !var->getInit() ||
        !var->getType()->isIntegralOrEnumerationType() ||
        launchArgVars.count(var) ||
        getModifiedLocals(currentFunction).count(var))
      return nullptr;
    return var;
  }

  /// Whether `e` depends, also through resolvable locals, on a variable of
  /// the launch arguments.
  bool dependsOnLaunchArgs(const Stmt *s, unsigned depth = 0) {
    if (!s || depth > 16)
      return s != nullptr;
    if (const auto *ref = dyn_cast<DeclRefExpr>(s)) {
      const auto *var = dyn_cast<VarDecl>(ref->getDecl());
      if (var && launchArgVars.count(var))
        return true;
      if (const VarDecl *local = getResolvableLocal(ref))
        return dependsOnLaunchArgs(local->getInit(), depth + 1);
      return false;
    }
    for (const Stmt *child : s->children())
      if (dependsOnLaunchArgs(child, depth + 1))
        return true;
    return false;
  }

  /// The text of a launch configuration component with host locals that
  /// are not launch arguments replaced by their definitions and constant
  /// parts (macros, `sizeof`, constants) folded, so that it is written in
  /// terms of the kernel's arguments: `blocks` with `int threads = 256;
  /// int blocks = (n + threads - 1) / threads;` becomes
  /// `(n + 256 - 1) / 256`.
  std::string hostText(const Expr *e, unsigned depth = 0) {
    if (!e || depth > 16)
      return getText(e, ctx);
    const Expr *bare = e->IgnoreParenImpCasts();
    if (bare->getType()->isIntegralOrEnumerationType() &&
        !dependsOnLaunchArgs(bare))
      if (auto v = evaluateInt(bare, ctx))
        return std::to_string(*v);
    // Operands that are not one token keep their grouping.
    auto operand = [&](const Expr *x) {
      std::string text = hostText(x, depth + 1);
      bool simple = llvm::all_of(text, [](char c) {
        return llvm::isAlnum(c) || c == '_' || c == '.';
      });
      return simple || isa<ParenExpr>(x->IgnoreImpCasts()) ||
                     !getResolvableLocal(x)
                 ? text
                 : "(" + text + ")";
    };
    if (const auto *paren = dyn_cast<ParenExpr>(e))
      return "(" + hostText(paren->getSubExpr(), depth + 1) + ")";
    if (const auto *cast = dyn_cast<ImplicitCastExpr>(e))
      return hostText(cast->getSubExpr(), depth + 1);
    if (const VarDecl *local = getResolvableLocal(e))
      return hostText(local->getInit(), depth + 1);
    if (const auto *b = dyn_cast<BinaryOperator>(e))
      if (!b->isAssignmentOp() && b->getOpcode() != BO_Comma)
        return operand(b->getLHS()) + " " + b->getOpcodeStr().str() + " " +
               operand(b->getRHS());
    return getText(e, ctx);
  }

  /// Component expressions of a dim3 argument: through `dim3 v(a, b)`
  /// variables, `dim3(a, b)` temporaries and plain integers, each resolved
  /// with hostText.
  std::vector<std::string> resolveDim3(const Expr *e) {
    if (!e)
      return {};
    for (unsigned hops = 0; hops < 8; ++hops) {
      e = e->IgnoreImplicit()->IgnoreParens();
      if (const auto *ref = dyn_cast<DeclRefExpr>(e)) {
        const auto *var = dyn_cast<VarDecl>(ref->getDecl());
        if (!var || !var->getInit() ||
            !var->getType()->getAsCXXRecordDecl() ||
            var->getType()->getAsCXXRecordDecl()->getName() != "dim3")
          break;
        e = var->getInit();
        continue;
      }
      if (const auto *cast = dyn_cast<CXXFunctionalCastExpr>(e)) {
        e = cast->getSubExpr();
        continue;
      }
      if (const auto *construct = dyn_cast<CXXConstructExpr>(e)) {
        const CXXRecordDecl *record = construct->getConstructor()->getParent();
        if (record->getName() != "dim3")
          return {hostText(construct), "1", "1"};
        std::vector<std::string> dims;
        for (const Expr *arg : construct->arguments()) {
          if (isa<CXXDefaultArgExpr>(arg->IgnoreImplicit()))
            dims.push_back("1");
          else
            dims.push_back(hostText(arg));
        }
        if (dims.size() == 1 && construct->getConstructor()->isCopyOrMoveConstructor())
          return resolveDim3(construct->getArg(0));
        while (dims.size() < 3)
          dims.push_back("1");
        return dims;
      }
      if (const auto *init = dyn_cast<InitListExpr>(e)) {
        std::vector<std::string> dims;
        for (const Expr *arg : init->inits())
          dims.push_back(hostText(arg));
        while (dims.size() < 3)
          dims.push_back("1");
        return dims;
      }
      if (e->getType()->isIntegralOrEnumerationType())
        return {hostText(e), "1", "1"};
      break;
    }
    return {};
  }

  KernelInfo analyzeKernel(const FunctionDecl *fd) {
    KernelInfo info;
    PrintingPolicy policy(ctx.getLangOpts());
    policy.SuppressTagKeyword = true;
    policy.FullyQualifiedName = false;
    {
      llvm::raw_string_ostream os(info.name);
      fd->getNameForDiagnostic(os, policy, /*Qualified=*/false);
    }
    {
      llvm::raw_string_ostream os(info.qualifiedName);
      fd->getNameForDiagnostic(os, policy, /*Qualified=*/true);
    }
    info.loc = getLoc(fd->getLocation(), ctx);
    {
      // The definition's text as written (expansion range for kernels made
      // by macros), plus what distinguishes instances of one template.
      const SourceManager &sm = ctx.getSourceManager();
      const FunctionDecl *pattern = fd->getTemplateInstantiationPattern();
      const FunctionDecl *def = pattern ? pattern : fd;
      CharSourceRange range = sm.getExpansionRange(
          CharSourceRange::getTokenRange(def->getSourceRange()));
      bool invalid = false;
      StringRef text =
          Lexer::getSourceText(range, sm, ctx.getLangOpts(), &invalid);
      llvm::SHA256 hash;
      hash.update(invalid ? StringRef(info.qualifiedName) : text);
      hash.update(StringRef("\0"));
      hash.update(info.qualifiedName);
      info.fingerprint = llvm::toHex(hash.final(), /*LowerCase=*/true);
    }

    const SourceManager &sm = ctx.getSourceManager();
    SourceLocation bodyLoc = fd->getBody()->getBeginLoc();
    if (bodyLoc.isMacroID()) {
      SourceLocation loc = bodyLoc;
      // The outermost user macro whose expansion produced the body.
      while (loc.isMacroID()) {
        StringRef name = Lexer::getImmediateMacroName(loc, sm, ctx.getLangOpts());
        if (!name.empty())
          info.macro = name.str();
        loc = sm.getImmediateMacroCallerLoc(loc);
      }
    }

    if (const FunctionTemplateDecl *tmpl = fd->getDescribedFunctionTemplate()) {
      info.isTemplate = true;
      for (const NamedDecl *p : *tmpl->getTemplateParameters()) {
        std::string text;
        llvm::raw_string_ostream os(text);
        p->print(os, policy);
        info.templateParameters.push_back(collapseSpaces(text));
      }
    } else if (const TemplateArgumentList *args =
                   fd->getTemplateSpecializationArgs()) {
      info.isInstantiation = true;
      if (const FunctionTemplateDecl *primary = fd->getPrimaryTemplate())
        info.templateName = primary->getQualifiedNameAsString();
      for (const TemplateArgument &arg : args->asArray()) {
        std::string text;
        llvm::raw_string_ostream os(text);
        arg.print(policy, os, /*IncludeType=*/false);
        info.templateArguments.push_back(text);
      }
    }

    {
      std::string sig = "__global__ void " + info.qualifiedName + "(";
      for (unsigned i = 0; i < fd->getNumParams(); ++i) {
        const ParmVarDecl *p = fd->getParamDecl(i);
        if (i)
          sig += ", ";
        sig += typeToString(p->getType(), ctx);
        if (!p->getName().empty())
          sig += (sig.back() == '*' ? "" : " ") + p->getName().str();
      }
      info.signature = sig + ")";
    }

    for (const ParmVarDecl *p : fd->parameters()) {
      ParamInfo param;
      param.name = p->getName().str();
      QualType t = p->getType();
      param.type = typeToString(t, ctx);
      param.isConst = t.isConstQualified();
      param.isRestrict = t.isRestrictQualified();
      if (t->isPointerType()) {
        param.isPointer = true;
        QualType pointee = t->getPointeeType();
        param.pointeeConst = pointee.isConstQualified();
        param.elementType = typeToString(pointee.getUnqualifiedType(), ctx);
        if (!pointee->isIncompleteType() && !pointee->isDependentType() &&
            !pointee->isVoidType())
          param.elementBytes = ctx.getTypeSizeInChars(pointee).getQuantity();
      }
      info.params.push_back(std::move(param));
    }

    if (const auto *lb = fd->getAttr<CUDALaunchBoundsAttr>()) {
      LaunchBounds bounds;
      bounds.maxThreads = getText(lb->getMaxThreads(), ctx);
      bounds.maxThreadsValue = evaluateInt(lb->getMaxThreads(), ctx);
      if (lb->getMinBlocks()) {
        bounds.minBlocks = getText(lb->getMinBlocks(), ctx);
        bounds.minBlocksValue = evaluateInt(lb->getMinBlocks(), ctx);
      }
      info.launchBounds = std::move(bounds);
    }

    KernelFacts facts;
    BodyAnalyzer analyzer(fd, ctx, info, facts);
    analyzer.run();
    facts.threadDims = analyzer.threadDims;

    for (ParamInfo &param : info.params)
      for (const MemoryAccess &a : info.accesses)
        if (a.space == MemorySpace::Global && a.base == param.name) {
          param.read |= a.isRead;
          param.written |= a.isWrite;
        }

    computeFeatures(info, facts);
    computeExtentHints(info, facts);
    computeEstimate(info, facts);
    return info;
  }

  ASTContext &ctx;
  KernelIndex &index;
  const FunctionDecl *currentFunction = nullptr;
  llvm::DenseSet<const FunctionDecl *> seen;
  llvm::DenseMap<const FunctionDecl *, size_t> kernelOf;
  std::set<std::string> launchSeen;
  /// Variables the arguments of the launch being visited mention.
  llvm::DenseSet<const VarDecl *> launchArgVars;
  /// Per host function, the locals it modifies (see getModifiedLocals).
  llvm::DenseMap<const FunctionDecl *, llvm::DenseSet<const VarDecl *>>
      hostModified;
  std::vector<std::pair<const FunctionDecl *, LaunchSite>> pendingLaunches;
};

} // namespace

KernelIndex cupilot::buildKernelIndex(const ParsedFile &parsed) {
  KernelIndex index;
  index.file = parsed.getFile();
  ASTContext &ctx = parsed.getASTContext();
  IndexBuilder builder(ctx, index);
  builder.TraverseDecl(ctx.getTranslationUnitDecl());
  builder.finish();
  return index;
}
