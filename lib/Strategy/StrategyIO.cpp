//===- StrategyIO.cpp - Reading strategy files ----------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// yaml-cpp reports errors by throwing; this file is compiled with exceptions
// and turns every one into an llvm::Error with file:line:col.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/Strategy.h"

#include "YamlDocument.h"
#include "cupilot/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <yaml-cpp/yaml.h>

using namespace cupilot;

/// Largest strategy file accepted, in bytes.
static constexpr size_t MaxStrategyFileSize = 256 * 1024;

namespace {

class StrategyReader {
public:
  explicit StrategyReader(llvm::StringRef fileName) : fileName(fileName) {}

  llvm::Expected<Strategy> read(const YAML::Node &root);

private:
  llvm::Error errorAt(const YAML::Node &node, const llvm::Twine &message) {
    YAML::Mark mark = node.Mark();
    if (mark.is_null())
      return makeError(ExitCode::InputError, "{0}: error: {1}", fileName,
                       message.str());
    return makeError(ExitCode::InputError, "{0}:{1}:{2}: error: {3}", fileName,
                     mark.line + 1, mark.column + 1, message.str());
  }

  llvm::Expected<std::string> scalar(const YAML::Node &node,
                                     llvm::StringRef what) {
    if (!node.IsScalar())
      return errorAt(node, llvm::formatv("'{0}' must be a scalar", what));
    return node.Scalar();
  }

  llvm::Expected<std::vector<std::string>> scalars(const YAML::Node &node,
                                                   llvm::StringRef what) {
    std::vector<std::string> out;
    if (node.IsNull())
      return out;
    if (!node.IsSequence())
      return errorAt(node, llvm::formatv("'{0}' must be a list", what));
    for (const YAML::Node &item : node) {
      auto s = scalar(item, what);
      if (!s)
        return s.takeError();
      out.push_back(*s);
    }
    return out;
  }

  llvm::Error readPredicate(const YAML::Node &node, StrategyPredicate &p);
  llvm::Error readParameters(const YAML::Node &node, Strategy &s);
  llvm::Error readLowering(const YAML::Node &node, Strategy &s);

  llvm::StringRef fileName;
};

} // namespace

llvm::Error StrategyReader::readPredicate(const YAML::Node &node,
                                          StrategyPredicate &p) {
  if (node.IsNull())
    return llvm::Error::success();
  if (!node.IsMap())
    return errorAt(node, "'applies-when' must be a mapping with keys all, "
                         "none, any, where, roofline");
  for (const auto &kv : node) {
    std::string key = kv.first.Scalar();
    std::vector<std::string> *target =
        llvm::StringSwitch<std::vector<std::string> *>(key)
            .Case("all", &p.all)
            .Case("none", &p.none)
            .Case("any", &p.any)
            .Case("where", &p.where)
            .Case("roofline", &p.roofline)
            .Default(nullptr);
    if (!target)
      return errorAt(kv.first, "unknown key '" + key +
                                   "' in 'applies-when' (expected all, none, "
                                   "any, where, roofline)");
    auto list = scalars(kv.second, key);
    if (!list)
      return list.takeError();
    *target = std::move(*list);
  }
  for (const std::string &c : p.roofline)
    if (c != "memory" && c != "compute" && c != "latency")
      return errorAt(node["roofline"], "roofline class '" + c +
                                           "' is not memory, compute or "
                                           "latency");
  return llvm::Error::success();
}

llvm::Error StrategyReader::readParameters(const YAML::Node &node,
                                           Strategy &s) {
  if (node.IsNull())
    return llvm::Error::success();
  if (!node.IsSequence())
    return errorAt(node, "'parameters' must be a list");
  for (const YAML::Node &item : node) {
    if (!item.IsMap())
      return errorAt(item, "a parameter must be a mapping with name, values "
                           "and default");
    StrategyParameter param;
    for (const auto &kv : item) {
      std::string key = kv.first.Scalar();
      if (key == "name" || key == "default" || key == "doc") {
        auto v = scalar(kv.second, key);
        if (!v)
          return v.takeError();
        (key == "name" ? param.name
                       : key == "default" ? param.defaultValue : param.doc) = *v;
      } else if (key == "values") {
        auto v = scalars(kv.second, key);
        if (!v)
          return v.takeError();
        param.values = std::move(*v);
      } else {
        return errorAt(kv.first, "unknown key '" + key +
                                     "' in a parameter (expected name, "
                                     "values, default, doc)");
      }
    }
    if (param.name.empty())
      return errorAt(item, "a parameter needs a 'name'");
    if (param.values.empty())
      return errorAt(item, "parameter '" + param.name +
                               "' needs a non-empty 'values' list");
    if (param.defaultValue.empty())
      param.defaultValue = param.values.front();
    if (!llvm::is_contained(param.values, param.defaultValue))
      return errorAt(item["default"], "default '" + param.defaultValue +
                                          "' of parameter '" + param.name +
                                          "' is not one of its values");
    if (s.findParameter(param.name))
      return errorAt(item, "parameter '" + param.name + "' is declared twice");
    s.parameters.push_back(std::move(param));
  }
  return llvm::Error::success();
}

llvm::Error StrategyReader::readLowering(const YAML::Node &node, Strategy &s) {
  if (!node.IsSequence() || node.size() == 0)
    return errorAt(node, "'lowering' must be a non-empty list of rewrite "
                         "steps");
  for (const YAML::Node &item : node) {
    if (!item.IsMap() || !item["step"])
      return errorAt(item, "a lowering entry must be a mapping with 'step'");
    LoweringStep step;
    for (const auto &kv : item) {
      std::string key = kv.first.Scalar();
      if (key == "step") {
        auto v = scalar(kv.second, key);
        if (!v)
          return v.takeError();
        step.kind = *v;
        if (!findStepSchema(step.kind))
          return errorAt(kv.second, "unknown rewrite step '" + step.kind + "'");
        continue;
      }
      if (key == "kernel")
        return errorAt(kv.first, "lowering steps apply to the kernel being "
                                 "tuned; remove 'kernel'");
      if (kv.second.IsSequence()) {
        auto v = scalars(kv.second, key);
        if (!v)
          return v.takeError();
        step.fields.emplace_back(key, std::move(*v));
        step.isList.push_back(true);
      } else {
        auto v = scalar(kv.second, key);
        if (!v)
          return v.takeError();
        step.fields.emplace_back(key, std::vector<std::string>{*v});
        step.isList.push_back(false);
      }
    }
    // Field names are checked against the step schema here; values are
    // checked when a genome is lowered (they may hold placeholders).
    const StepSchema *schema = findStepSchema(step.kind);
    for (const auto &[name, values] : step.fields) {
      bool known = false;
      for (const ParamSchema &p : schema->params)
        known |= p.name == name;
      if (!known)
        return errorAt(item[name], "rewrite step '" + step.kind +
                                       "' has no parameter '" + name + "'");
    }
    s.lowering.push_back(std::move(step));
  }
  return llvm::Error::success();
}

llvm::Expected<Strategy> StrategyReader::read(const YAML::Node &root) {
  if (!root.IsMap())
    return errorAt(root, "a strategy must be a mapping");
  Strategy s;
  s.file = fileName.str();
  bool sawLowering = false;
  for (const auto &kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node &value = kv.second;
    if (key == "id" || key == "title" || key == "intent") {
      auto v = scalar(value, key);
      if (!v)
        return v.takeError();
      (key == "id" ? s.id : key == "title" ? s.title : s.intent) = *v;
    } else if (key == "bottleneck") {
      auto v = scalar(value, key);
      if (!v)
        return v.takeError();
      if (*v == "memory")
        s.bottleneck = Bottleneck::Memory;
      else if (*v == "compute")
        s.bottleneck = Bottleneck::Compute;
      else if (*v == "latency")
        s.bottleneck = Bottleneck::Latency;
      else
        return errorAt(value, "bottleneck '" + *v +
                                  "' is not memory, compute or latency");
    } else if (key == "applies-when") {
      if (llvm::Error e = readPredicate(value, s.appliesWhen))
        return std::move(e);
    } else if (key == "parameters") {
      if (llvm::Error e = readParameters(value, s))
        return std::move(e);
    } else if (key == "requires" || key == "conflicts") {
      auto v = scalars(value, key);
      if (!v)
        return v.takeError();
      (key == "requires" ? s.requires_ : s.conflicts) = std::move(*v);
    } else if (key == "lowering") {
      if (llvm::Error e = readLowering(value, s))
        return std::move(e);
      sawLowering = true;
    } else {
      return errorAt(kv.first, "unknown key '" + key +
                                   "' (expected id, title, intent, "
                                   "bottleneck, applies-when, parameters, "
                                   "requires, conflicts, lowering)");
    }
  }
  for (llvm::StringRef required : {"id", "title", "intent"})
    if ((required == "id" && s.id.empty()) ||
        (required == "title" && s.title.empty()) ||
        (required == "intent" && s.intent.empty()))
      return errorAt(root, "a strategy needs '" + required.str() + "'");
  if (!root["bottleneck"])
    return errorAt(root, "strategy '" + s.id + "' needs a 'bottleneck'");
  if (!sawLowering)
    return errorAt(root, "strategy '" + s.id + "' needs a 'lowering'");
  for (char c : s.id)
    if (!(llvm::isAlnum(c) || c == '-' || c == '_'))
      return errorAt(root["id"], "strategy id '" + s.id +
                                     "' may only hold letters, digits, '-' "
                                     "and '_'");
  return s;
}

llvm::Expected<Strategy> cupilot::parseStrategy(llvm::StringRef yamlText,
                                                llvm::StringRef fileName) {
  if (yamlText.size() > MaxStrategyFileSize)
    return makeError(ExitCode::InputError,
                     "{0}: error: the strategy is {1} bytes; strategy files "
                     "are limited to {2} bytes",
                     fileName, yamlText.size(), MaxStrategyFileSize);
  auto root = detail::loadSingleDocument(
      yamlText, fileName,
      {"strategy",
       "the strategy file is empty; a strategy needs at least 'id', 'title', "
       "'intent' and 'lowering'",
       "a strategy nests at most 6 levels", MaxStrategyFileSize});
  if (!root)
    return root.takeError();
  // The reader uses node queries that do not throw; the catch is a last
  // line of defence so that no exception leaves this file.
  try {
    return StrategyReader(fileName).read(*root);
  } catch (const std::exception &e) {
    return makeError(ExitCode::InputError, "{0}: error: cannot read YAML: {1}",
                     fileName, e.what());
  }
}
