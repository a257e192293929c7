//===- StrategyYamlFuzzer.cpp - Fuzz target of the strategy reader --------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is the text of a strategy file, as a person or an LLM writes it.
// Checks (docs/StrategySchema.md):
// - a rejected strategy is rejected with an InputError naming the file;
// - an accepted strategy has an id, an intent and a lowering, and a library
//   of it alone either builds or is rejected as bad input;
// - in a library that builds, the strategy's default gene verifies, its
//   predicates evaluate on an empty feature set without crashing, and
//   lowering it gives a plan or a CupilotError, never a crash.
// The same text is also read as a genome (the other thing an LLM writes):
// an accepted genome prints canonically and reads back equal.
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Strategy/Strategy.h"

using namespace cupilot;
using namespace cupilot::fuzz;

static void checkGenomeText(llvm::StringRef text) {
  auto genome = parseGenome(text);
  if (!genome) {
    llvm::consumeError(genome.takeError());
    return;
  }
  std::string printed = genome->str();
  auto reread = parseGenome(printed);
  if (!reread)
    fail("a printed genome does not parse: " + printed + ": " +
         llvm::toString(reread.takeError()));
  check(*reread == *genome, "a genome changes through printing: " + printed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  checkGenomeText(text);

  auto strategy = parseStrategy(text, "fuzz.yaml");
  if (!strategy) {
    std::string message = expectError(strategy.takeError(),
                                      ExitCode::InputError, "parseStrategy");
    check(llvm::StringRef(message).starts_with("fuzz.yaml"),
          "a diagnostic does not start with the file name: " + message);
    return 0;
  }
  check(!strategy->id.empty() && !strategy->intent.empty() &&
            !strategy->lowering.empty(),
        "parseStrategy accepted a strategy without id, intent or lowering");

  auto library = StrategyLibrary::create({*strategy});
  if (!library) {
    expectError(library.takeError(), ExitCode::InputError,
                "StrategyLibrary::create");
    return 0;
  }
  const Strategy &only = library->strategies().front();
  FeatureSet features;
  std::string whyNot;
  (void)only.appliesTo(features, &whyNot);

  Genome genome;
  genome.genes.push_back(defaultGene(only));
  if (llvm::Error err = verifyGenome(genome, *library)) {
    // A default gene that fails its own domain check would make the
    // strategy unusable; the library must have refused it.
    fail("the default gene of an accepted strategy does not verify: " +
         llvm::toString(std::move(err)));
  }
  features.bindings["kernel"] = "k";
  features.bindings["innermost_loop"] = "0";
  features.bindings["outermost_loop"] = "0";
  features.bindings["block_threads"] = "256";
  auto plan = lowerGenome(genome, *library, features);
  if (!plan)
    llvm::handleAllErrors(
        plan.takeError(), [](const CupilotError &) {},
        [](const llvm::ErrorInfoBase &e) {
          fail("lowerGenome: not a CupilotError: " + e.message());
        });
  return 0;
}
