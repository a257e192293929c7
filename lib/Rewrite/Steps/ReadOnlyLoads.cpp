//===- ReadOnlyLoads.cpp - The read-only-loads step -----------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Routes loads from pointer parameters the kernel never writes through the
// read-only data cache: `x[i]` becomes `__ldg(&x[i])` and `*p` becomes
// `__ldg(p)`. Only element types that have an `__ldg` overload are
// rewritten.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

/// Whether CUDA declares `__ldg` for `type`.
static bool hasLdgOverload(QualType type) {
  type = type.getCanonicalType().getUnqualifiedType();
  if (const auto *builtin = type->getAs<BuiltinType>())
    return builtin->isInteger() || builtin->getKind() == BuiltinType::Float ||
           builtin->getKind() == BuiltinType::Double;
  if (const auto *record = type->getAsRecordDecl()) {
    static const char *const vectors[] = {
        "char2",         "char4",      "uchar2",  "uchar4",  "short2",
        "short4",        "ushort2",    "ushort4", "int2",    "int4",
        "uint2",         "uint4",      "float2",  "float4",  "double2",
        "longlong2",     "ulonglong2", "__half",  "__half2", "__nv_bfloat16",
        "__nv_bfloat162"};
    llvm::StringRef name = record->getName();
    for (const char *v : vectors)
      if (name == v)
        return true;
  }
  return false;
}

llvm::Error cupilot::rewrite::applyReadOnlyLoads(StepContext &sc) {
  auto params = selectPointerParams(sc);
  if (!params)
    return params.takeError();
  bool explicitList = sc.getStep().has("params");
  const FunctionDecl *kernel = sc.getKernel();
  ASTContext &ctx = sc.getASTContext();

  for (const ParmVarDecl *p : *params) {
    PointerUses uses = analyzePointerUses(kernel, p, ctx);
    if (!uses.writes.empty() || !uses.escapes.empty()) {
      if (!explicitList)
        continue;
      bool write = !uses.writes.empty();
      SourceLocation at = write ? uses.writes.front() : uses.escapes.front();
      return sc.refuse(at, "loads from '" + p->getName() +
                               "' cannot use __ldg: " +
                               (write ? "the kernel writes through it here"
                                      : "it may be written through a copy "
                                        "made here"));
    }
    QualType element = p->getType()->getPointeeType();
    if (!hasLdgOverload(element)) {
      if (!explicitList)
        continue;
      return sc.refuse(p->getLocation(),
                       "there is no __ldg for '" +
                           element.getUnqualifiedType().getAsString() +
                           "', the element type of '" + p->getName() + "'");
    }
    for (const Expr *load : uses.loads) {
      SourceLocation end = Lexer::getLocForEndOfToken(
          load->getEndLoc(), 0, sc.getSourceManager(), ctx.getLangOpts());
      if (end.isInvalid() || load->getEndLoc().isMacroID())
        return sc.refuse(load->getBeginLoc(),
                         "the load is spelled inside a macro expansion; "
                         "expand the macro first");
      const auto *deref = dyn_cast<UnaryOperator>(load);
      llvm::Error opened = deref ? sc.replace(CharSourceRange::getTokenRange(
                                                  deref->getOperatorLoc()),
                                              "__ldg(")
                                 : sc.insert(load->getBeginLoc(), "__ldg(&");
      if (opened)
        return opened;
      if (llvm::Error err = sc.insert(end, ")"))
        return err;
    }
  }
  return llvm::Error::success();
}
