// A kernel with a known FLOP count: per element one fp32 FMA (2 FLOPs), one
// multiply and one add (1 each), and one fp64 FMA, multiply and add. The
// intrinsics keep the compiler from contracting or reassociating, so the
// counts are exact: 4 fp32 and 4 fp64 FLOPs per element (threads past `n`
// are predicated off and not counted).
__global__ void flops_exact(const float *x, float *y, double *z, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float v = x[i];
  float r = __fmaf_rn(v, 1.5f, 0.25f);
  r = __fmul_rn(r, v);
  y[i] = __fadd_rn(r, 2.0f);
  double d = v;
  double s = __fma_rn(d, 1.5, 0.25);
  s = __dmul_rn(s, d);
  z[i] = __dadd_rn(s, 2.0);
}
