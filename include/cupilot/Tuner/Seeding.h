//===- Seeding.h - Ranking known genomes for a new kernel -------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Evolution seeds its first generation with the best genomes the tuning
// database holds for kernels like the one at hand. rankSeeds orders them:
// the same kernel first (its own earlier winners, on this arch before
// others), then other kernels by the similarity of their recorded profiles
// (features and roofline class, KernelProfile), those measured on the same
// arch first. Kernels too unlike this one are dropped; best variants
// without a profile (files written before schema version 3) come last.
// The caller keeps the top few that verify against the strategy library and
// apply to the kernel.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_SEEDING_H
#define CUPILOT_TUNER_SEEDING_H

#include "cupilot/Tuner/TuningDatabase.h"

#include <map>
#include <string>
#include <vector>

namespace cupilot {

/// Similarity of two feature vectors in [0, 1]: the weighted mean over the
/// union of their features of 1 - |a - b| / max(|a|, |b|), clamped to
/// [0, 1] (1 when both are 0; 0 for opposite signs; a feature one side
/// lacks counts 0). The kernel-class flags
/// (`elementwise`, `reductionLike`, `gemmLike`, `stencilLike`) weigh 4, the
/// other flags and counts 1; `block_threads` (a launch choice, not a
/// property of the kernel) is ignored.
double featureSimilarity(const std::map<std::string, double> &a,
                         const std::map<std::string, double> &b);

/// Kernels less similar than this are not seeded from.
constexpr double MinSeedSimilarity = 0.6;

struct SeedCandidate {
  BestVariant best;
  /// 0: the same kernel; 1: a similar kernel on the same arch; 2: a
  /// similar kernel on another arch; 3: a kernel without a recorded
  /// profile.
  unsigned tier = 0;
  /// featureSimilarity of the profiles (1 for the same kernel, 0 without a
  /// profile), plus 0.25 when the roofline classes match.
  double score = 0;
  /// Why it was ranked there, for the log.
  std::string why;
};

/// The best variants to seed from: the `limit` best of all kernels, plus
/// every best variant of `kernelFingerprint` itself that falls outside them.
llvm::Expected<std::vector<BestVariant>>
listSeedCandidates(TuningDatabase &db, llvm::StringRef kernelFingerprint,
                   unsigned limit);

/// `known` ranked for the kernel of `self` (tier, then score, then speedup,
/// then fingerprint, arch and shape: deterministic); kernels below
/// MinSeedSimilarity are left out.
std::vector<SeedCandidate> rankSeeds(const std::vector<BestVariant> &known,
                                     const KernelProfile &self);

} // namespace cupilot

#endif // CUPILOT_TUNER_SEEDING_H
