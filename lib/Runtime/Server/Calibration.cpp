//===- Calibration.cpp - Measured FLOP rates of the device ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Two ways to measure what the device computes per second, each cached per
// device UUID, driver version, precision, method and size:
//   fma:    a kernel of independent FMA chains (8 per thread, full
//           occupancy), compiled with NVRTC: the CUDA-core rate a
//           hand-written kernel can reach. f16 uses half2 FMAs.
//   cublas: an n x n x n GEMM through cuBLAS (dlopen'ed from the toolkit) on
//           random inputs generated on the device; f16 runs on the tensor
//           cores (FP16 inputs, FP32 accumulation and output), f32 and f64
//           with cuBLAS's default math (no TF32).
// The iteration count of the FMA kernel is scaled from a short probe so one
// launch takes about 20 ms whatever the device's rate.
//
//===----------------------------------------------------------------------===//

#include "Evaluator.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <vector>

#if __has_include(<cublas_v2.h>)
#define CUPILOT_HAVE_CUBLAS 1
#include <cublas_v2.h>
#else
#define CUPILOT_HAVE_CUBLAS 0
#endif

using namespace cupilot;
using namespace cupilot::worker;
using protocol::ErrorKind;
using protocol::ReplyError;

namespace {

const char *const CalibrationSource = R"cuda(
#include <cuda_fp16.h>
#define CHAINS 8
extern "C" __global__ void cupilot_fma_f32(float *out, int iterations,
                                           float b, float c) {
  float a[CHAINS];
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k) a[k] = threadIdx.x * 1e-3f + k;
  for (int i = 0; i < iterations; ++i) {
    #pragma unroll
    for (int k = 0; k < CHAINS; ++k) a[k] = fmaf(a[k], b, c);
  }
  float s = 0;
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k) s += a[k];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
extern "C" __global__ void cupilot_fma_f64(double *out, int iterations,
                                           double b, double c) {
  double a[CHAINS];
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k) a[k] = threadIdx.x * 1e-3 + k;
  for (int i = 0; i < iterations; ++i) {
    #pragma unroll
    for (int k = 0; k < CHAINS; ++k) a[k] = fma(a[k], b, c);
  }
  double s = 0;
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k) s += a[k];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
extern "C" __global__ void cupilot_fma_f16(float *out, int iterations,
                                           float b, float c) {
  __half2 a[CHAINS];
  __half2 hb = __float2half2_rn(b), hc = __float2half2_rn(c);
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k)
    a[k] = __floats2half2_rn(threadIdx.x * 1e-3f, (float)k);
  for (int i = 0; i < iterations; ++i) {
    #pragma unroll
    for (int k = 0; k < CHAINS; ++k) a[k] = __hfma2(a[k], hb, hc);
  }
  float s = 0;
  #pragma unroll
  for (int k = 0; k < CHAINS; ++k)
    s += __low2float(a[k]) + __high2float(a[k]);
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
// Uniform values in [-1, 1) from a hash of the index: GEMM inputs that are
// not zeros (zeros would let the hardware idle its multipliers).
__device__ float cupilot_hash_unit(unsigned long long i, unsigned seed) {
  unsigned long long x = i * 0x9E3779B97F4A7C15ull + seed;
  x ^= x >> 31; x *= 0xBF58476D1CE4E5B9ull; x ^= x >> 29;
  return (float)(x >> 40) * (2.0f / 16777216.0f) - 1.0f;
}
extern "C" __global__ void cupilot_random_f32(float *p, unsigned long long n,
                                              unsigned seed) {
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x +
       threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)
    p[i] = cupilot_hash_unit(i, seed);
}
extern "C" __global__ void cupilot_random_f64(double *p, unsigned long long n,
                                              unsigned seed) {
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x +
       threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)
    p[i] = cupilot_hash_unit(i, seed);
}
extern "C" __global__ void cupilot_random_f16(__half *p, unsigned long long n,
                                              unsigned seed) {
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x +
       threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)
    p[i] = __float2half_rn(cupilot_hash_unit(i, seed));
}
)cuda";

constexpr int Chains = 8;

double median(std::vector<double> samples) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  size_t mid = samples.size() / 2;
  return samples.size() % 2 ? samples[mid]
                            : 0.5 * (samples[mid - 1] + samples[mid]);
}

/// Times `enqueue` (which enqueues work on the stream) `reps` times after
/// `warmup` untimed runs; returns false with `error` on a failure.
template <typename Enqueue>
bool timeRepeatedly(Device &device, unsigned warmup, unsigned reps,
                    Enqueue enqueue, std::vector<double> &samples,
                    ReplyError &error) {
  const DriverApi &api = device.driver();
  CUevent start = nullptr, stop = nullptr;
  CUresult result = api.EventCreate(&start, CU_EVENT_DEFAULT);
  if (result == CUDA_SUCCESS)
    result = api.EventCreate(&stop, CU_EVENT_DEFAULT);
  if (result != CUDA_SUCCESS)
    return device.fail(result, ErrorKind::Internal, "cannot create events",
                       error);
  // A failed event call fails the calibration: a sample it did not measure
  // (0 ms) would inflate the rate.
  auto check = [&](CUresult r, const char *what) {
    if (r == CUDA_SUCCESS)
      return true;
    device.fail(r, ErrorKind::Internal,
                std::string("FLOP calibration timing failed: ") + what, error);
    return false;
  };
  bool ok = true;
  for (unsigned rep = 0; ok && rep < warmup + reps; ++rep) {
    ok = check(api.EventRecord(start, device.getStream()),
               "cuEventRecord (start)") &&
         enqueue(error) &&
         check(api.EventRecord(stop, device.getStream()),
               "cuEventRecord (stop)") &&
         device.synchronize(error);
    float ms = 0;
    if (ok && rep >= warmup) {
      ok = check(api.EventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
      if (ok)
        samples.push_back(ms);
    }
  }
  if (!device.isLost()) {
    api.EventDestroy(start);
    api.EventDestroy(stop);
  }
  return ok;
}

std::string cachePath(const Device &device, const std::string &cacheDir,
                      const protocol::FlopsSpec &spec) {
  const protocol::DeviceInfo &info = device.info();
  if (cacheDir.empty() || info.uuid.empty())
    return "";
  std::string path = cacheDir + "/flops-" + info.uuid + "-driver" +
                     std::to_string(info.driverVersion) + "-" + spec.precision +
                     "-" + spec.method;
  if (spec.method == "cublas")
    path += "-n" + std::to_string(spec.n);
  return path + ".txt";
}

class FlopsCalibrator {
public:
  FlopsCalibrator(Device &device, Compiler *compiler)
      : device(device), compiler(compiler) {}
  ~FlopsCalibrator() {
    if (loaded.module)
      device.unload(loaded);
    if (cublasHandle && destroyHandle && !device.isLost())
      destroyHandle(cublasHandle);
  }

  /// Returns false with `error` for failures that end the request; a
  /// method that is not available gives a `note` and returns true with
  /// `measured` false.
  bool measure(const protocol::FlopsSpec &spec, protocol::FlopsCalibration &out,
               bool &measured, std::string &note, ReplyError &error) {
    measured = false;
    out.precision = spec.precision;
    out.method = spec.method;
    out.n = spec.method == "cublas" ? spec.n : 0;
    if (!loadKernels(error))
      return false;
    if (spec.method == "fma")
      return measureFma(spec, out, measured, error);
    return measureCublas(spec, out, measured, note, error);
  }

private:
  bool loadKernels(ReplyError &error) {
    if (loaded.module)
      return true;
    if (!compiler) {
      error.kind = ErrorKind::NoDevice;
      error.message = "FLOP calibration needs NVRTC, which is not available";
      return false;
    }
    protocol::ProgramSpec program;
    program.name = "cupilot_calibration.cu";
    program.source = CalibrationSource;
    std::vector<std::string> kernels = {
        "cupilot_fma_f32",    "cupilot_fma_f64",    "cupilot_fma_f16",
        "cupilot_random_f32", "cupilot_random_f64", "cupilot_random_f16"};
    CompiledProgram compiled;
    if (!compiler->compile(program, device.info().arch, kernels, compiled,
                           error))
      return false;
    return device.load(compiled, kernels, loaded, error);
  }

  bool measureFma(const protocol::FlopsSpec &spec,
                  protocol::FlopsCalibration &out, bool &measured,
                  ReplyError &error) {
    CUfunction kernel = loaded.functions["cupilot_fma_" + spec.precision];
    uint32_t block[3] = {256, 1, 1};
    // Eight blocks of 256 per SM: 2048 threads, full occupancy on every
    // architecture cupilot targets.
    uint32_t grid[3] = {
        static_cast<uint32_t>(std::max(1, device.info().smCount) * 8), 1, 1};
    uint64_t threads = uint64_t(grid[0]) * block[0];
    DeviceBuffer sink;
    if (!device.allocate(threads * 8, sink, error))
      return false;
    int iterations = 64;
    double b64 = 0.9999, c64 = 1e-4;
    float b32 = 0.9999f, c32 = 1e-4f;
    void *params32[] = {&sink.ptr, &iterations, &b32, &c32};
    void *params64[] = {&sink.ptr, &iterations, &b64, &c64};
    void **params = spec.precision == "f64" ? params64 : params32;
    auto launch = [&](ReplyError &e) {
      return device.launch(kernel, grid, block, 0, params, e);
    };
    std::vector<double> probe;
    bool ok = timeRepeatedly(device, 1, 1, launch, probe, error);
    if (ok && !probe.empty() && probe[0] > 0) {
      // About 20 ms per launch, within [64, 1 << 20] iterations.
      double scaled = iterations * 20.0 / probe[0];
      iterations = static_cast<int>(std::clamp(scaled, 64.0, double(1 << 20)));
    }
    std::vector<double> samples;
    ok = ok && timeRepeatedly(device, 2, 9, launch, samples, error);
    device.release(sink);
    if (!ok)
      return false;
    out.reps = static_cast<unsigned>(samples.size());
    out.medianMs = median(samples);
    double flopsPerFma = spec.precision == "f16" ? 4 : 2; // half2: 2 lanes
    double flops = flopsPerFma * Chains * double(iterations) * double(threads);
    if (!(out.medianMs > 0))
      return true;
    out.gflops = flops / (out.medianMs * 1e-3) / 1e9;
    measured = true;
    return true;
  }

  bool measureCublas(const protocol::FlopsSpec &spec,
                     protocol::FlopsCalibration &out, bool &measured,
                     std::string &note, ReplyError &error) {
#if !CUPILOT_HAVE_CUBLAS
    (void)spec;
    (void)out;
    (void)measured;
    (void)error;
    note = "cuBLAS calibration not available: cupilot-worker was built "
           "without cublas_v2.h";
    return true;
#else
    if (!loadCublas(note))
      return true;
    uint64_t n = spec.n;
    size_t inWidth = spec.precision == "f64"   ? 8
                     : spec.precision == "f32" ? 4
                                               : 2;
    size_t outWidth = spec.precision == "f64" ? 8 : 4;
    if (2 * n * n * inWidth + n * n * outWidth > device.freeMemory() / 10 * 8) {
      note = "cuBLAS " + spec.precision +
             " calibration skipped: " + std::to_string(n) +
             "^3 GEMM does not fit in free memory";
      return true;
    }
    DeviceBuffer a, b, c;
    auto cleanup = [&] {
      device.release(a);
      device.release(b);
      device.release(c);
    };
    if (!device.allocate(n * n * inWidth, a, error) ||
        !device.allocate(n * n * inWidth, b, error) ||
        !device.allocate(n * n * outWidth, c, error)) {
      cleanup();
      return false;
    }
    CUfunction random = loaded.functions["cupilot_random_" + spec.precision];
    uint64_t count = n * n;
    unsigned seeds[2] = {1, 2};
    uint32_t grid[3] = {
        static_cast<uint32_t>(std::max(1, device.info().smCount) * 4), 1, 1};
    uint32_t block[3] = {256, 1, 1};
    for (int m = 0; m < 2; ++m) {
      void *params[] = {m == 0 ? &a.ptr : &b.ptr, &count, &seeds[m]};
      if (!device.launch(random, grid, block, 0, params, error)) {
        cleanup();
        return false;
      }
    }
    if (!device.synchronize(error)) {
      cleanup();
      return false;
    }
    int dim = static_cast<int>(n);
    cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
    auto gemm = [&](ReplyError &e) {
      if (spec.precision == "f32") {
        float alpha = 1, beta = 0;
        status = sgemm(cublasHandle, CUBLAS_OP_N, CUBLAS_OP_N, dim, dim, dim,
                       &alpha, reinterpret_cast<const float *>(a.ptr), dim,
                       reinterpret_cast<const float *>(b.ptr), dim, &beta,
                       reinterpret_cast<float *>(c.ptr), dim);
      } else if (spec.precision == "f64") {
        double alpha = 1, beta = 0;
        status = dgemm(cublasHandle, CUBLAS_OP_N, CUBLAS_OP_N, dim, dim, dim,
                       &alpha, reinterpret_cast<const double *>(a.ptr), dim,
                       reinterpret_cast<const double *>(b.ptr), dim, &beta,
                       reinterpret_cast<double *>(c.ptr), dim);
      } else {
        float alpha = 1, beta = 0;
        status =
            gemmEx(cublasHandle, CUBLAS_OP_N, CUBLAS_OP_N, dim, dim, dim,
                   &alpha, reinterpret_cast<const void *>(a.ptr), CUDA_R_16F,
                   dim, reinterpret_cast<const void *>(b.ptr), CUDA_R_16F, dim,
                   &beta, reinterpret_cast<void *>(c.ptr), CUDA_R_32F, dim,
                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
      }
      if (status != CUBLAS_STATUS_SUCCESS) {
        e.kind = ErrorKind::Internal;
        e.message = "cuBLAS " + spec.precision + " GEMM failed with status " +
                    std::to_string(static_cast<int>(status));
        return false;
      }
      return true;
    };
    std::vector<double> samples;
    ReplyError gemmError;
    bool ok = timeRepeatedly(device, 2, 10, gemm, samples, gemmError);
    cleanup();
    if (!ok) {
      if (device.isLost()) {
        error = gemmError;
        return false;
      }
      // cuBLAS refused (no kernel for this architecture, ...): not the
      // device's fault, so a note rather than an error.
      note = gemmError.message;
      return true;
    }
    out.reps = static_cast<unsigned>(samples.size());
    out.medianMs = median(samples);
    if (!(out.medianMs > 0))
      return true;
    out.gflops =
        2.0 * double(n) * double(n) * double(n) / (out.medianMs * 1e-3) / 1e9;
    measured = true;
    return true;
#endif
  }

#if CUPILOT_HAVE_CUBLAS
  bool loadCublas(std::string &note) {
    if (cublasHandle)
      return true;
    if (!cublasNote.empty()) {
      note = cublasNote;
      return false;
    }
    std::vector<std::string> candidates;
    for (const char *dir : {"/lib64/", "/targets/x86_64-linux/lib/", "/lib/"})
      candidates.push_back(cudaPath() + dir + "libcublas.so.13");
    candidates.push_back("libcublas.so.13");
    candidates.push_back("libcublas.so.12");
    std::string tried;
    void *handle = nullptr;
    for (const std::string &candidate : candidates) {
      handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle)
        break;
      const char *why = dlerror();
      tried += "; " + candidate + ": " + (why ? why : "not found");
    }
    if (!handle) {
      cublasNote = "cuBLAS calibration not available: cannot load libcublas "
                   "(tried" +
                   tried.substr(1) + ")";
      note = cublasNote;
      return false;
    }
    auto create = reinterpret_cast<decltype(&cublasCreate_v2)>(
        dlsym(handle, "cublasCreate_v2"));
    destroyHandle = reinterpret_cast<decltype(&cublasDestroy_v2)>(
        dlsym(handle, "cublasDestroy_v2"));
    auto setStream = reinterpret_cast<decltype(&cublasSetStream_v2)>(
        dlsym(handle, "cublasSetStream_v2"));
    auto setMath = reinterpret_cast<decltype(&cublasSetMathMode)>(
        dlsym(handle, "cublasSetMathMode"));
    sgemm = reinterpret_cast<decltype(&cublasSgemm_v2)>(
        dlsym(handle, "cublasSgemm_v2"));
    dgemm = reinterpret_cast<decltype(&cublasDgemm_v2)>(
        dlsym(handle, "cublasDgemm_v2"));
    gemmEx = reinterpret_cast<GemmExFn>(dlsym(handle, "cublasGemmEx"));
    if (!create || !destroyHandle || !setStream || !setMath || !sgemm ||
        !dgemm || !gemmEx) {
      cublasNote = "cuBLAS calibration not available: the library lacks "
                   "cublasCreate_v2, cublasSgemm_v2, cublasDgemm_v2 or "
                   "cublasGemmEx";
      note = cublasNote;
      return false;
    }
    cublasStatus_t status = create(&cublasHandle);
    if (status != CUBLAS_STATUS_SUCCESS) {
      cublasHandle = nullptr;
      note = "cuBLAS calibration not available: cublasCreate failed with "
             "status " +
             std::to_string(static_cast<int>(status));
      return false;
    }
    // The worker's stream (cudaStream_t and CUstream are the same handle);
    // default math: no TF32 for FP32 GEMMs.
    setStream(cublasHandle, reinterpret_cast<cudaStream_t>(device.getStream()));
    setMath(cublasHandle, CUBLAS_DEFAULT_MATH);
    return true;
  }
  std::string cudaPath() const {
    return compiler ? compiler->getCudaPath() : "/usr/local/cuda";
  }

  cublasHandle_t cublasHandle = nullptr;
  decltype(&cublasDestroy_v2) destroyHandle = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasDgemm_v2) dgemm = nullptr;
  // cublasGemmEx is overloaded in C++ (an inline cublasComputeType_t /
  // cudaDataType variant); this is the exported C entry point.
  using GemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t,
                                      cublasOperation_t, int, int, int,
                                      const void *, const void *, cudaDataType,
                                      int, const void *, cudaDataType, int,
                                      const void *, void *, cudaDataType, int,
                                      cublasComputeType_t, cublasGemmAlgo_t);
  GemmExFn gemmEx = nullptr;
  std::string cublasNote;
#else
  void *cublasHandle = nullptr;
  void (*destroyHandle)(void *) = nullptr;
#endif

  Device &device;
  Compiler *compiler;
  LoadedProgram loaded;
};

} // namespace

void worker::calibrateFlops(Device &device, Compiler *compiler,
                            const std::string &cacheDir,
                            const protocol::CalibrateRequest &request,
                            protocol::Reply &reply) {
  reply.device = device.info();
  FlopsCalibrator calibrator(device, compiler);
  for (const protocol::FlopsSpec &spec : request.flops) {
    std::string path = cachePath(device, cacheDir, spec);
    if (!path.empty() && !spec.force) {
      std::ifstream in(path);
      protocol::FlopsCalibration cached;
      if (in >> cached.gflops >> cached.medianMs >> cached.reps &&
          cached.gflops > 0 && std::isfinite(cached.gflops)) {
        cached.precision = spec.precision;
        cached.method = spec.method;
        cached.n = spec.method == "cublas" ? spec.n : 0;
        cached.cached = true;
        reply.flopsCalibrations.push_back(cached);
        continue;
      }
    }
    protocol::FlopsCalibration measured;
    bool have = false;
    std::string note;
    ReplyError error;
    if (!calibrator.measure(spec, measured, have, note, error)) {
      reply.ok = false;
      reply.error = error;
      return;
    }
    if (!note.empty())
      reply.notes.push_back({"flops", note});
    if (!have) {
      if (note.empty())
        reply.notes.push_back(
            {"flops", spec.precision + " " + spec.method +
                          " calibration measured no time; no rate reported"});
      continue;
    }
    reply.flopsCalibrations.push_back(measured);
    if (!path.empty()) {
      std::ofstream out(path);
      out << protocol::formatDouble(measured.gflops) << " "
          << protocol::formatDouble(measured.medianMs) << " " << measured.reps
          << "\n";
    }
  }
}
