//===- Profiler.cpp - Hardware counters (CUPTI) and clocks (NVML) ---------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "Profiler.h"

#include "Device.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#if __has_include(<cupti_range_profiler.h>) &&                                \
    __has_include(<cupti_profiler_host.h>) && __has_include(<cupti_target.h>)
#define CUPILOT_HAVE_CUPTI 1
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_result.h>
#include <cupti_target.h>
#else
#define CUPILOT_HAVE_CUPTI 0
#endif

using namespace cupilot;
using namespace cupilot::worker;

namespace {

/// What the profiler asks for. Unknown names (another architecture) are
/// dropped one by one, so one missing metric does not cost the others.
const char *const MetricNames[] = {
    "gpu__time_duration.sum",
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "smsp__sass_thread_inst_executed_op_hadd_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_hmul_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_hfma_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_fadd_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_fmul_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_ffma_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_dadd_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_dmul_pred_on.sum",
    "smsp__sass_thread_inst_executed_op_dfma_pred_on.sum",
    "sm__warps_active.avg.pct_of_peak_sustained_active",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed",
    // Tensor pipes: HMMA (sm_80+), GMMA (wgmma, sm_90).
    "sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active",
    "sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active",
};
constexpr size_t NumMetrics = sizeof(MetricNames) / sizeof(MetricNames[0]);

/// The most launches one profiled run may have: every pass (a handful per
/// metric set) runs them all again, so long sequences cost minutes.
constexpr unsigned MaxProfiledLaunches = 2048;

} // namespace

const char *const *Profiler::metricNames(size_t &count) {
  count = NumMetrics;
  return MetricNames;
}

//===----------------------------------------------------------------------===//
// CUPTI
//===----------------------------------------------------------------------===//

#if CUPILOT_HAVE_CUPTI

#define CUPILOT_CUPTI_FUNCTIONS(X)                                             \
  X(cuptiGetResultString)                                                      \
  X(cuptiProfilerInitialize)                                                   \
  X(cuptiProfilerDeInitialize)                                                 \
  X(cuptiDeviceGetChipName)                                                    \
  X(cuptiProfilerGetCounterAvailability)                                       \
  X(cuptiProfilerHostInitialize)                                               \
  X(cuptiProfilerHostDeinitialize)                                             \
  X(cuptiProfilerHostConfigAddMetrics)                                         \
  X(cuptiProfilerHostGetConfigImageSize)                                       \
  X(cuptiProfilerHostGetConfigImage)                                           \
  X(cuptiProfilerHostEvaluateToGpuValues)                                      \
  X(cuptiRangeProfilerEnable)                                                  \
  X(cuptiRangeProfilerDisable)                                                 \
  X(cuptiRangeProfilerGetCounterDataSize)                                      \
  X(cuptiRangeProfilerCounterDataImageInitialize)                              \
  X(cuptiRangeProfilerSetConfig)                                               \
  X(cuptiRangeProfilerStart)                                                   \
  X(cuptiRangeProfilerStop)                                                    \
  X(cuptiRangeProfilerPushRange)                                               \
  X(cuptiRangeProfilerPopRange)                                                \
  X(cuptiRangeProfilerDecodeData)                                              \
  X(cuptiRangeProfilerGetCounterDataInfo)

struct Profiler::Api {
#define CUPILOT_DECLARE(fn) decltype(&::fn) fn = nullptr;
  CUPILOT_CUPTI_FUNCTIONS(CUPILOT_DECLARE)
#undef CUPILOT_DECLARE
  void *handle = nullptr;
  std::string path;

  std::string describe(CUptiResult result) const {
    const char *text = nullptr;
    if (cuptiGetResultString &&
        cuptiGetResultString(result, &text) == CUPTI_SUCCESS && text)
      return text;
    return "CUPTI error " + std::to_string(static_cast<int>(result));
  }
};

#else

struct Profiler::Api {};

#endif

Profiler::Profiler(std::string cudaPath, std::string library)
    : cudaPath(std::move(cudaPath)), library(std::move(library)) {}

Profiler::~Profiler() = default;

bool Profiler::load(std::string &note) {
#if !CUPILOT_HAVE_CUPTI
  note = "profiling not available: cupilot-worker was built without the "
         "CUPTI headers (cupti_range_profiler.h)";
  return false;
#else
  std::vector<std::string> candidates;
  if (!library.empty()) {
    candidates.push_back(library);
  } else {
    if (!cudaPath.empty())
      for (const char *dir :
           {"/extras/CUPTI/lib64/", "/lib64/", "/targets/x86_64-linux/lib/",
            "/targets/sbsa-linux/lib/", "/lib/"}) {
        candidates.push_back(cudaPath + dir + "libcupti.so.13");
        candidates.push_back(cudaPath + dir + "libcupti.so");
      }
    candidates.push_back("libcupti.so.13");
    candidates.push_back("libcupti.so.12");
    candidates.push_back("libcupti.so");
  }
  void *handle = nullptr;
  std::string tried, path;
  for (const std::string &candidate : candidates) {
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      path = candidate;
      break;
    }
    const char *why = dlerror();
    tried += "; " + candidate + ": " + (why ? why : "not found");
  }
  if (!handle) {
    note = "profiling not available: cannot load libcupti (tried" +
           tried.substr(1) + ")";
    return false;
  }
  auto loaded = std::make_unique<Api>();
  loaded->handle = handle;
  loaded->path = path;
  std::string missing;
#define CUPILOT_RESOLVE(fn)                                                    \
  loaded->fn = reinterpret_cast<decltype(loaded->fn)>(dlsym(handle, #fn));     \
  if (!loaded->fn)                                                             \
    missing += std::string(missing.empty() ? "" : ", ") + #fn;
  CUPILOT_CUPTI_FUNCTIONS(CUPILOT_RESOLVE)
#undef CUPILOT_RESOLVE
  if (!missing.empty()) {
    note = "profiling not available: " + path +
           " has no range profiler (CUDA 12.6 or later needed); it lacks " +
           missing;
    dlclose(handle);
    return false;
  }
  api = std::move(loaded);
  return true;
#endif
}

#if CUPILOT_HAVE_CUPTI
namespace {

bool notPermitted(CUptiResult result) {
  return result == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES ||
         result == CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES;
}

/// Errors that will not go away on the next request.
bool isPermanent(CUptiResult result) {
  return notPermitted(result) || result == CUPTI_ERROR_NOT_SUPPORTED ||
         result == CUPTI_ERROR_NOT_COMPATIBLE ||
         result == CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED ||
         result == CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED ||
         result == CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED;
}

/// A host object (metric configuration and evaluation), released on scope
/// exit.
struct HostObject {
  const Profiler::Api &api;
  CUpti_Profiler_Host_Object *object = nullptr;
  explicit HostObject(const Profiler::Api &api) : api(api) {}
  ~HostObject() {
    if (!object)
      return;
    CUpti_Profiler_Host_Deinitialize_Params params{};
    params.structSize = CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE;
    params.pHostObject = object;
    api.cuptiProfilerHostDeinitialize(&params);
  }
  CUptiResult init(const char *chip, const std::vector<uint8_t> &available) {
    CUpti_Profiler_Host_Initialize_Params params{};
    params.structSize = CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE;
    params.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    params.pChipName = chip;
    params.pCounterAvailabilityImage =
        available.empty() ? nullptr : available.data();
    CUptiResult result = api.cuptiProfilerHostInitialize(&params);
    if (result == CUPTI_SUCCESS)
      object = params.pHostObject;
    return result;
  }
  CUptiResult add(const std::vector<const char *> &names) {
    CUpti_Profiler_Host_ConfigAddMetrics_Params params{};
    params.structSize = CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE;
    params.pHostObject = object;
    params.ppMetricNames = const_cast<const char **>(names.data());
    params.numMetrics = names.size();
    return api.cuptiProfilerHostConfigAddMetrics(&params);
  }
};

} // namespace
#endif

bool Profiler::profile(Device &device, unsigned launches,
                       const std::function<bool()> &prepare,
                       const std::function<bool()> &run,
                       protocol::ProfileMetrics &out, std::string &note,
                       bool &runFailed) {
  runFailed = false;
  if (!permanentNote.empty()) {
    note = permanentNote;
    return false;
  }
  if (!loadTried) {
    loadTried = true;
    if (!load(permanentNote)) {
      note = permanentNote;
      return false;
    }
  }
  if (!api) {
    note = permanentNote.empty() ? "profiling not available" : permanentNote;
    return false;
  }
#if !CUPILOT_HAVE_CUPTI
  (void)device;
  (void)launches;
  (void)run;
  (void)out;
  return false;
#else
  if (launches == 0) {
    note = "profiling skipped: the program launches no kernel";
    return false;
  }
  if (launches > MaxProfiledLaunches) {
    note = "profiling skipped: the program makes " + std::to_string(launches) +
           " launches, more than the " + std::to_string(MaxProfiledLaunches) +
           " the profiler records";
    return false;
  }
  const Api &cupti = *api;
  // Failures say which step failed; permanent ones stop further attempts.
  auto failed = [&](const char *step, CUptiResult result) {
    if (notPermitted(result))
      note = "profiling not permitted: run with permission to access GPU "
             "performance counters (NVreg_RestrictProfilingToAdminUsers=0, "
             "or as root); " +
             std::string(step) + ": " + cupti.describe(result);
    else
      note = std::string("profiling failed: ") + step + ": " +
             cupti.describe(result);
    if (isPermanent(result))
      permanentNote = note;
    return false;
  };

  CUpti_Profiler_Initialize_Params initParams{};
  initParams.structSize = CUpti_Profiler_Initialize_Params_STRUCT_SIZE;
  CUptiResult result = cupti.cuptiProfilerInitialize(&initParams);
  if (result != CUPTI_SUCCESS)
    return failed("cuptiProfilerInitialize", result);
  // Everything below runs between initialisation and de-initialisation, so
  // the driver is left without profiler hooks for the next timing.
  struct DeInit {
    const Api &cupti;
    ~DeInit() {
      CUpti_Profiler_DeInitialize_Params params{};
      params.structSize = CUpti_Profiler_DeInitialize_Params_STRUCT_SIZE;
      cupti.cuptiProfilerDeInitialize(&params);
    }
  } deinit{cupti};

  CUpti_Device_GetChipName_Params chipParams{};
  chipParams.structSize = CUpti_Device_GetChipName_Params_STRUCT_SIZE;
  chipParams.deviceIndex = static_cast<size_t>(device.info().ordinal);
  if ((result = cupti.cuptiDeviceGetChipName(&chipParams)) != CUPTI_SUCCESS)
    return failed("cuptiDeviceGetChipName", result);
  std::string chip = chipParams.pChipName ? chipParams.pChipName : "";

  CUcontext context = device.getContext();
  std::vector<uint8_t> available;
  CUpti_Profiler_GetCounterAvailability_Params availParams{};
  availParams.structSize =
      CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE;
  availParams.ctx = context;
  if ((result = cupti.cuptiProfilerGetCounterAvailability(&availParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiProfilerGetCounterAvailability", result);
  available.resize(availParams.counterAvailabilityImageSize);
  availParams.pCounterAvailabilityImage = available.data();
  if ((result = cupti.cuptiProfilerGetCounterAvailability(&availParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiProfilerGetCounterAvailability", result);

  // The metrics this chip knows: all at once when possible, else one by one
  // on fresh host objects (a failed add may leave an object unusable).
  std::vector<const char *> names(MetricNames, MetricNames + NumMetrics);
  auto host = std::make_unique<HostObject>(cupti);
  if ((result = host->init(chip.c_str(), available)) != CUPTI_SUCCESS)
    return failed("cuptiProfilerHostInitialize", result);
  if (host->add(names) != CUPTI_SUCCESS) {
    std::vector<const char *> known;
    for (const char *name : names) {
      HostObject probe(cupti);
      if (probe.init(chip.c_str(), available) == CUPTI_SUCCESS &&
          probe.add({name}) == CUPTI_SUCCESS)
        known.push_back(name);
    }
    if (known.empty()) {
      note = "profiling failed: chip '" + chip +
             "' supports none of the metrics cupilot asks for";
      permanentNote = note;
      return false;
    }
    names = known;
    host = std::make_unique<HostObject>(cupti);
    if ((result = host->init(chip.c_str(), available)) != CUPTI_SUCCESS)
      return failed("cuptiProfilerHostInitialize", result);
    if ((result = host->add(names)) != CUPTI_SUCCESS)
      return failed("cuptiProfilerHostConfigAddMetrics", result);
  }
  CUpti_Profiler_Host_GetConfigImageSize_Params sizeParams{};
  sizeParams.structSize =
      CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE;
  sizeParams.pHostObject = host->object;
  if ((result = cupti.cuptiProfilerHostGetConfigImageSize(&sizeParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiProfilerHostGetConfigImageSize", result);
  std::vector<uint8_t> config(sizeParams.configImageSize);
  CUpti_Profiler_Host_GetConfigImage_Params imageParams{};
  imageParams.structSize =
      CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE;
  imageParams.pHostObject = host->object;
  imageParams.configImageSize = config.size();
  imageParams.pConfigImage = config.data();
  if ((result = cupti.cuptiProfilerHostGetConfigImage(&imageParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiProfilerHostGetConfigImage", result);

  CUpti_RangeProfiler_Enable_Params enableParams{};
  enableParams.structSize = CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE;
  enableParams.ctx = context;
  if ((result = cupti.cuptiRangeProfilerEnable(&enableParams)) != CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerEnable", result);
  CUpti_RangeProfiler_Object *ranges = enableParams.pRangeProfilerObject;
  struct Disable {
    const Api &cupti;
    CUpti_RangeProfiler_Object *object;
    ~Disable() {
      CUpti_RangeProfiler_Disable_Params params{};
      params.structSize = CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE;
      params.pRangeProfilerObject = object;
      cupti.cuptiRangeProfilerDisable(&params);
    }
  } disable{cupti, ranges};

  CUpti_RangeProfiler_GetCounterDataSize_Params dataSizeParams{};
  dataSizeParams.structSize =
      CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE;
  dataSizeParams.pRangeProfilerObject = ranges;
  dataSizeParams.pMetricNames = names.data();
  dataSizeParams.numMetrics = names.size();
  dataSizeParams.maxNumOfRanges = 1;
  dataSizeParams.maxNumRangeTreeNodes = 1;
  if ((result = cupti.cuptiRangeProfilerGetCounterDataSize(&dataSizeParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerGetCounterDataSize", result);
  std::vector<uint8_t> counterData(dataSizeParams.counterDataSize);
  CUpti_RangeProfiler_CounterDataImage_Initialize_Params dataInitParams{};
  dataInitParams.structSize =
      CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE;
  dataInitParams.pRangeProfilerObject = ranges;
  dataInitParams.counterDataSize = counterData.size();
  dataInitParams.pCounterData = counterData.data();
  if ((result = cupti.cuptiRangeProfilerCounterDataImageInitialize(
           &dataInitParams)) != CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerCounterDataImageInitialize", result);

  // User range, user replay: the whole launch sequence is one range, and
  // every pass is a run the worker prepares exactly as a timed repetition
  // (inputs restored, outputs poisoned, L2 flushed). Kernel replay would
  // save and restore device memory around each launch, which leaves the
  // inputs in L2 and hides their DRAM reads.
  CUpti_RangeProfiler_SetConfig_Params configParams{};
  configParams.structSize = CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE;
  configParams.pRangeProfilerObject = ranges;
  configParams.configSize = config.size();
  configParams.pConfig = config.data();
  configParams.counterDataImageSize = counterData.size();
  configParams.pCounterDataImage = counterData.data();
  configParams.range = CUPTI_UserRange;
  configParams.replayMode = CUPTI_UserReplay;
  configParams.maxRangesPerPass = 1;
  configParams.numNestingLevels = 1;
  configParams.minNestingLevel = 1;
  configParams.passIndex = 0;
  configParams.targetNestingLevel = 1;
  if ((result = cupti.cuptiRangeProfilerSetConfig(&configParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerSetConfig", result);
  bool allPasses = false;
  size_t passes = 0;
  for (; !allPasses && passes < 64; ++passes) {
    if (!prepare()) {
      runFailed = true;
      note = "profiling stopped: preparing the profiled run failed";
      return false;
    }
    CUpti_RangeProfiler_Start_Params startParams{};
    startParams.structSize = CUpti_RangeProfiler_Start_Params_STRUCT_SIZE;
    startParams.pRangeProfilerObject = ranges;
    if ((result = cupti.cuptiRangeProfilerStart(&startParams)) != CUPTI_SUCCESS)
      return failed("cuptiRangeProfilerStart", result);
    CUpti_RangeProfiler_PushRange_Params pushParams{};
    pushParams.structSize = CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE;
    pushParams.pRangeProfilerObject = ranges;
    pushParams.pRangeName = "cupilot";
    CUptiResult pushed = cupti.cuptiRangeProfilerPushRange(&pushParams);
    bool ran = pushed == CUPTI_SUCCESS && run();
    CUpti_RangeProfiler_PopRange_Params popParams{};
    popParams.structSize = CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE;
    popParams.pRangeProfilerObject = ranges;
    CUptiResult popped = pushed == CUPTI_SUCCESS
                             ? cupti.cuptiRangeProfilerPopRange(&popParams)
                             : pushed;
    CUpti_RangeProfiler_Stop_Params stopParams{};
    stopParams.structSize = CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE;
    stopParams.pRangeProfilerObject = ranges;
    CUptiResult stopped = cupti.cuptiRangeProfilerStop(&stopParams);
    if (pushed != CUPTI_SUCCESS)
      return failed("cuptiRangeProfilerPushRange", pushed);
    if (!ran) {
      runFailed = true;
      note = "profiling stopped: the profiled run failed";
      return false;
    }
    if (popped != CUPTI_SUCCESS)
      return failed("cuptiRangeProfilerPopRange", popped);
    if (stopped != CUPTI_SUCCESS)
      return failed("cuptiRangeProfilerStop", stopped);
    allPasses = stopParams.isAllPassSubmitted != 0;
  }
  if (!allPasses) {
    note = "profiling failed: CUPTI asked for more than 64 passes";
    return false;
  }
  CUpti_RangeProfiler_DecodeData_Params decodeParams{};
  decodeParams.structSize = CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE;
  decodeParams.pRangeProfilerObject = ranges;
  if ((result = cupti.cuptiRangeProfilerDecodeData(&decodeParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerDecodeData", result);
  if (decodeParams.numOfRangeDropped) {
    note = "profiling incomplete: " +
           std::to_string(decodeParams.numOfRangeDropped) + " of " +
           std::to_string(launches) +
           " launches were dropped by the profiler; no metrics reported";
    return false;
  }
  CUpti_RangeProfiler_GetCounterDataInfo_Params infoParams{};
  infoParams.structSize =
      CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE;
  infoParams.pCounterDataImage = counterData.data();
  infoParams.counterDataImageSize = counterData.size();
  if ((result = cupti.cuptiRangeProfilerGetCounterDataInfo(&infoParams)) !=
      CUPTI_SUCCESS)
    return failed("cuptiRangeProfilerGetCounterDataInfo", result);
  size_t numRanges = infoParams.numTotalRanges;
  if (numRanges != 1) {
    note = "profiling incomplete: the profiler recorded " +
           std::to_string(numRanges) +
           " ranges for one profiled run; no metrics reported";
    return false;
  }

  // Sums over the ranges; percentages weighted by each range's duration
  // (or plain means when the duration is unknown).
  std::vector<double> values(names.size());
  std::vector<double> sums(names.size(), 0.0), weighted(names.size(), 0.0);
  std::vector<bool> seen(names.size(), false);
  double totalWeight = 0;
  size_t durationIndex = names.size();
  for (size_t m = 0; m < names.size(); ++m)
    if (std::strcmp(names[m], "gpu__time_duration.sum") == 0)
      durationIndex = m;
  for (size_t range = 0; range < numRanges; ++range) {
    CUpti_Profiler_Host_EvaluateToGpuValues_Params evalParams{};
    evalParams.structSize =
        CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE;
    evalParams.pHostObject = host->object;
    evalParams.pCounterDataImage = counterData.data();
    evalParams.counterDataImageSize = counterData.size();
    evalParams.rangeIndex = range;
    evalParams.ppMetricNames = names.data();
    evalParams.numMetrics = names.size();
    evalParams.pMetricValues = values.data();
    if ((result = cupti.cuptiProfilerHostEvaluateToGpuValues(&evalParams)) !=
        CUPTI_SUCCESS)
      return failed("cuptiProfilerHostEvaluateToGpuValues", result);
    double weight = 1;
    if (durationIndex < names.size() && std::isfinite(values[durationIndex]) &&
        values[durationIndex] > 0)
      weight = values[durationIndex];
    totalWeight += weight;
    for (size_t m = 0; m < names.size(); ++m) {
      if (!std::isfinite(values[m]))
        continue;
      seen[m] = true;
      sums[m] += values[m];
      weighted[m] += weight * values[m];
    }
  }
  auto get = [&](const char *name, bool percentage) -> std::optional<double> {
    for (size_t m = 0; m < names.size(); ++m)
      if (std::strcmp(names[m], name) == 0 && seen[m])
        return percentage ? weighted[m] / totalWeight : sums[m];
    return std::nullopt;
  };
  auto flops = [&](const char *add, const char *mul,
                   const char *fma) -> std::optional<double> {
    auto a = get(add, false), m = get(mul, false), f = get(fma, false);
    if (!a || !m || !f)
      return std::nullopt;
    return *a + *m + 2 * *f;
  };
  out.ranges = launches;
  out.durationNs = get("gpu__time_duration.sum", false);
  out.dramReadBytes = get("dram__bytes_read.sum", false);
  out.dramWriteBytes = get("dram__bytes_write.sum", false);
  out.flopsF16 = flops("smsp__sass_thread_inst_executed_op_hadd_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_hmul_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_hfma_pred_on.sum");
  out.flopsF32 = flops("smsp__sass_thread_inst_executed_op_fadd_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_fmul_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_ffma_pred_on.sum");
  out.flopsF64 = flops("smsp__sass_thread_inst_executed_op_dadd_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_dmul_pred_on.sum",
                       "smsp__sass_thread_inst_executed_op_dfma_pred_on.sum");
  out.achievedOccupancyPct =
      get("sm__warps_active.avg.pct_of_peak_sustained_active", true);
  out.smThroughputPct =
      get("sm__throughput.avg.pct_of_peak_sustained_elapsed", true);
  auto hmma = get(
      "sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active",
      true);
  auto gmma = get(
      "sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active",
      true);
  if (hmma || gmma)
    out.tensorPipePct = std::max(hmma.value_or(0), gmma.value_or(0));
  if (names.size() < NumMetrics) {
    std::string dropped;
    for (const char *name : MetricNames) {
      // The tensor pipe has one metric per generation; only both missing
      // is worth a note.
      bool tensor = std::strstr(name, "sm__pipe_tensor_op_") != nullptr;
      if (tensor && out.tensorPipePct)
        continue;
      if (std::find_if(names.begin(), names.end(), [&](const char *n) {
            return std::strcmp(n, name) == 0;
          }) == names.end())
        dropped += std::string(dropped.empty() ? "" : ", ") + name;
    }
    if (!dropped.empty())
      note = "metrics not available on chip '" + chip + "': " + dropped;
  }
  return true;
#endif
}

//===----------------------------------------------------------------------===//
// NVML
//===----------------------------------------------------------------------===//

// The few NVML entry points used, declared here (the toolkit does not ship
// nvml.h everywhere); the C ABI has been stable since NVML 3.
namespace {
using nvmlReturn = int;
using nvmlDevice = void *;
constexpr nvmlReturn NvmlSuccess = 0;
constexpr nvmlReturn NvmlNotSupported = 3;
enum NvmlClock : int {
  NvmlClockGraphics = 0,
  NvmlClockSm = 1,
  NvmlClockMem = 2
};
constexpr int NvmlTemperatureGpu = 0;
} // namespace

struct Nvml::Api {
  void *handle = nullptr;
  nvmlReturn (*init)() = nullptr;
  nvmlReturn (*shutdown)() = nullptr;
  const char *(*errorString)(nvmlReturn) = nullptr;
  nvmlReturn (*byUuid)(const char *, nvmlDevice *) = nullptr;
  nvmlReturn (*clockInfo)(nvmlDevice, int, unsigned *) = nullptr;
  nvmlReturn (*maxClockInfo)(nvmlDevice, int, unsigned *) = nullptr;
  nvmlReturn (*temperature)(nvmlDevice, int, unsigned *) = nullptr;
  nvmlReturn (*powerUsage)(nvmlDevice, unsigned *) = nullptr;
  /// nvmlDeviceGetCurrentClocksEventReasons (driver 535+), else the older
  /// nvmlDeviceGetCurrentClocksThrottleReasons (same bits).
  nvmlReturn (*reasons)(nvmlDevice, unsigned long long *) = nullptr;

  std::string describe(nvmlReturn result) const {
    const char *text = errorString ? errorString(result) : nullptr;
    return text ? text : "NVML error " + std::to_string(result);
  }
};

Nvml::Nvml(std::string library) : library(std::move(library)) {}

Nvml::~Nvml() {
  if (!api || !opened)
    return;
  if (api->shutdown)
    api->shutdown();
  dlclose(api->handle);
}

bool Nvml::open(const std::string &uuid, std::string &note) {
  if (opened)
    return true;
  if (!openNote.empty()) {
    note = openNote;
    return false;
  }
  auto fail = [&](const std::string &why) {
    openNote = "clocks not recorded: " + why;
    note = openNote;
    return false;
  };
  const char *name = library.empty() ? "libnvidia-ml.so.1" : library.c_str();
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return fail(std::string("cannot load NVML (") + name +
                "): " + (why ? why : "not found"));
  }
  auto loaded = std::make_unique<Api>();
  loaded->handle = handle;
  auto sym = [&](const char *symbol) { return dlsym(handle, symbol); };
  loaded->init = reinterpret_cast<nvmlReturn (*)()>(sym("nvmlInit_v2"));
  loaded->shutdown = reinterpret_cast<nvmlReturn (*)()>(sym("nvmlShutdown"));
  loaded->errorString =
      reinterpret_cast<const char *(*)(nvmlReturn)>(sym("nvmlErrorString"));
  loaded->byUuid = reinterpret_cast<nvmlReturn (*)(const char *, nvmlDevice *)>(
      sym("nvmlDeviceGetHandleByUUID"));
  loaded->clockInfo =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, int, unsigned *)>(
          sym("nvmlDeviceGetClockInfo"));
  loaded->maxClockInfo =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, int, unsigned *)>(
          sym("nvmlDeviceGetMaxClockInfo"));
  loaded->temperature =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, int, unsigned *)>(
          sym("nvmlDeviceGetTemperature"));
  loaded->powerUsage = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned *)>(
      sym("nvmlDeviceGetPowerUsage"));
  void *reasons = sym("nvmlDeviceGetCurrentClocksEventReasons");
  if (!reasons)
    reasons = sym("nvmlDeviceGetCurrentClocksThrottleReasons");
  loaded->reasons =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned long long *)>(
          reasons);
  if (!loaded->init || !loaded->byUuid || !loaded->clockInfo) {
    dlclose(handle);
    return fail(std::string(name) +
                " lacks nvmlInit_v2, "
                "nvmlDeviceGetHandleByUUID or nvmlDeviceGetClockInfo");
  }
  nvmlReturn result = loaded->init();
  if (result != NvmlSuccess) {
    std::string why = loaded->describe(result);
    dlclose(handle);
    return fail("nvmlInit failed: " + why);
  }
  // From here on every failure undoes the init (nvmlShutdown is optional)
  // and unloads the library.
  auto failAfterInit = [&](const std::string &why) {
    if (loaded->shutdown)
      loaded->shutdown();
    dlclose(handle);
    return fail(why);
  };
  // The driver's UUID is 32 hex digits; NVML wants GPU-8-4-4-4-12.
  if (uuid.size() != 32)
    return failAfterInit("the driver reports no UUID for the device");
  std::string nvmlUuid = "GPU-" + uuid.substr(0, 8) + "-" + uuid.substr(8, 4) +
                         "-" + uuid.substr(12, 4) + "-" + uuid.substr(16, 4) +
                         "-" + uuid.substr(20);
  nvmlDevice found = nullptr;
  result = loaded->byUuid(nvmlUuid.c_str(), &found);
  if (result != NvmlSuccess)
    return failAfterInit("NVML does not know " + nvmlUuid + ": " +
                         loaded->describe(result));
  api = std::move(loaded);
  device = found;
  opened = true;
  return true;
}

bool Nvml::sample(protocol::ClockSample &out, std::string &note) {
  if (!opened) {
    note = openNote.empty() ? "clocks not recorded: NVML not opened" : openNote;
    return false;
  }
  unsigned value = 0;
  nvmlReturn result = api->clockInfo(device, NvmlClockSm, &value);
  if (result != NvmlSuccess) {
    note =
        "clocks not recorded: nvmlDeviceGetClockInfo: " + api->describe(result);
    return false;
  }
  out.samples = 1;
  out.smMHz = value;
  if (api->clockInfo(device, NvmlClockMem, &value) == NvmlSuccess)
    out.memoryMHz = value;
  if (api->maxClockInfo &&
      api->maxClockInfo(device, NvmlClockSm, &value) == NvmlSuccess)
    out.maxSmMHz = value;
  if (api->temperature &&
      api->temperature(device, NvmlTemperatureGpu, &value) == NvmlSuccess)
    out.temperatureC = value;
  if (api->powerUsage && api->powerUsage(device, &value) == NvmlSuccess)
    out.powerW = value / 1000.0;
  unsigned long long reasons = 0;
  if (api->reasons) {
    result = api->reasons(device, &reasons);
    if (result == NvmlSuccess)
      out.reasons = reasons;
    else if (result != NvmlNotSupported)
      note = "clock event reasons not recorded: " + api->describe(result);
  }
  (void)NvmlClockGraphics;
  return true;
}

void worker::accumulateClockSample(protocol::ClockSample &during,
                                   const protocol::ClockSample &sample) {
  if (during.samples == 0) {
    during = sample;
    during.phase = "during";
    return;
  }
  during.samples += sample.samples;
  during.smMHz = std::min(during.smMHz, sample.smMHz);
  during.memoryMHz = std::min(during.memoryMHz, sample.memoryMHz);
  during.maxSmMHz = std::max(during.maxSmMHz, sample.maxSmMHz);
  during.temperatureC = std::max(during.temperatureC, sample.temperatureC);
  during.powerW = std::max(during.powerW, sample.powerW);
  during.reasons |= sample.reasons;
}
