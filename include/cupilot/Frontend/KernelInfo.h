//===- KernelInfo.h - Plain facts about one CUDA kernel ---------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// KernelInfo is what the frontend extracts from the AST for each __global__
// function: plain data with no AST pointers, so layers above the frontend
// (strategies, the tuner, the LLM prompts) can read it. The JSON rendering is
// documented in docs/KernelIndexSchema.md.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FRONTEND_KERNELINFO_H
#define CUPILOT_FRONTEND_KERNELINFO_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cupilot {

/// A presumed location (after #line), 1-based; `file` as given to the parser.
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
};

struct ParamInfo {
  std::string name;
  /// The type as written after template substitution (`const float *`).
  std::string type;
  bool isPointer = false;
  /// Pointer parameters: the pointee type without qualifiers, its size in
  /// bytes (0 if incomplete) and whether it is const-qualified.
  std::string elementType;
  unsigned elementBytes = 0;
  bool pointeeConst = false;
  /// `__restrict__` on the pointer itself.
  bool isRestrict = false;
  /// `const` on the parameter itself (`float *const p`, `const int n`).
  bool isConst = false;
  /// Whether the kernel reads / writes memory through this pointer.
  bool read = false;
  bool written = false;
  /// Element-count guess for pointer parameters, a product of the integer
  /// parameters that bound the accesses (`M*K`); empty when unknown.
  std::string extentHint;
};

/// A loop in the kernel body. Loops are numbered in source order.
struct LoopInfo {
  unsigned id = 0;
  /// Id of the enclosing loop, -1 at top level.
  int parent = -1;
  unsigned depth = 0;
  /// `for`, `while` or `do`.
  std::string kind;
  /// Induction variable and the pieces of `for (iv = init; iv OP bound; step)`;
  /// empty when the loop is not in that form.
  std::string inductionVar;
  std::string init;
  std::string comparison;
  std::string bound;
  std::string step;
  /// Trip count when it is a compile-time constant.
  std::optional<int64_t> tripCount;
  /// Symbolic trip count (e.g. `K`, `(n - 1)/4 + 1`), empty when unknown.
  std::string tripCountExpr;
  /// `for (i = tid; i < n; i += blockDim.x * gridDim.x)`.
  bool gridStride = false;
  /// Steps by halving / doubling (tree reductions).
  bool logarithmic = false;
  /// Argument of a `#pragma unroll` on the loop: 0 = none, -1 = full.
  int unroll = 0;
  SourceLoc loc;
};

enum class MemorySpace { Global, Shared, Constant, Local };
enum class AccessPattern {
  /// Consecutive threads (threadIdx.x) touch consecutive elements.
  Coalesced,
  /// Consecutive threads touch elements a fixed or symbolic stride apart.
  Strided,
  /// All threads of a warp touch the same element.
  Uniform,
  /// The index depends on a value loaded from memory.
  Indirect,
  /// The index is not an affine function of the thread index.
  Unknown,
};

struct MemoryAccess {
  MemorySpace space = MemorySpace::Global;
  /// The parameter or shared variable accessed.
  std::string base;
  /// Index expression as written (for `a[i][j]`, `i][j`).
  std::string index;
  /// The index after substituting single-assignment locals, normalised.
  std::string normalizedIndex;
  bool isRead = false;
  bool isWrite = false;
  AccessPattern pattern = AccessPattern::Unknown;
  /// Elements between consecutive threads (threadIdx.x); "1" when coalesced,
  /// "0" when uniform, empty when unknown or indirect.
  std::string threadStride;
  /// Thread dimensions (`x`, `y`, `z`) along which the index is constant,
  /// i.e. the element is shared by those threads (data reuse across threads).
  std::vector<std::string> invariantDims;
  /// Innermost enclosing loop id, -1 if none.
  int loop = -1;
  std::string elementType;
  unsigned elementBytes = 0;
  SourceLoc loc;
};

struct SharedMemoryDecl {
  std::string name;
  std::string type;
  /// `extern __shared__ T name[];` (size set at launch).
  bool dynamic = false;
  /// Size in bytes of a statically sized array.
  std::optional<uint64_t> bytes;
  SourceLoc loc;
};

/// A synchronisation or warp-level intrinsic call.
struct IntrinsicUse {
  /// `__syncthreads`, `__shfl_down_sync`, `atomicAdd`, `sync` (cooperative
  /// groups), ...
  std::string name;
  /// `barrier`, `warp-shuffle`, `warp-vote`, `warp-reduce`, `atomic`,
  /// `fence`, `read-only-load`.
  std::string category;
  int loop = -1;
  SourceLoc loc;
};

/// A bounds check `expr < bound` on a thread-dependent expression, from an
/// `if` or `?:` condition (or the negation of an early-return condition).
struct BoundsGuard {
  std::string expr;
  /// `<`, `<=`, `>`, `>=` with `expr` on the left.
  std::string comparison;
  std::string bound;
  /// Dimensions (`x`, `y`, `z`) of threadIdx/blockIdx that `expr` uses.
  std::vector<std::string> dims;
  /// Whether `expr` uses threadIdx in those dimensions (else only blockIdx).
  bool usesThreadIdx = false;
  /// Integer parameters that `bound` mentions.
  std::vector<std::string> boundParams;
  /// From `if (cond) return;`.
  bool earlyReturn = false;
  SourceLoc loc;
};

/// A host-side `kernel<<<grid, block, smem, stream>>>(args...)` launch.
struct LaunchSite {
  /// Callee as written (`saxpy`, `ns::k<float, 4>`).
  std::string callee;
  /// Function containing the launch.
  std::string caller;
  /// Configuration expressions as written; empty when defaulted.
  std::string grid;
  std::string block;
  std::string sharedMem;
  std::string stream;
  /// Per-component geometry when it could be resolved through `dim3`
  /// variables and constructors (x, y, z).
  std::vector<std::string> gridDims;
  std::vector<std::string> blockDims;
  /// Launch arguments as written, one per kernel parameter.
  std::vector<std::string> args;
  SourceLoc loc;
};

/// Static features that strategy applicability predicates test.
struct KernelFeatures {
  /// Number of thread-index dimensions used (1..3), 0 if none.
  unsigned threadDims = 0;
  bool elementwise = false;
  bool reductionLike = false;
  bool gemmLike = false;
  bool stencilLike = false;
  bool usesSharedMemory = false;
  bool usesBarriers = false;
  bool usesWarpIntrinsics = false;
  bool usesAtomics = false;
  bool hasGridStrideLoop = false;
  /// Global arrays whose elements are read by several threads.
  std::vector<std::string> reusedArrays;
  /// Maximum loop nest depth.
  unsigned maxLoopDepth = 0;
  /// Calls of single-precision math functions that have a fast intrinsic
  /// (`expf`, `sinf`, `powf`, ...; cupilot/Frontend/MathFunctions.h).
  unsigned fastMathCalls = 0;
};

/// Static per-thread work estimate (upper bound: every branch taken, no
/// caching; bytes are global-memory bytes).
struct StaticEstimate {
  bool known = false;
  /// Why the estimate is unknown.
  std::string reason;
  std::string flopsPerThread;
  std::string bytesPerThread;
  /// Values when both are constants.
  std::optional<int64_t> flopsConstant;
  std::optional<int64_t> bytesConstant;
};

struct LaunchBounds {
  std::string maxThreads;
  std::string minBlocks;
  std::optional<int64_t> maxThreadsValue;
  std::optional<int64_t> minBlocksValue;
};

struct KernelInfo {
  /// Unqualified name; template instances add their arguments (`axpy<float>`).
  std::string name;
  /// Fully qualified name (`ns::axpy<float>`); this is how tasks, plans and
  /// the command line name the kernel.
  std::string qualifiedName;
  std::string signature;
  /// SHA-256 (hex) of the kernel's definition as written (for templates, of
  /// the template's definition, plus the template arguments): identifies the
  /// kernel in the tuning database across edits elsewhere in the file.
  std::string fingerprint;
  SourceLoc loc;
  /// Name of the macro whose expansion produced the kernel, if any.
  std::string macro;
  /// A primary template (its facts are those of the uninstantiated pattern).
  bool isTemplate = false;
  /// An instantiation of `templateName`.
  bool isInstantiation = false;
  std::string templateName;
  std::vector<std::string> templateParameters;
  std::vector<std::string> templateArguments;
  std::vector<ParamInfo> params;
  std::optional<LaunchBounds> launchBounds;
  std::vector<LoopInfo> loops;
  std::vector<MemoryAccess> accesses;
  std::vector<SharedMemoryDecl> sharedMemory;
  std::vector<IntrinsicUse> intrinsics;
  std::vector<BoundsGuard> guards;
  std::vector<LaunchSite> launchSites;
  KernelFeatures features;
  StaticEstimate estimate;
};

/// All kernels of one translation unit.
struct KernelIndex {
  std::string file;
  std::vector<KernelInfo> kernels;

  /// Finds a kernel by qualified name, by unqualified name when that is
  /// unambiguous, or nullptr.
  const KernelInfo *find(const std::string &name) const;
};

const char *toString(MemorySpace space);
const char *toString(AccessPattern pattern);

} // namespace cupilot

#endif // CUPILOT_FRONTEND_KERNELINFO_H
