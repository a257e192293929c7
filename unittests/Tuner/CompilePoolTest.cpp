//===- CompilePoolTest.cpp - Compiling variants on compile-only workers ---===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The real cupilot-worker compiles with NVRTC without a GPU: a batch of
// variants goes through a pool of compile-only workers into a shared cache,
// failures come back per variant with their logs, and a second pass (as the
// GPU worker's evaluation would) finds every cubin and every compile error
// in the cache. Fake workers (shell scripts) crash to show that a crash
// loses no job.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/CompilePool.h"
#include "cupilot/Config.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <chrono>
#include <cstdio>
#include <set>

using namespace cupilot;
using ::testing::HasSubstr;
using Status = CompileOutcome::Status;
using namespace std::chrono_literals;

namespace {

bool haveNvrtc() {
  std::error_code ec;
  for (const char *lib : {"/lib64", "/lib"}) {
    std::string dir = std::string(CUPILOT_DEFAULT_CUDA_PATH) + lib;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec))
      if (llvm::sys::path::filename(it->path()).starts_with("libnvrtc.so"))
        return true;
  }
  return false;
}

/// Variant `i` scales by i + 1; variants 2 and 5 use an undefined name of
/// their own, so each failure's log is told apart.
protocol::CompileRequest variant(unsigned i) {
  protocol::CompileRequest r;
  r.arch = "sm_90";
  r.program.name = "candidate.cu";
  std::string value = (i == 2 || i == 5)
                          ? "undefined_in_variant_" + std::to_string(i)
                          : std::to_string(i + 1) + ".0f";
  r.program.source = "__global__ void scale(int n, float *y) {\n"
                     "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
                     "  if (i < n) y[i] *= " +
                     value + ";\n}\n";
  r.program.options = {"--std=c++17"};
  r.kernels = {"scale"};
  return r;
}

class CompilePoolTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cupilot-pool", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  WorkerOptions realWorker(const std::string &cache) {
    WorkerOptions o;
    o.executable = CUPILOT_TEST_WORKER;
    o.cudaPath = CUPILOT_DEFAULT_CUDA_PATH;
    o.cacheDir = cache;
    return o;
  }

  std::vector<CompileOutcome> compileBatch(const WorkerOptions &worker,
                                           unsigned jobs, unsigned count) {
    CompilePool pool(worker, jobs, 120s);
    EXPECT_EQ(pool.getJobs(), jobs);
    std::vector<size_t> tickets;
    for (unsigned i = 0; i < count; ++i)
      tickets.push_back(pool.submit(variant(i)));
    std::vector<CompileOutcome> out;
    for (size_t t : tickets)
      out.push_back(pool.wait(t));
    return out;
  }

  unsigned countFiles(const std::string &cache, llvm::StringRef ext) {
    unsigned n = 0;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(cache, ec), end; !ec && it != end;
         it.increment(ec))
      n += llvm::sys::path::extension(it->path()) == ext;
    return n;
  }

  llvm::SmallString<128> dir;
};

} // namespace

TEST_F(CompilePoolTest, CompilesABatchAndReportsFailuresPerVariant) {
  if (!haveNvrtc())
    GTEST_SKIP() << "no NVRTC in " << CUPILOT_DEFAULT_CUDA_PATH;
  std::string cache = (dir + "/cubins").str();
  std::vector<CompileOutcome> first = compileBatch(realWorker(cache), 4, 8);
  ASSERT_EQ(first.size(), 8u);
  std::set<std::string> hashes;
  for (unsigned i = 0; i < 8; ++i) {
    SCOPED_TRACE("variant " + std::to_string(i));
    const CompileOutcome &o = first[i];
    if (i == 2 || i == 5) {
      ASSERT_EQ(o.status, Status::CompileError) << o.message;
      EXPECT_THAT(o.message, HasSubstr("NVRTC could not compile "
                                       "'candidate.cu' for sm_90"));
      EXPECT_THAT(o.log, HasSubstr("identifier \"undefined_in_variant_" +
                                   std::to_string(i) + "\" is undefined"));
      EXPECT_THAT(o.log, ::testing::Not(HasSubstr("undefined_in_variant_" +
                                                  std::to_string(7 - i))));
      continue;
    }
    ASSERT_EQ(o.status, Status::Compiled) << o.message << "\n" << o.log;
    EXPECT_FALSE(o.cacheHit);
    EXPECT_EQ(o.hash.size(), 64u);
    EXPECT_TRUE(hashes.insert(o.hash).second);
    EXPECT_TRUE(llvm::sys::fs::exists(cache + "/" + o.hash + ".cubin"));
  }
  EXPECT_EQ(countFiles(cache, ".cubin"), 6u);
  EXPECT_EQ(countFiles(cache, ".failed"), 2u);

  // What the GPU worker's evaluation meets afterwards: every cubin cached,
  // every failure answered from the cache with the same message and log.
  std::vector<CompileOutcome> second = compileBatch(realWorker(cache), 2, 8);
  for (unsigned i = 0; i < 8; ++i) {
    SCOPED_TRACE("variant " + std::to_string(i));
    EXPECT_EQ(second[i].status, first[i].status);
    EXPECT_EQ(second[i].message, first[i].message);
    EXPECT_EQ(second[i].log, first[i].log);
    if (first[i].status == Status::Compiled) {
      EXPECT_TRUE(second[i].cacheHit);
      EXPECT_EQ(second[i].hash, first[i].hash);
    }
  }

  // A failure cached under another program name is not this program's:
  // NVRTC's log names the file.
  protocol::CompileRequest renamed = variant(2);
  renamed.program.name = "other.cu";
  CompilePool pool(realWorker(cache), 1, 120s);
  CompileOutcome other = pool.wait(pool.submit(renamed));
  ASSERT_EQ(other.status, Status::CompileError);
  EXPECT_THAT(other.message, HasSubstr("'other.cu'"));
  EXPECT_THAT(other.log, HasSubstr("other.cu("));
}

TEST_F(CompilePoolTest, AWorkerCrashLosesNoJob) {
  // Greets, dies on a program whose source holds a line CRASH, answers
  // everything else with an ok reply.
  WorkerOptions crashing;
  crashing.executable = "/bin/sh";
  crashing.extraArgs = {
      "-c",
      "printf 'begin hello 0\\nworker version=fake protocol=2 pid=1\\nend\\n'; "
      "while read -r line; do case \"$line\" in "
      "CRASH) exit 3;; "
      "begin*) set -- $line; id=$3;; "
      "end) printf 'begin reply %s\\nstatus value=ok\\nend\\n' \"$id\";; "
      "esac; done"};
  crashing.startTimeout = 5s;
  CompilePool pool(crashing, 2, 10s);
  std::vector<size_t> tickets;
  for (unsigned i = 0; i < 6; ++i) {
    protocol::CompileRequest r = variant(0);
    r.program.source = i == 1 ? "CRASH\n" : "// variant\n";
    tickets.push_back(pool.submit(r));
  }
  for (unsigned i = 0; i < 6; ++i) {
    SCOPED_TRACE("job " + std::to_string(i));
    CompileOutcome o = pool.wait(tickets[i]);
    if (i == 1) {
      EXPECT_EQ(o.status, Status::WorkerFailure);
      EXPECT_THAT(o.message, HasSubstr("died"));
      // Tried twice, restarted after each crash.
      EXPECT_EQ(o.restarts, 2u);
    } else {
      EXPECT_EQ(o.status, Status::Compiled) << o.message;
    }
  }
  // A ticket that was never handed out.
  EXPECT_EQ(pool.wait(99).status, Status::WorkerFailure);
}

TEST_F(CompilePoolTest, ReportsWorkersThatCannotStart) {
  WorkerOptions missing;
  missing.executable = (dir + "/no-such-worker").str();
  CompilePool pool(missing, 1, 10s);
  CompileOutcome o = pool.wait(pool.submit(variant(0)));
  EXPECT_EQ(o.status, Status::WorkerFailure);
  EXPECT_THAT(o.message, HasSubstr("cannot start"));
}

// Wall-clock of compiling a batch on 1, 2 and 4 compile workers, each on a
// fresh cache (run with --gtest_also_run_disabled_tests; prints, asserts
// only that everything compiled).
TEST_F(CompilePoolTest, DISABLED_MeasureBatch) {
  if (!haveNvrtc())
    GTEST_SKIP() << "no NVRTC";
  for (unsigned jobs : {1u, 2u, 4u}) {
    std::string cache = (dir + "/measure-" + std::to_string(jobs)).str();
    auto start = std::chrono::steady_clock::now();
    std::vector<CompileOutcome> out = compileBatch(realWorker(cache), jobs, 8);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double nvrtc = 0;
    for (const CompileOutcome &o : out) {
      EXPECT_NE(o.status, Status::WorkerFailure) << o.message;
      nvrtc += o.milliseconds;
    }
    std::printf("jobs=%u: 8 variants in %.2f s wall (NVRTC %.2f s of "
                "successful compiles)\n",
                jobs, seconds, nvrtc / 1000);
  }
}
