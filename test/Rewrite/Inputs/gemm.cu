// GEMM loop nests for the tile-to-shared tests. Keep line numbers stable:
// tests check locations in this file.
#include <cuda_runtime.h>

// C = A * B with A: M x K, B: K x N, C: M x N (row-major).
__global__ void sgemm(const float *A, const float *B, float *C, int M, int N,
                      int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float sum = 0.0f;
    for (int k = 0; k < K; ++k) {
      sum += A[row * K + k] * B[k * N + col];
    }
    C[row * N + col] = sum;
  }
}

// C = alpha * A^T * B + beta * C with A stored K x M, leading dimensions.
__global__ void dgemm_tn(const double *A, const double *B, double *C, int M,
                         int N, int K, int lda, int ldb, int ldc, double alpha,
                         double beta) {
  int col = threadIdx.x + blockDim.x * blockIdx.x;
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  if (col < N && row < M) {
    double acc = 0.0;
    for (int p = 0; p < K; p++)
      acc += B[p * ldb + col] * A[p * lda + row];
    C[row * ldc + col] = alpha * acc + beta * C[row * ldc + col];
  }
}

// The product uses the column in A's index: not the naive GEMM.
__global__ void mixed(const float *A, const float *B, float *C, int M, int N,
                      int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float sum = 0.0f;
    for (int k = 0; k < K; ++k)
      sum += A[row * K + k + col] * B[k * N + col];
    C[row * N + col] = sum;
  }
}

// Launched with a block that is not square.
__global__ void wide(const float *A, const float *B, float *C, int M, int N,
                     int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float sum = 0.0f;
    for (int k = 0; k < K; ++k)
      sum += A[row * K + k] * B[k * N + col];
    C[row * N + col] = sum;
  }
}

void launch(const float *A, const float *B, float *C, const double *dA,
            const double *dB, double *dC, int M, int N, int K) {
  dim3 block(16, 16);
  dim3 grid((N + 15) / 16, (M + 15) / 16);
  sgemm<<<grid, block>>>(A, B, C, M, N, K);
  dgemm_tn<<<dim3((N + 7) / 8, (M + 7) / 8), dim3(8, 8)>>>(dA, dB, dC, M, N, K,
                                                           M, N, N, 2.0, 0.5);
  mixed<<<grid, block>>>(A, B, C, M, N, K);
  wide<<<dim3((N + 31) / 32, (M + 7) / 8), dim3(32, 8)>>>(A, B, C, M, N, K);
}
