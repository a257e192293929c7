// Row-wise softmax over a rows x cols matrix; one block (of 256 threads) per row.
#include <cuda_runtime.h>
#include <math.h>

__global__ void softmax_rows(const float* in, float* out, int rows, int cols) {
  __shared__ float red[256];
  int row = blockIdx.x;
  if (row >= rows) return;
  int tid = threadIdx.x;
  const float* x = in + row * cols;
  float* y = out + row * cols;

  float m = -INFINITY;
  for (int c = tid; c < cols; c += blockDim.x) m = fmaxf(m, x[c]);
  red[tid] = m;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) red[tid] = fmaxf(red[tid], red[tid + s]);
    __syncthreads();
  }
  m = red[0];
  __syncthreads();

  float sum = 0.0f;
  for (int c = tid; c < cols; c += blockDim.x) sum += expf(x[c] - m);
  red[tid] = sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) red[tid] += red[tid + s];
    __syncthreads();
  }
  sum = red[0];

  for (int c = tid; c < cols; c += blockDim.x) y[c] = expf(x[c] - m) / sum;
}

int main() {
  const int rows = 4096, cols = 1000;
  float *in, *out;
  cudaMalloc(&in, rows * cols * sizeof(float));
  cudaMalloc(&out, rows * cols * sizeof(float));
  softmax_rows<<<rows, 256>>>(in, out, rows, cols);
  cudaDeviceSynchronize();
  cudaFree(in);
  cudaFree(out);
  return 0;
}
