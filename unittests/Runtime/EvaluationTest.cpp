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

const char *const AxpyYaml = R"yaml(kernel: axpy
sizes:
  n: 1048576
arguments:
  - {name: n, kind: scalar, dtype: i32, value: n}
  - {name: x, dtype: f32, count: n, role: in}
  - {name: out, dtype: f32, count: n, role: out}
launch:
  grid: "ceil_div(n, block.x)"
  block: 256
verify_shapes:
  - {n: 777}
)yaml";

TEST(EvaluationTest, GivesTheCandidateItsOwnGeometry) {
  Task task = parseOrFail(AxpyYaml);
  // What set-block-size makes of the task: the same launch, block 128.
  Task candidate = task;
  candidate.launches[0].geometry.block = {"128", "1", "1"};
  EvaluateOptions options;
  options.candidateTask = candidate;
  auto request = buildEvaluateRequest(task, 0, "r", "c", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  ASSERT_EQ(request->launches.size(), 1u);
  ASSERT_EQ(request->candidateLaunches.size(), 1u);
  const protocol::LaunchSpec &ref = request->launches[0];
  const protocol::LaunchSpec &cand = request->candidateLaunches[0];
  EXPECT_EQ(ref.block, (std::array<uint32_t, 3>{256, 1, 1}));
  EXPECT_EQ(ref.grid, (std::array<uint32_t, 3>{4096, 1, 1}));
  EXPECT_EQ(cand.block, (std::array<uint32_t, 3>{128, 1, 1}));
  EXPECT_EQ(cand.grid[0], 2 * ref.grid[0]);
  EXPECT_EQ(cand.grid, (std::array<uint32_t, 3>{8192, 1, 1}));
  EXPECT_EQ(cand.kernel, "axpy");
  ASSERT_EQ(cand.args.size(), 3u);
  EXPECT_EQ(cand.args[0].name, "n");
  EXPECT_EQ(cand.args[2].name, "out");
  // The buffers are the task's, whatever the candidate task says.
  EXPECT_EQ(request->buffers[0].count, 1048576u);

  // Verify shapes evaluate the candidate's expressions for their sizes.
  request = buildEvaluateRequest(task, 1, "r", "c", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  EXPECT_EQ(request->launches[0].grid[0], 4u);          // ceil(777 / 256)
  EXPECT_EQ(request->candidateLaunches[0].grid[0], 7u); // ceil(777 / 128)

  // The request passes the protocol's checks and keeps both geometries.
  protocol::EvaluateRequest back;
  std::string error;
  ASSERT_TRUE(protocol::fromMessage(protocol::toMessage(*request), back, error))
      << error;
  EXPECT_EQ(back.candidateLaunches[0].block[0], 128u);
  EXPECT_EQ(back.launches[0].block[0], 256u);

  // Without a candidate task the candidate runs the task's launches.
  request = buildEvaluateRequest(task, 0, "r", "c", EvaluateOptions());
  ASSERT_TRUE(static_cast<bool>(request));
  EXPECT_TRUE(request->candidateLaunches.empty());
}

TEST(EvaluationTest, GivesACoarsenedCandidateFewerBlocks) {
  Task task = parseOrFail(AxpyYaml);
  // What coarsen (4 elements per thread) makes of the task.
  Task candidate = task;
  candidate.launches[0].geometry.grid[0] = "ceil_div(n, block.x * 4)";
  candidate.launches[0].geometry.sharedBytes = "block.x * 8";
  EvaluateOptions options;
  options.candidateTask = candidate;
  auto request = buildEvaluateRequest(task, 0, "r", "c", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  EXPECT_EQ(request->launches[0].grid[0], 4096u);
  EXPECT_EQ(request->launches[0].sharedBytes, 0u);
  EXPECT_EQ(request->candidateLaunches[0].grid[0], 1024u);
  EXPECT_EQ(request->candidateLaunches[0].block[0], 256u);
  EXPECT_EQ(request->candidateLaunches[0].sharedBytes, 2048u);
}

TEST(EvaluationTest, UnrollsRepeatedCandidateLaunches) {
  Task task = parseOrFail(R"yaml(sizes:
  n: 64
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
    args: [a, n, it * 10]
    repeat: 3
    loop_var: it
)yaml");
  Task candidate = task;
  candidate.launches[1].geometry.block[0] = "16";
  EvaluateOptions options;
  options.candidateTask = candidate;
  auto request = buildEvaluateRequest(task, 0, "r", "c", options);
  ASSERT_TRUE(static_cast<bool>(request))
      << llvm::toString(request.takeError());
  ASSERT_EQ(request->launches.size(), 4u);
  ASSERT_EQ(request->candidateLaunches.size(), 4u);
  EXPECT_EQ(request->candidateLaunches[0].block[0], 64u);
  for (int it = 0; it < 3; ++it) {
    const protocol::LaunchSpec &ref = request->launches[1 + it];
    const protocol::LaunchSpec &cand = request->candidateLaunches[1 + it];
    EXPECT_EQ(ref.grid[0], 2u);
    EXPECT_EQ(cand.grid[0], 4u);
    EXPECT_EQ(cand.block[0], 16u);
    ASSERT_EQ(cand.args.size(), 3u);
    EXPECT_EQ(cand.args[2].literal, it * 10);
  }
}

TEST(EvaluationTest, RejectsCandidateTasksThatChangeMoreThanGeometry) {
  Task task = parseOrFail(AxpyYaml);
  auto errorOf = [&](const Task &candidate) {
    EvaluateOptions options;
    options.candidateTask = candidate;
    auto request = buildEvaluateRequest(task, 0, "r", "c", options);
    EXPECT_FALSE(static_cast<bool>(request));
    if (request)
      return std::string();
    std::string message;
    llvm::handleAllErrors(request.takeError(), [&](const CupilotError &e) {
      EXPECT_EQ(e.getExitCode(), ExitCode::InputError);
      message = e.getMessage();
    });
    return message;
  };
  Task candidate = task;
  candidate.launches[0].kernel = "axpy_vec4";
  EXPECT_THAT(errorOf(candidate),
              HasSubstr("candidate task for kernel 'axpy': launch 0 runs "
                        "kernel 'axpy_vec4', the task's runs 'axpy'; it may "
                        "change only grid, block and shared_bytes"));

  candidate = task;
  candidate.launches.push_back(candidate.launches[0]);
  EXPECT_THAT(errorOf(candidate), HasSubstr("it has 2 launches, the task 1"));

  candidate = task;
  candidate.launches[0].args.pop_back();
  EXPECT_THAT(errorOf(candidate),
              HasSubstr("launch 0 ('axpy') has other arguments (n, x instead "
                        "of n, x, out)"));

  candidate = task;
  candidate.launches[0].repeat = "2";
  EXPECT_THAT(errorOf(candidate), HasSubstr("another repeat or loop_var"));

  // The candidate's geometry is checked like the task's.
  candidate = task;
  candidate.launches[0].geometry.block[0] = "2048";
  EXPECT_THAT(errorOf(candidate),
              HasSubstr("block.x of candidate launch 0 ('axpy') ('2048'): is "
                        "2048, not in [1, 1024]"));

  // An argument that depends on the block shape cannot be shared.
  Task byBlock = task;
  byBlock.launches[0].args[0] = "block.x";
  candidate = byBlock;
  candidate.launches[0].geometry.block[0] = "128";
  EvaluateOptions options;
  options.candidateTask = candidate;
  auto request = buildEvaluateRequest(byBlock, 0, "r", "c", options);
  ASSERT_FALSE(static_cast<bool>(request));
  EXPECT_THAT(llvm::toString(request.takeError()),
              HasSubstr("argument 0 of launch 0 ('axpy') ('block.x'): is 256 "
                        "with the task's geometry but 128 with the "
                        "candidate's"));
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
      "printf 'begin hello 0\\nworker version=fake protocol=2 pid=1\\nend\\n'; "
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

TEST(EvaluationTest, SendsTheCandidateGeometryToTheWorker) {
  Task task = parseOrFail(OneShapeYaml);
  // Passes only if the request carries the candidate's launch with block
  // 32 and grid 2, after the reference's with block 64 and grid 1.
  WorkerOptions workerOptions;
  workerOptions.executable = "/bin/sh";
  workerOptions.extraArgs = {
      "-c",
      "printf 'begin hello 0\nworker version=fake protocol=2 pid=1\nend\n'; "
      "v=failed; while read -r line; do case \"$line\" in "
      "begin*) set -- $line; id=$3; v=failed; r=0;; "
      "'launch kernel=k grid=1,1,1 block=64,1,1 '*) r=1;; "
      "'candidate-launch kernel=k grid=2,1,1 block=32,1,1 shared=0 "
      "args=x,y') [ $r = 1 ] && v=passed;; "
      "end) printf 'begin reply %s\nstatus value=ok\nverdict value=%s "
      "reason=%%\nend\n' \"$id\" $v;; esac; done"};
  auto worker = Worker::start(workerOptions);
  ASSERT_TRUE(static_cast<bool>(worker)) << llvm::toString(worker.takeError());
  Task candidate = task;
  candidate.launches[0].geometry.grid[0] = "2";
  candidate.launches[0].geometry.block[0] = "32";
  EvaluateOptions options;
  options.time = false;
  auto result = evaluateTask(**worker, task, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->verdict, Verdict::Failed);
  options.candidateTask = candidate;
  result = evaluateTask(**worker, task, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->verdict, Verdict::Passed);

  // A candidate task that does not fit is an input error, before any request.
  candidate.launches[0].kernel = "other";
  options.candidateTask = candidate;
  result = evaluateTask(**worker, task, "ref", "cand", options);
  ASSERT_FALSE(static_cast<bool>(result));
  EXPECT_THAT(llvm::toString(result.takeError()),
              HasSubstr("launch 0 runs kernel 'other'"));
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

TEST(RooflineTest, UsesMeasuredCountersOverTheStaticEstimate) {
  DevicePeaks peaks;
  peaks.bandwidthGBs = 4000;
  peaks.gflops = {{"f32", 60000}, {"f64", 30000}};
  protocol::ProfileMetrics m;
  m.program = "candidate";
  m.dramReadBytes = 1e9;
  m.dramWriteBytes = 1e9;
  m.flopsF32 = 1e9;
  m.flopsF64 = 4e9;
  // 2 GB in 1 ms: 2000 GB/s, intensity 2.5 FLOP/B, below the f64 ridge of
  // 7.5: memory-bound at 50% of the memory roof.
  auto point = placeOnRoofline(1.0, &m, 123.0, 5e9, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->source, "measured");
  EXPECT_EQ(point->precision, "f64");
  EXPECT_DOUBLE_EQ(point->bytes, 2e9);
  EXPECT_DOUBLE_EQ(*point->flops, 5e9);
  EXPECT_DOUBLE_EQ(*point->intensity, 2.5);
  EXPECT_EQ(point->bound, "memory");
  EXPECT_DOUBLE_EQ(point->percentOfCeiling, 50);

  // Above the ridge: compute-bound against the f64 roof.
  m.flopsF64 = 2.4e10;
  point = placeOnRoofline(1.0, &m, std::nullopt, 0, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->bound, "compute");
  EXPECT_DOUBLE_EQ(point->percentOfCeiling, 100.0 * 25000 / 30000);

  // Without DRAM counters: the static bytes and FLOPs, f32.
  m.dramWriteBytes.reset();
  point = placeOnRoofline(2.0, &m, 1e6, 8e8, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->source, "static");
  EXPECT_EQ(point->precision, "f32");
  EXPECT_DOUBLE_EQ(point->bandwidthGBs, 400);
  EXPECT_EQ(point->bound, "memory");
  EXPECT_DOUBLE_EQ(point->percentOfCeiling, 10);

  // Far below every roof: latency-bound. No time or no memory roof: none.
  point = placeOnRoofline(100.0, nullptr, std::nullopt, 8e8, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->bound, "latency");
  EXPECT_FALSE(point->flops);
  EXPECT_FALSE(placeOnRoofline(0, nullptr, std::nullopt, 8e8, peaks));
  EXPECT_FALSE(placeOnRoofline(1.0, nullptr, std::nullopt, 8e8, DevicePeaks()));
}

TEST(RooflineTest, NamesAPrecisionOnlyForFlopsItDid) {
  DevicePeaks peaks;
  peaks.bandwidthGBs = 4000;
  peaks.gflops = {{"f16", 900000}, {"f32", 60000}, {"f64", 30000}};
  protocol::ProfileMetrics m;
  m.program = "candidate";
  m.dramReadBytes = 1e9;
  m.dramWriteBytes = 1e9;
  // A copy kernel: every FLOP counter measured, all zero. Not f16.
  m.flopsF16 = 0;
  m.flopsF32 = 0;
  m.flopsF64 = 0;
  auto point = placeOnRoofline(1.0, &m, std::nullopt, 0, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->source, "measured");
  EXPECT_EQ(point->precision, "f32");
  // Only f64 FLOPs: f64, whatever order the counters come in.
  m.flopsF64 = 1e6;
  point = placeOnRoofline(1.0, &m, std::nullopt, 0, peaks);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->precision, "f64");
}

TEST(EvaluationTest, AsksForProfilingAndExtremeInputsOnTheMainShape) {
  Task task = parseOrFail(std::string(SaxpyYaml) +
                          "extreme_inputs: true\nextreme_magnitude: 100\n");
  EXPECT_TRUE(task.extremeInputs);
  EvaluateOptions options;
  auto main = buildEvaluateRequest(task, 0, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(main)) << llvm::toString(main.takeError());
  EXPECT_TRUE(main->profileMetrics);
  ASSERT_TRUE(main->extremes);
  EXPECT_EQ(main->extremes->magnitude, 100);
  // A seed after the random ones.
  EXPECT_GT(main->extremes->seed, main->seeds.back());
  options.profile = false;
  auto quiet = buildEvaluateRequest(task, 0, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(quiet));
  EXPECT_FALSE(quiet->profileMetrics);
  task.extremeInputs = false;
  auto plain = buildEvaluateRequest(task, 0, "ref", "cand", options);
  ASSERT_TRUE(static_cast<bool>(plain));
  EXPECT_FALSE(plain->extremes);
}
