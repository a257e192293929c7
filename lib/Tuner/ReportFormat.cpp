//===- ReportFormat.cpp - Escaping and number formatting for reports ------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "ReportFormat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace cupilot;
using namespace cupilot::report;
using llvm::StringRef;

std::string cupilot::report::escapeHTML(StringRef text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    case '\t':
    case '\n':
    case '\r':
      out += c;
      break;
    default:
      // Other C0 controls (NUL included) and DEL are not allowed in HTML.
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        out += "\xEF\xBF\xBD";
      else
        out += c;
    }
  }
  return out;
}

std::string cupilot::report::truncateText(StringRef text, size_t maxChars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Count the lead byte of each UTF-8 sequence.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
      continue;
    if (chars == maxChars)
      return text.take_front(i).str() + "\xE2\x80\xA6";
    ++chars;
  }
  return text.str();
}

std::string cupilot::report::formatFixed(double value, int decimals) {
  if (!std::isfinite(value))
    return NotMeasured;
  char buffer[64];
  int length = std::snprintf(buffer, sizeof(buffer), "%.*f",
                             std::clamp(decimals, 0, 12), value);
  if (length < 0 || static_cast<size_t>(length) >= sizeof(buffer))
    return formatSignificant(value, 6);
  std::string text(buffer, length);
  if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos)
    text.erase(0, 1);
  return text;
}

std::string cupilot::report::formatSignificant(double value, int digits) {
  if (!std::isfinite(value))
    return NotMeasured;
  if (value == 0)
    return "0";
  double magnitude = std::floor(std::log10(std::fabs(value)));
  if (magnitude > 15 || magnitude < -12) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.*g", digits, value);
    return buffer;
  }
  return formatFixed(value, std::max(0, digits - 1 - int(magnitude)));
}

std::string cupilot::report::formatCoord(double value) {
  return formatFixed(value, 2);
}

std::string cupilot::report::formatTime(std::optional<double> ms) {
  if (!ms)
    return NotMeasured;
  if (std::fabs(*ms) < 1)
    return formatSignificant(*ms * 1000) + " \xC2\xB5s"; // µs
  if (std::fabs(*ms) < 1000)
    return formatSignificant(*ms) + " ms";
  return formatSignificant(*ms / 1000) + " s";
}

std::string cupilot::report::formatGflops(std::optional<double> gflops) {
  if (!gflops)
    return NotMeasured;
  if (std::fabs(*gflops) >= 1000)
    return formatSignificant(*gflops / 1000) + " TFLOP/s";
  return formatSignificant(*gflops) + " GFLOP/s";
}

std::string cupilot::report::formatBandwidth(std::optional<double> gbs) {
  if (!gbs)
    return NotMeasured;
  if (std::fabs(*gbs) >= 1000)
    return formatSignificant(*gbs / 1000) + " TB/s";
  return formatSignificant(*gbs) + " GB/s";
}

std::string cupilot::report::formatIntensity(std::optional<double> intensity) {
  if (!intensity)
    return NotMeasured;
  return formatSignificant(*intensity) + " FLOP/B";
}

std::string cupilot::report::formatSpeedup(std::optional<double> speedup) {
  if (!speedup)
    return NotMeasured;
  return formatFixed(*speedup, 2) + "\xC3\x97"; // ×
}

std::string cupilot::report::formatPercent(std::optional<double> percent) {
  if (!percent)
    return NotMeasured;
  return formatFixed(*percent, 1) + "%";
}
