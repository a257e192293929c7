//===- ReportCharts.cpp - SVG charts of the evolution report --------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Plain SVG written by hand: fixed viewBox sizes, coordinates with two
// decimals, styling through the page's CSS classes. Nothing here depends on
// map iteration order or the clock, so the charts are reproducible.
//
//===----------------------------------------------------------------------===//

#include "ReportCharts.h"
#include "ReportFormat.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace cupilot;
using namespace cupilot::report;
using llvm::raw_ostream;
using llvm::StringRef;

namespace {

/// An axis-aligned rectangle in SVG user units.
struct Box {
  double left, top, right, bottom;

  double overlap(const Box &other) const {
    double w = std::min(right, other.right) - std::max(left, other.left);
    double h = std::min(bottom, other.bottom) - std::max(top, other.top);
    return w > 0 && h > 0 ? w * h : 0;
  }
  bool contains(const Box &other) const {
    return other.left >= left && other.right <= right && other.top >= top &&
           other.bottom <= bottom;
  }
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

/// A log10 axis: 10^lo .. 10^hi mapped onto [from, to]. `lo` is a whole
/// decade; `hi` is one too unless the top needs room for a roof label.
struct LogAxis {
  double lo = 0, hi = 1;
  double from = 0, to = 1;

  double map(double value) const { return mapLog(std::log10(value)); }
  double mapLog(double log) const {
    return from + (log - lo) / (hi - lo) * (to - from);
  }
  double min() const { return std::pow(10.0, lo); }
  double max() const { return std::pow(10.0, hi); }
  int firstDecade() const { return static_cast<int>(std::ceil(lo - 1e-9)); }
  int lastDecade() const { return static_cast<int>(std::floor(hi + 1e-9)); }
  double pixelsPerDecade() const { return std::fabs(to - from) / (hi - lo); }
};

/// The smallest whole-decade axis that holds the positive `values` with a
/// little room on both sides and spans at least `minDecades`.
LogAxis fitLogAxis(llvm::ArrayRef<double> values, int minDecades,
                   int fallbackLo, double from, double to) {
  LogAxis axis;
  axis.from = from;
  axis.to = to;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double value : values) {
    if (!(value > 0) || !std::isfinite(value))
      continue;
    lo = std::min(lo, std::log10(value));
    hi = std::max(hi, std::log10(value));
  }
  if (lo > hi) {
    axis.lo = fallbackLo;
    axis.hi = fallbackLo + minDecades;
    return axis;
  }
  axis.lo = std::floor(lo - 0.1);
  axis.hi = std::ceil(hi + 0.1);
  while (axis.hi - axis.lo < minDecades) {
    if (static_cast<int>(axis.hi - axis.lo) % 2)
      axis.lo -= 1;
    else
      axis.hi += 1;
  }
  return axis;
}

/// Raises the top of `axis` so that `pixels` fit above 10^`top`.
void makeHeadroom(LogAxis &axis, double top, double pixels) {
  double needed = pixels / axis.pixelsPerDecade();
  if (axis.hi - top < needed)
    axis.hi = top + needed * 1.15;
}

/// "0.01", "1", "100", "10k", "1M", "1e12".
std::string decadeLabel(int decade) {
  if (decade >= 0 && decade < 3)
    return "1" + std::string(decade, '0');
  if (decade >= 3 && decade < 6)
    return "1" + std::string(decade - 3, '0') + "k";
  if (decade >= 6 && decade < 9)
    return "1" + std::string(decade - 6, '0') + "M";
  if (decade < 0 && decade >= -4)
    return "0." + std::string(-decade - 1, '0') + "1";
  return "1e" + std::to_string(decade);
}

/// A linear axis with "nice" tick steps (1, 2 or 5 times a power of ten).
struct LinearAxis {
  double lo = 0, hi = 1, step = 1;
  double from = 0, to = 1;

  double map(double value) const {
    return from + (value - lo) / (hi - lo) * (to - from);
  }
  std::vector<double> ticks() const {
    std::vector<double> result;
    long first = std::lround(std::ceil(lo / step - 1e-9));
    long last = std::lround(std::floor(hi / step + 1e-9));
    for (long i = first; i <= last && result.size() < 64; ++i)
      result.push_back(i * step);
    return result;
  }
  std::string label(double value) const {
    int decimals =
        step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    return formatFixed(value, decimals);
  }
};

double niceStep(double range, int targetTicks) {
  double raw = range / targetTicks;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double normalized = raw / magnitude;
  double nice = normalized <= 1   ? 1
                : normalized <= 2 ? 2
                : normalized <= 5 ? 5
                                  : 10;
  return nice * magnitude;
}

LinearAxis fitLinearAxis(double lo, double hi, int targetTicks, double from,
                         double to, bool integral) {
  if (!(hi > lo))
    hi = lo + (integral ? 1 : 0.1);
  LinearAxis axis;
  axis.step = niceStep(hi - lo, targetTicks);
  if (integral)
    axis.step = std::max(1.0, std::round(axis.step));
  axis.lo = std::floor(lo / axis.step + 1e-9) * axis.step;
  axis.hi = std::ceil(hi / axis.step - 1e-9) * axis.step;
  if (!(axis.hi > axis.lo))
    axis.hi = axis.lo + axis.step;
  axis.from = from;
  axis.to = to;
  return axis;
}

std::optional<double> positive(std::optional<double> value) {
  if (value && *value > 0 && std::isfinite(*value))
    return value;
  return std::nullopt;
}

/// Why a variant cannot be placed on the log-log chart, or None.
std::optional<std::string> unplaceable(const RooflinePoint &point) {
  if (!point.intensity && !point.gflops)
    return std::string("intensity and GFLOP/s not measured");
  if (!point.intensity)
    return std::string("intensity not measured");
  if (!point.gflops)
    return std::string("GFLOP/s not measured");
  if (!positive(point.intensity))
    return std::string("intensity is not positive");
  if (!positive(point.gflops))
    return std::string("GFLOP/s is not positive");
  return std::nullopt;
}

std::string rooflineSummary(const RooflinePoint &point) {
  std::string text;
  if (point.rooflineClass)
    text += *point.rooflineClass + "-bound";
  if (point.percentOfRoof) {
    if (!text.empty())
      text += " \xC2\xB7 ";
    text += formatPercent(point.percentOfRoof) + " of roof";
  }
  return text;
}

/// Estimated box of a label in the chart's 11.5px semibold sans-serif.
constexpr double LabelCharWidth = 7.2, LabelHeight = 13;

struct Marker {
  size_t kernel;
  bool best;
  double x, y;
  std::string label;
};

struct PlacedLabel {
  double x, y;
  const char *anchor;
  Box box;
};

/// Places a label next to (x, y) where it overlaps the least of `taken`,
/// trying the right side first. Deterministic: ties keep the earlier spot.
PlacedLabel placeLabel(double x, double y, double width, const Box &area,
                       const std::vector<Box> &taken) {
  struct Candidate {
    double dx, dy; // baseline start relative to the marker
    const char *anchor;
  };
  static const Candidate candidates[] = {
      {10, 4, "start"},  {-10, 4, "end"},   {0, -12, "middle"},
      {0, 21, "middle"}, {8, -9, "start"},  {8, 17, "start"},
      {-8, -9, "end"},   {-8, 17, "end"},   {14, -20, "start"},
      {14, 28, "start"}, {-14, -20, "end"}, {-14, 28, "end"},
  };
  PlacedLabel bestSpot{};
  double bestCost = std::numeric_limits<double>::infinity();
  for (const Candidate &c : candidates) {
    double left = x + c.dx;
    if (StringRef(c.anchor) == "end")
      left -= width;
    else if (StringRef(c.anchor) == "middle")
      left -= width / 2;
    double baseline = y + c.dy;
    Box box{left, baseline - LabelHeight + 3, left + width, baseline + 3};
    double cost = 0;
    for (const Box &other : taken)
      cost += box.overlap(other);
    if (!area.contains(box))
      cost += 1e6;
    if (cost < bestCost) {
      bestCost = cost;
      bestSpot = {x + c.dx, baseline, c.anchor, box};
      if (cost == 0)
        break;
    }
  }
  return bestSpot;
}

void writeLine(raw_ostream &os, StringRef cls, double x1, double y1, double x2,
               double y2) {
  os << "<line class=\"" << cls << "\" x1=\"" << formatCoord(x1) << "\" y1=\""
     << formatCoord(y1) << "\" x2=\"" << formatCoord(x2) << "\" y2=\""
     << formatCoord(y2) << "\"/>\n";
}

void writeText(raw_ostream &os, StringRef cls, double x, double y,
               StringRef anchor, StringRef text) {
  os << "<text class=\"" << cls << "\" x=\"" << formatCoord(x) << "\" y=\""
     << formatCoord(y) << "\" text-anchor=\"" << anchor << "\">"
     << escapeHTML(text) << "</text>\n";
}

/// Opens an `<svg>` of the given size; `label` is its accessible name.
void writeSvgStart(raw_ostream &os, StringRef id, StringRef cls, double width,
                   double height, StringRef label) {
  std::string w = formatFixed(width, 0), h = formatFixed(height, 0);
  os << "<svg id=\"" << id << "\" class=\"" << cls
     << "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << w << " "
     << h << "\" width=\"" << w << "\" height=\"" << h
     << "\" role=\"img\" aria-label=\"" << escapeHTML(label) << "\">\n";
}

/// The two marker shapes, shared with the HTML legend.
constexpr const char *OriginalShape = "<circle r=\"6\"/>";
constexpr const char *BestShape = "<path d=\"M0 -8L8 0L0 8L-8 0Z\"/>";

} // namespace

//===----------------------------------------------------------------------===//
// Roofline
//===----------------------------------------------------------------------===//

void cupilot::report::renderRooflineChart(raw_ostream &os, const Report &report,
                                          std::vector<std::string> &notes) {
  constexpr double Width = 960, Height = 560;
  const Box plot{76, 28, Width - 28, Height - 60};
  const DeviceReport &device = report.device;

  std::optional<double> bandwidth = positive(device.peakBandwidthGBs);
  std::optional<double> f32 = positive(device.peakGflopsF32());
  if (!bandwidth)
    notes.push_back("The device has no measured peak bandwidth: the memory "
                    "roof is not drawn.");
  if (!f32)
    notes.push_back("The device has no f32 peak: the f32 compute roof is "
                    "not drawn.");

  // The markers that can be placed; the others get a note.
  struct Candidate {
    size_t kernel;
    bool best;
    const RooflinePoint *point;
  };
  std::vector<Candidate> placeable;
  for (auto [index, kernel] : llvm::enumerate(report.kernels)) {
    if (std::optional<std::string> why = unplaceable(kernel.original))
      notes.push_back(kernel.kernel + ": original not plotted (" + *why + ").");
    else
      placeable.push_back({index, false, &kernel.original});
    if (!kernel.best)
      notes.push_back(kernel.kernel +
                      ": no variant beat the original; only the original is "
                      "plotted.");
    else if (std::optional<std::string> why = unplaceable(*kernel.best))
      notes.push_back(kernel.kernel + ": best variant not plotted (" + *why +
                      ").");
    else
      placeable.push_back({index, true, &*kernel.best});
  }

  std::optional<double> ridge;
  if (bandwidth && f32)
    ridge = *f32 / *bandwidth;

  std::vector<double> xs;
  for (const Candidate &c : placeable)
    xs.push_back(*c.point->intensity);
  if (ridge)
    xs.push_back(*ridge);
  if (bandwidth)
    for (const auto &[precision, gflops] : device.peakGflops)
      if (positive(gflops))
        xs.push_back(*gflops / *bandwidth);
  LogAxis x = fitLogAxis(xs, 3, -2, plot.left, plot.right);

  std::vector<double> ys;
  for (const Candidate &c : placeable)
    ys.push_back(*c.point->gflops);
  for (const auto &[precision, gflops] : device.peakGflops)
    if (positive(gflops))
      ys.push_back(*gflops);
  if (bandwidth)
    ys.push_back(*bandwidth * x.min());
  LogAxis y = fitLogAxis(ys, 3, 0, plot.bottom, plot.top);
  // Room for the label above the highest compute roof.
  double highestRoof = 0;
  for (const auto &[precision, gflops] : device.peakGflops)
    if (positive(gflops))
      highestRoof = std::max(highestRoof, *gflops);
  if (highestRoof > 0)
    makeHeadroom(y, std::log10(highestRoof), 22);

  writeSvgStart(os, "roofline", "chart roofline", Width, Height,
                "Roofline of " + std::to_string(report.kernels.size()) +
                    " kernels on " + device.name);
  os << "<rect class=\"plot-bg\" x=\"" << formatCoord(plot.left) << "\" y=\""
     << formatCoord(plot.top) << "\" width=\"" << formatCoord(plot.width())
     << "\" height=\"" << formatCoord(plot.height()) << "\"/>\n";

  // Grid: a line per decade, light lines at 2..9 times each decade.
  os << "<g class=\"grid\">\n";
  auto grid = [&](const LogAxis &axis, bool vertical) {
    for (int decade = static_cast<int>(std::floor(axis.lo));
         decade <= axis.lastDecade(); ++decade) {
      for (int m = 1; m <= 9; ++m) {
        double log = decade + std::log10(double(m));
        if (log < axis.lo - 1e-9 || log > axis.hi + 1e-9)
          continue;
        double p = axis.mapLog(log);
        const char *cls = m == 1 ? "grid major" : "grid minor";
        if (vertical)
          writeLine(os, cls, p, plot.top, p, plot.bottom);
        else
          writeLine(os, cls, plot.left, p, plot.right, p);
      }
    }
  };
  grid(x, true);
  grid(y, false);
  os << "</g>\n";

  // The attainable region under the f32 roofline, then the roofs.
  std::optional<std::pair<double, double>> memorySpan;
  if (bandwidth) {
    double start = std::max(x.min(), y.min() / *bandwidth);
    double end = std::min(ridge ? *ridge : x.max(), y.max() / *bandwidth);
    if (start < end)
      memorySpan = {start, end};
  }
  std::optional<double> computeStart;
  if (f32) {
    double start = ridge ? std::max(x.min(), *ridge) : x.min();
    if (start < x.max())
      computeStart = start;
  }
  std::vector<std::pair<double, double>> roofline;
  if (memorySpan) {
    roofline.push_back(
        {x.map(memorySpan->first), y.map(*bandwidth * memorySpan->first)});
    roofline.push_back(
        {x.map(memorySpan->second), y.map(*bandwidth * memorySpan->second)});
  }
  if (computeStart) {
    roofline.push_back({x.map(*computeStart), y.map(*f32)});
    roofline.push_back({plot.right, y.map(*f32)});
  }
  if (!roofline.empty()) {
    os << "<path class=\"roof-area\" d=\"M" << formatCoord(roofline[0].first)
       << " " << formatCoord(plot.bottom);
    for (const auto &[px, py] : roofline)
      os << "L" << formatCoord(px) << " " << formatCoord(py);
    os << "L" << formatCoord(roofline.back().first) << " "
       << formatCoord(plot.bottom) << "Z\"/>\n";
  }

  std::string bandwidthText = formatBandwidth(bandwidth);
  if (memorySpan) {
    double x1 = x.map(memorySpan->first), x2 = x.map(memorySpan->second);
    double y1 = y.map(*bandwidth * memorySpan->first);
    double y2 = y.map(*bandwidth * memorySpan->second);
    os << "<path class=\"roof memory\" d=\"M" << formatCoord(x1) << " "
       << formatCoord(y1) << "L" << formatCoord(x2) << " " << formatCoord(y2)
       << "\"><title>" << escapeHTML("Memory roof: " + bandwidthText)
       << "</title></path>\n";
    // Label along the slope, just above the line, if it fits.
    std::string label = "memory " + bandwidthText;
    double length = std::hypot(x2 - x1, y2 - y1);
    double textWidth = label.size() * 6.4;
    if (length > textWidth + 36) {
      double angle = std::atan2(y2 - y1, x2 - x1);
      double along = 18;
      os << "<text class=\"roof-label memory\" transform=\"translate("
         << formatCoord(x1 + along * std::cos(angle)) << " "
         << formatCoord(y1 + along * std::sin(angle)) << ") rotate("
         << formatFixed(angle * 180 / M_PI, 2) << ")\" y=\"-7\">"
         << escapeHTML(label) << "</text>\n";
    }
  }
  for (const auto &[precision, gflops] : device.peakGflops) {
    if (!positive(gflops))
      continue;
    bool primary = precision == "f32";
    double start =
        bandwidth ? std::max(x.min(), *gflops / *bandwidth) : x.min();
    if (!(start < x.max()))
      continue;
    double py = y.map(*gflops);
    std::string text = precision + " peak " + formatGflops(gflops);
    os << "<path class=\"roof compute" << (primary ? "" : " secondary")
       << "\" data-precision=\"" << escapeHTML(precision) << "\" d=\"M";
    // A peak above f32 continues the memory roof from the f32 ridge.
    if (!primary && ridge && *gflops > *f32 && *ridge > x.min())
      os << formatCoord(x.map(*ridge)) << " " << formatCoord(y.map(*f32))
         << "L";
    os << formatCoord(x.map(start)) << " " << formatCoord(py) << "L"
       << formatCoord(plot.right) << " " << formatCoord(py) << "\"><title>"
       << escapeHTML("Compute roof: " + text) << "</title></path>\n";
    writeText(os, primary ? "roof-label compute" : "roof-label secondary",
              plot.right - 8, py - 7, "end", text);
  }
  if (ridge && computeStart && *ridge > x.min()) {
    double px = x.map(*ridge);
    os << "<line class=\"ridge\" x1=\"" << formatCoord(px) << "\" y1=\""
       << formatCoord(y.map(*f32)) << "\" x2=\"" << formatCoord(px)
       << "\" y2=\"" << formatCoord(plot.bottom) << "\"><title>"
       << escapeHTML("Ridge point: " + formatIntensity(ridge))
       << "</title></line>\n";
  }

  // Axes, ticks and their labels.
  os << "<g class=\"axes\">\n";
  os << "<rect class=\"frame\" x=\"" << formatCoord(plot.left) << "\" y=\""
     << formatCoord(plot.top) << "\" width=\"" << formatCoord(plot.width())
     << "\" height=\"" << formatCoord(plot.height()) << "\"/>\n";
  auto ticks = [&](const LogAxis &axis, bool horizontal) {
    int every = std::max(1, (axis.lastDecade() - axis.firstDecade() + 9) / 10);
    for (int decade = axis.firstDecade(); decade <= axis.lastDecade();
         ++decade) {
      double p = axis.map(std::pow(10.0, decade));
      bool labelled = (decade - axis.firstDecade()) % every == 0;
      if (horizontal) {
        writeLine(os, "tick", p, plot.bottom, p, plot.bottom + 5);
        if (labelled)
          writeText(os, "tick-label x", p, plot.bottom + 19, "middle",
                    decadeLabel(decade));
      } else {
        writeLine(os, "tick", plot.left - 5, p, plot.left, p);
        if (labelled)
          writeText(os, "tick-label y", plot.left - 9, p + 4, "end",
                    decadeLabel(decade));
      }
    }
  };
  ticks(x, true);
  ticks(y, false);
  writeText(os, "axis-title x", (plot.left + plot.right) / 2, Height - 16,
            "middle", "Arithmetic intensity (FLOP/byte)");
  os << "<text class=\"axis-title y\" transform=\"translate(20 "
     << formatCoord((plot.top + plot.bottom) / 2)
     << ") rotate(-90)\" text-anchor=\"middle\">Performance (GFLOP/s)</text>\n";
  os << "</g>\n";

  // Markers, with a dashed arrow from each original to its best variant.
  std::vector<Marker> markers;
  for (const Candidate &c : placeable) {
    const KernelReport &kernel = report.kernels[c.kernel];
    markers.push_back({c.kernel, c.best, x.map(*c.point->intensity),
                       y.map(*c.point->gflops),
                       truncateText(kernel.kernel, 28)});
  }
  for (const Marker &from : markers) {
    if (from.best)
      continue;
    for (const Marker &to : markers) {
      if (!to.best || to.kernel != from.kernel)
        continue;
      os << "<line class=\"shift\" data-kernel=\"" << from.kernel << "\" x1=\""
         << formatCoord(from.x) << "\" y1=\"" << formatCoord(from.y)
         << "\" x2=\"" << formatCoord(to.x) << "\" y2=\"" << formatCoord(to.y)
         << "\"/>\n";
    }
  }
  for (const Marker &marker : markers) {
    const KernelReport &kernel = report.kernels[marker.kernel];
    const RooflinePoint &point =
        marker.best ? static_cast<const RooflinePoint &>(*kernel.best)
                    : kernel.original;
    std::string tooltip =
        kernel.kernel +
        (marker.best ? " \xE2\x80\x94 best variant" : " \xE2\x80\x94 original");
    if (marker.best)
      tooltip += "\n" + kernel.best->genome + "\nspeedup " +
                 formatSpeedup(kernel.best->speedup);
    tooltip += "\n" + formatIntensity(point.intensity) + ", " +
               formatGflops(point.gflops) + ", " + formatTime(point.timeMs);
    std::string roof = rooflineSummary(point);
    if (!roof.empty())
      tooltip += "\n" + roof;
    const char *kind = marker.best ? "best" : "original";
    os << "<g class=\"point " << kind << "\" id=\"point-" << marker.kernel
       << "-" << kind << "\" data-kernel=\"" << marker.kernel
       << "\" transform=\"translate(" << formatCoord(marker.x) << " "
       << formatCoord(marker.y) << ")\"><title>" << escapeHTML(tooltip)
       << "</title>" << (marker.best ? BestShape : OriginalShape) << "</g>\n";
  }

  // Labels: best variants first, each where it covers the least.
  std::vector<Box> taken;
  for (const Marker &marker : markers)
    taken.push_back({marker.x - 8, marker.y - 8, marker.x + 8, marker.y + 8});
  Box labelArea{plot.left + 2, plot.top + 2, plot.right - 2, plot.bottom - 2};
  for (bool best : {true, false}) {
    for (const Marker &marker : markers) {
      if (marker.best != best)
        continue;
      size_t chars = 0;
      for (char c : marker.label)
        chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      PlacedLabel label = placeLabel(marker.x, marker.y, chars * LabelCharWidth,
                                     labelArea, taken);
      taken.push_back(label.box);
      os << "<text class=\"point-label " << (best ? "best" : "original")
         << "\" data-kernel=\"" << marker.kernel << "\" x=\""
         << formatCoord(label.x) << "\" y=\"" << formatCoord(label.y)
         << "\" text-anchor=\"" << label.anchor << "\">"
         << escapeHTML(marker.label) << "</text>\n";
    }
  }
  if (markers.empty())
    writeText(os, "empty", (plot.left + plot.right) / 2,
              (plot.top + plot.bottom) / 2, "middle",
              "No variant has a measured intensity and GFLOP/s");
  os << "</svg>\n";
}

namespace {

/// A key entry: `shape` drawn in a 24x20 swatch of class `key key-<kind>`.
/// The swatch's shapes carry no chart classes, so selectors such as
/// `.point.original` or `line.shift` find only the chart's own elements.
void writeLegendItem(raw_ostream &os, StringRef kind, StringRef shape,
                     StringRef text) {
  os << "<li><svg class=\"key key-" << kind
     << "\" viewBox=\"-12 -10 24 20\" width=\"24\" height=\"20\" "
        "aria-hidden=\"true\">"
     << shape << "</svg>" << text << "</li>\n";
}

constexpr const char *LegendLine =
    "<line x1=\"-11\" y1=\"0\" x2=\"11\" y2=\"0\"/>";

} // namespace

void cupilot::report::renderRooflineLegend(raw_ostream &os,
                                           const Report &report) {
  os << "<ul class=\"legend\">\n";
  writeLegendItem(os, "original", OriginalShape, "original kernel");
  writeLegendItem(os, "best", BestShape, "best variant");
  writeLegendItem(os, "shift", LegendLine, "original \xE2\x86\x92 best");
  writeLegendItem(os, "roof", LegendLine, "roofline (memory, f32 compute)");
  bool secondary = llvm::any_of(report.device.peakGflops, [](const auto &p) {
    return p.first != "f32" && positive(p.second);
  });
  if (secondary)
    writeLegendItem(os, "roof-secondary", LegendLine, "other precisions");
  os << "</ul>\n";
}

void cupilot::report::renderEvolutionLegend(raw_ostream &os,
                                            const KernelReport &kernel) {
  bool failedDots = llvm::any_of(kernel.evaluations, [](const auto &e) {
    return e.generation && e.speedup && e.verdict != "passed";
  });
  os << "<ul class=\"legend\">\n";
  writeLegendItem(os, "curve", std::string(LegendLine) + "<circle r=\"4.5\"/>",
                  "best speedup so far");
  writeLegendItem(os, "eval", "<circle r=\"3.5\"/>", "evaluated variant");
  if (failedDots)
    writeLegendItem(os, "eval-failed", "<circle r=\"3.5\"/>",
                    "variant that did not pass");
  writeLegendItem(os, "baseline", LegendLine, "original (1\xC3\x97)");
  os << "</ul>\n";
}

//===----------------------------------------------------------------------===//
// Evolution
//===----------------------------------------------------------------------===//

void cupilot::report::renderEvolutionChart(raw_ostream &os,
                                           const KernelReport &kernel,
                                           size_t index) {
  constexpr double Width = 960, Height = 280;
  const Box plot{64, 20, Width - 36, Height - 48};

  struct Dot {
    double generation, speedup;
    const EvaluationRecord *evaluation;
  };
  std::vector<Dot> dots;
  for (const EvaluationRecord &e : kernel.evaluations)
    if (e.generation && e.speedup && std::isfinite(*e.speedup))
      dots.push_back({double(*e.generation), *e.speedup, &e});
  std::vector<const GenerationRecord *> curve;
  for (const GenerationRecord &g : kernel.history)
    if (g.bestSpeedup && std::isfinite(*g.bestSpeedup))
      curve.push_back(&g);

  double genLo = 0, genHi = 1, speedLo = 1, speedHi = 1;
  bool any = false;
  auto extend = [&](double generation, double speedup) {
    genLo = std::min(genLo, generation);
    genHi = std::max(genHi, generation);
    speedLo = std::min(speedLo, speedup);
    speedHi = std::max(speedHi, speedup);
    any = true;
  };
  for (const GenerationRecord *g : curve)
    extend(double(g->generation), *g->bestSpeedup);
  for (const Dot &dot : dots)
    extend(dot.generation, dot.speedup);
  for (const GenerationRecord &g : kernel.history)
    genHi = std::max(genHi, double(g.generation));

  // Inset so that the first and last generation stay clear of the frame.
  LinearAxis gx = fitLinearAxis(genLo, genHi, 10, plot.left + 14,
                                plot.right - 14, /*integral=*/true);
  double pad = std::max(0.05, (speedHi - speedLo) * 0.08);
  double bottom = speedLo >= 0 ? std::max(0.0, speedLo - pad) : speedLo - pad;
  LinearAxis sy = fitLinearAxis(bottom, speedHi + pad, 5, plot.bottom, plot.top,
                                /*integral=*/false);

  writeSvgStart(os, "evolution-" + std::to_string(index), "chart evolution",
                Width, Height,
                "Best speedup per generation of " + kernel.kernel);
  os << "<rect class=\"plot-bg\" x=\"" << formatCoord(plot.left) << "\" y=\""
     << formatCoord(plot.top) << "\" width=\"" << formatCoord(plot.width())
     << "\" height=\"" << formatCoord(plot.height()) << "\"/>\n";

  os << "<g class=\"grid\">\n";
  for (double tick : sy.ticks())
    writeLine(os, "grid major", plot.left, sy.map(tick), plot.right,
              sy.map(tick));
  os << "</g>\n";

  // The original's speed, for reference.
  if (sy.lo <= 1 && 1 <= sy.hi)
    os << "<line class=\"baseline\" x1=\"" << formatCoord(plot.left)
       << "\" y1=\"" << formatCoord(sy.map(1)) << "\" x2=\""
       << formatCoord(plot.right) << "\" y2=\"" << formatCoord(sy.map(1))
       << "\"><title>The original kernel (1.00\xC3\x97)</title></line>\n";

  os << "<g class=\"axes\">\n";
  os << "<rect class=\"frame\" x=\"" << formatCoord(plot.left) << "\" y=\""
     << formatCoord(plot.top) << "\" width=\"" << formatCoord(plot.width())
     << "\" height=\"" << formatCoord(plot.height()) << "\"/>\n";
  for (double tick : gx.ticks()) {
    writeLine(os, "tick", gx.map(tick), plot.bottom, gx.map(tick),
              plot.bottom + 5);
    writeText(os, "tick-label x", gx.map(tick), plot.bottom + 19, "middle",
              gx.label(tick));
  }
  for (double tick : sy.ticks()) {
    writeLine(os, "tick", plot.left - 5, sy.map(tick), plot.left, sy.map(tick));
    writeText(os, "tick-label y", plot.left - 9, sy.map(tick) + 4, "end",
              sy.label(tick) + "\xC3\x97");
  }
  writeText(os, "axis-title x", (plot.left + plot.right) / 2, Height - 10,
            "middle", "Generation");
  os << "<text class=\"axis-title y\" transform=\"translate(16 "
     << formatCoord((plot.top + plot.bottom) / 2)
     << ") rotate(-90)\" text-anchor=\"middle\">Speedup</text>\n";
  os << "</g>\n";

  // Every evaluated variant that was timed.
  for (const Dot &dot : dots) {
    const EvaluationRecord &e = *dot.evaluation;
    bool passed = e.verdict == "passed";
    std::string tooltip = e.genome + "\n" + e.verdict;
    if (!e.reason.empty())
      tooltip += " (" + e.reason + ")";
    tooltip += ", " + formatSpeedup(e.speedup) + ", generation " +
               std::to_string(*e.generation);
    os << "<circle class=\"eval " << (passed ? "passed" : "failed")
       << "\" cx=\"" << formatCoord(gx.map(dot.generation)) << "\" cy=\""
       << formatCoord(sy.map(dot.speedup)) << "\" r=\"3.5\"><title>"
       << escapeHTML(tooltip) << "</title></circle>\n";
  }

  // The best speedup after each generation.
  if (!curve.empty()) {
    os << "<polyline class=\"curve\" points=\"";
    llvm::ListSeparator sep(" ");
    for (const GenerationRecord *g : curve)
      os << sep << formatCoord(gx.map(double(g->generation))) << ","
         << formatCoord(sy.map(*g->bestSpeedup));
    os << "\"/>\n";
    for (const GenerationRecord *g : curve) {
      std::string tooltip = "Generation " + std::to_string(g->generation) +
                            ": best " + formatSpeedup(g->bestSpeedup);
      if (g->evaluations)
        tooltip += ", " + std::to_string(*g->evaluations) + " evaluations";
      os << "<circle class=\"gen\" cx=\""
         << formatCoord(gx.map(double(g->generation))) << "\" cy=\""
         << formatCoord(sy.map(*g->bestSpeedup)) << "\" r=\"4.5\"><title>"
         << escapeHTML(tooltip) << "</title></circle>\n";
    }
    const GenerationRecord &last = *curve.back();
    writeText(os, "curve-label", gx.map(double(last.generation)) - 8,
              sy.map(*last.bestSpeedup) - 10, "end",
              formatSpeedup(last.bestSpeedup));
  }
  if (!any)
    writeText(os, "empty", (plot.left + plot.right) / 2,
              (plot.top + plot.bottom) / 2, "middle",
              "No generation has a measured speedup");
  os << "</svg>\n";
}
