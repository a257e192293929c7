//===- TuningDatabase.cpp - Every evaluation, and the best variants -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/TuningDatabase.h"
#include "cupilot/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <sqlite3.h>

#include <ctime>

using namespace cupilot;

namespace {

/// Schema migrations: entry i brings the database from version i to i + 1.
const char *const Migrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  kernel_fingerprint TEXT NOT NULL,
  gpu_arch TEXT NOT NULL,
  task_shape TEXT NOT NULL,
  source_hash TEXT NOT NULL,
  compile_options TEXT NOT NULL,
  kernel_name TEXT NOT NULL,
  source_file TEXT NOT NULL,
  genome TEXT NOT NULL,
  plan_yaml TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  time_ms REAL,
  baseline_ms REAL,
  speedup REAL,
  result_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (kernel_fingerprint, gpu_arch, task_shape, source_hash,
          compile_options)
);
CREATE INDEX evaluations_by_kernel ON evaluations (kernel_fingerprint);
CREATE TABLE best (
  kernel_fingerprint TEXT NOT NULL,
  gpu_arch TEXT NOT NULL,
  task_shape TEXT NOT NULL,
  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kernel_fingerprint, gpu_arch, task_shape)
);
)sql",
    // 1 -> 2: who proposed each genome (docs/LLM.md).
    R"sql(
ALTER TABLE evaluations ADD COLUMN origin TEXT NOT NULL DEFAULT 'engine';
)sql",
    // 2 -> 3: kernel features and roofline class, for seeding from similar
    // kernels (docs/TuningDatabase.md).
    R"sql(
CREATE TABLE kernel_profiles (
  kernel_fingerprint TEXT NOT NULL,
  gpu_arch TEXT NOT NULL,
  task_shape TEXT NOT NULL,
  kernel_name TEXT NOT NULL,
  roofline_class TEXT NOT NULL,
  features_json TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kernel_fingerprint, gpu_arch, task_shape)
);
)sql",
};
static_assert(sizeof(Migrations) / sizeof(Migrations[0]) ==
                  TuningDatabase::SchemaVersion,
              "one migration per schema version");

/// A prepared statement that finalizes itself.
class Statement {
public:
  Statement(sqlite3 *db, llvm::StringRef sql) {
    rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()),
                            &stmt, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  bool ok() const { return rc == SQLITE_OK; }
  void bind(int i, llvm::StringRef text) {
    sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt, i, v); }
  void bind(int i, std::optional<double> v) {
    if (v)
      sqlite3_bind_double(stmt, i, *v);
    else
      sqlite3_bind_null(stmt, i);
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt); }
  std::string text(int col) {
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? std::string(reinterpret_cast<const char *>(t),
                           sqlite3_column_bytes(stmt, col))
             : std::string();
  }
  int64_t integer(int col) { return sqlite3_column_int64(stmt, col); }
  bool isNull(int col) { return sqlite3_column_type(stmt, col) == SQLITE_NULL; }
  std::optional<double> real(int col) {
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
      return std::nullopt;
    return sqlite3_column_double(stmt, col);
  }

private:
  sqlite3_stmt *stmt = nullptr;
  int rc = SQLITE_ERROR;
};

std::string now() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The columns readRecord reads; a version-1 file (opened read-only, so
/// not migrated) has no `origin`: its genomes all came from the engine.
std::string recordColumns(int version) {
  return std::string(
             "id, kernel_fingerprint, gpu_arch, task_shape, source_hash, "
             "compile_options, kernel_name, source_file, genome, plan_yaml, "
             "verdict, reason, time_ms, baseline_ms, speedup, result_json, "
             "created_at, ") +
         (version >= 2 ? "origin" : "'engine'");
}

EvaluationRecord readRecord(Statement &s) {
  EvaluationRecord r;
  r.id = s.integer(0);
  r.key.kernelFingerprint = s.text(1);
  r.key.gpuArch = s.text(2);
  r.key.taskShape = s.text(3);
  r.key.sourceHash = s.text(4);
  r.key.compileOptions = s.text(5);
  r.kernelName = s.text(6);
  r.sourceFile = s.text(7);
  r.genome = s.text(8);
  r.planYaml = s.text(9);
  r.verdict = s.text(10);
  r.reason = s.text(11);
  r.timeMs = s.real(12);
  r.baselineMs = s.real(13);
  r.speedup = s.real(14);
  r.resultJson = s.text(15);
  r.createdAt = s.text(16);
  r.origin = s.text(17);
  return r;
}

} // namespace

static llvm::Error sqliteError(sqlite3 *db, llvm::StringRef path,
                               llvm::StringRef what) {
  return makeError(ExitCode::InputError, "tuning database '{0}': {1}: {2}",
                   path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

llvm::Expected<TuningDatabase> TuningDatabase::open(llvm::StringRef path) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return makeError(ExitCode::OutputError,
                       "cannot create directory '{0}' for the tuning "
                       "database: {1}",
                       dir, ec.message());
  sqlite3 *db = nullptr;
  int rc = sqlite3_open_v2(path.str().c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    llvm::Error e = sqliteError(db, path, "cannot open");
    sqlite3_close(db);
    return std::move(e);
  }
  TuningDatabase result(path.str(), db);
  sqlite3_busy_timeout(db, 10000);
  // WAL + FULL: a committed evaluation survives kill -9 and power loss.
  if (llvm::Error e = result.exec("PRAGMA journal_mode=WAL; "
                                  "PRAGMA synchronous=FULL; "
                                  "PRAGMA foreign_keys=ON;"))
    return std::move(e);
  if (llvm::Error e = result.migrate())
    return std::move(e);
  return std::move(result);
}

llvm::Expected<TuningDatabase>
TuningDatabase::openReadOnly(llvm::StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return makeError(ExitCode::InputError,
                     "tuning database '{0}' does not exist (run --evolve "
                     "first, or pass --db)",
                     path);
  sqlite3 *db = nullptr;
  int rc = sqlite3_open_v2(path.str().c_str(), &db, SQLITE_OPEN_READONLY,
                           nullptr);
  if (rc != SQLITE_OK) {
    llvm::Error e = sqliteError(db, path, "cannot open");
    sqlite3_close(db);
    return std::move(e);
  }
  TuningDatabase result(path.str(), db);
  sqlite3_busy_timeout(db, 10000);
  auto version = result.getSchemaVersion();
  if (!version)
    return version.takeError();
  // Older files are read as they are (readers fill in what they lack).
  if (*version < 1 || *version > SchemaVersion)
    return makeError(ExitCode::InputError,
                     "tuning database '{0}' has schema version {1}; this "
                     "cupilot reads version {2} (open it once with --evolve "
                     "to migrate)",
                     path, *version, SchemaVersion);
  result.version = *version;
  return std::move(result);
}

TuningDatabase::TuningDatabase(TuningDatabase &&other) noexcept
    : path(std::move(other.path)), db(other.db), version(other.version) {
  other.db = nullptr;
}

TuningDatabase &TuningDatabase::operator=(TuningDatabase &&other) noexcept {
  if (this != &other) {
    sqlite3_close(db);
    path = std::move(other.path);
    db = other.db;
    version = other.version;
    other.db = nullptr;
  }
  return *this;
}

TuningDatabase::~TuningDatabase() { sqlite3_close(db); }

llvm::Error TuningDatabase::exec(llvm::StringRef sql) {
  char *message = nullptr;
  int rc = sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK)
    return llvm::Error::success();
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return makeError(ExitCode::InputError, "tuning database '{0}': {1}", path,
                   text);
}

llvm::Expected<int> TuningDatabase::getSchemaVersion() {
  Statement s(db, "PRAGMA user_version");
  if (!s.ok() || s.step() != SQLITE_ROW)
    return sqliteError(db, path, "cannot read the schema version (is it a "
                                 "SQLite database?)");
  return static_cast<int>(s.integer(0));
}

llvm::Error TuningDatabase::migrate() {
  auto version = getSchemaVersion();
  if (!version)
    return version.takeError();
  if (*version > SchemaVersion)
    return makeError(ExitCode::InputError,
                     "tuning database '{0}' has schema version {1}, newer "
                     "than this cupilot ({2}); use a newer cupilot",
                     path, *version, SchemaVersion);
  if (*version == SchemaVersion)
    return llvm::Error::success();
  // Another process may be migrating the same file: the version read above
  // is only a hint. Each step takes the write lock, reads the version again
  // under it, and runs the migration that version still needs, committed
  // together with its version bump.
  for (;;) {
    if (llvm::Error e = exec("BEGIN IMMEDIATE;"))
      return e;
    auto current = getSchemaVersion();
    if (!current) {
      llvm::consumeError(exec("ROLLBACK;"));
      return current.takeError();
    }
    if (*current >= SchemaVersion) {
      llvm::consumeError(exec("ROLLBACK;"));
      if (*current > SchemaVersion)
        return makeError(ExitCode::InputError,
                         "tuning database '{0}' has schema version {1}, "
                         "newer than this cupilot ({2}); use a newer cupilot",
                         path, *current, SchemaVersion);
      return llvm::Error::success();
    }
    int v = *current;
    if (v < 0) {
      llvm::consumeError(exec("ROLLBACK;"));
      return makeError(ExitCode::InputError,
                       "tuning database '{0}' has schema version {1}, which "
                       "no cupilot writes",
                       path, v);
    }
    std::string sql = std::string(Migrations[v]) +
                      "PRAGMA user_version=" + std::to_string(v + 1) +
                      ";COMMIT;";
    if (llvm::Error e = exec(sql)) {
      llvm::consumeError(exec("ROLLBACK;"));
      return e;
    }
  }
}

llvm::Expected<std::optional<EvaluationRecord>>
TuningDatabase::findEvaluation(const EvaluationKey &key) {
  Statement s(db, "SELECT " + recordColumns(version) +
                      " FROM evaluations WHERE kernel_fingerprint=?1 AND "
                      "gpu_arch=?2 AND task_shape=?3 AND source_hash=?4 AND "
                      "compile_options=?5");
  if (!s.ok())
    return sqliteError(db, path, "cannot query evaluations");
  s.bind(1, key.kernelFingerprint);
  s.bind(2, key.gpuArch);
  s.bind(3, key.taskShape);
  s.bind(4, key.sourceHash);
  s.bind(5, key.compileOptions);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return std::nullopt;
  if (rc != SQLITE_ROW)
    return sqliteError(db, path, "cannot query evaluations");
  return readRecord(s);
}

llvm::Expected<int64_t>
TuningDatabase::recordEvaluation(const EvaluationRecord &r) {
  Statement s(db, "INSERT OR IGNORE INTO evaluations (kernel_fingerprint, "
                  "gpu_arch, task_shape, source_hash, compile_options, "
                  "kernel_name, source_file, genome, plan_yaml, verdict, "
                  "reason, time_ms, baseline_ms, speedup, result_json, "
                  "created_at, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                  "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (!s.ok())
    return sqliteError(db, path, "cannot record an evaluation");
  s.bind(1, r.key.kernelFingerprint);
  s.bind(2, r.key.gpuArch);
  s.bind(3, r.key.taskShape);
  s.bind(4, r.key.sourceHash);
  s.bind(5, r.key.compileOptions);
  s.bind(6, r.kernelName);
  s.bind(7, r.sourceFile);
  s.bind(8, r.genome);
  s.bind(9, r.planYaml);
  s.bind(10, r.verdict);
  s.bind(11, r.reason);
  s.bind(12, r.timeMs);
  s.bind(13, r.baselineMs);
  s.bind(14, r.speedup);
  s.bind(15, r.resultJson);
  s.bind(16, r.createdAt.empty() ? now() : r.createdAt);
  s.bind(17, r.origin.empty() ? llvm::StringRef("engine")
                              : llvm::StringRef(r.origin));
  if (s.step() != SQLITE_DONE)
    return sqliteError(db, path, "cannot record an evaluation");
  auto existing = findEvaluation(r.key);
  if (!existing)
    return existing.takeError();
  if (!*existing)
    return sqliteError(db, path, "recorded evaluation not found");
  return (*existing)->id;
}

llvm::Expected<std::vector<EvaluationRecord>>
TuningDatabase::listEvaluations(llvm::StringRef kernelFingerprint) {
  Statement s(db, "SELECT " + recordColumns(version) +
                      " FROM evaluations WHERE kernel_fingerprint=?1 "
                      "ORDER BY id");
  if (!s.ok())
    return sqliteError(db, path, "cannot list evaluations");
  s.bind(1, kernelFingerprint);
  std::vector<EvaluationRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(readRecord(s));
  if (rc != SQLITE_DONE)
    return sqliteError(db, path, "cannot list evaluations");
  return out;
}

llvm::Expected<int64_t> TuningDatabase::countEvaluations() {
  Statement s(db, "SELECT COUNT(*) FROM evaluations");
  if (!s.ok() || s.step() != SQLITE_ROW)
    return sqliteError(db, path, "cannot count evaluations");
  return s.integer(0);
}

llvm::Expected<bool> TuningDatabase::offerBest(int64_t evaluationId) {
  if (llvm::Error e = exec("BEGIN IMMEDIATE;"))
    return std::move(e);
  auto rollback = [&](llvm::Error e) -> llvm::Expected<bool> {
    llvm::consumeError(exec("ROLLBACK;"));
    return std::move(e);
  };
  Statement candidate(db, "SELECT kernel_fingerprint, gpu_arch, task_shape, "
                          "speedup, verdict FROM evaluations WHERE id=?1");
  if (!candidate.ok())
    return rollback(sqliteError(db, path, "cannot read an evaluation"));
  candidate.bind(1, evaluationId);
  if (candidate.step() != SQLITE_ROW)
    return rollback(makeError(ExitCode::InternalError,
                              "no evaluation with id {0}", evaluationId));
  std::string fingerprint = candidate.text(0), arch = candidate.text(1),
              shape = candidate.text(2);
  std::optional<double> speedup = candidate.real(3);
  if (candidate.text(4) != "passed" || !speedup) {
    llvm::consumeError(exec("ROLLBACK;"));
    return false;
  }
  Statement current(db, "SELECT e.speedup FROM best b JOIN evaluations e ON "
                        "e.id = b.evaluation_id WHERE b.kernel_fingerprint=?1 "
                        "AND b.gpu_arch=?2 AND b.task_shape=?3");
  if (!current.ok())
    return rollback(sqliteError(db, path, "cannot read the best variant"));
  current.bind(1, fingerprint);
  current.bind(2, arch);
  current.bind(3, shape);
  int rc = current.step();
  if (rc == SQLITE_ROW && current.real(0).value_or(0) >= *speedup) {
    llvm::consumeError(exec("ROLLBACK;"));
    return false;
  }
  Statement update(db, "INSERT OR REPLACE INTO best (kernel_fingerprint, "
                       "gpu_arch, task_shape, evaluation_id, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!update.ok())
    return rollback(sqliteError(db, path, "cannot update the best variant"));
  update.bind(1, fingerprint);
  update.bind(2, arch);
  update.bind(3, shape);
  update.bind(4, evaluationId);
  update.bind(5, now());
  if (update.step() != SQLITE_DONE)
    return rollback(sqliteError(db, path, "cannot update the best variant"));
  if (llvm::Error e = exec("COMMIT;"))
    return std::move(e);
  return true;
}

/// Features as a JSON object of numbers (sorted by name: std::map).
static std::string featuresToJSON(const std::map<std::string, double> &f) {
  llvm::json::Object o;
  for (const auto &[name, value] : f)
    o[name] = value;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(o));
  return text;
}

static std::map<std::string, double> featuresFromJSON(llvm::StringRef text) {
  std::map<std::string, double> out;
  auto json = llvm::json::parse(text);
  if (!json) {
    llvm::consumeError(json.takeError());
    return out;
  }
  if (const llvm::json::Object *o = json->getAsObject())
    for (const auto &[name, value] : *o)
      if (std::optional<double> v = value.getAsNumber())
        out[name.str()] = *v;
  return out;
}

static llvm::Expected<std::vector<BestVariant>>
queryBest(sqlite3 *db, const std::string &path, int version,
          llvm::StringRef where, llvm::StringRef fingerprint, unsigned limit) {
  // Files before version 3 have no profiles.
  bool profiles = version >= 3;
  std::string sql =
      "SELECT b.kernel_fingerprint, b.gpu_arch, b.task_shape, e.kernel_name, "
      "e.id, e.genome, e.plan_yaml, e.speedup" +
      std::string(profiles ? ", p.kernel_name, p.roofline_class, "
                             "p.features_json FROM best b JOIN evaluations e "
                             "ON e.id = b.evaluation_id LEFT JOIN "
                             "kernel_profiles p ON p.kernel_fingerprint = "
                             "b.kernel_fingerprint AND p.gpu_arch = b.gpu_arch "
                             "AND p.task_shape = b.task_shape "
                           : " FROM best b JOIN evaluations e ON e.id = "
                             "b.evaluation_id ") +
      where.str() +
      " ORDER BY e.speedup DESC, b.gpu_arch, b.task_shape, "
      "b.kernel_fingerprint LIMIT " +
      std::to_string(limit);
  Statement s(db, sql);
  if (!s.ok())
    return sqliteError(db, path, "cannot read best variants");
  if (!fingerprint.empty())
    s.bind(1, fingerprint);
  std::vector<BestVariant> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    BestVariant b;
    b.kernelFingerprint = s.text(0);
    b.gpuArch = s.text(1);
    b.taskShape = s.text(2);
    b.kernelName = s.text(3);
    b.evaluationId = s.integer(4);
    b.genome = s.text(5);
    b.planYaml = s.text(6);
    b.speedup = s.real(7).value_or(0);
    if (profiles && !s.isNull(8)) {
      KernelProfile p;
      p.kernelFingerprint = b.kernelFingerprint;
      p.gpuArch = b.gpuArch;
      p.taskShape = b.taskShape;
      p.kernelName = s.text(8);
      p.rooflineClass = s.text(9);
      p.features = featuresFromJSON(s.text(10));
      b.profile = std::move(p);
    }
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE)
    return sqliteError(db, path, "cannot read best variants");
  return out;
}

llvm::Expected<std::vector<BestVariant>>
TuningDatabase::findBest(llvm::StringRef kernelFingerprint) {
  return queryBest(db, path, version, "WHERE b.kernel_fingerprint=?1",
                   kernelFingerprint, 1000);
}

llvm::Expected<std::vector<BestVariant>>
TuningDatabase::listBest(unsigned limit) {
  return queryBest(db, path, version, "", "", limit);
}

llvm::Error TuningDatabase::recordKernelProfile(const KernelProfile &p) {
  if (version < 3)
    return makeError(ExitCode::InputError,
                     "tuning database '{0}' has schema version {1}, which "
                     "keeps no kernel profiles (open it read-write to "
                     "migrate)",
                     path, version);
  Statement s(db, "INSERT OR REPLACE INTO kernel_profiles "
                  "(kernel_fingerprint, gpu_arch, task_shape, kernel_name, "
                  "roofline_class, features_json, updated_at) VALUES (?1, "
                  "?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s.ok())
    return sqliteError(db, path, "cannot record a kernel profile");
  s.bind(1, p.kernelFingerprint);
  s.bind(2, p.gpuArch);
  s.bind(3, p.taskShape);
  s.bind(4, p.kernelName);
  s.bind(5, p.rooflineClass);
  s.bind(6, featuresToJSON(p.features));
  s.bind(7, now());
  if (s.step() != SQLITE_DONE)
    return sqliteError(db, path, "cannot record a kernel profile");
  return llvm::Error::success();
}

llvm::Expected<std::optional<KernelProfile>>
TuningDatabase::findKernelProfile(llvm::StringRef kernelFingerprint,
                                  llvm::StringRef gpuArch,
                                  llvm::StringRef taskShape) {
  if (version < 3)
    return std::nullopt;
  Statement s(db, "SELECT kernel_name, roofline_class, features_json FROM "
                  "kernel_profiles WHERE kernel_fingerprint=?1 AND "
                  "gpu_arch=?2 AND task_shape=?3");
  if (!s.ok())
    return sqliteError(db, path, "cannot read kernel profiles");
  s.bind(1, kernelFingerprint);
  s.bind(2, gpuArch);
  s.bind(3, taskShape);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return std::nullopt;
  if (rc != SQLITE_ROW)
    return sqliteError(db, path, "cannot read kernel profiles");
  KernelProfile p;
  p.kernelFingerprint = kernelFingerprint.str();
  p.gpuArch = gpuArch.str();
  p.taskShape = taskShape.str();
  p.kernelName = s.text(0);
  p.rooflineClass = s.text(1);
  p.features = featuresFromJSON(s.text(2));
  return p;
}
