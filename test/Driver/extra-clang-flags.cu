// Flags after `--` reach clang (a fixed compilation database, as in every
// LibTooling tool): -DTILE=32 makes the shared tile 32x32 floats, 4096 bytes
// instead of the default 16x16 (1024 bytes); the macro also shows in the
// constant trip count. A flag that makes the source fail is a parse error.
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s --check-prefix=DEFAULT
// RUN: cupilot-opt %s --list-kernels -- -DTILE=32 | FileCheck %s --check-prefix=TILE32
// RUN: not cupilot-opt %s --list-kernels -- -DBREAK 2>&1 | FileCheck %s --check-prefix=BREAK
// RUN: sh -c 'cupilot-opt %s --list-kernels -- -DBREAK; echo exit=$?' 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=EXIT

#ifndef TILE
#define TILE 16
#endif

#ifdef BREAK
#error BREAK is defined
#endif

__global__ void tile_sum(const float *in, float *out) {
  __shared__ float tile[TILE][TILE];
  tile[threadIdx.y][threadIdx.x] = in[threadIdx.y * TILE + threadIdx.x];
  __syncthreads();
  float acc = 0.0f;
  for (int k = 0; k < TILE; ++k)
    acc += tile[threadIdx.y][k];
  out[threadIdx.y] = acc;
}

// DEFAULT:      loop #0 for k = 0; < 16; step 1 trips 16
// DEFAULT:      __shared__ float[16][16] tile (1024 bytes)
// TILE32:       loop #0 for k = 0; < 32; step 1 trips 32
// TILE32:       __shared__ float[32][32] tile (4096 bytes)
// BREAK:        extra-clang-flags.cu:17:2: error: BREAK is defined
// BREAK:        cupilot-opt: error: {{.*}}extra-clang-flags.cu: 1 error while parsing the CUDA host side
// EXIT:         exit=3
