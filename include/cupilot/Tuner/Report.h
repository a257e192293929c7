//===- Report.h - Evolution reports (JSON and HTML) -------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// An evolution run writes a report: JSON (schema `cupilot.report/v1`,
// documented in docs/ReportSchema.md) and a self-contained HTML page with the
// roofline chart of the original and best variants and the evolution curve.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_TUNER_REPORT_H
#define CUPILOT_TUNER_REPORT_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace cupilot {

inline constexpr const char *ReportSchema = "cupilot.report/v1";

/// Renders a `cupilot.report/v1` JSON value as one self-contained HTML page
/// (inline CSS and SVG, no scripts or network resources): a summary table,
/// the log-log roofline of the original and best variant of every kernel,
/// and per kernel the evolution curve and the table of evaluations. The same
/// JSON always gives the same bytes and every string from it is escaped.
/// A missing required field or a value of the wrong type is an InputError
/// that names its JSON path (`kernels[1].original.timeMs`); the rules and the
/// page's element ids are in docs/ReportSchema.md.
llvm::Expected<std::string> renderReportHTML(const llvm::json::Value &report);

} // namespace cupilot

#endif // CUPILOT_TUNER_REPORT_H
