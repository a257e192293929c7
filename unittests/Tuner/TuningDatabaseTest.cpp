//===- TuningDatabaseTest.cpp - The SQLite tuning database ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/TuningDatabase.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>

using namespace cupilot;
using ::testing::HasSubstr;

namespace {

class TuningDatabaseTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("cupilot-db", dir));
    path = (dir + "/sub/dir/tuning.db").str();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  static EvaluationRecord record(const std::string &hash, double speedup,
                                 const std::string &verdict = "passed") {
    EvaluationRecord r;
    r.key = {"fp1", "sm_90", "n=1024", hash, "-O3"};
    r.kernelName = "saxpy";
    r.sourceFile = "saxpy.cu";
    r.genome = "g-" + hash;
    r.planYaml = "plan: x\nsteps: []\n";
    r.verdict = verdict;
    r.timeMs = 1.0 / speedup;
    r.baselineMs = 1.0;
    r.speedup = speedup;
    r.resultJson = "{}";
    return r;
  }

  llvm::SmallString<128> dir;
  std::string path;
};

} // namespace

TEST_F(TuningDatabaseTest, CreatesFileAndSchema) {
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  EXPECT_TRUE(llvm::sys::fs::exists(path));
  auto version = db->getSchemaVersion();
  ASSERT_TRUE(bool(version));
  EXPECT_EQ(*version, TuningDatabase::SchemaVersion);
  auto count = db->countEvaluations();
  ASSERT_TRUE(bool(count));
  EXPECT_EQ(*count, 0);
}

TEST_F(TuningDatabaseTest, RecordsAndFindsByKeyAcrossReopen) {
  int64_t id;
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
    auto r = db->recordEvaluation(record("h1", 1.5));
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    id = *r;
    // The same key again: nothing new, same id.
    auto again = db->recordEvaluation(record("h1", 9.0));
    ASSERT_TRUE(bool(again));
    EXPECT_EQ(*again, id);
  }
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db));
  auto found = db->findEvaluation(record("h1", 0).key);
  ASSERT_TRUE(bool(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, id);
  EXPECT_EQ((*found)->genome, "g-h1");
  EXPECT_DOUBLE_EQ(*(*found)->speedup, 1.5);
  auto missing = db->findEvaluation(record("h2", 0).key);
  ASSERT_TRUE(bool(missing));
  EXPECT_FALSE(missing->has_value());
}

TEST_F(TuningDatabaseTest, BestOnlyImprovesAndOnlyForPassed) {
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db));
  int64_t a = *db->recordEvaluation(record("a", 1.2));
  int64_t b = *db->recordEvaluation(record("b", 1.1));
  int64_t c = *db->recordEvaluation(record("c", 3.0, "failed"));
  int64_t d = *db->recordEvaluation(record("d", 1.4));
  EXPECT_TRUE(*db->offerBest(a));
  EXPECT_FALSE(*db->offerBest(b));
  EXPECT_FALSE(*db->offerBest(c));
  EXPECT_TRUE(*db->offerBest(d));
  auto best = db->findBest("fp1");
  ASSERT_TRUE(bool(best));
  ASSERT_EQ(best->size(), 1u);
  EXPECT_EQ((*best)[0].evaluationId, d);
  EXPECT_EQ((*best)[0].genome, "g-d");
  EXPECT_DOUBLE_EQ((*best)[0].speedup, 1.4);
  EXPECT_FALSE(bool(db->offerBest(12345)));
  llvm::consumeError(db->offerBest(12345).takeError());
}

TEST_F(TuningDatabaseTest, RefusesNewerSchemaAndNonDatabases) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
  }
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = TuningDatabase::open(path);
  ASSERT_FALSE(bool(db));
  EXPECT_THAT(llvm::toString(db.takeError()),
              HasSubstr("schema version 99, newer than this cupilot"));

  std::string junk = (dir + "/junk.db").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(junk, ec);
    os << "this is not a database, just text that is long enough to matter";
  }
  auto bad = TuningDatabase::open(junk);
  ASSERT_FALSE(bool(bad));
  EXPECT_THAT(llvm::toString(bad.takeError()), HasSubstr("tuning database"));

  auto none = TuningDatabase::openReadOnly((dir + "/none.db").str());
  ASSERT_FALSE(bool(none));
  EXPECT_THAT(llvm::toString(none.takeError()), HasSubstr("does not exist"));
}

TEST_F(TuningDatabaseTest, ReadOnlyOpenSeesCommittedData) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
    int64_t id = *db->recordEvaluation(record("x", 2.0));
    ASSERT_TRUE(*db->offerBest(id));
  }
  auto db = TuningDatabase::openReadOnly(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  auto best = db->listBest(10);
  ASSERT_TRUE(bool(best));
  ASSERT_EQ(best->size(), 1u);
  EXPECT_EQ((*best)[0].kernelName, "saxpy");
}

TEST_F(TuningDatabaseTest, RecordsWhoProposedTheGenome) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
    EvaluationRecord fromLLM = record("h1", 1.5);
    fromLLM.origin = "llm";
    ASSERT_TRUE(bool(db->recordEvaluation(fromLLM)));
    ASSERT_TRUE(bool(db->recordEvaluation(record("h2", 1.2))));
  }
  auto db = TuningDatabase::openReadOnly(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  auto all = db->listEvaluations("fp1");
  ASSERT_TRUE(bool(all));
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].origin, "llm");
  EXPECT_EQ((*all)[1].origin, "engine");
}

TEST_F(TuningDatabaseTest, ReadsAndMigratesVersion1Files) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
    ASSERT_TRUE(bool(db->recordEvaluation(record("h1", 1.5))));
  }
  // Back to the version-1 schema: no origin column.
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "ALTER TABLE evaluations DROP COLUMN origin; "
                         "DROP TABLE kernel_profiles; "
                         "PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  {
    // Read-only opening reads it as it is.
    auto db = TuningDatabase::openReadOnly(path);
    ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
    auto all = db->listEvaluations("fp1");
    ASSERT_TRUE(bool(all)) << llvm::toString(all.takeError());
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].origin, "engine");
  }
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  auto version = db->getSchemaVersion();
  ASSERT_TRUE(bool(version));
  EXPECT_EQ(*version, TuningDatabase::SchemaVersion);
  EvaluationRecord r = record("h2", 2.0);
  r.origin = "revisor";
  ASSERT_TRUE(bool(db->recordEvaluation(r)));
  auto all = db->listEvaluations("fp1");
  ASSERT_TRUE(bool(all));
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].origin, "engine");
  EXPECT_EQ((*all)[1].origin, "revisor");
}

TEST_F(TuningDatabaseTest, MigratesOnceWhenTwoProcessesOpenAnOldFile) {
  {
    auto db = TuningDatabase::open(path);
    ASSERT_TRUE(bool(db));
    ASSERT_TRUE(bool(db->recordEvaluation(record("h1", 1.5))));
  }
  sqlite3 *other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other,
                         "ALTER TABLE evaluations DROP COLUMN origin; "
                         "DROP TABLE kernel_profiles; "
                         "PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  // The other process takes the write lock to migrate 1 -> 2 while this
  // one opens the file: it sees version 1, then waits for the lock.
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::string error;
  bool opened = false;
  std::thread opener([&] {
    auto db = TuningDatabase::open(path);
    opened = bool(db);
    if (!db)
      error = llvm::toString(db.takeError());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sqlite3_exec(other,
                         "ALTER TABLE evaluations ADD COLUMN origin TEXT NOT "
                         "NULL DEFAULT 'engine'; PRAGMA user_version=2; "
                         "COMMIT;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  opener.join();
  sqlite3_close(other);
  // This one ran only the migration left (2 -> 3), not 1 -> 2 again.
  EXPECT_TRUE(opened) << error;
  auto db = TuningDatabase::open(path);
  ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
  auto version = db->getSchemaVersion();
  ASSERT_TRUE(bool(version));
  EXPECT_EQ(*version, TuningDatabase::SchemaVersion);
  auto all = db->listEvaluations("fp1");
  ASSERT_TRUE(bool(all)) << llvm::toString(all.takeError());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].origin, "engine");
}
