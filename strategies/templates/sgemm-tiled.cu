// cupilot kernel template (see docs/PlanSchema.md, step instantiate-template).
// template: sgemm-tiled
// computes: C = A * B, A is M x K, B is K x N, C is M x N, all row-major fp32;
//   grid x covers the columns of C, grid y its rows, one element per thread
// function: cupilot_sgemm_tiled
// requires: gemmLike
// parameter: TILE = 8 | 16 | 32 (default 16)
// block: TILE, TILE, 1
// grid: (N + TILE - 1) / TILE, (M + TILE - 1) / TILE, 1
//
// Each block stages TILE x TILE tiles of A and B in shared memory (edges
// zero-filled) and every thread accumulates its element of C over k in
// order, so the result matches the naive loop's.
template <int TILE>
__device__ __forceinline__ void cupilot_sgemm_tiled(const float *A,
                                                    const float *B, float *C,
                                                    int M, int N, int K) {
  __shared__ float As[TILE][TILE];
  __shared__ float Bs[TILE][TILE];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * TILE + ty;
  const int col = blockIdx.x * TILE + tx;
  float sum = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TILE) {
    As[ty][tx] = row < M && k0 + tx < K ? A[row * K + k0 + tx] : 0.0f;
    Bs[ty][tx] = col < N && k0 + ty < K ? B[(k0 + ty) * N + col] : 0.0f;
    __syncthreads();
#pragma unroll
    for (int k = 0; k < TILE; ++k)
      sum += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N)
    C[row * N + col] = sum;
}
