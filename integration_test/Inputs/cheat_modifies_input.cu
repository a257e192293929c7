// Cheat: computes the right answer but scribbles over an input.
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    out[i] = a * x[i] + y[i];
    const_cast<float *>(x)[i] = 0.0f;
  }
}
