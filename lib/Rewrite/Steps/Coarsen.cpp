//===- Coarsen.cpp - The coarsen step -------------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Thread coarsening by a factor K: a one-element-per-thread kernel
//
//   int i = blockIdx.x * blockDim.x + threadIdx.x;
//   if (i < n) { body }
//
// becomes
//
//   #pragma unroll
//   for (int i = blockIdx.x * blockDim.x * K + threadIdx.x, c = 0; c < K;
//        ++c, i += blockDim.x) if (i < n) { body }
//
// so block b handles K consecutive block-sized chunks and consecutive
// threads still touch consecutive elements (coalescing is kept); every
// element keeps its bounds check, and threadIdx.x is still the element's
// position in its chunk. The early-return form `if (i >= n) return; rest`
// becomes the same loop around `if (i >= n) continue; rest`. Every launch's
// grid shrinks to `(grid + K - 1) / K` blocks. The legality checks are
// those of matchElementKernel (ElementKernel.cpp) and of divideLaunchGrids.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

llvm::Error cupilot::rewrite::applyCoarsen(StepContext &sc) {
  int64_t factor = sc.getStep().getInt("factor", 2);
  auto match = matchElementKernel(sc);
  if (!match)
    return match.takeError();
  const ElementKernel &m = *match;
  std::string name = m.index->getName().str();
  std::string counter = uniqueName(sc, name + "_coarsen");
  std::string k = std::to_string(factor);
  std::string header = "for (" + spellType(sc, m.index) + " " + name +
                       " = blockIdx.x * blockDim.x * " + k +
                       " + threadIdx.x, " + counter + " = 0; " + counter +
                       " < " + k + "; ++" + counter + ", " + name +
                       " += blockDim.x)";
  std::string indent = lineIndent(sc, m.decl->getBeginLoc());
  SourceLocation declEnd = getStmtEnd(sc, m.decl);
  // The pragma needs a line of its own.
  std::string pragma = "#pragma unroll\n" + indent;
  if (!startsLine(sc, m.decl->getBeginLoc()))
    pragma = "\n" + indent + pragma;

  if (m.form == ElementKernel::Guarded) {
    // `int i = ...;<space>if` -> `for (...) if`, keeping any comment
    // between the two.
    SourceLocation guardBegin = m.guard->getBeginLoc();
    llvm::StringRef gap =
        sc.getText(CharSourceRange::getCharRange(declEnd, guardBegin));
    bool blank = gap.trim().empty();
    if (llvm::Error err =
            sc.replace(CharSourceRange::getCharRange(
                           m.decl->getBeginLoc(), blank ? guardBegin : declEnd),
                       pragma + header + (blank ? " " : "")))
      return err;
    return divideLaunchGrids(sc, factor);
  }

  // Early return: the loop encloses the rest of the kernel, and the return
  // moves on to the next element.
  if (llvm::Error err = sc.replace(
          CharSourceRange::getCharRange(m.decl->getBeginLoc(), declEnd),
          pragma + header + " {"))
    return err;
  if (llvm::Error err = sc.replace(
          CharSourceRange::getTokenRange(m.earlyReturn->getBeginLoc()),
          "continue"))
    return err;
  if (llvm::Error err =
          insertLinesBefore(sc, m.kernelBody->getRBracLoc(), indent + "}"))
    return err;
  return divideLaunchGrids(sc, factor);
}
