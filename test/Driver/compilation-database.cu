// -p DIR reads DIR/compile_commands.json and parses the file with its
// compile command (output and dependency flags dropped, the CUDA flags
// added): here the database defines TILE=8, so the shared tile is 8x8 floats
// (256 bytes) instead of the default 16x16, and nothing is written where the
// command's -o and -MF point. As in every LibTooling tool, a file the
// database does not list gets the command of the closest listed file
// (interpolation); without -p the file is parsed with the CUDA flags alone. A
// directory without a database is an input error (exit code 2).
//
// RUN: rm -rf %t && mkdir -p %t/build %t/empty
// RUN: cp %s %t/tile.cu && cp %s %t/unlisted.cu
// RUN: echo '[{"directory": "%t", "file": "%t/tile.cu",' \
// RUN:   '"command": "clang++ -x cuda -DTILE=8 -c %t/tile.cu -o %t/build/tile.o -MD -MF %t/build/tile.d"}]' \
// RUN:   > %t/build/compile_commands.json
// RUN: cupilot-opt %t/tile.cu --list-kernels -p %t/build | FileCheck %s --check-prefix=DB
// RUN: test ! -e %t/build/tile.o && test ! -e %t/build/tile.d
// RUN: cupilot-opt %t/unlisted.cu --list-kernels -p %t/build | FileCheck %s --check-prefix=INFERRED
// RUN: cupilot-opt %t/unlisted.cu --list-kernels | FileCheck %s --check-prefix=DEFAULT
// RUN: not cupilot-opt %t/tile.cu --list-kernels -p %t/empty 2>&1 | FileCheck %s --check-prefix=NO-DB
// RUN: sh -c 'cupilot-opt %t/tile.cu --list-kernels -p %t/empty; echo exit=$?' 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=EXIT

#ifndef TILE
#define TILE 16
#endif

__global__ void tile_copy(const float *in, float *out) {
  __shared__ float tile[TILE][TILE];
  tile[threadIdx.y][threadIdx.x] = in[threadIdx.y * TILE + threadIdx.x];
  __syncthreads();
  out[threadIdx.x * TILE + threadIdx.y] = tile[threadIdx.y][threadIdx.x];
}

// DB:      kernel tile_copy ({{.*}}tile.cu:
// DB:      __shared__ float[8][8] tile (256 bytes)
// INFERRED: kernel tile_copy ({{.*}}unlisted.cu:
// INFERRED: __shared__ float[8][8] tile (256 bytes)
// DEFAULT: kernel tile_copy ({{.*}}unlisted.cu:
// DEFAULT: __shared__ float[16][16] tile (1024 bytes)
// NO-DB:   cupilot-opt: error: cannot load compilation database from '{{.*}}empty':
// EXIT:    exit=2
