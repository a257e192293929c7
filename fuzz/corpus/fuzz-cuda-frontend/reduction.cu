// Reductions: shared-memory tree, warp shuffle, and atomics.
#include <cuda_runtime.h>

// Each block writes one partial sum to out[blockIdx.x]. Assumes blockDim.x == 256.
__global__ void block_sum(const float* in, float* out, int n) {
  __shared__ float sdata[256];
  unsigned tid = threadIdx.x;
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  sdata[tid] = (i < n) ? in[i] : 0.0f;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0) out[blockIdx.x] = sdata[0];
}

__inline__ __device__ float warp_reduce_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffff, v, offset);
  return v;
}

// Warp-level partial sums: lane 0 of every warp writes one value.
__global__ void warp_sum(const float* in, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = (i < n) ? in[i] : 0.0f;
  for (int offset = warpSize / 2; offset > 0; offset >>= 1)
    v += __shfl_down_sync(0xffffffff, v, offset);
  if ((threadIdx.x & 31) == 0) out[i / 32] = v;
}

// Full reduction into a single scalar: grid-stride accumulate, shuffle, shared, atomicAdd.
__global__ void sum_atomic(const float* in, float* result, int n) {
  __shared__ float warp_sums[32];
  float v = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    v += in[i];
  v = warp_reduce_sum(v);
  int lane = threadIdx.x % 32;
  int warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = (lane < blockDim.x / 32) ? warp_sums[lane] : 0.0f;
    v = warp_reduce_sum(v);
    if (lane == 0) atomicAdd(result, v);
  }
}

int main() {
  const int n = 1 << 20;
  float *in, *partial, *result;
  cudaMalloc(&in, n * sizeof(float));
  cudaMalloc(&partial, (n / 32) * sizeof(float));
  cudaMalloc(&result, sizeof(float));
  cudaMemset(result, 0, sizeof(float));

  block_sum<<<n / 256, 256>>>(in, partial, n);
  warp_sum<<<n / 256, 256>>>(in, partial, n);
  sum_atomic<<<256, 256>>>(in, result, n);
  cudaDeviceSynchronize();

  cudaFree(in);
  cudaFree(partial);
  cudaFree(result);
  return 0;
}
