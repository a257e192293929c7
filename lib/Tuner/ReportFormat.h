//===- ReportFormat.h - Escaping and number formatting for reports -*- C++ -*-//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Every string that reaches the HTML page goes through escapeHTML; every
// number goes through one of the formatters below, which depend only on the
// value (fixed notation, C locale), so the page is byte-for-byte
// reproducible.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_TUNER_REPORTFORMAT_H
#define CUPILOT_LIB_TUNER_REPORTFORMAT_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace cupilot {
namespace report {

/// Escapes text for HTML element content and quoted attribute values:
/// `& < > " '` become character references and control characters other
/// than tab, CR and LF become U+FFFD, so no input can open a tag, close an
/// attribute or smuggle markup.
std::string escapeHTML(llvm::StringRef text);

/// At most `maxChars` code points of UTF-8 `text`, with "…" when cut.
std::string truncateText(llvm::StringRef text, size_t maxChars);

/// `value` with `decimals` digits after the point; never "-0".
std::string formatFixed(double value, int decimals);

/// `value` with `digits` significant digits in fixed notation (66900,
/// 0.0833, 1.05).
std::string formatSignificant(double value, int digits = 3);

/// An SVG coordinate (two decimals).
std::string formatCoord(double value);

/// The text shown for a value that was not measured.
inline constexpr const char *NotMeasured = "\xE2\x80\x94"; // "—"

// Values with units; each returns NotMeasured for std::nullopt.
std::string formatTime(std::optional<double> ms);
std::string formatGflops(std::optional<double> gflops);
std::string formatBandwidth(std::optional<double> gbs);
std::string formatIntensity(std::optional<double> flopPerByte);
std::string formatSpeedup(std::optional<double> speedup);
std::string formatPercent(std::optional<double> percent);

} // namespace report
} // namespace cupilot

#endif // CUPILOT_LIB_TUNER_REPORTFORMAT_H
