// Templates, namespaces and macro-generated kernels.
#include <cuda_runtime.h>

template <typename T, int BLOCK>
__global__ void scale(T* x, T a, int n) {
  int i = blockIdx.x * BLOCK + threadIdx.x;
  if (i < n) x[i] = x[i] * a;
}

template __global__ void scale<int, 64>(int*, int, int);

namespace ops {
namespace detail {
__global__ void add_bias(float* x, const float* bias, int rows, int cols) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * cols) x[i] = x[i] + bias[i % cols];
}
}  // namespace detail

__global__ void fill(float* x, float v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = v;
}
}  // namespace ops

#define DEFINE_UNARY(name, expr)                                  \
  __global__ void name(const float* in, float* out, int n) {      \
    int i = blockIdx.x * blockDim.x + threadIdx.x;                \
    if (i < n) {                                                  \
      float v = in[i];                                            \
      out[i] = (expr);                                            \
    }                                                             \
  }

DEFINE_UNARY(square, v * v)
DEFINE_UNARY(negate, -v)

int main() {
  const int n = 1 << 16;
  float* f;
  double* d;
  float* g;
  cudaMalloc(&f, n * sizeof(float));
  cudaMalloc(&d, n * sizeof(double));
  cudaMalloc(&g, n * sizeof(float));

  scale<float, 256><<<(n + 255) / 256, 256>>>(f, 2.0f, n);
  scale<double, 128><<<(n + 127) / 128, 128>>>(d, 0.5, n);
  ops::fill<<<(n + 255) / 256, 256>>>(g, 1.0f, n);
  ops::detail::add_bias<<<(n + 255) / 256, 256>>>(f, g, n / 64, 64);
  square<<<(n + 255) / 256, 256>>>(f, g, n);
  negate<<<(n + 255) / 256, 256>>>(g, f, n);
  cudaDeviceSynchronize();

  cudaFree(f);
  cudaFree(d);
  cudaFree(g);
  return 0;
}
