// Naive SGEMM: C = A * B, A is M x K, B is K x N, C is M x N, all row-major.
// 2-D launch: x covers columns of C, y covers rows.
__global__ void sgemm_naive(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  __shared__ float A_tile[16][16];
  __shared__ float B_tile[16][16];
  float sum = 0.0f;
  for (int k_tile = 0; k_tile < K; k_tile += 16) {
    {
      int k = k_tile + threadIdx.x;
      A_tile[threadIdx.y][threadIdx.x] = row < M && k < K ? A[row * K + k] : 0.0f;
    }
    {
      int k = k_tile + threadIdx.y;
      B_tile[threadIdx.y][threadIdx.x] = col < N && k < K ? B[k * N + col] : 0.0f;
    }
    __syncthreads();
    #pragma unroll
    for (int k = 0; k < 16; ++k)
      sum += A_tile[threadIdx.y][k] * B_tile[k][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) {
    C[row * N + col] = sum;
  }
}
