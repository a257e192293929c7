//===- ReportData.cpp - Reading and validating report JSON ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "ReportData.h"

#include "cupilot/Support/Error.h"
#include "cupilot/Tuner/Report.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

using namespace cupilot;
using namespace cupilot::report;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
namespace json = llvm::json;

std::optional<double> DeviceReport::peakGflopsF32() const {
  for (const auto &[precision, gflops] : peakGflops)
    if (precision == "f32")
      return gflops;
  return std::nullopt;
}

namespace {

const char *describe(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return "a boolean";
  case json::Value::Number:
    return "a number";
  case json::Value::String:
    return "a string";
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  return "a value";
}

std::string fieldPath(StringRef parent, StringRef key) {
  return parent.empty() ? key.str() : (parent + "." + key).str();
}

std::string indexPath(StringRef parent, size_t index) {
  return (parent + "[" + llvm::Twine(index) + "]").str();
}

Error missing(StringRef path, StringRef expected) {
  return makeError(ExitCode::InputError,
                   "report field '{0}' is missing (expected {1})", path,
                   expected);
}

Error wrongType(StringRef path, const json::Value &value, StringRef expected) {
  return makeError(ExitCode::InputError,
                   "report field '{0}' is {1} (expected {2})", path,
                   describe(value), expected);
}

/// Reads the fields of one JSON object; every error names the field's path.
/// Fields not read are ignored, so newer writers stay readable.
class ObjectReader {
public:
  ObjectReader(const json::Object &object, std::string path)
      : object(object), path(std::move(path)) {}

  const std::string &getPath() const { return path; }
  std::string pathOf(StringRef key) const { return fieldPath(path, key); }

  Error requiredString(StringRef key, std::string &out) const {
    const json::Value *value = object.get(key);
    if (!value)
      return missing(pathOf(key), "a string");
    return readString(key, *value, out);
  }

  Error optionalString(StringRef key, std::string &out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind() == json::Value::Null)
      return Error::success();
    return readString(key, *value, out);
  }

  Error nullableString(StringRef key, std::optional<std::string> &out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind() == json::Value::Null)
      return Error::success();
    out.emplace();
    return readString(key, *value, *out);
  }

  /// A measurement: a number, or null / absent when not measured.
  Error number(StringRef key, std::optional<double> &out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind() == json::Value::Null)
      return Error::success();
    std::optional<double> number = value->getAsNumber();
    if (!number)
      return wrongType(pathOf(key), *value, "a number or null");
    out = *number;
    return Error::success();
  }

  Error integer(StringRef key, std::optional<int64_t> &out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind() == json::Value::Null)
      return Error::success();
    std::optional<int64_t> number = value->getAsInteger();
    if (!number)
      return value->kind() == json::Value::Number
                 ? makeError(ExitCode::InputError,
                             "report field '{0}' is not an integer",
                             pathOf(key))
                 : wrongType(pathOf(key), *value, "an integer or null");
    out = *number;
    return Error::success();
  }

  Error requiredInteger(StringRef key, int64_t &out) const {
    const json::Value *value = object.get(key);
    if (!value)
      return missing(pathOf(key), "an integer");
    if (value->kind() == json::Value::Null)
      return wrongType(pathOf(key), *value, "an integer");
    std::optional<int64_t> number;
    if (Error err = integer(key, number))
      return err;
    out = *number;
    return Error::success();
  }

  /// A required object; `nullable` accepts an explicit null (returns null).
  Expected<const json::Object *> objectField(StringRef key,
                                             bool nullable) const {
    const json::Value *value = object.get(key);
    StringRef expected = nullable ? "an object or null" : "an object";
    if (!value)
      return missing(pathOf(key), expected);
    if (nullable && value->kind() == json::Value::Null)
      return nullptr;
    if (const json::Object *result = value->getAsObject())
      return result;
    return wrongType(pathOf(key), *value, expected);
  }

  Expected<const json::Array *> arrayField(StringRef key) const {
    const json::Value *value = object.get(key);
    if (!value)
      return missing(pathOf(key), "an array");
    if (const json::Array *result = value->getAsArray())
      return result;
    return wrongType(pathOf(key), *value, "an array");
  }

private:
  Error readString(StringRef key, const json::Value &value,
                   std::string &out) const {
    std::optional<StringRef> text = value.getAsString();
    if (!text)
      return wrongType(pathOf(key), value, "a string");
    out = text->str();
    return Error::success();
  }

  const json::Object &object;
  std::string path;
};

/// Calls `read(reader, index)` for each element of `array`, which must all be
/// objects.
template <typename ReadFn>
Error forEachObject(const json::Array &array, StringRef path, ReadFn read) {
  for (auto [index, element] : llvm::enumerate(array)) {
    std::string elementPath = indexPath(path, index);
    const json::Object *object = element.getAsObject();
    if (!object)
      return wrongType(elementPath, element, "an object");
    if (Error err = read(ObjectReader(*object, elementPath)))
      return err;
  }
  return Error::success();
}

Error readPoint(const ObjectReader &in, RooflinePoint &out) {
  if (Error err = in.number("timeMs", out.timeMs))
    return err;
  if (Error err = in.number("gflops", out.gflops))
    return err;
  if (Error err = in.number("bandwidthGBs", out.bandwidthGBs))
    return err;
  if (Error err = in.number("intensity", out.intensity))
    return err;
  if (Error err = in.nullableString("rooflineClass", out.rooflineClass))
    return err;
  return in.number("percentOfRoof", out.percentOfRoof);
}

Error readDevice(const ObjectReader &in, DeviceReport &out) {
  if (Error err = in.requiredString("name", out.name))
    return err;
  if (Error err = in.optionalString("arch", out.arch))
    return err;
  if (Error err = in.number("peakBandwidthGBs", out.peakBandwidthGBs))
    return err;
  Expected<const json::Object *> peaks = in.objectField("peakGflops", false);
  if (!peaks)
    return peaks.takeError();
  ObjectReader peakReader(**peaks, in.pathOf("peakGflops"));
  std::vector<std::string> precisions;
  for (const auto &entry : **peaks)
    precisions.push_back(entry.first.str());
  llvm::sort(precisions);
  for (const std::string &precision : precisions) {
    std::optional<double> gflops;
    if (Error err = peakReader.number(precision, gflops))
      return err;
    out.peakGflops.emplace_back(precision, gflops);
  }
  return Error::success();
}

Error readKernel(const ObjectReader &in, KernelReport &out) {
  if (Error err = in.requiredString("kernel", out.kernel))
    return err;
  if (Error err = in.optionalString("fingerprint", out.fingerprint))
    return err;
  if (Error err = in.optionalString("task", out.task))
    return err;
  if (Error err = in.optionalString("shape", out.shape))
    return err;

  Expected<const json::Object *> original = in.objectField("original", false);
  if (!original)
    return original.takeError();
  if (Error err = readPoint(ObjectReader(**original, in.pathOf("original")),
                            out.original))
    return err;

  Expected<const json::Object *> best = in.objectField("best", true);
  if (!best)
    return best.takeError();
  if (*best) {
    ObjectReader bestReader(**best, in.pathOf("best"));
    BestVariant &variant = out.best.emplace();
    if (Error err = bestReader.requiredString("genome", variant.genome))
      return err;
    if (Error err = bestReader.number("speedup", variant.speedup))
      return err;
    if (Error err = bestReader.optionalString("plan", variant.plan))
      return err;
    if (Error err = readPoint(bestReader, variant))
      return err;
  }

  Expected<const json::Array *> history = in.arrayField("history");
  if (!history)
    return history.takeError();
  if (Error err = forEachObject(
          **history, in.pathOf("history"), [&](const ObjectReader &entry) {
            GenerationRecord &record = out.history.emplace_back();
            if (Error err =
                    entry.requiredInteger("generation", record.generation))
              return err;
            if (Error err = entry.integer("evaluations", record.evaluations))
              return err;
            return entry.number("bestSpeedup", record.bestSpeedup);
          }))
    return err;

  Expected<const json::Array *> evaluations = in.arrayField("evaluations");
  if (!evaluations)
    return evaluations.takeError();
  return forEachObject(
      **evaluations, in.pathOf("evaluations"), [&](const ObjectReader &entry) {
        EvaluationRecord &record = out.evaluations.emplace_back();
        if (Error err = entry.requiredString("genome", record.genome))
          return err;
        if (Error err = entry.requiredString("verdict", record.verdict))
          return err;
        if (Error err = entry.optionalString("reason", record.reason))
          return err;
        if (Error err = entry.number("speedup", record.speedup))
          return err;
        if (Error err = entry.number("timeMs", record.timeMs))
          return err;
        return entry.integer("generation", record.generation);
      });
}

} // namespace

Expected<Report> cupilot::report::parseReport(const json::Value &value) {
  const json::Object *root = value.getAsObject();
  if (!root)
    return makeError(ExitCode::InputError,
                     "report is {0} (expected a JSON object with \"schema\": "
                     "\"{1}\")",
                     describe(value), ReportSchema);
  ObjectReader in(*root, "");

  std::string schema;
  if (Error err = in.requiredString("schema", schema))
    return std::move(err);
  if (schema != ReportSchema)
    return makeError(ExitCode::InputError,
                     "report field 'schema' is \"{0}\" (expected \"{1}\")",
                     schema, ReportSchema);

  Report report;
  if (Error err = in.optionalString("source", report.source))
    return std::move(err);

  Expected<const json::Object *> device = in.objectField("device", false);
  if (!device)
    return device.takeError();
  if (Error err = readDevice(ObjectReader(**device, "device"), report.device))
    return std::move(err);

  Expected<const json::Array *> kernels = in.arrayField("kernels");
  if (!kernels)
    return kernels.takeError();
  if (Error err =
          forEachObject(**kernels, "kernels", [&](const ObjectReader &kernel) {
            return readKernel(kernel, report.kernels.emplace_back());
          }))
    return std::move(err);
  return report;
}
