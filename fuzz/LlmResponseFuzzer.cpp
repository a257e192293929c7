//===- LlmResponseFuzzer.cpp - Fuzz target for LLM answers ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to everything that reads what an LLM answered: the
// chat-completion JSON of both providers, the Strategist reply parser (code
// blocks, genome lines, strategy YAML, validation against a small library)
// and the kernel-code extraction of the Translator and the Revisor.
// Contracts: no crash, hang or UB; failures are CupilotErrors with a
// message; every accepted genome verifies against the library and applies
// to the kernel; code blocks and kernel code are bounded and taken from the
// input.
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "llvm/ADT/StringExtras.h"

#include "cupilot/LLM/Client.h"
#include "cupilot/LLM/ResponseParser.h"

#include <cstddef>
#include <cstdint>
#include <optional>

using namespace cupilot;
using namespace cupilot::fuzz;

namespace {

const char *const Strategies[] = {
    "id: unroll\ntitle: U\nintent: Unroll.\nbottleneck: latency\n"
    "applies-when:\n  where: [\"maxLoopDepth >= 1\"]\n"
    "parameters:\n  - name: factor\n    values: [2, 4, 8]\n    default: 4\n"
    "lowering:\n  - step: unroll\n    loop: \"0\"\n    factor: ${factor}\n",
    "id: restrict\ntitle: R\nintent: Restrict.\nbottleneck: memory\n"
    "conflicts: [ldg]\nlowering:\n  - step: restrict\n",
    "id: ldg\ntitle: L\nintent: Ldg.\nbottleneck: memory\n"
    "conflicts: [restrict]\nlowering:\n  - step: read-only-loads\n",
    "id: block\ntitle: B\nintent: Block.\nbottleneck: latency\n"
    "parameters:\n  - name: x\n    values: [64, 128, 256]\n"
    "lowering:\n  - step: set-block-size\n    x: ${x}\n",
};

const StrategyLibrary &getLibrary() {
  static std::optional<StrategyLibrary> library;
  if (!library) {
    std::vector<Strategy> all;
    for (const char *text : Strategies) {
      auto s = parseStrategy(text, "fuzz.yaml");
      if (!s)
        fail("the fuzzer's library does not parse: " +
             llvm::toString(s.takeError()));
      all.push_back(std::move(*s));
    }
    auto created = StrategyLibrary::create(std::move(all));
    if (!created)
      fail("the fuzzer's library is invalid: " +
           llvm::toString(created.takeError()));
    library = std::move(*created);
  }
  return *library;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  const StrategyLibrary &library = getLibrary();

  for (llm::Provider p : {llm::Provider::OpenAI, llm::Provider::Anthropic}) {
    auto content = llm::parseChatResponse(p, text);
    if (!content)
      expectError(content.takeError(), ExitCode::LLMError, "parseChatResponse");
  }

  llm::ParseLimits limits;
  for (const llm::CodeBlock &b : llm::extractCodeBlocks(text, limits)) {
    check(b.text.size() <= size, "a code block is larger than the input");
    check(b.line >= 1, "a code block without a line");
  }

  FeatureSet features;
  features.numbers["maxLoopDepth"] = size % 2;
  features.bindings["kernel"] = "k";
  llm::StrategistReply reply =
      llm::parseStrategistReply(text, library, &features, limits);
  check(reply.genomes.size() <= limits.maxGenomes, "too many genomes");
  check(reply.strategies.size() <= limits.maxStrategies, "too many strategies");
  for (const Genome &g : reply.genomes) {
    check(!g.genes.empty(), "an empty genome was accepted");
    if (llvm::Error e = verifyGenome(g, library))
      fail("accepted genome does not verify: " + llvm::toString(std::move(e)));
    for (const Gene &gene : g.genes)
      check(library.find(gene.strategy)->appliesTo(features),
            "accepted genome uses a strategy that does not apply");
    // The canonical text reads back to the same genome.
    auto again = parseGenome(g.str());
    check(static_cast<bool>(again) && *again == g,
          "canonical genome text does not read back: " + g.str());
    if (!again)
      llvm::consumeError(again.takeError());
  }
  for (const llm::Rejection &r : reply.rejectedGenomes)
    check(!r.reason.empty(), "a rejection without a reason");
  for (const llm::Rejection &r : reply.rejectedStrategies)
    check(!r.reason.empty(), "a rejected strategy without a reason");

  auto code = llm::extractKernelCode(text, "k", limits);
  if (code) {
    check(code->size() <= limits.maxCodeBytes, "kernel code over the limit");
    check(llvm::StringRef(*code).contains("__global__"),
          "kernel code without __global__");
    // The parser reads lines without their trailing '\r's (CRLF answers).
    std::string lines;
    for (llvm::StringRef line : llvm::split(text, '\n'))
      lines += line.rtrim('\r').str() + "\n";
    check(llvm::StringRef(lines).contains(llvm::StringRef(*code).rtrim('\n')),
          "kernel code that is not in the answer");
  } else {
    expectError(code.takeError(), ExitCode::LLMError, "extractKernelCode");
  }
  return 0;
}
