// Elementwise kernels: the simplest one-thread-per-element patterns.
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

__global__ void vec_add(const float* __restrict__ a, const float* __restrict__ b,
                        float* __restrict__ c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    c[i] = a[i] + b[i];
  }
}

__global__ void scale_grid_stride(float* data, float s, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    data[i] = data[i] * s;
  }
}

__global__ void __launch_bounds__(256, 2) relu(const float* in, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float v = in[i];
    out[i] = v > 0.0f ? v : 0.0f;
  }
}

int main() {
  const int n = 1 << 20;
  float *x, *y, *z;
  cudaMalloc(&x, n * sizeof(float));
  cudaMalloc(&y, n * sizeof(float));
  cudaMalloc(&z, n * sizeof(float));

  int threads = 256;
  int blocks = (n + threads - 1) / threads;
  saxpy<<<blocks, threads>>>(n, 2.0f, x, y);
  vec_add<<<(n + 255) / 256, 256>>>(x, y, z, n);
  scale_grid_stride<<<128, 256>>>(z, 0.5f, n);
  relu<<<blocks, 256>>>(z, y, n);
  cudaDeviceSynchronize();

  cudaFree(x);
  cudaFree(y);
  cudaFree(z);
  return 0;
}
