//===- HostDataTest.cpp - Tests of the worker's host-side data handling ---===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The worker's initialisation, poison and comparison rules run on the host,
// so they are tested here without a GPU. So are the device layer and the
// evaluation procedure, against a simulated driver (SimulatedDriver.h) that
// runs stream work as late as CUDA allows: several requests in one worker,
// every copy and launch on one stream.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Server/HostData.h"
#include "../../lib/Runtime/Server/Compiler.h"
#include "../../lib/Runtime/Server/Device.h"
#include "../../lib/Runtime/Server/Evaluator.h"
#include "../../lib/Runtime/Server/Sha256.h"
#include "SimulatedDriver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <set>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::Distribution;
using protocol::ElementType;

namespace {

TEST(HostDataTest, ConvertsHalfPrecision) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7C00);               // Rounds to infinity.
  EXPECT_EQ(floatToHalf(5.960464477539063e-08f), 0x0001); // Smallest subnormal.
  EXPECT_EQ(floatToHalf(1.0f + 1.0f / 2048), 0x3C00);     // Ties to even.
  EXPECT_EQ(floatToHalf(1.0f + 3.0f / 2048), 0x3C02);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value))
      EXPECT_EQ(floatToHalf(value), bits) << std::hex << bits;
  }
  EXPECT_EQ(floatToBfloat16(1.0f), 0x3F80);
  EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(floatToBfloat16(1.0f + 1.0f / 256), 0x3F80); // Ties to even.
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBfloat16(NAN))));
}

TEST(HostDataTest, InitialisesDeterministically) {
  HostArray a(ElementType::F32, 1000), b(ElementType::F32, 1000),
      c(ElementType::F32, 1000), d(ElementType::F32, 1000);
  protocol::InitSpec uniform{Distribution::Uniform, -2, 2};
  fillInit(a, uniform, 7, "x");
  fillInit(b, uniform, 7, "x");
  fillInit(c, uniform, 8, "x");
  fillInit(d, uniform, 7, "y");
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes); // Another seed...
  EXPECT_NE(a.bytes, d.bytes); // ...or another buffer gives other values.
  for (uint64_t i = 0; i < a.count; ++i) {
    EXPECT_GE(a.value(i), -2.0);
    EXPECT_LE(a.value(i), 2.0);
  }
}

TEST(HostDataTest, InitialisesEveryDistribution) {
  HostArray ints(ElementType::I32, 3000);
  fillInit(ints, {Distribution::Uniform, -1, 1}, 1, "i");
  std::set<double> seen;
  for (uint64_t i = 0; i < ints.count; ++i)
    seen.insert(ints.value(i));
  EXPECT_EQ(seen, (std::set<double>{-1, 0, 1}));

  HostArray normal(ElementType::F64, 20000);
  fillInit(normal, {Distribution::Normal, 3, 0.5}, 1, "n");
  double sum = 0, squares = 0;
  for (uint64_t i = 0; i < normal.count; ++i) {
    sum += normal.value(i);
    squares += normal.value(i) * normal.value(i);
  }
  double mean = sum / normal.count;
  EXPECT_NEAR(mean, 3.0, 0.02);
  EXPECT_NEAR(std::sqrt(squares / normal.count - mean * mean), 0.5, 0.02);

  HostArray iota(ElementType::U8, 300);
  fillInit(iota, {Distribution::Iota, 0, 0}, 1, "k");
  EXPECT_EQ(iota.value(5), 5);
  EXPECT_EQ(iota.value(299), 255); // Saturates.
  HostArray constant(ElementType::F16, 4);
  fillInit(constant, {Distribution::Constant, 0.5, 0}, 1, "c");
  EXPECT_EQ(constant.value(3), 0.5);
  HostArray zero(ElementType::BF16, 4);
  fillInit(zero, {Distribution::Zero, 0, 0}, 1, "z");
  EXPECT_EQ(zero.value(0), 0.0);
}

TEST(HostDataTest, PoisonIsNaNForFloatsAndDistinctPerRun) {
  for (ElementType type : {ElementType::F16, ElementType::BF16,
                           ElementType::F32, ElementType::F64}) {
    for (int which : {0, 1}) {
      HostArray a(type, 4);
      fillPoison(a, which);
      EXPECT_TRUE(std::isnan(a.value(0))) << protocol::toString(type);
      EXPECT_TRUE(isPoison(a, 3, which));
      EXPECT_FALSE(isPoison(a, 3, 1 - which));
    }
  }
  HostArray ints(ElementType::I32, 2);
  fillPoison(ints, 0);
  uint32_t word;
  std::memcpy(&word, ints.bytes.data(), 4);
  EXPECT_EQ(word, 0xABABABABu);
  // A NaN a kernel computes is not mistaken for poison.
  HostArray computed(ElementType::F32, 1);
  computed.setValue(0, NAN);
  EXPECT_FALSE(isPoison(computed, 0, 0));
  EXPECT_FALSE(isPoison(computed, 0, 1));
}

HostArray floats(std::initializer_list<double> values) {
  HostArray array(ElementType::F32, values.size());
  uint64_t i = 0;
  for (double v : values)
    array.setValue(i++, v);
  return array;
}

TEST(HostDataTest, ComparesNaNAndInfinityAware) {
  HostArray want = floats({1, NAN, INFINITY, -INFINITY, 100});
  CompareOptions options;
  options.tolerance = {1e-6, 1e-3, false};
  EXPECT_EQ(compare(want, want, options).mismatches, 0u);
  HostArray close = floats({1.0000005, NAN, INFINITY, -INFINITY, 100.09});
  EXPECT_EQ(compare(close, want, options).mismatches, 0u);
  // NaN only matches NaN; infinities only the same infinity.
  HostArray wrong = floats({NAN, 0, -INFINITY, INFINITY, 100.2});
  protocol::OutputCheck check = compare(wrong, want, options);
  EXPECT_EQ(check.mismatches, 5u);
  ASSERT_EQ(check.first.size(), 5u);
  EXPECT_EQ(check.first[0].got, "nan");
  EXPECT_EQ(check.first[0].want, "1");
  EXPECT_EQ(check.first[2].got, "-inf");
  EXPECT_NEAR(check.maxAbsError, 0.2, 1e-4);
  EXPECT_FALSE(check.bitwiseEqual);
}

TEST(HostDataTest, CountsUnwrittenElements) {
  HostArray want = floats({1, 2, 3, 4});
  HostArray got = want;
  fillPoison(got, 1);
  got.setValue(0, 1);
  CompareOptions options;
  options.poison = 1;
  protocol::OutputCheck check = compare(got, want, options);
  EXPECT_EQ(check.mismatches, 3u);
  EXPECT_EQ(check.unwritten, 3u);
  EXPECT_EQ(check.first[0].index, 1u);
  EXPECT_EQ(check.first[0].got, "unwritten");
}

TEST(HostDataTest, ComparesExactlyAndIntegers) {
  HostArray want = floats({0.0, 1.0});
  HostArray negativeZero = floats({-0.0, 1.0});
  CompareOptions exact;
  exact.tolerance.exact = true;
  EXPECT_EQ(compare(negativeZero, want, exact).mismatches, 1u);
  CompareOptions loose;
  EXPECT_EQ(compare(negativeZero, want, loose).mismatches, 0u);

  HostArray a(ElementType::I64, 2), b(ElementType::I64, 2);
  int64_t big[2] = {INT64_MAX, -5};
  int64_t bigger[2] = {INT64_MAX - 1, -5};
  std::memcpy(a.bytes.data(), big, 16);
  std::memcpy(b.bytes.data(), bigger, 16);
  CompareOptions zero;
  zero.tolerance = {0, 0, false};
  protocol::OutputCheck check = compare(b, a, zero);
  EXPECT_EQ(check.mismatches, 1u); // 64-bit integers are compared exactly.
  EXPECT_EQ(check.first[0].got, "9223372036854775806");
}

TEST(HostDataTest, HashesLikeSha256) {
  Sha256 empty;
  EXPECT_EQ(empty.hexDigest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hexDigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 longer;
  longer.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(longer.hexDigest(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 split, whole;
  split.field("ab");
  split.field("c");
  whole.field("a");
  whole.field("bc");
  EXPECT_NE(split.hexDigest(), whole.hexDigest());
}

} // namespace

//===----------------------------------------------------------------------===//
// The device layer and the evaluation procedure on a simulated driver
//===----------------------------------------------------------------------===//

namespace {

using protocol::ReplyError;
using protocol::Role;

/// out[b] = sum of row b of in (rows x cols), one block per row.
void rowSum(sim::Gpu &gpu, const sim::Launch &launch) {
  int rows = launch.param<int>(2), cols = launch.param<int>(3);
  const float *in =
      gpu.span<float>(launch.param<CUdeviceptr>(0), uint64_t(rows) * cols);
  if (!in)
    return;
  for (unsigned row = 0; row < launch.grid[0]; ++row) {
    float *out = gpu.span<float>(launch.param<CUdeviceptr>(1) + row * 4, 1);
    if (!out)
      return;
    float partial[256] = {0};
    for (int c = 0; c < cols; ++c)
      partial[c % 256] += in[uint64_t(row) * cols + c];
    for (int stride = 128; stride > 0; stride /= 2)
      for (int t = 0; t < stride; ++t)
        partial[t] += partial[t + stride];
    *out = partial[0];
  }
}

/// 5-point stencil on the interior of a W x H grid; the border of `out` is
/// not written (so `out` is inout).
void stencil(sim::Gpu &gpu, const sim::Launch &launch) {
  int w = launch.param<int>(2), h = launch.param<int>(3);
  uint64_t n = uint64_t(w) * h;
  const float *in = gpu.span<float>(launch.param<CUdeviceptr>(0), n);
  float *out = gpu.span<float>(launch.param<CUdeviceptr>(1), n);
  if (!in || !out)
    return;
  unsigned width = launch.grid[0] * launch.block[0];
  unsigned height = launch.grid[1] * launch.block[1];
  for (unsigned y = 1; y < height && int(y) < h - 1; ++y)
    for (unsigned x = 1; x < width && int(x) < w - 1; ++x) {
      uint64_t i = uint64_t(y) * w + x;
      out[i] = 0.2f * (in[i] + in[i - 1] + in[i + 1] + in[i - w] + in[i + w]);
    }
}

/// The worker's L2 flush: reads its buffer.
void flushL2(sim::Gpu &gpu, const sim::Launch &launch) {
  gpu.bytes(launch.param<CUdeviceptr>(0), launch.param<uint64_t>(1) * 16);
}

/// out[i] = in[i].
void copyKernel(sim::Gpu &gpu, const sim::Launch &launch) {
  uint64_t n = launch.param<uint64_t>(2);
  const float *in = gpu.span<float>(launch.param<CUdeviceptr>(0), n);
  float *out = gpu.span<float>(launch.param<CUdeviceptr>(1), n);
  if (in && out)
    std::memcpy(out, in, n * 4);
}

class SimulatedWorkerTest : public ::testing::Test {
protected:
  void SetUp() override {
    gpu.addKernel("row_sum", {8, 8, 4, 4}, rowSum);
    gpu.addKernel("stencil2d_naive", {8, 8, 4, 4}, stencil);
    gpu.addKernel("cupilot_flush_l2", {8, 8, 8}, flushL2);
    gpu.addKernel("copy", {8, 8, 8}, copyKernel);
    gpu.install(api, nvrtc);
    ReplyError error;
    ASSERT_TRUE(device.open(0, error)) << error.message;
  }

  /// Operations enqueued on the legacy default stream, and the number of
  /// streams that received any work.
  uint64_t legacyOperations() const { return gpu.legacy.enqueued; }
  unsigned busyStreams() const {
    unsigned n = 0;
    for (const auto &s : gpu.streams)
      n += s->enqueued > 0;
    return n;
  }

  sim::Gpu gpu;
  worker::DriverApi api;
  worker::NvrtcApi nvrtc;
  Device device{api};
  Compiler compiler{nvrtc, "/usr/local/cuda", ""};
};

protocol::BufferSpec bufferSpec(std::string name, uint64_t count, Role role) {
  protocol::BufferSpec b;
  b.name = std::move(name);
  b.type = ElementType::F32;
  b.count = count;
  b.role = role;
  b.init = {Distribution::Uniform, -1, 1};
  b.tolerance = {1e-3, 1e-4, false};
  return b;
}

protocol::EvaluateRequest baseRequest(const std::string &kernel,
                                      const std::string &label,
                                      const std::string &candidateSource) {
  protocol::EvaluateRequest r;
  r.label = label;
  r.reference = {"reference.cu",
                 "__global__ void " + kernel + "(...) { /* reference */ }",
                 {}};
  r.candidate = {"candidate.cu", candidateSource, {}};
  r.seeds = {1, 2};
  r.timing.warmup = 1;
  r.timing.minReps = 3;
  r.timing.maxReps = 6;
  r.timing.minTimeMs = 0.1;
  r.timing.maxTimeMs = 50;
  return r;
}

protocol::EvaluateRequest rowSumRequest(uint64_t rows, uint64_t cols,
                                        const std::string &label,
                                        const std::string &candidate) {
  protocol::EvaluateRequest r = baseRequest("row_sum", label, candidate);
  r.buffers = {bufferSpec("in", rows * cols, Role::In),
               bufferSpec("out", rows, Role::Out)};
  r.scalars = {{"rows", ElementType::I32, std::to_string(rows)},
               {"cols", ElementType::I32, std::to_string(cols)}};
  protocol::LaunchSpec launch;
  launch.kernel = "row_sum";
  launch.grid = {uint32_t(rows), 1, 1};
  launch.block = {256, 1, 1};
  launch.args = {{"in", 0}, {"out", 0}, {"rows", 0}, {"cols", 0}};
  r.launches = {launch};
  return r;
}

protocol::EvaluateRequest stencilRequest(uint64_t size,
                                         const std::string &label,
                                         const std::string &candidate) {
  protocol::EvaluateRequest r =
      baseRequest("stencil2d_naive", label, candidate);
  r.buffers = {bufferSpec("in", size * size, Role::In),
               bufferSpec("out", size * size, Role::InOut)};
  r.scalars = {{"W", ElementType::I32, std::to_string(size)},
               {"H", ElementType::I32, std::to_string(size)}};
  protocol::LaunchSpec launch;
  launch.kernel = "stencil2d_naive";
  launch.grid = {uint32_t((size + 31) / 32), uint32_t((size + 7) / 8), 1};
  launch.block = {32, 8, 1};
  launch.args = {{"in", 0}, {"out", 0}, {"W", 0}, {"H", 0}};
  r.launches = {launch};
  return r;
}

std::string describeReply(const protocol::Reply &reply) {
  std::string text =
      "verdict " + reply.verdict + " (" + reply.verdictReason + ")";
  if (reply.error)
    text += "; error: " + reply.error->message;
  for (const protocol::Finding &finding : reply.findings)
    text += "; " + finding.message;
  return text;
}

TEST(SimulatedDriverTest, PageableCopyOnTheLegacyStreamRacesANonBlockingOne) {
  // The hazard behind evaluations that failed in a long-lived worker: a
  // synchronous pageable cuMemcpyHtoD returns before its tail has reached
  // the device, and a non-blocking stream does not wait for it.
  sim::Gpu gpu;
  gpu.addKernel("copy", {8, 8, 8}, copyKernel);
  worker::DriverApi api;
  worker::NvrtcApi nvrtc;
  gpu.install(api, nvrtc);
  const uint64_t n = 1 << 14;
  std::vector<float> host(n);
  for (uint64_t i = 0; i < n; ++i)
    host[i] = float(i);
  for (unsigned flags : {CU_STREAM_NON_BLOCKING, CU_STREAM_DEFAULT}) {
    CUstream stream = nullptr;
    CUdeviceptr in = 0, out = 0;
    ASSERT_EQ(api.StreamCreate(&stream, flags), CUDA_SUCCESS);
    ASSERT_EQ(api.MemAlloc(&in, n * 4), CUDA_SUCCESS);
    ASSERT_EQ(api.MemAlloc(&out, n * 4), CUDA_SUCCESS);
    api.MemsetD8Async(in, 0xFF, n * 4, stream);
    api.StreamSynchronize(stream);
    ASSERT_EQ(gpu.memcpyHtoDPageable(in, host.data(), n * 4), CUDA_SUCCESS);
    CUfunction copy = reinterpret_cast<CUfunction>(gpu.kernels["copy"].get());
    uint64_t count = n;
    void *params[] = {&in, &out, &count};
    api.LaunchKernel(copy, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr);
    api.StreamSynchronize(stream);
    const float *got = gpu.span<float>(out, n);
    bool tailArrived = std::isfinite(got[n - 1]) && got[n - 1] == n - 1;
    EXPECT_EQ(got[0], 0.0f); // The staged head always lands at once.
    EXPECT_EQ(tailArrived, flags == CU_STREAM_DEFAULT) << "flags " << flags;
  }
}

TEST_F(SimulatedWorkerTest, DeviceKeepsAllWorkOnOneStream) {
  const uint64_t n = 100003; // Far more than the staged head of a copy.
  HostArray input(ElementType::F32, n), output(ElementType::F32, n);
  fillInit(input, {Distribution::Uniform, -1, 1}, 1, "in");
  ReplyError error;
  DeviceBuffer in, out;
  ASSERT_TRUE(device.allocate(n * 4, in, error)) << error.message;
  ASSERT_TRUE(device.allocate(n * 4, out, error)) << error.message;
  for (int run = 0; run < 3; ++run) {
    ASSERT_TRUE(device.upload(in, input, error)) << error.message;
    ASSERT_TRUE(
        device.fill(out, poisonPattern(ElementType::F32, run % 2), error));
    CUfunction copy = reinterpret_cast<CUfunction>(gpu.kernels["copy"].get());
    uint64_t count = n;
    void *params[] = {&in.ptr, &out.ptr, &count};
    uint32_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
    ASSERT_TRUE(device.launch(copy, grid, block, 0, params, error));
    ASSERT_TRUE(device.synchronize(error)) << error.message;
    ASSERT_TRUE(device.download(out, output, error)) << error.message;
    EXPECT_EQ(output.bytes, input.bytes) << "run " << run;
    bool intact = false;
    ASSERT_TRUE(device.checkCanaries(out, intact, error));
    EXPECT_TRUE(intact);
    // The next run's input differs: a stale copy would show.
    fillInit(input, {Distribution::Uniform, -1, 1}, run + 2, "in");
  }
  device.release(in);
  device.release(out);
  EXPECT_EQ(legacyOperations(), 0u);
  EXPECT_EQ(busyStreams(), 1u);
  EXPECT_TRUE(gpu.allocations.empty());
  EXPECT_EQ(gpu.sticky, CUDA_SUCCESS);
}

TEST_F(SimulatedWorkerTest, DeviceRefusesCopiesOfAnotherSize) {
  ReplyError error;
  DeviceBuffer small, large;
  ASSERT_TRUE(device.allocate(400, small, error));
  ASSERT_TRUE(device.allocate(404, large, error));
  HostArray host(ElementType::F32, 101); // 404 bytes.
  EXPECT_FALSE(device.upload(small, host, error));
  EXPECT_EQ(error.kind, protocol::ErrorKind::Internal);
  EXPECT_THAT(error.message, ::testing::HasSubstr("404 bytes"));
  EXPECT_FALSE(device.download(small, host, error));
  EXPECT_EQ(error.kind, protocol::ErrorKind::Internal);
  EXPECT_FALSE(device.copy(small, large, error));
  EXPECT_EQ(error.kind, protocol::ErrorKind::Internal);
  EXPECT_TRUE(device.upload(large, host, error));
  EXPECT_FALSE(device.isLost());
  device.release(small);
  device.release(large);
}

TEST_F(SimulatedWorkerTest, ManyRequestsOfDifferentShapesInOneWorker) {
  // The sequence of an evolution run: several candidates, each verified on
  // the verify shapes and then timed on the main shape, in one worker; an
  // output smaller than the input (row sums) and an inout buffer whose
  // border the kernel leaves alone (stencil).
  const std::string rowSum = "__global__ void row_sum(...) { /* cand */ }";
  const std::string rowSumUnrolled =
      "__global__ void row_sum(...) {\n#pragma unroll 4\n}";
  const std::string stencilSource =
      "__global__ void __launch_bounds__(256) stencil2d_naive(...) {}";
  std::vector<protocol::EvaluateRequest> requests;
  for (const std::string &candidate : {rowSum, rowSumUnrolled, rowSum}) {
    requests.push_back(rowSumRequest(131, 131, "verify_shapes[0]", candidate));
    requests.push_back(rowSumRequest(77, 77, "verify_shapes[1]", candidate));
    requests.push_back(rowSumRequest(512, 1024, "main", candidate));
  }
  for (int k = 0; k < 2; ++k) {
    requests.push_back(stencilRequest(131, "verify_shapes[0]", stencilSource));
    requests.push_back(stencilRequest(77, "verify_shapes[1]", stencilSource));
    requests.push_back(stencilRequest(300, "main", stencilSource));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    protocol::Reply reply;
    worker::evaluate(device, compiler, requests[i], reply);
    SCOPED_TRACE("request " + std::to_string(i) + " (" + requests[i].label +
                 ")");
    ASSERT_TRUE(reply.ok) << describeReply(reply);
    EXPECT_EQ(reply.verdict, "passed") << describeReply(reply);
    ASSERT_TRUE(reply.integrity.has_value());
    EXPECT_TRUE(reply.integrity->referenceDeterministic);
    EXPECT_TRUE(reply.integrity->candidateDeterministic);
    EXPECT_EQ(reply.timings.size(), 2u);
  }
  EXPECT_EQ(legacyOperations(), 0u);
  EXPECT_EQ(busyStreams(), 1u);
  EXPECT_TRUE(gpu.allocations.empty()); // Every buffer was released.
  EXPECT_FALSE(device.isLost());
}

TEST_F(SimulatedWorkerTest, StillCatchesAWrongCandidateAfterManyRequests) {
  // The sequence above must not make the checks lenient: a candidate whose
  // launch covers one row too few leaves that row unwritten.
  for (int k = 0; k < 2; ++k) {
    protocol::Reply reply;
    worker::evaluate(device, compiler,
                     rowSumRequest(131, 131, "verify_shapes[0]",
                                   "__global__ void row_sum() {}"),
                     reply);
    ASSERT_TRUE(reply.ok) << describeReply(reply);
    EXPECT_EQ(reply.verdict, "passed") << describeReply(reply);
  }
  protocol::EvaluateRequest short_ = rowSumRequest(
      131, 131, "verify_shapes[0]", "__global__ void row_sum(){}");
  short_.candidateLaunches = short_.launches;
  short_.candidateLaunches[0].grid[0] = 130;
  protocol::Reply reply;
  worker::evaluate(device, compiler, short_, reply);
  ASSERT_TRUE(reply.ok) << describeReply(reply);
  EXPECT_EQ(reply.verdict, "failed");
  EXPECT_EQ(reply.verdictReason, "unwritten");
}

} // namespace
