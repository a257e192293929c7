//===- InstantiateTemplate.cpp - The instantiate-template step ------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Replaces a kernel's body by a call of a parametric device-function
// template shipped under strategies/templates/ (one .cu file each), with the
// template's parameters bound by the plan and the function's arguments bound
// to expressions over the kernel's parameters:
//
//   __global__ void sgemm(const float *A, const float *B, float *C, int M,
//                         int N, int K) {
//     cupilot_sgemm_tiled<16>(A, B, C, M, N, K);
//   }
//
// The template's code goes before the kernel inside an include guard, so
// several kernels can share it. A template starts with a comment header:
//
//   // template: sgemm-tiled
//   // function: cupilot_sgemm_tiled
//   // requires: gemmLike                      (KernelInfo features)
//   // parameter: TILE = 8 | 16 | 32 (default 16)
//   // block: TILE, TILE, 1                    (the block it needs)
//   // computes: ...                           (what the plan asserts)
//
// The kernel keeps its name and signature; the launches must use (or a
// set-block-size step must give them) the template's block, which the step
// records for the task's launches. The rewritten file is re-parsed, so
// arguments of the wrong number or type are reported against the step. That
// the kernel computes what the template computes is the plan's assertion;
// GPU verification checks it.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "cupilot/Config.h"
#include "cupilot/Support/Error.h"

#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdlib>
#include <map>

using namespace clang;
using namespace cupilot;
using namespace cupilot::rewrite;

namespace {

struct TemplateParam {
  std::string name;
  std::vector<int64_t> values;
  std::optional<int64_t> defaultValue;
};

/// A parsed template file.
struct KernelTemplate {
  std::string path;
  std::string id;
  std::string function;
  std::vector<std::string> features;
  std::vector<TemplateParam> params;
  std::vector<std::string> block;
  /// The code after the header.
  std::string code;
};

/// ApplyOptions::templatesDir, or its default.
std::string templatesDir(const StepContext &sc) {
  if (!sc.getOptions().templatesDir.empty())
    return sc.getOptions().templatesDir;
  std::string strategies = CUPILOT_DEFAULT_STRATEGIES_DIR;
  if (const char *env = std::getenv("CUPILOT_STRATEGIES"); env && *env)
    strategies = env;
  llvm::SmallString<256> dir(strategies);
  llvm::sys::path::append(dir, "templates");
  return dir.str().str();
}

llvm::Error templateError(llvm::StringRef path, unsigned line,
                          const llvm::Twine &message) {
  return makeError(ExitCode::InputError, "{0}:{1}:1: error: template: {2}",
                   path, line, message.str());
}

llvm::Expected<KernelTemplate> parseTemplate(llvm::StringRef path,
                                             llvm::StringRef text) {
  KernelTemplate t;
  t.path = path.str();
  llvm::SmallVector<llvm::StringRef, 64> lines;
  text.split(lines, '\n');
  size_t i = 0;
  for (; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].trim();
    if (!line.consume_front("//"))
      break;
    auto [key, value] = line.trim().split(':');
    key = key.trim();
    value = value.trim();
    unsigned lineNo = i + 1;
    if (key == "template") {
      t.id = value.str();
    } else if (key == "function") {
      t.function = value.str();
    } else if (key == "requires") {
      llvm::SmallVector<llvm::StringRef, 4> features;
      value.split(features, ',', -1, false);
      for (llvm::StringRef f : features) {
        f = f.trim();
        if (!llvm::is_contained(
                {"gemmLike", "elementwise", "reductionLike", "stencilLike"}, f))
          return templateError(path, lineNo,
                               "unknown feature '" + f +
                                   "' (gemmLike, elementwise, reductionLike, "
                                   "stencilLike)");
        t.features.push_back(f.str());
      }
    } else if (key == "parameter") {
      // NAME = V1 | V2 | ... (default V)
      TemplateParam p;
      auto [name, rest] = value.split('=');
      p.name = name.trim().str();
      llvm::StringRef values = rest;
      llvm::StringRef def;
      if (size_t open = rest.find("(default"); open != llvm::StringRef::npos) {
        values = rest.take_front(open);
        def = rest.drop_front(open + 8).trim().rtrim(')').trim();
      }
      llvm::SmallVector<llvm::StringRef, 8> pieces;
      values.split(pieces, '|', -1, false);
      for (llvm::StringRef v : pieces) {
        int64_t n;
        if (v.trim().getAsInteger(10, n))
          return templateError(path, lineNo,
                               "parameter value '" + v.trim() +
                                   "' is not an integer");
        p.values.push_back(n);
      }
      if (!def.empty()) {
        int64_t n;
        if (def.getAsInteger(10, n) || !llvm::is_contained(p.values, n))
          return templateError(path, lineNo,
                               "the default of '" + p.name +
                                   "' is not one of its values");
        p.defaultValue = n;
      }
      if (p.name.empty() || p.values.empty())
        return templateError(path, lineNo,
                             "write 'parameter: NAME = V1 | V2 (default V1)'");
      t.params.push_back(p);
    } else if (key == "block") {
      llvm::SmallVector<llvm::StringRef, 3> dims;
      value.split(dims, ',');
      for (llvm::StringRef d : dims)
        t.block.push_back(d.trim().str());
      if (t.block.empty() || t.block.size() > 3)
        return templateError(path, lineNo, "write 'block: X, Y, Z'");
    }
  }
  if (t.function.empty() || t.block.empty())
    return templateError(path, 1,
                         "the header names no 'function:' or no 'block:'");
  while (i < lines.size() && lines[i].trim().empty())
    ++i;
  for (; i < lines.size(); ++i)
    t.code += (lines[i].rtrim() + "\n").str();
  if (!llvm::StringRef(t.code).contains(t.function))
    return templateError(path, 1,
                         "the code does not define '" + t.function + "'");
  return t;
}

/// The number of parameters of `function` in `code` (commas at depth 0 of
/// its first parameter list), or nullopt.
std::optional<unsigned> countParams(llvm::StringRef code,
                                    llvm::StringRef function) {
  size_t at = code.find(function);
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  size_t open = code.find('(', at);
  if (open == llvm::StringRef::npos)
    return std::nullopt;
  int depth = 0;
  unsigned commas = 0;
  bool any = false;
  for (size_t i = open; i < code.size(); ++i) {
    char c = code[i];
    if (c == '(' || c == '<' || c == '[')
      ++depth;
    else if (c == ')' || c == '>' || c == ']') {
      if (--depth == 0)
        return any ? commas + 1 : 0;
    } else if (c == ',' && depth == 1)
      ++commas;
    else if (!llvm::isSpace(c))
      any = true;
  }
  return std::nullopt;
}

bool hasFeature(const KernelFeatures &f, llvm::StringRef name) {
  if (name == "gemmLike")
    return f.gemmLike;
  if (name == "elementwise")
    return f.elementwise;
  if (name == "reductionLike")
    return f.reductionLike;
  return name == "stencilLike" && f.stencilLike;
}

std::string guardName(llvm::StringRef function) {
  return function.upper() + "_DEFINED";
}

} // namespace

llvm::Error cupilot::rewrite::applyInstantiateTemplate(StepContext &sc) {
  const RewriteStep &step = sc.getStep();
  const KernelInfo &info = *sc.getKernelInfo();
  const FunctionDecl *kernel = sc.getKernel();

  // Find and read the template.
  std::string name = step.getString("template");
  llvm::SmallString<256> path;
  if (name.find('/') != std::string::npos ||
      llvm::StringRef(name).ends_with(".cu")) {
    path = name;
    if (llvm::sys::path::is_relative(path)) {
      path = llvm::sys::path::parent_path(sc.getPlan().file);
      llvm::sys::path::append(path, name);
    }
  } else {
    path = templatesDir(sc);
    llvm::sys::path::append(path, name + ".cu");
  }
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return sc.refuseInPlan("template",
                           "cannot read template '" + name + "' (" + path +
                               "): " + buffer.getError().message() +
                               "; templates live in " + templatesDir(sc));
  auto parsed = parseTemplate(path, (*buffer)->getBuffer());
  if (!parsed)
    return parsed.takeError();
  const KernelTemplate &t = *parsed;

  for (const std::string &feature : t.features)
    if (!hasFeature(info.features, feature))
      return sc.refuse(kernel->getLocation(),
                       "template '" + name + "' needs a kernel that is " +
                           feature + "; '" + info.qualifiedName +
                           "' is not (see `cupilot-opt --list-kernels`)");

  // Bind the template parameters.
  std::map<std::string, int64_t> values;
  for (const std::string &binding : step.getStrings("bind")) {
    std::pair<llvm::StringRef, llvm::StringRef> kv =
        llvm::StringRef(binding).split('=');
    llvm::StringRef key = kv.first.trim(), value = kv.second;
    auto param = llvm::find_if(
        t.params, [&](const TemplateParam &p) { return p.name == key; });
    int64_t n;
    if (param == t.params.end()) {
      std::string names;
      for (const TemplateParam &p : t.params)
        names += (names.empty() ? "" : ", ") + p.name;
      return sc.refuseInPlan(
          "bind", "template '" + name + "' has no parameter '" + key +
                      "' (parameters: " + (names.empty() ? "none" : names) +
                      ")");
    }
    if (value.trim().getAsInteger(10, n) ||
        !llvm::is_contained(param->values, n)) {
      std::string allowed;
      for (int64_t v : param->values)
        allowed += (allowed.empty() ? "" : ", ") + std::to_string(v);
      return sc.refuseInPlan("bind", "'" + binding + "': " + param->name +
                                         " takes " + allowed);
    }
    values[param->name] = n;
  }
  std::string templateArgs;
  for (const TemplateParam &p : t.params) {
    if (!values.count(p.name)) {
      if (!p.defaultValue)
        return sc.refuseInPlan(
            "bind", "template '" + name + "' needs a value for '" + p.name +
                        "'; give 'bind: [" + p.name + "=...]'");
      values[p.name] = *p.defaultValue;
    }
    templateArgs +=
        (templateArgs.empty() ? "" : ", ") + std::to_string(values[p.name]);
  }

  // The block the template needs.
  std::array<int64_t, 3> block = {1, 1, 1};
  for (size_t d = 0; d < t.block.size(); ++d) {
    llvm::StringRef dim = t.block[d];
    if (values.count(dim.str()))
      block[d] = values[dim.str()];
    else if (dim.getAsInteger(10, block[d]))
      return templateError(t.path, 1,
                           "block extent '" + dim +
                               "' is neither a parameter nor an integer");
  }
  if (llvm::Error err = requireLaunchBlock(sc, block))
    return err;

  // Bind the function's arguments.
  std::vector<std::string> args = step.getStrings("args");
  if (!step.has("args"))
    for (const ParmVarDecl *p : kernel->parameters())
      args.push_back(p->getName().str());
  std::optional<unsigned> expected = countParams(t.code, t.function);
  if (expected && *expected != args.size())
    return sc.refuseInPlan(
        step.has("args") ? "args" : "",
        "'" + t.function + "' takes " + llvm::Twine(*expected) +
            " arguments, and " +
            (step.has("args") ? "'args' gives " : "the kernel has ") +
            llvm::Twine(args.size()) +
            "; give 'args' with one expression over the "
            "kernel's parameters per argument");

  const SourceManager &sm = sc.getSourceManager();
  SourceLocation begin = kernel->getBeginLoc();
  if (const FunctionTemplateDecl *tmpl = kernel->getDescribedFunctionTemplate())
    begin = tmpl->getBeginLoc();
  begin = sm.getExpansionLoc(begin);
  std::string guard = guardName(t.function);
  std::string code = "#ifndef " + guard + "\n#define " + guard + "\n" +
                     "// From template '" + name + "' (" +
                     llvm::sys::path::filename(t.path).str() + ").\n" + t.code +
                     "#endif // " + guard + "\n\n";
  if (!startsLine(sc, begin))
    code = "\n" + code;
  if (llvm::Error err = sc.insert(begin, code))
    return err;
  return sc.replace(
      CharSourceRange::getTokenRange(kernel->getBody()->getSourceRange()),
      "{\n  " + t.function + "<" + templateArgs + ">(" +
          llvm::join(args, ", ") + ");\n}");
}
