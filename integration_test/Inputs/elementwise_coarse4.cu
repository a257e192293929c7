// The reference kernel after coarsen 4: each thread computes 4 elements,
// blockDim.x apart, so a block covers 4 * blockDim.x elements and the grid
// is a quarter of the task's (elementwise_coarse4.task.yaml).
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {
  int base = blockIdx.x * blockDim.x * 4 + threadIdx.x;
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    int i = base + k * blockDim.x;
    if (i < n)
      out[i] = a * x[i] + y[i];
  }
}
