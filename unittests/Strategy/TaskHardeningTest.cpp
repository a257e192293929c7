//===- TaskHardeningTest.cpp - Task reading under hostile input -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Regression tests of what fuzzing (fuzz/, docs/Hardening.md) found in the
// task reader, and of its resource limits: each hostile input must give a
// clear error quickly instead of a hang or an out-of-memory kill.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/TaskIO.h"

#include "cupilot/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

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

std::string parseError(llvm::StringRef yaml) {
  auto task = parseTask(yaml, "t.yaml");
  if (task) {
    ADD_FAILURE() << "parsed but should not:\n" << yaml.str();
    return "";
  }
  return messageOf(task.takeError());
}

// Found by fuzz-task-yaml: yaml-cpp 0.7's LoadAll loops forever, allocating,
// on a ',' outside a flow collection (jbeder/yaml-cpp#1040).
TEST(TaskHardeningTest, StrayCommaIsAnErrorNotAHang) {
  EXPECT_EQ(parseError(","), "t.yaml:1:1: error: invalid YAML: unexpected ','");
  EXPECT_EQ(parseError("--- ,"),
            "t.yaml:1:5: error: invalid YAML: unexpected ','");
  EXPECT_EQ(parseError(llvm::StringRef(",\0\0l\0\t`op[]\x8al`\n", 15)),
            "t.yaml:1:1: error: invalid YAML: unexpected ','");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "--- ,\n"),
            "t.yaml:4:5: error: a task file holds one YAML document; remove "
            "the second one (and its '---')");
  // A real second document is still reported as such.
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "---\n"
                       "kernel: k2\n"
                       "---\n"
                       ",\n"),
            "t.yaml:5:1: error: a task file holds one YAML document; remove "
            "the second one (and its '---')");
}

// Aliases repeat the node they refer to without repeating its text, so a
// small file could stand for gigabytes of expressions ("billion laughs").
TEST(TaskHardeningTest, AliasesCannotMultiplyTheTask) {
  std::string expr = "1";
  while (expr.size() < 60000)
    expr += "+1";
  std::string yaml = "sizes: {n: &e \"" + expr +
                     "\"}\n"
                     "arguments:\n"
                     "  - &arg {name: a, dtype: f32, count: *e, role: in}\n"
                     "launches:\n"
                     "  - &launch {kernel: k, grid: 1, block: 1, args: &args [";
  for (int i = 0; i < 1024; ++i)
    yaml += i ? ", *e" : "*e";
  yaml += "]}\n";
  for (int i = 0; i < 1000; ++i)
    yaml += "  - *launch\n";
  ASSERT_LT(yaml.size(), size_t(100000));
  EXPECT_THAT(parseError(yaml),
              HasSubstr("error: through aliases, the task reads more than "
                        "4194304 bytes of text"));

  // Aliases that stay within the limit are fine.
  auto task = parseTask("kernel: k\n"
                        "sizes: {n: &n 8}\n"
                        "arguments:\n"
                        "  - {name: x, dtype: f32, count: *n, role: in}\n"
                        "  - {name: y, dtype: f32, count: *n, role: out}\n"
                        "launch: {grid: *n, block: *n}\n",
                        "t.yaml");
  ASSERT_TRUE(static_cast<bool>(task)) << llvm::toString(task.takeError());
  EXPECT_EQ(task->arguments[1].count, "8");
}

class TaskFileLimitsTest : public ::testing::Test {};

// A device or a pipe has no size to check beforehand; reading must still
// stop at the limit instead of reading forever.
TEST_F(TaskFileLimitsTest, EndlessFileIsCutAtTheLimit) {
  if (!llvm::sys::fs::exists("/dev/zero"))
    GTEST_SKIP() << "no /dev/zero";
  auto task = readTaskFile("/dev/zero");
  ASSERT_FALSE(static_cast<bool>(task));
  EXPECT_EQ(messageOf(task.takeError()),
            "/dev/zero: error: the task is more than 4194304 bytes; task "
            "files are limited to 4194304 bytes");
}

TEST_F(TaskFileLimitsTest, DirectoryIsAnError) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cupilot-task", dir));
  auto task = readTaskFile(dir);
  ASSERT_FALSE(static_cast<bool>(task));
  EXPECT_THAT(messageOf(task.takeError()), HasSubstr(": error: cannot read: "));
  llvm::sys::fs::remove(dir);
}

#ifdef CUPILOT_SOURCE_ROOT
// The seed corpus of fuzz-task-yaml starts the fuzzer from valid tasks; keep
// it valid as the schema evolves.
TEST(TaskHardeningTest, FuzzSeedTasksAreValid) {
  llvm::SmallString<128> dir(CUPILOT_SOURCE_ROOT);
  llvm::sys::path::append(dir, "fuzz", "corpus", "fuzz-task-yaml");
  std::error_code ec;
  unsigned valid = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with("valid-"))
      continue;
    auto task = readTaskFile(it->path());
    EXPECT_TRUE(static_cast<bool>(task))
        << name.str() << ": " << llvm::toString(task.takeError());
    if (!task)
      continue;
    ++valid;
    auto reread = parseTask(writeTask(*task), "written.yaml");
    EXPECT_TRUE(static_cast<bool>(reread))
        << name.str() << ": " << llvm::toString(reread.takeError());
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GE(valid, 5u);
}
#endif

} // namespace
