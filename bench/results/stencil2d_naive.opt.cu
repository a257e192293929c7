// Naive 5-point averaging Jacobi sweep on a W x H row-major grid; the border of out is not
// written. 2-D launch: x covers columns, y covers rows.
__global__ void stencil2d_naive(const float* __restrict__ in, float* __restrict__ out, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y_coarsen0 = (blockIdx.y * blockDim.y + threadIdx.y) * 4;
  #pragma unroll
  for (int y_coarsen = 0; y_coarsen < 4; ++y_coarsen) {
  int y = y_coarsen0 + y_coarsen;
  if (x > 0 && x < W - 1 && y > 0 && y < H - 1) {
    out[y * W + x] = 0.2f * (in[y * W + x] + in[y * W + x - 1] + in[y * W + x + 1] +
                             in[(y - 1) * W + x] + in[(y + 1) * W + x]);
  }
  }
}
