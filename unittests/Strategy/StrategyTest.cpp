//===- StrategyTest.cpp - Strategies, genomes, lowering, operators --------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Strategy/Strategy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <set>

using namespace cupilot;
using ::testing::HasSubstr;

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

StrategyLibrary loadShipped() {
  auto lib = StrategyLibrary::load(CUPILOT_SOURCE_ROOT "/strategies");
  if (!lib) {
    ADD_FAILURE() << llvm::toString(lib.takeError());
    return *StrategyLibrary::create({});
  }
  return std::move(*lib);
}

/// An elementwise, memory-bound 1-D kernel with one loop-free body.
FeatureSet elementwiseKernel() {
  FeatureSet f;
  f.numbers["elementwise"] = 1;
  f.numbers["threadDims"] = 1;
  f.numbers["launchSites"] = 1;
  f.numbers["pointerParams"] = 2;
  f.numbers["readOnlyParams"] = 1;
  f.numbers["readOnlyNonConstParams"] = 0;
  f.numbers["maxLoopDepth"] = 0;
  f.numbers["block_threads"] = 256;
  f.bindings["kernel"] = "saxpy";
  f.bindings["block_threads"] = "256";
  f.rooflineClass = "memory";
  return f;
}

const char *MinimalStrategy = R"(id: s
title: T
intent: I
bottleneck: memory
lowering:
  - step: restrict
)";

} // namespace

TEST(StrategyTest, ShippedLibraryLoadsAndCoversSteps) {
  StrategyLibrary lib = loadShipped();
  ASSERT_GE(lib.strategies().size(), 10u);
  std::set<std::string> kinds;
  for (const Strategy &s : lib.strategies()) {
    EXPECT_FALSE(s.intent.empty()) << s.id;
    for (const LoweringStep &step : s.lowering)
      kinds.insert(step.kind);
  }
  // Every rewrite step that a strategy can drive mechanically is used.
  for (const StepSchema &schema : getStepSchemas())
    EXPECT_TRUE(kinds.count(schema.kind.str()))
        << "no strategy lowers to " << schema.kind.str();
}

TEST(StrategyTest, ParseErrorsHaveLineAndColumn) {
  auto bad = parseStrategy("id: s\ntitle: T\nintent: I\nbottleneck: io\n"
                           "lowering:\n  - step: restrict\n",
                           "s.yaml");
  ASSERT_FALSE(bad);
  EXPECT_THAT(errorText(bad.takeError()),
              HasSubstr("s.yaml:4:13: error: bottleneck 'io' is not memory, "
                        "compute or latency"));

  auto unknownStep = parseStrategy(
      "id: s\ntitle: T\nintent: I\nbottleneck: memory\nlowering:\n"
      "  - step: teleport\n",
      "s.yaml");
  ASSERT_FALSE(unknownStep);
  EXPECT_THAT(errorText(unknownStep.takeError()),
              HasSubstr("s.yaml:6:11: error: unknown rewrite step 'teleport'"));

  auto unknownField = parseStrategy(
      "id: s\ntitle: T\nintent: I\nbottleneck: memory\nlowering:\n"
      "  - step: unroll\n    loops: 3\n",
      "s.yaml");
  ASSERT_FALSE(unknownField);
  EXPECT_THAT(errorText(unknownField.takeError()),
              HasSubstr("rewrite step 'unroll' has no parameter 'loops'"));

  auto badDefault = parseStrategy(
      "id: s\ntitle: T\nintent: I\nbottleneck: memory\nparameters:\n"
      "  - name: f\n    values: [2, 4]\n    default: 3\n"
      "lowering:\n  - step: unroll\n    loop: 0\n    factor: ${f}\n",
      "s.yaml");
  ASSERT_FALSE(badDefault);
  EXPECT_THAT(errorText(badDefault.takeError()),
              HasSubstr("default '3' of parameter 'f' is not one of its "
                        "values"));

  auto missing = parseStrategy("id: s\ntitle: T\nbottleneck: memory\n"
                               "lowering:\n  - step: restrict\n",
                               "s.yaml");
  ASSERT_FALSE(missing);
  EXPECT_THAT(errorText(missing.takeError()), HasSubstr("needs 'intent'"));

  auto yaml = parseStrategy("id: [", "s.yaml");
  ASSERT_FALSE(yaml);
  EXPECT_THAT(errorText(yaml.takeError()), HasSubstr("invalid YAML"));
}

TEST(StrategyTest, LibraryChecksReferencesAndLowering) {
  auto a = parseStrategy(std::string(MinimalStrategy) + "requires: [ghost]\n",
                         "a.yaml");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  auto lib = StrategyLibrary::create({*a});
  ASSERT_FALSE(lib);
  EXPECT_THAT(errorText(lib.takeError()),
              HasSubstr("requires unknown strategy 'ghost'"));

  // A value outside the step's range is caught when the library loads.
  auto b = parseStrategy(
      "id: b\ntitle: T\nintent: I\nbottleneck: latency\nparameters:\n"
      "  - name: t\n    values: [256, 4096]\nlowering:\n"
      "  - step: launch-bounds\n    max-threads: ${t}\n",
      "b.yaml");
  ASSERT_TRUE(bool(b));
  auto lib2 = StrategyLibrary::create({*b});
  ASSERT_FALSE(lib2);
  EXPECT_THAT(errorText(lib2.takeError()),
              HasSubstr("value '4096' of parameter 't'"));

  auto c = parseStrategy(
      "id: c\ntitle: T\nintent: I\nbottleneck: latency\nlowering:\n"
      "  - step: unroll\n    loop: ${nowhere}\n",
      "c.yaml");
  ASSERT_TRUE(bool(c));
  auto lib3 = StrategyLibrary::create({*c});
  ASSERT_FALSE(lib3);
  EXPECT_THAT(errorText(lib3.takeError()),
              HasSubstr("'${nowhere}' in step 'unroll' is neither a "
                        "parameter nor one of the bindings"));
}

TEST(StrategyTest, Applicability) {
  StrategyLibrary lib = loadShipped();
  FeatureSet f = elementwiseKernel();
  std::string why;
  const Strategy *unroll = lib.find("unroll-inner");
  ASSERT_TRUE(unroll);
  EXPECT_FALSE(unroll->appliesTo(f, &why));
  EXPECT_EQ(why, "needs maxLoopDepth >= 1");

  const Strategy *coarsen = lib.find("coarsen");
  ASSERT_TRUE(coarsen);
  EXPECT_TRUE(coarsen->appliesTo(f));
  f.numbers["hasGridStrideLoop"] = 1;
  EXPECT_FALSE(coarsen->appliesTo(f, &why));
  EXPECT_EQ(why, "not for kernels with hasGridStrideLoop");

  // llm-rewrite needs a translation binding.
  const Strategy *llm = lib.find("llm-rewrite");
  ASSERT_TRUE(llm);
  EXPECT_FALSE(llm->appliesTo(f, &why));
  EXPECT_EQ(why, "needs 'translation'");
  f.bindings["translation"] = "__global__ void saxpy() {}";
  EXPECT_TRUE(llm->appliesTo(f));

  // Roofline class filters.
  const Strategy *ro = lib.find("read-only-loads");
  ASSERT_TRUE(ro);
  EXPECT_TRUE(ro->appliesTo(f));
  f.rooflineClass = "compute";
  EXPECT_FALSE(ro->appliesTo(f, &why));
  EXPECT_EQ(why, "not for compute-bound kernels");
}

// Found by fuzz-strategy-yaml: "original+" read as a genome with a gene
// named "original", which prints as the empty genome.
TEST(StrategyTest, GenomeTextRejectsWhatWouldNotReadBack) {
  auto error = [](llvm::StringRef text) {
    auto g = parseGenome(text);
    if (g)
      return std::string("accepted: ") + g->str();
    return llvm::toString(g.takeError());
  };
  EXPECT_EQ(error("original+"),
            "bad genome 'original+': 'original' is the genome without "
            "strategies; it cannot be combined with others");
  EXPECT_EQ(error("unroll-inner+"),
            "bad genome 'unroll-inner+': expected a strategy after '+'");
  EXPECT_EQ(error("a b+c"), "bad genome 'a b+c': strategy 'a b': names hold "
                            "letters, digits, '-' and '_'");
  EXPECT_EQ(error("block-size-1d(x=128"),
            "bad genome 'block-size-1d(x=128': missing ')'");
}

TEST(StrategyTest, GenomeTextRoundTrips) {
  auto g = parseGenome("block-size-1d(x=128)+launch-bounds(min_blocks=4)");
  ASSERT_TRUE(bool(g));
  ASSERT_EQ(g->genes.size(), 2u);
  EXPECT_EQ(g->genes[1].params[0].second, "4");
  EXPECT_EQ(g->str(), "block-size-1d(x=128)+launch-bounds(min_blocks=4)");
  auto o = parseGenome("original");
  ASSERT_TRUE(bool(o));
  EXPECT_TRUE(o->genes.empty());
  EXPECT_EQ(o->str(), "original");
  EXPECT_FALSE(bool(parseGenome("a(x=1")));
  llvm::consumeError(parseGenome("a(x=1").takeError());
  auto bad = parseGenome("a(x)");
  ASSERT_FALSE(bad);
  EXPECT_THAT(errorText(bad.takeError()), HasSubstr("name=value"));
}

TEST(StrategyTest, VerifyGenome) {
  StrategyLibrary lib = loadShipped();
  auto check = [&](const char *text) {
    auto g = parseGenome(text);
    EXPECT_TRUE(bool(g));
    return errorText(verifyGenome(*g, lib));
  };
  EXPECT_EQ(check("coarsen(factor=4)"), "");
  EXPECT_THAT(check("coarsen(factor=3)"),
              HasSubstr("'3' is not in the domain of coarsen.factor"));
  EXPECT_THAT(check("teleport"), HasSubstr("unknown strategy 'teleport'"));
  EXPECT_THAT(check("coarsen(factor=2)+vectorize(width=4)"),
              HasSubstr("conflicts with"));
  EXPECT_THAT(check("coarsen(speed=2)"), HasSubstr("no parameter 'speed'"));
}

TEST(StrategyTest, LoweringBindsParametersAndKernel) {
  StrategyLibrary lib = loadShipped();
  FeatureSet f = elementwiseKernel();
  auto g = parseGenome("launch-bounds(min_blocks=4)+restrict-pointers");
  ASSERT_TRUE(bool(g));
  auto plan = lowerGenome(*g, lib, f);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].kind, "launch-bounds");
  EXPECT_EQ(plan->steps[0].kernel, "saxpy");
  EXPECT_EQ(plan->steps[0].getInt("max-threads", 0), 256);
  EXPECT_EQ(plan->steps[0].getInt("min-blocks", 0), 4);
  EXPECT_EQ(plan->steps[1].kind, "restrict");
  // Lowering is deterministic and its plan text round-trips.
  auto again = lowerGenome(*g, lib, f);
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(writePlan(*plan), writePlan(*again));

  auto flags = lowerGenome(*parseGenome("max-registers(registers=48)"), lib, f);
  ASSERT_TRUE(bool(flags)) << llvm::toString(flags.takeError());
  EXPECT_EQ(flags->steps[0].getStrings("flags"),
            std::vector<std::string>{"-maxrregcount=48"});

  // A binding the kernel lacks is an error, not a silent default.
  FeatureSet noLoops = f;
  auto unroll = lowerGenome(*parseGenome("unroll-inner(factor=4)"), lib, noLoops);
  ASSERT_FALSE(unroll);
  EXPECT_THAT(errorText(unroll.takeError()),
              HasSubstr("no value for '${innermost_loop}'"));
}

TEST(StrategyTest, RngIsDeterministic) {
  Rng a(42), b(42), c(43);
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 8; ++i) {
    va.push_back(a.next());
    vb.push_back(b.next());
    vc.push_back(c.next());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  // SplitMix64 reference value for seed 0.
  Rng zero(0);
  EXPECT_EQ(zero.next(), 0xe220a8397b1dcdafULL);
}

TEST(StrategyTest, OperatorsAreReproducibleAndValid) {
  StrategyLibrary lib = loadShipped();
  FeatureSet f = elementwiseKernel();
  auto applicable = applicableStrategies(lib, f);
  ASSERT_GE(applicable.size(), 4u);
  Steering steering{"memory", 3.0};

  auto run = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<std::string> out;
    Genome a = randomGenome(applicable, lib, steering, rng);
    Genome b = randomGenome(applicable, lib, steering, rng);
    out.push_back(a.str());
    out.push_back(b.str());
    for (int i = 0; i < 50; ++i) {
      Genome child = crossover(a, b, lib, applicable, rng);
      child = mutate(child, lib, applicable, steering, rng);
      EXPECT_EQ(errorText(verifyGenome(child, lib)), "") << child.str();
      auto plan = lowerGenome(child, lib, f);
      EXPECT_TRUE(bool(plan)) << child.str();
      if (!plan)
        llvm::consumeError(plan.takeError());
      out.push_back(child.str());
      a = b;
      b = child;
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(StrategyTest, CrossoverInheritsSharedGenesAndResolvesConflicts) {
  StrategyLibrary lib = loadShipped();
  FeatureSet f = elementwiseKernel();
  auto applicable = applicableStrategies(lib, f);
  Genome a = *parseGenome("coarsen(factor=2)+restrict-pointers");
  Genome b = *parseGenome("restrict-pointers+vectorize(width=4)");
  for (uint64_t seed = 0; seed < 64; ++seed) {
    Rng rng(seed);
    Genome child = crossover(a, b, lib, applicable, rng);
    bool hasRestrict = false, hasCoarsen = false, hasVectorize = false;
    for (const Gene &g : child.genes) {
      hasRestrict |= g.strategy == "restrict-pointers";
      hasCoarsen |= g.strategy == "coarsen";
      hasVectorize |= g.strategy == "vectorize";
    }
    EXPECT_TRUE(hasRestrict) << child.str();
    EXPECT_FALSE(hasCoarsen && hasVectorize) << child.str();
  }
}

TEST(StrategyTest, SteeringPrefersTheBottleneck) {
  StrategyLibrary lib = loadShipped();
  FeatureSet f = elementwiseKernel();
  auto applicable = applicableStrategies(lib, f);
  auto countMemory = [&](const std::string &cls) {
    Rng rng(1);
    Steering steering{cls, 5.0};
    int memory = 0;
    for (int i = 0; i < 400; ++i) {
      Genome g = randomGenome(applicable, lib, steering, rng, 1);
      if (!g.genes.empty() &&
          lib.find(g.genes[0].strategy)->bottleneck == Bottleneck::Memory)
        ++memory;
    }
    return memory;
  };
  EXPECT_GT(countMemory("memory"), countMemory("latency") + 50);
}
