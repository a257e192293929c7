//===- TaskYamlFuzzer.cpp - Fuzz target of the task reader and writer -----===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is the text of a task file. Checks (docs/TaskSchema.md):
// - a rejected task is rejected with an InputError that names the file;
// - an accepted task also passes validateTask;
// - writeTask's output parses back, and writing that task again gives the
//   same text (the written form is canonical and round-trips).
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Strategy/TaskIO.h"

using namespace cupilot;
using namespace cupilot::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  auto task = parseTask(text, "fuzz.task.yaml");
  if (!task) {
    std::string message =
        expectError(task.takeError(), ExitCode::InputError, "parseTask");
    check(llvm::StringRef(message).starts_with("fuzz.task.yaml"),
          "a diagnostic does not start with the file name: " + message);
    return 0;
  }

  if (llvm::Error err = validateTask(*task))
    fail("parseTask accepted a task that validateTask rejects: " +
         llvm::toString(std::move(err)) + "\n--- input:\n" + text);

  std::string written = writeTask(*task);
  auto reread = parseTask(written, "written.task.yaml");
  if (!reread)
    fail("writeTask's output does not parse: " +
         llvm::toString(reread.takeError()) + "\n--- input:\n" + text +
         "\n--- written:\n" + written);
  std::string rewritten = writeTask(*reread);
  check(written == rewritten,
        "writing the re-read task gives different text\n--- written:\n" +
            written + "\n--- rewritten:\n" + rewritten);
  return 0;
}
