//===- Protocol.h - Messages between cupilot and cupilot-worker -*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The worker protocol (docs/WorkerProtocol.md) is line based. A message is
//
//   begin <kind> <id>
//   <key> [<name>=<value>]... [#<n>]
//   <n raw bytes, only when the line ends in #n>
//   ...
//   end
//
// Attribute values are percent-encoded (every byte outside '!'..'~', and
// '%' itself, is written %XX; the empty value is written as a lone '%').
// Blocks of arbitrary bytes (sources, logs) follow their line, length
// prefixed, and end with a newline.
//
// This header is plain C++17 without LLVM: the worker links it, and must stay
// small and portable. The generic layer (Message, encode, decode) knows
// nothing of the verbs; the typed layer below converts the requests and the
// reply to and from messages and validates them.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_RUNTIME_PROTOCOL_H
#define CUPILOT_RUNTIME_PROTOCOL_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cupilot {
namespace protocol {

/// Version of the wire format; the worker announces it in its greeting and
/// the parent refuses a worker that speaks another. Version 2 added
/// profiling (`profile`, `metrics`, `note`), clocks (`clocks`), the
/// extreme-value input set (`extremes`, integrity `extreme-inputs`) and the
/// FLOP calibration (`flops`, `flops-calibration`); a version 1 parent would
/// reject those fields as unknown, so the version check keeps both sides
/// from misreading each other.
constexpr int ProtocolVersion = 2;

/// Limits that keep a malformed or hostile peer from exhausting memory.
constexpr size_t MaxLineBytes = 1 << 20;
constexpr size_t MaxBlobBytes = size_t(1) << 30;
constexpr size_t MaxFields = 1 << 20;
/// Most kernel launches one request may describe (after `repeat` expansion).
constexpr size_t MaxLaunches = 100000;

//===----------------------------------------------------------------------===//
// Generic messages
//===----------------------------------------------------------------------===//

/// One line of a message: a key, named attributes in order, and an optional
/// block of bytes.
struct Field {
  std::string key;
  std::vector<std::pair<std::string, std::string>> attrs;
  bool hasBlob = false;
  std::string blob;

  Field() = default;
  explicit Field(std::string key) : key(std::move(key)) {}

  /// The value of attribute `name`, or nullptr.
  const std::string *get(std::string_view name) const;
  /// Appends an attribute (names must be unique within a field).
  Field &set(std::string name, std::string value);
  Field &setBlob(std::string bytes);
};

struct Message {
  /// `hello` (the worker's greeting), a request verb (`ping`, `device`,
  /// `compile`, `evaluate`, `calibrate`, `quit`) or `reply`.
  std::string kind;
  uint64_t id = 0;
  std::vector<Field> fields;

  Field &add(std::string key);
  /// The first field with this key, or nullptr.
  const Field *first(std::string_view key) const;
  std::vector<const Field *> all(std::string_view key) const;
};

std::string encode(const Message &message);

enum class DecodeStatus {
  /// A whole message was decoded; `consumed` bytes were used.
  Complete,
  /// The data ends inside a message; read more and try again.
  Incomplete,
  /// The data is not a message; `error` says why and where.
  Malformed,
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::Incomplete;
  size_t consumed = 0;
  std::string error;
};

/// Decodes the first message of `data`. Blank lines before `begin` are
/// skipped. Never reads past `data`.
DecodeResult decode(std::string_view data, Message &out);

/// Percent-encoding of attribute values (exposed for tests).
std::string escapeValue(std::string_view value);
bool unescapeValue(std::string_view text, std::string &out);

//===----------------------------------------------------------------------===//
// Typed requests and replies
//===----------------------------------------------------------------------===//

enum class ElementType {
  F16,
  BF16,
  F32,
  F64,
  I8,
  I16,
  I32,
  I64,
  U8,
  U16,
  U32,
  U64
};
const char *toString(ElementType type);
std::optional<ElementType> parseElementType(std::string_view text);
unsigned byteWidth(ElementType type);
bool isFloating(ElementType type);
bool isSigned(ElementType type);

enum class Role { In, Out, InOut };
const char *toString(Role role);
std::optional<Role> parseRole(std::string_view text);

enum class Distribution { Uniform, Normal, Constant, Iota, Zero };
const char *toString(Distribution dist);
std::optional<Distribution> parseDistribution(std::string_view text);

/// How a buffer is filled: uniform in [p0, p1], normal(mean p0, stddev p1),
/// constant p0, iota (0, 1, 2, ...), zero.
struct InitSpec {
  Distribution dist = Distribution::Uniform;
  double p0 = -1.0;
  double p1 = 1.0;
};

/// |got - want| <= atol + rtol * |want|, or bitwise equality when `exact`.
struct ToleranceSpec {
  double atol = 1e-5;
  double rtol = 1e-5;
  bool exact = false;
};

struct BufferSpec {
  std::string name;
  ElementType type = ElementType::F32;
  uint64_t count = 0;
  Role role = Role::In;
  InitSpec init;
  /// Used for outputs (role out or inout).
  ToleranceSpec tolerance;
};

struct ScalarSpec {
  std::string name;
  ElementType type = ElementType::I32;
  /// A decimal integer for integer types, a decimal or hex float (or inf,
  /// -inf, nan) for floating types.
  std::string value;
};

/// A kernel argument: a buffer or scalar by name, or (empty name) an
/// integer literal marshalled to the size of the kernel's parameter.
struct LaunchArg {
  std::string name;
  int64_t literal = 0;
};

struct LaunchSpec {
  /// A name expression NVRTC accepts (`saxpy`, `scale<float>`).
  std::string kernel;
  std::array<uint32_t, 3> grid = {1, 1, 1};
  std::array<uint32_t, 3> block = {1, 1, 1};
  uint32_t sharedBytes = 0;
  std::vector<LaunchArg> args;
};

struct ProgramSpec {
  /// Name used in NVRTC diagnostics, e.g. `candidate.cu`.
  std::string name;
  std::string source;
  /// NVRTC options; the worker adds the architecture and the toolkit's
  /// include directories.
  std::vector<std::string> options;
};

/// Adaptive timing: after `warmup` untimed runs, repeat until the relative
/// standard error of the mean is below `targetRse` with at least `minReps`
/// repetitions and `minTimeMs` of measured time, or until `maxReps` or
/// `maxTimeMs` of measured time.
struct TimingSpec {
  bool enabled = true;
  unsigned warmup = 2;
  unsigned minReps = 5;
  unsigned maxReps = 1000;
  double targetRse = 0.01;
  double minTimeMs = 20.0;
  double maxTimeMs = 3000.0;
};

/// An extra verification input set of extreme values (large and tiny
/// magnitudes, denormals, signed zeros, mixed signs) for floating-point
/// inputs whose init is random (uniform or normal); other buffers keep
/// their usual contents. Verified like a seed (reference twice, candidate
/// twice) after the random seeds.
struct ExtremeSpec {
  /// Seed of the pattern (which element gets which kind of value).
  uint64_t seed = 0;
  /// Largest magnitude used; 0: a default per element type (f16: 1e2,
  /// bf16 and f32: 1e4, f64: 1e8), chosen so that products and short sums
  /// stay finite while softmax-like code that skips its max subtraction
  /// overflows.
  double magnitude = 0;
};

struct CompileRequest {
  uint64_t id = 0;
  /// `sm_XX`; empty means the device's.
  std::string arch;
  ProgramSpec program;
  /// Name expressions to resolve (lowered names, and resources when a
  /// device is present).
  std::vector<std::string> kernels;
};

/// Verifies (and optionally times) a candidate against a reference on one
/// concrete shape.
struct EvaluateRequest {
  uint64_t id = 0;
  std::string arch;
  /// Human-readable name of the shape (`main`, `verify_shapes[0]`).
  std::string label;
  ProgramSpec reference;
  ProgramSpec candidate;
  std::vector<BufferSpec> buffers;
  std::vector<ScalarSpec> scalars;
  /// The launch sequence of the reference, and of the candidate unless
  /// `candidateLaunches` is given.
  std::vector<LaunchSpec> launches;
  /// The candidate's launch sequence when its geometry differs from the
  /// reference's (a rewrite changed the block shape, or gives each thread
  /// several elements and launches fewer blocks); empty: `launches`. When
  /// given it must have as many launches as `launches`, with the same kernel
  /// and the same arguments at each position: only grid, block and
  /// sharedBytes may differ (see validateCandidateLaunches).
  std::vector<LaunchSpec> candidateLaunches;
  /// At least two seeds.
  std::vector<uint64_t> seeds;
  TimingSpec timing;
  /// Verify on an extreme-value input set too (`extremes` field).
  std::optional<ExtremeSpec> extremes;
  /// After timing, profile one extra (untimed) run of each side with the
  /// hardware counters (`profile metrics=1`); needs timing to be enabled.
  bool profileMetrics = false;
};

/// The launches the candidate runs: `candidateLaunches`, or `launches`
/// when that is empty.
const std::vector<LaunchSpec> &
getCandidateLaunches(const EvaluateRequest &request);

/// Checks that `candidateLaunches` (if any) describes the same work as
/// `launches`: as many launches, the same kernel and the same arguments at
/// each position. On failure `error` says which launch differs and how.
bool validateCandidateLaunches(const EvaluateRequest &request,
                               std::string &error);

/// One measured FLOP rate to calibrate: `method` `fma` (a chain of
/// independent FMAs per thread, compiled with NVRTC: the CUDA-core peak a
/// hand-written kernel can reach) or `cublas` (an n x n x n GEMM through
/// cuBLAS on random inputs: f16 uses the tensor cores with FP32
/// accumulation). Precisions: f16, f32, f64.
struct FlopsSpec {
  std::string precision = "f32";
  std::string method = "fma";
  /// GEMM size (cublas only).
  uint64_t n = 8192;
  /// Measure again even if this rate is cached (the field's `force`; it
  /// applies to this rate only).
  bool force = false;
};

/// Whether `precision` is a FLOP calibration precision: f16, f32 or f64.
bool isFlopsPrecision(std::string_view precision);
/// Whether `method` is a FLOP calibration method: fma or cublas.
bool isFlopsMethod(std::string_view method);

struct CalibrateRequest {
  uint64_t id = 0;
  /// Measure the copy bandwidth (a `copy` field, or a request without
  /// fields).
  bool copy = true;
  /// Bytes of each of the two buffers of the device-to-device copy.
  uint64_t bytes = uint64_t(256) << 20;
  /// Measure the copy again even if a cached calibration exists (the `copy`
  /// field's `force`; each FLOP rate has its own, FlopsSpec::force).
  bool force = false;
  /// FLOP rates to measure (`flops` fields), each cached per device, driver
  /// version, precision, method and size.
  std::vector<FlopsSpec> flops;
};

enum class ErrorKind {
  BadRequest,
  NoDevice,
  CompileError,
  LaunchError,
  RuntimeError,
  OutOfMemory,
  /// Set by the parent: the request did not finish in time.
  Timeout,
  /// Set by the parent: the worker died before replying.
  Crashed,
  /// Set by the parent: the worker's reply could not be decoded.
  ProtocolError,
  Internal,
};
const char *toString(ErrorKind kind);
std::optional<ErrorKind> parseErrorKind(std::string_view text);

struct ReplyError {
  ErrorKind kind = ErrorKind::Internal;
  /// `reference`, `candidate` or empty.
  std::string program;
  /// CUDA error name (`CUDA_ERROR_ILLEGAL_ADDRESS`) where one applies.
  std::string cudaError;
  std::string message;
  /// Compiler log for compile errors.
  std::string log;
};

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  std::string arch;
  std::string uuid;
  int smCount = 0;
  uint64_t memoryBytes = 0;
  uint64_t l2Bytes = 0;
  int clockKHz = 0;
  int memoryClockKHz = 0;
  int busWidthBits = 0;
  /// From the memory clock and bus width; 0 when the driver reports none.
  double peakBandwidthGBs = 0;
  int driverVersion = 0;
  std::string nvrtcVersion;
  /// Buffers are placed against unmapped guard pages.
  bool guardPages = false;
};

struct CompileInfo {
  std::string program;
  bool cacheHit = false;
  double milliseconds = 0;
  /// Content hash (SHA-256, hex) the cubin is cached under.
  std::string hash;
  std::string cubinPath;
  uint64_t cubinBytes = 0;
  std::string log;
};

struct KernelResources {
  std::string program;
  std::string kernel;
  std::string lowered;
  /// -1 where unknown (no device).
  int registers = -1;
  int staticSharedBytes = -1;
  int localBytes = -1;
  int constBytes = -1;
  int maxThreadsPerBlock = -1;
  int parameters = -1;
};

struct Mismatch {
  uint64_t index = 0;
  std::string got;
  std::string want;
};

/// Comparison of one output of one run.
struct OutputCheck {
  std::string program;
  uint64_t seed = 0;
  unsigned run = 0;
  std::string output;
  /// What the run was compared with: `reference` or `run1`.
  std::string against;
  uint64_t count = 0;
  uint64_t mismatches = 0;
  /// Elements still holding the poison pattern written before the launch.
  uint64_t unwritten = 0;
  double maxAbsError = 0;
  double maxRelError = 0;
  double errorNorm = 0;
  double referenceNorm = 0;
  bool bitwiseEqual = false;
  std::vector<Mismatch> first;
};

/// A problem found while verifying. Kinds: mismatch, unwritten,
/// nondeterministic, input-modified, out-of-bounds-write, recheck-mismatch,
/// suspect-timing; with program=reference they make the reference invalid.
struct Finding {
  std::string program;
  std::string kind;
  uint64_t seed = 0;
  unsigned run = 0;
  std::string buffer;
  std::string message;
};

struct TimingStats {
  std::string program;
  unsigned reps = 0;
  double medianMs = 0;
  double p10Ms = 0;
  double p90Ms = 0;
  double meanMs = 0;
  double stddevMs = 0;
  double minMs = 0;
  /// Relative standard error of the mean.
  double rse = 0;
};

/// What the worker did to make the verdict trustworthy.
struct Integrity {
  std::vector<uint64_t> seeds;
  unsigned runsPerSeed = 0;
  bool poisoned = false;
  bool inputsChecked = false;
  std::string guard;
  bool referenceDeterministic = false;
  bool candidateDeterministic = false;
  unsigned rechecks = 0;
  uint64_t l2FlushBytes = 0;
  bool interleaved = false;
  /// The extreme-value input set was verified too.
  bool extremeInputs = false;
};

struct Calibration {
  uint64_t bytes = 0;
  double bandwidthGBs = 0;
  double medianMs = 0;
  unsigned reps = 0;
  bool cached = false;
};

/// Hardware counters of one side's launch sequence, collected with the
/// CUPTI range profiler on one extra untimed run (kernel replay, one range
/// per launch, summed). Unset members were not measured (the metric is not
/// available on this device).
struct ProfileMetrics {
  std::string program;
  /// Kernel launches (ranges) profiled.
  unsigned ranges = 0;
  std::optional<double> dramReadBytes;
  std::optional<double> dramWriteBytes;
  /// FLOPs by precision: add + mul + 2 * fma thread instructions (pred-on).
  /// f16 counts half instructions as executed (a packed HFMA2 counts once
  /// per thread, i.e. as 2 FLOPs, not 4).
  std::optional<double> flopsF16;
  std::optional<double> flopsF32;
  std::optional<double> flopsF64;
  /// sm__warps_active.avg.pct_of_peak_sustained_active (time-weighted over
  /// the launches).
  std::optional<double> achievedOccupancyPct;
  /// sm__throughput.avg.pct_of_peak_sustained_elapsed.
  std::optional<double> smThroughputPct;
  /// Tensor pipe utilisation, % of peak sustained active.
  std::optional<double> tensorPipePct;
  /// gpu__time_duration.sum of the profiled run (profiling overheads
  /// included: not a timing).
  std::optional<double> durationNs;
};

/// GPU clocks and state from NVML at one moment of an evaluation.
struct ClockSample {
  /// `before` (after warm-up, before the first timed repetition),
  /// `during` (aggregated over samples taken while timed launches ran:
  /// minimum clocks, maximum temperature and power, union of reasons) or
  /// `after` (after the last repetition).
  std::string phase;
  unsigned samples = 0;
  unsigned smMHz = 0;
  unsigned memoryMHz = 0;
  unsigned maxSmMHz = 0;
  unsigned temperatureC = 0;
  double powerW = 0;
  /// nvmlClocksEventReasons bit mask (0x4 software power cap, 0x8 hardware
  /// slowdown, 0x20 software thermal, 0x40 hardware thermal, 0x80 power
  /// brake, 0x1 idle, ...).
  uint64_t reasons = 0;
};

/// Reasons that mean the clocks were held down by power or temperature.
constexpr uint64_t ThrottleReasonsMask = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;
/// Names of the bits set in `reasons` (`sw-power-cap,hw-thermal`).
std::string describeClockReasons(uint64_t reasons);

/// Something the worker could not do and says so instead of inventing a
/// value: topic `profile` (no CUPTI, not permitted, failed), `clocks` (no
/// NVML), `extremes`, `flops`.
struct Note {
  std::string topic;
  std::string message;
};

/// One measured FLOP rate (`calibrate` with `flops`).
struct FlopsCalibration {
  std::string precision;
  std::string method;
  uint64_t n = 0;
  double gflops = 0;
  double medianMs = 0;
  unsigned reps = 0;
  bool cached = false;
};

/// The one reply type; which parts are filled depends on the request.
struct Reply {
  uint64_t id = 0;
  bool ok = true;
  std::optional<ReplyError> error;
  std::optional<DeviceInfo> device;
  std::vector<CompileInfo> compiles;
  std::vector<KernelResources> kernels;
  std::vector<OutputCheck> checks;
  std::vector<Finding> findings;
  /// Evaluate: `passed`, `failed` or `reference-invalid`; empty otherwise.
  std::string verdict;
  std::string verdictReason;
  std::vector<TimingStats> timings;
  std::optional<Integrity> integrity;
  std::optional<Calibration> calibration;
  std::vector<FlopsCalibration> flopsCalibrations;
  /// Evaluate with `profile metrics=1`: one per side that was profiled.
  std::vector<ProfileMetrics> metrics;
  /// Evaluate with timing: NVML samples around and during the timing.
  std::vector<ClockSample> clocks;
  std::vector<Note> notes;
};

/// The worker's greeting, sent once at start.
struct Hello {
  std::string version;
  int protocol = ProtocolVersion;
  int pid = 0;
};

Message toMessage(const CompileRequest &request);
Message toMessage(const EvaluateRequest &request);
Message toMessage(const CalibrateRequest &request);
Message toMessage(const Reply &reply);
Message toMessage(const Hello &hello);
/// A request without parameters (`ping`, `device`, `quit`).
Message makeSimpleRequest(std::string kind, uint64_t id);

/// Typed decoding; on failure `error` names the field and what is wrong.
bool fromMessage(const Message &message, CompileRequest &out,
                 std::string &error);
bool fromMessage(const Message &message, EvaluateRequest &out,
                 std::string &error);
bool fromMessage(const Message &message, CalibrateRequest &out,
                 std::string &error);
bool fromMessage(const Message &message, Reply &out, std::string &error);
bool fromMessage(const Message &message, Hello &out, std::string &error);

/// Shortest decimal text that reads back as the same double.
std::string formatDouble(double value);

} // namespace protocol
} // namespace cupilot

#endif // CUPILOT_RUNTIME_PROTOCOL_H
