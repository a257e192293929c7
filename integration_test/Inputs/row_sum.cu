// The reference: one block of 256 threads per row sums the row (shared-memory
// tree); the output (one value per row) is much smaller than the input.
__global__ void row_sum(const float *in, float *out, int rows, int cols) {
  __shared__ float partial[256];
  int row = blockIdx.x;
  float acc = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x)
    acc += in[(size_t)row * cols + c];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = 128; stride > 0; stride /= 2) {
    if (threadIdx.x < stride)
      partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    out[row] = partial[0];
}
