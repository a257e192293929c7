//===- Prompts.cpp - Prompts of the LLM roles -----------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/Prompts.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace cupilot;
using namespace cupilot::llm;

namespace {

/// Integers without a fraction; others with 4 significant digits.
std::string number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  return llvm::formatv("{0}", llvm::format("%.4g", v)).str();
}

std::string truncated(llvm::StringRef text, size_t maxBytes) {
  if (text.size() <= maxBytes)
    return text.str();
  return text.take_front(maxBytes).str() + "\n[... " +
         std::to_string(text.size() - maxBytes) + " more bytes not shown]";
}

/// One line of a free-form message (the first line, bounded).
std::string oneLine(llvm::StringRef text, size_t maxBytes = 160) {
  std::string line = text.trim().split('\n').first.trim().str();
  if (line.size() > maxBytes)
    line = line.substr(0, maxBytes) + "...";
  return line;
}

void appendKernel(std::string &out, const KernelContext &k) {
  out += "## Kernel\n";
  out += "name: " + k.name + "\n";
  if (!k.signature.empty())
    out += "signature: " + k.signature + "\n";
  if (!k.fileName.empty())
    out += "file: " + k.fileName + "\n";
  out += "\n```cuda\n" + truncated(k.source, MaxSourceBytes);
  if (!llvm::StringRef(out).ends_with("\n"))
    out += "\n";
  out += "```\n\n";
}

void appendFeatures(std::string &out, const FeatureSet &f) {
  out += "## Features (from the AST)\n";
  // StringMap iterates in hash order; prompts must be deterministic.
  std::vector<std::string> names;
  for (const auto &entry : f.numbers)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  for (const std::string &name : names)
    out += name + " = " + number(f.numbers.lookup(name)) + "\n";
  std::vector<std::string> bindings;
  for (const auto &entry : f.bindings)
    if (entry.getKey() != "translation")
      bindings.push_back(entry.getKey().str() + " = " + entry.getValue());
  llvm::sort(bindings);
  if (!bindings.empty())
    out += "bindings: " + llvm::join(bindings, ", ") + "\n";
  out += "\n";
}

void appendRoofline(std::string &out, const RooflinePosition &r) {
  out += "## Roofline\n";
  if (r.rooflineClass.empty()) {
    out += "not measured\n\n";
    return;
  }
  out += r.rooflineClass + "-bound";
  if (r.percentOfRoof)
    out += llvm::formatv(", {0:F1}% of the ceiling", *r.percentOfRoof).str();
  if (r.timeMs)
    out += llvm::formatv(", {0:F4} ms", *r.timeMs).str();
  out += "\n\n";
}

void appendStrategy(std::string &out, const Strategy &s,
                    const FeatureSet *features) {
  out += "- " + s.id + " [" + toString(s.bottleneck).str() + "]";
  if (features) {
    std::string why;
    out += s.appliesTo(*features, &why) ? " applies"
                                        : " does not apply (" + why + ")";
  }
  out += ": " + s.title + "\n";
  out += "  intent: " +
         llvm::join(llvm::split(llvm::StringRef(s.intent).trim(), '\n'), " ") +
         "\n";
  for (const StrategyParameter &p : s.parameters)
    out += "  parameter " + p.name + " in {" + llvm::join(p.values, ", ") +
           "} (default " + p.defaultValue + ")\n";
  if (!s.requires_.empty())
    out += "  requires: " + llvm::join(s.requires_, ", ") + "\n";
  if (!s.conflicts.empty())
    out += "  conflicts with: " + llvm::join(s.conflicts, ", ") + "\n";
}

const char *GenomeSyntax =
    "A genome is an ordered set of strategies with bound parameters, written "
    "on one line as\n"
    "  strategy-id(param=value,param=value)+strategy-id\n"
    "Each strategy appears at most once; a parameter left out takes its "
    "default; every value must be one of the parameter's values; required "
    "strategies must be present and conflicting ones absent. `original` is "
    "the unmodified kernel.\n";

const char *KernelRules =
    "Rules for the code:\n"
    "- keep the kernel's name and its parameter list exactly (types, "
    "qualifiers, order), and its template header if it has one;\n"
    "- the host code and the launch geometry (grid and block) stay as they "
    "are: the kernel must be correct for the launches in the source;\n"
    "- write only the kernel definition (and __device__ helpers it needs, "
    "placed before it): no #include, no host code, no main;\n"
    "- results are compared with the original kernel's, within the task's "
    "tolerances; keep the floating-point order close to the original.\n"
    "Answer with exactly one ```cuda block holding the complete code.\n";

} // namespace

std::vector<Message>
cupilot::llm::buildStrategistPrompt(const StrategistInput &input) {
  std::string system =
      "You are the Strategist of cupilot, a tool that optimizes CUDA "
      "kernels. cupilot applies strategies from a fixed library as checked "
      "source rewrites, then compiles, verifies and times every variant on "
      "the GPU. You choose which strategies to combine, and with which "
      "parameters, for one kernel.\n\n";
  system += GenomeSyntax;
  system += llvm::formatv(
                "\nAnswer with one fenced block tagged `genomes` holding at "
                "most {0} new genomes, one per line, the most promising "
                "first; a `#` starts a comment (one short reason per genome "
                "is welcome). Use only strategies marked `applies`. Do not "
                "repeat genomes from the history.\n"
                "You may also propose a new strategy as a ```yaml block in "
                "the schema of the library (id, title, intent, bottleneck, "
                "applies-when, parameters, lowering with rewrite steps); new "
                "strategies are validated and reviewed before they are "
                "used.\n",
                input.maxGenomes)
                .str();

  std::string user;
  appendKernel(user, input.kernel);
  appendFeatures(user, input.kernel.features);
  appendRoofline(user, input.roofline);
  user += "## Strategy library\n";
  if (input.library)
    for (const Strategy &s : input.library->strategies())
      appendStrategy(user, s, &input.kernel.features);
  user += "\n";
  size_t first = input.history.size() > MaxHistoryEntries
                     ? input.history.size() - MaxHistoryEntries
                     : 0;
  user +=
      llvm::formatv("## History ({0} evaluated genomes", input.history.size())
          .str();
  if (first)
    user += llvm::formatv(", the last {0} shown", MaxHistoryEntries).str();
  user += ")\n";
  if (input.history.empty())
    user += "none yet\n";
  for (size_t i = first; i < input.history.size(); ++i) {
    const HistoryEntry &h = input.history[i];
    user += h.genome + ": " + h.verdict;
    if (h.speedup)
      user += llvm::formatv(" {0:F3}x", *h.speedup).str();
    else if (!h.reason.empty())
      user += " (" + oneLine(h.reason) + ")";
    user += "\n";
  }
  user += llvm::formatv("\nPropose up to {0} genomes for `{1}`.\n",
                        input.maxGenomes, input.kernel.name)
              .str();
  return {{"system", system}, {"user", user}};
}

std::vector<Message>
cupilot::llm::buildTranslatorPrompt(const TranslatorInput &input) {
  std::string system =
      "You are the Translator of cupilot, a tool that optimizes CUDA "
      "kernels. You write the code of an optimization strategy that has no "
      "mechanical rewrite. cupilot replaces the kernel's definition with "
      "your code, compiles it with NVRTC and verifies it against the "
      "original kernel on the GPU before timing it.\n\n";
  system += KernelRules;
  std::string user;
  appendKernel(user, input.kernel);
  appendRoofline(user, input.roofline);
  user += "## Strategy\n";
  if (input.strategy)
    appendStrategy(user, *input.strategy, nullptr);
  if (!input.genome.empty())
    user += "genome: " + input.genome + "\n";
  user += "\nWrite the complete kernel `" + input.kernel.name +
          "` implementing this strategy, in one ```cuda block.\n";
  return {{"system", system}, {"user", user}};
}

std::vector<Message>
cupilot::llm::buildRevisorPrompt(const RevisorInput &input) {
  bool compile = input.kind == RepairKind::CompileError;
  std::string system =
      "You are the Revisor of cupilot, a tool that optimizes CUDA kernels. A "
      "kernel written for an optimization strategy ";
  system += compile ? "failed to compile with NVRTC"
                    : "compiled but failed verification against the original "
                      "kernel";
  system += ". Repair it with the smallest change that fixes the problem, "
            "keeping the optimization.\n\n";
  system += KernelRules;
  std::string user;
  appendKernel(user, input.kernel);
  if (!input.genome.empty())
    user += "genome: " + input.genome + "\n\n";
  user +=
      "## The failed kernel\n```cuda\n" + truncated(input.code, MaxSourceBytes);
  if (!llvm::StringRef(user).ends_with("\n"))
    user += "\n";
  user += "```\n\n";
  user += compile ? "## Compile log\n" : "## Verification report\n";
  user += "```text\n" + truncated(input.report, MaxReportBytes);
  if (!llvm::StringRef(user).ends_with("\n"))
    user += "\n";
  user += "```\n\nReturn the repaired kernel `" + input.kernel.name +
          "` in one ```cuda block.\n";
  return {{"system", system}, {"user", user}};
}

std::string cupilot::llm::renderMessages(llvm::ArrayRef<Message> messages) {
  std::string out;
  for (const Message &m : messages) {
    out += "### " + m.role + "\n" + m.content;
    if (!llvm::StringRef(m.content).ends_with("\n"))
      out += "\n";
  }
  return out;
}
