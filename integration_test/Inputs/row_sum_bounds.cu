// The reference with only __launch_bounds__(256) added: semantically
// identical.
__global__ void __launch_bounds__(256)
    row_sum(const float *in, float *out, int rows, int cols) {
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
