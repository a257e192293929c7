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

// A function of the user's named like the library's, and pow with an integer
// exponent (CUDA's pow(float, int), and powf converting it): __powf would
// give NaN for negative bases, so only expf is substituted.
namespace mylib {
__device__ float sinf(float v) { return v - v * v * v / 6.0f; }
} // namespace mylib

__global__ void user_math(const float *x, float *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = mylib::sinf(x[i]) + pow(x[i], 2) + powf(x[i], 2) + expf(x[i]);
}
