//===- ResponseParser.cpp - What an LLM answered, validated ---------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/ResponseParser.h"
#include "cupilot/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <set>

using namespace cupilot;
using namespace cupilot::llm;

namespace {

/// A fence line: three or more backquotes or tildes after optional spaces.
struct Fence {
  char marker = 0;
  size_t length = 0;
  llvm::StringRef info;
};

std::optional<Fence> parseFence(llvm::StringRef line) {
  llvm::StringRef s = line.ltrim(" \t").rtrim(" \t\r");
  if (s.empty() || (s.front() != '`' && s.front() != '~'))
    return std::nullopt;
  Fence f;
  f.marker = s.front();
  while (f.length < s.size() && s[f.length] == f.marker)
    ++f.length;
  if (f.length < 3)
    return std::nullopt;
  f.info = s.drop_front(f.length).trim();
  // A backquote fence's info string may not hold backquotes (CommonMark).
  if (f.marker == '`' && f.info.contains('`'))
    return std::nullopt;
  return f;
}

std::string languageOf(llvm::StringRef info) {
  llvm::StringRef word = info.ltrim("{.").split(' ').first.split('}').first;
  return word.lower();
}

bool isGenomeChar(char c) {
  return llvm::isAlnum(c) || llvm::StringRef("_-+(),=. \t").contains(c);
}

/// A candidate genome line, cleaned; empty when the line holds none.
std::string cleanGenomeLine(llvm::StringRef line) {
  line = line.split('#').first.trim();
  // List markers: `- `, `* `, `1. `, `1) `.
  if (line.starts_with("- ") || line.starts_with("* "))
    line = line.drop_front(2).trim();
  else if (!line.empty() && llvm::isDigit(line.front())) {
    size_t n = 0;
    while (n < line.size() && llvm::isDigit(line[n]))
      ++n;
    if (n < line.size() && (line[n] == '.' || line[n] == ')'))
      line = line.drop_front(n + 1).trim();
  }
  if (line.size() >= 7 && line.take_front(7).equals_insensitive("genome:"))
    line = line.drop_front(7).trim();
  line = line.trim("` \t");
  return line.str();
}

} // namespace

bool cupilot::llm::isCodeLanguage(llvm::StringRef language) {
  return llvm::is_contained(
      {"cuda", "cu", "cuh", "cpp", "c++", "cxx", "cc", "c", "hpp", "h"},
      language);
}

std::vector<CodeBlock>
cupilot::llm::extractCodeBlocks(llvm::StringRef text,
                                const ParseLimits &limits) {
  text = text.take_front(limits.maxResponseBytes);
  std::vector<CodeBlock> blocks;
  std::optional<Fence> open;
  CodeBlock current;
  unsigned lineNumber = 0;
  while (!text.empty() && blocks.size() < limits.maxBlocks) {
    auto [line, rest] = text.split('\n');
    text = rest;
    ++lineNumber;
    std::optional<Fence> fence = parseFence(line);
    if (!open) {
      if (fence) {
        open = fence;
        current = CodeBlock();
        current.language = languageOf(fence->info);
        current.line = lineNumber;
      }
      continue;
    }
    if (fence && fence->marker == open->marker &&
        fence->length >= open->length && fence->info.empty()) {
      blocks.push_back(std::move(current));
      open.reset();
      continue;
    }
    current.text += line.rtrim('\r').str();
    current.text += "\n";
  }
  if (open && blocks.size() < limits.maxBlocks) {
    current.closed = false;
    blocks.push_back(std::move(current));
  }
  return blocks;
}

std::vector<std::string>
cupilot::llm::extractGenomeLines(llvm::StringRef text,
                                 const ParseLimits &limits) {
  text = text.take_front(limits.maxResponseBytes);
  std::vector<std::string> lines;
  auto add = [&](llvm::StringRef line) {
    if (lines.size() >= limits.maxGenomeLines)
      return;
    std::string g = cleanGenomeLine(line);
    if (!g.empty())
      lines.push_back(std::move(g));
  };
  std::vector<CodeBlock> blocks = extractCodeBlocks(text, limits);
  bool tagged = llvm::any_of(blocks, [](const CodeBlock &b) {
    return b.language == "genomes" || b.language == "genome";
  });
  for (const CodeBlock &b : blocks) {
    bool genomeBlock = b.language == "genomes" || b.language == "genome";
    if (!genomeBlock && !tagged && b.language.empty()) {
      // An untagged block of genome-like lines only.
      genomeBlock =
          llvm::all_of(llvm::split(b.text, '\n'), [](llvm::StringRef l) {
            l = l.split('#').first;
            return llvm::all_of(l, isGenomeChar);
          });
    }
    if (genomeBlock)
      for (llvm::StringRef line : llvm::split(b.text, '\n'))
        add(line);
  }
  // `genome: ...` lines outside blocks.
  bool inBlock = false;
  std::optional<Fence> open;
  for (llvm::StringRef line : llvm::split(text, '\n')) {
    std::optional<Fence> fence = parseFence(line);
    if (inBlock) {
      if (fence && fence->marker == open->marker &&
          fence->length >= open->length && fence->info.empty())
        inBlock = false;
      continue;
    }
    if (fence) {
      inBlock = true;
      open = fence;
      continue;
    }
    llvm::StringRef t = line.trim();
    if (t.starts_with("- ") || t.starts_with("* "))
      t = t.drop_front(2).trim();
    t = t.ltrim("*_`");
    if (t.size() >= 7 && t.take_front(7).equals_insensitive("genome:"))
      add(t);
  }
  return lines;
}

llvm::Expected<Genome>
cupilot::llm::validateGenome(llvm::StringRef text,
                             const StrategyLibrary &library,
                             const FeatureSet *features) {
  auto genome = parseGenome(text);
  if (!genome)
    return genome.takeError();
  if (genome->genes.empty())
    return makeError(ExitCode::InputError,
                     "the original kernel is not a proposal");
  if (llvm::Error e = verifyGenome(*genome, library))
    return std::move(e);
  std::vector<const Strategy *> applicable;
  for (const Strategy &s : library.strategies())
    applicable.push_back(&s);
  if (features) {
    for (const Gene &g : genome->genes) {
      std::string why;
      if (!library.find(g.strategy)->appliesTo(*features, &why))
        return makeError(ExitCode::InputError,
                         "strategy '{0}' does not apply to this kernel: {1}",
                         g.strategy, why);
    }
    applicable = applicableStrategies(library, *features);
  }
  // Same set, library order: the one spelling evolution uses.
  Genome canonical = normalizeGenome(*genome, library, applicable);
  if (canonical.genes.size() != genome->genes.size())
    return makeError(ExitCode::InputError,
                     "genome '{0}' is not consistent with the library's "
                     "requirements and conflicts",
                     genome->str());
  return canonical;
}

StrategistReply cupilot::llm::parseStrategistReply(
    llvm::StringRef text, const StrategyLibrary &library,
    const FeatureSet *features, const ParseLimits &limits) {
  StrategistReply reply;
  if (text.size() > limits.maxResponseBytes)
    reply.notes.push_back(llvm::formatv("the answer is {0} bytes; only the "
                                        "first {1} were read",
                                        text.size(), limits.maxResponseBytes)
                              .str());
  text = text.take_front(limits.maxResponseBytes);

  std::set<std::string> seen;
  std::vector<std::string> lines = extractGenomeLines(text, limits);
  if (lines.size() >= limits.maxGenomeLines)
    reply.notes.push_back(llvm::formatv("only the first {0} genome lines "
                                        "were read",
                                        limits.maxGenomeLines)
                              .str());
  for (const std::string &line : lines) {
    if (line.size() > limits.maxGenomeLength) {
      reply.rejectedGenomes.push_back(
          {line.substr(0, 64) + "...",
           llvm::formatv("longer than {0} characters", limits.maxGenomeLength)
               .str()});
      continue;
    }
    auto genome = validateGenome(line, library, features);
    if (!genome) {
      reply.rejectedGenomes.push_back(
          {line, llvm::toString(genome.takeError())});
      continue;
    }
    std::string canonical = genome->str();
    if (!seen.insert(canonical).second) {
      reply.rejectedGenomes.push_back({line, "duplicate of " + canonical});
      continue;
    }
    if (reply.genomes.size() >= limits.maxGenomes) {
      reply.rejectedGenomes.push_back(
          {line,
           llvm::formatv("more than {0} genomes proposed", limits.maxGenomes)
               .str()});
      continue;
    }
    reply.genomes.push_back(std::move(*genome));
  }

  unsigned documents = 0;
  std::vector<Strategy> accepted;
  for (const CodeBlock &b : extractCodeBlocks(text, limits)) {
    if (b.language != "yaml" && b.language != "yml")
      continue;
    // Documents are separated by `---` lines.
    std::vector<std::string> docs(1);
    for (llvm::StringRef line : llvm::split(b.text, '\n')) {
      if (line.rtrim() == "---") {
        docs.emplace_back();
        continue;
      }
      docs.back() += line.str() + "\n";
    }
    for (const std::string &doc : docs) {
      if (llvm::StringRef(doc).trim().empty())
        continue;
      if (documents++ >= limits.maxStrategies) {
        reply.rejectedStrategies.push_back(
            {"(strategy " + std::to_string(documents) + ")",
             llvm::formatv("more than {0} strategies proposed",
                           limits.maxStrategies)
                 .str()});
        continue;
      }
      std::string name = "<proposed strategy " + std::to_string(documents) +
                         " (line " + std::to_string(b.line) + ")>";
      auto strategy = parseStrategy(doc, name);
      if (!strategy) {
        reply.rejectedStrategies.push_back(
            {name, llvm::toString(strategy.takeError())});
        continue;
      }
      if (library.find(strategy->id) ||
          llvm::any_of(accepted, [&](const Strategy &s) {
            return s.id == strategy->id;
          })) {
        reply.rejectedStrategies.push_back(
            {strategy->id, "a strategy with this id exists already"});
        continue;
      }
      // The library checks: requirements, conflicts, placeholders, and that
      // every parameter value lowers to a valid plan.
      std::vector<Strategy> all = library.strategies();
      all.push_back(*strategy);
      auto extended = StrategyLibrary::create(std::move(all));
      if (!extended) {
        reply.rejectedStrategies.push_back(
            {strategy->id, llvm::toString(extended.takeError())});
        continue;
      }
      accepted.push_back(std::move(*strategy));
    }
  }
  reply.strategies = std::move(accepted);
  return reply;
}

llvm::Expected<std::string>
cupilot::llm::extractKernelCode(llvm::StringRef text,
                                llvm::StringRef kernelName,
                                const ParseLimits &limits) {
  // `ns::k<float>` is defined as `k`.
  llvm::StringRef name = kernelName.split('<').first;
  if (size_t colon = name.rfind("::"); colon != llvm::StringRef::npos)
    name = name.drop_front(colon + 2);
  std::vector<CodeBlock> blocks = extractCodeBlocks(text, limits);
  std::vector<const CodeBlock *> candidates;
  for (const CodeBlock &b : blocks)
    if (isCodeLanguage(b.language))
      candidates.push_back(&b);
  if (candidates.empty())
    for (const CodeBlock &b : blocks)
      if (b.language.empty())
        candidates.push_back(&b);
  if (candidates.empty())
    return makeError(ExitCode::LLMError,
                     "the answer has no ```cuda block (expected the "
                     "complete kernel in one)");
  std::string why;
  for (const CodeBlock *b : candidates) {
    llvm::StringRef code = b->text;
    if (!b->closed) {
      why = "the code block at line " + std::to_string(b->line) +
            " is not closed (was the answer cut off?)";
      continue;
    }
    if (code.size() > limits.maxCodeBytes) {
      why = llvm::formatv("the code block at line {0} is {1} bytes; at most "
                          "{2} are accepted",
                          b->line, code.size(), limits.maxCodeBytes)
                .str();
      continue;
    }
    if (!code.contains("__global__")) {
      why = "the code block at line " + std::to_string(b->line) +
            " defines no __global__ function";
      continue;
    }
    // The name as a whole identifier.
    bool named = false;
    for (size_t at = code.find(name); at != llvm::StringRef::npos && !named;
         at = code.find(name, at + 1)) {
      bool startOk =
          at == 0 || !(llvm::isAlnum(code[at - 1]) || code[at - 1] == '_');
      size_t end = at + name.size();
      bool endOk =
          end >= code.size() || !(llvm::isAlnum(code[end]) || code[end] == '_');
      named = !name.empty() && startOk && endOk;
    }
    if (!named) {
      why = "the code block at line " + std::to_string(b->line) +
            " does not define '" + name.str() + "'";
      continue;
    }
    return code.str();
  }
  return makeError(ExitCode::LLMError,
                   "no usable kernel code in the answer: "
                   "{0}",
                   why);
}
