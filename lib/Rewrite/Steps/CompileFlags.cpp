//===- CompileFlags.cpp - The compile-flags step --------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Records compiler options for the variant; edits nothing. The flags were
// checked against the allow-list when the plan was read (PlanIO.cpp).
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "llvm/ADT/STLExtras.h"

using namespace cupilot;
using namespace cupilot::rewrite;

llvm::Error cupilot::rewrite::applyCompileFlags(StepContext &sc) {
  std::vector<std::string> &flags = sc.getResult().compileFlags;
  for (const std::string &flag : sc.getStep().getStrings("flags"))
    if (!llvm::is_contained(flags, flag))
      flags.push_back(flag);
  return llvm::Error::success();
}
