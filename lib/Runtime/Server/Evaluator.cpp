//===- Evaluator.cpp - Verify and time one candidate on one shape ---------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The procedure, per seed:
//   reference: fresh guarded buffers; twice { upload inputs and inouts from
//     the pristine host copies, poison outputs (pattern A, then B), launch
//     the sequence, synchronize, download outputs, check inputs unchanged and
//     guard zones intact }; its outputs must be fully written and the same
//     (within tolerance) on both runs, else the reference is invalid.
//     Buffers are freed, so the answer is no longer in device memory.
//   candidate: the same on new buffers; both runs are compared with the
//     reference's outputs.
// Then, on the first seed's inputs, baseline (the reference) and candidate
// are timed interleaved, each repetition preceded by restoring inouts,
// poisoning outputs and flushing L2; the last repetition's outputs are
// compared with the reference again.
//
//===----------------------------------------------------------------------===//

#include "Evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::ErrorKind;
using protocol::Reply;
using protocol::ReplyError;
using protocol::Role;

namespace {

/// Source of the helper kernels the worker itself needs.
const char *const HelperSource = R"cuda(
extern "C" __global__ void cupilot_flush_l2(const int4 *__restrict__ data,
                                            unsigned long long n, int *sink) {
  int4 acc = make_int4(0, 0, 0, 0);
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x +
                              threadIdx.x;
       i < n; i += (unsigned long long)gridDim.x * blockDim.x) {
    int4 v = data[i];
    acc.x ^= v.x; acc.y ^= v.y; acc.z ^= v.z; acc.w ^= v.w;
  }
  if ((acc.x ^ acc.y ^ acc.z ^ acc.w) == 0x2c0ffee5)
    *sink = 1;
}
)cuda";

/// How one kernel argument is marshalled.
struct ArgBinding {
  /// Index into the request's buffers, or -1 for a value.
  int buffer = -1;
  uint64_t bits = 0;
};

struct PreparedLaunch {
  CUfunction function = nullptr;
  const protocol::LaunchSpec *spec = nullptr;
  std::vector<ArgBinding> args;
};

struct Side {
  const char *name;
  const protocol::ProgramSpec *spec;
  /// The launch sequence this side runs (the reference's `launches`, the
  /// candidate's `candidateLaunches` when given): same kernels and
  /// arguments, possibly another geometry.
  const std::vector<protocol::LaunchSpec> *launchSpecs;
  CompiledProgram compiled;
  LoadedProgram loaded;
  std::vector<PreparedLaunch> launches;
};

using BufferSet = std::vector<DeviceBuffer>;
/// Per buffer of the request; empty arrays for buffers a run does not keep.
using HostSet = std::vector<HostArray>;

struct RunningStats {
  std::vector<double> samples;
  double mean = 0, m2 = 0, total = 0;
  void add(double x) {
    samples.push_back(x);
    total += x;
    double delta = x - mean;
    mean += delta / samples.size();
    m2 += delta * (x - mean);
  }
  double stddev() const {
    return samples.size() > 1 ? std::sqrt(m2 / (samples.size() - 1)) : 0;
  }
  double rse() const {
    if (samples.size() < 2 || mean <= 0)
      return INFINITY;
    return stddev() / std::sqrt(double(samples.size())) / mean;
  }
};

double percentile(std::vector<double> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  if (sorted.empty())
    return 0;
  double rank = p * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

bool scalarBits(const protocol::ScalarSpec &scalar, uint64_t &bits) {
  bits = 0;
  const char *text = scalar.value.c_str();
  switch (scalar.type) {
  case protocol::ElementType::F16: {
    uint16_t h = floatToHalf(static_cast<float>(std::strtod(text, nullptr)));
    std::memcpy(&bits, &h, 2);
    return true;
  }
  case protocol::ElementType::BF16: {
    uint16_t h =
        floatToBfloat16(static_cast<float>(std::strtod(text, nullptr)));
    std::memcpy(&bits, &h, 2);
    return true;
  }
  case protocol::ElementType::F32: {
    float f = static_cast<float>(std::strtod(text, nullptr));
    std::memcpy(&bits, &f, 4);
    return true;
  }
  case protocol::ElementType::F64: {
    double d = std::strtod(text, nullptr);
    std::memcpy(&bits, &d, 8);
    return true;
  }
  default:
    break;
  }
  // Integers were range-checked when the request was decoded; the low bytes
  // of the two's complement value are the parameter's bytes.
  if (protocol::isSigned(scalar.type))
    bits = static_cast<uint64_t>(std::strtoll(text, nullptr, 10));
  else
    bits = std::strtoull(text, nullptr, 10);
  unsigned width = protocol::byteWidth(scalar.type);
  if (width < 8)
    bits &= (uint64_t(1) << (8 * width)) - 1;
  return true;
}

class Evaluation {
public:
  Evaluation(Device &device, Compiler &compiler,
             const protocol::EvaluateRequest &request, Reply &reply,
             Instruments instruments)
      : device(device), compiler(compiler), request(request), reply(reply),
        instruments(instruments),
        reference{"reference", &request.reference, &request.launches, {}, {},
                  {}},
        candidate{"candidate",
                  &request.candidate,
                  &protocol::getCandidateLaunches(request),
                  {},
                  {},
                  {}} {}

  ~Evaluation() {
    device.unload(reference.loaded);
    device.unload(candidate.loaded);
    device.unload(helperLoaded);
  }

  void run() {
    reply.device = device.info();
    // The decoder checked this; a request built in-process is checked here.
    std::string why;
    if (!protocol::validateCandidateLaunches(request, why)) {
      ReplyError error;
      error.kind = ErrorKind::BadRequest;
      error.message = why;
      setError(error, nullptr);
      return;
    }
    std::set<std::string> seen;
    for (const protocol::LaunchSpec &launch : request.launches)
      if (seen.insert(launch.kernel).second)
        kernels.push_back(launch.kernel);
    std::string arch = request.arch.empty() ? device.info().arch : request.arch;
    if (!prepare(reference, arch) || !prepare(candidate, arch))
      return;
    if (!checkMemory(false))
      return;
    integrity.seeds = request.seeds;
    integrity.runsPerSeed = 2;
    integrity.poisoned = true;
    integrity.inputsChecked = true;
    integrity.guard = device.info().guardPages ? "guard-pages" : "canaries";
    integrity.referenceDeterministic = true;
    integrity.candidateDeterministic = true;
    if (!verify())
      return;
    if (reply.verdict == "passed" && request.timing.enabled && !time())
      return;
    if (reply.verdict == "passed" && request.profileMetrics && !profile())
      return;
    reply.integrity = integrity;
  }

private:
  bool setError(ReplyError error, const char *program) {
    error.program = program ? program : "";
    reply.ok = false;
    reply.error = std::move(error);
    return false;
  }

  bool prepare(Side &side, const std::string &arch) {
    ReplyError error;
    if (!compiler.compile(*side.spec, arch, kernels, side.compiled, error))
      return setError(error, side.name);
    side.compiled.info.program = side.name;
    reply.compiles.push_back(side.compiled.info);
    if (!device.load(side.compiled, kernels, side.loaded, error))
      return setError(error, side.name);
    for (const std::string &kernel : kernels) {
      protocol::KernelResources resources =
          device.resources(side.loaded.functions[kernel]);
      resources.program = side.name;
      resources.kernel = kernel;
      resources.lowered = side.compiled.lowered[kernel];
      reply.kernels.push_back(resources);
    }
    for (const protocol::LaunchSpec &launch : *side.launchSpecs) {
      PreparedLaunch prepared;
      prepared.spec = &launch;
      prepared.function = side.loaded.functions[launch.kernel];
      if (!bindArguments(side, prepared, error))
        return setError(error, side.name);
      side.launches.push_back(std::move(prepared));
    }
    return true;
  }

  /// Checks the arguments against the kernel's parameters and computes the
  /// bytes of every value argument.
  bool bindArguments(Side &side, PreparedLaunch &launch, ReplyError &error) {
    const protocol::LaunchSpec &spec = *launch.spec;
    bool known = false;
    std::vector<size_t> sizes = device.parameterSizes(launch.function, known);
    std::string where = "kernel '" + spec.kernel + "' of the " + side.name;
    error.kind = ErrorKind::LaunchError;
    if (known && sizes.size() != spec.args.size()) {
      error.message = where + " has " + std::to_string(sizes.size()) +
                      " parameters but the task passes " +
                      std::to_string(spec.args.size()) + " arguments";
      return false;
    }
    for (size_t i = 0; i < spec.args.size(); ++i) {
      const protocol::LaunchArg &arg = spec.args[i];
      ArgBinding binding;
      size_t expected = known ? sizes[i] : 0;
      std::string param = "parameter " + std::to_string(i) + " of " + where;
      if (arg.name.empty()) {
        size_t width = known ? expected : 4;
        if (width != 1 && width != 2 && width != 4 && width != 8) {
          error.message = param + " takes " + std::to_string(width) +
                          " bytes; an integer literal cannot be passed";
          return false;
        }
        if (width < 8) {
          int64_t lo = -(int64_t(1) << (8 * width - 1));
          int64_t hi = (int64_t(1) << (8 * width)) - 1;
          if (arg.literal < lo || arg.literal > hi) {
            error.message = param + " takes " + std::to_string(width) +
                            " bytes; the value " + std::to_string(arg.literal) +
                            " does not fit";
            return false;
          }
        }
        binding.bits = static_cast<uint64_t>(arg.literal);
        if (width < 8)
          binding.bits &= (uint64_t(1) << (8 * width)) - 1;
      } else if (int index = findBuffer(arg.name); index >= 0) {
        if (known && expected != sizeof(CUdeviceptr)) {
          error.message = param + " takes " + std::to_string(expected) +
                          " bytes, but buffer '" + arg.name +
                          "' is passed as a pointer";
          return false;
        }
        binding.buffer = index;
      } else {
        const protocol::ScalarSpec *scalar = findScalar(arg.name);
        unsigned width = protocol::byteWidth(scalar->type);
        if (known && expected != width) {
          error.message = param + " takes " + std::to_string(expected) +
                          " bytes, but scalar '" + arg.name + "' is " +
                          protocol::toString(scalar->type) + " (" +
                          std::to_string(width) + " bytes)";
          return false;
        }
        scalarBits(*scalar, binding.bits);
      }
      launch.args.push_back(binding);
    }
    return true;
  }

  int findBuffer(const std::string &name) const {
    for (size_t i = 0; i < request.buffers.size(); ++i)
      if (request.buffers[i].name == name)
        return static_cast<int>(i);
    return -1;
  }
  const protocol::ScalarSpec *findScalar(const std::string &name) const {
    for (const protocol::ScalarSpec &scalar : request.scalars)
      if (scalar.name == name)
        return &scalar;
    return nullptr;
  }

  uint64_t bufferBytes(size_t index) const {
    const protocol::BufferSpec &b = request.buffers[index];
    return b.count * protocol::byteWidth(b.type);
  }

  /// Refuses work that would not fit in free device memory.
  bool checkMemory(bool timing) {
    size_t needed = 0;
    for (size_t i = 0; i < request.buffers.size(); ++i) {
      size_t one = device.footprint(bufferBytes(i));
      needed += one;
      if (timing)
        needed += one + (request.buffers[i].role == Role::InOut ? 2 * one : 0);
    }
    if (timing)
      needed += flushBytes();
    size_t available = device.freeMemory();
    if (needed > available / 10 * 9) {
      ReplyError error;
      error.kind = ErrorKind::OutOfMemory;
      error.message = std::string("the ") +
                      (timing ? "timing" : "verification") +
                      " of this shape needs " + std::to_string(needed >> 20) +
                      " MiB of device memory; " +
                      std::to_string(available >> 20) + " MiB are free";
      return setError(error, nullptr);
    }
    return true;
  }

  size_t flushBytes() const {
    size_t bytes = 2 * device.info().l2Bytes;
    bytes = std::max<size_t>(bytes, size_t(64) << 20);
    return (bytes + 15) / 16 * 16;
  }

  /// Allocates every buffer of the request (only the inout ones when
  /// `inOutOnly`; the others stay empty).
  bool allocate(BufferSet &set, bool inOutOnly = false) {
    set.resize(request.buffers.size());
    for (size_t i = 0; i < request.buffers.size(); ++i) {
      if (inOutOnly && request.buffers[i].role != Role::InOut)
        continue;
      ReplyError error;
      if (!device.allocate(bufferBytes(i), set[i], error)) {
        release(set);
        return setError(error, nullptr);
      }
    }
    return true;
  }
  void release(BufferSet &set) {
    for (DeviceBuffer &buffer : set)
      device.release(buffer);
    set.clear();
  }

  /// Enqueues the launch sequence of `side` on `set`.
  bool enqueue(Side &side, const BufferSet &set) {
    std::vector<uint64_t> storage;
    std::vector<void *> params;
    for (const PreparedLaunch &launch : side.launches) {
      storage.resize(launch.args.size());
      params.resize(launch.args.size());
      for (size_t i = 0; i < launch.args.size(); ++i) {
        const ArgBinding &arg = launch.args[i];
        storage[i] = arg.buffer >= 0
                         ? static_cast<uint64_t>(set[arg.buffer].ptr)
                         : arg.bits;
        params[i] = &storage[i];
      }
      ReplyError error;
      if (!device.launch(launch.function, launch.spec->grid.data(),
                         launch.spec->block.data(), launch.spec->sharedBytes,
                         params.empty() ? nullptr : params.data(), error)) {
        error.message =
            "kernel '" + launch.spec->kernel + "': " + error.message;
        return setError(error, side.name);
      }
    }
    return true;
  }

  bool synchronize(Side &side) {
    ReplyError error;
    if (!device.synchronize(error)) {
      error.message =
          "the " + std::string(side.name) + " failed: " + error.message;
      return setError(error, side.name);
    }
    return true;
  }

  /// Restores inputs from `pristine` and poisons outputs with `which`.
  bool resetBuffers(const BufferSet &set, const HostSet &pristine, int which) {
    for (size_t i = 0; i < request.buffers.size(); ++i) {
      ReplyError error;
      const protocol::BufferSpec &spec = request.buffers[i];
      bool ok =
          spec.role == Role::Out
              ? device.fill(set[i], poisonPattern(spec.type, which), error)
              : device.upload(set[i], pristine[i], error);
      if (!ok)
        return setError(error, nullptr);
    }
    return true;
  }

  void addFinding(const char *program, const std::string &kind, uint64_t seed,
                  unsigned run, const std::string &buffer,
                  const std::string &message) {
    reply.findings.push_back({program, kind, seed, run, buffer, message});
  }

  /// Runs `side` twice on fresh buffers, keeping its outputs per run and
  /// recording input-mutation and guard findings.
  bool runTwice(Side &side, uint64_t seed, const HostSet &pristine,
                std::vector<HostSet> &outputs) {
    BufferSet set;
    if (!allocate(set))
      return false;
    outputs.assign(2, HostSet(request.buffers.size()));
    for (unsigned run = 0; run < 2; ++run) {
      if (!resetBuffers(set, pristine, run) || !enqueue(side, set) ||
          !synchronize(side)) {
        release(set);
        return false;
      }
      for (size_t i = 0; i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &spec = request.buffers[i];
        ReplyError error;
        HostArray host(spec.type, spec.count);
        if (!device.download(set[i], host, error)) {
          release(set);
          return setError(error, side.name);
        }
        if (spec.role == Role::In) {
          if (host.bytes != pristine[i].bytes)
            addFinding(side.name, "input-modified", seed, run + 1, spec.name,
                       describeChange(spec, pristine[i], host, side.name));
        } else {
          outputs[run][i] = std::move(host);
        }
        bool intact = true;
        if (!device.checkCanaries(set[i], intact, error)) {
          release(set);
          return setError(error, side.name);
        }
        if (!intact)
          addFinding(side.name, "out-of-bounds-write", seed, run + 1, spec.name,
                     std::string("the ") + side.name +
                         " wrote outside buffer '" + spec.name +
                         "' (its guard zone changed)");
      }
    }
    release(set);
    return true;
  }

  std::string describeChange(const protocol::BufferSpec &spec,
                             const HostArray &before, const HostArray &after,
                             const char *program) {
    unsigned width = protocol::byteWidth(spec.type);
    uint64_t changed = 0, first = 0;
    for (uint64_t e = 0; e < spec.count; ++e)
      if (std::memcmp(before.bytes.data() + e * width,
                      after.bytes.data() + e * width, width) != 0)
        if (changed++ == 0)
          first = e;
    std::string text = std::string("the ") + program + " modified input '" +
                       spec.name + "' at " + std::to_string(changed) + " of " +
                       std::to_string(spec.count) + " elements (first at " +
                       std::to_string(first) + ": " + before.format(first) +
                       " -> " + after.format(first) + ")";
    if (std::string(program) == "reference")
      text += "; if the kernel writes it, declare it 'inout'";
    return text;
  }

  static std::string describeCheck(const protocol::OutputCheck &check) {
    std::string text = std::to_string(check.mismatches) + " of " +
                       std::to_string(check.count) + " elements";
    if (check.unwritten)
      text += " (" + std::to_string(check.unwritten) + " never written)";
    if (!check.first.empty()) {
      text += "; first at";
      for (size_t i = 0; i < check.first.size() && i < 3; ++i)
        text += std::string(i ? "," : "") + " [" +
                std::to_string(check.first[i].index) + "] got " +
                check.first[i].got + " want " + check.first[i].want;
    }
    text += "; max abs error " + protocol::formatDouble(check.maxAbsError) +
            ", max rel error " + protocol::formatDouble(check.maxRelError);
    return text;
  }

  void record(protocol::OutputCheck check, const char *program, uint64_t seed,
              unsigned run, const std::string &output, const char *against) {
    check.program = program;
    check.seed = seed;
    check.run = run;
    check.output = output;
    check.against = against;
    reply.checks.push_back(std::move(check));
  }

  /// Marks the findings from `first` on as found on the extreme-value set.
  void tagExtremeFindings(size_t first) {
    for (size_t f = first; f < reply.findings.size(); ++f)
      reply.findings[f].message += " [extreme-value inputs]";
  }

  bool verify() {
    // The random seeds, then the extreme-value set if asked for.
    size_t sets = request.seeds.size() + (request.extremes ? 1 : 0);
    for (size_t set = 0; set < sets; ++set) {
      bool extreme = set == request.seeds.size();
      uint64_t seed = extreme ? request.extremes->seed : request.seeds[set];
      size_t firstFinding = reply.findings.size();
      HostSet pristine(request.buffers.size());
      bool anyExtreme = false;
      for (size_t i = 0; i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &spec = request.buffers[i];
        if (spec.role == Role::Out)
          continue;
        pristine[i] = HostArray(spec.type, spec.count);
        if (extreme)
          anyExtreme |= fillExtreme(pristine[i], spec.init, seed, spec.name,
                                    request.extremes->magnitude);
        else
          fillInit(pristine[i], spec.init, seed, spec.name);
      }
      if (extreme && !anyExtreme) {
        reply.notes.push_back({"extremes",
                               "no extreme-value input set: the task has no "
                               "floating-point input with a random init"});
        break;
      }
      if (extreme)
        integrity.extremeInputs = true;

      std::vector<HostSet> referenceRuns;
      if (!runTwice(reference, seed, pristine, referenceRuns))
        return false;
      for (size_t i = 0; i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &spec = request.buffers[i];
        if (spec.role == Role::In)
          continue;
        const HostArray &run1 = referenceRuns[0][i];
        const HostArray &run2 = referenceRuns[1][i];
        if (spec.role == Role::Out) {
          uint64_t unwritten = 0, firstIndex = 0;
          for (uint64_t e = 0; e < spec.count; ++e)
            if (isPoison(run1, e, 0) || isPoison(run2, e, 1))
              if (unwritten++ == 0)
                firstIndex = e;
          if (unwritten)
            addFinding("reference", "unwritten", seed, 1, spec.name,
                       "the reference leaves " + std::to_string(unwritten) +
                           " of " + std::to_string(spec.count) +
                           " elements of output '" + spec.name +
                           "' unwritten (first at index " +
                           std::to_string(firstIndex) +
                           "); fix the kernel or the task's sizes");
        }
        CompareOptions options;
        options.tolerance = spec.tolerance;
        protocol::OutputCheck check = compare(run2, run1, options);
        integrity.referenceDeterministic &= check.bitwiseEqual;
        // Unwritten elements differ between runs (two poison patterns);
        // they were reported above.
        bool unwrittenReported = !reply.findings.empty() &&
                                 reply.findings.back().buffer == spec.name &&
                                 reply.findings.back().kind == "unwritten";
        if (check.mismatches && !unwrittenReported)
          addFinding("reference", "nondeterministic", seed, 2, spec.name,
                     "the reference is nondeterministic: run 2 differs from "
                     "run 1 in output '" +
                         spec.name + "' at " + describeCheck(check));
        record(check, "reference", seed, 2, spec.name, "run1");
      }
      if (!reply.findings.empty()) {
        if (extreme)
          tagExtremeFindings(firstFinding);
        reply.verdict = "reference-invalid";
        reply.verdictReason = reply.findings.front().kind;
        return true;
      }
      if (referenceOutputs.empty())
        firstPristine = pristine;
      referenceOutputs.push_back(std::move(referenceRuns[0]));

      std::vector<HostSet> candidateRuns;
      if (!runTwice(candidate, seed, pristine, candidateRuns))
        return false;
      for (size_t i = 0; i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &spec = request.buffers[i];
        if (spec.role == Role::In)
          continue;
        const HostArray &want = referenceOutputs.back()[i];
        protocol::OutputCheck checks[2];
        for (unsigned run = 0; run < 2; ++run) {
          CompareOptions options;
          options.tolerance = spec.tolerance;
          options.poison = spec.role == Role::Out ? int(run) : -1;
          checks[run] = compare(candidateRuns[run][i], want, options);
          record(checks[run], "candidate", seed, run + 1, spec.name,
                 "reference");
        }
        integrity.candidateDeterministic &=
            candidateRuns[0][i].bytes == candidateRuns[1][i].bytes;
        if (checks[0].mismatches)
          addFinding(
              "candidate", checks[0].unwritten ? "unwritten" : "mismatch", seed,
              1, spec.name,
              "output '" + spec.name +
                  "' differs from the reference "
                  "(seed " +
                  std::to_string(seed) + ") at " + describeCheck(checks[0]));
        else if (checks[1].mismatches)
          addFinding("candidate",
                     checks[1].unwritten ? "unwritten" : "nondeterministic",
                     seed, 2, spec.name,
                     "output '" + spec.name +
                         "' matched on run 1 but its "
                         "second run differs from the reference (seed " +
                         std::to_string(seed) + ") at " +
                         describeCheck(checks[1]));
      }
      if (!reply.findings.empty()) {
        if (extreme)
          tagExtremeFindings(firstFinding);
        reply.verdict = "failed";
        reply.verdictReason = reply.findings.front().kind;
        return true;
      }
    }
    reply.verdict = "passed";
    return true;
  }

  /// Everything one side needs for timing.
  struct TimedSide {
    Side *side;
    BufferSet buffers;
    BufferSet pristineInOut;
    RunningStats stats;
  };

  /// Compiles and loads the worker's helper kernels (once).
  bool loadHelpers() {
    if (helperLoaded.module)
      return true;
    ReplyError error;
    protocol::ProgramSpec helper;
    helper.name = "cupilot_helpers.cu";
    helper.source = HelperSource;
    CompiledProgram helperCompiled;
    std::vector<std::string> helperKernels = {"cupilot_flush_l2"};
    if (!compiler.compile(helper, device.info().arch, helperKernels,
                          helperCompiled, error) ||
        !device.load(helperCompiled, helperKernels, helperLoaded, error))
      return setError(error, nullptr);
    return true;
  }

  /// Enqueues a read of `flushBuffer` (max(2 x L2, 64 MiB)) so that L2
  /// holds clean lines of another buffer.
  bool flushL2(const DeviceBuffer &flushBuffer) {
    ReplyError error;
    CUfunction flush = helperLoaded.functions["cupilot_flush_l2"];
    CUdeviceptr data = flushBuffer.ptr;
    uint64_t flushCount = flushBuffer.bytes / 16;
    CUdeviceptr sink = flushBuffer.ptr; // Never written: the data is zero.
    void *flushParams[] = {&data, &flushCount, &sink};
    uint32_t flushGrid[3] = {
        static_cast<uint32_t>(std::max(1, device.info().smCount) * 4), 1, 1};
    uint32_t flushBlock[3] = {256, 1, 1};
    if (!device.launch(flush, flushGrid, flushBlock, 0, flushParams, error))
      return setError(error, nullptr);
    return true;
  }

  /// One NVML sample; the first failure becomes a note and stops sampling.
  bool sampleClocks(protocol::ClockSample &out) {
    if (!clocksAvailable)
      return false;
    std::string note;
    if (!instruments.nvml) {
      note = "clocks not recorded: NVML is not available to this worker";
    } else if (instruments.nvml->open(device.info().uuid, note) &&
               instruments.nvml->sample(out, note)) {
      if (!note.empty())
        reply.notes.push_back({"clocks", note});
      return true;
    }
    clocksAvailable = false;
    reply.notes.push_back({"clocks", note});
    return false;
  }

  bool time() {
    if (!checkMemory(true))
      return false;
    ReplyError error;
    if (!loadHelpers())
      return false;

    DeviceBuffer flushBuffer;
    size_t flushSize = flushBytes();
    integrity.l2FlushBytes = flushSize;
    integrity.interleaved = true;
    TimedSide sides[2] = {{&reference, {}, {}, {}}, {&candidate, {}, {}, {}}};
    auto cleanup = [&] {
      for (TimedSide &timed : sides) {
        release(timed.buffers);
        release(timed.pristineInOut);
      }
      device.release(flushBuffer);
    };
    if (!device.allocate(flushSize, flushBuffer, error) ||
        !device.fill(flushBuffer, {4, 0}, error)) {
      cleanup();
      return setError(error, nullptr);
    }
    for (TimedSide &timed : sides) {
      if (!allocate(timed.buffers) ||
          !allocate(timed.pristineInOut, /*inOutOnly=*/true) ||
          !resetBuffers(timed.buffers, firstPristine, 0)) {
        cleanup();
        return false;
      }
      for (size_t i = 0; i < request.buffers.size(); ++i)
        if (request.buffers[i].role == Role::InOut &&
            !device.upload(timed.pristineInOut[i], firstPristine[i], error)) {
          cleanup();
          return setError(error, nullptr);
        }
    }
    CUevent start = nullptr, stop = nullptr;
    const DriverApi &api = device.driver();
    api.EventCreate(&start, CU_EVENT_DEFAULT);
    api.EventCreate(&stop, CU_EVENT_DEFAULT);
    auto destroyEvents = [&] {
      if (!device.isLost()) {
        api.EventDestroy(start);
        api.EventDestroy(stop);
      }
    };

    // Clocks: sampled after the warm-up, while timed launches run (at most
    // every 20 ms, between enqueueing and waiting, so the GPU is busy) and
    // after the last repetition.
    protocol::ClockSample during;
    auto lastSample = std::chrono::steady_clock::time_point();
    bool sampling = false;

    // One repetition: restore inouts, poison outputs, flush L2, then time the
    // launch sequence with events. Returns the time in ms, or < 0 on error.
    auto repetition = [&](TimedSide &timed, int which) -> double {
      for (size_t i = 0; i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &spec = request.buffers[i];
        bool ok = true;
        if (spec.role == Role::Out)
          ok = device.fill(timed.buffers[i], poisonPattern(spec.type, which),
                           error);
        else if (spec.role == Role::InOut)
          ok = device.copy(timed.buffers[i], timed.pristineInOut[i], error);
        if (!ok) {
          setError(error, nullptr);
          return -1;
        }
      }
      if (!flushL2(flushBuffer))
        return -1;
      CUstream stream = device.getStream();
      CUresult result = api.EventRecord(start, stream);
      if (result != CUDA_SUCCESS) {
        device.fail(result, ErrorKind::Internal, "cannot record an event",
                    error);
        setError(error, nullptr);
        return -1;
      }
      if (!enqueue(*timed.side, timed.buffers))
        return -1;
      api.EventRecord(stop, stream);
      auto now = std::chrono::steady_clock::now();
      if (sampling && now - lastSample >= std::chrono::milliseconds(20)) {
        protocol::ClockSample sample;
        if (sampleClocks(sample))
          accumulateClockSample(during, sample);
        lastSample = now;
      }
      if (!synchronize(*timed.side))
        return -1;
      float ms = 0;
      api.EventElapsedTime(&ms, start, stop);
      return ms;
    };

    const protocol::TimingSpec &spec = request.timing;
    bool ok = true;
    for (unsigned w = 0; ok && w < spec.warmup; ++w)
      for (TimedSide &timed : sides)
        ok = ok && repetition(timed, 0) >= 0;
    if (ok) {
      protocol::ClockSample before;
      if (sampleClocks(before)) {
        before.phase = "before";
        reply.clocks.push_back(before);
      }
      sampling = true;
    }
    auto wallStart = std::chrono::steady_clock::now();
    double wallLimitMs = spec.maxTimeMs * 4 + 10000;
    for (unsigned rep = 0; ok; ++rep) {
      // Alternate the order (A B, B A, ...) so neither side always follows
      // the other.
      for (int k = 0; ok && k < 2; ++k) {
        TimedSide &timed = sides[(rep + k) % 2];
        double ms = repetition(timed, 0);
        ok = ms >= 0;
        if (ok)
          timed.stats.add(ms);
      }
      if (!ok)
        break;
      unsigned n = rep + 1;
      double wall = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - wallStart)
                        .count();
      bool precise = true;
      for (TimedSide &timed : sides)
        precise &= timed.stats.rse() <= spec.targetRse &&
                   timed.stats.total >= spec.minTimeMs;
      if (n >= spec.maxReps || (n >= spec.minReps && precise) ||
          sides[0].stats.total + sides[1].stats.total >= spec.maxTimeMs ||
          wall >= wallLimitMs)
        break;
    }
    sampling = false;
    if (ok) {
      if (during.samples)
        reply.clocks.push_back(during);
      protocol::ClockSample after;
      if (sampleClocks(after)) {
        after.phase = "after";
        reply.clocks.push_back(after);
      }
    }
    // The recheck: one more repetition of each side, indistinguishable from
    // the timed ones (other poison pattern), whose outputs are compared with
    // the reference.
    for (TimedSide &timed : sides) {
      if (!ok)
        break;
      double ms = repetition(timed, 1);
      ok = ms >= 0;
      if (!ok)
        break;
      timed.stats.add(ms);
      for (size_t i = 0; ok && i < request.buffers.size(); ++i) {
        const protocol::BufferSpec &b = request.buffers[i];
        if (b.role == Role::In)
          continue;
        HostArray got(b.type, b.count);
        if (!device.download(timed.buffers[i], got, error)) {
          setError(error, timed.side->name);
          ok = false;
          break;
        }
        CompareOptions options;
        options.tolerance = b.tolerance;
        options.poison = b.role == Role::Out ? 1 : -1;
        protocol::OutputCheck check =
            compare(got, referenceOutputs.front()[i], options);
        record(check, timed.side->name, request.seeds.front(), 3, b.name,
               "reference");
        ++integrity.rechecks;
        if (check.mismatches)
          addFinding(timed.side->name, "recheck-mismatch",
                     request.seeds.front(), 3, b.name,
                     "output '" + b.name +
                         "' of the repetition after timing "
                         "differs from the reference at " +
                         describeCheck(check));
      }
    }
    destroyEvents();
    cleanup();
    if (!ok)
      return false;

    for (TimedSide &timed : sides) {
      protocol::TimingStats stats;
      stats.program = timed.side->name;
      stats.reps = static_cast<unsigned>(timed.stats.samples.size());
      stats.medianMs = percentile(timed.stats.samples, 0.5);
      stats.p10Ms = percentile(timed.stats.samples, 0.1);
      stats.p90Ms = percentile(timed.stats.samples, 0.9);
      stats.meanMs = timed.stats.mean;
      stats.stddevMs = timed.stats.stddev();
      stats.minMs = *std::min_element(timed.stats.samples.begin(),
                                      timed.stats.samples.end());
      stats.rse = std::isfinite(timed.stats.rse()) ? timed.stats.rse() : 0;
      reply.timings.push_back(stats);
    }
    checkPlausibility(reply.timings.back());
    if (!reply.findings.empty()) {
      const protocol::Finding &first = reply.findings.front();
      reply.verdict =
          first.program == "reference" ? "reference-invalid" : "failed";
      reply.verdictReason = first.kind;
    }
    return true;
  }

  /// Every element of an `out` buffer is written (the poison check proves
  /// it), and at most L2's worth can still be in cache when the timing
  /// stops: the rest crossed the DRAM interface within the measured time.
  void checkPlausibility(const protocol::TimingStats &stats) {
    double peak = device.info().peakBandwidthGBs;
    if (peak <= 0)
      return;
    double outBytes = 0;
    for (size_t i = 0; i < request.buffers.size(); ++i)
      if (request.buffers[i].role == Role::Out)
        outBytes += bufferBytes(i);
    double mustMove = outBytes - double(device.info().l2Bytes);
    if (mustMove <= 0)
      return;
    double floorMs = mustMove / (peak * 1e9) * 1e3;
    if (stats.medianMs < 0.9 * floorMs)
      addFinding("candidate", "suspect-timing", request.seeds.front(), 0, "",
                 "the candidate's median time " +
                     protocol::formatDouble(stats.medianMs) +
                     " ms is below the " + protocol::formatDouble(floorMs) +
                     " ms needed to write its outputs at the device's peak "
                     "bandwidth of " +
                     protocol::formatDouble(peak) + " GB/s");
  }

  /// Collects the hardware counters of one extra, untimed run of each side
  /// on fresh buffers holding the first seed's inputs, after an L2 flush.
  /// Anything that keeps the profiler from working is a note, not an error;
  /// only a failure of the run itself (a fault) is an error.
  bool profile() {
    if (!instruments.profiler) {
      reply.notes.push_back(
          {"profile", "profiling not available: this worker has no profiler"});
      return true;
    }
    if (!loadHelpers())
      return false;
    ReplyError error;
    DeviceBuffer flushBuffer;
    if (!device.allocate(flushBytes(), flushBuffer, error) ||
        !device.fill(flushBuffer, {4, 0}, error)) {
      device.release(flushBuffer);
      return setError(error, nullptr);
    }
    bool ok = true;
    std::string lastNote;
    for (Side *side : {&reference, &candidate}) {
      BufferSet set;
      if (!allocate(set)) {
        ok = false;
        break;
      }
      auto prepare = [&] {
        return resetBuffers(set, firstPristine, 0) && flushL2(flushBuffer) &&
               synchronize(*side);
      };
      auto run = [&] { return enqueue(*side, set) && synchronize(*side); };
      protocol::ProfileMetrics metrics;
      std::string note;
      bool runFailed = false;
      bool measured = false;
      measured = instruments.profiler->profile(
          device, static_cast<unsigned>(side->launches.size()), prepare, run,
          metrics, note, runFailed);
      release(set);
      if (runFailed) {
        ok = false;
        break;
      }
      if (measured) {
        metrics.program = side->name;
        reply.metrics.push_back(std::move(metrics));
      }
      // One note per distinct message (the same reason applies to both
      // sides when the profiler is not permitted).
      if (!note.empty() && note != lastNote)
        reply.notes.push_back({"profile", note});
      lastNote = note;
    }
    device.release(flushBuffer);
    return ok;
  }

  Device &device;
  Compiler &compiler;
  const protocol::EvaluateRequest &request;
  Reply &reply;
  Instruments instruments;
  LoadedProgram helperLoaded;
  bool clocksAvailable = true;
  Side reference;
  Side candidate;
  std::vector<std::string> kernels;
  protocol::Integrity integrity;
  /// Outputs of the reference's first run, per seed.
  std::vector<HostSet> referenceOutputs;
  HostSet firstPristine;
};

} // namespace

void worker::evaluate(Device &device, Compiler &compiler,
                      const protocol::EvaluateRequest &request, Reply &reply,
                      Instruments instruments) {
  Evaluation evaluation(device, compiler, request, reply, instruments);
  evaluation.run();
}

void worker::calibrate(Device &device, const std::string &cacheDir,
                       const protocol::CalibrateRequest &request,
                       Reply &reply) {
  reply.device = device.info();
  std::string cachePath;
  if (!cacheDir.empty() && !device.info().uuid.empty())
    cachePath = cacheDir + "/calibration-" + device.info().uuid + "-" +
                std::to_string(request.bytes) + ".txt";
  if (!cachePath.empty() && !request.force) {
    std::ifstream in(cachePath);
    protocol::Calibration cached;
    if (in >> cached.bandwidthGBs >> cached.medianMs >> cached.reps) {
      cached.bytes = request.bytes;
      cached.cached = true;
      reply.calibration = cached;
      return;
    }
  }
  const DriverApi &api = device.driver();
  ReplyError error;
  auto failWith = [&](const ReplyError &e) {
    reply.ok = false;
    reply.error = e;
  };
  if (2 * request.bytes > device.freeMemory() / 10 * 9) {
    error.kind = ErrorKind::OutOfMemory;
    error.message = "a calibration copy of " +
                    std::to_string(request.bytes >> 20) +
                    " MiB does not fit in free device memory";
    return failWith(error);
  }
  DeviceBuffer from, to;
  if (!device.allocate(request.bytes, from, error) ||
      !device.allocate(request.bytes, to, error)) {
    device.release(from);
    return failWith(error);
  }
  device.fill(from, {4, 0x3f800000u}, error);
  CUevent start = nullptr, stop = nullptr;
  api.EventCreate(&start, CU_EVENT_DEFAULT);
  api.EventCreate(&stop, CU_EVENT_DEFAULT);
  CUstream stream = device.getStream();
  std::vector<double> samples;
  bool ok = true;
  for (int rep = 0; ok && rep < 23; ++rep) {
    CUresult result = api.EventRecord(start, stream);
    if (result == CUDA_SUCCESS)
      result = api.MemcpyDtoDAsync(to.ptr, from.ptr, request.bytes, stream);
    if (result == CUDA_SUCCESS)
      result = api.EventRecord(stop, stream);
    if (result == CUDA_SUCCESS)
      result = api.EventSynchronize(stop);
    float ms = 0;
    // An unmeasured sample (0 ms) would inflate the bandwidth.
    if (result == CUDA_SUCCESS)
      result = api.EventElapsedTime(&ms, start, stop);
    if (result != CUDA_SUCCESS) {
      device.fail(result, ErrorKind::RuntimeError, "calibration copy failed",
                  error);
      ok = false;
      break;
    }
    if (rep >= 3) // Warm-up.
      samples.push_back(ms);
  }
  if (!device.isLost()) {
    api.EventDestroy(start);
    api.EventDestroy(stop);
  }
  device.release(from);
  device.release(to);
  if (!ok)
    return failWith(error);
  protocol::Calibration calibration;
  calibration.bytes = request.bytes;
  calibration.reps = static_cast<unsigned>(samples.size());
  calibration.medianMs = percentile(samples, 0.5);
  // Bytes read plus bytes written.
  calibration.bandwidthGBs =
      2.0 * double(request.bytes) / (calibration.medianMs * 1e-3) / 1e9;
  reply.calibration = calibration;
  if (!cachePath.empty()) {
    std::ofstream out(cachePath);
    out << protocol::formatDouble(calibration.bandwidthGBs) << " "
        << protocol::formatDouble(calibration.medianMs) << " "
        << calibration.reps << "\n";
  }
}
