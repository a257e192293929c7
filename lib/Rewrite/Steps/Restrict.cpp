//===- Restrict.cpp - The restrict step -----------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Adds `__restrict__` after the `*` of pointer parameters. `__restrict__`
// promises the compiler that no other pointer reaches the same memory; that
// is only safe to assume when the kernel does not write through either of
// two pointers that may alias, unless the plan asserts `assume-no-alias`.
// The qualifier is on the parameter itself, so the function type (and any
// forward declaration) is unchanged.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

llvm::Error cupilot::rewrite::applyRestrict(StepContext &sc) {
  auto params = selectPointerParams(sc);
  if (!params)
    return params.takeError();
  const FunctionDecl *kernel = sc.getKernel();
  ASTContext &ctx = sc.getASTContext();

  if (!sc.getStep().getBool("assume-no-alias", false)) {
    llvm::DenseMap<const ParmVarDecl *, SourceLocation> writer;
    for (const ParmVarDecl *p : kernel->parameters()) {
      if (!p->getType()->isPointerType())
        continue;
      PointerUses uses = analyzePointerUses(kernel, p, ctx);
      if (!uses.writes.empty())
        writer[p] = uses.writes.front();
      else if (!uses.escapes.empty())
        writer[p] = uses.escapes.front();
    }
    for (const ParmVarDecl *p : *params) {
      for (const ParmVarDecl *q : kernel->parameters()) {
        if (q == p || !q->getType()->isPointerType() || !mayAlias(p, q))
          continue;
        const ParmVarDecl *w = writer.count(p)   ? p
                               : writer.count(q) ? q
                                                 : nullptr;
        if (!w)
          continue;
        return sc.refuse(
            p->getLocation(),
            "'" + p->getName() + "' and '" + q->getName() +
                "' may point to the same memory and the kernel "
                "may write through '" +
                w->getName() + "' (line " +
                llvm::Twine(
                    sc.getSourceManager().getExpansionLineNumber(writer[w])) +
                "); add 'assume-no-alias: true' if callers never "
                "pass overlapping buffers");
      }
    }
  }

  const SourceManager &sm = sc.getSourceManager();
  for (const ParmVarDecl *p : *params) {
    if (p->getType().isRestrictQualified())
      continue;
    PointerTypeLoc ptr = getPointerLoc(p);
    if (!ptr)
      return sc.refuse(p->getLocation(),
                       "the type of '" + p->getName() +
                           "' is not spelled as a pointer; write it as "
                           "'T *' to let the step qualify it");
    SourceLocation after = ptr.getStarLoc().getLocWithOffset(1);
    bool invalid = false;
    const char *next = sm.getCharacterData(after, &invalid);
    bool space = !invalid && (*next == ' ' || *next == '\t');
    if (llvm::Error err =
            sc.insert(after, space ? " __restrict__" : " __restrict__ "))
      return err;
  }
  return llvm::Error::success();
}
