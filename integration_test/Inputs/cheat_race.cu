// A race: the tree reduction without its barriers. Warps read partial sums
// other warps have not written yet (the upper warps start late, as they may
// on any GPU, which makes the race show on every block).
__global__ void block_sum(const float *x, float *out, int n) {
  __shared__ float partial[256];
  int i = blockIdx.x * 256 + threadIdx.x;
  if (threadIdx.x >= 128)
    for (volatile int spin = 0; spin < 2000; ++spin) {
    }
  partial[threadIdx.x] = i < n ? x[i] : 0.0f;
  for (int stride = 128; stride > 0; stride /= 2) {
    if (threadIdx.x < stride)
      partial[threadIdx.x] += ((volatile float *)partial)[threadIdx.x + stride];
  }
  if (threadIdx.x == 0)
    out[blockIdx.x] = partial[0];
}
