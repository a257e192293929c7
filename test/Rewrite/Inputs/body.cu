// A guarded body that carries a value between elements.
__global__ void carry(float *data, float *out, int n) {
  float total = 0.0f;
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    total += data[i];
    out[i] = total;
  }
}
