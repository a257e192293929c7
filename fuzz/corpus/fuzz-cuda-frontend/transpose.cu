// Matrix transpose: in is height x width (row-major), out is width x height.
#include <cuda_runtime.h>

__global__ void transpose_naive(const float* in, float* out, int width, int height) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < width && y < height) {
    out[x * height + y] = in[y * width + x];
  }
}

// Square blocks of blockDim.x x blockDim.x threads; tile has blockDim.x * (blockDim.x + 1)
// floats (one padding column against bank conflicts), sized at launch.
__global__ void transpose_tiled(const float* in, float* out, int width, int height) {
  extern __shared__ float tile[];
  int dim = blockDim.x;
  int x = blockIdx.x * dim + threadIdx.x;
  int y = blockIdx.y * dim + threadIdx.y;
  if (x < width && y < height) {
    tile[threadIdx.y * (dim + 1) + threadIdx.x] = in[y * width + x];
  }
  __syncthreads();
  x = blockIdx.y * dim + threadIdx.x;
  y = blockIdx.x * dim + threadIdx.y;
  if (x < height && y < width) {
    out[y * height + x] = tile[threadIdx.x * (dim + 1) + threadIdx.y];
  }
}

int main() {
  const int width = 1024, height = 768;
  float *in, *out;
  cudaMalloc(&in, width * height * sizeof(float));
  cudaMalloc(&out, width * height * sizeof(float));
  cudaStream_t stream;
  cudaStreamCreate(&stream);

  dim3 block(32, 32);
  dim3 grid((width + 31) / 32, (height + 31) / 32);
  transpose_naive<<<grid, block>>>(in, out, width, height);

  size_t smem = 32 * 33 * sizeof(float);
  transpose_tiled<<<grid, block, smem, stream>>>(in, out, width, height);
  cudaStreamSynchronize(stream);

  cudaStreamDestroy(stream);
  cudaFree(in);
  cudaFree(out);
  return 0;
}
