// Thread and block indices read through cooperative groups are indices like
// threadIdx and blockIdx: a thread_block's thread_rank() is the linear thread
// index (coalesced), thread_index().x / group_index().x are threadIdx.x /
// blockIdx.x. A tile's thread_rank() depends on the thread but not affinely
// (unknown). None of these is uniform, which they were when the calls were
// treated as opaque values.
//
// RUN: cupilot-opt %s --list-kernels | FileCheck %s
// RUN: cupilot-opt %s --list-kernels --format=json | FileCheck %s --check-prefix=JSON

#include <cooperative_groups.h>

namespace cg = cooperative_groups;

__global__ void rank_copy(const float *in, float *out, int n) {
  cg::thread_block block = cg::this_thread_block();
  unsigned r = block.thread_rank();
  out[block.thread_rank()] = in[r];
  cg::thread_block_tile<32> tile = cg::tiled_partition<32>(block);
  out[tile.thread_rank()] = 0.0f;
  unsigned i = block.group_index().x * block.group_dim().x + block.thread_index().x;
  if (i < n)
    out[i] = 1.0f;
}

// CHECK-LABEL: kernel rank_copy
// CHECK:       global w out[block.thread_rank()] coalesced
// CHECK-NEXT:  global r in[r] coalesced
// CHECK-NEXT:  global w out[tile.thread_rank()] unknown
// CHECK-NEXT:  global w out[i] coalesced
// CHECK-NEXT:  class: - (dims 1,

// JSON:      "normalizedIndex": "blockDim.x*blockDim.y*threadIdx.z + blockDim.x*threadIdx.y + threadIdx.x",
// JSON-NEXT: "pattern": "coalesced",
// JSON:      "normalizedIndex": "blockDim.x*blockIdx.x + threadIdx.x",
// JSON-NEXT: "pattern": "coalesced",
// JSON:      "guards": [
// JSON-NEXT:   {
// JSON-NEXT:     "bound": "n",
// JSON:          "expr": "i",
