//===- ReportData.h - The evolution report as plain values ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A `cupilot.report/v1` JSON value read into plain structs, validated once so
// that the renderers need not check types. Private to the Tuner library.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_TUNER_REPORTDATA_H
#define CUPILOT_LIB_TUNER_REPORTDATA_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cupilot {
namespace report {

/// Where a variant sits on the roofline. Every number is optional: null (or
/// absent) means it was not measured.
struct RooflinePoint {
  std::optional<double> timeMs;
  std::optional<double> gflops;
  std::optional<double> bandwidthGBs;
  std::optional<double> intensity;
  std::optional<std::string> rooflineClass;
  std::optional<double> percentOfRoof;
};

/// The best verified variant of a kernel.
struct BestVariant : RooflinePoint {
  std::string genome;
  std::optional<double> speedup;
  std::string plan;
};

/// One generation of the evolution.
struct GenerationRecord {
  int64_t generation = 0;
  std::optional<int64_t> evaluations;
  std::optional<double> bestSpeedup;
};

/// One evaluated variant.
struct EvaluationRecord {
  std::string genome;
  std::string verdict;
  std::string reason;
  std::optional<double> speedup;
  std::optional<double> timeMs;
  std::optional<int64_t> generation;
};

struct KernelReport {
  std::string kernel;
  std::string fingerprint;
  std::string task;
  std::string shape;
  RooflinePoint original;
  /// None when nothing beat the original.
  std::optional<BestVariant> best;
  std::vector<GenerationRecord> history;
  std::vector<EvaluationRecord> evaluations;
};

struct DeviceReport {
  std::string name;
  std::string arch;
  std::optional<double> peakBandwidthGBs;
  /// Peak GFLOP/s per precision, sorted by precision name (the JSON object's
  /// key order is not kept, so sorting keeps the output deterministic).
  std::vector<std::pair<std::string, std::optional<double>>> peakGflops;

  /// The f32 peak, which draws the compute roof.
  std::optional<double> peakGflopsF32() const;
};

struct Report {
  std::string source;
  DeviceReport device;
  std::vector<KernelReport> kernels;
};

/// Reads and validates a `cupilot.report/v1` value. A missing required field
/// or a value of the wrong type is an InputError naming its JSON path, e.g.
/// `kernels[1].original.timeMs`.
llvm::Expected<Report> parseReport(const llvm::json::Value &value);

} // namespace report
} // namespace cupilot

#endif // CUPILOT_LIB_TUNER_REPORTDATA_H
