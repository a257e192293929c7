//===- ReportHTMLTest.cpp - The evolution report's HTML page --------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Error.h"
#include "cupilot/Tuner/Report.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <set>

using namespace cupilot;
using ::testing::HasSubstr;
using ::testing::Not;
namespace json = llvm::json;

namespace {

/// Three kernels: one improved, one much improved, one without a best.
const char *SampleReport = R"json({
  "schema": "cupilot.report/v1",
  "source": "bench/kernels/mixed.cu",
  "device": {"name": "NVIDIA H100 80GB HBM3", "arch": "sm_90",
             "peakBandwidthGBs": 3350.0,
             "peakGflops": {"f32": 66900.0, "f64": 33500.0}},
  "kernels": [
    {"kernel": "vector_add", "fingerprint": "6b1b80fb", "task": "va.task.yaml",
     "shape": "n=16777216",
     "original": {"timeMs": 0.061, "gflops": 275.0, "bandwidthGBs": 3300.0,
                  "intensity": 0.0833, "rooflineClass": "memory",
                  "percentOfRoof": 98.5},
     "best": {"genome": "block-size-1d(x=512)+restrict-pointers",
              "timeMs": 0.058, "speedup": 1.05, "gflops": 290.0,
              "bandwidthGBs": 3450.0, "intensity": 0.0833,
              "rooflineClass": "memory", "percentOfRoof": 99.1,
              "plan": "plan: vector_add\n"},
     "history": [{"generation": 0, "evaluations": 2, "bestSpeedup": 1.0},
                 {"generation": 1, "evaluations": 2, "bestSpeedup": 1.05}],
     "evaluations": [
       {"genome": "coarsen(factor=4)", "verdict": "passed", "reason": "",
        "speedup": 1.02, "timeMs": 0.060, "generation": 0},
       {"genome": "vectorize(width=8)", "verdict": "compile-error",
        "reason": "no float8 type", "speedup": null, "timeMs": null,
        "generation": 0},
       {"genome": "block-size-1d(x=512)+restrict-pointers",
        "verdict": "passed", "reason": "", "speedup": 1.05, "timeMs": 0.058,
        "generation": 1}]},
    {"kernel": "sgemm", "original": {"timeMs": 21.5, "gflops": 799.0,
       "intensity": 2.9, "rooflineClass": "memory", "percentOfRoof": 8.2},
     "best": {"genome": "tile-to-shared(tile=32)", "timeMs": 0.92,
              "speedup": 23.4, "gflops": 18674.0, "intensity": 42.7,
              "rooflineClass": "compute", "percentOfRoof": 27.9},
     "history": [{"generation": 0, "bestSpeedup": 1.0},
                 {"generation": 1, "bestSpeedup": 23.4}],
     "evaluations": []},
    {"kernel": "reduce_sum", "original": {"timeMs": 0.095, "gflops": 705.7,
       "intensity": 0.25, "rooflineClass": "memory", "percentOfRoof": 84.3},
     "best": null,
     "history": [{"generation": 0, "evaluations": 1, "bestSpeedup": 1.0}],
     "evaluations": [{"genome": "warp-shuffle-reduction", "verdict": "failed",
                      "reason": "nondeterministic", "speedup": null}]}
  ]
})json";

json::Value parse(llvm::StringRef text) {
  llvm::Expected<json::Value> value = json::parse(text);
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return json::Value(nullptr);
  }
  return std::move(*value);
}

std::string render(const json::Value &report) {
  llvm::Expected<std::string> html = renderReportHTML(report);
  if (!html) {
    ADD_FAILURE() << llvm::toString(html.takeError());
    return "";
  }
  return std::move(*html);
}

/// The message and exit code of the error `report` renders to.
std::pair<std::string, ExitCode> renderError(const json::Value &report) {
  llvm::Expected<std::string> html = renderReportHTML(report);
  if (html) {
    ADD_FAILURE() << "expected an error";
    return {"", ExitCode::Success};
  }
  std::pair<std::string, ExitCode> result{"", ExitCode::InternalError};
  llvm::handleAllErrors(html.takeError(), [&](const CupilotError &e) {
    result = {e.getMessage(), e.getExitCode()};
  });
  return result;
}

size_t count(llvm::StringRef haystack, llvm::StringRef needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != llvm::StringRef::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

/// The (x, y) of `transform="translate(x y)"` on the element with `id`.
std::pair<double, double> translateOf(llvm::StringRef html,
                                      llvm::StringRef id) {
  size_t at = html.find(("id=\"" + id + "\"").str());
  EXPECT_NE(at, llvm::StringRef::npos) << id.str();
  if (at == llvm::StringRef::npos)
    return {NAN, NAN};
  llvm::StringRef tag = html.substr(at, html.find('>', at) - at);
  llvm::SmallVector<llvm::StringRef> m;
  EXPECT_TRUE(
      llvm::Regex("translate\\(([-0-9.]+) ([-0-9.]+)\\)").match(tag, &m))
      << tag.str();
  if (m.size() != 3)
    return {NAN, NAN};
  double x = 0, y = 0;
  EXPECT_FALSE(m[1].getAsDouble(x));
  EXPECT_FALSE(m[2].getAsDouble(y));
  return {x, y};
}

/// The path data `d` of the first element whose attributes contain `attrs`.
std::vector<double> pathNumbers(llvm::StringRef html, llvm::StringRef attrs) {
  std::vector<double> numbers;
  size_t at = html.find(attrs);
  EXPECT_NE(at, llvm::StringRef::npos) << attrs.str();
  if (at == llvm::StringRef::npos)
    return numbers;
  llvm::StringRef tag = html.substr(at, html.find('>', at) - at);
  llvm::StringRef d = tag.split(" d=\"").second.split('"').first;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::SplitString(d, parts, "ML ");
  for (llvm::StringRef part : parts) {
    double value = 0;
    EXPECT_FALSE(part.getAsDouble(value)) << part.str();
    numbers.push_back(value);
  }
  return numbers;
}

/// A report of kernels with one original point each at the given places.
json::Value pointsReport(llvm::ArrayRef<std::pair<double, double>> points) {
  json::Array kernels;
  for (auto [intensity, gflops] : points)
    kernels.push_back(
        json::Object{{"kernel", "k"},
                     {"original", json::Object{{"intensity", intensity},
                                               {"gflops", gflops}}},
                     {"best", nullptr},
                     {"history", json::Array{}},
                     {"evaluations", json::Array{}}});
  return json::Object{
      {"schema", ReportSchema},
      {"device", json::Object{{"name", "gpu"},
                              {"peakBandwidthGBs", 1000.0},
                              {"peakGflops", json::Object{{"f32", 20000.0}}}}},
      {"kernels", std::move(kernels)}};
}

} // namespace

TEST(ReportHTMLTest, HasSummaryRooflineAndEvolution) {
  std::string html = render(parse(SampleReport));
  EXPECT_TRUE(llvm::StringRef(html).starts_with("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<table class=\"summary\">"));
  EXPECT_EQ(count(html, "<tr data-kernel="), 3u);
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">61.0 \xC2\xB5s</td>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"gain\">23.40\xC3\x97</span>"));
  EXPECT_THAT(html, HasSubstr("original kept"));

  EXPECT_EQ(count(html, "<svg id=\"roofline\""), 1u);
  EXPECT_THAT(html, HasSubstr("viewBox=\"0 0 960 560\" width=\"960\""));
  // Numbers are written in fixed notation, never as 9.6e+02.
  EXPECT_FALSE(llvm::Regex("[0-9]e[-+][0-9]").match(html));
  EXPECT_EQ(count(html, "class=\"roof memory\""), 1u);
  EXPECT_THAT(html, HasSubstr("class=\"roof compute\" data-precision=\"f32\""));
  EXPECT_THAT(html, HasSubstr("class=\"roof compute secondary\" "
                              "data-precision=\"f64\""));
  // One marker per original; reduce_sum has no best.
  EXPECT_EQ(count(html, "<g class=\"point original\""), 3u);
  EXPECT_EQ(count(html, "<g class=\"point best\""), 2u);
  EXPECT_THAT(html, Not(HasSubstr("id=\"point-2-best\"")));
  EXPECT_EQ(count(html, "<line class=\"shift\" data-kernel="), 2u);
  EXPECT_EQ(count(html, "<text class=\"point-label"), 5u);
  EXPECT_THAT(html, HasSubstr("reduce_sum: no variant beat the original"));
  // Axis ticks with labels on both axes.
  EXPECT_GE(count(html, "class=\"tick-label x\""), 4u);
  EXPECT_GE(count(html, "class=\"tick-label y\""), 4u);
  EXPECT_THAT(html, HasSubstr("Arithmetic intensity (FLOP/byte)"));

  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(count(html, "<svg id=\"evolution-" + std::to_string(i) + "\""),
              1u);
  EXPECT_EQ(count(html, "<polyline class=\"curve\""), 3u);
  EXPECT_EQ(count(html, "<table class=\"evaluations\""), 2u); // sgemm: none
  EXPECT_THAT(html, HasSubstr("<span class=\"verdict bad\">compile-error"
                              "</span></td><td>no float8 type</td>"));
  EXPECT_EQ(count(html, "<tr class=\"best-row\">"), 1u);
  EXPECT_THAT(html, HasSubstr("<pre>plan: vector_add\n</pre>"));
}

TEST(ReportHTMLTest, IsSelfContained) {
  std::string html = render(parse(SampleReport));
  for (const char *forbidden :
       {"<script", "<link", "<img", "<iframe", "<object", "src=", "@import",
        "url(", "https:", "javascript:"})
    EXPECT_THAT(html, Not(HasSubstr(forbidden))) << forbidden;
  // The only URL is the SVG namespace.
  EXPECT_EQ(count(html, "http:"), count(html, "xmlns=\"http://www.w3.org/"));
}

TEST(ReportHTMLTest, EscapesEveryString) {
  json::Value report = parse(SampleReport);
  json::Object &root = *report.getAsObject();
  root["source"] = "a'b\"c<d>&e";
  json::Object &device = *root.getObject("device");
  device["name"] = "</title><script>alert(1)</script>";
  device.getObject("peakGflops")->try_emplace("f16\"><svg onload=x>", 1e5);
  json::Object &kernel = *(*root.getArray("kernels"))[0].getAsObject();
  kernel["kernel"] = "<script>alert(\"x\")</script>&";
  kernel["shape"] = "n=<b>1</b>";
  kernel["task"] = "<iframe>";
  kernel["fingerprint"] = "\"onmouseover=\"x";
  json::Object &best = *kernel.getObject("best");
  best["genome"] = "\"><img src=x onerror=alert(1)>+b";
  best["rooflineClass"] = "memory\" style=\"x";
  best["plan"] = "</pre><script>x</script>";
  json::Object &evaluation =
      *(*kernel.getArray("evaluations"))[1].getAsObject();
  evaluation["verdict"] = "<i>passed</i>";
  evaluation["reason"] = "x\x01y</td><td>";
  (*kernel.getArray("evaluations"))[0].getAsObject()->operator[]("genome") =
      "<style>*{display:none}</style>";

  std::string html = render(report);
  // Every tag in the page is one the renderer writes itself.
  static const std::set<std::string> allowed = {
      "html",   "head",    "meta",    "title",    "style",  "body", "header",
      "main",   "footer",  "section", "div",      "span",   "h1",   "h2",
      "h3",     "p",       "a",       "dl",       "dt",     "dd",   "ul",
      "li",     "table",   "thead",   "tbody",    "tr",     "th",   "td",
      "figure", "details", "summary", "pre",      "wbr",    "svg",  "g",
      "rect",   "line",    "path",    "polyline", "circle", "text"};
  llvm::StringRef rest = html;
  EXPECT_TRUE(rest.consume_front("<!DOCTYPE html>"));
  for (size_t at = rest.find('<'); at != llvm::StringRef::npos;
       at = rest.find('<', at + 1)) {
    llvm::StringRef tag = rest.substr(at + 1);
    tag.consume_front("/");
    tag = tag.take_while([](char c) { return llvm::isAlnum(c); });
    EXPECT_TRUE(allowed.count(tag.str()))
        << "unexpected <" << tag.str()
        << "> near: " << rest.substr(at >= 40 ? at - 40 : 0, 100).str();
  }
  EXPECT_EQ(count(html, "<style>"), 1u);
  EXPECT_EQ(count(html, "<title>"), count(html, "</title>"));

  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/"
                              "script&gt;&amp;"));
  EXPECT_THAT(html, HasSubstr("a&#39;b&quot;c&lt;d&gt;&amp;e"));
  EXPECT_THAT(html, HasSubstr("data-precision=\"f16&quot;&gt;&lt;svg "
                              "onload=x&gt;\""));
  EXPECT_THAT(html, HasSubstr("&quot;&gt;&lt;img src=x "
                              "onerror=alert(1)&gt;+<wbr>b"));
  EXPECT_THAT(html, HasSubstr("<pre>&lt;/pre&gt;&lt;script&gt;x&lt;/"
                              "script&gt;</pre>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"chip rc-other\">memory&quot; "
                              "style=&quot;x</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"verdict bad\">&lt;i&gt;passed"
                              "&lt;/i&gt;</span>"));
  // Control characters cannot reach the page.
  EXPECT_THAT(html, HasSubstr("x\xEF\xBF\xBDy&lt;/td&gt;"));
  EXPECT_EQ(html.find('\x01'), std::string::npos);
}

TEST(ReportHTMLTest, IsDeterministic) {
  std::string first = render(parse(SampleReport));
  EXPECT_EQ(first, render(parse(SampleReport)));
  // The same document with object keys in another order.
  std::string reordered = R"json({
    "kernels": [], "device": {"peakGflops": {"f64": 1.0, "f32": 2.0,
    "bf16": 3.0}, "peakBandwidthGBs": 4.0, "arch": "sm_90", "name": "g"},
    "schema": "cupilot.report/v1"})json";
  std::string ordered = R"json({
    "schema": "cupilot.report/v1", "device": {"name": "g", "arch": "sm_90",
    "peakBandwidthGBs": 4.0, "peakGflops": {"bf16": 3.0, "f32": 2.0,
    "f64": 1.0}}, "kernels": []})json";
  EXPECT_EQ(render(parse(reordered)), render(parse(ordered)));
}

TEST(ReportHTMLTest, RooflineAxesAreLogarithmic) {
  // Intensity 1 -> 2 -> 4 moves equally far to the right.
  std::string html = render(pointsReport({{1, 100}, {2, 100}, {4, 100}}));
  auto [x0, y0] = translateOf(html, "point-0-original");
  auto [x1, y1] = translateOf(html, "point-1-original");
  auto [x2, y2] = translateOf(html, "point-2-original");
  EXPECT_GT(x1 - x0, 10);
  EXPECT_NEAR(x1 - x0, x2 - x1, 0.02);
  EXPECT_EQ(y0, y1);
  EXPECT_EQ(y1, y2);

  // GFLOP/s 10 -> 100 -> 1000 moves equally far up.
  html = render(pointsReport({{1, 10}, {1, 100}, {1, 1000}}));
  std::tie(x0, y0) = translateOf(html, "point-0-original");
  std::tie(x1, y1) = translateOf(html, "point-1-original");
  std::tie(x2, y2) = translateOf(html, "point-2-original");
  EXPECT_LT(y1, y0 - 10);
  EXPECT_NEAR(y0 - y1, y1 - y2, 0.02);
  EXPECT_EQ(x0, x2);
}

TEST(ReportHTMLTest, RoofsMeetAtTheRidgePoint) {
  // Ridge: 20000 GFLOP/s / 1000 GB/s = 20 FLOP/B; a kernel exactly there.
  std::string html = render(pointsReport({{20, 20000}, {0.5, 100}}));
  std::vector<double> memory = pathNumbers(html, "class=\"roof memory\"");
  std::vector<double> compute =
      pathNumbers(html, "class=\"roof compute\" data-precision=\"f32\"");
  ASSERT_EQ(memory.size(), 4u);
  ASSERT_EQ(compute.size(), 4u);
  auto [x, y] = translateOf(html, "point-0-original");
  EXPECT_NEAR(memory[2], x, 0.011);
  EXPECT_NEAR(memory[3], y, 0.011);
  EXPECT_NEAR(compute[0], x, 0.011);
  EXPECT_NEAR(compute[1], y, 0.011);
  EXPECT_EQ(compute[1], compute[3]); // horizontal
  // 0.5 FLOP/B at 100 GFLOP/s lies below the memory roof (500 GFLOP/s there).
  auto [px, py] = translateOf(html, "point-1-original");
  double t = (px - memory[0]) / (memory[2] - memory[0]);
  double roofY = memory[1] + t * (memory[3] - memory[1]);
  EXPECT_GT(py, roofY + 1);
}

TEST(ReportHTMLTest, LeavesOutUnmeasuredPointsWithANote) {
  json::Value report = parse(SampleReport);
  json::Array &kernels = *report.getAsObject()->getArray("kernels");
  (*kernels[0].getAsObject()->getObject("best"))["intensity"] = nullptr;
  kernels[1].getAsObject()->getObject("original")->erase("gflops");
  (*kernels[2].getAsObject()->getObject("original"))["intensity"] = -1.0;
  std::string html = render(report);
  EXPECT_EQ(count(html, "<g class=\"point original\""), 1u);
  EXPECT_THAT(html, HasSubstr("id=\"point-0-original\""));
  EXPECT_EQ(count(html, "<g class=\"point best\""), 1u);
  EXPECT_THAT(html, HasSubstr("id=\"point-1-best\""));
  EXPECT_THAT(html, HasSubstr("<li>vector_add: best variant not plotted "
                              "(intensity not measured).</li>"));
  EXPECT_THAT(html, HasSubstr("<li>sgemm: original not plotted (GFLOP/s not "
                              "measured).</li>"));
  EXPECT_THAT(html, HasSubstr("<li>reduce_sum: original not plotted "
                              "(intensity is not positive).</li>"));
  EXPECT_EQ(count(html, "<line class=\"shift\" data-kernel="), 0u);
}

TEST(ReportHTMLTest, HandlesMissingRoofsAndEmptyHistory) {
  json::Value report = pointsReport({{1, 100}});
  json::Object &device = *report.getAsObject()->getObject("device");
  device["peakBandwidthGBs"] = nullptr;
  device["peakGflops"] = json::Object{};
  std::string html = render(report);
  EXPECT_THAT(html, Not(HasSubstr("class=\"roof ")));
  EXPECT_THAT(html, HasSubstr("no measured peak bandwidth"));
  EXPECT_THAT(html, HasSubstr("no f32 peak"));
  EXPECT_THAT(html, HasSubstr("<svg id=\"evolution-0\""));
  EXPECT_THAT(html, Not(HasSubstr("<polyline")));
  EXPECT_THAT(html, HasSubstr("No generation has a measured speedup"));

  // No kernels at all still renders a page.
  html = render(pointsReport({}));
  EXPECT_THAT(html, HasSubstr("The report has no kernels."));
  EXPECT_THAT(html, HasSubstr("<svg id=\"roofline\""));
}

TEST(ReportHTMLTest, ValidationErrorsNameTheJSONPath) {
  struct Case {
    const char *description;
    std::function<void(json::Object &)> mutate;
    const char *message;
  };
  auto kernel = [](json::Object &root, size_t i) -> json::Object & {
    return *(*root.getArray("kernels"))[i].getAsObject();
  };
  std::vector<Case> cases = {
      {"no schema", [](json::Object &r) { r.erase("schema"); },
       "report field 'schema' is missing (expected a string)"},
      {"other schema", [](json::Object &r) { r["schema"] = "v0"; },
       "report field 'schema' is \"v0\" (expected \"cupilot.report/v1\")"},
      {"device name",
       [](json::Object &r) { (*r.getObject("device"))["name"] = 3; },
       "report field 'device.name' is a number (expected a string)"},
      {"peak",
       [](json::Object &r) {
         (*r.getObject("device")->getObject("peakGflops"))["f32"] = "fast";
       },
       "report field 'device.peakGflops.f32' is a string (expected a "
       "number or null)"},
      {"kernels", [](json::Object &r) { r["kernels"] = json::Object{}; },
       "report field 'kernels' is an object (expected an array)"},
      {"kernel element",
       [](json::Object &r) { (*r.getArray("kernels"))[1] = "sgemm"; },
       "report field 'kernels[1]' is a string (expected an object)"},
      {"original", [&](json::Object &r) { kernel(r, 1).erase("original"); },
       "report field 'kernels[1].original' is missing (expected an object)"},
      {"best", [&](json::Object &r) { kernel(r, 2).erase("best"); },
       "report field 'kernels[2].best' is missing (expected an object or "
       "null)"},
      {"genome",
       [&](json::Object &r) {
         kernel(r, 0).getObject("best")->erase("genome");
       },
       "report field 'kernels[0].best.genome' is missing (expected a "
       "string)"},
      {"time",
       [&](json::Object &r) {
         (*kernel(r, 0).getObject("original"))["timeMs"] = "0.06";
       },
       "report field 'kernels[0].original.timeMs' is a string (expected a "
       "number or null)"},
      {"generation",
       [&](json::Object &r) {
         (*(*kernel(r, 1).getArray("history"))[1].getAsObject())["generation"] =
             1.5;
       },
       "report field 'kernels[1].history[1].generation' is not an "
       "integer"},
      {"generation missing",
       [&](json::Object &r) {
         (*kernel(r, 1).getArray("history"))[0].getAsObject()->erase(
             "generation");
       },
       "report field 'kernels[1].history[0].generation' is missing"},
      {"verdict",
       [&](json::Object &r) {
         (*(*kernel(r, 0).getArray("evaluations"))[2]
               .getAsObject())["verdict"] = true;
       },
       "report field 'kernels[0].evaluations[2].verdict' is a boolean "
       "(expected a string)"},
      {"evaluations",
       [&](json::Object &r) { kernel(r, 2).erase("evaluations"); },
       "report field 'kernels[2].evaluations' is missing (expected an "
       "array)"},
  };
  for (const Case &c : cases) {
    json::Value report = parse(SampleReport);
    c.mutate(*report.getAsObject());
    auto [message, code] = renderError(report);
    EXPECT_THAT(message, HasSubstr(c.message)) << c.description;
    EXPECT_EQ(code, ExitCode::InputError) << c.description;
  }
  auto [message, code] = renderError(json::Array{});
  EXPECT_THAT(message, HasSubstr("report is an array (expected a JSON object"));
  EXPECT_EQ(code, ExitCode::InputError);
}

TEST(ReportHTMLTest, AcceptsNullAndAbsentMeasurements) {
  json::Value report = parse(SampleReport);
  json::Object &kernel =
      *(*report.getAsObject()->getArray("kernels"))[0].getAsObject();
  *kernel.getObject("original") = json::Object{};
  (*kernel.getObject("best"))["speedup"] = nullptr;
  (*kernel.getObject("best"))["timeMs"] = nullptr;
  std::string html = render(report);
  EXPECT_THAT(html, HasSubstr("<span class=\"na\">\xE2\x80\x94</span>"));
  EXPECT_THAT(html, HasSubstr("vector_add: original not plotted (intensity "
                              "and GFLOP/s not measured)."));
}
