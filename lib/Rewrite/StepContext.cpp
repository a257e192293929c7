//===- StepContext.cpp - What a rewrite rule sees and produces ------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "StepContext.h"

#include "cupilot/Support/Error.h"

#include "clang/AST/ASTContext.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

StepContext::StepContext(ASTContext &ctx, const RewritePlan &plan,
                         const KernelIndex &index, unsigned stepIndex,
                         const FunctionDecl *kernel, const KernelInfo *info,
                         RewriteResult &result, const ApplyOptions &options)
    : ctx(ctx), plan(plan), index(index), stepIndex(stepIndex), kernel(kernel),
      info(info), result(result), options(options) {}

SourceManager &StepContext::getSourceManager() const {
  return ctx.getSourceManager();
}

static SourceLoc toSourceLoc(const SourceManager &sm, SourceLocation loc) {
  SourceLoc result;
  PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(loc));
  if (p.isInvalid())
    return result;
  result.file = p.getFilename();
  result.line = p.getLine();
  result.column = p.getColumn();
  return result;
}

llvm::Error StepContext::refuse(SourceLocation loc,
                                const llvm::Twine &message) {
  const RewriteStep &step = getStep();
  SourceLoc where = toSourceLoc(getSourceManager(), loc);
  if (where.line == 0)
    return makeError(ExitCode::IllegalRewrite,
                     "{0}: error: step {1} ({2}): {3}", result.file, stepIndex,
                     step.kind, message.str());
  return makeError(ExitCode::IllegalRewrite,
                   "{0}:{1}:{2}: error: step {3} ({4}): {5}", result.file,
                   where.line, where.column, stepIndex, step.kind,
                   message.str());
}

llvm::Error StepContext::refuseAt(const SourceLoc &loc,
                                  const llvm::Twine &message) {
  return makeError(ExitCode::IllegalRewrite,
                   "{0}:{1}:{2}: error: step {3} ({4}): {5}", result.file,
                   loc.line, loc.column, stepIndex, getStep().kind,
                   message.str());
}

llvm::Error StepContext::refuseInPlan(llvm::StringRef where,
                                      const llvm::Twine &message) {
  const RewriteStep &step = getStep();
  PlanLoc loc = where.empty() ? step.loc : step.getLoc(where);
  if (where == "kernel" && step.kernelLoc.line)
    loc = step.kernelLoc;
  return makeError(ExitCode::IllegalRewrite,
                   "{0}:{1}:{2}: error: step {3} ({4}): {5}", plan.file,
                   loc.line, loc.column, stepIndex, step.kind, message.str());
}

llvm::StringRef StepContext::getText(CharSourceRange range) const {
  const SourceManager &sm = getSourceManager();
  CharSourceRange file = Lexer::makeFileCharRange(range, sm, ctx.getLangOpts());
  if (file.isInvalid())
    return "";
  bool invalid = false;
  llvm::StringRef text =
      Lexer::getSourceText(file, sm, ctx.getLangOpts(), &invalid);
  return invalid ? "" : text;
}

llvm::StringRef StepContext::getText(SourceRange tokenRange) const {
  return getText(CharSourceRange::getTokenRange(tokenRange));
}

llvm::Error StepContext::replace(CharSourceRange range, llvm::StringRef text) {
  const SourceManager &sm = getSourceManager();
  CharSourceRange file = Lexer::makeFileCharRange(range, sm, ctx.getLangOpts());
  if (file.isInvalid() || !sm.isInMainFile(file.getBegin()))
    return refuse(range.getBegin(),
                  "the code to rewrite is spelled inside a macro expansion "
                  "or outside the main file; expand the macro first");
  unsigned begin = sm.getFileOffset(file.getBegin());
  unsigned end = sm.getFileOffset(file.getEnd());
  llvm::StringRef buffer = sm.getBufferData(sm.getMainFileID());
  llvm::StringRef old = buffer.substr(begin, end - begin);
  if (old == text)
    return llvm::Error::success(); // Already in the wanted form.
  RewriteEdit edit;
  edit.step = stepIndex;
  edit.kind = getStep().kind;
  edit.replacement =
      tooling::Replacement(result.file, begin, end - begin, text);
  edit.oldText = old.str();
  edit.begin = toSourceLoc(sm, file.getBegin());
  edit.end = toSourceLoc(sm, file.getEnd());
  edits.push_back(std::move(edit));
  return llvm::Error::success();
}

llvm::Error StepContext::insert(SourceLocation loc, llvm::StringRef text) {
  if (loc.isMacroID())
    return refuse(loc, "the code to rewrite is spelled inside a macro "
                       "expansion; expand the macro first");
  return replace(CharSourceRange::getCharRange(loc, loc), text);
}
