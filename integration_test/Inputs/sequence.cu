__global__ void fill(double *b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    b[i] = 1.0;
}

__global__ void step(double *a, double *b, int n, int it) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    a[i] = 0.5 * a[i] + it;
    b[i] += a[i];
  }
}
