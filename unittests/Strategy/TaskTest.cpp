//===- TaskTest.cpp - Tests of tasks and their YAML form ------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/Task.h"
#include "cupilot/Strategy/TaskIO.h"

#include "cupilot/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <string>

using namespace cupilot;
using ::testing::HasSubstr;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// The message of `err`, checking it is an InputError; "" on success.
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

Task parseOrFail(llvm::StringRef yaml) {
  auto task = parseTask(yaml, "t.yaml");
  if (!task) {
    ADD_FAILURE() << "parse failed: " << llvm::toString(task.takeError())
                  << "\n"
                  << yaml.str();
    return Task();
  }
  return std::move(*task);
}

/// The error parsing `yaml` gives; "" (and a failure) if it parses.
std::string parseError(llvm::StringRef yaml) {
  auto task = parseTask(yaml, "t.yaml");
  if (task) {
    ADD_FAILURE() << "parsed but should not:\n" << yaml.str();
    return "";
  }
  return messageOf(task.takeError());
}

std::string validateError(const Task &task) {
  llvm::Error err = validateTask(task);
  if (!err) {
    ADD_FAILURE() << "task validated but should not:\n" << writeTask(task);
    return "";
  }
  return messageOf(std::move(err));
}

void expectEqual(const Tolerance &a, const Tolerance &b) {
  EXPECT_EQ(a.atol, b.atol);
  EXPECT_EQ(a.rtol, b.rtol);
  EXPECT_EQ(a.exact, b.exact);
}

/// Field-by-field equality, so a failure names the field.
void expectEqual(const Task &a, const Task &b) {
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.sizes, b.sizes);
  ASSERT_EQ(a.arguments.size(), b.arguments.size());
  for (size_t i = 0; i < a.arguments.size(); ++i) {
    const ArgumentSpec &x = a.arguments[i], &y = b.arguments[i];
    SCOPED_TRACE("argument " + std::to_string(i));
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.dtype, y.dtype);
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.role, y.role);
    EXPECT_EQ(x.init.distribution, y.init.distribution);
    EXPECT_EQ(x.init.min, y.init.min);
    EXPECT_EQ(x.init.max, y.init.max);
    EXPECT_EQ(x.init.mean, y.init.mean);
    EXPECT_EQ(x.init.stddev, y.init.stddev);
    EXPECT_EQ(x.init.value, y.init.value);
    EXPECT_EQ(x.value, y.value);
    ASSERT_EQ(x.tolerance.has_value(), y.tolerance.has_value());
    if (x.tolerance)
      expectEqual(*x.tolerance, *y.tolerance);
  }
  ASSERT_EQ(a.launches.size(), b.launches.size());
  for (size_t i = 0; i < a.launches.size(); ++i) {
    const LaunchSpec &x = a.launches[i], &y = b.launches[i];
    SCOPED_TRACE("launch " + std::to_string(i));
    EXPECT_EQ(x.kernel, y.kernel);
    EXPECT_EQ(x.geometry.grid, y.geometry.grid);
    EXPECT_EQ(x.geometry.block, y.geometry.block);
    EXPECT_EQ(x.geometry.sharedBytes, y.geometry.sharedBytes);
    EXPECT_EQ(x.args, y.args);
    EXPECT_EQ(x.repeat, y.repeat);
    EXPECT_EQ(x.loopVar, y.loopVar);
  }
  expectEqual(a.tolerance, b.tolerance);
  EXPECT_EQ(a.verifyShapes, b.verifyShapes);
  EXPECT_EQ(a.precision, b.precision);
  EXPECT_EQ(a.reference, b.reference);
  EXPECT_EQ(a.seed, b.seed);
}

/// writeTask -> parseTask gives the same task, and writing it again gives
/// the same text.
void expectRoundTrip(const Task &task) {
  std::string yaml = writeTask(task);
  auto parsed = parseTask(yaml, "written.yaml");
  ASSERT_TRUE(static_cast<bool>(parsed))
      << llvm::toString(parsed.takeError()) << "\n"
      << yaml;
  expectEqual(task, *parsed);
  EXPECT_EQ(writeTask(*parsed), yaml);
}

const char *const SaxpyYaml = R"yaml(kernel: saxpy
sizes:
  n: 1048576
  half_n: n / 2
arguments:
  - name: n
    kind: scalar
    dtype: i32
    value: n
  - name: a
    kind: scalar
    dtype: f32
    value: 2.5
  - name: x
    dtype: f32
    count: n
    role: in
    init: {distribution: uniform, min: -2, max: 2}
  - name: y
    kind: buffer
    dtype: f32
    count: n
    role: inout
    init: {distribution: normal, mean: 1, stddev: 0.5}
    tolerance: {atol: 1e-6, rtol: 1e-4}
launch:
  grid: ceil_div(n, block.x)
  block: 256
  shared_bytes: 0
tolerance: {atol: 1e-5, rtol: 1e-5, exact: false}
verify_shapes:
  - {n: 1}
  - {n: 1000, half_n: 3}
precision: allow-tf32
reference: original
seed: 42
)yaml";

/// A small valid task in the single-kernel form; tests break one thing.
Task makeTask() {
  Task task;
  task.kernel = "k";
  task.sizes = {{"n", "1024"}, {"m", "n * 2"}};
  ArgumentSpec x;
  x.name = "x";
  x.count = "n";
  x.role = ArgRole::In;
  ArgumentSpec y;
  y.name = "y";
  y.count = "m";
  y.role = ArgRole::Out;
  ArgumentSpec n;
  n.name = "n";
  n.kind = ArgKind::Scalar;
  n.dtype = DType::I32;
  n.value = "n";
  task.arguments = {x, y, n};
  LaunchSpec launch;
  launch.kernel = "k";
  launch.geometry.grid = {"ceil_div(n, block.x)", "1", "1"};
  launch.geometry.block = {"256", "1", "1"};
  launch.args = {"x", "y", "n"};
  task.launches = {launch};
  return task;
}

//===----------------------------------------------------------------------===//
// Enumerations and dtypes
//===----------------------------------------------------------------------===//

TEST(TaskTest, DTypeSpellingsRoundTrip) {
  const std::pair<DType, const char *> all[] = {
      {DType::F16, "f16"}, {DType::BF16, "bf16"}, {DType::F32, "f32"},
      {DType::F64, "f64"}, {DType::I8, "i8"},     {DType::I16, "i16"},
      {DType::I32, "i32"}, {DType::I64, "i64"},   {DType::U8, "u8"},
      {DType::U16, "u16"}, {DType::U32, "u32"},   {DType::U64, "u64"}};
  for (const auto &[dtype, spelling] : all) {
    EXPECT_EQ(toString(dtype), spelling);
    EXPECT_EQ(parseDType(spelling), dtype);
  }
  EXPECT_EQ(parseDType("float"), std::nullopt);
  EXPECT_EQ(parseDType("F32"), std::nullopt);
  EXPECT_EQ(parseDType(""), std::nullopt);
}

TEST(TaskTest, ByteWidths) {
  EXPECT_EQ(getByteWidth(DType::I8), 1u);
  EXPECT_EQ(getByteWidth(DType::U8), 1u);
  EXPECT_EQ(getByteWidth(DType::F16), 2u);
  EXPECT_EQ(getByteWidth(DType::BF16), 2u);
  EXPECT_EQ(getByteWidth(DType::I16), 2u);
  EXPECT_EQ(getByteWidth(DType::U16), 2u);
  EXPECT_EQ(getByteWidth(DType::F32), 4u);
  EXPECT_EQ(getByteWidth(DType::I32), 4u);
  EXPECT_EQ(getByteWidth(DType::U32), 4u);
  EXPECT_EQ(getByteWidth(DType::F64), 8u);
  EXPECT_EQ(getByteWidth(DType::I64), 8u);
  EXPECT_EQ(getByteWidth(DType::U64), 8u);
}

TEST(TaskTest, DTypeFromCudaType) {
  const std::pair<const char *, DType> cases[] = {
      {"float", DType::F32},
      {"double", DType::F64},
      {"__half", DType::F16},
      {"half", DType::F16},
      {"__nv_bfloat16", DType::BF16},
      {"nv_bfloat16", DType::BF16},
      {"int", DType::I32},
      {"signed", DType::I32},
      {"signed int", DType::I32},
      {"unsigned", DType::U32},
      {"unsigned int", DType::U32},
      {"int unsigned", DType::U32},
      {"long long", DType::I64},
      {"long long int", DType::I64},
      {"long", DType::I64},
      {"unsigned long long", DType::U64},
      {"long long unsigned int", DType::U64},
      {"unsigned long", DType::U64},
      {"short", DType::I16},
      {"short int", DType::I16},
      {"unsigned short", DType::U16},
      {"char", DType::I8},
      {"signed char", DType::I8},
      {"unsigned char", DType::U8},
      {"int8_t", DType::I8},
      {"int16_t", DType::I16},
      {"int32_t", DType::I32},
      {"int64_t", DType::I64},
      {"uint8_t", DType::U8},
      {"uint16_t", DType::U16},
      {"uint32_t", DType::U32},
      {"uint64_t", DType::U64},
      {"std::int64_t", DType::I64},
      {"::uint8_t", DType::U8},
      {"size_t", DType::U64},
      {"const float", DType::F32},
      {"volatile  unsigned\tint", DType::U32},
      {"  double  ", DType::F64},
  };
  for (const auto &[spelling, dtype] : cases)
    EXPECT_EQ(dtypeFromCudaType(spelling), dtype) << spelling;

  for (const char *spelling :
       {"", "bool", "float4", "half2", "float *", "long double",
        "unsigned float", "signed unsigned", "long short", "short char",
        "long long long", "int int", "MyType", "const"})
    EXPECT_EQ(dtypeFromCudaType(spelling), std::nullopt) << spelling;
}

TEST(TaskTest, RoleAndPrecisionSpellings) {
  for (ArgRole role : {ArgRole::In, ArgRole::Out, ArgRole::InOut})
    EXPECT_EQ(parseArgRole(toString(role)), role);
  EXPECT_EQ(toString(ArgRole::In), "in");
  EXPECT_EQ(toString(ArgRole::Out), "out");
  EXPECT_EQ(toString(ArgRole::InOut), "inout");
  EXPECT_EQ(parseArgRole("input"), std::nullopt);

  for (PrecisionPolicy policy :
       {PrecisionPolicy::StrictFP32, PrecisionPolicy::AllowTF32,
        PrecisionPolicy::AllowReducedPrecision})
    EXPECT_EQ(parsePrecisionPolicy(toString(policy)), policy);
  EXPECT_EQ(toString(PrecisionPolicy::StrictFP32), "strict-fp32");
  EXPECT_EQ(toString(PrecisionPolicy::AllowTF32), "allow-tf32");
  EXPECT_EQ(toString(PrecisionPolicy::AllowReducedPrecision),
            "allow-reduced-precision");
  EXPECT_EQ(parsePrecisionPolicy("tf32"), std::nullopt);
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

TEST(TaskIOTest, ParsesTheSingleKernelForm) {
  Task task = parseOrFail(SaxpyYaml);
  EXPECT_EQ(task.kernel, "saxpy");
  ASSERT_EQ(task.sizes.size(), 2u);
  EXPECT_EQ(task.sizes[0],
            std::make_pair(std::string("n"), std::string("1048576")));
  EXPECT_EQ(task.sizes[1],
            std::make_pair(std::string("half_n"), std::string("n / 2")));

  ASSERT_EQ(task.arguments.size(), 4u);
  const ArgumentSpec &n = task.arguments[0];
  EXPECT_EQ(n.kind, ArgKind::Scalar);
  EXPECT_EQ(n.dtype, DType::I32);
  EXPECT_EQ(n.value, "n");
  EXPECT_EQ(task.arguments[1].value, "2.5");
  const ArgumentSpec &x = task.arguments[2];
  EXPECT_EQ(x.kind, ArgKind::Buffer);
  EXPECT_EQ(x.count, "n");
  EXPECT_EQ(x.role, ArgRole::In);
  EXPECT_EQ(x.init.distribution, "uniform");
  EXPECT_EQ(x.init.min, -2.0);
  EXPECT_EQ(x.init.max, 2.0);
  EXPECT_FALSE(x.tolerance.has_value());
  const ArgumentSpec &y = task.arguments[3];
  EXPECT_EQ(y.role, ArgRole::InOut);
  EXPECT_EQ(y.init.distribution, "normal");
  EXPECT_EQ(y.init.mean, 1.0);
  EXPECT_EQ(y.init.stddev, 0.5);
  ASSERT_TRUE(y.tolerance.has_value());
  EXPECT_EQ(y.tolerance->atol, 1e-6);
  EXPECT_EQ(y.tolerance->rtol, 1e-4);
  EXPECT_FALSE(y.tolerance->exact);

  ASSERT_EQ(task.launches.size(), 1u);
  const LaunchSpec &launch = task.launches[0];
  EXPECT_EQ(launch.kernel, "saxpy");
  EXPECT_EQ(launch.geometry.grid,
            (std::array<std::string, 3>{"ceil_div(n, block.x)", "1", "1"}));
  EXPECT_EQ(launch.geometry.block,
            (std::array<std::string, 3>{"256", "1", "1"}));
  EXPECT_EQ(launch.geometry.sharedBytes, "0");
  EXPECT_EQ(launch.args, (std::vector<std::string>{"n", "a", "x", "y"}));
  EXPECT_EQ(launch.repeat, "1");
  EXPECT_EQ(launch.loopVar, "");

  EXPECT_EQ(task.tolerance.atol, 1e-5);
  EXPECT_EQ(task.tolerance.rtol, 1e-5);
  ASSERT_EQ(task.verifyShapes.size(), 2u);
  EXPECT_EQ(task.verifyShapes[1],
            (std::vector<std::pair<std::string, std::string>>{
                {"n", "1000"}, {"half_n", "3"}}));
  EXPECT_EQ(task.precision, PrecisionPolicy::AllowTF32);
  EXPECT_EQ(task.reference, "original");
  EXPECT_EQ(task.seed, 42u);
}

TEST(TaskIOTest, DefaultsOfOptionalFields) {
  Task task = parseOrFail("kernel: k\n"
                          "arguments:\n"
                          "  - {name: out, dtype: u8, count: 16, role: out}\n"
                          "launch: {grid: 1, block: [32, 4]}\n");
  EXPECT_TRUE(task.sizes.empty());
  EXPECT_EQ(task.arguments[0].init.distribution, "uniform");
  EXPECT_EQ(task.arguments[0].init.min, -1.0);
  EXPECT_EQ(task.arguments[0].init.max, 1.0);
  EXPECT_EQ(task.launches[0].geometry.block,
            (std::array<std::string, 3>{"32", "4", "1"}));
  EXPECT_EQ(task.launches[0].geometry.sharedBytes, "0");
  EXPECT_EQ(task.tolerance.atol, 1e-5);
  EXPECT_EQ(task.tolerance.rtol, 1e-5);
  EXPECT_FALSE(task.tolerance.exact);
  EXPECT_TRUE(task.verifyShapes.empty());
  EXPECT_EQ(task.precision, PrecisionPolicy::StrictFP32);
  EXPECT_EQ(task.reference, "original");
  EXPECT_EQ(task.seed, 1u);
}

TEST(TaskIOTest, ParsesTheSequenceForm) {
  Task task = parseOrFail(R"yaml(sizes:
  n: 4096
  iterations: 10
arguments:
  - {name: a, dtype: f64, count: n, role: inout}
  - {name: b, dtype: f64, count: n, role: inout,
     init: {distribution: zero}}
launches:
  - kernel: init
    grid: ["ceil_div(n, block.x)"]
    block: [128]
    args: [a, b, n]
  - kernel: step
    grid: ["ceil_div(n, block.x)", 1, 1]
    block: [128, 1, 1]
    shared_bytes: block.x * 8
    args: [a, b, n, it % 2, "min(it, 3)"]
    repeat: iterations
    loop_var: it
)yaml");
  EXPECT_EQ(task.kernel, "init");
  ASSERT_EQ(task.launches.size(), 2u);
  EXPECT_EQ(task.launches[0].kernel, "init");
  EXPECT_EQ(task.launches[0].repeat, "1");
  const LaunchSpec &step = task.launches[1];
  EXPECT_EQ(step.kernel, "step");
  EXPECT_EQ(step.geometry.sharedBytes, "block.x * 8");
  EXPECT_EQ(step.args,
            (std::vector<std::string>{"a", "b", "n", "it % 2", "min(it, 3)"}));
  EXPECT_EQ(step.repeat, "iterations");
  EXPECT_EQ(step.loopVar, "it");
  EXPECT_EQ(task.arguments[1].init.distribution, "zero");
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

TEST(TaskIOTest, WritesDeterministicYaml) {
  Task task = makeTask();
  task.arguments[1].tolerance = Tolerance{0, 0, true};
  task.arguments[0].init.distribution = "constant";
  task.arguments[0].init.value = 0.1;
  task.verifyShapes = {{{"n", "1"}}};
  task.seed = 7;
  EXPECT_EQ(writeTask(task), R"yaml(kernel: k
sizes:
  n: 1024
  m: n * 2
arguments:
  - name: x
    kind: buffer
    dtype: f32
    count: n
    role: in
    init: {distribution: constant, value: 0.1}
  - name: y
    kind: buffer
    dtype: f32
    count: m
    role: out
    init: {distribution: uniform, min: -1, max: 1}
    tolerance: {atol: 0, rtol: 0, exact: true}
  - name: n
    kind: scalar
    dtype: i32
    value: n
launch:
  grid: ceil_div(n, block.x)
  block: 256
  shared_bytes: 0
tolerance: {atol: 1e-05, rtol: 1e-05, exact: false}
verify_shapes:
  - {n: 1}
precision: strict-fp32
reference: original
seed: 7
)yaml");
  EXPECT_EQ(writeTask(task), writeTask(task));
}

TEST(TaskIOTest, RoundTripsTheSingleKernelForm) {
  Task task = parseOrFail(SaxpyYaml);
  expectRoundTrip(task);
  EXPECT_THAT(writeTask(task), HasSubstr("launch:\n"));
  EXPECT_THAT(writeTask(task), ::testing::Not(HasSubstr("launches:")));
}

TEST(TaskIOTest, RoundTripsTheSequenceForm) {
  Task task = makeTask();
  task.sizes.push_back({"steps", "3"});
  task.arguments[0].role = ArgRole::InOut;
  task.arguments[0].init = {"normal", -1, 1, 0.25, 1.0 / 3.0, 0};
  task.arguments[0].tolerance = Tolerance{0.1, 1e-300, false};
  task.arguments[1].init.distribution = "iota";
  task.arguments[2].dtype = DType::U64;
  task.arguments[2].value = "pow2(40)";
  LaunchSpec second;
  second.kernel = "finish: now"; // needs quoting in YAML
  second.geometry.grid = {"min(n, 64)", "ceil_div(m, 2)", "2"};
  second.geometry.block = {"32", "min(4, 8)", "1"};
  second.geometry.sharedBytes = "block.x * block.y * 4";
  second.args = {"y", "x", "n - it", "max(it, 1)", "-1", "0.5"};
  second.repeat = "steps";
  second.loopVar = "it";
  task.launches.push_back(second);
  task.tolerance = Tolerance{-0.0, 0.125, true};
  task.verifyShapes = {{{"n", "1"}}, {{"m", "3"}, {"n", "2"}}};
  task.precision = PrecisionPolicy::AllowReducedPrecision;
  task.reference = "ref/k: #1.cu";
  task.seed = UINT64_MAX;
  expectRoundTrip(task);
  std::string yaml = writeTask(task);
  EXPECT_THAT(yaml, HasSubstr("launches:\n"));
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("\nkernel:")));
}

TEST(TaskIOTest, WritesSequenceFormWhenTheSingleFormCannotSayIt) {
  // One launch, but its arguments are not the task's arguments in order.
  Task task = makeTask();
  std::swap(task.launches[0].args[0], task.launches[0].args[1]);
  expectRoundTrip(task);
  EXPECT_THAT(writeTask(task), HasSubstr("launches:\n"));

  // One launch that repeats.
  task = makeTask();
  task.launches[0].repeat = "2";
  expectRoundTrip(task);
  EXPECT_THAT(writeTask(task), HasSubstr("launches:\n"));
}

TEST(TaskIOTest, RoundTripsTasksWithoutSizesOrArguments) {
  Task task;
  task.kernel = "noop";
  LaunchSpec launch;
  launch.kernel = "noop";
  task.launches = {launch};
  expectRoundTrip(task);
  EXPECT_THAT(writeTask(task), HasSubstr("arguments: []\n"));
}

//===----------------------------------------------------------------------===//
// Schema errors, with file:line:col
//===----------------------------------------------------------------------===//

TEST(TaskIOTest, UnknownKeys) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "argumnets: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:1: error: unknown key 'argumnets' in the task; did you "
            "mean 'arguments'? expected one of kernel, sizes, arguments, "
            "launch, launches, tolerance, verify_shapes, precision, "
            "reference, seed, extreme_inputs, extreme_magnitude");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1, shared: 0}\n"),
            "t.yaml:3:29: error: unknown key 'shared' in 'launch'; expected "
            "one of grid, block, shared_bytes");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtyp: f32\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:4:5: error: unknown key 'dtyp' in arguments[0]; did you "
            "mean 'dtype'? expected one of name, kind, dtype, count, role, "
            "init, value, tolerance");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance: {atol: 1, relative: 2}\n"),
            "t.yaml:4:22: error: unknown key 'relative' in 'tolerance'; "
            "expected one of atol, rtol, exact");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1, args: [x]}\n"),
            "t.yaml:3:29: error: 'args' is not a key of 'launch', which runs "
            "the top-level kernel once with the arguments in order; use "
            "'launches' to give a kernel, args, repeat or loop_var per "
            "launch");
  EXPECT_THAT(parseError("kernel: k\n"
                         "arguments: []\n"
                         "launch: {grid: 1, block: 1, repeat: 3}\n"),
              HasSubstr("t.yaml:3:29: error: 'repeat' is not a key of "
                        "'launch'"));
}

TEST(TaskIOTest, WrongTypes) {
  EXPECT_EQ(parseError("- kernel: k\n"),
            "t.yaml:1:1: error: the task must be a mapping of 'key: value' "
            "entries, not a list");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: {x: 1}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:12: error: 'arguments' must be a list of argument "
            "descriptions, not a mapping");
  EXPECT_EQ(parseError("kernel: [a, b]\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:1:9: error: 'kernel' must be the kernel name, not a list");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: {x: 1}, block: 1}\n"),
            "t.yaml:3:16: error: 'grid' of 'launch' must be an integer or an "
            "expression, not a mapping");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: [1, 2, 3, 4], block: 1}\n"),
            "t.yaml:3:16: error: 'grid' of 'launch' has 4 components; give 1 "
            "to 3 ([x], [x, y] or [x, y, z]) or a single expression");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: [], block: 1}\n"),
            "t.yaml:3:16: error: 'grid' of 'launch' has 0 components; give 1 "
            "to 3 ([x], [x, y] or [x, y, z]) or a single expression");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: [1, [2]], block: 1}\n"),
            "t.yaml:3:20: error: component 1 of 'grid' of 'launch' must be "
            "an integer or an expression, not a list");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: [x]\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:13: error: arguments[0] must be a mapping of 'key: "
            "value' entries, not 'x'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance: {atol: small}\n"),
            "t.yaml:4:19: error: 'atol' of 'tolerance' must be a finite "
            "number, not 'small'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance: {atol: .inf}\n"),
            "t.yaml:4:19: error: 'atol' of 'tolerance' must be a finite "
            "number, not '.inf'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance: {exact: yes}\n"),
            "t.yaml:4:20: error: 'exact' of 'tolerance' must be true or "
            "false, not 'yes'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "seed: -1\n"),
            "t.yaml:4:7: error: 'seed' must be an unsigned 64-bit integer, "
            "not '-1'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "seed: 18446744073709551616\n"),
            "t.yaml:4:7: error: 'seed' must be an unsigned 64-bit integer, "
            "not '18446744073709551616'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: [n]\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:8: error: 'sizes' must be a mapping of 'key: value' "
            "entries, not a list");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes:\n"
                       "  ? [n]\n"
                       "  : 1\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: a key in 'sizes' is a list; keys must be "
            "plain names");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "verify_shapes: {n: 1}\n"),
            "t.yaml:4:16: error: 'verify_shapes' must be a list of mappings "
            "from size names to values, not a mapping");
}

TEST(TaskIOTest, MissingFields) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"),
            "t.yaml:1:1: error: the task has no 'launch'; add 'launch: "
            "{grid: ..., block: ...}' (or 'launches' for a sequence of "
            "kernels)");
  EXPECT_EQ(parseError("arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:1:1: error: the task has no 'kernel'; add 'kernel: "
            "<kernel name>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:1:1: error: the task has no 'arguments'; add "
            "'arguments:' with one entry per kernel parameter ([] for "
            "none)");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1}\n"),
            "t.yaml:3:9: error: 'launch' has no 'block'; add 'block: "
            "<expression or [x, y, z]>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {block: 1}\n"),
            "t.yaml:3:9: error: 'launch' has no 'grid'; add 'grid: "
            "<expression or [x, y, z]>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {dtype: f32, count: 1, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: arguments[0] has no 'name'; add 'name: <the "
            "kernel parameter's name>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, count: 1, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: argument 'x' has no 'dtype'; add 'dtype: "
            "<one of f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, "
            "u64>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: argument 'x' has no 'count'; add 'count: "
            "<number of elements, an expression of the sizes>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: 4}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: argument 'x' has no 'role'; add 'role: <in, "
            "out or inout>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: s, kind: scalar, dtype: f32}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: argument 's' has no 'value'; add 'value: "
            "<number or expression of the sizes>'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    init: {min: 0}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:11: error: 'init' of argument 'x' has no "
            "'distribution'; add 'distribution: <uniform, normal, constant, "
            "iota, zero>'");
  EXPECT_EQ(parseError("arguments: []\n"
                       "launches:\n"
                       "  - {grid: 1, block: 1, args: []}\n"),
            "t.yaml:3:5: error: launches[0] has no 'kernel'; add 'kernel: "
            "<kernel name>'");
  EXPECT_EQ(parseError("arguments: []\n"
                       "launches:\n"
                       "  - {kernel: k, grid: 1, block: 1}\n"),
            "t.yaml:3:5: error: launches[0] has no 'args'; add 'args: [...]' "
            "with one argument name or scalar expression per kernel "
            "parameter ([] for none)");
  EXPECT_EQ(parseError("kernel:\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:1:1: error: 'kernel' has no value; give the kernel name");
  EXPECT_EQ(parseError("kernel: ''\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:1:9: error: 'kernel' is empty; give the kernel name");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: , role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:27: error: 'count' of argument 'x' has no value; give "
            "an integer or an expression");
}

TEST(TaskIOTest, MissingValuesPointAtTheirKey) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch:\n"
                       "tolerance: {}\n"),
            "t.yaml:3:1: error: 'launch' has no value; give a mapping of "
            "'key: value' entries");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance:\n"
                       "seed: 3\n"),
            "t.yaml:4:1: error: 'tolerance' has no value; give a mapping of "
            "'key: value' entries");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes:\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:1: error: 'sizes' has no value; give a mapping of "
            "'key: value' entries");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: 1, role: in}\n"
                       "  -\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:3: error: arguments[1] has no value; give a mapping of "
            "'key: value' entries");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: [1, ~], block: 1}\n"),
            "t.yaml:3:10: error: component 1 of 'grid' of 'launch' has no "
            "value; give an integer or an expression");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "precision: null\n"),
            "t.yaml:4:1: error: 'precision' has no value; give strict-fp32, "
            "allow-tf32 or allow-reduced-precision");
}

TEST(TaskIOTest, DuplicateKeysAndNames) {
  EXPECT_EQ(parseError("kernel: a\n"
                       "kernel: b\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:2:1: error: duplicate key 'kernel' in the task (first "
            "given on line 1); remove one of them");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes:\n"
                       "  n: 1\n"
                       "  n: 2\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:4:3: error: duplicate key 'n' in 'sizes' (first given on "
            "line 3); remove one of them");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: 1, role: in}\n"
                       "  - {name: x, dtype: f32, count: 1, role: out}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:4:12: error: argument name 'x' is already used by "
            "argument 0; argument names must be unique");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 1}\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "verify_shapes:\n"
                       "  - {n: 2, n: 3}\n"),
            "t.yaml:6:12: error: duplicate key 'n' in verify_shapes[0] (first "
            "given on line 6); remove one of them");
}

TEST(TaskIOTest, BadEnumerations) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: float, count: 1, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:22: error: unknown dtype 'float' of argument 'x'; did "
            "you mean 'f32'? expected one of f16, bf16, f32, f64, i8, i16, "
            "i32, i64, u8, u16, u32, u64");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f8, count: 1, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:22: error: unknown dtype 'f8' of argument 'x'; expected "
            "one of f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, "
            "u64");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: 1, role: output}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:43: error: unknown role 'output' of argument 'x'; "
            "expected in, out or inout");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, kind: pointer, dtype: f32}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:21: error: unknown kind 'pointer' of argument 'x'; "
            "expected buffer or scalar");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "precision: fast\n"),
            "t.yaml:4:12: error: unknown precision 'fast'; expected "
            "strict-fp32, allow-tf32 or allow-reduced-precision");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    init: {distribution: gaussian}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:26: error: unknown distribution 'gaussian' in 'init' of "
            "argument 'x'; expected one of uniform, normal, constant, iota, "
            "zero");
}

TEST(TaskIOTest, FieldsThatDoNotApply) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: s, kind: scalar, dtype: i32, value: 1, "
                       "count: 4}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:51: error: 'count' applies only to buffers, but "
            "argument 's' is a scalar; remove it");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: x, dtype: i32, count: 4, role: in, "
                       "value: 1}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:47: error: 'value' applies only to scalars, but "
            "argument 'x' is a buffer; add 'kind: scalar', or fill the buffer "
            "with 'init: {distribution: constant, value: ...}'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    init: {distribution: uniform, mean: 0}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:35: error: 'mean' does not apply to distribution "
            "'uniform' in 'init' of argument 'x'; it takes min, max");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    init: {distribution: iota, value: 0}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:32: error: 'value' does not apply to distribution "
            "'iota' in 'init' of argument 'x'; it takes no parameters");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "launches: []\n"),
            "t.yaml:4:1: error: the task has both 'launch' and 'launches'; "
            "use 'launch' for one kernel, 'launches' for a sequence");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launches:\n"
                       "  - {kernel: k, grid: 1, block: 1, args: []}\n"),
            "t.yaml:1:1: error: top-level 'kernel' is not used with "
            "'launches'; each launch names its kernel, so remove it");
  EXPECT_EQ(parseError("arguments: []\n"
                       "launches: []\n"),
            "t.yaml:2:11: error: 'launches' must be a non-empty list of "
            "launches, not a list");
  EXPECT_EQ(parseError("arguments: []\n"
                       "launches:\n"
                       "  - {kernel: k, grid: 1, block: 1, args: x}\n"),
            "t.yaml:3:42: error: 'args' of launches[0] must be a list of "
            "argument names and scalar expressions, not 'x'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 1}\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "verify_shapes:\n"
                       "  - {}\n"),
            "t.yaml:6:5: error: verify_shapes[0] is empty; override at least "
            "one size, e.g. {n: 1}");
}

TEST(TaskIOTest, InvalidYaml) {
  EXPECT_EQ(parseError("kernel: [a, b\n"),
            "t.yaml:2:1: error: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(parseError("kernel: k\n"
                       " arguments: []\n"),
            "t.yaml:2:11: error: invalid YAML: illegal map value");
  EXPECT_EQ(parseError("kernel: *missing\n"),
            "t.yaml:1:9: error: invalid YAML: the referenced anchor is not "
            "defined");
  EXPECT_EQ(parseError(""), "t.yaml: error: the task file is empty; a task "
                            "needs at least 'kernel', 'arguments' and "
                            "'launch'");
  EXPECT_EQ(parseError("# nothing here\n"),
            "t.yaml: error: the task file is empty; a task needs at least "
            "'kernel', 'arguments' and 'launch'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "---\n"
                       "kernel: k2\n"),
            "t.yaml:5:1: error: a task file holds one YAML document; remove "
            "the second one (and its '---')");
}

TEST(TaskIOTest, PathologicalInput) {
  // Deep flow nesting: an error, not a stack overflow.
  std::string deepFlow =
      "kernel: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_THAT(parseError(deepFlow), HasSubstr("t.yaml:1:"));
  EXPECT_THAT(parseError(deepFlow), HasSubstr("nests too deeply"));
  // Deep block nesting.
  std::string deepBlock;
  for (int i = 0; i < 100000; ++i)
    deepBlock += "- ";
  deepBlock += "x\n";
  EXPECT_THAT(parseError(deepBlock), HasSubstr("nests too deeply"));
  // Too large.
  std::string huge(MaxTaskFileSize + 1, '#');
  EXPECT_EQ(parseError(huge), "t.yaml: error: the task is 4194305 bytes; task "
                              "files are limited to 4194304 bytes");
  // Aliases are fine and do not blow up.
  Task task = parseOrFail("kernel: k\n"
                          "sizes: {n: &n 8}\n"
                          "arguments:\n"
                          "  - {name: x, dtype: f32, count: *n, role: in}\n"
                          "launch: {grid: 1, block: *n}\n");
  EXPECT_EQ(task.arguments[0].count, "8");
  EXPECT_EQ(task.launches[0].geometry.block[0], "8");
}

//===----------------------------------------------------------------------===//
// Validation errors in parsed tasks point into the file
//===----------------------------------------------------------------------===//

TEST(TaskIOTest, ExpressionErrorsPointAtTheField) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: n*, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:4:34: error: count of argument 'x': column 3: expected "
            "an expression, found end of expression in 'n*'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: n*m, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:4:34: error: count of argument 'x' 'n*m' uses 'm', which "
            "is not a size; declare 'm' under 'sizes'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes:\n"
                       "  a: b + 1\n"
                       "  b: 2\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:6: error: size 'a' 'b + 1' uses 'b', which is declared "
            "after 'a'; sizes may only use earlier sizes, so move 'b' up");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments: []\n"
                       "launch: {grid: \"ceil_div(n, bx)\", block: 1}\n"),
            "t.yaml:4:16: error: grid.x of launch 'ceil_div(n, bx)' uses "
            "'bx', which is neither a size nor block.x, block.y, block.z; "
            "declare 'bx' under 'sizes'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: [32, block.x]}\n"),
            "t.yaml:3:31: error: block.y of launch 'block.x' uses 'block.x', "
            "but block dimensions are not in scope here; only sizes are");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "verify_shapes:\n"
                       "  - {m: 1}\n"),
            "t.yaml:6:6: error: verify_shapes[0] overrides 'm', which is not "
            "a size; declare it under 'sizes' or remove it");
  EXPECT_EQ(parseError("arguments:\n"
                       "  - {name: x, dtype: f32, count: 1, role: in}\n"
                       "launches:\n"
                       "  - {kernel: k, grid: 1, block: 1, args: [x, y]}\n"),
            "t.yaml:4:46: error: argument 1 of launch 'y' uses 'y', which is "
            "not an argument name, a size, block.x/y/z or the loop_var; "
            "declare 'y' under 'arguments' or 'sizes'");
  EXPECT_EQ(parseError("sizes: {n: 2}\n"
                       "arguments: []\n"
                       "launches:\n"
                       "  - {kernel: k, grid: 1, block: 1, args: [],\n"
                       "     repeat: n, loop_var: n}\n"),
            "t.yaml:5:27: error: loop_var 'n' of launch hides the size or "
            "argument of the same name; rename it");
}

TEST(TaskIOTest, UnquotedCommasInFlowStyleGetAHint) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments: []\n"
                       "launch: {grid: ceil_div(n, bx), block: 1}\n"),
            "t.yaml:4:28: error: unknown key 'bx)' in 'launch'; inside {...} "
            "or [...], quote an expression that contains a comma, e.g. "
            "\"ceil_div(n, 256)\"; expected one of grid, block, shared_bytes");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments: []\n"
                       "launch: {grid: [ceil_div(n, block.x)], block: 1}\n"),
            "t.yaml:4:17: error: grid.x of launch: column 11: expected ',' "
            "or ')' after argument 1 of 'ceil_div', found end of expression "
            "in 'ceil_div(n'; inside {...} or [...], quote an expression that "
            "contains a comma, e.g. \"ceil_div(n, 256)\"");
  // Block style needs no quotes.
  Task task = parseOrFail("kernel: k\n"
                          "sizes: {n: 4}\n"
                          "arguments: []\n"
                          "launch:\n"
                          "  grid: ceil_div(n, 2)\n"
                          "  block: max(1, n)\n");
  EXPECT_EQ(task.launches[0].geometry.grid[0], "ceil_div(n, 2)");
  EXPECT_EQ(task.launches[0].geometry.block[0], "max(1, n)");
}

TEST(TaskIOTest, ValueErrorsPointAtTheField) {
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 4}\n"
                       "arguments:\n"
                       "  - {name: x, dtype: f32, count: n - 1, role: in}\n"
                       "launch: {grid: 1, block: 1}\n"
                       "verify_shapes:\n"
                       "  - {n: 1}\n"),
            "t.yaml:4:34: error: count of argument 'x' ('n - 1') is 0 in "
            "verify_shapes[0]; a buffer needs at least one element");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 2048}\n"),
            "t.yaml:3:26: error: block.x of launch ('2048') is 2048; it must "
            "be in [1, 1024]");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: [64, 32]}\n"),
            "t.yaml:3:26: error: the block of launch has 2048 threads; CUDA "
            "allows at most 1024");
  EXPECT_EQ(parseError("kernel: k\n"
                       "sizes: {n: 0}\n"
                       "arguments: []\n"
                       "launch: {grid: 1 / n, block: 1}\n"),
            "t.yaml:4:16: error: grid.x of launch: column 3: division by zero "
            "in '1 / n'");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - {name: c, kind: scalar, dtype: i8, value: 300}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:3:47: error: value of argument 'c' ('300') is 300, "
            "outside the range of i8");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments: []\n"
                       "launch: {grid: 1, block: 1}\n"
                       "tolerance: {atol: -1}\n"),
            "t.yaml:4:19: error: 'atol' of task 'tolerance' is -1; tolerances "
            "must be finite and non-negative");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    tolerance: {atol: 0}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:5: error: argument 'x' has a 'tolerance' but role 'in'; "
            "only outputs (role out or inout) are compared, so remove it or "
            "change the role");
  EXPECT_EQ(parseError("kernel: k\n"
                       "arguments:\n"
                       "  - name: x\n"
                       "    dtype: f32\n"
                       "    count: 4\n"
                       "    role: in\n"
                       "    init: {distribution: uniform, min: 2, max: 1}\n"
                       "launch: {grid: 1, block: 1}\n"),
            "t.yaml:7:40: error: 'min' (2) is greater than 'max' (1) in "
            "argument 'x'");
}

//===----------------------------------------------------------------------===//
// validateTask on tasks built in code
//===----------------------------------------------------------------------===//

TEST(TaskValidateTest, AcceptsAValidTask) {
  EXPECT_FALSE(static_cast<bool>(validateTask(makeTask())));
  EXPECT_FALSE(static_cast<bool>(validateTask(parseOrFail(SaxpyYaml))));
}

TEST(TaskValidateTest, ListLimits) {
  Task task = makeTask();
  for (size_t i = task.sizes.size(); i <= MaxTaskSizes; ++i)
    task.sizes.push_back({"s" + std::to_string(i), "1"});
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'sizes' has 1025 entries; a task "
            "may have at most 1024");
  task.sizes.pop_back();
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));

  task = makeTask();
  task.launches.resize(MaxTaskLaunches + 1, task.launches[0]);
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'launches' has 1025 entries; a "
            "task may have at most 1024");

  task = makeTask();
  for (size_t i = task.arguments.size(); i <= MaxTaskArguments; ++i) {
    task.arguments.push_back(task.arguments[0]);
    task.arguments.back().name = "a" + std::to_string(i);
  }
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'arguments' has 1025 entries; a "
            "task may have at most 1024");

  std::string yaml = "kernel: k\n"
                     "sizes: {n: 2}\n"
                     "arguments: []\n"
                     "launch: {grid: 1, block: 1}\n"
                     "verify_shapes:\n";
  for (size_t i = 0; i < MaxTaskVerifyShapes; ++i)
    yaml += "  - {n: 1}\n";
  EXPECT_EQ(parseOrFail(yaml).verifyShapes.size(), MaxTaskVerifyShapes);
  yaml += "  - {n: 1}\n";
  EXPECT_EQ(parseError(yaml), "t.yaml:5:1: error: 'verify_shapes' has 17 "
                              "entries; a task may have at most 16");
}

TEST(TaskValidateTest, LaunchesAndKernel) {
  Task task = makeTask();
  task.launches.clear();
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': the task has no launch; give "
            "'launch' (one kernel) or 'launches' (a sequence)");
  task = makeTask();
  task.kernel = "other";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'other': kernel 'other' is not the "
            "kernel of the first launch ('k')");
  task = makeTask();
  task.kernel = "";
  EXPECT_EQ(validateError(task), "invalid task: the kernel name is empty");
  task = makeTask();
  task.launches.push_back(task.launches[0]);
  task.launches[1].kernel = "";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'kernel' of launches[1] (kernel '') "
            "is empty; name the kernel");
  task = makeTask();
  task.reference = "";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'reference' is empty; give "
            "'original' or the path of a reference .cu file");
}

TEST(TaskValidateTest, Sizes) {
  Task task = makeTask();
  task.sizes.push_back({"2n", "1"});
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size name '2n' is not an "
            "identifier; use letters, digits and '_', not starting with a "
            "digit");
  task = makeTask();
  task.sizes.push_back({"n", "1"});
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'n' is declared twice; remove "
            "or rename one of them");
  task = makeTask();
  task.sizes[0].second = "n + 1";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'n' 'n + 1' uses 'n', its own "
            "size; a size cannot refer to itself");
  task = makeTask();
  task.sizes[0].second = "block.x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'n' 'block.x' uses 'block.x', "
            "but block dimensions are not in scope here; only sizes are");
  task = makeTask();
  task.sizes[1].second = "n * (2";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'm': column 7: expected ')' "
            "to match the '(' at column 5, found end of expression in "
            "'n * (2'");
  task = makeTask();
  task.sizes[1].second = "n / (n - 1024)";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'm': column 3: division by "
            "zero in 'n / (n - 1024)'");
  task = makeTask();
  task.sizes[0].second = "pow2(54)";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'n' is 18014398509481984, "
            "beyond 2^53, which expressions cannot represent exactly");
}

TEST(TaskValidateTest, Arguments) {
  Task task = makeTask();
  task.arguments[1].name = "x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': argument name 'x' is already used "
            "by argument 0; argument names must be unique");
  task = makeTask();
  task.arguments[0].name = "a.b";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': argument name 'a.b' is not an "
            "identifier; use letters, digits and '_', not starting with a "
            "digit");
  task = makeTask();
  task.arguments[0].count = "q";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': count of argument 'x' 'q' uses "
            "'q', which is not a size; declare 'q' under 'sizes'");
  task = makeTask();
  task.arguments[0].count = "";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': count of argument 'x': column 1: "
            "expected an expression, found end of expression in ''");
  task = makeTask();
  task.arguments[0].count = "n - 2000";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': count of argument 'x' ('n - 2000') "
            "is -976; a buffer needs at least one element");
  task = makeTask();
  task.arguments[0].dtype = DType::F64;
  task.arguments[0].count = "pow2(60)";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': count of argument 'x' ('pow2(60)') "
            "is 1152921504606846976, too many bytes to allocate");
  task = makeTask();
  task.arguments[2].value = "block.x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': value of argument 'n' 'block.x' "
            "uses 'block.x', but block dimensions are not in scope here; "
            "only sizes are");
  task = makeTask();
  task.arguments[2].value = "0.5";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': value of argument 'n': column 1: "
            "number '0.5' is 0.5, not an integer in '0.5'");
  task = makeTask();
  task.arguments[2].dtype = DType::U32;
  task.arguments[2].value = "-1";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': value of argument 'n' ('-1') is -1, "
            "outside the range of u32");
  task.arguments[2].value = "pow2(32)";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': value of argument 'n' ('pow2(32)') "
            "is 4294967296, outside the range of u32");
  task.arguments[2].value = "pow2(32) - 1";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.arguments[2].dtype = DType::I32;
  task.arguments[2].value = "-pow2(31)";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.arguments[2].value = "-pow2(31) - 1";
  EXPECT_THAT(validateError(task), HasSubstr("outside the range of i32"));
  task.arguments[2].dtype = DType::U64;
  task.arguments[2].value = "pow2(62) * 2 - 1 + pow2(62)";
  EXPECT_THAT(validateError(task), HasSubstr("overflows"));
  task.arguments[2].dtype = DType::F16;
  task.arguments[2].value = "65504";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.arguments[2].value = "70000";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': value of argument 'n' ('70000') is "
            "70000, outside the range of f16");
  task.arguments[2].dtype = DType::F32;
  task.arguments[2].value = "1e39";
  EXPECT_THAT(validateError(task), HasSubstr("outside the range of f32"));
  task.arguments[2].value = "1 / n";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
}

TEST(TaskValidateTest, InitAndTolerances) {
  Task task = makeTask();
  task.arguments[0].init.distribution = "gaussian";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': unknown distribution 'gaussian' for "
            "argument 'x'; expected one of uniform, normal, constant, iota, "
            "zero");
  task = makeTask();
  task.arguments[0].init.distribution = "normal";
  task.arguments[0].init.stddev = -1;
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'stddev' of argument 'x' is "
            "negative; give a value >= 0");
  task = makeTask();
  task.arguments[0].init.value = NAN;
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'value' of argument 'x' must be a "
            "finite number");
  task = makeTask();
  task.tolerance.rtol = -0.5;
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'rtol' of task 'tolerance' is -0.5; "
            "tolerances must be finite and non-negative");
  task = makeTask();
  task.tolerance.atol = INFINITY;
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'atol' of task 'tolerance' is inf; "
            "tolerances must be finite and non-negative");
  task = makeTask();
  task.arguments[1].tolerance = Tolerance{-1, 0, false};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'atol' of argument 'y' is -1; "
            "tolerances must be finite and non-negative");
  task.arguments[1].tolerance = Tolerance{0, 0, true};
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
}

TEST(TaskValidateTest, LaunchGeometry) {
  Task task = makeTask();
  task.launches[0].geometry.grid[1] = "q";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': grid.y of launch 'q' uses 'q', "
            "which is neither a size nor block.x, block.y, block.z; declare "
            "'q' under 'sizes'");
  task = makeTask();
  task.launches[0].geometry.grid[1] = "70000";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': grid.y of launch ('70000') is "
            "70000; it must be in [1, 65535]");
  task = makeTask();
  task.launches[0].geometry.grid[0] = "n - 1024";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': grid.x of launch ('n - 1024') is "
            "0; it must be in [1, 2147483647]");
  task = makeTask();
  task.launches[0].geometry.block[2] = "128";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': block.z of launch ('128') is 128; "
            "it must be in [1, 64]");
  task = makeTask();
  task.launches[0].geometry.sharedBytes = "block.x * 4 - 2048";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': shared_bytes of launch "
            "('block.x * 4 - 2048') is -1024; it must not be negative");
  task.launches[0].geometry.sharedBytes = "block.x * block.y * block.z * 4";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task = makeTask();
  task.launches[0].repeat = "n - 1024";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': repeat of launch ('n - 1024') is 0; "
            "a launch runs at least once");
  task.launches[0].repeat = "block.x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': repeat of launch 'block.x' uses "
            "'block.x', but block dimensions are not in scope here; only "
            "sizes are");
}

TEST(TaskValidateTest, LaunchArgumentsAndLoopVariable) {
  Task task = makeTask();
  task.launches[0].args.push_back("it + 1");
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': argument 3 of launch 'it + 1' uses "
            "'it', which is not an argument name, a size, block.x/y/z or the "
            "loop_var; declare 'it' under 'arguments' or 'sizes'");
  task.launches[0].loopVar = "it";
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.launches[0].args.push_back("m * block.x");
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.launches[0].args.push_back("(");
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': argument 5 of launch: column 2: "
            "expected an expression, found end of expression in '('");
  task = makeTask();
  task.launches[0].loopVar = "x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': loop_var 'x' of launch hides the "
            "size or argument of the same name; rename it");
  task.launches[0].loopVar = "block.x";
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': loop_var 'block.x' of launch is not "
            "an identifier; use letters, digits and '_', not starting with a "
            "digit");
}

TEST(TaskValidateTest, VerifyShapes) {
  Task task = makeTask();
  task.verifyShapes = {{}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': verify_shapes[0] is empty; "
            "override at least one size, e.g. {n: 1}");
  task.verifyShapes = {{{"n", "1"}}, {{"n", "2"}, {"n", "3"}}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': verify_shapes[1] overrides 'n' "
            "twice; keep one of them");
  task.verifyShapes = {{{"q", "1"}}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': verify_shapes[0] overrides 'q', "
            "which is not a size; declare it under 'sizes' or remove it");
  task.verifyShapes = {{{"n", "m"}}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': 'n' in verify_shapes[0] 'm' uses "
            "'m', which is declared after 'n'; sizes may only use earlier "
            "sizes, so move 'm' up");
  // Overrides change the sizes after them: m = n * 2 = 0 here.
  task.verifyShapes = {{{"n", "0"}}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': count of argument 'x' ('n') is 0 in "
            "verify_shapes[0]; a buffer needs at least one element");
  task.verifyShapes = {{{"n", "1"}}, {{"m", "1"}}, {{"n", "3"}, {"m", "n"}}};
  EXPECT_FALSE(static_cast<bool>(validateTask(task)));
  task.verifyShapes = {{{"n", "1"}}, {{"n", "1 / 0"}}};
  EXPECT_EQ(validateError(task),
            "invalid task for kernel 'k': size 'n' in verify_shapes[1]: "
            "column 3: division by zero in '1 / 0'");
}

//===----------------------------------------------------------------------===//
// docs/TaskSchema.md
//===----------------------------------------------------------------------===//

/// The ```yaml blocks of docs/TaskSchema.md.
std::vector<std::string> getDocExamples(std::string &doc) {
  auto buffer =
      llvm::MemoryBuffer::getFile(CUPILOT_SOURCE_ROOT "/docs/TaskSchema.md");
  if (!buffer) {
    ADD_FAILURE() << "cannot read docs/TaskSchema.md: "
                  << buffer.getError().message();
    return {};
  }
  doc = (*buffer)->getBuffer().str();
  std::vector<std::string> examples;
  llvm::StringRef rest = doc;
  while (true) {
    size_t start = rest.find("```yaml\n");
    if (start == llvm::StringRef::npos)
      break;
    rest = rest.drop_front(start + 8);
    size_t end = rest.find("```");
    examples.push_back(rest.take_front(end).str());
    rest = rest.drop_front(end + 3);
  }
  return examples;
}

/// Replaces the one occurrence of `from` in `text`.
std::string replaceOnce(std::string text, llvm::StringRef from,
                        llvm::StringRef to) {
  size_t at = text.find(from.str());
  EXPECT_NE(at, std::string::npos) << from.str();
  if (at != std::string::npos)
    text.replace(at, from.size(), to.str());
  return text;
}

TEST(TaskDocsTest, ExamplesAreValidTasks) {
  std::string doc;
  std::vector<std::string> examples = getDocExamples(doc);
  ASSERT_EQ(examples.size(), 2u);
  for (const std::string &example : examples) {
    Task task = parseOrFail(example);
    expectRoundTrip(task);
  }
  Task jacobi = parseOrFail(examples[1]);
  ASSERT_EQ(jacobi.launches.size(), 2u);
  EXPECT_EQ(jacobi.launches[1].loopVar, "it");
  EXPECT_EQ(jacobi.launches[1].geometry.grid[1], "ceil_div(ny, block.y)");
}

TEST(TaskDocsTest, DiagnosticsShownAreTheRealOnes) {
  std::string doc;
  std::vector<std::string> examples = getDocExamples(doc);
  ASSERT_FALSE(examples.empty());
  const std::string &saxpy = examples[0];
  for (const auto &[from, to] :
       {std::pair<const char *, const char *>{"    dtype: f32               #",
                                              "    dtyp: f32                #"},
        {"count: n                 #", "count: n*m               #"},
        {"count: n                 #", "count: n - 1             #"}}) {
    auto task = parseTask(replaceOnce(saxpy, from, to), "saxpy.task.yaml");
    ASSERT_FALSE(static_cast<bool>(task));
    std::string message = messageOf(task.takeError());
    EXPECT_THAT(doc, HasSubstr(message + "\n"));
  }
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

class TaskFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("cupilot-task-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string write(llvm::StringRef name, llvm::StringRef contents) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << contents;
    return std::string(path);
  }

  llvm::SmallString<128> dir;
};

TEST_F(TaskFileTest, ReadsAFile) {
  std::string path = write("saxpy.task.yaml", SaxpyYaml);
  auto task = readTaskFile(path);
  ASSERT_TRUE(static_cast<bool>(task)) << llvm::toString(task.takeError());
  EXPECT_EQ(task->kernel, "saxpy");
}

TEST_F(TaskFileTest, ErrorsNameTheFile) {
  std::string path = write("bad.task.yaml", "kernel: k\n"
                                            "arguments: []\n"
                                            "launch: {grid: 0, block: 1}\n");
  auto task = readTaskFile(path);
  ASSERT_FALSE(static_cast<bool>(task));
  EXPECT_EQ(messageOf(task.takeError()),
            path + ":3:16: error: grid.x of launch ('0') is 0; it must be in "
                   "[1, 2147483647]");
}

TEST_F(TaskFileTest, MissingFile) {
  std::string path = (dir + "/missing.task.yaml").str();
  auto task = readTaskFile(path);
  ASSERT_FALSE(static_cast<bool>(task));
  EXPECT_EQ(messageOf(task.takeError()),
            path + ": error: cannot read: No such file or directory");
}

TEST_F(TaskFileTest, TooLargeFile) {
  std::string path =
      write("huge.task.yaml", std::string(MaxTaskFileSize + 10, '#'));
  auto task = readTaskFile(path);
  ASSERT_FALSE(static_cast<bool>(task));
  EXPECT_EQ(messageOf(task.takeError()),
            path + ": error: the task is 4194314 bytes; task files are "
                   "limited to 4194304 bytes");
}

} // namespace
