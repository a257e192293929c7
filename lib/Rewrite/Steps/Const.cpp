//===- Const.cpp - The const step -----------------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Makes the pointee of pointer parameters const (`float *x` -> `const float
// *x`) when the kernel never writes through them and never hands them to
// code that could. This changes the kernel's type, so every declaration of
// the kernel in the file is updated alike.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

llvm::Error cupilot::rewrite::applyConst(StepContext &sc) {
  auto params = selectPointerParams(sc);
  if (!params)
    return params.takeError();
  bool explicitList = sc.getStep().has("params");
  const FunctionDecl *kernel = sc.getKernel();
  const SourceManager &sm = sc.getSourceManager();

  for (const ParmVarDecl *p : *params) {
    QualType pointee = p->getType()->getPointeeType();
    if (pointee.isConstQualified())
      continue;
    PointerUses uses = analyzePointerUses(kernel, p, sc.getASTContext());
    if (!uses.writes.empty() || !uses.escapes.empty()) {
      if (!explicitList)
        continue;
      bool write = !uses.writes.empty();
      SourceLocation at = write ? uses.writes.front() : uses.escapes.front();
      return sc.refuse(at, "cannot make the pointee of '" + p->getName() +
                               "' const: " +
                               (write ? "the kernel writes through it here"
                                      : "it is used here in a way that needs "
                                        "a non-const pointee"));
    }
    if (pointee->isPointerType() || pointee->isFunctionType())
      return sc.refuse(p->getLocation(),
                       "'" + p->getName() +
                           "' points to a pointer or function; only data "
                           "pointers are made const");
    unsigned index = p->getFunctionScopeIndex();
    for (const FunctionDecl *decl : kernel->redecls()) {
      if (decl != kernel &&
          !sm.isInMainFile(sm.getExpansionLoc(decl->getLocation())))
        continue;
      if (index >= decl->getNumParams())
        continue;
      const ParmVarDecl *dp = decl->getParamDecl(index);
      PointerTypeLoc ptr = getPointerLoc(dp);
      if (!ptr)
        return sc.refuse(dp->getLocation(),
                         "the type of '" + p->getName() +
                             "' is not spelled as a pointer; write it as "
                             "'T *' to let the step qualify it");
      if (llvm::Error err =
              sc.insert(ptr.getPointeeLoc().getBeginLoc(), "const "))
        return err;
    }
  }
  return llvm::Error::success();
}
