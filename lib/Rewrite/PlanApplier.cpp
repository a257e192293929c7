//===- PlanApplier.cpp - Applying rewrite plans to CUDA sources -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Runs each step's rule against the original AST, collects the edits, checks
// that edits of different steps do not overlap, applies them in one pass and,
// when a step needs it, re-parses the result to check it.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Rewrite/PlanApplier.h"

#include "StepContext.h"

#include "cupilot/Support/Error.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

/// Kernel definitions of the main file by the name the kernel index uses.
class KernelDeclFinder : public RecursiveASTVisitor<KernelDeclFinder> {
public:
  explicit KernelDeclFinder(ASTContext &ctx) : ctx(ctx) {}
  bool shouldVisitTemplateInstantiations() const { return true; }

  bool VisitFunctionDecl(FunctionDecl *fd) {
    if (!fd->hasAttr<CUDAGlobalAttr>() || !fd->doesThisDeclarationHaveABody())
      return true;
    PrintingPolicy policy(ctx.getLangOpts());
    policy.SuppressTagKeyword = true;
    policy.FullyQualifiedName = false;
    std::string name;
    llvm::raw_string_ostream os(name);
    fd->getNameForDiagnostic(os, policy, /*Qualified=*/true);
    kernels.try_emplace(name, fd);
    return true;
  }

  llvm::StringMap<const FunctionDecl *> kernels;

private:
  ASTContext &ctx;
};

std::string quote(llvm::StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    default:
      out += c;
    }
  }
  return out + "\"";
}

/// Orders edits by position (insertions before replacements at the same
/// offset), then by step, then by the order the step made them.
void sortEdits(std::vector<RewriteEdit> &edits) {
  llvm::stable_sort(edits, [](const RewriteEdit &a, const RewriteEdit &b) {
    unsigned ao = a.replacement.getOffset(), bo = b.replacement.getOffset();
    if (ao != bo)
      return ao < bo;
    bool ai = a.replacement.getLength() == 0;
    bool bi = b.replacement.getLength() == 0;
    if (ai != bi)
      return ai;
    return a.step < b.step;
  });
}

/// Drops exact duplicates made by different steps and reports overlaps.
llvm::Error checkOverlaps(std::vector<RewriteEdit> &edits,
                          llvm::StringRef file) {
  std::vector<RewriteEdit> kept;
  for (RewriteEdit &edit : edits) {
    bool duplicate = false;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
      const tooling::Replacement &p = it->replacement;
      const tooling::Replacement &e = edit.replacement;
      if (p.getOffset() + p.getLength() < e.getOffset())
        break;
      if (p.getOffset() == e.getOffset() && p.getLength() == e.getLength() &&
          p.getReplacementText() == e.getReplacementText() &&
          it->step != edit.step) {
        duplicate = true;
        break;
      }
      bool overlap = p.getOffset() + p.getLength() > e.getOffset() ||
                     (p.getOffset() == e.getOffset() && p.getLength() > 0 &&
                      e.getLength() > 0);
      if (overlap)
        return makeError(
            ExitCode::IllegalRewrite,
            "{0}:{1}:{2}: error: step {3} ({4}) and step {5} ({6}) edit "
            "overlapping code ({7} and {8}); apply them in separate plans or "
            "drop one",
            file, edit.begin.line, edit.begin.column, it->step, it->kind,
            edit.step, edit.kind, quote(it->oldText), quote(edit.oldText));
    }
    if (!duplicate)
      kept.push_back(std::move(edit));
  }
  edits = std::move(kept);
  return llvm::Error::success();
}

std::string applyEdits(llvm::StringRef buffer,
                       const std::vector<RewriteEdit> &edits) {
  std::string out;
  out.reserve(buffer.size() + 256);
  unsigned pos = 0;
  for (const RewriteEdit &edit : edits) {
    const tooling::Replacement &r = edit.replacement;
    out.append(buffer.data() + pos, r.getOffset() - pos);
    out += r.getReplacementText();
    pos = r.getOffset() + r.getLength();
  }
  out.append(buffer.data() + pos, buffer.size() - pos);
  return out;
}

std::string listKernels(const KernelIndex &index) {
  std::string names;
  for (const KernelInfo &k : index.kernels)
    names += (names.empty() ? "" : ", ") + k.qualifiedName;
  return names.empty() ? "none" : names;
}

/// Parses the rewritten source and checks what steps promised about it.
llvm::Error verifyOutput(const RewriteResult &result, const KernelIndex &index,
                         const RewritePlan &plan, const ApplyOptions &options) {
  llvm::SmallString<128> path;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("cupilot-rewrite", "cu", path))
    return makeError(ExitCode::OutputError,
                     "cannot create a temporary file: {0}", ec.message());
  llvm::scope_exit remove([&] { llvm::sys::fs::remove(path); });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return makeError(ExitCode::OutputError, "cannot write '{0}': {1}", path,
                       ec.message());
    os << result.source;
  }
  FrontendOptions frontend = options.frontend;
  frontend.printDiagnostics = false;
  // Quoted includes still resolve next to the original file.
  llvm::SmallString<128> dir(result.file);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  frontend.extraArgs.push_back("-I" + dir.str().str());
  auto parsed = parseCudaFile(path, frontend);
  if (!parsed) {
    // Name the rewritten source (`--emit=source` shows it), not the
    // temporary file; line:col of the errors refer to it.
    std::string why = llvm::toString(parsed.takeError());
    if (llvm::StringRef(why).starts_with((path + ": ").str()))
      why = why.substr(path.size() + 2);
    // The steps that can introduce errors are the ones that insert code.
    for (unsigned i = 0; i < plan.steps.size(); ++i)
      if (plan.steps[i].kind == "replace-kernel" ||
          plan.steps[i].kind == "instantiate-template") {
        bool replace = plan.steps[i].kind == "replace-kernel";
        PlanLoc loc = plan.steps[i].getLoc(replace ? "code" : "args");
        return makeError(ExitCode::IllegalRewrite,
                         "{0}:{1}:{2}: error: step {3} ({4}): the "
                         "rewritten source does not compile: {5}",
                         plan.file, loc.line, loc.column, i, plan.steps[i].kind,
                         why);
      }
    return makeError(ExitCode::InternalError,
                     "{0}: error: the rewritten source does not compile: {1}",
                     result.file, why);
  }
  KernelIndex after = buildKernelIndex(*parsed);
  for (unsigned i = 0; i < plan.steps.size(); ++i) {
    const RewriteStep &step = plan.steps[i];
    if (step.kind != "replace-kernel")
      continue;
    PlanLoc loc = step.getLoc("code");
    auto fail = [&](const std::string &message) {
      return makeError(ExitCode::IllegalRewrite,
                       "{0}:{1}:{2}: error: step {3} (replace-kernel): {4}",
                       plan.file, loc.line, loc.column, i, message);
    };
    const KernelInfo *before = index.find(step.kernel);
    const KernelInfo *now = after.find(before->qualifiedName);
    if (!now)
      return fail("the new code does not define a __global__ function named '" +
                  before->qualifiedName + "'");
    std::string oldTypes, newTypes;
    for (const ParamInfo &p : before->params)
      oldTypes += (oldTypes.empty() ? "" : ", ") + p.type;
    for (const ParamInfo &p : now->params)
      newTypes += (newTypes.empty() ? "" : ", ") + p.type;
    if (oldTypes != newTypes)
      return fail("the new code changes the parameter types of '" +
                  before->qualifiedName + "' from (" + oldTypes + ") to (" +
                  newTypes + "); keep the signature");
  }
  return llvm::Error::success();
}

/// Restructuring steps that must not apply to the same kernel in one plan.
/// Every rule sees the original kernel, so a step cannot check, or adapt
/// its output to, what another step does to the same kernel. Pairs whose
/// edits always overlap are left to checkOverlaps: coarsen, vectorize and
/// grid-stride all rewrite the index declaration, and instantiate-template
/// and replace-kernel replace the body every other step edits; and pairs
/// one of whose steps refuses the other's input: warp-shuffle-reduce needs
/// the shared memory and barriers the others refuse. `why` names the steps
/// as {0} and {1}.
struct IncompatibleSteps {
  llvm::StringRef a, b, why;
};

constexpr llvm::StringLiteral RepeatsRows =
    "{0} checks on the original kernel that its code may run several times "
    "per thread, which the loop {1} adds around it changes, and both change "
    "how the grid maps to the data";
constexpr llvm::StringLiteral RepeatsTile =
    "{0} checks on the original kernel that its code may run several times "
    "per thread and uses no shared memory or barrier, so it would repeat "
    "the tile loads and __syncthreads() that {1} adds, and {1} stages the "
    "tile for one element per thread";
constexpr llvm::StringLiteral TwoTiles =
    "each checks on the original kernel that it uses no shared memory or "
    "barrier, and would not see the tile and __syncthreads() the other adds";
constexpr llvm::StringLiteral Twice =
    "each rewrites the original kernel, not the other's output";

const IncompatibleSteps Incompatible[] = {
    {"coarsen-rows", "coarsen", RepeatsRows},
    {"coarsen-rows", "vectorize", RepeatsRows},
    {"coarsen-rows", "grid-stride", RepeatsRows},
    {"coarsen", "tile-stencil", RepeatsTile},
    {"coarsen-rows", "tile-stencil", RepeatsTile},
    {"vectorize", "tile-stencil", RepeatsTile},
    {"grid-stride", "tile-stencil", RepeatsTile},
    {"coarsen", "tile-to-shared", RepeatsTile},
    {"coarsen-rows", "tile-to-shared", RepeatsTile},
    {"vectorize", "tile-to-shared", RepeatsTile},
    {"grid-stride", "tile-to-shared", RepeatsTile},
    {"tile-stencil", "tile-to-shared", TwoTiles},
    // Identical steps make identical edits, which checkOverlaps drops as
    // duplicates; their launch changes would apply twice.
    {"coarsen", "coarsen", Twice},
    {"coarsen-rows", "coarsen-rows", Twice},
    {"vectorize", "vectorize", Twice},
    {"grid-stride", "grid-stride", Twice},
    {"tile-stencil", "tile-stencil", Twice},
    {"tile-to-shared", "tile-to-shared", Twice},
};

/// Refuses step `i` when another step of the plan restructures the same
/// kernel in a way step `i` cannot see (Incompatible).
llvm::Error checkIncompatibleSteps(StepContext &sc, const KernelInfo &info) {
  const RewritePlan &plan = sc.getPlan();
  const RewriteStep &step = sc.getStep();
  for (unsigned j = 0; j < plan.steps.size(); ++j) {
    const RewriteStep &other = plan.steps[j];
    if (j == sc.getStepIndex() || sc.getIndex().find(other.kernel) != &info)
      continue;
    for (const IncompatibleSteps &pair : Incompatible) {
      bool forward = pair.a == step.kind && pair.b == other.kind;
      bool backward = pair.a == other.kind && pair.b == step.kind;
      if (!forward && !backward)
        continue;
      std::string why = llvm::formatv(pair.why.data(), pair.a, pair.b);
      return sc.refuseInPlan(
          "kernel", "step " + llvm::Twine(j) + " (" + other.kind +
                        ") also restructures kernel '" + info.qualifiedName +
                        "', and both rewrite the original kernel: " + why +
                        "; apply them in separate plans, the second to the "
                        "output of the first");
    }
  }
  return llvm::Error::success();
}

} // namespace

std::vector<std::string> cupilot::getRegisteredSteps() {
  return getStepRuleNames();
}

llvm::Expected<RewriteResult> cupilot::applyPlan(const ParsedFile &parsed,
                                                 const KernelIndex &index,
                                                 const RewritePlan &plan,
                                                 const ApplyOptions &options) {
  ASTContext &ctx = parsed.getASTContext();
  const SourceManager &sm = ctx.getSourceManager();
  RewriteResult result;
  result.file = parsed.getFile();

  KernelDeclFinder finder(ctx);
  for (Decl *decl : ctx.getTranslationUnitDecl()->decls())
    if (sm.isInMainFile(sm.getExpansionLoc(decl->getBeginLoc())))
      finder.TraverseDecl(decl);

  std::vector<RewriteEdit> edits;
  bool needsVerify = options.verifyOutput;
  for (unsigned i = 0; i < plan.steps.size(); ++i) {
    const RewriteStep &step = plan.steps[i];
    const StepSchema *schema = findStepSchema(step.kind);
    StepRule rule = findStepRule(step.kind);
    const KernelInfo *info = nullptr;
    const FunctionDecl *kernel = nullptr;
    StepContext probe(ctx, plan, index, i, nullptr, nullptr, result, options);
    if (!schema || !rule)
      return probe.refuseInPlan("", "step kind '" + step.kind +
                                        "' is not implemented yet");
    if (schema->needsKernel) {
      info = index.find(step.kernel);
      if (!info)
        return makeError(ExitCode::UnknownKernel,
                         "{0}:{1}:{2}: error: step {3} ({4}): no kernel named "
                         "'{5}' in {6} (kernels: {7})",
                         plan.file, step.kernelLoc.line, step.kernelLoc.column,
                         i, step.kind, step.kernel, result.file,
                         listKernels(index));
      kernel = finder.kernels.lookup(info->qualifiedName);
      if (!kernel)
        return probe.refuseInPlan("kernel", "kernel '" + info->qualifiedName +
                                                "' is not defined in the main "
                                                "file");
      if (info->isInstantiation)
        return probe.refuseInPlan(
            "kernel", "kernel '" + info->qualifiedName +
                          "' is an instantiation of template '" +
                          info->templateName +
                          "'; its code is the template's: name the template");
      if (!info->macro.empty())
        return probe.refuseInPlan("kernel", "kernel '" + info->qualifiedName +
                                                "' is produced by macro '" +
                                                info->macro +
                                                "'; expand the macro first");
    }
    StepContext sc(ctx, plan, index, i, kernel, info, result, options);
    if (info)
      if (llvm::Error err = checkIncompatibleSteps(sc, *info))
        return std::move(err);
    if (llvm::Error err = rule(sc))
      return std::move(err);
    for (RewriteEdit &edit : sc.takeEdits())
      edits.push_back(std::move(edit));
    needsVerify |=
        step.kind == "replace-kernel" || step.kind == "instantiate-template";
  }

  sortEdits(edits);
  if (llvm::Error err = checkOverlaps(edits, result.file))
    return std::move(err);
  result.source = applyEdits(sm.getBufferData(sm.getMainFileID()), edits);
  result.edits = std::move(edits);
  if (needsVerify)
    if (llvm::Error err = verifyOutput(result, index, plan, options))
      return std::move(err);
  return result;
}

void cupilot::printChanges(const RewriteResult &result, llvm::raw_ostream &os) {
  for (const RewriteEdit &edit : result.edits) {
    os << "step " << edit.step << " (" << edit.kind << ") " << result.file
       << ":" << edit.begin.line << ":" << edit.begin.column << "-"
       << edit.end.line << ":" << edit.end.column << ": ";
    if (edit.oldText.empty())
      os << "insert " << quote(edit.replacement.getReplacementText()) << "\n";
    else
      os << "replace " << quote(edit.oldText) << " with "
         << quote(edit.replacement.getReplacementText()) << "\n";
  }
  for (const LaunchChange &launch : result.launchChanges) {
    os << "step " << launch.step << " (" << launch.kind << ") " << result.file
       << ":" << launch.loc.line << ":" << launch.loc.column << ": launch of '"
       << launch.kernel << "' now uses ";
    if (!launch.block.empty()) {
      os << "block (";
      for (size_t d = 0; d < launch.block.size(); ++d)
        os << (d ? ", " : "") << launch.block[d];
      os << ")";
    }
    if (launch.gridDivisor != 1)
      os << (launch.block.empty() ? "" : " and ") << "grid."
         << "xyz"[launch.gridDivisorDim] << " / " << launch.gridDivisor
         << " (rounded up)";
    os << "\n";
  }
  for (const std::string &flag : result.compileFlags)
    os << "compile-flag " << flag << "\n";
}
