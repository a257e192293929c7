//===- PlanYamlFuzzer.cpp - Fuzz target of the plan reader and writer -----===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is the text of a rewrite plan. Checks (docs/PlanSchema.md):
// - a rejected plan is rejected with an InputError that names the file;
// - an accepted plan has a name and only steps of known kinds;
// - writePlan's output parses back, and writing that plan again gives the
//   same text (the written form is canonical and round-trips).
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Strategy/PlanIO.h"

using namespace cupilot;
using namespace cupilot::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  auto plan = parsePlan(text, "fuzz.plan.yaml");
  if (!plan) {
    std::string message =
        expectError(plan.takeError(), ExitCode::InputError, "parsePlan");
    check(llvm::StringRef(message).starts_with("fuzz.plan.yaml"),
          "a diagnostic does not start with the file name: " + message);
    return 0;
  }
  check(!plan->name.empty(), "parsePlan accepted a plan without a name");
  for (const RewriteStep &step : plan->steps)
    check(findStepSchema(step.kind) != nullptr,
          "parsePlan accepted an unknown step kind '" + step.kind + "'");

  std::string written = writePlan(*plan);
  auto reread = parsePlan(written, "written.plan.yaml");
  if (!reread)
    fail("writePlan's output does not parse: " +
         llvm::toString(reread.takeError()) + "\n--- input:\n" + text +
         "\n--- written:\n" + written);
  std::string rewritten = writePlan(*reread);
  check(written == rewritten,
        "writing the re-read plan gives different text\n--- written:\n" +
            written + "\n--- rewritten:\n" + rewritten);
  return 0;
}
