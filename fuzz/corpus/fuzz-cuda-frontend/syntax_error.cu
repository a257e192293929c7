// The missing ';' at the end of line 7 is deliberate. clang 22 reports
// "syntax_error.cu:7:48: error: expected ';' at end of declaration" (column 48 is the first
// column after 'threadIdx.x'); nvcc reports it at the start of line 8 instead.
#include <cuda_runtime.h>

__global__ void broken(float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x
  if (i < n) x[i] = 0.0f;
}
