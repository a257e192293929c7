// Times the vendor library (cuBLAS) on what each bench kernel computes, at the
// sizes of bench/tasks, the way cupilot's worker times variants: fresh random
// inputs (never zeros), results checked against a host computation on sampled
// elements before timing, the L2 cache flushed before every repetition, the
// median of the repetitions. Prints one JSON object (bench/summarize.py
// --vendor reads it). fp32 throughout; TF32 is disabled, as the tasks' strict
// fp32 precision policy requires.
//
//   nvcc -O3 -arch=native bench/vendor/cublas_bench.cu -lcublas -o cublas_bench
//   ./cublas_bench > vendor.json
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#define CHECK_CUDA(x)                                                          \
  do {                                                                         \
    cudaError_t e = (x);                                                       \
    if (e != cudaSuccess) {                                                    \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,                  \
                   cudaGetErrorString(e));                                     \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)
#define CHECK_CUBLAS(x)                                                        \
  do {                                                                         \
    cublasStatus_t s = (x);                                                    \
    if (s != CUBLAS_STATUS_SUCCESS) {                                          \
      std::fprintf(stderr, "%s:%d: cuBLAS status %d\n", __FILE__, __LINE__,    \
                   int(s));                                                    \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

namespace {

struct Buffer {
  float *device = nullptr;
  std::vector<float> host;
  explicit Buffer(size_t n, std::mt19937 *rng) : host(n) {
    CHECK_CUDA(cudaMalloc(&device, n * sizeof(float)));
    if (rng) {
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (float &v : host)
        v = dist(*rng);
      CHECK_CUDA(cudaMemcpy(device, host.data(), n * sizeof(float),
                            cudaMemcpyHostToDevice));
    }
  }
  ~Buffer() { cudaFree(device); }
  void fetch() {
    CHECK_CUDA(cudaMemcpy(host.data(), device, host.size() * sizeof(float),
                          cudaMemcpyDeviceToHost));
  }
};

/// Median time of `op` over `reps` runs, each after an L2 flush.
double medianMs(const std::function<void()> &op, int reps = 50) {
  static float *flush = nullptr;
  const size_t flushBytes = size_t(512) << 20;
  if (!flush)
    CHECK_CUDA(cudaMalloc(&flush, flushBytes));
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i)
    op(); // Warm-up (cuBLAS heuristics, clocks).
  std::vector<float> times;
  for (int i = 0; i < reps; ++i) {
    CHECK_CUDA(cudaMemsetAsync(flush, i, flushBytes));
    CHECK_CUDA(cudaEventRecord(start));
    op();
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return times[times.size() / 2];
}

/// Fails the run when a sampled element is off (the library must compute the
/// same thing as the bench kernel before its time means anything).
void expectClose(const char *what, double got, double want, double tol) {
  if (!(std::fabs(got - want) <= tol * (1.0 + std::fabs(want)))) {
    std::fprintf(stderr, "%s: got %.9g, want %.9g\n", what, got, want);
    std::exit(2);
  }
}

} // namespace

int main() {
  cublasHandle_t handle;
  CHECK_CUBLAS(cublasCreate(&handle));
  CHECK_CUBLAS(cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH));
  std::mt19937 rng(1);
  const float one = 1.0f, zero = 0.0f;
  std::vector<std::string> entries;
  auto record = [&](const char *kernel, const char *op, double ms) {
    char line[256];
    std::snprintf(line, sizeof line, "  \"%s\": {\"op\": \"%s\", \"ms\": %.6f}",
                  kernel, op, ms);
    entries.push_back(line);
  };

  { // vector_add: c = a + b, n = 2^25, as a 4096 x 8192 matrix (geam on
    // one n x 1 column ran ~15x slower than on this view of the same data).
    const int n = 1 << 25, rows = 4096, cols = n / rows;
    Buffer a(n, &rng), b(n, &rng), c(n, nullptr);
    auto op = [&] {
      CHECK_CUBLAS(cublasSgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, rows, cols,
                               &one, a.device, rows, &one, b.device, rows,
                               c.device, rows));
    };
    op();
    c.fetch();
    for (int i = 0; i < n; i += 99991)
      expectClose("vector_add", c.host[i], double(a.host[i]) + b.host[i], 1e-6);
    record("vector_add", "cublasSgeam", medianMs(op));
  }
  { // row_sum: out[r] = sum_c in[r * cols + c], 8192 x 4096 row-major.
    const int rows = 8192, cols = 4096;
    Buffer in(size_t(rows) * cols, &rng), out(rows, nullptr), ones(cols, nullptr);
    std::fill(ones.host.begin(), ones.host.end(), 1.0f);
    CHECK_CUDA(cudaMemcpy(ones.device, ones.host.data(), cols * sizeof(float),
                          cudaMemcpyHostToDevice));
    // Row-major in is the column-major cols x rows matrix; out = in^T * 1.
    auto op = [&] {
      CHECK_CUBLAS(cublasSgemv(handle, CUBLAS_OP_T, cols, rows, &one, in.device,
                               cols, ones.device, 1, &zero, out.device, 1));
    };
    op();
    out.fetch();
    for (int r = 0; r < rows; r += 997) {
      double sum = 0;
      for (int c = 0; c < cols; ++c)
        sum += in.host[size_t(r) * cols + c];
      expectClose("row_sum", out.host[r], sum, 1e-4);
    }
    record("row_sum", "cublasSgemv", medianMs(op));
  }
  { // sgemm_naive: C = A * B, 2048^3, row-major: C^T = B^T A^T column-major.
    const int M = 2048, N = 2048, K = 2048;
    Buffer A(size_t(M) * K, &rng), B(size_t(K) * N, &rng), C(size_t(M) * N, nullptr);
    auto op = [&] {
      CHECK_CUBLAS(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one,
                               B.device, N, A.device, K, &zero, C.device, N));
    };
    op();
    C.fetch();
    for (int s = 0; s < 64; ++s) {
      int i = (s * 131) % M, j = (s * 977) % N;
      double sum = 0;
      for (int k = 0; k < K; ++k)
        sum += double(A.host[size_t(i) * K + k]) * B.host[size_t(k) * N + j];
      expectClose("sgemm", C.host[size_t(i) * N + j], sum, 1e-3);
    }
    record("sgemm_naive", "cublasSgemm", medianMs(op));
  }
  { // transpose_naive: out (width x height) = in (height x width)^T.
    const int width = 4096, height = 4096;
    Buffer in(size_t(width) * height, &rng), out(size_t(width) * height, nullptr);
    // Column-major: in is width x height (ld width), out is height x width
    // (ld height) = in^T.
    auto op = [&] {
      // beta = 0 with B = A again, so that no unset memory is read.
      CHECK_CUBLAS(cublasSgeam(handle, CUBLAS_OP_T, CUBLAS_OP_T, height, width,
                               &one, in.device, width, &zero, in.device, width,
                               out.device, height));
    };
    op();
    out.fetch();
    for (int s = 0; s < 4096; ++s) {
      int x = (s * 7919) % width, y = (s * 104729) % height;
      expectClose("transpose", out.host[size_t(x) * height + y],
                  in.host[size_t(y) * width + x], 0);
    }
    record("transpose_naive", "cublasSgeam", medianMs(op));
  }

  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  int version = 0;
  CHECK_CUBLAS(cublasGetVersion(handle, &version));
  std::printf("{\n  \"device\": \"%s\",\n  \"cublas\": %d,\n  \"kernels\": {\n",
              prop.name, version);
  for (size_t i = 0; i < entries.size(); ++i)
    std::printf("  %s%s\n", entries[i].c_str(), i + 1 < entries.size() ? "," : "");
  std::printf("  }\n}\n");
  cublasDestroy(handle);
  return 0;
}
