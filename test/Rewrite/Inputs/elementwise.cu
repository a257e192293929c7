// Elementwise kernels for the coarsen and vectorize tests. Keep line numbers
// stable: tests check locations in this file.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

// Early-return form with a local per element.
__global__ void relu(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float v = x[i];
  x[i] = v > 0.0f ? v : 0.0f;
}

// The index used as a value; a store only some elements make.
__global__ void ramp(float *out, int *hits, float step, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    out[i] = i * step;
    if (i % 3 == 0)
      hits[i] = 1;
  }
}

__global__ void hadd(const __half *a, const __half *b, __half *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = __hadd(a[i], b[i]);
}

__global__ void dscale(double *d, double s, int n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    d[i] *= s;
  }
}

// Reads x after writing y, which may alias it.
__global__ void copy_then_read(const float *x, float *y, float *z, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y[i] = x[i];
    z[i] = x[i] + 1.0f;
  }
}

// Uses blockIdx in the body.
__global__ void tag_block(int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = blockIdx.x;
}

// Returns inside the per-element code.
__global__ void clip(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    if (x[i] < 0.0f)
      return;
    x[i] = 1.0f;
  }
}

// Changes the index.
__global__ void shift(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    i = i + 0;
    x[i] = 0.0f;
  }
}

// Synchronises inside the per-element code.
__global__ void sync_body(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    x[i] = 0.0f;
    __syncthreads();
  }
}

// Launched with a fixed grid.
__global__ void fixed(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = 1.0f;
}

// Launched with a grid from a function.
__global__ void opaque(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = 2.0f;
}

// Never launched in this file.
__global__ void unlaunched(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = 3.0f;
}

// Uses shared memory.
__global__ void staged(const float *x, float *y, int n) {
  __shared__ float tile[256];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    tile[threadIdx.x] = x[i];
    y[i] = tile[threadIdx.x];
  }
}

// Uses threadIdx in the body: fine to coarsen, not to vectorize.
__global__ void lane_id(int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = threadIdx.x;
}

static dim3 gridFor(int n) { return dim3((n + 255) / 256); }

void launch_all(float *x, float *y, float *z, int *k, __half *h, double *d,
                int n) {
  const int threads = 256;
  relu<<<(n + threads - 1) / threads, threads>>>(x, n);
  ramp<<<(n + 255) / 256, 256>>>(x, k, 0.5f, n);
  hadd<<<dim3((n + 127) / 128), dim3(128)>>>(h, h, h, n);
  dim3 block(256);
  dim3 grid((n + block.x - 1) / block.x);
  dscale<<<grid, block>>>(d, 2.0, n);
  copy_then_read<<<(n + 255) / 256, 256>>>(x, y, z, n);
  tag_block<<<(n + 255) / 256, 256>>>(k, n);
  clip<<<(n + 255) / 256, 256>>>(x, n);
  shift<<<(n + 255) / 256, 256>>>(x, n);
  sync_body<<<(n + 255) / 256, 256>>>(x, n);
  fixed<<<10, 256>>>(x, n);
  opaque<<<gridFor(n), 256>>>(x, n);
  staged<<<(n + 255) / 256, 256>>>(x, y, n);
  lane_id<<<(n + 255) / 256, 256>>>(k, n);
}
