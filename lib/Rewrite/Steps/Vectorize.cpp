//===- Vectorize.cpp - The vectorize step ---------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Vectorized access for an elementwise kernel whose global accesses are all
// `p[i]`, with `i` the global thread index, on float, int or unsigned arrays
// (width 2 or 4), or double, __half and __nv_bfloat16 arrays (width 2).
// Each thread handles the `width` consecutive elements from
// i_vec = gid * width:
//
//   int i_vec = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
//   if (i_vec + 3 < n && <every pointer aligned to 16 bytes>) {
//     const float4 x_vec = *reinterpret_cast<const float4 *>(x + i_vec);
//     float4 y_vec = ...;                 // loaded when the body reads y
//     <body with p[i] -> p_vec.x, i -> i_vec>   // once per lane
//     ...
//     *reinterpret_cast<float4 *>(y + i_vec) = y_vec;
//   } else for (int i = i_vec, i_lane = 0; i_lane < 4; ++i_lane, ++i)
//     if (i < n) { body }                 // the original code, untouched
//
// The scalar path keeps sizes that are not multiples of the width and
// misaligned pointers correct; the grid shrinks like coarsen's. Refused for
// kernels that are not elementwise (KernelInfo features), accesses at other
// indices or through other pointers, other element types, and bodies that
// read an array after writing another one that may alias it (the vector
// path loads everything first).
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
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

/// One pointer parameter the body accesses.
struct ArrayUse {
  const ParmVarDecl *param = nullptr;
  std::string vectorType;
  unsigned alignment = 0;
  bool read = false;
  bool written = false;
  /// Written by a top-level statement of the body, so every lane sets it.
  bool storedByEveryLane = false;
  /// The store that comes last in the body, and whether every lane makes it.
  const Expr *lastStore = nullptr;
  bool lastStoreTopLevel = false;
  std::string local;
};

/// The vector type of `width` elements of `element`, or "".
std::string vectorTypeFor(QualType element, int64_t width, unsigned &bytes) {
  QualType t = element.getCanonicalType().getUnqualifiedType();
  std::string w = std::to_string(width);
  if (const auto *builtin = t->getAs<BuiltinType>()) {
    switch (builtin->getKind()) {
    case BuiltinType::Float:
      bytes = 4;
      return "float" + w;
    case BuiltinType::Int:
      bytes = 4;
      return "int" + w;
    case BuiltinType::UInt:
      bytes = 4;
      return "uint" + w;
    case BuiltinType::Double:
      bytes = 8;
      return width == 2 ? "double2" : "";
    default:
      return "";
    }
  }
  if (const auto *record = t->getAsCXXRecordDecl()) {
    bytes = 2;
    if (record->getName() == "__half")
      return width == 2 ? "__half2" : "";
    if (record->getName() == "__nv_bfloat16")
      return width == 2 ? "__nv_bfloat162" : "";
  }
  return "";
}

/// Every use of pointer parameters and of the index in the body.
class AccessCollector : public RecursiveASTVisitor<AccessCollector> {
public:
  AccessCollector(const VarDecl *index) : index(index) {}

  bool VisitArraySubscriptExpr(ArraySubscriptExpr *e) {
    const auto *base =
        dyn_cast<DeclRefExpr>(e->getBase()->IgnoreParenImpCasts());
    const auto *param = base ? dyn_cast<ParmVarDecl>(base->getDecl()) : nullptr;
    if (!param || !param->getType()->isPointerType())
      return true;
    const auto *idx = dyn_cast<DeclRefExpr>(e->getIdx()->IgnoreParenImpCasts());
    if (!idx || idx->getDecl() != index) {
      note(e->getIdx()->getBeginLoc(),
           "'" + param->getName() + "' is accessed at an index other than '" +
               index->getName() + "'");
      return true;
    }
    subscripts.push_back(e);
    subscriptBases.insert(base);
    subscriptIndices.insert(idx);
    return true;
  }
  bool VisitImplicitCastExpr(ImplicitCastExpr *c) {
    if (c->getCastKind() == CK_LValueToRValue)
      if (const ArraySubscriptExpr *s = subscriptOf(c->getSubExpr()))
        kinds[s] |= Load;
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *b) {
    if (!b->isAssignmentOp())
      return true;
    if (const ArraySubscriptExpr *s = subscriptOf(b->getLHS())) {
      kinds[s] |= Store | (b->isCompoundAssignmentOp() ? Load : 0);
      stores.push_back({b, s});
    }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *u) {
    const ArraySubscriptExpr *s = subscriptOf(u->getSubExpr());
    if (u->isIncrementDecrementOp() && s) {
      kinds[s] |= Load | Store;
      stores.push_back({u, s});
    }
    if (u->getOpcode() == UO_Deref)
      note(u->getBeginLoc(), "the body dereferences a pointer");
    return true;
  }
  // Elements of class type (__half): copies, assignments and operators.
  bool VisitCXXConstructExpr(CXXConstructExpr *c) {
    if (c->getNumArgs() == 1 && c->getConstructor()->isCopyOrMoveConstructor())
      if (const ArraySubscriptExpr *s = subscriptOf(c->getArg(0)))
        kinds[s] |= Load;
    return true;
  }
  bool VisitCallExpr(CallExpr *call) {
    const FunctionDecl *callee = call->getDirectCallee();
    if (!callee)
      return true;
    const auto *method = dyn_cast<CXXMethodDecl>(callee);
    unsigned shift = 0;
    const Expr *object = nullptr;
    if (const auto *op = dyn_cast<CXXOperatorCallExpr>(call);
        op && method && op->getNumArgs() > 0) {
      shift = 1;
      object = op->getArg(0);
    } else if (const auto *member = dyn_cast<CXXMemberCallExpr>(call)) {
      object = member->getImplicitObjectArgument();
    }
    if (const ArraySubscriptExpr *s = object ? subscriptOf(object) : nullptr) {
      OverloadedOperatorKind k = callee->getOverloadedOperator();
      if (k == OO_Equal) {
        kinds[s] |= Store;
        stores.push_back({call, s});
      } else if (k == OO_PlusEqual || k == OO_MinusEqual || k == OO_StarEqual ||
                 k == OO_SlashEqual || k == OO_PlusPlus || k == OO_MinusMinus) {
        kinds[s] |= Load | Store;
        stores.push_back({call, s});
      } else if (method && method->isConst()) {
        kinds[s] |= Load;
      }
    }
    for (unsigned a = shift; a < call->getNumArgs(); ++a) {
      const ArraySubscriptExpr *s = subscriptOf(call->getArg(a));
      if (!s || a - shift >= callee->getNumParams())
        continue;
      QualType t = callee->getParamDecl(a - shift)->getType();
      if (t->isLValueReferenceType() && t->getPointeeType().isConstQualified())
        kinds[s] |= Load;
    }
    return true;
  }
  bool VisitMemberExpr(MemberExpr *m) {
    if (m->isArrow())
      note(m->getBeginLoc(), "the body accesses memory through '->'");
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *ref) {
    if (ref->getDecl() == index) {
      if (!subscriptIndices.count(ref))
        indexUses.push_back(ref);
      return true;
    }
    if (ref->getType()->isPointerType() && !subscriptBases.count(ref))
      note(ref->getBeginLoc(),
           "the body uses the pointer '" + ref->getDecl()->getName() +
               "' other than as '" + ref->getDecl()->getName() + "[" +
               index->getName() + "]'");
    return true;
  }

  enum : unsigned { Load = 1, Store = 2 };
  std::vector<const ArraySubscriptExpr *> subscripts;
  llvm::DenseMap<const ArraySubscriptExpr *, unsigned> kinds;
  /// Assignments and increments that store to a subscript.
  std::vector<std::pair<const Expr *, const ArraySubscriptExpr *>> stores;
  /// Uses of the index as a value (not as a subscript).
  std::vector<const DeclRefExpr *> indexUses;
  SourceLocation problemLoc;
  std::string problem;

private:
  void note(SourceLocation loc, const llvm::Twine &what) {
    if (problem.empty()) {
      problemLoc = loc;
      problem = what.str();
    }
  }
  /// The subscript `e` is, looking through parentheses and no-op casts.
  static const ArraySubscriptExpr *subscriptOf(const Expr *e) {
    while (true) {
      e = e->IgnoreParens();
      if (const auto *c = dyn_cast<ImplicitCastExpr>(e);
          c && c->getCastKind() == CK_NoOp) {
        e = c->getSubExpr();
        continue;
      }
      if (const auto *m = dyn_cast<MaterializeTemporaryExpr>(e)) {
        e = m->getSubExpr();
        continue;
      }
      return dyn_cast<ArraySubscriptExpr>(e);
    }
  }
  const VarDecl *index;
  llvm::DenseSet<const DeclRefExpr *> subscriptBases;
  llvm::DenseSet<const DeclRefExpr *> subscriptIndices;
};

const ParmVarDecl *baseParam(const ArraySubscriptExpr *e) {
  return cast<ParmVarDecl>(
      cast<DeclRefExpr>(e->getBase()->IgnoreParenImpCasts())->getDecl());
}

bool isRestrict(const ParmVarDecl *p) {
  return p->getType().isRestrictQualified();
}

/// Removes the common indentation of `text`'s lines and indents them by
/// `indent`.
std::string reindent(llvm::StringRef text, llvm::StringRef indent) {
  llvm::SmallVector<llvm::StringRef, 16> lines;
  text.split(lines, '\n');
  size_t common = llvm::StringRef::npos;
  for (llvm::StringRef line : lines) {
    if (line.trim().empty())
      continue;
    size_t n = line.find_first_not_of(" \t");
    common = std::min(common, n);
  }
  if (common == llvm::StringRef::npos)
    common = 0;
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].rtrim();
    if (i)
      out += "\n";
    if (line.empty())
      continue;
    out += indent;
    out += line.drop_front(std::min(common, line.size()));
  }
  return out;
}

class Rule {
public:
  Rule(StepContext &sc)
      : sc(sc), sm(sc.getSourceManager()),
        width(sc.getStep().getInt("width", 4)) {}
  llvm::Error run();

private:
  llvm::Error collect(const ElementKernel &m);
  /// The body's text, its offset in the file, and whether lanes need their
  /// own scope.
  llvm::Error bodyText(const ElementKernel &m);
  llvm::Expected<std::string> laneText(unsigned lane);

  StepContext &sc;
  const SourceManager &sm;
  int64_t width;
  std::vector<ArrayUse> arrays;
  AccessCollector *accesses = nullptr;
  std::string indexVec;
  /// The body's text, where it starts in the file, and indentation to put
  /// before it.
  unsigned textBegin = 0;
  std::string text;
  std::string prefix;
  bool scoped = false;
};

llvm::Error Rule::collect(const ElementKernel &m) {
  const KernelInfo &info = *sc.getKernelInfo();
  if (!info.features.elementwise)
    return sc.refuse(sc.getKernel()->getLocation(),
                     "kernel '" + info.qualifiedName +
                         "' is not elementwise: its global accesses do not "
                         "all touch the thread's own element, or its threads "
                         "cooperate; only elementwise kernels can be "
                         "vectorized");
  for (const Stmt *s : m.body)
    accesses->TraverseStmt(const_cast<Stmt *>(s));
  if (!accesses->problem.empty())
    return sc.refuse(accesses->problemLoc,
                     "cannot vectorize the accesses: " + accesses->problem);
  for (const ArraySubscriptExpr *e : accesses->subscripts) {
    unsigned kind = accesses->kinds.lookup(e);
    if (!kind)
      return sc.refuse(e->getBeginLoc(),
                       "cannot vectorize the accesses: '" +
                           sc.getText(e->getSourceRange()) +
                           "' is used other than as a load or a store (its "
                           "address is taken, or it binds to a non-const "
                           "reference)");
    const ParmVarDecl *param = baseParam(e);
    auto it = llvm::find_if(
        arrays, [&](const ArrayUse &a) { return a.param == param; });
    if (it == arrays.end()) {
      ArrayUse use;
      use.param = param;
      QualType element = param->getType()->getPointeeType();
      if (element.isVolatileQualified())
        return sc.refuse(param->getLocation(),
                         "'" + param->getName() +
                             "' points to volatile memory; vector accesses "
                             "would merge its accesses");
      use.vectorType = vectorTypeFor(element, width, use.alignment);
      if (use.vectorType.empty())
        return sc.refuse(param->getLocation(),
                         "'" + param->getName() + "' has elements of type '" +
                             element.getUnqualifiedType().getAsString() +
                             "', which has no vector type of width " +
                             llvm::Twine(width) +
                             " (float, int and unsigned take 2 or 4; double, "
                             "__half and __nv_bfloat16 take 2)");
      use.alignment *= width;
      arrays.push_back(use);
      it = std::prev(arrays.end());
    }
    it->read |= (kind & AccessCollector::Load) != 0;
    it->written |= (kind & AccessCollector::Store) != 0;
  }
  // Signature order, whatever order the body touches them in.
  llvm::stable_sort(arrays, [](const ArrayUse &a, const ArrayUse &b) {
    return a.param->getFunctionScopeIndex() < b.param->getFunctionScopeIndex();
  });
  // Stores of every lane: top-level statements of the body.
  std::vector<const Stmt *> top;
  for (const Stmt *s : m.body) {
    if (const auto *compound = dyn_cast<CompoundStmt>(s))
      top.insert(top.end(), compound->body_begin(), compound->body_end());
    else
      top.push_back(s);
  }
  for (const auto &entry : accesses->stores) {
    const Expr *store = entry.first;
    const ArraySubscriptExpr *target = entry.second;
    bool plain = false;
    if (const auto *b = dyn_cast<BinaryOperator>(store))
      plain = b->getOpcode() == BO_Assign;
    else if (const auto *call = dyn_cast<CallExpr>(store))
      plain = call->getDirectCallee()->getOverloadedOperator() == OO_Equal;
    bool topLevel = llvm::any_of(top, [&](const Stmt *s) {
      const auto *e = dyn_cast<Expr>(s);
      return e && e->IgnoreImplicit() == store;
    });
    for (ArrayUse &a : arrays) {
      if (a.param != baseParam(target))
        continue;
      a.storedByEveryLane |= plain && topLevel;
      if (!a.lastStore ||
          sm.isBeforeInTranslationUnit(a.lastStore->getBeginLoc(),
                                       store->getBeginLoc())) {
        a.lastStore = store;
        a.lastStoreTopLevel = topLevel;
      }
    }
  }
  // The vector path stores whole vectors, ordered by each array's last
  // store: two arrays that may be the same memory must both end with a
  // store that every lane makes, or a lane's stale value would win.
  for (const ArrayUse &a : arrays)
    for (const ArrayUse &b : arrays) {
      if (&a == &b || !a.written || !b.written || !mayAlias(a.param, b.param) ||
          isRestrict(a.param) || isRestrict(b.param))
        continue;
      const ArrayUse &partial = a.lastStoreTopLevel ? b : a;
      if (a.lastStoreTopLevel && b.lastStoreTopLevel)
        continue;
      return sc.refuse(partial.lastStore->getBeginLoc(),
                       "'" + a.param->getName() + "' and '" +
                           b.param->getName() +
                           "' may alias, and not every element ends with a "
                           "store to '" +
                           partial.param->getName() +
                           "'; the vector path would write back values the "
                           "other store replaced. Mark them __restrict__ "
                           "(step restrict)");
    }
  // The vector path loads every array before any store: a load that follows
  // a store to another array that may alias it would see the old value.
  for (const ArraySubscriptExpr *load : accesses->subscripts) {
    if (!(accesses->kinds.lookup(load) & AccessCollector::Load))
      continue;
    const ParmVarDecl *p = baseParam(load);
    for (auto [store, target] : accesses->stores) {
      const ParmVarDecl *q = baseParam(target);
      if (p == q || !mayAlias(p, q) || isRestrict(p) || isRestrict(q))
        continue;
      if (sm.isBeforeInTranslationUnit(store->getEndLoc(), load->getBeginLoc()))
        return sc.refuse(load->getBeginLoc(),
                         "'" + p->getName() + "' is read after a store to '" +
                             q->getName() +
                             "', which may alias it; the vector path would "
                             "read the old value. Mark them __restrict__ "
                             "(step restrict) or read before writing");
    }
  }
  return llvm::Error::success();
}

llvm::Error Rule::bodyText(const ElementKernel &m) {
  SourceLocation begin, end;
  const Stmt *first = m.body.front();
  const auto *compound = dyn_cast<CompoundStmt>(first);
  if (m.form == ElementKernel::Guarded && compound) {
    begin = compound->getLBracLoc().getLocWithOffset(1);
    end = compound->getRBracLoc();
    for (const Stmt *s : compound->body())
      scoped |= isa<DeclStmt>(s);
  } else {
    begin = first->getBeginLoc();
    end = m.form == ElementKernel::Guarded ? getStmtEnd(sc, first)
                                           : m.kernelBody->getRBracLoc();
    for (const Stmt *s : m.body)
      scoped |= isa<DeclStmt>(s);
  }
  if (begin.isMacroID() || end.isMacroID())
    return sc.refuse(first->getBeginLoc(),
                     "the body is spelled inside a macro expansion; expand "
                     "the macro first");
  unsigned from = sm.getFileOffset(begin);
  llvm::StringRef buffer = sm.getBufferData(sm.getFileID(begin));
  llvm::StringRef raw = buffer.substr(from, sm.getFileOffset(end) - from);
  // Start at the first line with code, keeping its indentation; a body that
  // starts mid-line gets the indentation of its line.
  size_t code = raw.find_first_not_of(" \t\r\n");
  size_t lineStart = raw.rfind('\n', code);
  size_t skip = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
  if (skip == 0)
    prefix = lineIndent(sc, begin);
  text = raw.substr(skip).rtrim().str();
  textBegin = from + skip;
  return llvm::Error::success();
}

llvm::Expected<std::string> Rule::laneText(unsigned lane) {
  static const char *lanes[] = {"x", "y", "z", "w"};
  struct Edit {
    unsigned offset, length;
    std::string text;
  };
  std::vector<Edit> edits;
  auto add = [&](const Expr *e, const std::string &with) -> llvm::Error {
    SourceLocation b = e->getBeginLoc(), en = e->getEndLoc();
    if (b.isMacroID() || en.isMacroID())
      return sc.refuse(b, "'" + sc.getText(e->getSourceRange()) +
                              "' is spelled inside a macro expansion; expand "
                              "the macro first");
    unsigned from = sm.getFileOffset(b);
    unsigned to = sm.getFileOffset(Lexer::getLocForEndOfToken(
        en, 0, sm, sc.getASTContext().getLangOpts()));
    edits.push_back({from, to - from, with});
    return llvm::Error::success();
  };
  for (const ArraySubscriptExpr *e : accesses->subscripts) {
    const ParmVarDecl *p = baseParam(e);
    auto it =
        llvm::find_if(arrays, [&](const ArrayUse &a) { return a.param == p; });
    if (llvm::Error err = add(e, it->local + "." + lanes[lane]))
      return std::move(err);
  }
  for (const DeclRefExpr *use : accesses->indexUses)
    if (llvm::Error err =
            add(use, lane ? "(" + indexVec + " + " + std::to_string(lane) + ")"
                          : indexVec))
      return std::move(err);
  llvm::sort(edits,
             [](const Edit &a, const Edit &b) { return a.offset < b.offset; });
  std::string out;
  unsigned pos = 0;
  for (const Edit &edit : edits) {
    if (edit.offset < textBegin + pos ||
        edit.offset + edit.length > textBegin + text.size())
      return sc.refuse(sc.getKernel()->getLocation(),
                       "internal: an access lies outside the body's text");
    out += text.substr(pos, edit.offset - textBegin - pos);
    out += edit.text;
    pos = edit.offset - textBegin + edit.length;
  }
  out += text.substr(pos);
  return prefix + out;
}

llvm::Error Rule::run() {
  auto match = matchElementKernel(sc);
  if (!match)
    return match.takeError();
  const ElementKernel &m = *match;
  AccessCollector collector(m.index);
  accesses = &collector;
  if (llvm::Error err = collect(m))
    return err;
  if (llvm::Error err = bodyText(m))
    return err;

  std::string name = m.index->getName().str();
  indexVec = uniqueName(sc, name + "_vec");
  std::string lane = uniqueName(sc, name + "_lane");
  for (ArrayUse &a : arrays)
    a.local = uniqueName(sc, a.param->getName().str() + "_vec");
  std::string type = spellType(sc, m.index);
  std::string indent = lineIndent(sc, m.decl->getBeginLoc());
  std::string inner = indent + "  ";
  std::string w = std::to_string(width);
  std::string bound = sc.getText(m.bound->getSourceRange()).str();
  if (!m.bound->IgnoreParenImpCasts()->isIntegerConstantExpr(
          sc.getASTContext()) &&
      !isa<DeclRefExpr>(m.bound->IgnoreParenImpCasts()))
    bound = "(" + bound + ")";

  std::string code = type + " " + indexVec +
                     " = (blockIdx.x * blockDim.x + threadIdx.x) * " + w +
                     ";\n" + indent + "if (" + indexVec + " + " +
                     std::to_string(width - 1) + " < " + bound;
  for (const ArrayUse &a : arrays)
    code += " && reinterpret_cast<unsigned long long>(" +
            a.param->getName().str() + ") % " + std::to_string(a.alignment) +
            " == 0";
  code += ") {\n";
  for (const ArrayUse &a : arrays) {
    std::string p = a.param->getName().str();
    std::string at = "reinterpret_cast<const " + a.vectorType + " *>(" + p +
                     " + " + indexVec + ")";
    if (!a.written)
      code +=
          inner + "const " + a.vectorType + " " + a.local + " = *" + at + ";\n";
    else if (a.read || !a.storedByEveryLane)
      code += inner + a.vectorType + " " + a.local + " = *" + at + ";\n";
    else
      code += inner + a.vectorType + " " + a.local + ";\n";
  }
  for (unsigned l = 0; l < width; ++l) {
    auto laneCode = laneText(l);
    if (!laneCode)
      return laneCode.takeError();
    if (scoped)
      code += inner + "{\n" + reindent(*laneCode, inner + "  ") + "\n" + inner +
              "}\n";
    else
      code += reindent(*laneCode, inner) + "\n";
  }
  std::vector<const ArrayUse *> stored;
  for (const ArrayUse &a : arrays)
    if (a.written)
      stored.push_back(&a);
  llvm::stable_sort(stored, [&](const ArrayUse *a, const ArrayUse *b) {
    return sm.isBeforeInTranslationUnit(a->lastStore->getBeginLoc(),
                                        b->lastStore->getBeginLoc());
  });
  for (const ArrayUse *a : stored)
    code += inner + "*reinterpret_cast<" + a->vectorType + " *>(" +
            a->param->getName().str() + " + " + indexVec + ") = " + a->local +
            ";\n";
  code += indent + "} else for (" + type + " " + name + " = " + indexVec +
          ", " + lane + " = 0; " + lane + " < " + w + "; ++" + lane + ", ++" +
          name + ")";

  SourceLocation declEnd = getStmtEnd(sc, m.decl);
  if (m.form == ElementKernel::Guarded) {
    SourceLocation guardBegin = m.guard->getBeginLoc();
    bool blank = sc.getText(CharSourceRange::getCharRange(declEnd, guardBegin))
                     .trim()
                     .empty();
    if (llvm::Error err =
            sc.replace(CharSourceRange::getCharRange(
                           m.decl->getBeginLoc(), blank ? guardBegin : declEnd),
                       code + (blank ? " " : "")))
      return err;
    return divideLaunchGrids(sc, width);
  }
  if (llvm::Error err = sc.replace(
          CharSourceRange::getCharRange(m.decl->getBeginLoc(), declEnd),
          code + " {"))
    return err;
  if (llvm::Error err = sc.replace(
          CharSourceRange::getTokenRange(m.earlyReturn->getBeginLoc()),
          "continue"))
    return err;
  if (llvm::Error err =
          insertLinesBefore(sc, m.kernelBody->getRBracLoc(), indent + "}"))
    return err;
  return divideLaunchGrids(sc, width);
}

} // namespace

llvm::Error cupilot::rewrite::applyVectorize(StepContext &sc) {
  return Rule(sc).run();
}
