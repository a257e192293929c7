// Naive row sum of a rows x cols row-major matrix: out[row] = sum_c in[row * cols + c].
// One block per row; blockDim.x must be a power of two no larger than 256.
__global__ void row_sum(const float* in, float* out, int rows, int cols) {
  __shared__ float sdata[256];
  int row = blockIdx.x;
  int tid = threadIdx.x;
  if (row >= rows) return;
  float sum = 0.0f;
  for (int c = tid; c < cols; c += blockDim.x) sum += in[row * cols + c];
  sdata[tid] = sum;
  __syncthreads();
  if ((blockDim.x & (blockDim.x - 1)) == 0 && blockDim.x >= 32 && blockDim.y * blockDim.z == 1) {
    __shared__ float sdata_warps[32];
    float sdata_value = sdata[tid];
    #pragma unroll
    for (int sdata_offset = 16; sdata_offset > 0; sdata_offset >>= 1)
      sdata_value += __shfl_down_sync(0xffffffffu, sdata_value, sdata_offset);
    if (tid % 32 == 0)
      sdata_warps[tid / 32] = sdata_value;
    __syncthreads();
    if (tid < 32) {
      sdata_value = tid < blockDim.x / 32 ? sdata_warps[tid] : 0;
      #pragma unroll
      for (int sdata_offset = 16; sdata_offset > 0; sdata_offset >>= 1)
        sdata_value += __shfl_down_sync(0xffffffffu, sdata_value, sdata_offset);
      if (tid == 0)
        sdata[0] = sdata_value;
    }
    __syncthreads();
  } else
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0) out[row] = sdata[0];
}
