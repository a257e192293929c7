// The reference with __restrict__ pointers and __launch_bounds__(256):
// semantically identical.
__global__ void __launch_bounds__(256)
    stencil2d_naive(const float *__restrict__ in, float *__restrict__ out,
                    int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= 1 && x < W - 1 && y >= 1 && y < H - 1) {
    int i = y * W + x;
    out[i] = 0.2f * (in[i] + in[i - 1] + in[i + 1] + in[i - W] + in[i + W]);
  }
}
