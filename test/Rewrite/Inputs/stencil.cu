// Stencils that tile-stencil stages in shared memory.

// The naive 5-point Jacobi sweep of bench/kernels/stencil2d_naive.cu.
__global__ void jacobi(const float *in, float *out, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x > 0 && x < W - 1 && y > 0 && y < H - 1) {
    out[y * W + x] = 0.2f * (in[y * W + x] + in[y * W + x - 1] + in[y * W + x + 1] +
                             in[(y - 1) * W + x] + in[(y + 1) * W + x]);
  }
}

// A flattened index through a local, an early return, a radius-2 cross in
// x and a one-sided reach in y; coefficients from another array.
__global__ void smooth(const double *u, double *v, const double *c, int nx, int ny) {
  int col = threadIdx.x + blockDim.x * blockIdx.x;
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  if (col < 2 || col >= nx - 2 || row >= ny - 1)
    return;
  int i = row * nx + col;
  double acc = c[0] * u[i];
  acc += c[1] * (u[i - 1] + u[i + 1]) + c[2] * (u[i - 2] + u[i + 2]);
  v[i] = acc + c[3] * u[i + nx];
}

// 1-D three-point stencil.
__global__ void blur1d(const float *in, float *out, int n, float c0, float c1, float c2) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1) {
    out[i] = c0 * in[i - 1] + c1 * in[i] + c2 * in[i + 1];
  }
}

// A constant row stride of 1024.
__global__ void fixed(const float *in, float *out) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= 1 && x < 1023 && y < 1024)
    out[y * 1024 + x] = in[y * 1024 + x + 1] - in[y * 1024 + x - 1];
}

void launch(const float *a, float *b, const double *da, double *db, const double *c,
            int W, int H) {
  dim3 block(32, 8);
  dim3 grid((W + 31) / 32, (H + 7) / 8);
  jacobi<<<grid, block>>>(a, b, W, H);
  smooth<<<dim3((W + 63) / 64, (H + 3) / 4), dim3(64, 4)>>>(da, db, c, W, H);
  blur1d<<<(W + 255) / 256, 256>>>(a, b, W, 0.25f, 0.5f, 0.25f);
}
