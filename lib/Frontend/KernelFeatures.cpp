//===- KernelFeatures.cpp - Static features and cost estimate -------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Derives the features that strategy predicates test (elementwise,
// reduction-like, gemm-like, stencil-like, data reuse) and a per-thread
// FLOP/byte estimate from the facts of the body walk. The rules are written
// down in docs/KernelIndexSchema.md; keep the two in step.
//
//===----------------------------------------------------------------------===//

#include "KernelAnalysis.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <set>

using namespace cupilot;
using namespace cupilot::detail;

const char *cupilot::toString(MemorySpace space) {
  switch (space) {
  case MemorySpace::Global:
    return "global";
  case MemorySpace::Shared:
    return "shared";
  case MemorySpace::Constant:
    return "constant";
  case MemorySpace::Local:
    return "local";
  }
  return "global";
}

const char *cupilot::toString(AccessPattern pattern) {
  switch (pattern) {
  case AccessPattern::Coalesced:
    return "coalesced";
  case AccessPattern::Strided:
    return "strided";
  case AccessPattern::Uniform:
    return "uniform";
  case AccessPattern::Indirect:
    return "indirect";
  case AccessPattern::Unknown:
    return "unknown";
  }
  return "unknown";
}

const KernelInfo *KernelIndex::find(const std::string &name) const {
  for (const KernelInfo &k : kernels)
    if (k.qualifiedName == name)
      return &k;
  const KernelInfo *match = nullptr;
  for (const KernelInfo &k : kernels) {
    if (k.name != name)
      continue;
    if (match)
      return nullptr; // ambiguous
    match = &k;
  }
  return match;
}

static bool mentionsThreadOrBlock(const Polynomial &p) {
  for (const std::string &s : p.symbols())
    if (llvm::StringRef(s).starts_with("threadIdx.") ||
        llvm::StringRef(s).starts_with("blockIdx."))
      return true;
  return false;
}

/// True when `p` mentions one of the loop induction variables.
static bool mentionsAny(const Polynomial &p,
                        const std::set<std::string> &names) {
  for (const std::string &s : p.symbols())
    if (names.count(s))
      return true;
  return false;
}

/// Whether loop `inner` is `outer` or nested in it.
static bool isWithin(const KernelInfo &info, int inner, int outer) {
  for (int l = inner; l >= 0; l = info.loops[l].parent)
    if (l == outer)
      return true;
  return false;
}

void detail::computeFeatures(KernelInfo &info, const KernelFacts &facts) {
  KernelFeatures &f = info.features;
  f.threadDims = facts.threadDims;
  f.fastMathCalls = facts.fastMathCalls;
  f.usesSharedMemory = !info.sharedMemory.empty() ||
                       llvm::any_of(info.accesses, [](const MemoryAccess &a) {
                         return a.space == MemorySpace::Shared;
                       });
  for (const IntrinsicUse &use : info.intrinsics) {
    llvm::StringRef c = use.category;
    f.usesBarriers |= c == "barrier";
    f.usesWarpIntrinsics |= c.starts_with("warp-");
    f.usesAtomics |= c == "atomic";
  }
  std::set<std::string> ivs;
  for (const LoopInfo &loop : info.loops) {
    f.hasGridStrideLoop |= loop.gridStride;
    f.maxLoopDepth = std::max(f.maxLoopDepth, loop.depth);
    if (!loop.inductionVar.empty())
      ivs.insert(loop.inductionVar);
  }

  // Elementwise: every global access touches the same, coalesced element;
  // no cooperation between threads; loops only to stride over the grid.
  {
    bool ok = !f.usesSharedMemory && !f.usesBarriers &&
              !f.usesWarpIntrinsics && !f.usesAtomics &&
              llvm::all_of(info.loops,
                           [](const LoopInfo &l) { return l.gridStride; });
    bool anyWrite = false;
    const Polynomial *first = nullptr;
    for (size_t i = 0; ok && i < info.accesses.size(); ++i) {
      const MemoryAccess &a = info.accesses[i];
      if (a.space != MemorySpace::Global)
        continue;
      anyWrite |= a.isWrite;
      if (a.pattern != AccessPattern::Coalesced) {
        ok = false;
        break;
      }
      if (!first)
        first = &facts.accessPolys[i].indexSub;
      else if (*first != facts.accessPolys[i].indexSub)
        ok = false;
    }
    f.elementwise = ok && anyWrite;
  }

  // Stencil: one array read at >= 3 distinct elements whose distances do not
  // depend on the thread or on a loop variable (neighbourhood reads).
  std::set<std::string> stencilArrays;
  {
    std::map<std::string, std::vector<const Polynomial *>> reads;
    for (size_t i = 0; i < info.accesses.size(); ++i) {
      const MemoryAccess &a = info.accesses[i];
      if (!a.isRead || a.pattern == AccessPattern::Indirect ||
          (a.space != MemorySpace::Global && a.space != MemorySpace::Shared))
        continue;
      std::vector<const Polynomial *> &list = reads[a.base];
      const Polynomial &p = facts.accessPolys[i].index;
      if (llvm::none_of(list, [&](const Polynomial *q) { return *q == p; }))
        list.push_back(&p);
    }
    for (auto &[base, list] : reads) {
      if (list.size() < 2)
        continue;
      bool neighbours = true;
      for (size_t i = 1; i < list.size() && neighbours; ++i) {
        Polynomial d = *list[i] - *list[0];
        neighbours = !mentionsThreadOrBlock(d) && !mentionsAny(d, ivs) &&
                     mentionsThreadOrBlock(*list[0]);
      }
      if (!neighbours)
        continue;
      stencilArrays.insert(base);
      if (list.size() >= 3)
        f.stencilLike = true;
    }
  }

  // GEMM: inside a loop over k, a product accumulates two reads of
  // different arrays, one walking k contiguously and the other with a
  // stride (row of A times column of B).
  for (const Accumulation &acc : facts.accumulations) {
    if (acc.loop < 0 || !acc.hasProduct || f.gemmLike)
      continue;
    const std::string &k = info.loops[acc.loop].inductionVar;
    if (k.empty())
      continue;
    std::set<std::string> unit, strided;
    for (size_t i = 0; i < info.accesses.size(); ++i) {
      const MemoryAccess &a = info.accesses[i];
      if (!a.isRead || a.loop < 0 || !isWithin(info, a.loop, acc.loop))
        continue;
      auto c = facts.accessPolys[i].index.linearCoefficient(k);
      if (!c || c->isZero())
        continue;
      if (c->getConstant() == 1)
        unit.insert(a.base);
      else
        strided.insert(a.base);
    }
    for (const std::string &u : unit)
      for (const std::string &s : strided)
        if (u != s)
          f.gemmLike = true;
  }

  // Reduction: values are combined across loop iterations or threads.
  if (!f.gemmLike) {
    bool accumulates = !facts.accumulations.empty();
    bool tree = false;
    for (const LoopInfo &loop : info.loops) {
      if (!loop.logarithmic)
        continue;
      for (const IntrinsicUse &use : info.intrinsics)
        if ((use.category == "barrier" || use.category == "warp-shuffle") &&
            use.loop >= 0 && isWithin(info, use.loop, loop.id))
          tree = true;
    }
    bool shuffleReduce = llvm::any_of(info.intrinsics, [](const IntrinsicUse &u) {
      return u.name == "__shfl_down_sync" || u.name == "__shfl_xor_sync" ||
             u.name == "shfl_down" || u.name == "shfl_xor" ||
             u.category == "warp-reduce";
    });
    f.reductionLike = accumulates || tree || shuffleReduce || f.usesAtomics;
  }

  // Arrays whose elements are read by several threads.
  std::set<std::string> reused(stencilArrays.begin(), stencilArrays.end());
  for (const MemoryAccess &a : info.accesses) {
    if (a.space != MemorySpace::Global || !a.isRead || a.isWrite ||
        a.pattern == AccessPattern::Indirect)
      continue;
    static const char *dims[] = {"x", "y", "z"};
    for (unsigned d = 0; d < std::max(1u, f.threadDims) && d < 3; ++d)
      if (llvm::is_contained(a.invariantDims, dims[d]))
        reused.insert(a.base);
  }
  for (const std::string &name : reused) {
    bool isGlobal = llvm::any_of(info.params, [&](const ParamInfo &p) {
      return p.isPointer && p.name == name;
    });
    if (isGlobal)
      f.reusedArrays.push_back(name);
  }
}

void detail::computeEstimate(KernelInfo &info, const KernelFacts &facts) {
  StaticEstimate &e = info.estimate;
  auto multiplier = [&](int loop) -> std::optional<Polynomial> {
    Polynomial m = Polynomial::constant(1);
    for (int l = loop; l >= 0; l = info.loops[l].parent) {
      if (!facts.loopTrips[l]) {
        const LoopInfo &li = info.loops[l];
        e.reason = "the trip count of the " + li.kind + " loop at line " +
                   std::to_string(li.loc.line) + " is not known statically";
        return std::nullopt;
      }
      m = m * *facts.loopTrips[l];
    }
    return m;
  };
  Polynomial flops, bytes;
  for (const auto &[loop, n] : facts.flops) {
    auto m = multiplier(loop);
    if (!m)
      return;
    flops = flops + *m * Polynomial::constant(n);
  }
  for (const MemoryAccess &a : info.accesses) {
    if (a.space != MemorySpace::Global)
      continue;
    // A primary template's `T` has no size: its instances have estimates.
    if (a.elementBytes == 0) {
      e.reason = "the size of '" + a.elementType + "', the element type of '" +
                 a.base + "', is not known";
      return;
    }
    auto m = multiplier(a.loop);
    if (!m)
      return;
    int64_t perAccess = int64_t(a.elementBytes) * ((a.isRead ? 1 : 0) +
                                                   (a.isWrite ? 1 : 0));
    bytes = bytes + *m * Polynomial::constant(perAccess);
  }
  e.known = true;
  e.reason.clear();
  e.flopsPerThread = flops.str();
  e.bytesPerThread = bytes.str();
  e.flopsConstant = flops.getConstant();
  e.bytesConstant = bytes.getConstant();
}

void detail::computeExtentHints(KernelInfo &info, const KernelFacts &facts) {
  std::set<std::string> integerParams;
  for (const ParamInfo &p : info.params)
    if (!p.isPointer && !p.type.empty() &&
        (llvm::StringRef(p.type).contains("int") ||
         llvm::StringRef(p.type).contains("long") ||
         llvm::StringRef(p.type).contains("short") ||
         llvm::StringRef(p.type).contains("size_t") ||
         llvm::StringRef(p.type).contains("unsigned")))
      integerParams.insert(p.name);

  std::set<std::string> ivs;
  for (const LoopInfo &loop : info.loops)
    if (!loop.inductionVar.empty())
      ivs.insert(loop.inductionVar);

  for (ParamInfo &param : info.params) {
    if (!param.isPointer)
      continue;
    std::set<std::string> extent;
    bool any = false;
    for (size_t i = 0; i < info.accesses.size(); ++i) {
      const MemoryAccess &a = info.accesses[i];
      if (a.space != MemorySpace::Global || a.base != param.name)
        continue;
      if (a.pattern == AccessPattern::Indirect)
        continue;
      any = true;
      const AccessFacts &af = facts.accessPolys[i];
      std::set<std::string> symbols;
      for (const std::string &s : af.indexSub.symbols())
        symbols.insert(s);
      // Parameters that scale or offset the index (`row*K`).
      for (const std::string &s : symbols)
        if (integerParams.count(s))
          extent.insert(s);
      // Bounds of the thread-dependent parts, from guards on an expression
      // whose thread, block and loop variables all occur in the index
      // (`row < M` bounds `A[row*K + k]`, `col < N` does not)...
      std::set<std::string> indexSymbols(symbols);
      for (const std::string &s : af.index.symbols())
        indexSymbols.insert(s);
      for (const GuardFacts &g : facts.guardPolys) {
        bool applies = false;
        for (const std::string &s : g.expr.symbols()) {
          if (!llvm::StringRef(s).starts_with("threadIdx.") &&
              !llvm::StringRef(s).starts_with("blockIdx.") && !ivs.count(s))
            continue;
          applies = indexSymbols.count(s);
          if (!applies)
            break;
        }
        if (applies)
          extent.insert(g.boundParams.begin(), g.boundParams.end());
      }
      // ...and of the loop variables it uses.
      for (const std::string &s : af.index.symbols())
        for (const LoopInfo &l : info.loops)
          if (l.inductionVar == s && l.id < facts.loopBoundParams.size())
            extent.insert(facts.loopBoundParams[l.id].begin(),
                          facts.loopBoundParams[l.id].end());
    }
    if (!any || extent.empty())
      continue;
    std::string hint;
    for (const std::string &s : extent)
      hint += (hint.empty() ? "" : "*") + s;
    param.extentHint = hint;
  }
}
