// Reduced-precision kernels: fp16 (scalar and half2) and bf16.
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

__global__ void hadd(const __half* a, const __half* b, __half* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = __hadd(a[i], b[i]);
}

__global__ void half_to_float(const __half* in, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __half2float(in[i]);
}

// n2 = number of half2 pairs (n / 2).
__global__ void hadd2_vec(const half2* a, const half2* b, half2* c, int n2) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n2) c[i] = __hadd2(a[i], b[i]);
}

__global__ void float_to_bf16_scale(const float* in, __nv_bfloat16* out, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __float2bfloat16(in[i] * s);
}

int main() {
  const int n = 1 << 20;
  __half *ha, *hb, *hc;
  float* f;
  __nv_bfloat16* bf;
  cudaMalloc(&ha, n * sizeof(__half));
  cudaMalloc(&hb, n * sizeof(__half));
  cudaMalloc(&hc, n * sizeof(__half));
  cudaMalloc(&f, n * sizeof(float));
  cudaMalloc(&bf, n * sizeof(__nv_bfloat16));

  hadd<<<(n + 255) / 256, 256>>>(ha, hb, hc, n);
  half_to_float<<<(n + 255) / 256, 256>>>(hc, f, n);
  hadd2_vec<<<(n / 2 + 255) / 256, 256>>>(reinterpret_cast<const half2*>(ha),
                                          reinterpret_cast<const half2*>(hb),
                                          reinterpret_cast<half2*>(hc), n / 2);
  float_to_bf16_scale<<<(n + 255) / 256, 256>>>(f, bf, 0.5f, n);
  cudaDeviceSynchronize();

  cudaFree(ha);
  cudaFree(hb);
  cudaFree(hc);
  cudaFree(f);
  cudaFree(bf);
  return 0;
}
