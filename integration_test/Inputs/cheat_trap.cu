// A variant that traps on one element.
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i == n / 2)
    __trap();
  if (i < n)
    out[i] = a * x[i] + y[i];
}
