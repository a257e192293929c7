// Index expressions the analysis cannot see through: a call of a device
// function on threadIdx.x (directly or through a local) is `unknown`, not
// uniform; references to functions inside such expressions once sent the
// analysis into endless recursion. A chain of locals deeper than the
// analysis follows gives up conservatively (coalesced or unknown, never
// uniform, which would claim all lanes read one element).
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s

__device__ int lane_of(int t) { return t & 31; }
__device__ int scramble(int t) { return (t * 7) ^ 3; }

__global__ void through_calls(const float *in, float *out) {
  int w = scramble(lane_of(threadIdx.x));
  out[lane_of(threadIdx.x)] = in[w];
}

__global__ void deep_chain(float *out) {
  int a0 = threadIdx.x;
  int a1 = a0 + 1;
  int a2 = a1 + 1;
  int a3 = a2 + 1;
  int a4 = a3 + 1;
  int a5 = a4 + 1;
  int a6 = a5 + 1;
  int a7 = a6 + 1;
  int a8 = a7 + 1;
  int a9 = a8 + 1;
  int a10 = a9 + 1;
  int a11 = a10 + 1;
  int a12 = a11 + 1;
  int a13 = a12 + 1;
  int a14 = a13 + 1;
  int a15 = a14 + 1;
  int a16 = a15 + 1;
  int a17 = a16 + 1;
  int a18 = a17 + 1;
  int a19 = a18 + 1;
  int a20 = a19 + 1;
  int a21 = a20 + 1;
  int a22 = a21 + 1;
  int a23 = a22 + 1;
  int a24 = a23 + 1;
  int a25 = a24 + 1;
  int a26 = a25 + 1;
  int a27 = a26 + 1;
  int a28 = a27 + 1;
  int a29 = a28 + 1;
  int a30 = a29 + 1;
  int a31 = a30 + 1;
  int a32 = a31 + 1;
  int a33 = a32 + 1;
  int a34 = a33 + 1;
  int a35 = a34 + 1;
  int a36 = a35 + 1;
  int a37 = a36 + 1;
  int a38 = a37 + 1;
  int a39 = a38 + 1;
  out[a39] = 0.0f;
}

// CHECK-LABEL: kernel through_calls
// CHECK-NEXT:  signature: __global__ void through_calls(const float *in, float *out)
// CHECK-NEXT:  param in : const float * [in, const]
// CHECK-NEXT:  param out : float * [out]
// CHECK-NEXT:  global w out[lane_of(threadIdx.x)] unknown
// CHECK-NEXT:  global r in[w] unknown
// CHECK-NEXT:  class: - (dims 1, shared no, barriers no, warp no, atomics no)

// CHECK-LABEL: kernel deep_chain
// CHECK-NOT:   uniform
// CHECK:       global w out[a39] {{coalesced|unknown}}
// CHECK-NEXT:  class: {{.*}} (dims 1,
