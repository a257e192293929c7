//===- PlanIO.cpp - Reading and writing rewrite plans ---------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// yaml-cpp reports errors by throwing, so this file is compiled with
// exceptions (see lib/Strategy/CMakeLists.txt). Loading and emitting run
// inside `try`; every exception is caught here and becomes an llvm::Error
// with the line and column yaml-cpp reports. The conversion from nodes to a
// RewritePlan uses only node queries that do not throw.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/PlanIO.h"

#include "YamlDocument.h"

#include "cupilot/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <yaml-cpp/yaml.h>

using namespace cupilot;

//===----------------------------------------------------------------------===//
// Compile-flag allow-list
//===----------------------------------------------------------------------===//

static bool isOneOf(llvm::StringRef value,
                    std::initializer_list<llvm::StringRef> choices) {
  return llvm::is_contained(choices, value);
}

static std::string checkPtxasOption(llvm::StringRef option) {
  if (isOneOf(option,
              {"-O0", "-O1", "-O2", "-O3", "-v", "--verbose", "-warn-spills",
               "--warn-on-spills", "-dlcm=ca", "-dlcm=cg", "-dscm=cg",
               "-dscm=cs", "-dscm=wt", "--allow-expensive-optimizations=true",
               "--allow-expensive-optimizations=false"}))
    return "";
  return ("ptxas option '" + option +
          "' is not allowed; allowed: -O0..-O3, -v, -warn-spills, "
          "-dlcm=ca|cg, -dscm=cg|cs|wt, --allow-expensive-optimizations=BOOL")
      .str();
}

std::string cupilot::checkCompileFlag(llvm::StringRef flag) {
  if (isOneOf(flag,
              {"-O0", "-O1", "-O2", "-O3", "-lineinfo", "--lineinfo",
               "-use_fast_math", "--use_fast_math", "-restrict", "--restrict",
               "--extra-device-vectorization", "-extra-device-vectorization"}))
    return "";
  for (llvm::StringRef prefix :
       {"--ftz=", "--prec-div=", "--prec-sqrt=", "--fmad=", "-ftz=",
        "-prec-div=", "-prec-sqrt=", "-fmad="}) {
    if (!flag.starts_with(prefix))
      continue;
    llvm::StringRef value = flag.drop_front(prefix.size());
    if (value == "true" || value == "false")
      return "";
    return ("'" + flag + "' takes true or false").str();
  }
  for (llvm::StringRef prefix : {"-maxrregcount=", "--maxrregcount="}) {
    if (!flag.starts_with(prefix))
      continue;
    unsigned regs = 0;
    if (flag.drop_front(prefix.size()).getAsInteger(10, regs) || regs < 16 ||
        regs > 255)
      return ("'" + flag + "' needs a register count in 16..255").str();
    return "";
  }
  for (llvm::StringRef prefix : {"-Xptxas=", "--ptxas-options="}) {
    if (!flag.starts_with(prefix))
      continue;
    llvm::SmallVector<llvm::StringRef, 4> options;
    flag.drop_front(prefix.size()).split(options, ',');
    for (llvm::StringRef option : options)
      if (std::string why = checkPtxasOption(option); !why.empty())
        return why;
    return "";
  }
  if (flag == "-Xptxas")
    return "write ptxas options as one flag, e.g. '-Xptxas=-O3'";
  return ("flag '" + flag +
          "' is not allowed; allowed: -O0..-O3, -maxrregcount=N, "
          "-use_fast_math, -lineinfo, -restrict, --extra-device-vectorization, "
          "--ftz|--prec-div|--prec-sqrt|--fmad=BOOL, -Xptxas=OPT[,OPT]")
      .str();
}

bool cupilot::relaxesPrecision(llvm::StringRef flag) {
  return isOneOf(flag, {"-use_fast_math", "--use_fast_math", "--ftz=true",
                        "-ftz=true", "--prec-div=false", "-prec-div=false",
                        "--prec-sqrt=false", "-prec-sqrt=false"});
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {

std::string describeNode(const YAML::Node &node) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Scalar:
    return "'" + node.Scalar() + "'";
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    return "nothing";
  }
  return "nothing";
}

/// Converts YAML nodes to a RewritePlan, checking the schema.
class PlanReader {
public:
  explicit PlanReader(llvm::StringRef fileName) : fileName(fileName) {}

  llvm::Expected<RewritePlan> read(const YAML::Node &root);

private:
  static PlanLoc locate(const YAML::Node &node) {
    YAML::Mark mark = node.Mark();
    if (mark.is_null())
      return {};
    return {static_cast<unsigned>(mark.line + 1),
            static_cast<unsigned>(mark.column + 1)};
  }

  llvm::Error errorAt(const YAML::Node &node, const llvm::Twine &message) {
    PlanLoc loc = locate(node);
    if (loc.line == 0)
      return makeError(ExitCode::InputError, "{0}: error: {1}", fileName,
                       message.str());
    return makeError(ExitCode::InputError, "{0}:{1}:{2}: error: {3}", fileName,
                     loc.line, loc.column, message.str());
  }

  llvm::Expected<RewriteStep> readStep(const YAML::Node &node, size_t index);
  llvm::Error readParam(const ParamSchema &schema, const YAML::Node &keyNode,
                        const YAML::Node &value, const llvm::Twine &what,
                        ParamValue &param);

  llvm::StringRef fileName;
};

/// `did you mean 'x'? ` when a candidate is close to `key`.
std::string suggest(llvm::StringRef key,
                    llvm::ArrayRef<llvm::StringRef> candidates) {
  std::string hint;
  unsigned best = 3;
  for (llvm::StringRef candidate : candidates) {
    unsigned distance = candidate.edit_distance(key);
    if (distance < best) {
      best = distance;
      hint = ("did you mean '" + candidate + "'? ").str();
    }
  }
  return hint;
}

} // namespace

llvm::Expected<RewritePlan> PlanReader::read(const YAML::Node &root) {
  if (!root.IsMap())
    return errorAt(root, "a plan must be a mapping with 'plan' and 'steps', "
                         "not " +
                             describeNode(root));
  RewritePlan plan;
  plan.file = fileName.str();
  bool haveName = false, haveSteps = false, havePrecision = false;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node keyNode = it->first;
    const YAML::Node value = it->second;
    std::string key = keyNode.IsScalar() ? keyNode.Scalar() : "";
    if (key == "plan") {
      if (haveName)
        return errorAt(keyNode, "duplicate key 'plan'; remove one of them");
      haveName = true;
      if (!value.IsScalar() || value.Scalar().empty())
        return errorAt(value.IsNull() ? keyNode : value,
                       "'plan' must be a name, not " + describeNode(value));
      plan.name = value.Scalar();
      continue;
    }
    if (key == "steps") {
      if (haveSteps)
        return errorAt(keyNode, "duplicate key 'steps'; remove one of them");
      haveSteps = true;
      if (value.IsNull())
        continue; // `steps:` with nothing: an empty plan.
      if (!value.IsSequence())
        return errorAt(value, "'steps' must be a list of steps, not " +
                                  describeNode(value));
      for (size_t i = 0; i < value.size(); ++i) {
        auto step = readStep(value[i], i);
        if (!step)
          return step.takeError();
        plan.steps.push_back(std::move(*step));
      }
      continue;
    }
    if (key == "precision") {
      if (havePrecision)
        return errorAt(keyNode,
                       "duplicate key 'precision'; remove one of them");
      havePrecision = true;
      std::string text = value.IsScalar() ? value.Scalar() : "";
      if (text == "strict")
        plan.precision = PlanPrecision::Strict;
      else if (text == "relaxed")
        plan.precision = PlanPrecision::Relaxed;
      else
        return errorAt(value.IsNull() ? keyNode : value,
                       "'precision' must be 'strict' or 'relaxed', not " +
                           describeNode(value));
      continue;
    }
    return errorAt(keyNode, "unknown key " + describeNode(keyNode) +
                                " in the plan; " +
                                suggest(key, {"plan", "steps", "precision"}) +
                                "expected 'plan', 'steps' and optionally "
                                "'precision'");
  }
  if (!haveName)
    return errorAt(root, "the plan has no 'plan' key; give it a name, e.g. "
                         "'plan: saxpy-tuned'");
  if (!haveSteps)
    return errorAt(root, "the plan has no 'steps' key; give a list of steps");
  // A strict plan keeps the original's precision: flags that give it up are
  // refused where they are written.
  if (plan.precision == PlanPrecision::Strict) {
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const RewriteStep &step = plan.steps[i];
      if (step.kind != "compile-flags")
        continue;
      for (const std::string &flag : step.getStrings("flags")) {
        if (!relaxesPrecision(flag))
          continue;
        PlanLoc loc = step.getLoc("flags");
        return makeError(ExitCode::InputError,
                         "{0}:{1}:{2}: error: step {3} (compile-flags): flag "
                         "'{4}' gives up floating-point precision; a plan "
                         "may use it only with 'precision: relaxed' (and "
                         "only for a task whose precision policy allows "
                         "reduced precision)",
                         fileName, loc.line, loc.column, i, flag);
      }
    }
  }
  return plan;
}

llvm::Expected<RewriteStep> PlanReader::readStep(const YAML::Node &node,
                                                 size_t index) {
  std::string what = ("step " + llvm::Twine(index)).str();
  if (!node.IsMap())
    return errorAt(node, what +
                             " must be a mapping with 'step' and "
                             "'kernel', not " +
                             describeNode(node));
  // The kind first: it decides which keys are allowed.
  const StepSchema *schema = nullptr;
  RewriteStep step;
  step.loc = locate(node);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "step")
      continue;
    const YAML::Node value = it->second;
    if (!value.IsScalar() || value.Scalar().empty())
      return errorAt(value.IsNull() ? it->first : value,
                     what + ": 'step' must be a step kind, not " +
                         describeNode(value));
    step.kind = value.Scalar();
    step.loc = locate(it->first);
    schema = findStepSchema(step.kind);
    if (!schema) {
      llvm::SmallVector<llvm::StringRef, 16> kinds;
      for (const StepSchema &s : getStepSchemas())
        kinds.push_back(s.kind);
      return errorAt(value, what + ": unknown step kind '" + step.kind + "'; " +
                                suggest(step.kind, kinds) +
                                "known kinds: " + llvm::join(kinds, ", "));
    }
  }
  if (!schema)
    return errorAt(node, what + " has no 'step' key; give its kind, e.g. "
                                "'step: launch-bounds'");
  what = ("step " + llvm::Twine(index) + " (" + step.kind + ")").str();

  llvm::StringMap<unsigned> seen;
  std::vector<std::pair<const ParamSchema *, ParamValue>> values;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node keyNode = it->first;
    const YAML::Node value = it->second;
    if (!keyNode.IsScalar())
      return errorAt(keyNode, what + ": a key is " + describeNode(keyNode) +
                                  "; keys must be plain names");
    std::string key = keyNode.Scalar();
    auto [prev, inserted] = seen.try_emplace(key, locate(keyNode).line);
    if (!inserted)
      return errorAt(keyNode, what + ": duplicate key '" + key +
                                  "' (first given on line " +
                                  llvm::Twine(prev->second) +
                                  "); remove one of them");
    if (key == "step")
      continue;
    if (key == "kernel") {
      if (!schema->needsKernel)
        return errorAt(keyNode, what + ": '" + step.kind +
                                    "' applies to the whole file; remove "
                                    "'kernel'");
      if (!value.IsScalar() || value.Scalar().empty())
        return errorAt(value.IsNull() ? keyNode : value,
                       what + ": 'kernel' must be a kernel name, not " +
                           describeNode(value));
      step.kernel = value.Scalar();
      step.kernelLoc = locate(value);
      continue;
    }
    const ParamSchema *param = nullptr;
    for (const ParamSchema &p : schema->params)
      if (p.name == key)
        param = &p;
    if (!param) {
      llvm::SmallVector<llvm::StringRef, 8> keys;
      if (schema->needsKernel)
        keys.push_back("kernel");
      for (const ParamSchema &p : schema->params)
        keys.push_back(p.name);
      return errorAt(keyNode,
                     what + ": unknown key '" + key + "'; " +
                         suggest(key, keys) + "'" + step.kind + "' takes " +
                         (keys.empty() ? std::string("no parameters")
                                       : "step, " + llvm::join(keys, ", ")));
    }
    ParamValue pv;
    if (llvm::Error err = readParam(*param, keyNode, value, what, pv))
      return std::move(err);
    values.emplace_back(param, std::move(pv));
  }
  if (schema->needsKernel && step.kernel.empty())
    return errorAt(node, what + " has no 'kernel' key; name the kernel it "
                                "applies to");
  // Parameters in schema order, so that writing is canonical.
  for (const ParamSchema &p : schema->params) {
    auto it =
        llvm::find_if(values, [&](const auto &v) { return v.first == &p; });
    if (it != values.end()) {
      step.params.push_back(std::move(it->second));
      continue;
    }
    if (p.required)
      return errorAt(node, what + " needs '" + p.name + "' (" + p.doc + ")");
  }

  // Checks across parameters.
  if (step.kind == "unroll" &&
      step.has("factor") == step.getBool("full", false))
    return makeError(ExitCode::InputError,
                     "{0}:{1}:{2}: error: {3}: give either 'factor: N' or "
                     "'full: true'",
                     fileName, step.getLoc("full").line,
                     step.getLoc("full").column, what);
  if (step.kind == "set-block-size") {
    int64_t threads =
        step.getInt("x", 1) * step.getInt("y", 1) * step.getInt("z", 1);
    if (threads > 1024)
      return makeError(ExitCode::InputError,
                       "{0}:{1}:{2}: error: {3}: the block has {4} threads; "
                       "a block holds at most 1024",
                       fileName, step.loc.line, step.loc.column, what, threads);
  }
  if (step.kind == "tile-to-shared") {
    int64_t tile = step.getInt("tile", 16);
    if (tile != 8 && tile != 16 && tile != 32) {
      PlanLoc loc = step.getLoc("tile");
      return makeError(ExitCode::InputError,
                       "{0}:{1}:{2}: error: {3}: 'tile' must be 8, 16 or 32, "
                       "not {4}",
                       fileName, loc.line, loc.column, what, tile);
    }
  }
  if (step.kind == "vectorize" && step.getInt("width", 4) == 3) {
    PlanLoc loc = step.getLoc("width");
    return makeError(ExitCode::InputError,
                     "{0}:{1}:{2}: error: {3}: 'width' must be 2 or 4, not 3",
                     fileName, loc.line, loc.column, what);
  }
  return step;
}

llvm::Error PlanReader::readParam(const ParamSchema &schema,
                                  const YAML::Node &keyNode,
                                  const YAML::Node &value,
                                  const llvm::Twine &what, ParamValue &param) {
  param.name = schema.name.str();
  param.type = schema.type;
  param.loc = locate(value.IsNull() ? keyNode : value);
  std::string label = (what + ": '" + schema.name + "'").str();
  auto wrongType = [&]() {
    return errorAt(value.IsNull() ? keyNode : value,
                   label + " must be " + describe(schema.type) + ", not " +
                       describeNode(value));
  };
  switch (schema.type) {
  case ParamType::Int: {
    if (!value.IsScalar())
      return wrongType();
    long long v = 0;
    if (llvm::StringRef(value.Scalar()).getAsInteger(10, v))
      return wrongType();
    if (v < schema.min || v > schema.max)
      return errorAt(
          value, label + " is " + llvm::Twine(v) + ", out of range; give " +
                     llvm::Twine(schema.min) + ".." + llvm::Twine(schema.max));
    param.intValue = v;
    return llvm::Error::success();
  }
  case ParamType::Bool:
    if (!value.IsScalar() || !isOneOf(value.Scalar(), {"true", "false"}))
      return wrongType();
    param.boolValue = value.Scalar() == "true";
    return llvm::Error::success();
  case ParamType::String:
    if (!value.IsScalar() || value.Scalar().empty())
      return wrongType();
    param.stringValue = value.Scalar();
    return llvm::Error::success();
  case ParamType::StringList:
    if (!value.IsSequence())
      return wrongType();
    for (size_t i = 0; i < value.size(); ++i) {
      const YAML::Node item = value[i];
      if (!item.IsScalar() || item.Scalar().empty())
        return errorAt(item.IsNull() ? value : item,
                       label + " item " + llvm::Twine(i) +
                           " must be a string, not " + describeNode(item));
      if (schema.name == "flags")
        if (std::string why = checkCompileFlag(item.Scalar()); !why.empty())
          return errorAt(item, label + ": " + why);
      param.listValue.push_back(item.Scalar());
    }
    return llvm::Error::success();
  }
  llvm_unreachable("unknown parameter type");
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

llvm::Expected<RewritePlan> cupilot::parsePlan(llvm::StringRef yamlText,
                                               llvm::StringRef fileName) {
  if (yamlText.size() > MaxPlanFileSize)
    return makeError(ExitCode::InputError,
                     "{0}: error: the plan is {1} bytes; plan files are "
                     "limited to {2} bytes",
                     fileName, yamlText.size(), MaxPlanFileSize);
  auto root = detail::loadSingleDocument(
      yamlText, fileName,
      {"plan", "the plan file is empty; a plan needs 'plan' and 'steps'",
       "a plan nests at most 4 levels", MaxPlanFileSize});
  if (!root)
    return root.takeError();
  return PlanReader(fileName).read(*root);
}

llvm::Expected<RewritePlan> cupilot::readPlanFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer)
    return makeError(ExitCode::InputError, "{0}: error: cannot read: {1}", path,
                     buffer.getError().message());
  return parsePlan((*buffer)->getBuffer(), path == "-" ? "<stdin>" : path);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Whether `text` (code for replace-kernel, usually) survives yaml-cpp's
/// literal block style, the readable one. yaml-cpp always writes `|` (clip):
/// the value must end in exactly one newline; the reader takes the block's
/// indentation from its first line, which must not start with a space; and
/// a block holds printable characters only. Anything else is written
/// double-quoted, with escapes.
static bool readsBackAsLiteral(llvm::StringRef text) {
  if (!text.ends_with("\n") || text.ends_with("\n\n") ||
      text.starts_with(" ") || text.starts_with("\n"))
    return false;
  for (llvm::StringRef line : llvm::split(text.drop_back(), '\n')) {
    // Trailing white space at the end of a line, or a line of only white
    // space, is where readers disagree; quote those.
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
      return false;
    for (unsigned char c : line)
      if (c == '\t' ? false : (c < 0x20 || c == 0x7f || c >= 0x80))
        return false;
  }
  return true;
}

/// Whether yaml-cpp may write `text` as it chooses (plain or quoted by its
/// own rules): not when it holds control characters or starts or ends with
/// white space, which a plain scalar loses (`loa\r` reads back as `loa`,
/// found by fuzz-plan-yaml); those are written double-quoted, with escapes.
static bool needsDoubleQuotes(llvm::StringRef text) {
  if (!text.empty() &&
      (llvm::isSpace(text.front()) || llvm::isSpace(text.back())))
    return true;
  return llvm::any_of(text, [](unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

/// Emits a string so that reading it back gives the same bytes.
static void emitString(YAML::Emitter &out, const std::string &text) {
  if (needsDoubleQuotes(text))
    out << YAML::DoubleQuoted;
  out << text;
}

static void emitPlan(YAML::Emitter &out, const RewritePlan &plan) {
  out << YAML::BeginMap;
  out << YAML::Key << "plan" << YAML::Value;
  emitString(out, plan.name);
  // Written only when relaxed, so that strict plans read as before.
  if (plan.precision == PlanPrecision::Relaxed)
    out << YAML::Key << "precision" << YAML::Value << "relaxed";
  out << YAML::Key << "steps" << YAML::Value;
  if (plan.steps.empty()) {
    out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq << YAML::EndMap;
    return;
  }
  out << YAML::BeginSeq;
  for (const RewriteStep &step : plan.steps) {
    out << YAML::BeginMap;
    out << YAML::Key << "step" << YAML::Value << step.kind;
    if (!step.kernel.empty()) {
      out << YAML::Key << "kernel" << YAML::Value;
      emitString(out, step.kernel);
    }
    for (const ParamValue &param : step.params) {
      out << YAML::Key << param.name << YAML::Value;
      switch (param.type) {
      case ParamType::Int:
        out << std::to_string(param.intValue);
        break;
      case ParamType::Bool:
        out << (param.boolValue ? "true" : "false");
        break;
      case ParamType::String:
        if (readsBackAsLiteral(param.stringValue))
          out << YAML::Literal << param.stringValue;
        else if (llvm::StringRef(param.stringValue).contains('\n'))
          out << YAML::DoubleQuoted << param.stringValue;
        else
          emitString(out, param.stringValue);
        break;
      case ParamType::StringList:
        out << YAML::Flow << YAML::BeginSeq;
        for (const std::string &item : param.listValue)
          emitString(out, item);
        out << YAML::EndSeq;
        break;
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

std::string cupilot::writePlan(const RewritePlan &plan) {
  YAML::Emitter out;
  bool failed = false;
  try {
    out.SetIndent(2);
    emitPlan(out, plan);
  } catch (...) {
    failed = true;
  }
  if (failed || !out.good())
    llvm::report_fatal_error(
        llvm::Twine("cupilot: cannot emit a plan as YAML: ") +
        out.GetLastError());
  return std::string(out.c_str()) + "\n";
}
