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
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid == 0) out[row] = sdata[0];
}
