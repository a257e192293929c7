// Kernels calling single-precision math functions (fast-math-intrinsics).
#include <cmath>

#define EXP(x) expf(x)

__global__ void softplus(const float *x, float *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float v = x[i];
    y[i] = logf(1.0f + expf(v)) + std::sin(v) * ::powf(v, 2.0f);
  }
}

__global__ void mixed(const float *x, float *y, double *z, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float s, c;
    sincosf(x[i], &s, &c);
    y[i] = s * c + EXP(x[i]) + cos(x[i]);
    z[i] = exp((double)x[i]) + log((double)x[i]);
  }
}

__global__ void only_macro(const float *x, float *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = EXP(x[i]) + sqrtf(x[i]);
}
