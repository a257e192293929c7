//===- SeedingTest.cpp - Ranking the database's genomes for a kernel ------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Seeding.h"
#include "cupilot/Tuner/TuningDatabase.h"

#include "llvm/Support/FileSystem.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <sqlite3.h>

using namespace cupilot;
using ::testing::HasSubstr;

namespace {

std::map<std::string, double> elementwise(double pointers) {
  return {{"elementwise", 1},    {"reductionLike", 0},
          {"gemmLike", 0},       {"stencilLike", 0},
          {"maxLoopDepth", 0},   {"pointerParams", pointers},
          {"block_threads", 256}};
}

std::map<std::string, double> gemm() {
  return {{"elementwise", 0},    {"reductionLike", 0}, {"gemmLike", 1},
          {"stencilLike", 0},    {"maxLoopDepth", 3},  {"pointerParams", 3},
          {"block_threads", 256}};
}

class SeedingTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cupilot-seed", dir));
    path = (dir + "/tuning.db").str();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// A passed evaluation of `fingerprint` on `arch`, made its best.
  static void addBest(TuningDatabase &db, const std::string &fingerprint,
                      const std::string &arch, const std::string &genome,
                      double speedup) {
    EvaluationRecord r;
    r.key = {fingerprint, arch, "n=1#abc", "src-" + genome + arch, ""};
    r.kernelName = "k_" + fingerprint;
    r.sourceFile = "k.cu";
    r.genome = genome;
    r.planYaml = "steps: []\n";
    r.verdict = "passed";
    r.speedup = speedup;
    r.resultJson = "{}";
    auto id = db.recordEvaluation(r);
    ASSERT_TRUE(bool(id)) << llvm::toString(id.takeError());
    auto better = db.offerBest(*id);
    ASSERT_TRUE(bool(better));
    ASSERT_TRUE(*better);
  }

  static KernelProfile profileOf(const std::string &fingerprint,
                                 const std::string &arch,
                                 const std::string &rooflineClass,
                                 std::map<std::string, double> features) {
    KernelProfile p;
    p.kernelFingerprint = fingerprint;
    p.gpuArch = arch;
    p.taskShape = "n=1#abc";
    p.kernelName = "k_" + fingerprint;
    p.rooflineClass = rooflineClass;
    p.features = std::move(features);
    return p;
  }

  llvm::SmallString<128> dir;
  std::string path;
};

} // namespace

TEST(FeatureSimilarityTest, WeighsKernelClassAndIgnoresBlockSize) {
  EXPECT_DOUBLE_EQ(featureSimilarity(elementwise(2), elementwise(2)), 1.0);
  std::map<std::string, double> otherBlock = elementwise(2);
  otherBlock["block_threads"] = 1024;
  EXPECT_DOUBLE_EQ(featureSimilarity(elementwise(2), otherBlock), 1.0);
  // One pointer more: 1 - 1/3 on a weight-1 feature of 4 * 4 + 2.
  EXPECT_NEAR(featureSimilarity(elementwise(2), elementwise(3)),
              1.0 - (1.0 / 3) / 18, 1e-12);
  // Another kernel class: two class flags differ, loops and pointers too.
  double g = featureSimilarity(elementwise(2), gemm());
  EXPECT_LT(g, MinSeedSimilarity);
  EXPECT_GT(g, 0.0);
  // A feature only one side has counts as a difference.
  std::map<std::string, double> extra = elementwise(2);
  extra["usesAtomics"] = 1;
  EXPECT_LT(featureSimilarity(elementwise(2), extra), 1.0);
  EXPECT_DOUBLE_EQ(featureSimilarity({}, {}), 0.0);
}

TEST(FeatureSimilarityTest, AnOppositeSignFeatureCountsZeroNotNegative) {
  // One feature of weight 1 with opposite signs: 1 - 2/1 = -1 unclamped,
  // which would pull the shared kernel class (weight 4) down to 3/5.
  std::map<std::string, double> a = {{"elementwise", 1}, {"offset", 1}};
  std::map<std::string, double> b = {{"elementwise", 1}, {"offset", -1}};
  EXPECT_DOUBLE_EQ(featureSimilarity(a, b), 4.0 / 5.0);
  // Far apart opposite signs: still 0 for that feature, never below.
  b["offset"] = -1000;
  EXPECT_DOUBLE_EQ(featureSimilarity(a, b), 4.0 / 5.0);
  // Every term in [0, 1]: so is the mean.
  std::map<std::string, double> c = {{"x", 5}, {"y", -3}};
  std::map<std::string, double> d = {{"x", -5}, {"y", 3}};
  EXPECT_DOUBLE_EQ(featureSimilarity(c, d), 0.0);
}

TEST_F(SeedingTest, SeedsFromTheKernelsOwnBestBeyondTheCut) {
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  addBest(*db, "a", "sm_90", "vectorize(width=4)", 5.0);
  addBest(*db, "b", "sm_90", "launch-bounds", 4.0);
  addBest(*db, "self", "sm_90", "coarsen(factor=2)", 1.1);
  addBest(*db, "self", "sm_80", "unroll(factor=4)", 3.0);
  // The top 2 of all kernels hold none of self's winners; the top 3 one.
  auto known = listSeedCandidates(*db, "self", 2);
  ASSERT_TRUE(bool(known)) << llvm::toString(known.takeError());
  ASSERT_EQ(known->size(), 4u);
  auto three = listSeedCandidates(*db, "self", 3);
  ASSERT_TRUE(bool(three));
  ASSERT_EQ(three->size(), 4u); // self on sm_80 once, not twice.
  KernelProfile self = profileOf("self", "sm_90", "memory", elementwise(2));
  std::vector<SeedCandidate> ranked = rankSeeds(*known, self);
  ASSERT_GE(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].best.kernelFingerprint, "self");
  EXPECT_EQ(ranked[0].best.gpuArch, "sm_90");
  EXPECT_EQ(ranked[1].best.kernelFingerprint, "self");
  EXPECT_EQ(ranked[1].best.gpuArch, "sm_80");
}

TEST_F(SeedingTest, RanksSameKernelThenSimilarKernelsFromARealDatabase) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
    // self: an earlier run of this very kernel on another arch.
    addBest(*db, "self", "sm_80", "coarsen(factor=2)", 1.1);
    // A similar elementwise kernel on this arch, memory-bound like self.
    addBest(*db, "near", "sm_90", "vectorize(width=4)", 1.3);
    // A near-identical one, but compute-bound: ranks below `near`.
    addBest(*db, "nearCompute", "sm_90", "restrict-pointers", 1.9);
    // Similar, but measured on another arch.
    addBest(*db, "farArch", "sm_80", "launch-bounds", 2.5);
    // A GEMM: too unlike this kernel, whatever its speedup.
    addBest(*db, "gemm", "sm_90", "tile-to-shared(tile=32)", 9.0);
    // From before profiles were kept.
    addBest(*db, "old", "sm_90", "unroll(factor=4)", 1.5);
    for (const KernelProfile &p :
         {profileOf("self", "sm_80", "memory", elementwise(2)),
          profileOf("near", "sm_90", "memory", elementwise(3)),
          profileOf("nearCompute", "sm_90", "compute", elementwise(2)),
          profileOf("farArch", "sm_80", "memory", elementwise(2)),
          profileOf("gemm", "sm_90", "compute", gemm())})
      ASSERT_FALSE(bool(db->recordKernelProfile(p)));
    // Replacing a profile keeps one row.
    ASSERT_FALSE(bool(db->recordKernelProfile(
        profileOf("near", "sm_90", "memory", elementwise(3)))));
  }
  auto db = TuningDatabase::openReadOnly(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  auto known = db->listBest(1000);
  ASSERT_TRUE(bool(known)) << llvm::toString(known.takeError());
  ASSERT_EQ(known->size(), 6u);
  for (const BestVariant &b : *known)
    EXPECT_EQ(b.profile.has_value(), b.kernelFingerprint != "old")
        << b.kernelFingerprint;

  KernelProfile self = profileOf("self", "sm_90", "memory", elementwise(2));
  std::vector<SeedCandidate> ranked = rankSeeds(*known, self);
  std::vector<std::string> order;
  for (const SeedCandidate &c : ranked)
    order.push_back(c.best.kernelFingerprint);
  EXPECT_EQ(order, (std::vector<std::string>{"self", "near", "nearCompute",
                                             "farArch", "old"}));
  EXPECT_EQ(ranked[0].tier, 0u);
  EXPECT_THAT(ranked[0].why, HasSubstr("same kernel's best on sm_80"));
  EXPECT_EQ(ranked[1].tier, 1u);
  EXPECT_THAT(ranked[1].why, HasSubstr("similar kernel 'k_near'"));
  EXPECT_THAT(ranked[1].why, HasSubstr("same roofline class memory"));
  EXPECT_THAT(ranked[2].why, HasSubstr("other roofline class compute"));
  EXPECT_EQ(ranked[3].tier, 2u);
  EXPECT_THAT(ranked[3].why, HasSubstr("other arch sm_80"));
  EXPECT_EQ(ranked[4].tier, 3u);
  EXPECT_THAT(ranked[4].why, HasSubstr("no profile recorded"));

  auto found = db->findKernelProfile("near", "sm_90", "n=1#abc");
  ASSERT_TRUE(bool(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->rooflineClass, "memory");
  EXPECT_DOUBLE_EQ((*found)->features.at("pointerParams"), 3.0);
  EXPECT_EQ((*found)->features.size(), elementwise(3).size());
}

TEST_F(SeedingTest, Version2FilesAreReadAsTheyAreAndMigrated) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
    addBest(*db, "a", "sm_90", "restrict-pointers", 1.2);
  }
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "DROP TABLE kernel_profiles; PRAGMA user_version=2;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  {
    auto db = TuningDatabase::openReadOnly(path);
    ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
    auto known = db->listBest(10);
    ASSERT_TRUE(bool(known)) << llvm::toString(known.takeError());
    ASSERT_EQ(known->size(), 1u);
    EXPECT_FALSE((*known)[0].profile);
    auto found = db->findKernelProfile("a", "sm_90", "n=1#abc");
    ASSERT_TRUE(bool(found));
    EXPECT_FALSE(found->has_value());
    llvm::Error e = db->recordKernelProfile(
        profileOf("a", "sm_90", "memory", elementwise(1)));
    EXPECT_THAT(llvm::toString(std::move(e)),
                HasSubstr("keeps no kernel profiles"));
  }
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  EXPECT_EQ(*db->getSchemaVersion(), 3);
  ASSERT_FALSE(bool(db->recordKernelProfile(
      profileOf("a", "sm_90", "memory", elementwise(1)))));
  auto known = db->listBest(10);
  ASSERT_TRUE(bool(known));
  ASSERT_TRUE((*known)[0].profile);
  EXPECT_EQ((*known)[0].profile->kernelName, "k_a");
}

// The database the GPU benchmark run recorded (bench/results, schema 3)
// opens read-only, as --apply-best opens it in a build, and its best
// variants seed by kernel: each bench kernel's own best ranks first for it.
TEST(SeedingBenchDatabaseTest, ReadsTheBenchDatabase) {
  std::string bench = CUPILOT_SOURCE_ROOT "/bench/results/tuning.db";
  ASSERT_TRUE(llvm::sys::fs::exists(bench)) << bench << " is not there";
  auto db = TuningDatabase::openReadOnly(bench);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  EXPECT_EQ(*db->getSchemaVersion(), 3);
  auto known = db->listBest(1000);
  ASSERT_TRUE(bool(known)) << llvm::toString(known.takeError());
  ASSERT_EQ(known->size(), 5u);
  for (const BestVariant &b : *known) {
    ASSERT_TRUE(b.profile) << b.kernelName;
    EXPECT_FALSE(b.genome.empty());
  }
  for (const BestVariant &b : *known) {
    std::vector<SeedCandidate> ranked = rankSeeds(*known, *b.profile);
    ASSERT_FALSE(ranked.empty());
    EXPECT_EQ(ranked.front().tier, 0u) << b.kernelName;
    EXPECT_EQ(ranked.front().best.genome, b.genome) << b.kernelName;
  }
}
