// 3-D indexing and the access classes: coalesced, indirect, strided, uniform.
#include <cuda_runtime.h>

// nx x ny x nz volume, x fastest; launched with 8 x 8 x 4 blocks (dimensions divisible).
__global__ void add_one_3d(float* vol, int nx, int ny, int nz) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  int z = blockIdx.z * blockDim.z + threadIdx.z;
  if (x < nx && y < ny && z < nz) {
    vol[(z * ny + y) * nx + x] += 1.0f;
  }
}

__global__ void gather(const float* in, const int* idx, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[idx[i]];
}

__global__ void strided_copy(const float* in, float* out, int n, int stride) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i * stride];
}

__global__ void scale_by_scalar(const float* x, const float* scale, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i] * scale[0];
}

int main() {
  const int nx = 64, ny = 64, nz = 32;
  const int n = nx * ny * nz;
  float *vol, *in, *out, *s;
  int* idx;
  cudaMalloc(&vol, n * sizeof(float));
  cudaMalloc(&in, 4 * n * sizeof(float));
  cudaMalloc(&out, n * sizeof(float));
  cudaMalloc(&s, sizeof(float));
  cudaMalloc(&idx, n * sizeof(int));

  dim3 block(8, 8, 4);
  dim3 grid(nx / 8, ny / 8, nz / 4);
  add_one_3d<<<grid, block>>>(vol, nx, ny, nz);
  gather<<<(n + 255) / 256, 256>>>(in, idx, out, n);
  strided_copy<<<(n + 255) / 256, 256>>>(in, out, n, 4);
  scale_by_scalar<<<(n + 255) / 256, 256>>>(vol, s, out, n);
  cudaDeviceSynchronize();

  cudaFree(vol);
  cudaFree(in);
  cudaFree(out);
  cudaFree(s);
  cudaFree(idx);
  return 0;
}
