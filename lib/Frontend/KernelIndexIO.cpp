//===- KernelIndexIO.cpp - Rendering the kernel index ---------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Frontend/KernelIndexIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

using namespace cupilot;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

static Value toJSON(const SourceLoc &loc) {
  return Object{{"file", loc.file}, {"line", loc.line}, {"column", loc.column}};
}

template <typename T> static Value optionalInt(const std::optional<T> &v) {
  if (!v)
    return nullptr;
  return static_cast<int64_t>(*v);
}

static Value optionalString(const std::string &s) {
  if (s.empty())
    return nullptr;
  return s;
}

static Array strings(const std::vector<std::string> &list) {
  Array a;
  for (const std::string &s : list)
    a.push_back(s);
  return a;
}

Value cupilot::toJSON(const KernelInfo &k) {
  Array params;
  for (const ParamInfo &p : k.params) {
    Object o{{"name", p.name},
             {"type", p.type},
             {"pointer", p.isPointer},
             {"const", p.isConst}};
    if (p.isPointer) {
      o["elementType"] = p.elementType;
      o["elementBytes"] = p.elementBytes;
      o["pointeeConst"] = p.pointeeConst;
      o["restrict"] = p.isRestrict;
      o["read"] = p.read;
      o["written"] = p.written;
      o["extentHint"] = optionalString(p.extentHint);
    }
    params.push_back(std::move(o));
  }
  Array loops;
  for (const LoopInfo &l : k.loops)
    loops.push_back(Object{{"id", l.id},
                           {"parent", l.parent},
                           {"depth", l.depth},
                           {"kind", l.kind},
                           {"inductionVar", optionalString(l.inductionVar)},
                           {"init", optionalString(l.init)},
                           {"comparison", optionalString(l.comparison)},
                           {"bound", optionalString(l.bound)},
                           {"step", optionalString(l.step)},
                           {"tripCount", optionalInt(l.tripCount)},
                           {"tripCountExpr", optionalString(l.tripCountExpr)},
                           {"gridStride", l.gridStride},
                           {"logarithmic", l.logarithmic},
                           {"unroll", l.unroll},
                           {"location", ::toJSON(l.loc)}});
  Array accesses;
  for (const MemoryAccess &a : k.accesses)
    accesses.push_back(
        Object{{"space", toString(a.space)},
               {"base", a.base},
               {"index", a.index},
               {"normalizedIndex", a.normalizedIndex},
               {"read", a.isRead},
               {"write", a.isWrite},
               {"pattern", toString(a.pattern)},
               {"threadStride", optionalString(a.threadStride)},
               {"invariantDims", strings(a.invariantDims)},
               {"loop", a.loop},
               {"elementType", a.elementType},
               {"elementBytes", a.elementBytes},
               {"location", ::toJSON(a.loc)}});
  Array shared;
  for (const SharedMemoryDecl &s : k.sharedMemory)
    shared.push_back(Object{{"name", s.name},
                            {"type", s.type},
                            {"dynamic", s.dynamic},
                            {"bytes", optionalInt(s.bytes)},
                            {"location", ::toJSON(s.loc)}});
  Array intrinsics;
  for (const IntrinsicUse &u : k.intrinsics)
    intrinsics.push_back(Object{{"name", u.name},
                                {"category", u.category},
                                {"loop", u.loop},
                                {"location", ::toJSON(u.loc)}});
  Array guards;
  for (const BoundsGuard &g : k.guards)
    guards.push_back(Object{{"expr", g.expr},
                            {"comparison", g.comparison},
                            {"bound", g.bound},
                            {"dims", strings(g.dims)},
                            {"usesThreadIdx", g.usesThreadIdx},
                            {"boundParams", strings(g.boundParams)},
                            {"earlyReturn", g.earlyReturn},
                            {"location", ::toJSON(g.loc)}});
  Array launches;
  for (const LaunchSite &l : k.launchSites)
    launches.push_back(Object{{"callee", l.callee},
                              {"caller", l.caller},
                              {"grid", l.grid},
                              {"block", l.block},
                              {"sharedMem", optionalString(l.sharedMem)},
                              {"stream", optionalString(l.stream)},
                              {"gridDims", strings(l.gridDims)},
                              {"blockDims", strings(l.blockDims)},
                              {"args", strings(l.args)},
                              {"location", ::toJSON(l.loc)}});
  const KernelFeatures &f = k.features;
  Object features{{"threadDims", f.threadDims},
                  {"elementwise", f.elementwise},
                  {"fastMathCalls", f.fastMathCalls},
                  {"reductionLike", f.reductionLike},
                  {"gemmLike", f.gemmLike},
                  {"stencilLike", f.stencilLike},
                  {"usesSharedMemory", f.usesSharedMemory},
                  {"usesBarriers", f.usesBarriers},
                  {"usesWarpIntrinsics", f.usesWarpIntrinsics},
                  {"usesAtomics", f.usesAtomics},
                  {"hasGridStrideLoop", f.hasGridStrideLoop},
                  {"maxLoopDepth", f.maxLoopDepth},
                  {"reusedArrays", strings(f.reusedArrays)}};
  const StaticEstimate &e = k.estimate;
  Object estimate{{"known", e.known}};
  if (e.known) {
    estimate["flopsPerThread"] = e.flopsPerThread;
    estimate["bytesPerThread"] = e.bytesPerThread;
    estimate["flopsConstant"] = optionalInt(e.flopsConstant);
    estimate["bytesConstant"] = optionalInt(e.bytesConstant);
  } else {
    estimate["reason"] = e.reason;
  }
  Value launchBounds = nullptr;
  if (k.launchBounds)
    launchBounds = Object{{"maxThreads", k.launchBounds->maxThreads},
                          {"minBlocks", optionalString(k.launchBounds->minBlocks)},
                          {"maxThreadsValue",
                           optionalInt(k.launchBounds->maxThreadsValue)},
                          {"minBlocksValue",
                           optionalInt(k.launchBounds->minBlocksValue)}};
  Object tmpl;
  if (k.isTemplate)
    tmpl = Object{{"kind", "primary"},
                  {"parameters", strings(k.templateParameters)}};
  else if (k.isInstantiation)
    tmpl = Object{{"kind", "instance"},
                  {"name", k.templateName},
                  {"arguments", strings(k.templateArguments)}};

  return Object{{"name", k.name},
                {"qualifiedName", k.qualifiedName},
                {"signature", k.signature},
                {"fingerprint", k.fingerprint},
                {"location", ::toJSON(k.loc)},
                {"macro", optionalString(k.macro)},
                {"template", tmpl.empty() ? Value(nullptr) : Value(std::move(tmpl))},
                {"params", std::move(params)},
                {"launchBounds", std::move(launchBounds)},
                {"loops", std::move(loops)},
                {"accesses", std::move(accesses)},
                {"sharedMemory", std::move(shared)},
                {"intrinsics", std::move(intrinsics)},
                {"guards", std::move(guards)},
                {"launchSites", std::move(launches)},
                {"features", std::move(features)},
                {"estimate", std::move(estimate)}};
}

Value cupilot::toJSON(const KernelIndex &index) {
  Array kernels;
  for (const KernelInfo &k : index.kernels)
    kernels.push_back(toJSON(k));
  return Object{{"schema", KernelIndexSchema},
                {"file", index.file},
                {"kernels", std::move(kernels)}};
}

void cupilot::printKernelIndexJSON(const KernelIndex &index,
                                   llvm::raw_ostream &os) {
  // llvm::json::Object is a hash map: print keys sorted so that the output
  // is stable across runs and builds.
  llvm::json::OStream j(os, 2);
  std::function<void(const Value &)> emit = [&](const Value &v) {
    if (const Object *o = v.getAsObject()) {
      std::vector<std::string> keys;
      for (const auto &kv : *o)
        keys.push_back(kv.first.str());
      llvm::sort(keys);
      j.objectBegin();
      for (const std::string &key : keys) {
        j.attributeBegin(key);
        emit(*o->get(key));
        j.attributeEnd();
      }
      j.objectEnd();
    } else if (const Array *a = v.getAsArray()) {
      j.arrayBegin();
      for (const Value &e : *a)
        emit(e);
      j.arrayEnd();
    } else {
      j.value(v);
    }
  };
  emit(toJSON(index));
  os << "\n";
}

static std::string yesNo(bool b) { return b ? "yes" : "no"; }

void cupilot::printKernelIndexTable(const KernelIndex &index,
                                    llvm::raw_ostream &os) {
  os << "file: " << index.file << "\n";
  os << "kernels: " << index.kernels.size() << "\n";
  for (const KernelInfo &k : index.kernels) {
    os << "\nkernel " << k.qualifiedName << "  (" << k.loc.file << ":"
       << k.loc.line << ":" << k.loc.column << ")";
    if (!k.macro.empty())
      os << "  [macro " << k.macro << "]";
    if (k.isTemplate)
      os << "  [template]";
    os << "\n";
    os << "  signature:   " << k.signature << "\n";
    if (k.launchBounds)
      os << "  bounds:      __launch_bounds__(" << k.launchBounds->maxThreads
         << (k.launchBounds->minBlocks.empty()
                 ? ""
                 : ", " + k.launchBounds->minBlocks)
         << ")\n";
    for (const ParamInfo &p : k.params) {
      os << "  param        " << p.name << " : " << p.type;
      if (p.isPointer)
        os << "  ["
           << (p.read && p.written ? "inout"
               : p.written          ? "out"
               : p.read             ? "in"
                                    : "unused")
           << (p.isRestrict ? ", restrict" : "")
           << (p.pointeeConst ? ", const" : "") << "]";
      os << "\n";
    }
    for (const LoopInfo &l : k.loops) {
      os << "  loop #" << l.id << "      " << std::string(2 * (l.depth - 1), ' ')
         << l.kind;
      if (!l.inductionVar.empty())
        os << " " << l.inductionVar << " = " << l.init << "; " << l.comparison
           << " " << l.bound << "; step " << l.step;
      if (!l.tripCountExpr.empty())
        os << "  trips " << l.tripCountExpr;
      if (l.gridStride)
        os << "  (grid-stride)";
      if (l.unroll)
        os << "  (unroll " << (l.unroll < 0 ? "full" : std::to_string(l.unroll))
           << ")";
      os << "\n";
    }
    for (const MemoryAccess &a : k.accesses) {
      os << "  " << llvm::left_justify(toString(a.space), 12) << " "
         << (a.isRead && a.isWrite ? "rw" : a.isWrite ? "w " : "r ") << " "
         << a.base << "[" << a.index << "]  " << toString(a.pattern);
      if (a.pattern == AccessPattern::Strided)
        os << " (stride " << a.threadStride << ")";
      if (a.loop >= 0)
        os << "  in loop #" << a.loop;
      os << "\n";
    }
    for (const SharedMemoryDecl &s : k.sharedMemory)
      os << "  __shared__   " << s.type << " " << s.name
         << (s.dynamic ? "  (dynamic)"
                       : "  (" + std::to_string(s.bytes.value_or(0)) +
                             " bytes)")
         << "\n";
    for (const IntrinsicUse &u : k.intrinsics)
      os << "  intrinsic    " << u.name << "  (" << u.category << ")\n";
    for (const LaunchSite &l : k.launchSites) {
      os << "  launch       " << l.callee << "<<<" << l.grid << ", " << l.block;
      if (!l.sharedMem.empty())
        os << ", " << l.sharedMem;
      if (!l.stream.empty())
        os << ", " << l.stream;
      os << ">>>(" << llvm::join(l.args, ", ") << ")  in " << l.caller
         << " at line " << l.loc.line << "\n";
    }
    const KernelFeatures &f = k.features;
    std::vector<std::string> classes;
    if (f.elementwise)
      classes.push_back("elementwise");
    if (f.reductionLike)
      classes.push_back("reduction");
    if (f.gemmLike)
      classes.push_back("gemm");
    if (f.stencilLike)
      classes.push_back("stencil");
    os << "  class:       " << (classes.empty() ? "-" : llvm::join(classes, ", "))
       << "  (dims " << f.threadDims << ", shared " << yesNo(f.usesSharedMemory)
       << ", barriers " << yesNo(f.usesBarriers) << ", warp "
       << yesNo(f.usesWarpIntrinsics) << ", atomics " << yesNo(f.usesAtomics)
       << ")\n";
    if (!f.reusedArrays.empty())
      os << "  reuse:       " << llvm::join(f.reusedArrays, ", ") << "\n";
    if (k.estimate.known)
      os << "  estimate:    " << k.estimate.flopsPerThread
         << " flops, " << k.estimate.bytesPerThread << " bytes per thread\n";
    else
      os << "  estimate:    unknown (" << k.estimate.reason << ")\n";
  }
}
