// A correct variant: warp shuffles, then one warp sums the warp totals.
__global__ void block_sum(const float *x, float *out, int n) {
  __shared__ float warps[8];
  int i = blockIdx.x * 256 + threadIdx.x;
  float v = i < n ? x[i] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  if (threadIdx.x % 32 == 0)
    warps[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < 8 ? warps[threadIdx.x] : 0.0f;
    for (int offset = 4; offset > 0; offset /= 2)
      v += __shfl_down_sync(0xffffffffu, v, offset);
    if (threadIdx.x == 0)
      out[blockIdx.x] = v;
  }
}
