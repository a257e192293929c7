//===- TuningDatabase.h - Every evaluation, and the best variants -*- C++ -*-=//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The tuning database is one SQLite file (default `./.cupilot/tuning.db`).
// It keeps every evaluation ever made and the best verified variant per
// (kernel fingerprint, GPU arch, task shape). Each evaluation is committed
// in its own transaction (WAL journal, synchronous=FULL), so killing the
// process loses nothing that finished; a rerun finds finished evaluations by
// their key and does not repeat them. The schema is versioned
// (`PRAGMA user_version`) and migrated forward on open; docs/TuningDatabase.md
// documents it.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_TUNINGDATABASE_H
#define CUPILOT_TUNER_TUNINGDATABASE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cupilot {

/// What identifies an evaluation: the same key means the same experiment.
struct EvaluationKey {
  std::string kernelFingerprint;
  std::string gpuArch;
  /// Canonical sizes of the task's main shape (`M=4096,N=4096`) plus a hash
  /// of the task text, so a changed task is a new experiment.
  std::string taskShape;
  /// SHA-256 of the variant source.
  std::string sourceHash;
  /// Compile options joined by spaces.
  std::string compileOptions;
};

struct EvaluationRecord {
  int64_t id = 0;
  EvaluationKey key;
  std::string kernelName;
  std::string sourceFile;
  std::string genome;
  /// Who proposed the genome: `engine` (the built-in rule engine), `llm`
  /// (the Strategist) or `revisor` (translated code repaired by the Revisor).
  std::string origin = "engine";
  std::string planYaml;
  /// Verdict spelling (`passed`, `failed`, `illegal-rewrite`, ...).
  std::string verdict;
  std::string reason;
  std::optional<double> timeMs;
  std::optional<double> baselineMs;
  std::optional<double> speedup;
  /// The full result as JSON.
  std::string resultJson;
  std::string createdAt;
};

/// What evolution measured about a kernel (schema version 3): its features
/// (`makeFeatureSet` numbers) and its roofline class on one arch and task
/// shape. Seeding compares kernels by these (Seeding.h).
struct KernelProfile {
  std::string kernelFingerprint;
  std::string gpuArch;
  std::string taskShape;
  std::string kernelName;
  /// `memory`, `compute`, `latency` or empty.
  std::string rooflineClass;
  std::map<std::string, double> features;
};

struct BestVariant {
  std::string kernelFingerprint;
  std::string gpuArch;
  std::string taskShape;
  std::string kernelName;
  int64_t evaluationId = 0;
  std::string genome;
  std::string planYaml;
  double speedup = 0;
  /// The profile of its kernel on its arch and shape, when one was recorded
  /// (listBest on a version-3 file).
  std::optional<KernelProfile> profile;
};

class TuningDatabase {
public:
  /// The schema version this build writes.
  static constexpr int SchemaVersion = 3;

  /// Opens (creating the file and its directory if needed) and migrates.
  static llvm::Expected<TuningDatabase> open(llvm::StringRef path);
  /// Opens an existing database read-only (for --apply-best); an error when
  /// the file does not exist. Files of older schema versions are read as
  /// they are.
  static llvm::Expected<TuningDatabase> openReadOnly(llvm::StringRef path);

  TuningDatabase(TuningDatabase &&other) noexcept;
  TuningDatabase &operator=(TuningDatabase &&other) noexcept;
  ~TuningDatabase();

  const std::string &getPath() const { return path; }
  llvm::Expected<int> getSchemaVersion();

  /// The evaluation with this key, if one was recorded.
  llvm::Expected<std::optional<EvaluationRecord>>
  findEvaluation(const EvaluationKey &key);
  /// Records an evaluation (committed before returning); returns its id. A
  /// second record with the same key returns the existing id unchanged.
  llvm::Expected<int64_t> recordEvaluation(const EvaluationRecord &record);
  /// All evaluations of a kernel, oldest first.
  llvm::Expected<std::vector<EvaluationRecord>>
  listEvaluations(llvm::StringRef kernelFingerprint);
  llvm::Expected<int64_t> countEvaluations();

  /// Makes `evaluationId` the best variant of its (kernel, arch, shape) if
  /// its speedup beats the current best; returns whether it did.
  llvm::Expected<bool> offerBest(int64_t evaluationId);
  /// Best variants of a kernel (all archs and shapes), highest speedup first.
  llvm::Expected<std::vector<BestVariant>>
  findBest(llvm::StringRef kernelFingerprint);
  /// Genomes of the best variants of all kernels, highest speedup first,
  /// each with its kernel's profile when one was recorded.
  llvm::Expected<std::vector<BestVariant>> listBest(unsigned limit);

  /// Records (or replaces) the profile of a kernel on an arch and shape.
  llvm::Error recordKernelProfile(const KernelProfile &profile);
  /// The profile of (kernel, arch, shape), if one was recorded.
  llvm::Expected<std::optional<KernelProfile>>
  findKernelProfile(llvm::StringRef kernelFingerprint, llvm::StringRef gpuArch,
                    llvm::StringRef taskShape);

private:
  TuningDatabase(std::string path, sqlite3 *db) : path(std::move(path)), db(db) {}
  llvm::Error migrate();
  llvm::Error exec(llvm::StringRef sql);

  std::string path;
  sqlite3 *db = nullptr;
  /// The file's schema version (SchemaVersion once migrated).
  int version = SchemaVersion;
};

} // namespace cupilot

#endif // CUPILOT_TUNER_TUNINGDATABASE_H
