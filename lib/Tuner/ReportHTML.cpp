//===- ReportHTML.cpp - The evolution report as one HTML page -------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// One self-contained page: inline CSS and SVG, no scripts, no fonts or images
// from elsewhere, so it can be mailed, attached to CI runs or opened offline.
// Every string from the report is escaped (escapeHTML); classes and ids are
// built from indices and fixed words only.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/Report.h"

#include "ReportCharts.h"
#include "ReportData.h"
#include "ReportFormat.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace cupilot;
using namespace cupilot::report;
using llvm::raw_ostream;
using llvm::StringRef;

namespace {

constexpr const char *StyleSheet = R"css(
:root {
  --ink: #1f2933; --muted: #616e7c; --faint: #9aa5b1; --line: #dde3ea;
  --page: #f4f6f8; --panel: #ffffff; --accent: #1c64c8; --orig: #d9480f;
  --ok: #2b8a3e; --bad: #c92a2a; --warn: #b35c00; --roof: #334e68;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
    "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
code, .mono, .genome { font-family: ui-monospace, SFMono-Regular, Menlo,
  Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  font-size: 12.5px; }
header.page { background: #102a43; color: #f0f4f8; }
header.page .inner, main, footer { max-width: 1080px; margin: 0 auto;
  padding-left: 28px; padding-right: 28px; }
header.page .inner { padding-top: 22px; padding-bottom: 20px; }
header.page h1 { margin: 0; font-size: 22px; font-weight: 600;
  letter-spacing: -0.01em; }
header.page h1 .brand { color: #9fb3c8; font-weight: 500; }
header.page .source { margin: 2px 0 14px; color: #bcccdc; }
dl.device { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; }
dl.device div { min-width: 0; }
dl.device dt { font-size: 11px; text-transform: uppercase;
  letter-spacing: 0.06em; color: #9fb3c8; }
dl.device dd { margin: 0; font-size: 15px; font-weight: 500;
  font-variant-numeric: tabular-nums; }
main { padding-top: 24px; padding-bottom: 8px; }
section.panel { background: var(--panel); border: 1px solid var(--line);
  border-radius: 10px; padding: 18px 22px 20px; margin-bottom: 22px;
  box-shadow: 0 1px 2px rgba(16, 42, 67, 0.05); }
h2 { font-size: 17px; font-weight: 600; margin: 0 0 12px; }
h2 .index { color: var(--faint); font-weight: 500; margin-right: 6px; }
h3 { font-size: 13px; font-weight: 600; color: var(--muted); margin: 18px 0 6px;
  text-transform: uppercase; letter-spacing: 0.05em; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%;
  font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11.5px;
  text-transform: uppercase; letter-spacing: 0.04em; padding: 6px 10px;
  border-bottom: 2px solid var(--line); white-space: nowrap;
  background: var(--panel); }
td { padding: 7px 10px; border-bottom: 1px solid #edf1f5;
  vertical-align: baseline; }
tbody tr:last-child td { border-bottom: none; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.genome, td.kernel { overflow-wrap: anywhere; }
td.kernel { min-width: 8em; }
.table-wrap { overflow-x: auto; }
tr.best-row td { background: #eef5ff; }
.na { color: var(--faint); }
.gain { color: var(--ok); font-weight: 600; }
.loss { color: var(--bad); }
.kept { color: var(--muted); font-style: italic; }
.chip { display: inline-block; padding: 0 7px; border-radius: 9px;
  font-size: 11.5px; font-weight: 600; line-height: 18px;
  background: #e4e7eb; color: #3e4c59; }
.chip.rc-memory { background: #e3f0ff; color: #1c4f8c; }
.chip.rc-compute { background: #fff0e0; color: #8a4100; }
.chip.rc-latency { background: #f3e8fd; color: #6a2c91; }
.roofpos { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.bar { display: inline-block; width: 46px; height: 6px; border-radius: 3px;
  background: #e4e7eb; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--accent); }
.verdict { display: inline-block; padding: 0 7px; border-radius: 9px;
  font-size: 11.5px; font-weight: 600; line-height: 18px; white-space: nowrap; }
.verdict.ok { background: #e3f6e8; color: var(--ok); }
.verdict.bad { background: #fde8e8; color: var(--bad); }
.verdict.warn { background: #fff3df; color: var(--warn); }
figure { margin: 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font-size: 11px; fill: #52606d; }
.plot-bg { fill: #ffffff; }
.grid line.major { stroke: #e1e7ef; stroke-width: 1; }
.grid line.minor { stroke: #f2f5f8; stroke-width: 1; }
.frame { fill: none; stroke: #9aa5b1; stroke-width: 1; }
.tick { stroke: #9aa5b1; }
.axis-title { font-size: 12px; font-weight: 600; fill: #3e4c59; }
.roof-area { fill: #f1f5fa; }
.roof, .key-roof line { fill: none; stroke: var(--roof); stroke-width: 2.5;
  stroke-linecap: round; }
.roof.secondary, .key-roof-secondary line { stroke: #9fb3c8;
  stroke-width: 1.5; stroke-dasharray: 6 4; }
.roof-label { font-size: 11.5px; font-weight: 600; fill: var(--roof); }
.roof-label.secondary { font-weight: 500; fill: #829ab1; }
.ridge { stroke: #9fb3c8; stroke-width: 1; stroke-dasharray: 2 3; }
.point.original circle, .key-original circle { fill: #fff; stroke: var(--orig);
  stroke-width: 2.5; }
.point.best path, .key-best path { fill: var(--accent); stroke: #fff;
  stroke-width: 1.5; }
.shift, .key-shift line { stroke: #829ab1; stroke-width: 1.5;
  stroke-dasharray: 4 3; }
.point-label { font-size: 11.5px; font-weight: 600; }
.point-label.best { fill: var(--accent); }
.point-label.original { fill: var(--orig); }
.empty { font-size: 13px; fill: var(--faint); }
.curve, .key-curve line { fill: none; stroke: var(--accent); stroke-width: 2.5;
  stroke-linejoin: round; stroke-linecap: round; }
.gen, .key-curve circle { fill: var(--accent); stroke: #fff;
  stroke-width: 1.5; }
.curve-label { font-size: 12px; font-weight: 700; fill: var(--accent); }
.eval, .key-eval circle { fill: #9aa5b1; fill-opacity: 0.55; }
.eval.failed, .key-eval-failed circle { fill: var(--bad);
  fill-opacity: 0.5; }
.baseline, .key-baseline line { stroke: var(--orig); stroke-width: 1.5;
  stroke-dasharray: 5 4; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 22px;
  margin: 0 0 8px; padding: 0; color: var(--muted); font-size: 12.5px; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
ul.legend svg { overflow: visible; }
.notes { margin: 10px 0 0; padding: 0 0 0 18px; color: var(--muted);
  font-size: 12.5px; }
dl.meta { display: flex; flex-wrap: wrap; gap: 2px 24px; margin: -4px 0 12px;
  color: var(--muted); font-size: 12.5px; }
dl.meta div { display: flex; gap: 6px; min-width: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
  gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px;
  background: #fafbfc; min-width: 0; }
.card .label { font-size: 11px; text-transform: uppercase;
  letter-spacing: 0.05em; color: var(--muted); }
.card .value { font-size: 18px; font-weight: 600;
  font-variant-numeric: tabular-nums; }
.card .sub { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.card.wide { grid-column: span 4; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--accent); font-size: 13px; }
pre { background: #f5f7fa; border: 1px solid var(--line); border-radius: 6px;
  padding: 10px 12px; overflow: auto; font-size: 12px; margin: 6px 0 0; }
.scroll { max-height: 440px; overflow: auto; border: 1px solid #edf1f5;
  border-radius: 6px; }
.scroll th { position: sticky; top: 0; }
footer { color: var(--faint); font-size: 12px; padding-bottom: 28px; }
@media print {
  body { background: #fff; }
  section.panel { box-shadow: none; break-inside: avoid; }
  .scroll { max-height: none; overflow: visible; }
}
)css";

/// A genome with a line-break opportunity after each '+'.
std::string genomeHTML(StringRef genome) {
  std::string out;
  llvm::SmallVector<StringRef> genes;
  genome.split(genes, '+');
  for (auto [index, gene] : llvm::enumerate(genes)) {
    if (index)
      out += "+<wbr>";
    out += escapeHTML(gene);
  }
  return out;
}

std::string naHTML() {
  return std::string("<span class=\"na\">") + NotMeasured + "</span>";
}

/// Formatted value, or the muted "not measured" dash.
std::string valueHTML(std::optional<double> value,
                      std::string (*format)(std::optional<double>)) {
  return value ? escapeHTML(format(value)) : naHTML();
}

std::string speedupHTML(std::optional<double> speedup) {
  if (!speedup)
    return naHTML();
  // Colour by the value shown, so 0.998 and 1.004 (both "1.00x") agree.
  double shown = std::round(*speedup * 100);
  const char *cls = shown > 100 ? "gain" : shown < 100 ? "loss" : "";
  return std::string("<span class=\"") + cls + "\">" +
         escapeHTML(formatSpeedup(speedup)) + "</span>";
}

StringRef verdictClass(StringRef verdict) {
  if (verdict == "passed")
    return "ok";
  if (verdict == "timeout")
    return "warn";
  return "bad";
}

/// The roofline class as a chip, with the percent of the roof as a bar.
std::string rooflineHTML(const RooflinePoint &point) {
  std::string out = "<div class=\"roofpos\">";
  if (point.rooflineClass) {
    StringRef cls = *point.rooflineClass;
    StringRef known =
        cls == "memory" || cls == "compute" || cls == "latency" ? cls : "other";
    out += "<span class=\"chip rc-" + known.str() + "\">" + escapeHTML(cls) +
           "</span>";
  }
  if (point.percentOfRoof) {
    double width = std::clamp(*point.percentOfRoof, 0.0, 100.0);
    out += "<span class=\"bar\"><span style=\"width:" + formatFixed(width, 1) +
           "%\"></span></span><span>" +
           escapeHTML(formatPercent(point.percentOfRoof)) + "</span>";
  }
  if (!point.rooflineClass && !point.percentOfRoof)
    out += naHTML();
  return out + "</div>";
}

void renderHeader(raw_ostream &os, const Report &report) {
  const DeviceReport &device = report.device;
  os << "<header class=\"page\"><div class=\"inner\">\n";
  os << "<h1><span class=\"brand\">cupilot</span> evolution report</h1>\n";
  os << "<p class=\"source mono\">"
     << (report.source.empty() ? "(source not recorded)"
                               : escapeHTML(report.source))
     << "</p>\n";
  os << "<dl class=\"device\">\n";
  auto item = [&](StringRef term, const std::string &value) {
    os << "<div><dt>" << term << "</dt><dd>" << escapeHTML(value)
       << "</dd></div>\n";
  };
  item("Device", device.name);
  if (!device.arch.empty())
    item("Architecture", device.arch);
  item("Peak bandwidth", formatBandwidth(device.peakBandwidthGBs));
  // f32 (the compute roof) first, then the other precisions by name.
  for (bool f32First : {true, false})
    for (const auto &[precision, gflops] : device.peakGflops)
      if ((precision == "f32") == f32First)
        item("Peak " + precision, formatGflops(gflops));
  std::optional<double> f32 = device.peakGflopsF32();
  if (f32 && device.peakBandwidthGBs && *device.peakBandwidthGBs > 0)
    item("Ridge point", formatIntensity(*f32 / *device.peakBandwidthGBs));
  size_t evaluations = 0;
  for (const KernelReport &kernel : report.kernels)
    evaluations += kernel.evaluations.size();
  item("Kernels", std::to_string(report.kernels.size()));
  item("Evaluations", std::to_string(evaluations));
  os << "</dl>\n</div></header>\n";
}

void renderSummary(raw_ostream &os, const Report &report) {
  os << "<section class=\"panel\" id=\"summary\">\n<h2>Summary</h2>\n";
  if (report.kernels.empty()) {
    os << "<p class=\"na\">The report has no kernels.</p>\n</section>\n";
    return;
  }
  os << "<div class=\"table-wrap\"><table "
        "class=\"summary\">\n<thead><tr><th>Kernel</th>"
        "<th class=\"num\">Original</th><th class=\"num\">Best</th>"
        "<th class=\"num\">Speedup</th><th>Best genome</th>"
        "<th>Original on roofline</th><th>Best on roofline</th>"
        "</tr></thead>\n<tbody>\n";
  for (auto [index, kernel] : llvm::enumerate(report.kernels)) {
    os << "<tr data-kernel=\"" << index
       << "\"><td class=\"kernel\"><a href=\"#kernel-" << index << "\">"
       << escapeHTML(kernel.kernel) << "</a>";
    if (!kernel.shape.empty())
      os << "<div class=\"na mono\">" << escapeHTML(kernel.shape) << "</div>";
    os << "</td><td class=\"num\">"
       << valueHTML(kernel.original.timeMs, formatTime) << "</td>";
    if (kernel.best) {
      const BestVariant &best = *kernel.best;
      os << "<td class=\"num\">" << valueHTML(best.timeMs, formatTime)
         << "</td><td class=\"num\">" << speedupHTML(best.speedup)
         << "</td><td class=\"genome mono\">" << genomeHTML(best.genome)
         << "</td><td>" << rooflineHTML(kernel.original) << "</td><td>"
         << rooflineHTML(best) << "</td>";
    } else {
      os << "<td class=\"num\">" << naHTML() << "</td><td class=\"num\">"
         << naHTML() << "</td><td class=\"kept\">original kept</td><td>"
         << rooflineHTML(kernel.original) << "</td><td>" << naHTML() << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</tbody>\n</table></div>\n</section>\n";
}

void renderRoofline(raw_ostream &os, const Report &report) {
  os << "<section class=\"panel\" id=\"roofline-panel\">\n<h2>Roofline: "
     << escapeHTML(report.device.name) << "</h2>\n";
  renderRooflineLegend(os, report);
  std::vector<std::string> notes;
  os << "<figure>\n";
  renderRooflineChart(os, report, notes);
  os << "</figure>\n";
  if (!notes.empty()) {
    os << "<ul class=\"notes\">\n";
    for (const std::string &note : notes)
      os << "<li>" << escapeHTML(note) << "</li>\n";
    os << "</ul>\n";
  }
  os << "</section>\n";
}

void renderCard(raw_ostream &os, StringRef label, const std::string &valueHTML,
                const std::string &subHTML, bool wide = false) {
  os << "<div class=\"card" << (wide ? " wide" : "")
     << "\"><div class=\"label\">" << label << "</div><div class=\"value\">"
     << valueHTML << "</div>";
  if (!subHTML.empty())
    os << "<div class=\"sub\">" << subHTML << "</div>";
  os << "</div>\n";
}

std::string pointSubtitle(const RooflinePoint &point) {
  std::string text = formatGflops(point.gflops) + " \xC2\xB7 " +
                     formatBandwidth(point.bandwidthGBs) + " \xC2\xB7 " +
                     formatIntensity(point.intensity);
  return escapeHTML(text);
}

void renderKernel(raw_ostream &os, const KernelReport &kernel, size_t index) {
  os << "<section class=\"panel kernel\" id=\"kernel-" << index
     << "\">\n<h2><span class=\"index\">#" << index + 1 << "</span>"
     << escapeHTML(kernel.kernel) << "</h2>\n";

  os << "<dl class=\"meta\">\n";
  auto meta = [&](StringRef term, const std::string &value, bool mono) {
    if (value.empty())
      return;
    os << "<div><dt>" << term << "</dt><dd" << (mono ? " class=\"mono\"" : "")
       << ">" << escapeHTML(value) << "</dd></div>\n";
  };
  meta("Task", kernel.task, true);
  meta("Shape", kernel.shape, true);
  meta("Fingerprint", kernel.fingerprint, true);
  os << "</dl>\n";

  os << "<div class=\"cards\">\n";
  renderCard(os, "Original", valueHTML(kernel.original.timeMs, formatTime),
             pointSubtitle(kernel.original));
  if (kernel.best) {
    const BestVariant &best = *kernel.best;
    renderCard(os, "Best", valueHTML(best.timeMs, formatTime),
               pointSubtitle(best));
    renderCard(os, "Speedup", speedupHTML(best.speedup), "");
    renderCard(os, "Roofline", rooflineHTML(best),
               "original: " + rooflineHTML(kernel.original));
    renderCard(os, "Best genome",
               "<span class=\"genome\">" + genomeHTML(best.genome) + "</span>",
               "", /*wide=*/true);
  } else {
    renderCard(os, "Best", naHTML(),
               "<span class=\"kept\">no variant was faster</span>");
    renderCard(os, "Speedup", naHTML(), "");
    renderCard(os, "Roofline", rooflineHTML(kernel.original), "original");
  }
  os << "</div>\n";
  if (kernel.best && !kernel.best->plan.empty())
    os << "<details class=\"plan\"><summary>Rewrite plan of the best "
          "variant</summary><pre>"
       << escapeHTML(kernel.best->plan) << "</pre></details>\n";

  os << "<h3>Evolution</h3>\n";
  renderEvolutionLegend(os, kernel);
  os << "<figure>\n";
  renderEvolutionChart(os, kernel, index);
  os << "</figure>\n";

  os << "<h3>Evaluations (" << kernel.evaluations.size() << ")</h3>\n";
  if (kernel.evaluations.empty()) {
    os << "<p class=\"na\">No variant was evaluated.</p>\n</section>\n";
    return;
  }
  os << "<div class=\"scroll\"><table class=\"evaluations\" id=\"evaluations-"
     << index
     << "\">\n<thead><tr><th class=\"num\">Gen.</th><th>Genome</th>"
        "<th>Verdict</th><th>Reason</th><th class=\"num\">Time</th>"
        "<th class=\"num\">Speedup</th></tr></thead>\n<tbody>\n";
  for (const EvaluationRecord &e : kernel.evaluations) {
    bool isBest =
        kernel.best && e.verdict == "passed" && e.genome == kernel.best->genome;
    os << "<tr" << (isBest ? " class=\"best-row\"" : "")
       << "><td class=\"num\">"
       << (e.generation ? std::to_string(*e.generation) : naHTML())
       << "</td><td class=\"genome mono\">" << genomeHTML(e.genome)
       << "</td><td><span class=\"verdict " << verdictClass(e.verdict) << "\">"
       << escapeHTML(e.verdict) << "</span></td><td>" << escapeHTML(e.reason)
       << "</td><td class=\"num\">" << valueHTML(e.timeMs, formatTime)
       << "</td><td class=\"num\">" << speedupHTML(e.speedup) << "</td></tr>\n";
  }
  os << "</tbody>\n</table></div>\n</section>\n";
}

} // namespace

llvm::Expected<std::string>
cupilot::renderReportHTML(const llvm::json::Value &value) {
  llvm::Expected<Report> parsed = parseReport(value);
  if (!parsed)
    return parsed.takeError();
  const Report &report = *parsed;

  std::string page;
  llvm::raw_string_ostream os(page);
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n<meta name=\"generator\" content=\"cupilot ("
     << ReportSchema << ")\">\n<title>"
     << escapeHTML("cupilot report" + (report.source.empty()
                                           ? std::string()
                                           : " \xE2\x80\x94 " + report.source))
     << "</title>\n<style>" << StyleSheet << "</style>\n</head>\n<body>\n";
  renderHeader(os, report);
  os << "<main>\n";
  renderSummary(os, report);
  renderRoofline(os, report);
  for (auto [index, kernel] : llvm::enumerate(report.kernels))
    renderKernel(os, kernel, index);
  os << "</main>\n<footer>Rendered by cupilot from a " << ReportSchema
     << " report. Hover over markers and points for details.</footer>\n"
        "</body>\n</html>\n";
  return page;
}
