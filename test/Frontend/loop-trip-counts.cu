// Loops: induction variable, bound, step and trip count (constant or
// symbolic), nesting (depth, parent), `#pragma unroll` arguments, grid- and
// block-stride loops, halving/doubling (logarithmic) loops, and while/do loops
// whose trip count is unknown, which makes the estimate unknown and says why.
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s
// RUN: cupilot-opt %s --list-kernels --format=json | FileCheck %s --check-prefix=JSON

__global__ void counted(const float *in, float *out, int n, int K) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float acc = 0.0f;
#pragma unroll
  for (int k = 0; k < 16; ++k)
    acc += in[i + k];
#pragma unroll 4
  for (int k = 0; k <= 15; k += 2)
    acc += in[i + k];
  for (int k = 10; k > 0; --k) {
#pragma unroll 1
    for (int j = 0; j < K; j++)
      acc += in[i + j * k];
  }
  out[i] = acc;
}

__global__ void logarithmic(float *data, int n) {
  __shared__ float s[128];
  for (int c = threadIdx.x; c < n; c += blockDim.x)
    s[threadIdx.x] = data[c];
  for (int w = 128; w > 0; w >>= 1)
    __syncthreads();
  for (int k = 1; k < n; k *= 2)
    data[k] = s[0];
  for (int g = blockIdx.x * blockDim.x + threadIdx.x; g < n; g += blockDim.x * gridDim.x)
    data[g] = 0.0f;
}

__global__ void unbounded(float *data, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  while (i < n) {
    data[i] *= 2.0f;
    i += 4096;
  }
  do {
    data[0] = 1.0f;
  } while (data[1] > 0.0f);
}

// CHECK: kernels: 3

// CHECK-LABEL: kernel counted ({{.*}}loop-trip-counts.cu:9:17)
// CHECK-NEXT: signature: __global__ void counted(const float *in, float *out, int n, int K)
// CHECK-NEXT: param in : const float * [in, const]
// CHECK-NEXT: param out : float * [out]
// CHECK-NEXT: param n : int
// CHECK-NEXT: param K : int
// CHECK-NEXT: loop #0 for k = 0; < 16; step 1 trips 16 (unroll full)
// CHECK-NEXT: loop #1 for k = 0; <= 15; step 2 trips 8 (unroll 4)
// CHECK-NEXT: loop #2 for k = 10; > 0; step -1 trips 10
// CHECK-NEXT: loop #3 for j = 0; < K; step 1 trips K (unroll 1)
// CHECK-NEXT: global r in[i + k] coalesced in loop #0
// CHECK-NEXT: global r in[i + k] coalesced in loop #1
// CHECK-NEXT: global r in[i + j * k] coalesced in loop #3
// CHECK-NEXT: global w out[i] coalesced
// CHECK-NEXT: class: reduction (dims 1, shared no, barriers no, warp no, atomics no)
// CHECK-NEXT: estimate: 10*K + 24 flops, 40*K + 100 bytes per thread

// CHECK-LABEL: kernel logarithmic ({{.*}}loop-trip-counts.cu:28:17)
// CHECK-NEXT: signature: __global__ void logarithmic(float *data, int n)
// CHECK-NEXT: param data : float * [inout]
// CHECK-NEXT: param n : int
// CHECK-NEXT: loop #0 for c = threadIdx.x; < n; step blockDim.x trips ceil_div(n, blockDim.x)
// CHECK-NEXT: loop #1 for w = 128; > 0; step >>= 1 trips 8
// CHECK-NEXT: loop #2 for k = 1; < n; step *= 2 trips log2(n)
// CHECK-NEXT: loop #3 for g = blockIdx.x * blockDim.x + threadIdx.x; < n; step blockDim.x * gridDim.x trips ceil_div(n, blockDim.x*gridDim.x) (grid-stride)
// CHECK-NEXT: shared w s[threadIdx.x] coalesced in loop #0
// CHECK-NEXT: global r data[c] coalesced in loop #0
// CHECK-NEXT: global w data[k] uniform in loop #2
// CHECK-NEXT: shared r s[0] uniform in loop #2
// CHECK-NEXT: global w data[g] coalesced in loop #3
// CHECK-NEXT: __shared__ float[128] s (512 bytes)
// CHECK-NEXT: intrinsic __syncthreads (barrier)
// CHECK-NEXT: class: reduction (dims 1, shared yes, barriers yes, warp no, atomics no)
// CHECK-NEXT: estimate: 0 flops, 4*ceil_div(n, blockDim.x) + 4*ceil_div(n, blockDim.x*gridDim.x) + 4*log2(n) bytes per thread

// `i` is reassigned in the while loop, so its accesses are `unknown`; the
// kernel still uses threadIdx.x (dims 1).
// CHECK-LABEL: kernel unbounded ({{.*}}loop-trip-counts.cu:40:17)
// CHECK-NEXT: signature: __global__ void unbounded(float *data, int n)
// CHECK-NEXT: param data : float * [inout]
// CHECK-NEXT: param n : int
// CHECK-NEXT: loop #0 while
// CHECK-NEXT: loop #1 do
// CHECK-NEXT: global rw data[i] unknown in loop #0
// CHECK-NEXT: global w data[0] uniform in loop #1
// CHECK-NEXT: global r data[1] uniform in loop #1
// CHECK-NEXT: class: - (dims 1, shared no, barriers no, warp no, atomics no)
// CHECK-NEXT: reuse: data
// CHECK-NEXT: estimate: unknown (the trip count of the while loop at line 42 is not known statically)

// Nesting, constant trip counts and loop kinds in the JSON.
// JSON-LABEL: "loops": [
// JSON:      "id": 2,
// JSON:      "location": {
// JSON-NEXT:   "column": 3,
// JSON-NEXT:   "file": "{{.*}}loop-trip-counts.cu",
// JSON-NEXT:   "line": 20
// JSON-NEXT: },
// JSON-NEXT: "logarithmic": false,
// JSON-NEXT: "parent": -1,
// JSON-NEXT: "step": "-1",
// JSON-NEXT: "tripCount": 10,
// JSON-NEXT: "tripCountExpr": "10",
// JSON-NEXT: "unroll": 0
// JSON:      "depth": 2,
// JSON-NEXT: "gridStride": false,
// JSON-NEXT: "id": 3,
// JSON-NEXT: "inductionVar": "j",
// JSON:      "parent": 2,
// JSON-NEXT: "step": "1",
// JSON-NEXT: "tripCount": null,
// JSON-NEXT: "tripCountExpr": "K",
// JSON-NEXT: "unroll": 1
// JSON-LABEL: "name": "counted",
// JSON-LABEL: "loops": [
// JSON:      "id": 1,
// JSON:      "logarithmic": true,
// JSON-NEXT: "parent": -1,
// JSON-NEXT: "step": ">>= 1",
// JSON-NEXT: "tripCount": 8,
// JSON:      "gridStride": true,
// JSON-NEXT: "id": 3,
// JSON-LABEL: "name": "logarithmic",
// JSON-LABEL: "loops": [
// JSON-NEXT: {
// JSON-NEXT:   "bound": null,
// JSON-NEXT:   "comparison": null,
// JSON-NEXT:   "depth": 1,
// JSON-NEXT:   "gridStride": false,
// JSON-NEXT:   "id": 0,
// JSON-NEXT:   "inductionVar": null,
// JSON-NEXT:   "init": null,
// JSON-NEXT:   "kind": "while",
// JSON:        "tripCount": null,
// JSON-NEXT:   "tripCountExpr": null,
// JSON:        "kind": "do",
// JSON-LABEL: "name": "unbounded",
