// Row softmax, one thread per row, with the max subtraction that keeps
// exp() from overflowing.
__global__ void softmax(const float *x, float *y, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows)
    return;
  const float *in = x + (long long)r * cols;
  float *out = y + (long long)r * cols;
  float m = in[0];
  for (int c = 1; c < cols; ++c)
    m = fmaxf(m, in[c]);
  float sum = 0;
  for (int c = 0; c < cols; ++c)
    sum += expf(in[c] - m);
  for (int c = 0; c < cols; ++c)
    out[c] = expf(in[c] - m) / sum;
}
