// Block reductions for the warp-shuffle-reduce tests. Keep line numbers
// stable: tests check locations in this file.
#include <cuda_runtime.h>

// Each block writes the sum of its elements to out[blockIdx.x].
__global__ void block_sum(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  sdata[tid] = (i < n) ? in[i] : 0.0f;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s)
      sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0];
}

// Maximum, dynamic shared memory, threadIdx.x used directly.
__global__ void block_max(const float *in, float *out, int n) {
  extern __shared__ float smax[];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  smax[threadIdx.x] = i < n ? in[i] : -1e30f;
  __syncthreads();
  for (int s = blockDim.x >> 1; s > 0; s /= 2) {
    if (threadIdx.x < s) {
      smax[threadIdx.x] = fmaxf(smax[threadIdx.x + s], smax[threadIdx.x]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0)
    out[blockIdx.x] = smax[0];
}

// Integer sum written as `a = a + b`.
__global__ void count(const int *flags, int *out, int n) {
  __shared__ int hits[512];
  int tid = threadIdx.x;
  int i = blockIdx.x * blockDim.x + tid;
  hits[tid] = i < n ? flags[i] : 0;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s = s >> 1) {
    if (tid < s)
      hits[tid] = hits[tid] + hits[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    atomicAdd(out, hits[0]);
}

// A product: not a sum, minimum or maximum.
__global__ void block_prod(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s)
      sdata[tid] *= sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0];
}

// Stops at one warp (an unrolled last warp follows): another loop shape.
__global__ void stop_at_warp(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 32; s >>= 1) {
    if (tid < s)
      sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0];
}

// Reads partial sums the tree leaves behind.
__global__ void two_halves(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s)
      sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0] + sdata[1];
}

// No barrier before the loop.
__global__ void no_barrier(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s)
      sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0];
}

// Some threads return before the loop.
__global__ void early_exit(const float *in, float *out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  if (blockIdx.x * blockDim.x + tid >= n)
    return;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s)
      sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0)
    out[blockIdx.x] = sdata[0];
}

void launch(const float *in, float *out, const int *flags, int *total, int n) {
  block_sum<<<(n + 255) / 256, 256>>>(in, out, n);
  block_max<<<(n + 127) / 128, 128, 128 * sizeof(float)>>>(in, out, n);
  count<<<(n + 511) / 512, 512>>>(flags, total, n);
}
