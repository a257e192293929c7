// The reference kernel after set-block-size 128 and launch-bounds: it cannot
// be launched with the task's 256 threads per block, only with its own
// geometry (elementwise_block128.task.yaml).
__global__ void __launch_bounds__(128)
    axpy(int n, float a, const float *x, const float *y, float *out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = a * x[i] + y[i];
}
