// Launch sites in host code: the configuration as written, and per component
// the geometry resolved through dim3 variables, dim3 temporaries, brace
// initialisation and plain integers. Integer locals of the launching function
// that are never modified and are not used by the launch arguments are
// replaced by their definitions, and constant parts (macros, sizeof, const
// locals) are folded, so the geometry is written in the kernel's arguments.
// A modified local (`grown *= 2`) is kept as written. The shared-memory size
// and the stream are kept as written.
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s --check-prefix=TABLE
// RUN: cupilot-opt %s --list-kernels --format=json | FileCheck %s
// RUN: cupilot-opt %s --emit=task-template --kernel k1 \
// RUN:   | FileCheck %s --check-prefix=TASK --implicit-check-not='host name'

#include <cuda_runtime.h>

#define BLOCK 128

__global__ void k1(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = 0.0f;
}

__global__ void k2(float *x, int w, int h) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int j = blockIdx.y * blockDim.y + threadIdx.y;
  if (i < w && j < h) x[j * w + i] = 0.0f;
}

__global__ void k3(float *x, int n) {
  extern __shared__ float buf[];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  buf[threadIdx.x] = i < n ? x[i] : 0.0f;
  __syncthreads();
  if (i < n) x[i] = buf[blockDim.x - 1 - threadIdx.x];
}

void launchAll(float *x, int n, int w, int h, cudaStream_t stream) {
  int threads = 256;
  int blocks = (n + threads - 1) / threads;
  k1<<<blocks, threads>>>(x, n);

  int grown = 64;
  grown *= 2;
  k1<<<n / grown, grown>>>(x, n);

  const int tile = BLOCK / 8;
  k2<<<dim3((w + tile - 1) / tile, (h + tile - 1) / tile), dim3(tile, tile)>>>(x, w, h);

  dim3 block{32, 8};
  dim3 grid = dim3((w + 31) / 32, (h + 7) / 8);
  k2<<<grid, block>>>(x, w, h);

  size_t bytes = BLOCK * sizeof(float);
  k3<<<(n + BLOCK - 1) / BLOCK, BLOCK, bytes, stream>>>(x, n);
}

// TABLE-LABEL: kernel k1
// TABLE:       launch k1<<<blocks, threads>>>(x, n) in launchAll at line 41
// TABLE-NEXT:  launch k1<<<n / grown, grown>>>(x, n) in launchAll at line 45
// TABLE-LABEL: kernel k2
// TABLE:       launch k2<<<dim3((w + tile - 1) / tile, (h + tile - 1) / tile), dim3(tile, tile)>>>(x, w, h) in launchAll at line 48
// TABLE-NEXT:  launch k2<<<grid, block>>>(x, w, h) in launchAll at line 52
// TABLE-LABEL: kernel k3
// TABLE:       launch k3<<<(n + BLOCK - 1) / BLOCK, 128, bytes, stream>>>(x, n) in launchAll at line 55

// k1: `blocks` and `threads` are resolved; `grown` is modified, so it stays.
// CHECK:      "launchSites": [
// CHECK:      "block": "threads",
// CHECK-NEXT: "blockDims": [
// CHECK-NEXT:   "256",
// CHECK-NEXT:   "1",
// CHECK-NEXT:   "1"
// CHECK-NEXT: ],
// CHECK-NEXT: "callee": "k1",
// CHECK-NEXT: "caller": "launchAll",
// CHECK-NEXT: "grid": "blocks",
// CHECK-NEXT: "gridDims": [
// CHECK-NEXT:   "(n + 256 - 1) / 256",
// CHECK-NEXT:   "1",
// CHECK-NEXT:   "1"
// CHECK-NEXT: ],
// CHECK:      "block": "grown",
// CHECK-NEXT: "blockDims": [
// CHECK-NEXT:   "grown",
// CHECK:      "grid": "n / grown",
// CHECK-NEXT: "gridDims": [
// CHECK-NEXT:   "n / grown",
// CHECK-LABEL: "name": "k1",

// k2: dim3 temporaries with a const local and a macro; a brace-initialised
// dim3 variable and one copy-initialised from a temporary.
// CHECK:      "blockDims": [
// CHECK-NEXT:   "16",
// CHECK-NEXT:   "16",
// CHECK-NEXT:   "1"
// CHECK:      "gridDims": [
// CHECK-NEXT:   "(w + 16 - 1) / 16",
// CHECK-NEXT:   "(h + 16 - 1) / 16",
// CHECK-NEXT:   "1"
// CHECK:      "blockDims": [
// CHECK-NEXT:   "32",
// CHECK-NEXT:   "8",
// CHECK-NEXT:   "1"
// CHECK:      "gridDims": [
// CHECK-NEXT:   "(w + 31) / 32",
// CHECK-NEXT:   "(h + 7) / 8",
// CHECK-NEXT:   "1"
// CHECK-LABEL: "name": "k2",

// k3: dynamic shared memory sized at launch, on a stream.
// CHECK:      "gridDims": [
// CHECK-NEXT:   "(n + 128 - 1) / 128",
// CHECK:      "sharedMem": "bytes",
// CHECK-NEXT: "stream": "stream"
// CHECK-LABEL: "name": "k3",
// CHECK:      "sharedMemory": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "bytes": null,
// CHECK-NEXT:     "dynamic": true,

// The task's geometry follows the block size.
// TASK:      launch:
// TASK-NEXT:   grid: ceil_div(n, block.x)
// TASK-NEXT:   block: 256
