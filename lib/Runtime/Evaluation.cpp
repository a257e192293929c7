//===- Evaluation.cpp - Evaluating a variant of a task --------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Evaluation.h"

#include "cupilot/Support/Error.h"
#include "cupilot/Support/Expression.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace cupilot;
using protocol::ErrorKind;

llvm::StringRef cupilot::toString(Verdict verdict) {
  switch (verdict) {
  case Verdict::Passed:
    return "passed";
  case Verdict::Failed:
    return "failed";
  case Verdict::ReferenceInvalid:
    return "reference-invalid";
  case Verdict::PolicyViolation:
    return "policy-violation";
  case Verdict::CompileError:
    return "compile-error";
  case Verdict::LaunchError:
    return "launch-error";
  case Verdict::RuntimeError:
    return "runtime-error";
  case Verdict::Timeout:
    return "timeout";
  case Verdict::Crashed:
    return "crashed";
  case Verdict::OutOfMemory:
    return "out-of-memory";
  case Verdict::ProtocolError:
    return "protocol-error";
  }
  llvm_unreachable("unknown verdict");
}

//===----------------------------------------------------------------------===//
// Building requests
//===----------------------------------------------------------------------===//

static protocol::ElementType toElementType(DType dtype) {
  // The spellings are shared (f32, bf16, u64, ...).
  return *protocol::parseElementType(toString(dtype).str());
}

static std::string shapeLabel(size_t shape) {
  return shape == 0 ? "main"
                    : "verify_shapes[" + std::to_string(shape - 1) + "]";
}

namespace {
/// Evaluates task expressions, turning failures into InputErrors that say
/// which field of which shape is at fault.
class ShapeEvaluator {
public:
  ShapeEvaluator(const Task &task, size_t shape)
      : task(task), where(shape == 0 ? "" : " in " + shapeLabel(shape)) {}

  llvm::Expected<int64_t> integer(llvm::StringRef text,
                                  const ExprEnvironment &env,
                                  const llvm::Twine &what) {
    auto expr = Expression::parse(text);
    if (!expr)
      return fail(what, text, llvm::toString(expr.takeError()));
    auto value = expr->evaluateInt(env);
    if (!value)
      return fail(what, text, llvm::toString(value.takeError()));
    return *value;
  }

  llvm::Expected<double> real(llvm::StringRef text, const ExprEnvironment &env,
                              const llvm::Twine &what) {
    auto expr = Expression::parse(text);
    if (!expr)
      return fail(what, text, llvm::toString(expr.takeError()));
    auto value = expr->evaluateReal(env);
    if (!value)
      return fail(what, text, llvm::toString(value.takeError()));
    return *value;
  }

  llvm::Error fail(const llvm::Twine &what, llvm::StringRef text,
                   const std::string &why) {
    return makeError(ExitCode::InputError,
                     "task for kernel '{0}': {1} ('{2}'){3}: {4}", task.kernel,
                     what.str(), text, where, why);
  }

private:
  const Task &task;
  std::string where;
};
} // namespace

llvm::Expected<std::vector<std::pair<std::string, int64_t>>>
cupilot::evaluateShapeSizes(const Task &task, size_t shape) {
  if (shape > task.verifyShapes.size())
    return makeError(ExitCode::InternalError, "shape {0} does not exist",
                     shape);
  ShapeEvaluator eval(task, shape);
  std::vector<std::pair<std::string, int64_t>> values;
  ExprEnvironment env;
  for (const auto &[name, defaultText] : task.sizes) {
    llvm::StringRef text = defaultText;
    if (shape > 0)
      for (const auto &[overridden, value] : task.verifyShapes[shape - 1])
        if (overridden == name)
          text = value;
    auto value = eval.integer(text, env, "size '" + name + "'");
    if (!value)
      return value.takeError();
    env[name] = static_cast<double>(*value);
    values.emplace_back(name, *value);
  }
  return values;
}

/// Evaluates one launch's grid, block and dynamic shared memory for the
/// sizes in `sizes`; `env` receives the sizes and `block.x/y/z`, for the
/// launch's argument expressions.
static llvm::Expected<protocol::LaunchSpec>
evaluateGeometry(ShapeEvaluator &eval, const std::string &kernel,
                 const LaunchGeometry &geometry, const std::string &label,
                 const ExprEnvironment &sizes, ExprEnvironment &env) {
  static const char *const dims[3] = {"x", "y", "z"};
  protocol::LaunchSpec base;
  base.kernel = kernel;
  env = sizes;
  for (unsigned d = 0; d < 3; ++d) {
    auto block = eval.integer(geometry.block[d], sizes,
                              "block." + llvm::Twine(dims[d]) + " of " + label);
    if (!block)
      return block.takeError();
    if (*block < 1 || *block > 1024)
      return eval.fail("block." + llvm::Twine(dims[d]) + " of " + label,
                       geometry.block[d],
                       "is " + std::to_string(*block) + ", not in [1, 1024]");
    base.block[d] = static_cast<uint32_t>(*block);
    env[(llvm::Twine("block.") + dims[d]).str()] = static_cast<double>(*block);
  }
  for (unsigned d = 0; d < 3; ++d) {
    auto grid = eval.integer(geometry.grid[d], env,
                             "grid." + llvm::Twine(dims[d]) + " of " + label);
    if (!grid)
      return grid.takeError();
    if (*grid < 1 || *grid > INT32_MAX)
      return eval.fail("grid." + llvm::Twine(dims[d]) + " of " + label,
                       geometry.grid[d],
                       "is " + std::to_string(*grid) + ", out of range");
    base.grid[d] = static_cast<uint32_t>(*grid);
  }
  auto shared =
      eval.integer(geometry.sharedBytes, env, "shared_bytes of " + label);
  if (!shared)
    return shared.takeError();
  if (*shared < 0 || *shared > INT32_MAX)
    return eval.fail("shared_bytes of " + label, geometry.sharedBytes,
                     "is out of range");
  base.sharedBytes = static_cast<uint32_t>(*shared);
  return base;
}

/// A candidate task may change only the geometry of the task's launches.
static llvm::Error checkCandidateTask(const Task &task, const Task &candidate) {
  auto fail = [&](const llvm::Twine &why) {
    return makeError(ExitCode::InputError,
                     "candidate task for kernel '{0}': {1}; it may change "
                     "only grid, block and shared_bytes of the task's launches",
                     task.kernel, why.str());
  };
  if (candidate.launches.size() != task.launches.size())
    return fail("it has " + llvm::Twine(candidate.launches.size()) +
                " launches, the task " + llvm::Twine(task.launches.size()));
  for (size_t l = 0; l < task.launches.size(); ++l) {
    const LaunchSpec &mine = task.launches[l];
    const LaunchSpec &theirs = candidate.launches[l];
    std::string label = "launch " + std::to_string(l);
    if (theirs.kernel != mine.kernel)
      return fail(label + " runs kernel '" + theirs.kernel +
                  "', the task's runs '" + mine.kernel + "'");
    if (theirs.args != mine.args)
      return fail(label + " ('" + mine.kernel + "') has other arguments (" +
                  llvm::join(theirs.args, ", ") + " instead of " +
                  llvm::join(mine.args, ", ") + ")");
    if (theirs.repeat != mine.repeat || theirs.loopVar != mine.loopVar)
      return fail(label + " ('" + mine.kernel +
                  "') has another repeat or loop_var");
  }
  return llvm::Error::success();
}

llvm::Expected<protocol::EvaluateRequest> cupilot::buildEvaluateRequest(
    const Task &task, size_t shape, llvm::StringRef referenceSource,
    llvm::StringRef candidateSource, const EvaluateOptions &options) {
  if (shape > task.verifyShapes.size())
    return makeError(ExitCode::InternalError, "shape {0} does not exist",
                     shape);
  ShapeEvaluator eval(task, shape);
  protocol::EvaluateRequest request;
  request.arch = options.arch;
  request.label = shapeLabel(shape);
  request.reference = {options.referenceName, referenceSource.str(),
                       options.referenceOptions};
  request.candidate = {options.candidateName, candidateSource.str(),
                       options.candidateOptions};

  auto sizeValues = evaluateShapeSizes(task, shape);
  if (!sizeValues)
    return sizeValues.takeError();
  ExprEnvironment sizes;
  for (const auto &[name, value] : *sizeValues)
    sizes[name] = static_cast<double>(value);

  for (const ArgumentSpec &arg : task.arguments) {
    protocol::ElementType type = toElementType(arg.dtype);
    if (arg.kind == ArgKind::Scalar) {
      protocol::ScalarSpec scalar;
      scalar.name = arg.name;
      scalar.type = type;
      if (protocol::isFloating(type)) {
        auto value = eval.real(arg.value, sizes, "value of '" + arg.name + "'");
        if (!value)
          return value.takeError();
        scalar.value = protocol::formatDouble(*value);
      } else {
        auto value =
            eval.integer(arg.value, sizes, "value of '" + arg.name + "'");
        if (!value)
          return value.takeError();
        scalar.value = std::to_string(*value);
      }
      request.scalars.push_back(std::move(scalar));
      continue;
    }
    protocol::BufferSpec buffer;
    buffer.name = arg.name;
    buffer.type = type;
    auto count = eval.integer(arg.count, sizes, "count of '" + arg.name + "'");
    if (!count)
      return count.takeError();
    if (*count < 1)
      return eval.fail("count of '" + arg.name + "'", arg.count,
                       "is " + std::to_string(*count) +
                           "; a buffer needs at least one element");
    buffer.count = static_cast<uint64_t>(*count);
    buffer.role = arg.role == ArgRole::In    ? protocol::Role::In
                  : arg.role == ArgRole::Out ? protocol::Role::Out
                                             : protocol::Role::InOut;
    const InitSpec &init = arg.init;
    auto dist = protocol::parseDistribution(init.distribution);
    if (!dist)
      return eval.fail("init of '" + arg.name + "'", init.distribution,
                       "unknown distribution");
    buffer.init.dist = *dist;
    switch (*dist) {
    case protocol::Distribution::Uniform:
      buffer.init.p0 = init.min;
      buffer.init.p1 = init.max;
      break;
    case protocol::Distribution::Normal:
      buffer.init.p0 = init.mean;
      buffer.init.p1 = init.stddev;
      break;
    case protocol::Distribution::Constant:
      buffer.init.p0 = init.value;
      buffer.init.p1 = 0;
      break;
    default:
      buffer.init.p0 = buffer.init.p1 = 0;
      break;
    }
    const Tolerance &tol = arg.tolerance ? *arg.tolerance : task.tolerance;
    buffer.tolerance = {tol.atol, tol.rtol, tol.exact};
    request.buffers.push_back(std::move(buffer));
  }

  const Task *candidateTask =
      options.candidateTask ? &*options.candidateTask : nullptr;
  if (candidateTask)
    if (llvm::Error err = checkCandidateTask(task, *candidateTask))
      return std::move(err);

  for (size_t l = 0; l < task.launches.size(); ++l) {
    const LaunchSpec &launch = task.launches[l];
    std::string label =
        "launch " + std::to_string(l) + " ('" + launch.kernel + "')";
    ExprEnvironment env = sizes;
    auto base = evaluateGeometry(eval, launch.kernel, launch.geometry, label,
                                 sizes, env);
    if (!base)
      return base.takeError();
    // The candidate's geometry, evaluated the same way for the same sizes;
    // everything else of the launch is the task's.
    std::optional<protocol::LaunchSpec> candidateBase;
    ExprEnvironment candidateEnv = sizes;
    if (candidateTask) {
      auto geometry = evaluateGeometry(
          eval, launch.kernel, candidateTask->launches[l].geometry,
          "candidate " + label, sizes, candidateEnv);
      if (!geometry)
        return geometry.takeError();
      candidateBase = std::move(*geometry);
    }
    auto repeat = eval.integer(launch.repeat, sizes, "repeat of " + label);
    if (!repeat)
      return repeat.takeError();
    if (*repeat < 1 ||
        request.launches.size() + static_cast<uint64_t>(*repeat) >
            protocol::MaxLaunches)
      return eval.fail("repeat of " + label, launch.repeat,
                       "gives " + std::to_string(*repeat) +
                           " launches; a task may have 1 to " +
                           std::to_string(protocol::MaxLaunches));
    for (int64_t it = 0; it < *repeat; ++it) {
      protocol::LaunchSpec concrete = *base;
      if (!launch.loopVar.empty()) {
        env[launch.loopVar] = static_cast<double>(it);
        candidateEnv[launch.loopVar] = static_cast<double>(it);
      }
      for (size_t a = 0; a < launch.args.size(); ++a) {
        const std::string &text = launch.args[a];
        protocol::LaunchArg arg;
        if (llvm::any_of(task.arguments, [&](const ArgumentSpec &s) {
              return s.name == text;
            })) {
          arg.name = text;
        } else {
          std::string what =
              "argument " + std::to_string(a) + " of " + label +
              " (an expression is passed as an integer; declare a scalar "
              "argument for other types)";
          auto value = eval.integer(text, env, what);
          if (!value)
            return value.takeError();
          arg.literal = *value;
          // Both programs get the same arguments: one that depends on the
          // block shape cannot follow a candidate's other geometry.
          if (candidateBase) {
            auto candidateValue = eval.integer(text, candidateEnv, what);
            if (!candidateValue)
              return candidateValue.takeError();
            if (*candidateValue != *value)
              return eval.fail(
                  "argument " + std::to_string(a) + " of " + label, text,
                  "is " + std::to_string(*value) +
                      " with the task's geometry but " +
                      std::to_string(*candidateValue) +
                      " with the candidate's; reference and candidate get "
                      "the same arguments, so an argument may not depend on "
                      "the block shape");
          }
        }
        concrete.args.push_back(std::move(arg));
      }
      if (candidateBase) {
        protocol::LaunchSpec candidateLaunch = *candidateBase;
        candidateLaunch.args = concrete.args;
        request.candidateLaunches.push_back(std::move(candidateLaunch));
      }
      request.launches.push_back(std::move(concrete));
    }
  }

  unsigned seeds = std::max(2u, options.numSeeds);
  for (unsigned k = 0; k < seeds; ++k)
    request.seeds.push_back(task.seed + k);
  request.timing = options.timing;
  request.timing.enabled = options.time && shape == 0;
  // Counters of the main shape only: verify shapes are small by design.
  request.profileMetrics = options.profile && options.time && shape == 0;
  if (task.extremeInputs) {
    protocol::ExtremeSpec extremes;
    // A seed after the random ones, so the set differs from all of them.
    extremes.seed = task.seed + std::max(2u, options.numSeeds);
    extremes.magnitude = task.extremeMagnitude;
    request.extremes = extremes;
  }
  return request;
}

llvm::Expected<protocol::CompileRequest>
cupilot::buildCompileRequest(const Task &task, llvm::StringRef candidateSource,
                             const EvaluateOptions &options,
                             llvm::StringRef arch) {
  auto request = buildEvaluateRequest(task, 0, "", candidateSource, options);
  if (!request)
    return request.takeError();
  protocol::CompileRequest compile;
  compile.arch = options.arch.empty() ? arch.str() : options.arch;
  compile.program = std::move(request->candidate);
  // The worker resolves the kernels of the reference's launches in both
  // programs (the candidate launches the same kernels).
  std::set<std::string> seen;
  for (const protocol::LaunchSpec &launch : request->launches)
    if (seen.insert(launch.kernel).second)
      compile.kernels.push_back(launch.kernel);
  return compile;
}

//===----------------------------------------------------------------------===//
// Evaluating
//===----------------------------------------------------------------------===//

/// Options a strict precision policy forbids in the candidate.
static std::optional<std::string>
findPolicyViolation(const Task &task, const EvaluateOptions &options) {
  if (task.precision == PrecisionPolicy::AllowReducedPrecision)
    return std::nullopt;
  for (const std::string &option : options.candidateOptions) {
    llvm::StringRef text(option);
    text = text.ltrim('-');
    if (text == "use_fast_math" || text == "ftz=true" ||
        text == "prec-div=false" || text == "prec-sqrt=false" ||
        text == "extra-device-vectorization=false")
      return "compile option '" + option +
             "' is not allowed by precision "
             "policy '" +
             toString(task.precision).str() + "'";
  }
  return std::nullopt;
}

static std::string describeFault(llvm::StringRef cudaError) {
  return llvm::StringSwitch<std::string>(cudaError)
      .Case("CUDA_ERROR_ILLEGAL_ADDRESS", "illegal address")
      .Case("CUDA_ERROR_LAUNCH_FAILED", "trap or unspecified launch failure")
      .Case("CUDA_ERROR_ASSERT", "device-side assert")
      .Case("CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address")
      .Case("CUDA_ERROR_ILLEGAL_INSTRUCTION", "illegal instruction")
      .Case("CUDA_ERROR_LAUNCH_TIMEOUT", "launch timeout")
      .Default(cudaError.empty() ? "kernel fault" : cudaError.str());
}

/// Records a failed request in `result`; NoDevice and BadRequest become
/// errors of the evaluation itself.
static llvm::Error recordError(EvaluationResult &result,
                               const protocol::ReplyError &error) {
  result.message = error.message;
  if (!error.log.empty())
    result.message += "\n" + error.log;
  switch (error.kind) {
  case ErrorKind::NoDevice:
    return makeError(ExitCode::NoDevice, "{0}", error.message);
  case ErrorKind::BadRequest:
  case ErrorKind::Internal:
    return makeError(ExitCode::InternalError,
                     "the worker refused the request: {0}", error.message);
  case ErrorKind::CompileError:
    result.verdict = Verdict::CompileError;
    result.reason = "compile error";
    break;
  case ErrorKind::LaunchError:
    result.verdict = Verdict::LaunchError;
    result.reason = "launch refused";
    break;
  case ErrorKind::RuntimeError:
    result.verdict = Verdict::RuntimeError;
    result.reason = describeFault(error.cudaError);
    break;
  case ErrorKind::OutOfMemory:
    result.verdict = Verdict::OutOfMemory;
    result.reason = "out of device memory";
    break;
  case ErrorKind::Timeout:
    result.verdict = Verdict::Timeout;
    result.reason = "timeout";
    break;
  case ErrorKind::Crashed:
    result.verdict = Verdict::Crashed;
    result.reason = "worker crashed";
    break;
  case ErrorKind::ProtocolError:
    result.verdict = Verdict::ProtocolError;
    result.reason = "protocol error";
    break;
  }
  // A broken reference makes the task unusable, whatever the candidate does.
  if (error.program == "reference" && (error.kind == ErrorKind::CompileError ||
                                       error.kind == ErrorKind::LaunchError ||
                                       error.kind == ErrorKind::RuntimeError)) {
    result.reason =
        "reference " + toString(result.verdict).str() + ": " + result.reason;
    result.verdict = Verdict::ReferenceInvalid;
  }
  return llvm::Error::success();
}

llvm::Expected<EvaluationResult> cupilot::evaluateTask(
    Worker &worker, const Task &task, llvm::StringRef referenceSource,
    llvm::StringRef candidateSource, const EvaluateOptions &options) {
  EvaluationResult result;
  if (auto violation = findPolicyViolation(task, options)) {
    result.verdict = Verdict::PolicyViolation;
    result.reason = "precision policy";
    result.message = *violation;
    return result;
  }
  unsigned restartsBefore = worker.getRestarts();
  // Verify shapes first: they are cheap and stop a wrong variant early; the
  // main shape, verified and timed, last.
  std::vector<size_t> order;
  for (size_t i = 1; i <= task.verifyShapes.size(); ++i)
    order.push_back(i);
  order.push_back(0);
  for (size_t shape : order) {
    auto request = buildEvaluateRequest(task, shape, referenceSource,
                                        candidateSource, options);
    if (!request)
      return request.takeError();
    auto reply = worker.call(protocol::toMessage(*request), options.timeout);
    if (!reply)
      return reply.takeError();
    result.workerRestarts = worker.getRestarts() - restartsBefore;
    ShapeResult shapeResult;
    shapeResult.label = request->label;
    auto sizes = evaluateShapeSizes(task, shape);
    if (!sizes)
      return sizes.takeError();
    shapeResult.sizes = std::move(*sizes);
    shapeResult.reply = std::move(*reply);
    result.shapes.push_back(std::move(shapeResult));
    const protocol::Reply &r = result.shapes.back().reply;
    if (r.device)
      result.device = r.device;
    if (!r.kernels.empty())
      result.resources = r.kernels;
    for (const protocol::Note &note : r.notes) {
      bool seen = false;
      for (const protocol::Note &other : result.notes)
        seen |= other.topic == note.topic && other.message == note.message;
      if (!seen)
        result.notes.push_back(note);
    }
    if (!r.ok) {
      if (llvm::Error err = recordError(result, *r.error))
        return std::move(err);
      return result;
    }
    if (r.verdict != "passed") {
      result.verdict = r.verdict == "reference-invalid"
                           ? Verdict::ReferenceInvalid
                           : Verdict::Failed;
      result.reason = r.verdictReason;
      if (!r.findings.empty())
        result.message = r.findings.front().message;
      if (shape != 0)
        result.message += " [" + request->label + "]";
      return result;
    }
    if (shape != 0)
      continue;
    result.integrity = r.integrity;
    for (const protocol::TimingStats &t : r.timings) {
      if (t.program == "reference")
        result.baseline = t;
      else if (t.program == "candidate")
        result.candidate = t;
    }
    for (const protocol::BufferSpec &b : request->buffers)
      result.bufferBytes += b.count * protocol::byteWidth(b.type);
    if (result.baseline && result.candidate && result.candidate->medianMs > 0) {
      result.speedup = result.baseline->medianMs / result.candidate->medianMs;
      result.candidateBandwidthGBs = double(result.bufferBytes) /
                                     (result.candidate->medianMs * 1e-3) / 1e9;
    }
    for (const protocol::ProfileMetrics &m : r.metrics) {
      if (m.program == "reference")
        result.baselineMetrics = m;
      else if (m.program == "candidate")
        result.candidateMetrics = m;
    }
    result.clocks = r.clocks;
    for (const protocol::ClockSample &c : r.clocks)
      result.throttled |= (c.reasons & protocol::ThrottleReasonsMask) != 0;
    if (options.peaks) {
      if (result.baseline)
        result.baselineRoofline = placeOnRoofline(
            result.baseline->medianMs,
            result.baselineMetrics ? &*result.baselineMetrics : nullptr,
            std::nullopt, double(result.bufferBytes), *options.peaks);
      if (result.candidate)
        result.candidateRoofline = placeOnRoofline(
            result.candidate->medianMs,
            result.candidateMetrics ? &*result.candidateMetrics : nullptr,
            std::nullopt, double(result.bufferBytes), *options.peaks);
    }
  }
  return result;
}

std::optional<RooflinePoint>
cupilot::placeOnRoofline(double timeMs,
                         const protocol::ProfileMetrics *measured,
                         std::optional<double> staticFlops, double staticBytes,
                         const DevicePeaks &peaks) {
  if (!(timeMs > 0) || !(peaks.bandwidthGBs > 0))
    return std::nullopt;
  RooflinePoint point;
  point.timeMs = timeMs;
  point.precision = "f32";
  bool haveMeasured =
      measured && measured->dramReadBytes && measured->dramWriteBytes &&
      (measured->flopsF16 || measured->flopsF32 || measured->flopsF64);
  if (haveMeasured) {
    point.source = "measured";
    point.bytes = *measured->dramReadBytes + *measured->dramWriteBytes;
    // A precision is named only for FLOPs it did; none at all is f32.
    double most = 0, total = 0;
    for (const auto &[name, value] :
         {std::pair<const char *, std::optional<double>>{"f16",
                                                         measured->flopsF16},
          {"f32", measured->flopsF32},
          {"f64", measured->flopsF64}}) {
      if (!value)
        continue;
      total += *value;
      if (*value > most) {
        most = *value;
        point.precision = name;
      }
    }
    point.flops = total;
  } else {
    point.source = "static";
    point.bytes = staticBytes;
    point.flops = staticFlops;
  }
  if (!(point.bytes > 0))
    return std::nullopt;
  double seconds = timeMs * 1e-3;
  point.bandwidthGBs = point.bytes / seconds / 1e9;
  double memoryPct = 100.0 * point.bandwidthGBs / peaks.bandwidthGBs;
  auto roof = peaks.gflops.find(point.precision);
  double computePeak = roof == peaks.gflops.end() ? 0 : roof->second;
  if (point.flops && *point.flops > 0) {
    point.gflops = *point.flops / seconds / 1e9;
    point.intensity = *point.flops / point.bytes;
  }
  if (point.gflops && computePeak > 0) {
    // Below the ridge (intensity < peak FLOP/s / peak bytes/s) the memory
    // roof is the lower one and applies.
    double ridge = computePeak / peaks.bandwidthGBs;
    if (*point.intensity < ridge) {
      point.bound = "memory";
      point.percentOfCeiling = memoryPct;
    } else {
      point.bound = "compute";
      point.percentOfCeiling = 100.0 * *point.gflops / computePeak;
    }
  } else {
    point.bound = "memory";
    point.percentOfCeiling = memoryPct;
  }
  if (point.percentOfCeiling < 10)
    point.bound = "latency";
  return point;
}

llvm::Expected<EvaluationResult>
cupilot::evaluateTask(const Task &task, llvm::StringRef referenceSource,
                      llvm::StringRef candidateSource,
                      const EvaluateOptions &options) {
  auto worker = Worker::start(options.worker);
  if (!worker)
    return worker.takeError();
  return evaluateTask(**worker, task, referenceSource, candidateSource,
                      options);
}

llvm::Expected<protocol::Calibration>
cupilot::calibrateBandwidth(Worker &worker, uint64_t bytes,
                            std::chrono::milliseconds timeout, bool force) {
  protocol::CalibrateRequest request;
  request.bytes = bytes;
  request.force = force;
  auto reply = worker.call(protocol::toMessage(request), timeout);
  if (!reply)
    return reply.takeError();
  if (!reply->ok)
    return makeError(reply->error->kind == ErrorKind::NoDevice
                         ? ExitCode::NoDevice
                         : ExitCode::InternalError,
                     "calibration failed: {0}", reply->error->message);
  if (!reply->calibration)
    return makeError(ExitCode::InternalError,
                     "the worker's calibration reply has no result");
  return *reply->calibration;
}

llvm::Expected<std::vector<protocol::FlopsCalibration>>
cupilot::calibrateFlops(Worker &worker,
                        const std::vector<protocol::FlopsSpec> &specs,
                        std::chrono::milliseconds timeout, bool force,
                        std::vector<protocol::Note> *notes) {
  protocol::CalibrateRequest request;
  request.copy = false;
  request.flops = specs;
  for (protocol::FlopsSpec &spec : request.flops)
    spec.force |= force;
  if (specs.empty())
    return std::vector<protocol::FlopsCalibration>();
  auto reply = worker.call(protocol::toMessage(request), timeout);
  if (!reply)
    return reply.takeError();
  if (!reply->ok)
    return makeError(reply->error->kind == ErrorKind::NoDevice
                         ? ExitCode::NoDevice
                         : ExitCode::InternalError,
                     "FLOP calibration failed: {0}", reply->error->message);
  if (notes)
    notes->insert(notes->end(), reply->notes.begin(), reply->notes.end());
  return reply->flopsCalibrations;
}

llvm::Expected<protocol::DeviceInfo>
cupilot::queryDevice(Worker &worker, std::chrono::milliseconds timeout) {
  auto reply = worker.call(protocol::makeSimpleRequest("device", 0), timeout);
  if (!reply)
    return reply.takeError();
  if (!reply->ok)
    return makeError(reply->error->kind == ErrorKind::NoDevice
                         ? ExitCode::NoDevice
                         : ExitCode::InternalError,
                     "{0}", reply->error->message);
  if (!reply->device)
    return makeError(ExitCode::InternalError,
                     "the worker's device reply has no device");
  return *reply->device;
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

static llvm::json::Value toJSON(const protocol::TimingStats &t) {
  return llvm::json::Object{{"reps", t.reps},      {"median_ms", t.medianMs},
                            {"p10_ms", t.p10Ms},   {"p90_ms", t.p90Ms},
                            {"mean_ms", t.meanMs}, {"stddev_ms", t.stddevMs},
                            {"min_ms", t.minMs},   {"rse", t.rse}};
}

llvm::json::Value cupilot::toJSON(const EvaluationResult &result) {
  llvm::json::Object out{{"verdict", toString(result.verdict)},
                         {"reason", result.reason},
                         {"message", result.message},
                         {"worker_restarts", result.workerRestarts}};
  if (result.device) {
    const protocol::DeviceInfo &d = *result.device;
    out["device"] = llvm::json::Object{
        {"name", d.name},
        {"arch", d.arch},
        {"sms", d.smCount},
        {"memory_bytes", static_cast<int64_t>(d.memoryBytes)},
        {"l2_bytes", static_cast<int64_t>(d.l2Bytes)},
        {"peak_bandwidth_gbs", d.peakBandwidthGBs},
        {"driver_version", d.driverVersion},
        {"nvrtc", d.nvrtcVersion},
        {"guard_pages", d.guardPages}};
  }
  if (result.baseline)
    out["baseline"] = ::toJSON(*result.baseline);
  if (result.candidate)
    out["candidate"] = ::toJSON(*result.candidate);
  if (result.speedup > 0)
    out["speedup"] = result.speedup;
  out["buffer_bytes"] = static_cast<int64_t>(result.bufferBytes);
  if (result.candidateBandwidthGBs > 0)
    out["candidate_bandwidth_gbs"] = result.candidateBandwidthGBs;
  llvm::json::Array resources;
  for (const protocol::KernelResources &k : result.resources)
    resources.push_back(
        llvm::json::Object{{"program", k.program},
                           {"kernel", k.kernel},
                           {"lowered", k.lowered},
                           {"registers", k.registers},
                           {"static_shared_bytes", k.staticSharedBytes},
                           {"local_bytes", k.localBytes},
                           {"const_bytes", k.constBytes},
                           {"max_threads_per_block", k.maxThreadsPerBlock}});
  out["resources"] = std::move(resources);
  llvm::json::Array shapes;
  for (const ShapeResult &shape : result.shapes) {
    llvm::json::Object sizes;
    for (const auto &[name, value] : shape.sizes)
      sizes[name] = value;
    llvm::json::Array findings;
    for (const protocol::Finding &f : shape.reply.findings)
      findings.push_back(
          llvm::json::Object{{"program", f.program},
                             {"kind", f.kind},
                             {"seed", static_cast<int64_t>(f.seed)},
                             {"run", f.run},
                             {"buffer", f.buffer},
                             {"message", f.message}});
    llvm::json::Array checks;
    for (const protocol::OutputCheck &c : shape.reply.checks) {
      llvm::json::Array first;
      for (const protocol::Mismatch &m : c.first)
        first.push_back(
            llvm::json::Object{{"index", static_cast<int64_t>(m.index)},
                               {"got", m.got},
                               {"want", m.want}});
      checks.push_back(
          llvm::json::Object{{"program", c.program},
                             {"seed", static_cast<int64_t>(c.seed)},
                             {"run", c.run},
                             {"output", c.output},
                             {"against", c.against},
                             {"count", static_cast<int64_t>(c.count)},
                             {"mismatches", static_cast<int64_t>(c.mismatches)},
                             {"unwritten", static_cast<int64_t>(c.unwritten)},
                             {"max_abs_error", c.maxAbsError},
                             {"max_rel_error", c.maxRelError},
                             {"error_norm", c.errorNorm},
                             {"reference_norm", c.referenceNorm},
                             {"bitwise_equal", c.bitwiseEqual},
                             {"first", std::move(first)}});
    }
    llvm::json::Object entry{{"label", shape.label},
                             {"sizes", std::move(sizes)},
                             {"verdict", shape.reply.ok ? shape.reply.verdict
                                                        : std::string("error")},
                             {"findings", std::move(findings)},
                             {"checks", std::move(checks)}};
    if (shape.reply.error)
      entry["error"] = llvm::json::Object{
          {"kind", protocol::toString(shape.reply.error->kind)},
          {"program", shape.reply.error->program},
          {"cuda_error", shape.reply.error->cudaError},
          {"message", shape.reply.error->message},
          {"log", shape.reply.error->log}};
    shapes.push_back(std::move(entry));
  }
  out["shapes"] = std::move(shapes);
  auto metricsJSON = [](const protocol::ProfileMetrics &m) {
    llvm::json::Object o{{"ranges", m.ranges}};
    auto put = [&](const char *key, const std::optional<double> &v) {
      o[key] = v ? llvm::json::Value(*v) : llvm::json::Value(nullptr);
    };
    put("dram_read_bytes", m.dramReadBytes);
    put("dram_write_bytes", m.dramWriteBytes);
    put("flops_f16", m.flopsF16);
    put("flops_f32", m.flopsF32);
    put("flops_f64", m.flopsF64);
    put("achieved_occupancy_pct", m.achievedOccupancyPct);
    put("sm_throughput_pct", m.smThroughputPct);
    put("tensor_pipe_pct", m.tensorPipePct);
    put("profiled_duration_ns", m.durationNs);
    return o;
  };
  if (result.baselineMetrics || result.candidateMetrics) {
    llvm::json::Object metrics;
    if (result.baselineMetrics)
      metrics["baseline"] = metricsJSON(*result.baselineMetrics);
    if (result.candidateMetrics)
      metrics["candidate"] = metricsJSON(*result.candidateMetrics);
    out["metrics"] = std::move(metrics);
  }
  auto rooflineJSON = [](const RooflinePoint &p) {
    llvm::json::Object o{{"source", p.source},
                         {"time_ms", p.timeMs},
                         {"bytes", p.bytes},
                         {"precision", p.precision},
                         {"bandwidth_gbs", p.bandwidthGBs},
                         {"bound", p.bound},
                         {"percent_of_ceiling", p.percentOfCeiling}};
    o["flops"] = p.flops ? llvm::json::Value(*p.flops) : nullptr;
    o["gflops"] = p.gflops ? llvm::json::Value(*p.gflops) : nullptr;
    o["intensity"] = p.intensity ? llvm::json::Value(*p.intensity) : nullptr;
    return o;
  };
  if (result.baselineRoofline || result.candidateRoofline) {
    llvm::json::Object roofline;
    if (result.baselineRoofline)
      roofline["baseline"] = rooflineJSON(*result.baselineRoofline);
    if (result.candidateRoofline)
      roofline["candidate"] = rooflineJSON(*result.candidateRoofline);
    out["roofline"] = std::move(roofline);
  }
  if (!result.clocks.empty()) {
    llvm::json::Array clocks;
    for (const protocol::ClockSample &c : result.clocks)
      clocks.push_back(llvm::json::Object{
          {"phase", c.phase},
          {"samples", c.samples},
          {"sm_mhz", c.smMHz},
          {"memory_mhz", c.memoryMHz},
          {"max_sm_mhz", c.maxSmMHz},
          {"temperature_c", c.temperatureC},
          {"power_w", c.powerW},
          {"reasons", static_cast<int64_t>(c.reasons)},
          {"reasons_text", protocol::describeClockReasons(c.reasons)}});
    out["clocks"] = std::move(clocks);
  }
  out["throttled"] = result.throttled;
  llvm::json::Array notes;
  for (const protocol::Note &n : result.notes)
    notes.push_back(
        llvm::json::Object{{"topic", n.topic}, {"message", n.message}});
  out["notes"] = std::move(notes);
  if (result.integrity) {
    const protocol::Integrity &i = *result.integrity;
    llvm::json::Array seeds;
    for (uint64_t seed : i.seeds)
      seeds.push_back(static_cast<int64_t>(seed));
    out["integrity"] = llvm::json::Object{
        {"seeds", std::move(seeds)},
        {"shapes_verified", static_cast<int64_t>(result.shapes.size())},
        {"runs_per_seed", i.runsPerSeed},
        {"outputs_poisoned", i.poisoned},
        {"inputs_checked", i.inputsChecked},
        {"guard", i.guard},
        {"reference_deterministic", i.referenceDeterministic},
        {"candidate_deterministic", i.candidateDeterministic},
        {"rechecks", i.rechecks},
        {"l2_flush_bytes", static_cast<int64_t>(i.l2FlushBytes)},
        {"interleaved", i.interleaved},
        {"extreme_inputs", i.extremeInputs}};
  }
  return out;
}

void cupilot::printEvaluation(llvm::raw_ostream &os,
                              const EvaluationResult &result) {
  os << "verdict:    " << toString(result.verdict);
  if (!result.reason.empty())
    os << " (" << result.reason << ")";
  os << "\n";
  if (!result.message.empty()) {
    llvm::SmallVector<llvm::StringRef, 8> lines;
    llvm::StringRef(result.message).split(lines, '\n');
    os << "message:    " << lines.front() << "\n";
    // The first error of a compiler log says most.
    for (llvm::StringRef line : llvm::ArrayRef(lines).drop_front())
      if (line.contains("error")) {
        os << "detail:     " << line.trim() << "\n";
        break;
      }
  }
  os << "shapes:    ";
  for (const ShapeResult &shape : result.shapes) {
    os << " " << shape.label << " (";
    for (size_t i = 0; i < shape.sizes.size(); ++i)
      os << (i ? ", " : "") << shape.sizes[i].first << "="
         << shape.sizes[i].second;
    os << "): "
       << (shape.reply.ok ? shape.reply.verdict
                          : protocol::toString(shape.reply.error->kind))
       << ";";
  }
  os << "\n";
  if (result.device)
    os << "device:     " << result.device->name << " (" << result.device->arch
       << ", " << result.device->smCount << " SMs, peak "
       << llvm::format("%.0f", result.device->peakBandwidthGBs) << " GB/s)\n";
  auto printTiming = [&](const char *label, const protocol::TimingStats &t) {
    os << label
       << llvm::format("median %.4f ms  p10 %.4f  p90 %.4f  rse %.2f%%  n=%u\n",
                       t.medianMs, t.p10Ms, t.p90Ms, t.rse * 100, t.reps);
  };
  if (result.baseline)
    printTiming("baseline:   ", *result.baseline);
  if (result.candidate)
    printTiming("candidate:  ", *result.candidate);
  if (result.speedup > 0)
    os << llvm::format("speedup:    %.3fx\n", result.speedup);
  if (result.candidateBandwidthGBs > 0)
    os << llvm::format("bandwidth:  %.1f GB/s (%llu buffer bytes at the "
                       "candidate's median)\n",
                       result.candidateBandwidthGBs,
                       static_cast<unsigned long long>(result.bufferBytes));
  for (const protocol::KernelResources &k : result.resources)
    if (k.program == "candidate" && k.registers >= 0)
      os << "resources:  " << k.kernel << ": " << k.registers << " registers, "
         << k.staticSharedBytes << " B static shared, " << k.localBytes
         << " B local\n";
  auto printMetrics = [&](const char *label,
                          const protocol::ProfileMetrics &m) {
    os << label;
    auto item = [&](const char *name, const std::optional<double> &v,
                    const char *format) {
      if (v)
        os << " " << name << " " << llvm::format(format, *v);
    };
    item("dram-read", m.dramReadBytes, "%.0f B");
    item("dram-write", m.dramWriteBytes, "%.0f B");
    item("flops-f16", m.flopsF16, "%.0f");
    item("flops-f32", m.flopsF32, "%.0f");
    item("flops-f64", m.flopsF64, "%.0f");
    item("occupancy", m.achievedOccupancyPct, "%.1f%%");
    item("sm-throughput", m.smThroughputPct, "%.1f%%");
    item("tensor-pipe", m.tensorPipePct, "%.1f%%");
    os << "\n";
  };
  if (result.baselineMetrics)
    printMetrics("metrics:    baseline:", *result.baselineMetrics);
  if (result.candidateMetrics)
    printMetrics("metrics:    candidate:", *result.candidateMetrics);
  auto printRoofline = [&](const char *label, const RooflinePoint &p) {
    os << label << p.bound << "-bound, "
       << llvm::format("%.1f%%", p.percentOfCeiling) << " of the "
       << (p.bound == "compute" ? p.precision + " compute"
                                : std::string("memory"))
       << " roof" << llvm::format(" (%.1f GB/s", p.bandwidthGBs);
    if (p.gflops)
      os << llvm::format(", %.1f GFLOP/s, intensity %.3f FLOP/B", *p.gflops,
                         *p.intensity);
    os << "; " << p.source << ")\n";
  };
  if (result.baselineRoofline)
    printRoofline("roofline:   baseline: ", *result.baselineRoofline);
  if (result.candidateRoofline)
    printRoofline("roofline:   candidate: ", *result.candidateRoofline);
  for (const protocol::ClockSample &c : result.clocks)
    os << "clocks:     " << c.phase << ": SM " << c.smMHz << " MHz (max "
       << c.maxSmMHz << "), memory " << c.memoryMHz << " MHz, "
       << c.temperatureC << " C, " << llvm::format("%.0f W", c.powerW)
       << ", reasons " << protocol::describeClockReasons(c.reasons)
       << (c.samples > 1 ? " (" + std::to_string(c.samples) + " samples)"
                         : std::string())
       << "\n";
  if (result.throttled)
    os << "throttled:  yes: clocks were held down by power or temperature "
          "during the timing; times may be slower than the device can do\n";
  for (const protocol::Note &n : result.notes)
    os << "note:       " << n.topic << ": " << n.message << "\n";
  if (result.integrity) {
    const protocol::Integrity &i = *result.integrity;
    os << "integrity:  seeds";
    for (size_t s = 0; s < i.seeds.size(); ++s)
      os << (s ? "," : " ") << i.seeds[s];
    os << "; " << i.runsPerSeed << " runs/seed; outputs poisoned; inputs "
       << "checked; " << i.guard << "; " << i.rechecks << " rechecks; "
       << (i.candidateDeterministic ? "deterministic" : "nondeterministic")
       << (i.extremeInputs ? "; extreme-value inputs" : "") << "\n";
  }
  os << "restarts:   " << result.workerRestarts << "\n";
}
