// Cheat: reads past the end of its input (a halo it does not own).
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float halo = x[i + 256];
    out[i] = a * x[i] + y[i] + 0.0f * halo;
  }
}
