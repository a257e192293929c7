// Cheat gone wrong: waits forever for a value the input never holds.
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  volatile const float *vx = x;
  while (vx[0] < 100.0f) {
  }
  if (i < n)
    out[i] = a * x[i] + y[i];
}
