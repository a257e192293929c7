//===- ResponseParserTest.cpp - Reading LLM answers -----------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/ResponseParser.h"
#include "cupilot/LLM/Client.h"
#include "cupilot/LLM/Prompts.h"
#include "cupilot/LLM/ResponseCache.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace cupilot;
using namespace cupilot::llm;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

StrategyLibrary makeLibrary() {
  const char *texts[] = {
      "id: unroll\ntitle: U\nintent: Unroll.\nbottleneck: latency\n"
      "applies-when:\n  where: [\"maxLoopDepth >= 1\"]\n"
      "parameters:\n  - name: factor\n    values: [2, 4, 8]\n    default: 4\n"
      "lowering:\n  - step: unroll\n    loop: \"0\"\n    factor: ${factor}\n",
      "id: restrict\ntitle: R\nintent: Restrict.\nbottleneck: memory\n"
      "conflicts: [ldg]\nlowering:\n  - step: restrict\n",
      "id: ldg\ntitle: L\nintent: Ldg.\nbottleneck: memory\n"
      "conflicts: [restrict]\nlowering:\n  - step: read-only-loads\n",
  };
  std::vector<Strategy> strategies;
  for (const char *t : texts) {
    auto s = parseStrategy(t, "test.yaml");
    if (!s) {
      ADD_FAILURE() << llvm::toString(s.takeError());
      continue;
    }
    strategies.push_back(std::move(*s));
  }
  auto lib = StrategyLibrary::create(std::move(strategies));
  if (!lib) {
    ADD_FAILURE() << llvm::toString(lib.takeError());
    return *StrategyLibrary::create({});
  }
  return std::move(*lib);
}

FeatureSet loopKernel() {
  FeatureSet f;
  f.numbers["maxLoopDepth"] = 1;
  f.bindings["kernel"] = "k";
  return f;
}

} // namespace

TEST(ResponseParserTest, ExtractsFencedBlocks) {
  auto blocks = extractCodeBlocks("text\n```cuda\n__global__ void k() {}\n```\n"
                                  "  ~~~~ YAML\na: 1\n~~~~\n```\nplain\n```\n"
                                  "```c++ {title}\nx\n");
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].language, "cuda");
  EXPECT_EQ(blocks[0].text, "__global__ void k() {}\n");
  EXPECT_EQ(blocks[0].line, 2u);
  EXPECT_EQ(blocks[1].language, "yaml");
  EXPECT_EQ(blocks[1].text, "a: 1\n");
  EXPECT_EQ(blocks[2].language, "");
  EXPECT_TRUE(blocks[2].closed);
  EXPECT_EQ(blocks[3].language, "c++");
  EXPECT_FALSE(blocks[3].closed);
}

TEST(ResponseParserTest, ShortFencesAndInlineCodeAreNotBlocks) {
  EXPECT_TRUE(extractCodeBlocks("``not a fence``\n`x`\n").empty());
  // A closing fence must be at least as long as the opening one.
  auto blocks = extractCodeBlocks("````\n```\nstill inside\n````\n");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "```\nstill inside\n");
}

TEST(ResponseParserTest, GenomeLinesFromBlocksAndPrefixedLines) {
  auto lines = extractGenomeLines(
      "Genome: restrict   # first\n"
      "```genomes\n- unroll(factor=2)  # why\n1. `ldg`\n\n# comment\n```\n"
      "```cuda\ngenome: not-this\n```\n");
  EXPECT_THAT(lines,
              ::testing::ElementsAre("unroll(factor=2)", "ldg", "restrict"));
  // Without a ```genomes block, untagged blocks of genome text count.
  EXPECT_THAT(extractGenomeLines("```\nunroll+restrict\n```\n```\nint x;\n```"),
              ::testing::ElementsAre("unroll+restrict"));
}

TEST(ResponseParserTest, ValidatesGenomesAgainstTheLibrary) {
  StrategyLibrary lib = makeLibrary();
  FeatureSet f = loopKernel();
  StrategistReply reply = parseStrategistReply(
      "```genomes\nunroll(factor=8)+restrict\nrestrict+unroll(factor=8)\n"
      "nope\nunroll(factor=3)\nunroll(width=2)\nrestrict+ldg\noriginal\n"
      "unroll(factor=8\n```\n",
      lib, &f);
  ASSERT_EQ(reply.genomes.size(), 1u);
  // Canonical (library) order.
  EXPECT_EQ(reply.genomes[0].str(), "restrict+unroll(factor=8)");
  ASSERT_EQ(reply.rejectedGenomes.size(), 7u);
  EXPECT_THAT(reply.rejectedGenomes[0].reason, HasSubstr("duplicate"));
  EXPECT_THAT(reply.rejectedGenomes[1].reason,
              HasSubstr("unknown strategy 'nope'"));
  EXPECT_THAT(reply.rejectedGenomes[2].reason,
              HasSubstr("'3' is not in the domain of unroll.factor"));
  EXPECT_THAT(reply.rejectedGenomes[3].reason,
              HasSubstr("has no parameter 'width'"));
  EXPECT_THAT(reply.rejectedGenomes[4].reason, HasSubstr("conflicts with"));
  EXPECT_THAT(reply.rejectedGenomes[5].reason, HasSubstr("not a proposal"));
  EXPECT_THAT(reply.rejectedGenomes[6].reason, HasSubstr("missing ')'"));
}

TEST(ResponseParserTest, RejectsStrategiesThatDoNotApply) {
  StrategyLibrary lib = makeLibrary();
  FeatureSet noLoops;
  noLoops.numbers["maxLoopDepth"] = 0;
  noLoops.bindings["kernel"] = "k";
  StrategistReply reply =
      parseStrategistReply("```genomes\nunroll\nrestrict\n```", lib, &noLoops);
  ASSERT_EQ(reply.genomes.size(), 1u);
  EXPECT_EQ(reply.genomes[0].str(), "restrict");
  ASSERT_EQ(reply.rejectedGenomes.size(), 1u);
  EXPECT_THAT(reply.rejectedGenomes[0].reason,
              HasSubstr("does not apply to this kernel: needs maxLoopDepth"));
}

TEST(ResponseParserTest, BoundsWhatItReads) {
  StrategyLibrary lib = makeLibrary();
  ParseLimits limits;
  limits.maxGenomes = 1;
  limits.maxGenomeLength = 20;
  StrategistReply reply = parseStrategistReply(
      "```genomes\nrestrict\nldg\nunroll(factor=2,factor=2,factor=2)\n```", lib,
      nullptr, limits);
  ASSERT_EQ(reply.genomes.size(), 1u);
  ASSERT_EQ(reply.rejectedGenomes.size(), 2u);
  EXPECT_THAT(reply.rejectedGenomes[0].reason,
              HasSubstr("more than 1 genomes"));
  EXPECT_THAT(reply.rejectedGenomes[1].reason, HasSubstr("longer than 20"));

  limits = ParseLimits();
  limits.maxResponseBytes = 16;
  reply = parseStrategistReply("```genomes\nrestrict\nldg\n```", lib, nullptr,
                               limits);
  ASSERT_EQ(reply.notes.size(), 1u);
  EXPECT_THAT(reply.notes[0], HasSubstr("only the first 16 were read"));
}

TEST(ResponseParserTest, NewStrategiesGoThroughTheLibraryChecks) {
  StrategyLibrary lib = makeLibrary();
  StrategistReply reply = parseStrategistReply(
      "```yaml\nid: fresh\ntitle: F\nintent: I\nbottleneck: memory\n"
      "conflicts: [ldg]\nlowering:\n  - step: restrict\n---\n"
      "id: restrict\ntitle: Dup\nintent: I\nbottleneck: memory\n"
      "lowering:\n  - step: restrict\n---\n"
      "id: broken\ntitle: B\nintent: I\nbottleneck: memory\n"
      "requires: [nothing]\nlowering:\n  - step: restrict\n---\n"
      "{{{{\n```\n",
      lib, nullptr);
  ASSERT_EQ(reply.strategies.size(), 1u)
      << (reply.rejectedStrategies.empty()
              ? ""
              : reply.rejectedStrategies[0].reason);
  EXPECT_EQ(reply.strategies[0].id, "fresh");
  ASSERT_EQ(reply.rejectedStrategies.size(), 3u);
  EXPECT_THAT(reply.rejectedStrategies[0].reason, HasSubstr("exists already"));
  EXPECT_THAT(reply.rejectedStrategies[1].reason,
              HasSubstr("requires unknown strategy 'nothing'"));
  EXPECT_THAT(reply.rejectedStrategies[2].reason, HasSubstr("error"));
}

TEST(ResponseParserTest, ExtractsKernelCode) {
  auto code = extractKernelCode("Here:\n```cpp\nint helper();\n```\n"
                                "```cuda\n__global__ void axpy(float *x) {}\n"
                                "```\n",
                                "ns::axpy<float>");
  ASSERT_TRUE(static_cast<bool>(code)) << llvm::toString(code.takeError());
  EXPECT_EQ(*code, "__global__ void axpy(float *x) {}\n");

  auto wrongName = extractKernelCode(
      "```cuda\n__global__ void axpy2(float *x) {}\n```\n", "axpy");
  ASSERT_FALSE(static_cast<bool>(wrongName));
  EXPECT_THAT(llvm::toString(wrongName.takeError()),
              HasSubstr("does not define 'axpy'"));

  auto cut = extractKernelCode("```cuda\n__global__ void axpy() {\n", "axpy");
  ASSERT_FALSE(static_cast<bool>(cut));
  EXPECT_THAT(llvm::toString(cut.takeError()), HasSubstr("not closed"));

  auto none = extractKernelCode("__global__ void axpy() {}", "axpy");
  ASSERT_FALSE(static_cast<bool>(none));
  EXPECT_THAT(llvm::toString(none.takeError()), HasSubstr("no ```cuda block"));

  ParseLimits small;
  small.maxCodeBytes = 8;
  auto big = extractKernelCode("```cuda\n__global__ void axpy() {}\n```",
                               "axpy", small);
  ASSERT_FALSE(static_cast<bool>(big));
  EXPECT_THAT(llvm::toString(big.takeError()), HasSubstr("at most 8"));
}

TEST(LLMClientTest, RedactsKeysWholeAndInPart) {
  std::string key = "sk-proj-ABCDEFGHIJKLMNOP";
  EXPECT_EQ(redact("key " + key + " end", key), "key [REDACTED] end");
  std::string partial = redact("prefix sk-proj-ABC... suffix ...IJKLMNOP", key);
  EXPECT_THAT(partial, Not(HasSubstr("ABC")));
  EXPECT_THAT(partial, Not(HasSubstr("IJKLMNOP")));
  // Short fragments that happen to occur in the key stay.
  EXPECT_EQ(redact("sk-pro", key), "sk-pro");
  EXPECT_EQ(redact("see https://me:pw@host/v1 now", ""),
            "see https://[REDACTED]@host/v1 now");
  EXPECT_EQ(redact("nothing", ""), "nothing");
}

TEST(LLMClientTest, RequestBodiesAreDeterministic) {
  Config c;
  c.model = "m";
  c.maxTokens = 100;
  std::vector<Message> messages = {{"system", "S"}, {"user", "U"}};
  EXPECT_EQ(buildRequestBody(c, messages),
            "{\"max_tokens\":100,\"messages\":[{\"content\":\"S\",\"role\":"
            "\"system\"},{\"content\":\"U\",\"role\":\"user\"}],\"model\":"
            "\"m\"}");
  c.provider = Provider::Anthropic;
  EXPECT_EQ(buildRequestBody(c, messages),
            "{\"max_tokens\":100,\"messages\":[{\"content\":\"U\",\"role\":"
            "\"user\"}],\"model\":\"m\",\"system\":\"S\"}");
  c.url = "https://api.example.com/v1/";
  EXPECT_EQ(getEndpoint(c), "https://api.example.com/v1/messages");
  c.provider = Provider::OpenAI;
  c.url = "http://h/v1/chat/completions";
  EXPECT_EQ(getEndpoint(c), "http://h/v1/chat/completions");
}

TEST(LLMClientTest, ParsesChatResponses) {
  auto ok = parseChatResponse(Provider::OpenAI,
                              R"({"choices":[{"message":{"content":"hi"}}]})");
  ASSERT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, "hi");
  auto anthropic = parseChatResponse(
      Provider::Anthropic,
      R"({"content":[{"type":"text","text":"a"},{"type":"tool_use"},)"
      R"({"type":"text","text":"b"}]})");
  ASSERT_TRUE(static_cast<bool>(anthropic));
  EXPECT_EQ(*anthropic, "ab");
  for (const char *bad : {"", "[]", "{\"choices\":[]}", "{\"choices\":[1]}",
                          "{\"error\":{\"message\":\"quota\"}}", "{\"a\":"}) {
    auto r = parseChatResponse(Provider::OpenAI, bad);
    EXPECT_FALSE(static_cast<bool>(r)) << bad;
    llvm::consumeError(r.takeError());
  }
}

TEST(LLMClientTest, ResponseCacheRoundTrips) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cupilot-llm", dir));
  ResponseCache cache((dir + "/rec").str());
  auto miss = cache.lookup("{\"a\":1}");
  ASSERT_TRUE(static_cast<bool>(miss));
  EXPECT_FALSE(miss->has_value());
  ASSERT_FALSE(static_cast<bool>(cache.store("{\"a\":1}", "raw \"body\"")));
  auto hit = cache.lookup("{\"a\":1}");
  ASSERT_TRUE(static_cast<bool>(hit));
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(**hit, "raw \"body\"");
  EXPECT_EQ(ResponseCache::keyFor("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  llvm::sys::fs::remove_directories(dir);
}

TEST(LLMPromptsTest, RevisorPromptCarriesTheFailure) {
  RevisorInput in;
  in.kernel.name = "k";
  in.kernel.source = "__global__ void k() {}";
  in.code = "__global__ void k() { oops }";
  in.genome = "llm-rewrite";
  in.report = "error: identifier \"oops\" is undefined";
  std::string text = renderMessages(buildRevisorPrompt(in));
  EXPECT_THAT(text, HasSubstr("failed to compile with NVRTC"));
  EXPECT_THAT(text, HasSubstr("## The failed kernel\n```cuda\n__global__ void "
                              "k() { oops }\n```"));
  EXPECT_THAT(text, HasSubstr("## Compile log\n```text\nerror: identifier"));
  EXPECT_THAT(text, HasSubstr("genome: llm-rewrite"));
  in.kind = RepairKind::VerificationFailure;
  in.report = std::string(MaxReportBytes + 10, 'x');
  text = renderMessages(buildRevisorPrompt(in));
  EXPECT_THAT(text, HasSubstr("failed verification"));
  EXPECT_THAT(text, HasSubstr("## Verification report"));
  EXPECT_THAT(text, HasSubstr("[... 10 more bytes not shown]"));
}

TEST(LLMPromptsTest, StrategistPromptKeepsTheRecentHistory) {
  StrategyLibrary lib = makeLibrary();
  StrategistInput in;
  in.kernel.name = "k";
  in.kernel.features = loopKernel();
  in.library = &lib;
  in.roofline = {"memory", 42.25, 0.5};
  for (unsigned i = 0; i < MaxHistoryEntries + 2; ++i)
    in.history.push_back({"unroll(factor=" + std::to_string(i) + ")",
                          i % 2 ? "passed" : "compile-error",
                          i % 2 ? std::optional<double>(1.5) : std::nullopt,
                          "compile error\nlog"});
  std::string text = renderMessages(buildStrategistPrompt(in));
  EXPECT_THAT(text, HasSubstr("memory-bound, 42.2% of the ceiling, 0.5000 ms"));
  EXPECT_THAT(text, HasSubstr("## History (42 evaluated genomes, the last 40 "
                              "shown)"));
  EXPECT_THAT(text, Not(HasSubstr("unroll(factor=1):")));
  EXPECT_THAT(text, HasSubstr("unroll(factor=2): compile-error (compile "
                              "error)\n"));
  EXPECT_THAT(text, HasSubstr("unroll(factor=3): passed 1.500x\n"));
  EXPECT_THAT(text, HasSubstr("- unroll [latency] applies: U"));
  EXPECT_THAT(text, HasSubstr("- restrict [memory] applies: R\n  intent: "
                              "Restrict.\n  conflicts with: ldg"));
  EXPECT_EQ(text, renderMessages(buildStrategistPrompt(in)));
}
