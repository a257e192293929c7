//===- ProtocolTest.cpp - Tests of the worker protocol --------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Protocol.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <string>

using namespace cupilot::protocol;
using ::testing::HasSubstr;

namespace {

//===----------------------------------------------------------------------===//
// Generic messages
//===----------------------------------------------------------------------===//

Message sampleMessage() {
  Message m;
  m.kind = "evaluate";
  m.id = 42;
  m.add("arch").set("value", "sm_90");
  m.add("program")
      .set("role", "reference")
      .set("name", "a b%c.cu")
      .setBlob("line 1\nbegin x 1\nend\n\0binary"); // Looks like framing.
  m.add("empty").set("value", "");
  m.add("blob-only").setBlob("");
  return m;
}

TEST(ProtocolTest, EncodesTheDocumentedFormat) {
  Message m;
  m.kind = "ping";
  m.id = 3;
  m.add("note").set("text", "two words").set("pct", "100%").setBlob("xy");
  EXPECT_EQ(encode(m), "begin ping 3\n"
                       "note text=two%20words pct=100%25 #2\n"
                       "xy\n"
                       "end\n");
}

TEST(ProtocolTest, RoundTripsMessages) {
  Message m = sampleMessage();
  std::string text = encode(m);
  Message back;
  DecodeResult result = decode(text, back);
  ASSERT_EQ(result.status, DecodeStatus::Complete) << result.error;
  EXPECT_EQ(result.consumed, text.size());
  EXPECT_EQ(back.kind, "evaluate");
  EXPECT_EQ(back.id, 42u);
  ASSERT_EQ(back.fields.size(), m.fields.size());
  for (size_t i = 0; i < m.fields.size(); ++i) {
    EXPECT_EQ(back.fields[i].key, m.fields[i].key);
    EXPECT_EQ(back.fields[i].attrs, m.fields[i].attrs);
    EXPECT_EQ(back.fields[i].hasBlob, m.fields[i].hasBlob);
    EXPECT_EQ(back.fields[i].blob, m.fields[i].blob);
  }
  EXPECT_EQ(encode(back), text);
}

TEST(ProtocolTest, DecodesIncrementally) {
  std::string text = encode(sampleMessage()) + encode(sampleMessage());
  // Every proper prefix of the first message is incomplete, never malformed.
  size_t first = encode(sampleMessage()).size();
  for (size_t n = 0; n < first; ++n) {
    Message out;
    DecodeResult result = decode(std::string_view(text).substr(0, n), out);
    EXPECT_EQ(result.status, DecodeStatus::Incomplete) << "prefix " << n;
  }
  Message out;
  DecodeResult result = decode(text, out);
  ASSERT_EQ(result.status, DecodeStatus::Complete);
  EXPECT_EQ(result.consumed, first);
  result = decode(std::string_view(text).substr(first), out);
  EXPECT_EQ(result.status, DecodeStatus::Complete);
}

TEST(ProtocolTest, SkipsBlankLinesBetweenMessages) {
  Message out;
  DecodeResult result = decode("\n\nbegin ping 1\nend\n", out);
  ASSERT_EQ(result.status, DecodeStatus::Complete);
  EXPECT_EQ(out.kind, "ping");
}

struct MalformedCase {
  const char *text;
  const char *error;
};

class MalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedTest, IsRejectedWithAReason) {
  Message out;
  DecodeResult result = decode(GetParam().text, out);
  EXPECT_EQ(result.status, DecodeStatus::Malformed);
  EXPECT_THAT(result.error, HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    ProtocolTest, MalformedTest,
    ::testing::Values(
        MalformedCase{"hello\n", "expected 'begin <kind> <id>'"},
        MalformedCase{"begin ping\n", "expected 'begin <kind> <id>'"},
        MalformedCase{"begin Ping 1\n", "not a lowercase name"},
        MalformedCase{"begin ping -1\n", "not an unsigned 64-bit integer"},
        MalformedCase{"begin ping 99999999999999999999\n", "unsigned 64-bit"},
        MalformedCase{"begin ping 1\nKey a=b\nend\n", "not a field key"},
        MalformedCase{"begin ping 1\nkey  a=b\nend\n", "not name=value"},
        MalformedCase{"begin ping 1\nkey novalue\nend\n", "not name=value"},
        MalformedCase{"begin ping 1\nkey A=b\nend\n", "attribute name"},
        MalformedCase{"begin ping 1\nkey a=1 a=2\nend\n", "appears twice"},
        MalformedCase{"begin ping 1\nkey a=%zz\nend\n", "percent-encoded"},
        MalformedCase{"begin ping 1\nkey a=%4\nend\n", "percent-encoded"},
        MalformedCase{"begin ping 1\nkey #x\nend\n", "bad block length"},
        MalformedCase{"begin ping 1\nkey #2 a=b\nend\n", "must be the last"},
        MalformedCase{"begin ping 1\nkey #2\nabcend\n",
                      "not followed by a newline"},
        MalformedCase{"begin ping 1\nkey #99999999999\n", "exceeds the limit"},
        MalformedCase{"begin ping 1\nbegin ping 2\n", "missing 'end'"}));

TEST(ProtocolTest, RejectsOverlongLines) {
  Message out;
  std::string text = "begin ping 1\nkey a=" + std::string(MaxLineBytes, 'x');
  EXPECT_EQ(decode(text, out).status, DecodeStatus::Malformed);
}

TEST(ProtocolTest, EscapesValues) {
  EXPECT_EQ(escapeValue(""), "%");
  EXPECT_EQ(escapeValue("a=b,c"), "a=b,c");
  EXPECT_EQ(escapeValue("x y\n%"), "x%20y%0A%25");
  std::string out;
  ASSERT_TRUE(unescapeValue("x%20y%0a%25", out));
  EXPECT_EQ(out, "x y\n%");
  ASSERT_TRUE(unescapeValue("%", out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(unescapeValue("", out));
  EXPECT_FALSE(unescapeValue("%%", out));
}

TEST(ProtocolTest, FormatsDoublesExactly) {
  for (double v : {0.1, 1.0 / 3, 1e-300, -2.5, 1e300, 5e-324})
    EXPECT_EQ(std::strtod(formatDouble(v).c_str(), nullptr), v);
  EXPECT_EQ(formatDouble(INFINITY), "inf");
  EXPECT_EQ(formatDouble(-INFINITY), "-inf");
  EXPECT_EQ(formatDouble(NAN), "nan");
  EXPECT_EQ(formatDouble(0.5), "0.5");
}

//===----------------------------------------------------------------------===//
// Typed requests
//===----------------------------------------------------------------------===//

EvaluateRequest sampleEvaluate() {
  EvaluateRequest r;
  r.id = 9;
  r.arch = "sm_90";
  r.label = "verify_shapes[0]";
  r.reference = {"ref.cu", "__global__ void k(int n, float *y) {}\n", {}};
  r.candidate = {"cand name.cu", "// candidate\n", {"-O3", "--use_fast_math"}};
  BufferSpec y;
  y.name = "y";
  y.type = ElementType::BF16;
  y.count = 1000;
  y.role = Role::InOut;
  y.init = {Distribution::Normal, 0.25, 2};
  y.tolerance = {1e-3, 0.1, false};
  r.buffers.push_back(y);
  BufferSpec out;
  out.name = "out";
  out.type = ElementType::U64;
  out.count = 7;
  out.role = Role::Out;
  out.tolerance.exact = true;
  r.buffers.push_back(out);
  r.scalars.push_back({"n", ElementType::I32, "-1000"});
  r.scalars.push_back({"alpha", ElementType::F64, "0.1"});
  LaunchSpec launch;
  launch.kernel = "k<float, 4>";
  launch.grid = {4, 2, 1};
  launch.block = {256, 1, 1};
  launch.sharedBytes = 1024;
  launch.args = {{"n", 0}, {"", -5}, {"y", 0}, {"", 7}};
  r.launches.push_back(launch);
  r.seeds = {1, 2, 3};
  r.timing.enabled = false;
  r.timing.maxReps = 17;
  r.timing.targetRse = 0.005;
  return r;
}

/// Encodes, decodes as text and converts back.
template <typename T> T roundTrip(const T &value) {
  std::string text = encode(toMessage(value));
  Message message;
  DecodeResult result = decode(text, message);
  EXPECT_EQ(result.status, DecodeStatus::Complete) << result.error << text;
  T back;
  std::string error;
  EXPECT_TRUE(fromMessage(message, back, error)) << error << "\n" << text;
  EXPECT_EQ(encode(toMessage(back)), text);
  return back;
}

TEST(ProtocolTest, RoundTripsEvaluateRequests) {
  EvaluateRequest r = roundTrip(sampleEvaluate());
  EXPECT_EQ(r.id, 9u);
  EXPECT_EQ(r.label, "verify_shapes[0]");
  EXPECT_EQ(r.candidate.name, "cand name.cu");
  EXPECT_EQ(r.candidate.options,
            (std::vector<std::string>{"-O3", "--use_fast_math"}));
  ASSERT_EQ(r.buffers.size(), 2u);
  EXPECT_EQ(r.buffers[0].type, ElementType::BF16);
  EXPECT_EQ(r.buffers[0].role, Role::InOut);
  EXPECT_EQ(r.buffers[0].init.dist, Distribution::Normal);
  EXPECT_EQ(r.buffers[0].init.p0, 0.25);
  EXPECT_EQ(r.buffers[0].tolerance.rtol, 0.1);
  EXPECT_TRUE(r.buffers[1].tolerance.exact);
  EXPECT_EQ(r.scalars[1].value, "0.1");
  ASSERT_EQ(r.launches.size(), 1u);
  EXPECT_EQ(r.launches[0].kernel, "k<float, 4>");
  EXPECT_EQ(r.launches[0].grid, (std::array<uint32_t, 3>{4, 2, 1}));
  EXPECT_EQ(r.launches[0].sharedBytes, 1024u);
  ASSERT_EQ(r.launches[0].args.size(), 4u);
  EXPECT_EQ(r.launches[0].args[1].name, "");
  EXPECT_EQ(r.launches[0].args[1].literal, -5);
  EXPECT_EQ(r.launches[0].args[2].name, "y");
  EXPECT_EQ(r.seeds, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(r.timing.enabled);
  EXPECT_EQ(r.timing.maxReps, 17u);
}

TEST(ProtocolTest, RoundTripsCompileAndCalibrateRequests) {
  CompileRequest c;
  c.id = 5;
  c.arch = "sm_80";
  c.program = {"x.cu", "extern \"C\" __global__ void f() {}", {"-G"}};
  c.kernels = {"f", "g<int>"};
  CompileRequest back = roundTrip(c);
  EXPECT_EQ(back.kernels, c.kernels);
  EXPECT_EQ(back.program.source, c.program.source);
  CalibrateRequest cal;
  cal.bytes = 1 << 20;
  cal.force = true;
  EXPECT_TRUE(roundTrip(cal).force);
}

/// The error decoding `text` (an evaluate request) gives.
std::string evaluateError(const std::string &text) {
  Message message;
  DecodeResult result = decode(text, message);
  EXPECT_EQ(result.status, DecodeStatus::Complete) << result.error;
  EvaluateRequest request;
  std::string error;
  EXPECT_FALSE(fromMessage(message, request, error)) << text;
  return error;
}

/// The sample request's text with `from` replaced by `to`.
std::string mutated(const std::string &from, const std::string &to) {
  std::string text = encode(toMessage(sampleEvaluate()));
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

TEST(ProtocolTest, RejectsInvalidEvaluateRequests) {
  EXPECT_THAT(
      evaluateError(mutated("type=bf16", "type=f128")),
      HasSubstr("attribute 'type' is 'f128', expected an element type"));
  EXPECT_THAT(evaluateError(mutated("count=1000", "count=0")),
              HasSubstr("buffer 'y' has no elements"));
  EXPECT_THAT(evaluateError(mutated("count=1000", "count=x")),
              HasSubstr("expected an unsigned integer"));
  EXPECT_THAT(evaluateError(mutated("role=inout", "role=both")),
              HasSubstr("expected in, out or inout"));
  EXPECT_THAT(evaluateError(mutated("value=-1000", "value=1e3")),
              HasSubstr("is not an integer for i32"));
  EXPECT_THAT(evaluateError(mutated("value=-1000", "value=3000000000")),
              HasSubstr("is out of range for i32"));
  EXPECT_THAT(evaluateError(mutated("args=n,-5,y,7", "args=n,-5,zz,7")),
              HasSubstr("'zz' names no buffer or scalar"));
  EXPECT_THAT(evaluateError(mutated("args=n,-5,y,7", "args=n,5x,y,7")),
              HasSubstr("is not a 64-bit integer"));
  EXPECT_THAT(evaluateError(mutated("grid=4,2,1", "grid=4,0,1")),
              HasSubstr("three positive integers"));
  EXPECT_THAT(evaluateError(mutated("grid=4,2,1", "grid=4,2")),
              HasSubstr("three positive integers"));
  EXPECT_THAT(evaluateError(mutated("values=1,2,3", "values=1")),
              HasSubstr("at least two seeds"));
  EXPECT_THAT(evaluateError(mutated("name=out", "name=y")),
              HasSubstr("'y' is declared twice"));
  EXPECT_THAT(evaluateError(mutated("atol=0.001", "atol=-1")),
              HasSubstr("finite and non-negative"));
  EXPECT_THAT(evaluateError(mutated("shared=1024", "shared=1024 colour=red")),
              HasSubstr("unknown attribute 'colour'"));
  EXPECT_THAT(evaluateError(mutated("seeds values", "sneeds values")),
              HasSubstr("unknown field key 'sneeds'"));
  EXPECT_THAT(evaluateError(mutated("role=reference name=ref.cu",
                                    "role=referee name=ref.cu")),
              HasSubstr("unknown program role 'referee'"));
  EXPECT_THAT(evaluateError(mutated("max-reps=17", "max-reps=0")),
              HasSubstr("min-reps <= max-reps"));
}

TEST(ProtocolTest, OmitsCandidateLaunchesWhenTheGeometryIsShared) {
  EvaluateRequest sample = sampleEvaluate();
  std::string text = encode(toMessage(sample));
  // Old parents never send the field; its absence means "same launches".
  EXPECT_EQ(text.find("candidate-launch"), std::string::npos);
  EvaluateRequest r = roundTrip(sample);
  EXPECT_TRUE(r.candidateLaunches.empty());
  EXPECT_EQ(&getCandidateLaunches(r), &r.launches);
  std::string error;
  EXPECT_TRUE(validateCandidateLaunches(r, error)) << error;
}

/// The sample with a candidate that runs the same kernels with another
/// geometry: half the block, twice the grid, no dynamic shared memory; and a
/// second launch whose geometry is unchanged.
EvaluateRequest sampleWithCandidateLaunches() {
  EvaluateRequest r = sampleEvaluate();
  LaunchSpec second;
  second.kernel = "finish";
  second.grid = {1, 1, 1};
  second.block = {32, 1, 1};
  second.args = {{"out", 0}};
  r.launches.push_back(second);
  LaunchSpec first = r.launches[0];
  first.grid = {8, 2, 1};
  first.block = {128, 1, 1};
  first.sharedBytes = 0;
  r.candidateLaunches = {first, second};
  return r;
}

TEST(ProtocolTest, RoundTripsCandidateLaunches) {
  EvaluateRequest sample = sampleWithCandidateLaunches();
  std::string text = encode(toMessage(sample));
  EXPECT_NE(text.find("candidate-launch kernel=k<float,%204> grid=8,2,1 "
                      "block=128,1,1 shared=0 args=n,-5,y,7\n"),
            std::string::npos)
      << text;
  EvaluateRequest r = roundTrip(sample);
  ASSERT_EQ(r.launches.size(), 2u);
  ASSERT_EQ(r.candidateLaunches.size(), 2u);
  // The reference keeps its geometry...
  EXPECT_EQ(r.launches[0].grid, (std::array<uint32_t, 3>{4, 2, 1}));
  EXPECT_EQ(r.launches[0].block, (std::array<uint32_t, 3>{256, 1, 1}));
  EXPECT_EQ(r.launches[0].sharedBytes, 1024u);
  // ...the candidate has its own, with the same kernels and arguments.
  const LaunchSpec &c = r.candidateLaunches[0];
  EXPECT_EQ(c.kernel, "k<float, 4>");
  EXPECT_EQ(c.grid, (std::array<uint32_t, 3>{8, 2, 1}));
  EXPECT_EQ(c.block, (std::array<uint32_t, 3>{128, 1, 1}));
  EXPECT_EQ(c.sharedBytes, 0u);
  ASSERT_EQ(c.args.size(), 4u);
  EXPECT_EQ(c.args[1].literal, -5);
  EXPECT_EQ(c.args[2].name, "y");
  EXPECT_EQ(r.candidateLaunches[1].kernel, "finish");
  EXPECT_EQ(&getCandidateLaunches(r), &r.candidateLaunches);
}

TEST(ProtocolTest, RejectsCandidateLaunchesThatDoOtherWork) {
  auto errorOf = [](const EvaluateRequest &r) {
    std::string error;
    EvaluateRequest back;
    EXPECT_FALSE(fromMessage(toMessage(r), back, error));
    std::string direct;
    EXPECT_FALSE(validateCandidateLaunches(r, direct));
    EXPECT_THAT(error, HasSubstr(direct));
    return error;
  };
  EvaluateRequest r = sampleWithCandidateLaunches();
  r.candidateLaunches[1].kernel = "other";
  EXPECT_THAT(errorOf(r),
              HasSubstr("candidate launch 1 runs kernel 'other' but the "
                        "reference's launch 1 runs 'finish'; only grid, "
                        "block and shared may differ"));

  r = sampleWithCandidateLaunches();
  r.candidateLaunches.pop_back();
  EXPECT_THAT(errorOf(r), HasSubstr("the candidate has 1 launches "
                                    "('candidate-launch') but the reference "
                                    "has 2 ('launch')"));

  r = sampleWithCandidateLaunches();
  r.candidateLaunches[0].args[1].literal = 6;
  EXPECT_THAT(errorOf(r), HasSubstr("candidate launch 0 ('k<float, 4>') "
                                    "passes args=n,6,y,7 but the "
                                    "reference's passes args=n,-5,y,7"));

  r = sampleWithCandidateLaunches();
  r.candidateLaunches[0].args[0].name = "alpha";
  EXPECT_THAT(errorOf(r), HasSubstr("passes args=alpha,-5,y,7"));

  r = sampleWithCandidateLaunches();
  r.candidateLaunches[1].args.push_back({"y", 0});
  EXPECT_THAT(errorOf(r), HasSubstr("passes args=out,y but the reference's "
                                    "passes args=out"));

  // Field-level checks apply to candidate launches as to launches.
  std::string text = encode(toMessage(sampleWithCandidateLaunches()));
  size_t at = text.find("candidate-launch kernel=finish grid=1,1,1");
  ASSERT_NE(at, std::string::npos);
  text.replace(at,
               std::string("candidate-launch kernel=finish grid=1,1,1").size(),
               "candidate-launch kernel=finish grid=1,0,1");
  EXPECT_THAT(evaluateError(text),
              HasSubstr("('candidate-launch'): attribute 'grid' is '1,0,1', "
                        "expected three positive integers"));
}

TEST(ProtocolTest, RequiresTheEssentialFields) {
  EvaluateRequest r = sampleEvaluate();
  r.launches.clear();
  std::string error;
  EvaluateRequest back;
  EXPECT_FALSE(fromMessage(toMessage(r), back, error));
  EXPECT_THAT(error, HasSubstr("no 'launch'"));
  Message compile;
  compile.kind = "compile";
  CompileRequest compileOut;
  EXPECT_FALSE(fromMessage(compile, compileOut, error));
  EXPECT_THAT(error, HasSubstr("no 'program'"));
  EXPECT_FALSE(fromMessage(toMessage(sampleEvaluate()), compileOut, error));
  EXPECT_THAT(error, HasSubstr("expected a 'compile' message, got 'evaluate'"));
}

//===----------------------------------------------------------------------===//
// Replies
//===----------------------------------------------------------------------===//

TEST(ProtocolTest, RoundTripsFullReplies) {
  Reply reply;
  reply.id = 77;
  reply.ok = false;
  reply.error =
      ReplyError{ErrorKind::RuntimeError, "candidate",
                 "CUDA_ERROR_ILLEGAL_ADDRESS", "illegal address", "log\nlines"};
  DeviceInfo device;
  device.name = "NVIDIA H100 80GB HBM3";
  device.arch = "sm_90";
  device.peakBandwidthGBs = 3352.3;
  device.l2Bytes = 52428800;
  device.guardPages = true;
  reply.device = device;
  reply.compiles.push_back(
      {"candidate", true, 1.5, "abc", "/c/abc.cubin", 99, "warning: x"});
  KernelResources k;
  k.program = "candidate";
  k.kernel = "k";
  k.lowered = "_Z1kv";
  k.registers = 32;
  reply.kernels.push_back(k);
  OutputCheck check;
  check.program = "candidate";
  check.seed = 2;
  check.run = 1;
  check.output = "out";
  check.against = "reference";
  check.count = 10;
  check.mismatches = 2;
  check.unwritten = 1;
  check.maxAbsError = 0.5;
  check.first = {{3, "unwritten", "1.5"}, {9, "-inf", "nan"}};
  reply.checks.push_back(check);
  reply.findings.push_back(
      {"candidate", "unwritten", 2, 1, "out", "2 of 10 elements"});
  reply.verdict = "failed";
  reply.verdictReason = "unwritten";
  reply.timings.push_back(
      {"reference", 10, 1, 0.9, 1.2, 1.01, 0.1, 0.85, 0.01});
  Integrity integrity;
  integrity.seeds = {1, 2};
  integrity.guard = "guard-pages";
  integrity.rechecks = 2;
  reply.integrity = integrity;
  reply.calibration = Calibration{1 << 28, 3000.5, 0.18, 20, false};

  Reply back = roundTrip(reply);
  ASSERT_TRUE(back.error);
  EXPECT_EQ(back.error->kind, ErrorKind::RuntimeError);
  EXPECT_EQ(back.error->log, "log\nlines");
  EXPECT_EQ(back.device->name, "NVIDIA H100 80GB HBM3");
  EXPECT_TRUE(back.device->guardPages);
  EXPECT_TRUE(back.compiles[0].cacheHit);
  EXPECT_EQ(back.kernels[0].registers, 32);
  EXPECT_EQ(back.kernels[0].localBytes, -1);
  ASSERT_EQ(back.checks[0].first.size(), 2u);
  EXPECT_EQ(back.checks[0].first[1].got, "-inf");
  EXPECT_EQ(back.findings[0].message, "2 of 10 elements");
  EXPECT_EQ(back.timings[0].p90Ms, 1.2);
  EXPECT_EQ(back.integrity->seeds, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(back.calibration->bandwidthGBs, 3000.5);
}

TEST(ProtocolTest, RejectsInconsistentReplies) {
  std::string error;
  Reply reply;
  Message m;
  m.kind = "reply";
  m.id = 1;
  EXPECT_FALSE(fromMessage(m, reply, error));
  EXPECT_THAT(error, HasSubstr("no 'status'"));
  m.add("status").set("value", "error");
  EXPECT_FALSE(fromMessage(m, reply, error));
  EXPECT_THAT(error, HasSubstr("no 'error' field"));
  m.add("error").set("kind", "meltdown").setBlob("x");
  EXPECT_FALSE(fromMessage(m, reply, error));
  EXPECT_THAT(error, HasSubstr("expected an error kind"));
}

TEST(ProtocolTest, RoundTripsTheGreeting) {
  Hello hello;
  hello.version = "0.1.0";
  hello.pid = 1234;
  Hello back = roundTrip(hello);
  EXPECT_EQ(back.version, "0.1.0");
  EXPECT_EQ(back.protocol, ProtocolVersion);
  EXPECT_EQ(back.pid, 1234);
}

} // namespace

//===----------------------------------------------------------------------===//
// Protocol 2: profiling, clocks, notes, extreme inputs, FLOP calibration
//===----------------------------------------------------------------------===//

TEST(ProtocolTest, RoundTripsProfileAndExtremeRequests) {
  EvaluateRequest r = sampleEvaluate();
  EXPECT_FALSE(roundTrip(r).profileMetrics);
  EXPECT_FALSE(roundTrip(r).extremes);
  r.profileMetrics = true;
  r.extremes = ExtremeSpec{13, 250.5};
  EvaluateRequest back = roundTrip(r);
  EXPECT_TRUE(back.profileMetrics);
  ASSERT_TRUE(back.extremes);
  EXPECT_EQ(back.extremes->seed, 13u);
  EXPECT_EQ(back.extremes->magnitude, 250.5);
  std::string text = encode(toMessage(r));
  EXPECT_THAT(text, HasSubstr("\nextremes seed=13 magnitude=250.5\n"));
  EXPECT_THAT(text, HasSubstr("\nprofile metrics=1\n"));
}

TEST(ProtocolTest, RejectsInvalidProfileAndExtremeFields) {
  std::string base = encode(toMessage(sampleEvaluate()));
  auto withField = [&](const std::string &line) {
    std::string text = base;
    text.insert(text.rfind("end\n"), line + "\n");
    return evaluateError(text);
  };
  EXPECT_THAT(withField("extremes magnitude=5"),
              HasSubstr("missing attribute 'seed'"));
  EXPECT_THAT(withField("extremes seed=1 magnitude=-1"),
              HasSubstr("magnitude must be finite and non-negative"));
  EXPECT_THAT(withField("extremes seed=1 magnitude=inf"),
              HasSubstr("magnitude must be finite"));
  EXPECT_THAT(withField("extremes seed=1\nextremes seed=2"),
              HasSubstr("'extremes' given twice"));
  EXPECT_THAT(withField("profile metrics=2"), HasSubstr("expected 0 or 1"));
  EXPECT_THAT(withField("profile metrics=1 counters=all"),
              HasSubstr("unknown attribute 'counters'"));
}

TEST(ProtocolTest, RoundTripsFlopsCalibrateRequests) {
  CalibrateRequest cal;
  cal.copy = false;
  cal.flops = {{"f32", "fma", 8192}, {"f16", "cublas", 4096}};
  std::string text = encode(toMessage(cal));
  EXPECT_EQ(text.find("copy"), std::string::npos);
  CalibrateRequest back = roundTrip(cal);
  EXPECT_FALSE(back.copy);
  ASSERT_EQ(back.flops.size(), 2u);
  EXPECT_EQ(back.flops[1].method, "cublas");
  EXPECT_EQ(back.flops[1].n, 4096u);
  // A request without fields keeps the version 1 meaning: the copy.
  Message empty = makeSimpleRequest("calibrate", 3);
  std::string error;
  ASSERT_TRUE(fromMessage(empty, back, error)) << error;
  EXPECT_TRUE(back.copy);
  EXPECT_TRUE(back.flops.empty());

  auto calibrateError = [](const std::string &line) {
    Message m = makeSimpleRequest("calibrate", 4);
    Message parsed;
    std::string text = "begin calibrate 4\n" + line + "\nend\n";
    EXPECT_EQ(decode(text, parsed).status, DecodeStatus::Complete);
    CalibrateRequest out;
    std::string error;
    EXPECT_FALSE(fromMessage(parsed, out, error)) << line;
    return error;
  };
  EXPECT_THAT(calibrateError("flops precision=f8 method=fma"),
              HasSubstr("expected f16, f32 or f64"));
  EXPECT_THAT(calibrateError("flops precision=f32 method=magic"),
              HasSubstr("expected fma or cublas"));
  EXPECT_THAT(calibrateError("flops precision=f32 method=cublas n=1000"),
              HasSubstr("multiple of 256"));
  EXPECT_THAT(calibrateError("flops method=fma"),
              HasSubstr("missing attribute 'precision'"));
  EXPECT_THAT(calibrateError("copy bytes=4096\ncopy bytes=8192"),
              HasSubstr("'copy' given twice"));
}

TEST(ProtocolTest, ForceIsPerCalibrateField) {
  auto decodeCalibrate = [](const std::string &lines) {
    Message parsed;
    std::string text = "begin calibrate 4\n" + lines + "end\n";
    EXPECT_EQ(decode(text, parsed).status, DecodeStatus::Complete);
    CalibrateRequest out;
    std::string error;
    EXPECT_TRUE(fromMessage(parsed, out, error)) << error;
    return out;
  };
  // Forcing one rate re-measures that one only, not the copy or the others.
  CalibrateRequest one =
      decodeCalibrate("copy bytes=4096\n"
                      "flops precision=f32 method=fma force=1\n"
                      "flops precision=f64 method=fma\n");
  EXPECT_FALSE(one.force);
  ASSERT_EQ(one.flops.size(), 2u);
  EXPECT_TRUE(one.flops[0].force);
  EXPECT_FALSE(one.flops[1].force);
  // Forcing the copy forces no rate.
  CalibrateRequest copy = decodeCalibrate(
      "copy bytes=4096 force=1\nflops precision=f16 method=fma\n");
  EXPECT_TRUE(copy.force);
  ASSERT_EQ(copy.flops.size(), 1u);
  EXPECT_FALSE(copy.flops[0].force);
  // And each survives a round trip.
  CalibrateRequest back = roundTrip(one);
  EXPECT_FALSE(back.force);
  EXPECT_TRUE(back.flops[0].force);
  EXPECT_FALSE(back.flops[1].force);
}

TEST(ProtocolTest, RejectsUnknownFlopsCalibrationsInReplies) {
  auto replyError = [](const std::string &from, const std::string &to) {
    Reply reply;
    reply.id = 5;
    reply.flopsCalibrations.push_back(
        {"f32", "fma", 0, 61082.9, 7.04, 9, false});
    std::string text = encode(toMessage(reply));
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      text.replace(at, from.size(), to);
    Message parsed;
    EXPECT_EQ(decode(text, parsed).status, DecodeStatus::Complete);
    Reply back;
    std::string error;
    EXPECT_FALSE(fromMessage(parsed, back, error)) << text;
    return error;
  };
  EXPECT_THAT(replyError("precision=f32", "precision=bf16"),
              HasSubstr("expected f16, f32 or f64"));
  EXPECT_THAT(replyError("precision=f32", "precision=tf32"),
              HasSubstr("expected f16, f32 or f64"));
  EXPECT_THAT(replyError("method=fma", "method=wmma"),
              HasSubstr("expected fma or cublas"));
  EXPECT_TRUE(isFlopsPrecision("f16"));
  EXPECT_FALSE(isFlopsPrecision("F16"));
  EXPECT_TRUE(isFlopsMethod("cublas"));
  EXPECT_FALSE(isFlopsMethod(""));
}

/// A reply with every protocol 2 field set.
Reply sampleProfiledReply() {
  Reply reply;
  reply.id = 5;
  reply.verdict = "passed";
  Integrity integrity;
  integrity.seeds = {1, 2};
  integrity.guard = "guard-pages";
  integrity.extremeInputs = true;
  reply.integrity = integrity;
  ProfileMetrics m;
  m.program = "candidate";
  m.ranges = 3;
  m.dramReadBytes = 1073741824;
  m.dramWriteBytes = 1073741312;
  m.flopsF32 = 4000012;
  m.flopsF64 = 0;
  m.achievedOccupancyPct = 87.25;
  reply.metrics.push_back(m);
  ClockSample c;
  c.phase = "during";
  c.samples = 7;
  c.smMHz = 1755;
  c.memoryMHz = 2619;
  c.maxSmMHz = 1980;
  c.temperatureC = 71;
  c.powerW = 612.5;
  c.reasons = 0x4 | 0x20;
  reply.clocks.push_back(c);
  reply.notes.push_back({"profile", "profiling not permitted: run with..."});
  reply.flopsCalibrations.push_back({"f32", "fma", 0, 61082.9, 7.04, 9, false});
  return reply;
}

TEST(ProtocolTest, RoundTripsMetricsClocksAndNotes) {
  Reply back = roundTrip(sampleProfiledReply());
  ASSERT_EQ(back.metrics.size(), 1u);
  const ProfileMetrics &m = back.metrics[0];
  EXPECT_EQ(m.program, "candidate");
  EXPECT_EQ(m.ranges, 3u);
  EXPECT_EQ(m.dramWriteBytes, 1073741312.0);
  EXPECT_EQ(m.flopsF32, 4000012.0);
  EXPECT_EQ(m.flopsF64, 0.0);
  // Unmeasured metrics stay absent, not zero.
  EXPECT_FALSE(m.flopsF16);
  EXPECT_FALSE(m.smThroughputPct);
  EXPECT_FALSE(m.tensorPipePct);
  ASSERT_EQ(back.clocks.size(), 1u);
  EXPECT_EQ(back.clocks[0].smMHz, 1755u);
  EXPECT_EQ(back.clocks[0].powerW, 612.5);
  EXPECT_EQ(back.clocks[0].reasons & ThrottleReasonsMask, 0x24u);
  EXPECT_EQ(describeClockReasons(back.clocks[0].reasons),
            "sw-power-cap,sw-thermal");
  EXPECT_EQ(describeClockReasons(0), "none");
  EXPECT_EQ(describeClockReasons(0x1 | 0x1000), "idle,0x1000");
  ASSERT_EQ(back.notes.size(), 1u);
  EXPECT_EQ(back.notes[0].topic, "profile");
  EXPECT_TRUE(back.integrity->extremeInputs);
  ASSERT_EQ(back.flopsCalibrations.size(), 1u);
  EXPECT_EQ(back.flopsCalibrations[0].gflops, 61082.9);
}

/// The error decoding the sample profiled reply with `from` replaced by
/// `to` gives.
std::string profiledReplyError(const std::string &from, const std::string &to) {
  std::string text = encode(toMessage(sampleProfiledReply()));
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  Message message;
  DecodeResult result = decode(text, message);
  if (result.status != DecodeStatus::Complete)
    return "malformed: " + result.error;
  Reply reply;
  std::string error;
  EXPECT_FALSE(fromMessage(message, reply, error)) << text;
  return error;
}

TEST(ProtocolTest, RejectsMalformedMetricsClocksAndNotes) {
  EXPECT_THAT(profiledReplyError("metrics program=candidate ", "metrics "),
              HasSubstr("missing attribute 'program'"));
  EXPECT_THAT(profiledReplyError("ranges=3", "ranges=-3"),
              HasSubstr("expected an unsigned integer"));
  EXPECT_THAT(profiledReplyError("flops-f32=4000012", "flops-f32=-1"),
              HasSubstr("expected a finite non-negative number"));
  EXPECT_THAT(profiledReplyError("flops-f32=4000012", "flops-f32=nan"),
              HasSubstr("expected a finite non-negative number"));
  EXPECT_THAT(profiledReplyError("flops-f32=4000012", "flops-f32=lots"),
              HasSubstr("expected a number"));
  EXPECT_THAT(profiledReplyError("flops-f32=4000012", "flops-f8=4000012"),
              HasSubstr("unknown attribute 'flops-f8'"));
  EXPECT_THAT(profiledReplyError("metrics program=candidate",
                                 "metrics program=candidate ranges=1\n"
                                 "metrics program=candidate"),
              HasSubstr("given twice"));
  EXPECT_THAT(profiledReplyError("phase=during", "phase=sometime"),
              HasSubstr("expected before, during or after"));
  EXPECT_THAT(profiledReplyError(" reasons=36", ""),
              HasSubstr("missing attribute 'reasons'"));
  EXPECT_THAT(profiledReplyError("note topic=profile #", "note topic=% #"),
              HasSubstr("is empty"));
  EXPECT_THAT(profiledReplyError(" extreme-inputs=1", ""),
              HasSubstr("missing attribute 'extreme-inputs'"));
  EXPECT_THAT(profiledReplyError("gflops=61082.9", "gflops=0"),
              HasSubstr("expected a positive finite number"));
  EXPECT_THAT(profiledReplyError("\nclocks ", "\nthrottle "),
              HasSubstr("unknown field key 'throttle'"));
  // A note must carry its message.
  std::string text = "begin reply 1\nstatus value=ok\nnote topic=x\nend\n";
  Message message;
  ASSERT_EQ(decode(text, message).status, DecodeStatus::Complete);
  Reply reply;
  std::string error;
  EXPECT_FALSE(fromMessage(message, reply, error));
  EXPECT_THAT(error, HasSubstr("note has no message block"));
}
