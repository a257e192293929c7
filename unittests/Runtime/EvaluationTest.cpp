//===- EvaluationTest.cpp - Tests of task-to-request lowering -------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Evaluation.h"
#include "cupilot/Strategy/TaskIO.h"
#include "cupilot/Support/Error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace cupilot;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

Task parseOrFail(llvm::StringRef yaml) {
  auto task = parseTask(yaml, "t.yaml");
  if (!task) {
    ADD_FAILURE() << llvm::toString(task.takeError());
    return Task();
  }
  return std::move(*task);
}

const char *const SaxpyYaml = R"yaml(kernel: saxpy
sizes:
  n: 1000
  half: n / 2
arguments:
  - {name: n, kind: scalar, dtype: i32, value: n}
  - {name: a, kind: scalar, dtype: f32, value: "half / 4"}
  - {name: x, dtype: f32, count: n, role: in, init: {distribution: uniform, min: -2, max: 2}}
  - {name: y, dtype: bf16, count: half, role: inout, init: {distribution: normal, mean: 1, stddev: 0.5}, tolerance: {atol: 0.5, rtol: 0}}
  - {name: out, dtype: u8, count: 3, role: out, init: {distribution: constant, value: 7}}
launch:
  grid: "ceil_div(n, block.x)"
  block: [128, 2]
  shared_bytes: block.x * 4
tolerance: {atol: 1e-6, rtol: 1e-4}
verify_shapes:
  - {n: 10}
seed: 5
)yaml";

TEST(EvaluationTest, EvaluatesTheMainShape) {
  Task task = parseOrFail(SaxpyYaml);
  EvaluateOptions options;
  options.candidateOptions = {"-O3"};
  auto request = buildEvaluateRequest(task, 0, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  EXPECT_EQ(request->label, "main");
  EXPECT_EQ(request->reference.source, "ref");
  EXPECT_EQ(request->candidate.options, std::vector<std::string>{"-O3"});
  ASSERT_EQ(request->scalars.size(), 2u);
  EXPECT_EQ(request->scalars[0].value, "1000");
  EXPECT_EQ(request->scalars[1].type, protocol::ElementType::F32);
  EXPECT_EQ(request->scalars[1].value, "125");
  ASSERT_EQ(request->buffers.size(), 3u);
  const protocol::BufferSpec &y = request->buffers[1];
  EXPECT_EQ(y.type, protocol::ElementType::BF16);
  EXPECT_EQ(y.count, 500u);
  EXPECT_EQ(y.role, protocol::Role::InOut);
  EXPECT_EQ(y.init.dist, protocol::Distribution::Normal);
  EXPECT_EQ(y.init.p0, 1.0);
  EXPECT_EQ(y.init.p1, 0.5);
  EXPECT_EQ(y.tolerance.atol, 0.5);                    // Its own tolerance...
  EXPECT_EQ(request->buffers[2].tolerance.rtol, 1e-4); // ...or the task's.
  EXPECT_EQ(request->buffers[2].init.p0, 7.0);
  ASSERT_EQ(request->launches.size(), 1u);
  const protocol::LaunchSpec &launch = request->launches[0];
  EXPECT_EQ(launch.grid, (std::array<uint32_t, 3>{8, 1, 1}));
  EXPECT_EQ(launch.block, (std::array<uint32_t, 3>{128, 2, 1}));
  EXPECT_EQ(launch.sharedBytes, 512u);
  ASSERT_EQ(launch.args.size(), 5u);
  EXPECT_EQ(launch.args[0].name, "n");
  EXPECT_EQ(launch.args[4].name, "out");
  EXPECT_EQ(request->seeds, (std::vector<uint64_t>{5, 6}));
  EXPECT_TRUE(request->timing.enabled);
}

TEST(EvaluationTest, EvaluatesVerifyShapesWithoutTiming) {
  Task task = parseOrFail(SaxpyYaml);
  EvaluateOptions options;
  options.numSeeds = 3;
  auto request = buildEvaluateRequest(task, 1, "r", "c", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  EXPECT_EQ(request->label, "verify_shapes[0]");
  EXPECT_EQ(request->buffers[0].count, 10u);
  EXPECT_EQ(request->buffers[1].count, 5u); // half = n / 2 follows n.
  EXPECT_EQ(request->launches[0].grid[0], 1u);
  EXPECT_FALSE(request->timing.enabled);
  EXPECT_EQ(request->seeds.size(), 3u);
  auto sizes = evaluateShapeSizes(task, 1);
  ASSERT_TRUE(static_cast<bool>(sizes));
  EXPECT_EQ(*sizes, (std::vector<std::pair<std::string, int64_t>>{
                        {"n", 10}, {"half", 5}}));
  // Protocol-level checks hold for what the parent builds.
  protocol::EvaluateRequest back;
  std::string error;
  EXPECT_TRUE(protocol::fromMessage(protocol::toMessage(*request), back, error))
      << error;
}

TEST(EvaluationTest, UnrollsRepeatedLaunches) {
  Task task = parseOrFail(R"yaml(sizes:
  n: 64
  steps: 3
arguments:
  - {name: a, dtype: f64, count: n, role: inout}
launches:
  - kernel: init
    grid: [1]
    block: [64]
    args: [a, n]
  - kernel: step
    grid: ["ceil_div(n, block.x)"]
    block: [32]
    args: [a, n, it * 10, "min(it, 1) - 1"]
    repeat: steps
    loop_var: it
)yaml");
  auto request = buildEvaluateRequest(task, 0, "r", "c", EvaluateOptions());
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  ASSERT_EQ(request->launches.size(), 4u);
  EXPECT_EQ(request->launches[0].kernel, "init");
  EXPECT_EQ(request->launches[0].args[1].name, "");
  EXPECT_EQ(request->launches[0].args[1].literal, 64);
  for (int it = 0; it < 3; ++it) {
    const protocol::LaunchSpec &step = request->launches[1 + it];
    EXPECT_EQ(step.kernel, "step");
    EXPECT_EQ(step.grid[0], 2u);
    EXPECT_EQ(step.args[0].name, "a");
    EXPECT_EQ(step.args[2].literal, it * 10);
    EXPECT_EQ(step.args[3].literal, std::min(it, 1) - 1);
  }
}

TEST(EvaluationTest, ReportsExpressionsThatDoNotEvaluate) {
  Task task = parseOrFail(R"yaml(kernel: k
sizes:
  n: 8
arguments:
  - {name: x, dtype: f32, count: n, role: out}
launch:
  grid: 1
  block: 8
verify_shapes:
  - {n: 4}
)yaml");
  // parseTask rejects such shapes with file positions; requests are built
  // from tasks that may come from elsewhere, so they check again.
  task.verifyShapes = {{{"n", "n / 0"}}};
  auto request = buildEvaluateRequest(task, 1, "r", "c", EvaluateOptions());
  ASSERT_FALSE(static_cast<bool>(request));
  std::string message = llvm::toString(request.takeError());
  EXPECT_THAT(message, HasSubstr("size 'n' ('n / 0') in verify_shapes[0]"));

  task.verifyShapes = {{{"n", "0"}}};
  request = buildEvaluateRequest(task, 1, "r", "c", EvaluateOptions());
  ASSERT_FALSE(static_cast<bool>(request));
  EXPECT_THAT(llvm::toString(request.takeError()),
              HasSubstr("count of 'x' ('n') in verify_shapes[0]: is 0"));
}

TEST(EvaluationTest, PrintsAndSerialisesResults) {
  EvaluationResult result;
  result.verdict = Verdict::Failed;
  result.reason = "input-modified";
  result.message = "the candidate modified input 'x'";
  protocol::TimingStats t;
  t.program = "candidate";
  t.medianMs = 0.5;
  t.reps = 9;
  result.candidate = t;
  std::string text;
  llvm::raw_string_ostream os(text);
  printEvaluation(os, result);
  EXPECT_THAT(text, HasSubstr("verdict:    failed (input-modified)"));
  EXPECT_THAT(text, HasSubstr("candidate:  median 0.5000 ms"));
  llvm::json::Value json = toJSON(result);
  EXPECT_EQ(*json.getAsObject()->getString("verdict"), "failed");
  EXPECT_EQ(*json.getAsObject()->getObject("candidate")->getInteger("reps"), 9);
}

/// A fake worker that answers every request with `reply` (protocol text
/// after the `begin reply <id>` line).
std::unique_ptr<Worker> fakeWorker(const std::string &reply) {
  WorkerOptions options;
  options.executable = "/bin/sh";
  options.extraArgs = {
      "-c",
      "printf 'begin hello 0\\nworker version=fake protocol=1 pid=1\\nend\\n'; "
      "while read -r line; do case \"$line\" in "
      "begin*) set -- $line; id=$3;; "
      "end) printf 'begin reply %s\\n" +
          reply + "end\\n' \"$id\";; esac; done"};
  auto worker = Worker::start(options);
  if (!worker) {
    ADD_FAILURE() << llvm::toString(worker.takeError());
    return nullptr;
  }
  return std::move(*worker);
}

const char *const OneShapeYaml = R"yaml(kernel: k
sizes:
  n: 64
arguments:
  - {name: x, dtype: f32, count: n, role: in}
  - {name: y, dtype: f32, count: n, role: out}
launch: {grid: 1, block: 64}
)yaml";

TEST(EvaluationTest, FoldsAPassingReply) {
  Task task = parseOrFail(OneShapeYaml);
  auto worker = fakeWorker(
      "status value=ok\\nverdict value=passed reason=%%\\n"
      "timing program=reference reps=10 median-ms=2 p10-ms=1.9 p90-ms=2.1 "
      "mean-ms=2 stddev-ms=0.1 min-ms=1.8 rse=0.01\\n"
      "timing program=candidate reps=10 median-ms=0.5 p10-ms=0.4 p90-ms=0.6 "
      "mean-ms=0.5 stddev-ms=0.1 min-ms=0.4 rse=0.01\\n");
  ASSERT_TRUE(worker);
  auto result = evaluateTask(*worker, task, "ref", "cand", EvaluateOptions());
  ASSERT_TRUE(static_cast<bool>(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->verdict, Verdict::Passed);
  EXPECT_EQ(result->speedup, 4.0);
  EXPECT_EQ(result->bufferBytes, 512u);
  EXPECT_EQ(result->candidateBandwidthGBs, 512 / 0.5e-3 / 1e9);
  ASSERT_EQ(result->shapes.size(), 1u);
  EXPECT_EQ(result->shapes[0].sizes[0].second, 64);
}

TEST(EvaluationTest, MapsWorkerErrorsToVerdicts) {
  Task task = parseOrFail(OneShapeYaml);
  auto worker = fakeWorker(
      "status value=error\\nerror kind=runtime_error program=candidate "
      "cuda-error=CUDA_ERROR_ILLEGAL_ADDRESS #15\\nillegal address\\n");
  ASSERT_TRUE(worker);
  auto result = evaluateTask(*worker, task, "ref", "cand", EvaluateOptions());
  ASSERT_TRUE(static_cast<bool>(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->verdict, Verdict::RuntimeError);
  EXPECT_EQ(result->reason, "illegal address");
  // The worker exits after a kernel fault; the parent restarted it.
  EXPECT_EQ(result->workerRestarts, 1u);

  auto reference = fakeWorker(
      "status value=error\\nerror kind=runtime_error program=reference "
      "cuda-error=CUDA_ERROR_LAUNCH_FAILED #4\\ntrap\\n");
  ASSERT_TRUE(reference);
  result = evaluateTask(*reference, task, "ref", "cand", EvaluateOptions());
  ASSERT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result->verdict, Verdict::ReferenceInvalid);
  EXPECT_EQ(result->reason,
            "reference runtime-error: trap or unspecified launch failure");

  auto noDevice =
      fakeWorker("status value=error\\nerror kind=no_device #6\\nno GPU\\n");
  ASSERT_TRUE(noDevice);
  result = evaluateTask(*noDevice, task, "ref", "cand", EvaluateOptions());
  ASSERT_FALSE(static_cast<bool>(result));
  llvm::handleAllErrors(result.takeError(), [](const CupilotError &e) {
    EXPECT_EQ(e.getExitCode(), ExitCode::NoDevice);
    EXPECT_EQ(e.getMessage(), "no GPU");
  });
}

TEST(EvaluationTest, EnforcesThePrecisionPolicy) {
  Task task = parseOrFail(OneShapeYaml);
  auto worker = fakeWorker("status value=ok\\n");
  ASSERT_TRUE(worker);
  EvaluateOptions options;
  options.candidateOptions = {"--use_fast_math"};
  auto result = evaluateTask(*worker, task, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result->verdict, Verdict::PolicyViolation);
  EXPECT_THAT(result->message, HasSubstr("'--use_fast_math' is not allowed by "
                                         "precision policy 'strict-fp32'"));
  task.precision = PrecisionPolicy::AllowReducedPrecision;
  result = evaluateTask(*worker, task, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(result));
  EXPECT_NE(result->verdict, Verdict::PolicyViolation);
}

} // namespace
