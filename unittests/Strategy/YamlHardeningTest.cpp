//===- YamlHardeningTest.cpp - Plan and strategy reading under hostile input
//==//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The plan and strategy readers share the task reader's guarded loading
// (lib/Strategy/YamlDocument.h). Each hostile input must give a clear
// InputError with a position quickly, never a hang, a crash or an
// out-of-memory kill.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Strategy/Strategy.h"

#include "cupilot/Support/Error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>

using namespace cupilot;
using ::testing::HasSubstr;

namespace {

std::string messageOf(llvm::Error err) {
  std::string message;
  llvm::handleAllErrors(
      std::move(err),
      [&](const CupilotError &e) {
        EXPECT_EQ(e.getExitCode(), ExitCode::InputError) << e.getMessage();
        message = e.getMessage();
      },
      [&](const llvm::ErrorInfoBase &e) {
        ADD_FAILURE() << "not a CupilotError: " << e.message();
        message = e.message();
      });
  return message;
}

std::string planError(llvm::StringRef yaml) {
  auto plan = parsePlan(yaml, "p.yaml");
  if (plan) {
    ADD_FAILURE() << "parsed but should not:\n" << yaml.str();
    return "";
  }
  return messageOf(plan.takeError());
}

std::string strategyError(llvm::StringRef yaml) {
  auto strategy = parseStrategy(yaml, "s.yaml");
  if (strategy) {
    ADD_FAILURE() << "parsed but should not:\n" << yaml.str();
    return "";
  }
  return messageOf(strategy.takeError());
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on a ',' outside a flow
// collection (jbeder/yaml-cpp#1040); parsePlan used it until the readers
// shared one guarded loader (fuzz/regressions/fuzz-plan-yaml).
TEST(YamlHardeningTest, StrayCommaIsAnErrorNotAHang) {
  EXPECT_EQ(planError(","), "p.yaml:1:1: error: invalid YAML: unexpected ','");
  EXPECT_EQ(planError("--- ,"),
            "p.yaml:1:5: error: invalid YAML: unexpected ','");
  EXPECT_EQ(strategyError(","),
            "s.yaml:1:1: error: invalid YAML: unexpected ','");
}

TEST(YamlHardeningTest, OneDocumentPerFile) {
  EXPECT_EQ(planError("plan: p\nsteps: []\n---\nplan: q\n"),
            "p.yaml:4:1: error: a plan file holds one YAML document; remove "
            "the second one (and its '---')");
  EXPECT_EQ(strategyError("id: a\n---\nid: b\n"),
            "s.yaml:3:1: error: a strategy file holds one YAML document; "
            "remove the second one (and its '---')");
  EXPECT_EQ(planError(""), "p.yaml: error: the plan file is empty; a plan "
                           "needs 'plan' and 'steps'");
  EXPECT_THAT(strategyError("# nothing\n"),
              HasSubstr("s.yaml: error: the strategy file is empty"));
}

// An alias inside its own anchor makes yaml-cpp build a cyclic tree; a reader
// walking it would never finish.
TEST(YamlHardeningTest, CyclicAliasIsRejected) {
  EXPECT_EQ(planError("a: &a [*a]\n"),
            "p.yaml:1:8: error: this alias refers to a node that contains it, "
            "which would repeat the plan without end");
  EXPECT_THAT(strategyError("id: x\nparameters: &p [1, {k: *p}]\n"),
              HasSubstr("s.yaml:2:24: error: this alias refers to a node that "
                        "contains it"));
  // Many aliases in the cycle: each step of the walk would queue all of
  // them again, so the walk must stop by what it queued, not by what it
  // visited (found in review: ~4e9 queued nodes for this 4 KB file).
  std::string wide = "a: &a [*a";
  for (int i = 0; i < 1000; ++i)
    wide += ", *a";
  wide += "]\n";
  EXPECT_THAT(planError(wide),
              HasSubstr("error: this alias refers to a node that contains it"));
  // The same width without a cycle, nested three deep, stands for 10^9
  // nodes: measured from the events, never built.
  std::string laughs = "a: &a [x";
  for (int i = 0; i < 999; ++i)
    laughs += ", x";
  laughs += "]\nb: &b [*a";
  for (int i = 0; i < 999; ++i)
    laughs += ", *a";
  laughs += "]\nc: [*b";
  for (int i = 0; i < 999; ++i)
    laughs += ", *b";
  laughs += "]\n";
  EXPECT_THAT(planError(laughs),
              HasSubstr("error: through aliases, the plan reads more than "
                        "4194304 bytes of text"));
}

// "Billion laughs": a small file that stands for far more text than a file
// may hold.
TEST(YamlHardeningTest, AliasAmplificationIsBounded) {
  std::string yaml = "plan: p\nsteps:\n  - &s {step: replace-kernel, "
                     "kernel: k, code: &c \"" +
                     std::string(1000, 'x') + "\"}\n";
  for (int i = 0; i < 5000; ++i)
    yaml += "  - *s\n";
  ASSERT_LT(yaml.size(), size_t(64 * 1024));
  EXPECT_THAT(planError(yaml),
              HasSubstr("error: through aliases, the plan reads more than "
                        "4194304 bytes of text"));

  // A few aliases within the limit are fine.
  auto plan = parsePlan("plan: p\n"
                        "steps:\n"
                        "  - {step: unroll, kernel: &k k, loop: 0, factor: 4}\n"
                        "  - {step: launch-bounds, kernel: *k, max-threads: "
                        "256}\n",
                        "p.yaml");
  ASSERT_TRUE(static_cast<bool>(plan)) << llvm::toString(plan.takeError());
  EXPECT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[1].kernel, "k");
}

TEST(YamlHardeningTest, DeepNestingIsReported) {
  std::string deep(5000, '[');
  EXPECT_THAT(planError(deep), HasSubstr("error: the YAML nests too deeply; "
                                         "a plan nests at most 4 levels"));
  EXPECT_THAT(strategyError(deep), HasSubstr("nests too deeply"));
}

// Found by fuzz-plan-yaml: writePlan wrote every multi-line string as a
// literal block (`|`), which reads back with exactly one final newline and
// takes its indentation from the first line, so code without a final
// newline, with several, or starting with a space changed through a round
// trip (fuzz/regressions/fuzz-plan-yaml/roundtrip-*).
TEST(YamlHardeningTest, CodeSurvivesWritingAndReading) {
  for (const char *code :
       {"__global__ void k() {}\n", "__global__ void k() {}", "x\n}\x0f",
        "  indented\n", "a\n\n", "a \nb\n", "\n\nlate\n", "tab\tin\n\tside\n",
        "quote \" and \\ backslash\n", "loa\r", " lead", "trail ",
        "bell\x07"}) {
    RewritePlan plan;
    plan.name = "p";
    RewriteStep step;
    step.kind = "replace-kernel";
    step.kernel = "k";
    ParamValue value;
    value.name = "code";
    value.type = ParamType::String;
    value.stringValue = code;
    step.params.push_back(value);
    plan.steps.push_back(step);
    std::string written = writePlan(plan);
    auto reread = parsePlan(written, "w.yaml");
    ASSERT_TRUE(static_cast<bool>(reread))
        << llvm::toString(reread.takeError()) << "\n"
        << written;
    ASSERT_EQ(reread->steps.size(), 1u);
    ASSERT_EQ(reread->steps[0].params.size(), 1u);
    EXPECT_EQ(reread->steps[0].params[0].stringValue, code) << written;
  }
}

} // namespace
