// Naive transpose: in is height x width (row-major), out is width x height.
// 2-D launch: x covers columns of in, y covers rows.
__global__ void transpose_naive(const float* in, float* out, int width, int height) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < width && y < height) out[x * height + y] = in[y * width + x];
}
