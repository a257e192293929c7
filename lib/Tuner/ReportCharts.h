//===- ReportCharts.h - SVG charts of the evolution report ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Inline SVG for the HTML report. The ids and classes are stable so tests and
// stylesheets can find the parts:
//   <svg id="roofline">      .roof.memory, .roof.compute (data-precision),
//                            g.point.original / g.point.best (data-kernel,
//                            transform="translate(X Y)"), .point-label,
//                            .shift (original -> best)
//   <svg id="evolution-N">   polyline.curve, circle.gen, circle.eval,
//                            line.baseline (speedup 1)
// N is the kernel's index in the report's `kernels` array.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_TUNER_REPORTCHARTS_H
#define CUPILOT_LIB_TUNER_REPORTCHARTS_H

#include "ReportData.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cupilot {
namespace report {

/// Appends the log-log roofline chart of the report's device with the
/// original and best variant of every kernel. Points that cannot be placed
/// (a value not measured or not positive) are left out and explained in
/// `notes` (plain text, not yet escaped).
void renderRooflineChart(llvm::raw_ostream &os, const Report &report,
                         std::vector<std::string> &notes);

/// Appends the chart's key as an HTML list with small SVG swatches.
void renderRooflineLegend(llvm::raw_ostream &os, const Report &report);

/// Appends the evolution chart's key as an HTML list.
void renderEvolutionLegend(llvm::raw_ostream &os, const KernelReport &kernel);

/// Appends the evolution chart of kernel `index`: the best speedup after
/// each generation as a polyline, every evaluated variant as a dot.
void renderEvolutionChart(llvm::raw_ostream &os, const KernelReport &kernel,
                          size_t index);

} // namespace report
} // namespace cupilot

#endif // CUPILOT_LIB_TUNER_REPORTCHARTS_H
