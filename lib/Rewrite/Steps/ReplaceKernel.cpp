//===- ReplaceKernel.cpp - The replace-kernel step ------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Replaces the kernel's whole definition (from its template header or
// `__global__` to the closing brace) with the plan's code. The new code must
// define a __global__ function with the same name and parameter types; that
// is checked after all edits by re-parsing the rewritten source
// (PlanApplier.cpp), since only Clang can tell what the code declares.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

llvm::Error cupilot::rewrite::applyReplaceKernel(StepContext &sc) {
  const FunctionDecl *kernel = sc.getKernel();
  const SourceManager &sm = sc.getSourceManager();
  std::string code = sc.getStep().getString("code");
  while (!code.empty() && (code.back() == '\n' || code.back() == ' '))
    code.pop_back();
  if (!llvm::StringRef(code).contains(sc.getKernelInfo()->name))
    return sc.refuseInPlan("code", "the new code does not mention '" +
                                       sc.getKernelInfo()->name +
                                       "'; it must define the kernel under "
                                       "the same name");

  SourceLocation begin = kernel->getBeginLoc();
  if (const FunctionTemplateDecl *tmpl = kernel->getDescribedFunctionTemplate())
    begin = tmpl->getBeginLoc();
  begin = sm.getExpansionLoc(begin);
  SourceLocation end = sm.getExpansionLoc(kernel->getBody()->getEndLoc());
  return sc.replace(CharSourceRange::getTokenRange(begin, end), code);
}
