// The reference: a naive 5-point stencil on the interior of a W x H grid.
// The border of `out` is never written, so `out` is an inout buffer.
__global__ void stencil2d_naive(const float *in, float *out, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  __shared__ float in_tile[10][34];
  auto in_needed = [=](int x, int y) {
    return x >= 0 && y >= 0 && x < (long long)gridDim.x * blockDim.x &&
           y < (long long)gridDim.y * blockDim.y &&
           (x >= 1 && x < W - 1 && y >= 1 && y < H - 1);
  };
  for (int in_row = threadIdx.y; in_row < 10; in_row += blockDim.y) {
    for (int in_col = threadIdx.x; in_col < 34; in_col += blockDim.x) {
      int y_halo = int(blockIdx.y * blockDim.y) + in_row - 1;
      int x_halo = int(blockIdx.x * blockDim.x) + in_col - 1;
      if (in_needed(x_halo, y_halo) || in_needed(x_halo + 1, y_halo) ||
          in_needed(x_halo - 1, y_halo) || in_needed(x_halo, y_halo + 1) ||
          in_needed(x_halo, y_halo - 1))
        in_tile[in_row][in_col] = in[y_halo * W + x_halo];
    }
  }
  __syncthreads();
  if (x >= 1 && x < W - 1 && y >= 1 && y < H - 1) {
    int i = y * W + x;
    out[i] = 0.2f * (in_tile[threadIdx.y + 1][threadIdx.x + 1] + in_tile[threadIdx.y + 1][threadIdx.x] + in_tile[threadIdx.y + 1][threadIdx.x + 2] + in_tile[threadIdx.y][threadIdx.x + 1] + in_tile[threadIdx.y + 2][threadIdx.x + 1]);
  }
}
