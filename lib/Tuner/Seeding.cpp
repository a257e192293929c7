//===- Seeding.cpp - Ranking known genomes for a new kernel ---------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Seeding.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

using namespace cupilot;

static double featureWeight(llvm::StringRef name) {
  return llvm::StringSwitch<double>(name)
      .Cases({"elementwise", "reductionLike", "gemmLike", "stencilLike"}, 4)
      .Case("block_threads", 0)
      .Default(1);
}

double cupilot::featureSimilarity(const std::map<std::string, double> &a,
                                  const std::map<std::string, double> &b) {
  std::set<std::string> names;
  for (const auto &[name, value] : a)
    names.insert(name);
  for (const auto &[name, value] : b)
    names.insert(name);
  double total = 0, weights = 0;
  for (const std::string &name : names) {
    double w = featureWeight(name);
    if (w == 0)
      continue;
    weights += w;
    auto ia = a.find(name), ib = b.find(name);
    if (ia == a.end() || ib == b.end())
      continue;
    double x = ia->second, y = ib->second;
    double scale = std::max(std::fabs(x), std::fabs(y));
    // Opposite signs give more than a full difference: each term is clamped
    // to [0, 1], so that one feature cannot cancel what the others share.
    total +=
        w * (scale == 0 ? 1.0
                        : std::clamp(1.0 - std::fabs(x - y) / scale, 0.0, 1.0));
  }
  return weights == 0 ? 0.0 : std::clamp(total / weights, 0.0, 1.0);
}

llvm::Expected<std::vector<BestVariant>>
cupilot::listSeedCandidates(TuningDatabase &db,
                            llvm::StringRef kernelFingerprint, unsigned limit) {
  auto known = db.listBest(limit);
  if (!known)
    return known.takeError();
  // The kernel's own winners may rank below the cut across all kernels.
  auto own = db.findBest(kernelFingerprint);
  if (!own)
    return own.takeError();
  for (BestVariant &b : *own) {
    bool listed = llvm::any_of(*known, [&](const BestVariant &k) {
      return std::tie(k.kernelFingerprint, k.gpuArch, k.taskShape) ==
             std::tie(b.kernelFingerprint, b.gpuArch, b.taskShape);
    });
    if (!listed)
      known->push_back(std::move(b));
  }
  return known;
}

std::vector<SeedCandidate>
cupilot::rankSeeds(const std::vector<BestVariant> &known,
                   const KernelProfile &self) {
  std::vector<SeedCandidate> out;
  for (const BestVariant &b : known) {
    SeedCandidate c;
    c.best = b;
    bool sameArch = b.gpuArch == self.gpuArch;
    if (b.kernelFingerprint == self.kernelFingerprint) {
      c.tier = 0;
      c.score = sameArch ? 1.25 : 1.0;
      c.why = "the same kernel's best on " + b.gpuArch +
              (b.taskShape == self.taskShape ? " (same task)"
                                             : " (shape " + b.taskShape + ")");
    } else if (!b.profile) {
      c.tier = 3;
      c.score = 0;
      c.why = "best of '" + b.kernelName + "' on " + b.gpuArch +
              " (no profile recorded, similarity unknown)";
    } else {
      double similarity = featureSimilarity(b.profile->features, self.features);
      if (similarity < MinSeedSimilarity)
        continue;
      bool sameClass = !self.rooflineClass.empty() &&
                       b.profile->rooflineClass == self.rooflineClass;
      c.tier = sameArch ? 1 : 2;
      c.score = similarity + (sameClass ? 0.25 : 0.0);
      c.why = llvm::formatv(
                  "similar kernel '{0}' (similarity {1:F2}, {2} "
                  "roofline class {3}, {4} arch {5})",
                  b.kernelName, similarity, sameClass ? "same" : "other",
                  b.profile->rooflineClass.empty() ? std::string("unknown")
                                                   : b.profile->rooflineClass,
                  sameArch ? "same" : "other", b.gpuArch)
                  .str();
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const SeedCandidate &x, const SeedCandidate &y) {
              if (x.tier != y.tier)
                return x.tier < y.tier;
              if (x.score != y.score)
                return x.score > y.score;
              if (x.best.speedup != y.best.speedup)
                return x.best.speedup > y.best.speedup;
              return std::tie(x.best.kernelFingerprint, x.best.gpuArch,
                              x.best.taskShape) <
                     std::tie(y.best.kernelFingerprint, y.best.gpuArch,
                              y.best.taskShape);
            });
  return out;
}
