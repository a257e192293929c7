//===- LaunchBounds.cpp - The launch-bounds step --------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Adds `__launch_bounds__(max-threads[, min-blocks])` before the kernel's
// name, or replaces the existing one. Refuses when a launch of the kernel
// (after any set-block-size step of the same plan) uses more threads per
// block than max-threads: such a launch would fail at run time.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

/// Threads per block of a launch when every block dimension is a literal.
static std::optional<int64_t> constantThreads(const LaunchSite &site) {
  if (site.blockDims.empty())
    return std::nullopt;
  int64_t threads = 1;
  for (const std::string &dim : site.blockDims) {
    int64_t value = 0;
    if (llvm::StringRef(dim).getAsInteger(0, value))
      return std::nullopt;
    threads *= value;
  }
  return threads;
}

llvm::Error cupilot::rewrite::applyLaunchBounds(StepContext &sc) {
  const RewriteStep &step = sc.getStep();
  const KernelInfo &info = *sc.getKernelInfo();
  int64_t maxThreads = step.getInt("max-threads", 1024);

  // The block sizes the kernel will be launched with.
  bool resized = false;
  for (const RewriteStep &other : sc.getPlan().steps) {
    if (other.kind != "set-block-size" ||
        sc.getIndex().find(other.kernel) != &info)
      continue;
    resized = true;
    int64_t threads =
        other.getInt("x", 1) * other.getInt("y", 1) * other.getInt("z", 1);
    if (threads > maxThreads)
      return sc.refuseInPlan("max-threads",
                             "max-threads " + llvm::Twine(maxThreads) +
                                 " is below the " + llvm::Twine(threads) +
                                 " threads per block that set-block-size gives "
                                 "'" +
                                 info.qualifiedName + "'");
  }
  if (!resized)
    for (const LaunchSite &site : info.launchSites)
      if (auto threads = constantThreads(site);
          threads && *threads > maxThreads)
        return sc.refuseAt(site.loc,
                           "this launch of '" + info.qualifiedName + "' uses " +
                               llvm::Twine(*threads) +
                               " threads per block, more than max-threads " +
                               llvm::Twine(maxThreads) +
                               "; it would fail to launch");

  std::string args = std::to_string(maxThreads);
  if (step.has("min-blocks"))
    args += ", " + std::to_string(step.getInt("min-blocks", 1));

  const FunctionDecl *kernel = sc.getKernel();
  const SourceManager &sm = sc.getSourceManager();
  if (const auto *attr = kernel->getAttr<CUDALaunchBoundsAttr>()) {
    if (attr->getLocation().isMacroID())
      return sc.replace(sm.getExpansionRange(attr->getRange()),
                        "__launch_bounds__(" + args + ")");
    // Spelled `__attribute__((launch_bounds(...)))`.
    return sc.replace(CharSourceRange::getTokenRange(attr->getRange()),
                      "launch_bounds(" + args + ")");
  }
  return sc.insert(kernel->getLocation(), "__launch_bounds__(" + args + ") ");
}
