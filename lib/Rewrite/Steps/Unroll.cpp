//===- Unroll.cpp - The unroll step ---------------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Puts `#pragma unroll N` (or `#pragma unroll` for full unrolling) on the
// line before loop #id of the kernel index, replacing an unroll pragma that
// is already there. Full unrolling is refused unless the trip count is a
// compile-time constant.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

/// Finds the unroll hint attached to `loop`, if any.
class HintFinder : public RecursiveASTVisitor<HintFinder> {
public:
  explicit HintFinder(const Stmt *loop) : loop(loop) {}
  bool VisitAttributedStmt(AttributedStmt *s) {
    if (s->getSubStmt() != loop)
      return true;
    for (const Attr *a : s->getAttrs())
      if (const auto *hint = dyn_cast<LoopHintAttr>(a))
        if (hint->getOption() == LoopHintAttr::Unroll ||
            hint->getOption() == LoopHintAttr::UnrollCount)
          found = hint;
    return true;
  }
  const Stmt *loop;
  const LoopHintAttr *found = nullptr;
};

} // namespace

llvm::Error cupilot::rewrite::applyUnroll(StepContext &sc) {
  const RewriteStep &step = sc.getStep();
  const KernelInfo &info = *sc.getKernelInfo();
  std::vector<const Stmt *> loops = collectLoops(sc.getKernel());
  int64_t id = step.getInt("loop", 0);
  if (loops.size() != info.loops.size())
    return sc.refuseInPlan("loop", "cannot match the loops of '" +
                                       info.qualifiedName +
                                       "' with the kernel index");
  if (id >= static_cast<int64_t>(loops.size()))
    return sc.refuseInPlan(
        "loop", "kernel '" + info.qualifiedName + "' has " +
                    llvm::Twine(loops.size()) + " loop" +
                    (loops.size() == 1 ? "" : "s") +
                    (loops.empty()
                         ? ""
                         : " (ids 0.." + llvm::Twine(loops.size() - 1) + ")") +
                    ", not loop " + llvm::Twine(id) +
                    "; see `cupilot-opt --list-kernels`");
  const LoopInfo &loopInfo = info.loops[id];
  const Stmt *loop = loops[id];
  bool full = step.getBool("full", false);
  if (full && !loopInfo.tripCount)
    return sc.refuse(
        loop->getBeginLoc(),
        "loop #" + llvm::Twine(id) + " has no constant trip count" +
            (loopInfo.tripCountExpr.empty()
                 ? std::string()
                 : " (it runs '" + loopInfo.tripCountExpr + "' times)") +
            "; full unrolling needs one: give 'factor: N'");
  std::string pragma = "#pragma unroll";
  if (!full)
    pragma += " " + std::to_string(step.getInt("factor", 1));

  const SourceManager &sm = sc.getSourceManager();
  HintFinder finder(loop);
  finder.TraverseStmt(const_cast<Stmt *>(sc.getKernel()->getBody()));
  if (const LoopHintAttr *hint = finder.found) {
    // Replace the text of the existing pragma, from `#` to the line's end.
    SourceLocation loc = sm.getExpansionLoc(hint->getLocation());
    llvm::StringRef buffer = sm.getBufferData(sm.getFileID(loc));
    unsigned offset = sm.getFileOffset(loc);
    size_t hash = buffer.rfind('#', offset);
    size_t eol = buffer.find('\n', offset);
    if (hash == llvm::StringRef::npos || eol == llvm::StringRef::npos ||
        buffer.substr(hash, offset - hash).contains('\n'))
      return sc.refuse(loc, "cannot find the text of the existing unroll "
                            "pragma; remove it first");
    while (eol > hash && (buffer[eol - 1] == ' ' || buffer[eol - 1] == '\r'))
      --eol;
    SourceLocation start = loc.getLocWithOffset(-(int)(offset - hash));
    return sc.replace(CharSourceRange::getCharRange(
                          start, start.getLocWithOffset(eol - hash)),
                      pragma);
  }

  SourceLocation begin = loop->getBeginLoc();
  if (begin.isMacroID())
    return sc.refuse(begin, "the loop is spelled inside a macro expansion; "
                            "expand the macro first");
  llvm::StringRef buffer = sm.getBufferData(sm.getFileID(begin));
  unsigned offset = sm.getFileOffset(begin);
  size_t lineStart = buffer.rfind('\n', offset);
  lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
  llvm::StringRef before = buffer.substr(lineStart, offset - lineStart);
  llvm::StringRef indent =
      before.take_while([](char c) { return c == ' ' || c == '\t'; });
  if (indent.size() == before.size())
    return sc.insert(begin.getLocWithOffset(-(int)before.size()),
                     (indent + pragma + "\n").str());
  // The loop follows other code on its line (`if (c) for (...)`).
  return sc.insert(begin, ("\n" + indent + pragma + "\n" + indent).str());
}
