// The reference: a naive 5-point stencil on the interior of a W x H grid.
// The border of `out` is never written, so `out` is an inout buffer.
__global__ void stencil2d_naive(const float * __restrict__ in, float * __restrict__ out, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y_coarsen0 = (blockIdx.y * blockDim.y + threadIdx.y) * 4;
  #pragma unroll
  for (int y_coarsen = 0; y_coarsen < 4; ++y_coarsen) {
  int y = y_coarsen0 + y_coarsen;
  if (x >= 1 && x < W - 1 && y >= 1 && y < H - 1) {
    int i = y * W + x;
    out[i] = 0.2f * (in[i] + in[i - 1] + in[i + 1] + in[i - W] + in[i + W]);
  }
  }
}
