// Stencils in 1-D, 2-D and 3-D.
#include <cuda_runtime.h>

__global__ void stencil1d(const float* in, float* out, int n, float c0, float c1, float c2) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1) {
    out[i] = c0 * in[i - 1] + c1 * in[i] + c2 * in[i + 1];
  }
}

// One 5-point averaging Jacobi sweep on a W x H grid (row-major, x fastest); the border of
// unew is not written.
__global__ void jacobi2d(const float* u, float* unew, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x > 0 && x < W - 1 && y > 0 && y < H - 1) {
    unew[y * W + x] = 0.2f * (u[y * W + x] + u[y * W + (x - 1)] + u[y * W + (x + 1)] +
                              u[(y - 1) * W + x] + u[(y + 1) * W + x]);
  }
}

// 7-point Laplacian on an nx x ny x nz grid (x fastest).
__global__ void stencil3d(const float* in, float* out, int nx, int ny, int nz) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  int z = blockIdx.z * blockDim.z + threadIdx.z;
  if (x < 1 || y < 1 || z < 1 || x >= nx - 1 || y >= ny - 1 || z >= nz - 1) return;
  int idx = (z * ny + y) * nx + x;
  int sy = nx;
  int sz = nx * ny;
  out[idx] = -6.0f * in[idx] + in[idx - 1] + in[idx + 1] + in[idx - sy] + in[idx + sy] +
             in[idx - sz] + in[idx + sz];
}

int main() {
  const int n = 1 << 20;
  const int W = 1024, H = 1024;
  const int nx = 128, ny = 128, nz = 64;
  float *a, *b;
  cudaMalloc(&a, n * sizeof(float) * 8);
  cudaMalloc(&b, n * sizeof(float) * 8);

  stencil1d<<<(n + 255) / 256, 256>>>(a, b, n, 0.25f, 0.5f, 0.25f);

  dim3 block2(16, 16);
  dim3 grid2((W + 15) / 16, (H + 15) / 16);
  jacobi2d<<<grid2, block2>>>(a, b, W, H);

  dim3 block3(8, 8, 4);
  dim3 grid3((nx + 7) / 8, (ny + 7) / 8, (nz + 3) / 4);
  stencil3d<<<grid3, block3>>>(a, b, nx, ny, nz);
  cudaDeviceSynchronize();

  cudaFree(a);
  cudaFree(b);
  return 0;
}
