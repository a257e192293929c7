// Kernels the rewrite tests transform. Keep line numbers stable: tests
// check locations in this file.
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y[i] = a * x[i] + y[i];
  }
}

__global__ void __launch_bounds__(256, 2) scale(float *out, float *in, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = 2.0f * in[i];
}

__global__ void dot_rows(const float *m, float *v, float *out, int rows) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows)
    return;
  float acc = 0.0f;
  for (int k = 0; k < 16; ++k)
    acc += m[r * 16 + k] * v[k];
  int j = 0;
  while (j < rows) {
    j += 2;
  }
  out[r] = acc;
}

__global__ void accumulate(float *data, float *sum, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float total = 0.0f;
  if (i < n) {
    total += data[i];
    __syncthreads();
    atomicAdd(sum, total);
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
  scale<<<(n + 255) / 256, 256>>>(y, x, n);
  dim3 block(128);
  dim3 grid((n + block.x - 1) / block.x);
  dot_rows<<<grid, block>>>(x, y, z, n / 16);
  accumulate<<<64, 128>>>(x, z, n);
  cudaDeviceSynchronize();
  return 0;
}
