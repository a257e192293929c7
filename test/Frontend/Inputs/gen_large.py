#!/usr/bin/env python3
"""Generate large.cu: a ~2,000-line CUDA file with many distinct naive kernels.

Deterministic: no randomness, no timestamps; running it twice gives identical bytes.

  python3 gen_large.py                 # writes large.cu next to this script
  python3 gen_large.py -o FILE         # writes FILE
  python3 gen_large.py --manifest      # prints one line per kernel (facts for EXPECTED.md)

Each kernel is recorded with the facts a kernel index must report for it (class, loops,
shared memory, syncs, warp intrinsics, launch site) so the manifest and the file never
disagree.
"""

import argparse
import os
import sys


class Kernel:
    def __init__(self, name, cls, body, launch, loops=0, shared=None, syncs=0, warp=None,
                 atomics=0, params=None):
        self.name = name          # unqualified name
        self.cls = cls            # elementwise | reduction-like | gemm-like | stencil-like
        self.body = body          # list of source lines (the whole definition)
        self.launch = launch      # one host statement with <<<...>>>
        self.loops = loops        # number of for-loops in the kernel
        self.shared = shared      # None, or static shared bytes (int)
        self.syncs = syncs        # number of __syncthreads() calls (textual)
        self.warp = warp          # None or name of the warp intrinsic used
        self.atomics = atomics    # number of atomicAdd calls (textual)
        self.params = params or []
        self.line = 0             # filled in when the file is laid out
        self.launch_line = 0


# --------------------------------------------------------------------------- families

BINARY_OPS = [
    ("add", "a[i] + b[i]"),
    ("sub", "a[i] - b[i]"),
    ("mul", "a[i] * b[i]"),
    ("div", "a[i] / (b[i] + 1.0f)"),
    ("max", "fmaxf(a[i], b[i])"),
    ("min", "fminf(a[i], b[i])"),
    ("hypot", "sqrtf(a[i] * a[i] + b[i] * b[i])"),
    ("avg", "0.5f * (a[i] + b[i])"),
    ("absdiff", "fabsf(a[i] - b[i])"),
    ("sqdiff", "(a[i] - b[i]) * (a[i] - b[i])"),
]

UNARY_OPS = [
    ("exp", "expf(v)"),
    ("log", "logf(v + 1.0f)"),
    ("sqrt", "sqrtf(fabsf(v))"),
    ("sigmoid", "1.0f / (1.0f + expf(-v))"),
    ("tanh", "tanhf(v)"),
    ("gelu", "0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)))"),
    ("softplus", "logf(1.0f + expf(v))"),
    ("square", "v * v"),
    ("cube", "v * v * v"),
    ("recip", "1.0f / (v + 1.0f)"),
    ("abs", "fabsf(v)"),
    ("sin", "sinf(v)"),
]

SCALAR_OPS = [
    ("axpy", "alpha * x[i] + y[i]"),
    ("axpby", "alpha * x[i] + beta * y[i]"),
    ("lerp", "x[i] + alpha * (y[i] - x[i])"),
    ("clamp", "fminf(fmaxf(x[i], alpha), beta)"),
    ("affine", "alpha * x[i] + beta"),
    ("leaky", "x[i] > 0.0f ? x[i] : alpha * x[i]"),
]

REDUCE_OPS = [
    ("sum", "0.0f", "{a} + {b}"),
    ("max", "-INFINITY", "fmaxf({a}, {b})"),
    ("min", "INFINITY", "fminf({a}, {b})"),
    ("sumsq", "0.0f", "{a} + {b}"),
]


def binary_elementwise():
    ks = []
    for idx, (op, expr) in enumerate(BINARY_OPS):
        for variant in range(3):
            name = "ew_%s_v%d" % (op, variant)
            if variant == 1:
                sig = ("const float* __restrict__ a, const float* __restrict__ b, "
                       "float* __restrict__ c, int n")
            else:
                sig = "const float* a, const float* b, float* c, int n"
            if variant < 2:
                body = [
                    "__global__ void %s(%s) {" % (name, sig),
                    "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
                    "  if (i < n) {",
                    "    c[i] = %s;" % expr,
                    "  }",
                    "}",
                ]
                launch = "%s<<<(n + 255) / 256, 256>>>(a, b, c, n);" % name
                loops = 0
            else:
                body = [
                    "__global__ void %s(%s) {" % (name, sig),
                    "  int stride = blockDim.x * gridDim.x;",
                    "  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)",
                    "    c[i] = %s;" % expr,
                    "}",
                ]
                launch = "%s<<<num_sms * 8, 128>>>(a, b, c, n);" % name
                loops = 1
            ks.append(Kernel(name, "elementwise", body, launch, loops=loops))
    return ks


def unary_grid_stride():
    ks = []
    for op, expr in UNARY_OPS:
        name = "gs_%s" % op
        body = [
            "__global__ void %s(const float* in, float* out, int n) {" % name,
            "  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
            " i += blockDim.x * gridDim.x) {",
            "    float v = in[i];",
            "    out[i] = %s;" % expr,
            "  }",
            "}",
        ]
        launch = "%s<<<num_sms * 4, 256>>>(a, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch, loops=1))
    return ks


def scalar_elementwise():
    ks = []
    for idx, (op, expr) in enumerate(SCALAR_OPS):
        bounds = [(128, 4), (256, 2), (512, 1)][idx % 3]
        name = "scal_%s" % op
        body = [
            "__global__ void __launch_bounds__(%d, %d)" % bounds,
            "%s(const float* x, const float* y, float* out, float alpha, float beta, int n) {"
            % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i >= n) return;",
            "  out[i] = %s;" % expr,
            "}",
        ]
        launch = "%s<<<(n + %d) / %d, %d>>>(a, b, c, 2.0f, 0.5f, n);" % (
            name, bounds[0] - 1, bounds[0], bounds[0])
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def block_reductions():
    ks = []
    for op, init, comb in REDUCE_OPS:
        for bs in (128, 256, 512):
            name = "block_reduce_%s_%d" % (op, bs)
            load = "in[i] * in[i]" if op == "sumsq" else "in[i]"
            body = [
                "__global__ void %s(const float* in, float* out, int n) {" % name,
                "  __shared__ float sdata[%d];" % bs,
                "  unsigned tid = threadIdx.x;",
                "  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;",
                "  sdata[tid] = (i < n) ? %s : %s;" % (load, init),
                "  __syncthreads();",
                "  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {",
                "    if (tid < s) sdata[tid] = %s;" % comb.format(a="sdata[tid]",
                                                             b="sdata[tid + s]"),
                "    __syncthreads();",
                "  }",
                "  if (tid == 0) out[blockIdx.x] = sdata[0];",
                "}",
            ]
            launch = "%s<<<(n + %d) / %d, %d>>>(a, c, n);" % (name, bs - 1, bs, bs)
            ks.append(Kernel(name, "reduction-like", body, launch, loops=1, shared=bs * 4,
                             syncs=2))
    return ks


def warp_reductions():
    ks = []
    for op, init, comb in REDUCE_OPS:
        name = "warp_reduce_%s" % op
        load = "in[i] * in[i]" if op == "sumsq" else "in[i]"
        body = [
            "__global__ void %s(const float* in, float* out, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  float v = (i < n) ? %s : %s;" % (load, init),
            "  for (int offset = 16; offset > 0; offset >>= 1) {",
            "    float other = __shfl_down_sync(0xffffffff, v, offset);",
            "    v = %s;" % comb.format(a="v", b="other"),
            "  }",
            "  if ((threadIdx.x & 31) == 0) out[i / 32] = v;",
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(a, c, n);" % name
        ks.append(Kernel(name, "reduction-like", body, launch, loops=1,
                         warp="__shfl_down_sync"))
    return ks


def atomic_reductions():
    ks = []
    for bs in (128, 256):
        for variant in ("sum", "sumsq", "abssum"):
            name = "atomic_%s_%d" % (variant, bs)
            term = {"sum": "in[i]", "sumsq": "in[i] * in[i]", "abssum": "fabsf(in[i])"}[variant]
            body = [
                "__global__ void %s(const float* in, float* result, int n) {" % name,
                "  __shared__ float partial[%d];" % bs,
                "  float v = 0.0f;",
                "  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
                " i += blockDim.x * gridDim.x)",
                "    v += %s;" % term,
                "  partial[threadIdx.x] = v;",
                "  __syncthreads();",
                "  for (int s = blockDim.x / 2; s > 0; s >>= 1) {",
                "    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];",
                "    __syncthreads();",
                "  }",
                "  if (threadIdx.x == 0) atomicAdd(result, partial[0]);",
                "}",
            ]
            launch = "%s<<<num_sms * 2, %d>>>(a, c, n);" % (name, bs)
            ks.append(Kernel(name, "reduction-like", body, launch, loops=2, shared=bs * 4,
                             syncs=2, atomics=1))
    return ks


GEMM_LAYOUTS = [
    # name, A index, B index
    ("nn", "A[row * K + k]", "B[k * N + col]"),
    ("nt", "A[row * K + k]", "B[col * K + k]"),
    ("tn", "A[k * M + row]", "B[k * N + col]"),
    ("tt", "A[k * M + row]", "B[col * K + k]"),
]


def gemm_naive():
    ks = []
    for lay, aidx, bidx in GEMM_LAYOUTS:
        for epilogue in ("plain", "alphabeta", "relu"):
            name = "sgemm_%s_%s" % (lay, epilogue)
            store = {
                "plain": "C[row * N + col] = acc;",
                "alphabeta": "C[row * N + col] = alpha * acc + beta * C[row * N + col];",
                "relu": "C[row * N + col] = fmaxf(alpha * acc, 0.0f);",
            }[epilogue]
            body = [
                "__global__ void %s(const float* A, const float* B, float* C, int M, int N,"
                " int K," % name,
                "    float alpha, float beta) {",
                "  int row = blockIdx.y * blockDim.y + threadIdx.y;",
                "  int col = blockIdx.x * blockDim.x + threadIdx.x;",
                "  if (row >= M || col >= N) return;",
                "  float acc = 0.0f;",
                "  for (int k = 0; k < K; ++k) {",
                "    acc += %s * %s;" % (aidx, bidx),
                "  }",
                "  %s" % store,
                "}",
            ]
            launch = "%s<<<grid16, block16>>>(A, B, C, M, N, K, 1.0f, 0.0f);" % name
            ks.append(Kernel(name, "gemm-like", body, launch, loops=1))
    return ks


def gemm_tiled():
    ks = []
    for t in (8, 16, 32):
        name = "sgemm_tiled_%d" % t
        body = [
            "__global__ void %s(const float* A, const float* B, float* C, int M, int N, int K) {"
            % name,
            "  __shared__ float As[%d][%d];" % (t, t),
            "  __shared__ float Bs[%d][%d];" % (t, t),
            "  int tx = threadIdx.x, ty = threadIdx.y;",
            "  int row = blockIdx.y * %d + ty;" % t,
            "  int col = blockIdx.x * %d + tx;" % t,
            "  float acc = 0.0f;",
            "  for (int t0 = 0; t0 < K; t0 += %d) {" % t,
            "    As[ty][tx] = (row < M && t0 + tx < K) ? A[row * K + t0 + tx] : 0.0f;",
            "    Bs[ty][tx] = (col < N && t0 + ty < K) ? B[(t0 + ty) * N + col] : 0.0f;",
            "    __syncthreads();",
            "    for (int k = 0; k < %d; ++k) acc += As[ty][k] * Bs[k][tx];" % t,
            "    __syncthreads();",
            "  }",
            "  if (row < M && col < N) C[row * N + col] = acc;",
            "}",
        ]
        launch = ("%s<<<dim3((N + %d) / %d, (M + %d) / %d), dim3(%d, %d)>>>(A, B, C, M, N, K);"
                  % (name, t - 1, t, t - 1, t, t, t))
        ks.append(Kernel(name, "gemm-like", body, launch, loops=2, shared=2 * t * t * 4,
                         syncs=2))
    return ks


def gemv():
    ks = []
    for variant in ("rowdot", "coldot"):
        name = "sgemv_%s" % variant
        if variant == "rowdot":
            inner = "acc += A[r * N + k] * x[k];"
        else:
            inner = "acc += A[k * M + r] * x[k];"
        body = [
            "__global__ void %s(const float* A, const float* x, float* y, int M, int N) {"
            % name,
            "  int r = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (r >= M) return;",
            "  float acc = 0.0f;",
            "  for (int k = 0; k < N; ++k) %s" % inner,
            "  y[r] = acc;",
            "}",
        ]
        launch = "%s<<<(M + 127) / 128, 128>>>(A, B, C, M, N);" % name
        ks.append(Kernel(name, "gemm-like", body, launch, loops=1))
    return ks


def transposes():
    ks = []
    for t in (16, 32):
        name = "transpose_naive_%d" % t
        body = [
            "__global__ void %s(const float* in, float* out, int width, int height) {" % name,
            "  int x = blockIdx.x * blockDim.x + threadIdx.x;",
            "  int y = blockIdx.y * blockDim.y + threadIdx.y;",
            "  if (x < width && y < height) out[x * height + y] = in[y * width + x];",
            "}",
        ]
        launch = ("%s<<<dim3((W + %d) / %d, (H + %d) / %d), dim3(%d, %d)>>>(a, c, W, H);"
                  % (name, t - 1, t, t - 1, t, t, t))
        ks.append(Kernel(name, "elementwise", body, launch))
        name = "transpose_tiled_%d" % t
        body = [
            "__global__ void %s(const float* in, float* out, int width, int height) {" % name,
            "  __shared__ float tile[%d][%d];" % (t, t + 1),
            "  int x = blockIdx.x * %d + threadIdx.x;" % t,
            "  int y = blockIdx.y * %d + threadIdx.y;" % t,
            "  if (x < width && y < height) tile[threadIdx.y][threadIdx.x] = in[y * width + x];",
            "  __syncthreads();",
            "  x = blockIdx.y * %d + threadIdx.x;" % t,
            "  y = blockIdx.x * %d + threadIdx.y;" % t,
            "  if (x < height && y < width) out[y * height + x] = tile[threadIdx.x][threadIdx.y];",
            "}",
        ]
        launch = ("%s<<<dim3((W + %d) / %d, (H + %d) / %d), dim3(%d, %d), 0, stream>>>"
                  "(a, c, W, H);" % (name, t - 1, t, t - 1, t, t, t))
        ks.append(Kernel(name, "elementwise", body, launch, shared=t * (t + 1) * 4, syncs=1))
    return ks


def stencils():
    ks = []
    for r in (1, 2, 3, 4):
        name = "stencil1d_r%d" % r
        terms = " + ".join(["w%d * (in[i - %d] + in[i + %d])" % (d, d, d)
                            for d in range(1, r + 1)])
        wparams = ", ".join(["float w%d" % d for d in range(0, r + 1)])
        body = [
            "__global__ void %s(const float* in, float* out, int n, %s) {" % (name, wparams),
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < %d || i >= n - %d) return;" % (r, r),
            "  out[i] = w0 * in[i] + %s;" % terms,
            "}",
        ]
        wargs = ", ".join(["0.1f"] * (r + 1))
        launch = "%s<<<(n + 255) / 256, 256>>>(a, c, n, %s);" % (name, wargs)
        ks.append(Kernel(name, "stencil-like", body, launch))
    for pts in (5, 9):
        for variant in ("jacobi", "heat"):
            name = "stencil2d_%dpt_%s" % (pts, variant)
            if pts == 5:
                nb = ("u[y * W + x - 1] + u[y * W + x + 1] + u[(y - 1) * W + x] + "
                      "u[(y + 1) * W + x]")
            else:
                nb = ("u[y * W + x - 1] + u[y * W + x + 1] + u[(y - 1) * W + x] + "
                      "u[(y + 1) * W + x] +\n      u[(y - 1) * W + x - 1] + "
                      "u[(y - 1) * W + x + 1] + u[(y + 1) * W + x - 1] + u[(y + 1) * W + x + 1]")
            if variant == "jacobi":
                upd = "(%s) * %s" % (nb, "0.25f" if pts == 5 else "0.125f")
            else:
                upd = "u[y * W + x] + k * (%s - %d.0f * u[y * W + x])" % (nb, pts - 1)
            body = [
                "__global__ void %s(const float* u, float* unew, int W, int H, float k) {"
                % name,
                "  int x = blockIdx.x * blockDim.x + threadIdx.x;",
                "  int y = blockIdx.y * blockDim.y + threadIdx.y;",
                "  if (x < 1 || y < 1 || x >= W - 1 || y >= H - 1) return;",
                "  unew[y * W + x] = %s;" % upd,
                "}",
            ]
            launch = "%s<<<grid16, block16>>>(a, c, W, H, 0.1f);" % name
            ks.append(Kernel(name, "stencil-like", body, launch))
    for variant in ("laplace", "heat"):
        name = "stencil3d_7pt_%s" % variant
        nb = ("in[idx - 1] + in[idx + 1] + in[idx - nx] + in[idx + nx] + in[idx - nx * ny] + "
              "in[idx + nx * ny]")
        upd = ("%s - 6.0f * in[idx]" % nb if variant == "laplace"
               else "in[idx] + k * (%s - 6.0f * in[idx])" % nb)
        body = [
            "__global__ void %s(const float* in, float* out, int nx, int ny, int nz, float k) {"
            % name,
            "  int x = blockIdx.x * blockDim.x + threadIdx.x;",
            "  int y = blockIdx.y * blockDim.y + threadIdx.y;",
            "  int z = blockIdx.z * blockDim.z + threadIdx.z;",
            "  if (x < 1 || y < 1 || z < 1 || x >= nx - 1 || y >= ny - 1 || z >= nz - 1) return;",
            "  int idx = (z * ny + y) * nx + x;",
            "  out[idx] = %s;" % upd,
            "}",
        ]
        launch = "%s<<<grid3d, block3d>>>(a, c, NX, NY, NZ, 0.1f);" % name
        ks.append(Kernel(name, "stencil-like", body, launch))
    return ks


def softmaxes():
    ks = []
    for bs in (128, 256):
        for variant in ("softmax", "logsoftmax"):
            name = "%s_rows_%d" % (variant, bs)
            final = ("expf(x[c] - m) / sum" if variant == "softmax"
                     else "x[c] - m - logf(sum)")
            body = [
                "__global__ void %s(const float* in, float* out, int rows, int cols) {" % name,
                "  __shared__ float red[%d];" % bs,
                "  int row = blockIdx.x;",
                "  if (row >= rows) return;",
                "  int tid = threadIdx.x;",
                "  const float* x = in + row * cols;",
                "  float* y = out + row * cols;",
                "  float m = -INFINITY;",
                "  for (int c = tid; c < cols; c += blockDim.x) m = fmaxf(m, x[c]);",
                "  red[tid] = m;",
                "  __syncthreads();",
                "  for (int s = blockDim.x / 2; s > 0; s >>= 1) {",
                "    if (tid < s) red[tid] = fmaxf(red[tid], red[tid + s]);",
                "    __syncthreads();",
                "  }",
                "  m = red[0];",
                "  __syncthreads();",
                "  float sum = 0.0f;",
                "  for (int c = tid; c < cols; c += blockDim.x) sum += expf(x[c] - m);",
                "  red[tid] = sum;",
                "  __syncthreads();",
                "  for (int s = blockDim.x / 2; s > 0; s >>= 1) {",
                "    if (tid < s) red[tid] += red[tid + s];",
                "    __syncthreads();",
                "  }",
                "  sum = red[0];",
                "  for (int c = tid; c < cols; c += blockDim.x) y[c] = %s;" % final,
                "}",
            ]
            launch = "%s<<<ROWS, %d>>>(a, c, ROWS, COLS);" % (name, bs)
            ks.append(Kernel(name, "reduction-like", body, launch, loops=5, shared=bs * 4,
                             syncs=5))
    return ks


def memory_patterns():
    ks = []
    for s in (2, 4, 8, 32):
        name = "strided_read_%d" % s
        body = [
            "__global__ void %s(const float* in, float* out, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) out[i] = in[i * %d];" % s,
            "}",
        ]
        launch = "%s<<<(n / %d + 255) / 256, 256>>>(a, c, n / %d);" % (name, s, s)
        ks.append(Kernel(name, "elementwise", body, launch))
    for variant in ("gather", "scatter", "gather_add"):
        name = "%s_idx" % variant
        stmt = {
            "gather": "out[i] = in[idx[i]];",
            "scatter": "out[idx[i]] = in[i];",
            "gather_add": "out[i] = in[i] + in[idx[i]];",
        }[variant]
        body = [
            "__global__ void %s(const float* in, const int* idx, float* out, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) %s" % stmt,
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(a, idx, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
    for variant in ("scale", "shift", "bias_row"):
        name = "uniform_%s" % variant
        stmt = {
            "scale": "out[i] = x[i] * p[0];",
            "shift": "out[i] = x[i] + p[1];",
            "bias_row": "out[i] = x[i] * p[0] + p[1];",
        }[variant]
        body = [
            "__global__ void %s(const float* x, const float* p, float* out, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) %s" % stmt,
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(a, b, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def templated():
    """Template kernels; each host launch instantiates one specialization."""
    ks = []
    for base, expr in (("tscale", "x[i] * a"), ("toffset", "x[i] + a"),
                       ("tclampmin", "x[i] < a ? a : x[i]")):
        name = base
        body = [
            "template <typename T, int BLOCK>",
            "__global__ void %s(T* x, T a, int n) {" % name,
            "  int i = blockIdx.x * BLOCK + threadIdx.x;",
            "  if (i < n) x[i] = %s;" % expr,
            "}",
        ]
        launch = ("%s<float, 256><<<(n + 255) / 256, 256>>>(a, 2.0f, n);\n"
                  "  %s<double, 128><<<(n + 127) / 128, 128>>>(d, 2.0, n);" % (name, name))
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def unary_plain():
    ks = []
    for op, expr in UNARY_OPS:
        name = "un_%s" % op
        body = [
            "__global__ void %s(const float* __restrict__ in, float* __restrict__ out, int n) {"
            % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) {",
            "    float v = in[i];",
            "    out[i] = %s;" % expr,
            "  }",
            "}",
        ]
        launch = "%s<<<(n + 511) / 512, 512>>>(a, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def elementwise_2d():
    ks = []
    for op, expr in BINARY_OPS:
        name = "mat_%s" % op
        e = expr.replace("a[i]", "a[idx]").replace("b[i]", "b[idx]")
        body = [
            "__global__ void %s(const float* a, const float* b, float* c, int W, int H) {"
            % name,
            "  int col = blockIdx.x * blockDim.x + threadIdx.x;",
            "  int row = blockIdx.y * blockDim.y + threadIdx.y;",
            "  if (row < H && col < W) {",
            "    int idx = row * W + col;",
            "    c[idx] = %s;" % e,
            "  }",
            "}",
        ]
        launch = ("%s<<<dim3((W + 31) / 32, (H + 7) / 8), dim3(32, 8)>>>(a, b, c, W, H);"
                  % name)
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


HALF_OPS = [("add", "__hadd", "__hadd2"), ("sub", "__hsub", "__hsub2"),
            ("mul", "__hmul", "__hmul2")]


def half_precision():
    ks = []
    for op, scalar, vec in HALF_OPS:
        name = "h_%s" % op
        body = [
            "__global__ void %s(const __half* a, const __half* b, __half* c, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) c[i] = %s(a[i], b[i]);" % scalar,
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(ha, hb, hc, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
        name = "h2_%s" % op
        body = [
            "__global__ void %s(const half2* a, const half2* b, half2* c, int n2) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n2) c[i] = %s(a[i], b[i]);" % vec,
            "}",
        ]
        launch = ("%s<<<(n / 2 + 255) / 256, 256>>>((const half2*)ha, (const half2*)hb,"
                  " (half2*)hc, n / 2);" % name)
        ks.append(Kernel(name, "elementwise", body, launch))
    for op in ("f2h", "h2f"):
        name = "convert_%s" % op
        if op == "f2h":
            body = [
                "__global__ void %s(const float* in, __half* out, int n) {" % name,
                "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
                "  if (i < n) out[i] = __float2half(in[i]);",
                "}",
            ]
            launch = "%s<<<(n + 255) / 256, 256>>>(a, hc, n);" % name
        else:
            body = [
                "__global__ void %s(const __half* in, float* out, int n) {" % name,
                "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
                "  if (i < n) out[i] = __half2float(in[i]);",
                "}",
            ]
            launch = "%s<<<(n + 255) / 256, 256>>>(hc, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
    for op in ("f2bf", "bf2f"):
        name = "convert_%s" % op
        if op == "f2bf":
            body = [
                "__global__ void %s(const float* in, __nv_bfloat16* out, int n) {" % name,
                "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
                "  if (i < n) out[i] = __float2bfloat16(in[i]);",
                "}",
            ]
            launch = "%s<<<(n + 255) / 256, 256>>>(a, bf, n);" % name
        else:
            body = [
                "__global__ void %s(const __nv_bfloat16* in, float* out, int n) {" % name,
                "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
                "  if (i < n) out[i] = __bfloat162float(in[i]);",
                "}",
            ]
            launch = "%s<<<(n + 255) / 256, 256>>>(bf, c, n);" % name
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def dot_products():
    ks = []
    for variant, term in (("dot", "x[i] * y[i]"), ("sqdist", "(x[i] - y[i]) * (x[i] - y[i])"),
                          ("l1dist", "fabsf(x[i] - y[i])")):
        name = "%s_atomic" % variant
        body = [
            "__global__ void %s(const float* x, const float* y, float* result, int n) {" % name,
            "  float v = 0.0f;",
            "  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
            " i += blockDim.x * gridDim.x)",
            "    v += %s;" % term,
            "  for (int offset = 16; offset > 0; offset /= 2)",
            "    v += __shfl_down_sync(0xffffffff, v, offset);",
            "  if ((threadIdx.x & 31) == 0) atomicAdd(result, v);",
            "}",
        ]
        launch = "%s<<<num_sms * 4, 256>>>(a, b, c, n);" % name
        ks.append(Kernel(name, "reduction-like", body, launch, loops=2,
                         warp="__shfl_down_sync", atomics=1))
    for bins in (64, 256):
        name = "histogram_%d" % bins
        body = [
            "__global__ void %s(const int* data, unsigned* hist, int n) {" % name,
            "  __shared__ unsigned local[%d];" % bins,
            "  for (int b = threadIdx.x; b < %d; b += blockDim.x) local[b] = 0;" % bins,
            "  __syncthreads();",
            "  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
            " i += blockDim.x * gridDim.x)",
            "    atomicAdd(&local[data[i] & %d], 1u);" % (bins - 1),
            "  __syncthreads();",
            "  for (int b = threadIdx.x; b < %d; b += blockDim.x) atomicAdd(&hist[b], local[b]);"
            % bins,
            "}",
        ]
        launch = "%s<<<num_sms * 2, 256>>>(idx, (unsigned*)c, n);" % name
        ks.append(Kernel(name, "reduction-like", body, launch, loops=3, shared=bins * 4,
                         syncs=2, atomics=2))
    return ks


def layernorms():
    ks = []
    for bs in (128, 256):
        name = "layernorm_rows_%d" % bs
        body = [
            "__global__ void %s(const float* in, const float* gamma, const float* beta,"
            % name,
            "    float* out, int rows, int cols, float eps) {",
            "  __shared__ float s_sum[%d];" % bs,
            "  __shared__ float s_sq[%d];" % bs,
            "  int row = blockIdx.x;",
            "  if (row >= rows) return;",
            "  int tid = threadIdx.x;",
            "  float sum = 0.0f, sq = 0.0f;",
            "  for (int c = tid; c < cols; c += blockDim.x) {",
            "    float v = in[row * cols + c];",
            "    sum += v;",
            "    sq += v * v;",
            "  }",
            "  s_sum[tid] = sum;",
            "  s_sq[tid] = sq;",
            "  __syncthreads();",
            "  for (int s = blockDim.x / 2; s > 0; s >>= 1) {",
            "    if (tid < s) {",
            "      s_sum[tid] += s_sum[tid + s];",
            "      s_sq[tid] += s_sq[tid + s];",
            "    }",
            "    __syncthreads();",
            "  }",
            "  float mean = s_sum[0] / cols;",
            "  float var = s_sq[0] / cols - mean * mean;",
            "  float inv = rsqrtf(var + eps);",
            "  for (int c = tid; c < cols; c += blockDim.x)",
            "    out[row * cols + c] = (in[row * cols + c] - mean) * inv * gamma[c] + beta[c];",
            "}",
        ]
        launch = "%s<<<ROWS, %d>>>(a, b, b, c, ROWS, COLS, 1e-5f);" % (name, bs)
        ks.append(Kernel(name, "reduction-like", body, launch, loops=3, shared=2 * bs * 4,
                         syncs=2))
    return ks


def batched_gemm():
    ks = []
    for lay, aidx, bidx in GEMM_LAYOUTS:
        name = "sgemm_batched_%s" % lay
        body = [
            "__global__ void %s(const float* A, const float* B, float* C, int M, int N, int K)"
            " {" % name,
            "  int batch = blockIdx.z;",
            "  int row = blockIdx.y * blockDim.y + threadIdx.y;",
            "  int col = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (row >= M || col >= N) return;",
            "  A += batch * M * K;",
            "  B += batch * K * N;",
            "  float acc = 0.0f;",
            "  for (int k = 0; k < K; ++k) acc += %s * %s;" % (aidx, bidx),
            "  C[batch * M * N + row * N + col] = acc;",
            "}",
        ]
        launch = ("%s<<<dim3((N / 4 + 15) / 16, (M / 4 + 15) / 16, 16), block16>>>"
                  "(A, B, C, M / 4, N / 4, K / 4);" % name)
        ks.append(Kernel(name, "gemm-like", body, launch, loops=1))
    return ks


def convolutions():
    ks = []
    for r in (1, 2, 3):
        name = "conv1d_r%d" % r
        body = [
            "__global__ void %s(const float* in, const float* w, float* out, int n) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i >= n) return;",
            "  float acc = 0.0f;",
            "  for (int j = -%d; j <= %d; ++j) {" % (r, r),
            "    int p = i + j;",
            "    if (p >= 0 && p < n) acc += w[j + %d] * in[p];" % r,
            "  }",
            "  out[i] = acc;",
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(a, b, c, n);" % name
        ks.append(Kernel(name, "stencil-like", body, launch, loops=1))
    for r in (1, 2):
        name = "conv2d_r%d" % r
        d = 2 * r + 1
        body = [
            "__global__ void %s(const float* in, const float* w, float* out, int W, int H) {"
            % name,
            "  int x = blockIdx.x * blockDim.x + threadIdx.x;",
            "  int y = blockIdx.y * blockDim.y + threadIdx.y;",
            "  if (x >= W || y >= H) return;",
            "  float acc = 0.0f;",
            "  for (int dy = -%d; dy <= %d; ++dy) {" % (r, r),
            "    for (int dx = -%d; dx <= %d; ++dx) {" % (r, r),
            "      int xx = min(max(x + dx, 0), W - 1);",
            "      int yy = min(max(y + dy, 0), H - 1);",
            "      acc += w[(dy + %d) * %d + (dx + %d)] * in[yy * W + xx];" % (r, d, r),
            "    }",
            "  }",
            "  out[y * W + x] = acc;",
            "}",
        ]
        launch = "%s<<<grid16, block16>>>(a, b, c, W, H);" % name
        ks.append(Kernel(name, "stencil-like", body, launch, loops=2))
    return ks


def fills_and_copies():
    ks = []
    stmts = [
        ("fill_zero", "float* out, int n", "out[i] = 0.0f;", "c, n"),
        ("fill_value", "float* out, float v, int n", "out[i] = v;", "c, 3.0f, n"),
        ("iota", "float* out, int n", "out[i] = (float)i;", "c, n"),
        ("copy", "const float* in, float* out, int n", "out[i] = in[i];", "a, c, n"),
        ("copy_reverse", "const float* in, float* out, int n", "out[i] = in[n - 1 - i];",
         "a, c, n"),
        ("copy_shifted", "const float* in, float* out, int n, int shift",
         "out[i] = in[(i + shift) % n];", "a, c, n, 7"),
    ]
    for name, sig, stmt, args in stmts:
        body = [
            "__global__ void %s(%s) {" % (name, sig),
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i < n) %s" % stmt,
            "}",
        ]
        launch = "%s<<<(n + 255) / 256, 256>>>(%s);" % (name, args)
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def vectorized():
    ks = []
    for op, sym in (("add", "+"), ("mul", "*"), ("sub", "-")):
        name = "vec4_%s" % op
        body = [
            "__global__ void %s(const float4* a, const float4* b, float4* c, int n4) {" % name,
            "  int i = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (i >= n4) return;",
            "  float4 x = a[i], y = b[i];",
            "  c[i] = make_float4(x.x %s y.x, x.y %s y.y, x.z %s y.z, x.w %s y.w);"
            % (sym, sym, sym, sym),
            "}",
        ]
        launch = ("%s<<<(n / 4 + 255) / 256, 256>>>((const float4*)a, (const float4*)b,"
                  " (float4*)c, n / 4);" % name)
        ks.append(Kernel(name, "elementwise", body, launch))
    return ks


def matrix_reductions():
    ks = []
    for op, init, comb in REDUCE_OPS[:3]:
        name = "col_%s" % op
        body = [
            "__global__ void %s(const float* in, float* out, int rows, int cols) {" % name,
            "  int col = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (col >= cols) return;",
            "  float acc = %s;" % init,
            "  for (int r = 0; r < rows; ++r) acc = %s;" % comb.format(a="acc",
                                                                      b="in[r * cols + col]"),
            "  out[col] = acc;",
            "}",
        ]
        launch = "%s<<<(COLS + 255) / 256, 256>>>(a, c, ROWS, COLS);" % name
        ks.append(Kernel(name, "reduction-like", body, launch, loops=1))
        name = "row_%s_thread" % op
        body = [
            "__global__ void %s(const float* in, float* out, int rows, int cols) {" % name,
            "  int row = blockIdx.x * blockDim.x + threadIdx.x;",
            "  if (row >= rows) return;",
            "  float acc = %s;" % init,
            "  for (int c = 0; c < cols; ++c) acc = %s;" % comb.format(a="acc",
                                                                      b="in[row * cols + c]"),
            "  out[row] = acc;",
            "}",
        ]
        launch = "%s<<<(ROWS + 255) / 256, 256>>>(a, c, ROWS, COLS);" % name
        ks.append(Kernel(name, "reduction-like", body, launch, loops=1))
    return ks


FAMILIES = [
    ("binary elementwise", binary_elementwise),
    ("unary grid-stride", unary_grid_stride),
    ("unary one-element-per-thread", unary_plain),
    ("2-D elementwise", elementwise_2d),
    ("half precision", half_precision),
    ("fills and copies", fills_and_copies),
    ("float4 vectorized", vectorized),
    ("scalar elementwise with launch bounds", scalar_elementwise),
    ("block tree reductions", block_reductions),
    ("warp shuffle reductions", warp_reductions),
    ("atomic reductions", atomic_reductions),
    ("dot products and histograms", dot_products),
    ("layer norm", layernorms),
    ("matrix row and column reductions", matrix_reductions),
    ("naive GEMM", gemm_naive),
    ("tiled GEMM", gemm_tiled),
    ("batched GEMM", batched_gemm),
    ("GEMV", gemv),
    ("transposes", transposes),
    ("stencils", stencils),
    ("convolutions", convolutions),
    ("softmax", softmaxes),
    ("memory access patterns", memory_patterns),
    ("templates", templated),
]


HOST_PRELUDE = """\
int main() {
  const int n = 1 << 22;
  const int M = 1024, N = 1024, K = 1024;
  const int W = 2048, H = 2048;
  const int NX = 256, NY = 256, NZ = 128;
  const int ROWS = 8192, COLS = 1024;
  const int num_sms = 132;
  float *a, *b, *c, *A, *B, *C;
  double* d;
  int* idx;
  __half *ha, *hb, *hc;
  __nv_bfloat16* bf;
  cudaMalloc(&a, n * sizeof(float) * 8);
  cudaMalloc(&b, n * sizeof(float) * 8);
  cudaMalloc(&c, n * sizeof(float) * 8);
  cudaMalloc(&A, M * K * sizeof(float));
  cudaMalloc(&B, K * N * sizeof(float));
  cudaMalloc(&C, M * N * sizeof(float));
  cudaMalloc(&d, n * sizeof(double));
  cudaMalloc(&idx, n * sizeof(int));
  cudaMalloc(&ha, n * sizeof(__half));
  cudaMalloc(&hb, n * sizeof(__half));
  cudaMalloc(&hc, n * sizeof(__half));
  cudaMalloc(&bf, n * sizeof(__nv_bfloat16));
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  dim3 block16(16, 16);
  dim3 grid16((N + 15) / 16, (M + 15) / 16);
  dim3 block3d(8, 8, 4);
  dim3 grid3d(NX / 8, NY / 8, NZ / 4);
"""

HOST_EPILOGUE = """\
  cudaDeviceSynchronize();
  cudaStreamDestroy(stream);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  cudaFree(A);
  cudaFree(B);
  cudaFree(C);
  cudaFree(d);
  cudaFree(idx);
  cudaFree(ha);
  cudaFree(hb);
  cudaFree(hc);
  cudaFree(bf);
  return 0;
}
"""


def build():
    out = []
    out.append("// GENERATED by gen_large.py -- do not edit; run `python3 gen_large.py` instead.")
    out.append("// A large translation unit of distinct naive CUDA kernels for the kernel index.")
    out.append("#include <cuda_bf16.h>")
    out.append("#include <cuda_fp16.h>")
    out.append("#include <cuda_runtime.h>")
    out.append("#include <math.h>")
    out.append("")
    kernels = []
    for title, fn in FAMILIES:
        out.append("// ===== %s =====" % title)
        out.append("")
        for k in fn():
            k.body = "\n".join(k.body).split("\n")  # some entries hold several lines
            # The line holding the kernel's name (what FunctionDecl::getLocation points at).
            offset = next(j for j, l in enumerate(k.body) if (" " + k.name + "(") in l
                          or l.startswith(k.name + "("))
            k.line = len(out) + 1 + offset
            out.extend(k.body)
            out.append("")
            kernels.append((title, k))
    out.extend(HOST_PRELUDE.rstrip("\n").split("\n"))
    current = None
    for title, k in kernels:
        if title != current:
            out.append("")
            out.append("  // %s" % title)
            current = title
        k.launch_line = len(out) + 1
        out.extend(("  " + k.launch).split("\n"))
    out.extend(HOST_EPILOGUE.rstrip("\n").split("\n"))
    return "\n".join(out) + "\n", kernels


def manifest(kernels):
    lines = ["# name | class | kernel name line | launch line(s) | for-loops | static shared bytes |"
             " __syncthreads | warp intrinsic | atomicAdd"]
    for title, k in kernels:
        nl = k.launch.count("\n") + 1
        launch_lines = ",".join(str(k.launch_line + j) for j in range(nl))
        lines.append("%s | %s | %d | %s | %d | %s | %d | %s | %d" % (
            k.name, k.cls, k.line, launch_lines, k.loops,
            "-" if k.shared is None else str(k.shared), k.syncs, k.warp or "-", k.atomics))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "large.cu"))
    ap.add_argument("--manifest", action="store_true", help="print per-kernel facts instead")
    args = ap.parse_args()
    text, kernels = build()
    if args.manifest:
        sys.stdout.write(manifest(kernels))
        return
    with open(args.output, "w", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
