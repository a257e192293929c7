// A bounds check in a conditional expression, `(i < n) ? in[i] : 0.0f`,
// guards the access like an `if` does: it is listed under "guards" and
// bounds the extent of `in`, so a task draft sizes `n` as a problem size
// rather than guessing it. Conditions that compare loaded values or do not
// involve the thread index are not guards.
//
// RUN: cupilot-opt %s --list-kernels --format=json | FileCheck %s
// RUN: cupilot-opt %s --emit=task-template --kernel load_or_zero \
// RUN:   | FileCheck %s --check-prefix=TASK

__global__ void load_or_zero(const float *in, float *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = (i < n) ? in[i] : 0.0f;
  out[i] = v > 0.0f ? v : 0.0f;
}

__global__ void clamp_index(const float *in, const int *idx, float *out,
                            int n, int limit) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  int j = idx[i] < limit ? idx[i] : limit - 1;
  out[i] = in[j];
}

// CHECK:      "guards": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "bound": "n",
// CHECK-NEXT:     "boundParams": [
// CHECK-NEXT:       "n"
// CHECK-NEXT:     ],
// CHECK-NEXT:     "comparison": "<",
// CHECK-NEXT:     "dims": [
// CHECK-NEXT:       "x"
// CHECK-NEXT:     ],
// CHECK-NEXT:     "earlyReturn": false,
// CHECK-NEXT:     "expr": "i",
// CHECK-NEXT:     "location": {
// CHECK-NEXT:       "column": 14,
// CHECK-NEXT:       "file": "{{.*}}conditional-operator-guards.cu",
// CHECK-NEXT:       "line": 13
// CHECK-NEXT:     },
// CHECK-NEXT:     "usesThreadIdx": true
// CHECK-NEXT:   }
// CHECK-NEXT: ],
// CHECK-LABEL: "name": "load_or_zero",
// CHECK:      "extentHint": "n",
// CHECK-NEXT: "name": "in",
// CHECK:      "extentHint": "n",
// CHECK-NEXT: "name": "out",

// Only the early return is a guard; `idx[i] < limit` compares a loaded value.
// CHECK:      "guards": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "bound": "n",
// CHECK:          "earlyReturn": true,
// CHECK-NEXT:     "expr": "i",
// CHECK:          "usesThreadIdx": true
// CHECK-NEXT:   }
// CHECK-NEXT: ],
// CHECK-LABEL: "name": "clamp_index",

// TASK:     sizes:
// TASK-NEXT:  n: 16777216
// TASK-NEXT: arguments:
// TASK:       - name: in
// TASK:         count: n
