// --cuda-side picks the compilation that is parsed: `host` (the default)
// sees this file as valid; `device` and `both` also compile the device side,
// where __CUDA_ARCH__ is defined, and report its error (exit code 3) naming
// the side. --cuda-gpu-arch sets __CUDA_ARCH__ for the device side. Either
// side lists the same kernels and launch sites.
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s --check-prefix=INDEX
// RUN: cupilot-opt %s --list-kernels --cuda-side=host | FileCheck %s --check-prefix=INDEX
// RUN: not cupilot-opt %s --list-kernels --cuda-side=device -- -DDEVICE_ERROR 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DEVICE-ERROR
// RUN: not cupilot-opt %s --list-kernels --cuda-side=both -- -DDEVICE_ERROR 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DEVICE-ERROR
// RUN: sh -c 'cupilot-opt %s --list-kernels --cuda-side=both -- -DDEVICE_ERROR; echo exit=$?' \
// RUN:   2>/dev/null | FileCheck %s --check-prefix=EXIT
// RUN: cupilot-opt %s --list-kernels -- -DDEVICE_ERROR | FileCheck %s --check-prefix=INDEX
//
// RUN: cupilot-opt %s --list-kernels --cuda-side=device | FileCheck %s --check-prefix=INDEX
// RUN: cupilot-opt %s --list-kernels --cuda-side=both | FileCheck %s --check-prefix=INDEX
// RUN: not cupilot-opt %s --list-kernels --cuda-side=device --cuda-gpu-arch=sm_70 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OLD-ARCH
// RUN: cupilot-opt %s --list-kernels --cuda-side=host --cuda-gpu-arch=sm_70 \
// RUN:   | FileCheck %s --check-prefix=INDEX

#include <cuda_runtime.h>

#if defined(__CUDA_ARCH__) && defined(DEVICE_ERROR)
static_assert(__CUDA_ARCH__ < 0, "device side only");
#endif
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#error needs sm_80 or newer
#endif

__global__ void twice(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] *= 2.0f;
}

int main() {
  float *x;
  cudaMalloc(&x, 1024 * sizeof(float));
  twice<<<4, 256>>>(x, 1024);
  return 0;
}

// INDEX:        kernels: 1
// INDEX:        kernel twice
// INDEX:        launch twice<<<4, 256>>>(x, 1024) in main at line 42
// DEVICE-ERROR: cuda-side.cu:27:15: error: static assertion failed due to requirement '{{.*}}': device side only
// DEVICE-ERROR: cupilot-opt: error: {{.*}}cuda-side.cu: 1 error while parsing the CUDA device side
// EXIT:         exit=3
// OLD-ARCH:     cuda-side.cu:30:2: error: needs sm_80 or newer
// OLD-ARCH:     1 error while parsing the CUDA device side
