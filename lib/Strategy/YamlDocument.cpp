//===- YamlDocument.cpp - Loading one YAML document safely ----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "YamlDocument.h"

#include "cupilot/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>
#include <vector>

using namespace cupilot;
using namespace cupilot::detail;

namespace {
/// Records where a document and its root node start.
class DocumentScanner : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark &mark) override {
    start = mark;
    root = mark;
    sawRoot = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                const std::string &) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark &mark, const std::string &,
                       YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

  YAML::Mark start;
  YAML::Mark root;

private:
  void node(const YAML::Mark &mark) {
    if (!sawRoot)
      root = mark;
    sawRoot = true;
  }
  bool sawRoot = false;
};

/// The documents of a YAML stream.
struct StreamShape {
  size_t documents = 0;
  /// Where the root of the second document starts.
  YAML::Mark secondRoot;
  /// Where the parser stopped advancing, if it did.
  std::optional<YAML::Mark> stuckAt;
};

/// Walks the first documents of `text` without building them (may throw).
///
/// On a ',' outside a flow collection, yaml-cpp 0.7 reports an empty document
/// without consuming the token, again and again. A document that starts where
/// the previous one did is such a non-document, and the walk stops there; it
/// also stops after three documents, which is enough to tell one document
/// from several.
StreamShape scanDocuments(const std::string &text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentScanner scanner;
  StreamShape shape;
  int lastStart = -1;
  while (shape.documents < 3 && parser.HandleNextDocument(scanner)) {
    if (scanner.start.pos <= lastStart) {
      shape.stuckAt = scanner.start;
      --shape.documents;
      break;
    }
    lastStart = scanner.start.pos;
    if (++shape.documents == 2)
      shape.secondRoot = scanner.root;
  }
  return shape;
}

/// Returns the first node at which the tree below `root`, expanded through
/// its aliases, exceeds `limit` (scalar bytes plus one per node), or nothing
/// when it stays within. Iterative, and bounded by `limit` visits, so cyclic
/// trees (an alias inside its own anchor) and deep ones are safe.
std::optional<YAML::Node> findExpansionOverflow(const YAML::Node &root,
                                                size_t limit) {
  size_t used = 0;
  std::vector<YAML::Node> pending{root};
  while (!pending.empty()) {
    YAML::Node node = pending.back();
    pending.pop_back();
    used += 1 + (node.IsScalar() ? node.Scalar().size() : 0);
    if (used > limit)
      return node;
    if (node.IsSequence()) {
      for (const YAML::Node &item : node)
        pending.push_back(item);
    } else if (node.IsMap()) {
      for (const auto &entry : node) {
        pending.push_back(entry.first);
        pending.push_back(entry.second);
      }
    }
  }
  return std::nullopt;
}

std::string at(llvm::StringRef fileName, const YAML::Mark &mark) {
  if (mark.is_null())
    return fileName.str();
  return llvm::formatv("{0}:{1}:{2}", fileName, mark.line + 1, mark.column + 1)
      .str();
}
} // namespace

llvm::Expected<YAML::Node>
cupilot::detail::loadSingleDocument(llvm::StringRef yamlText,
                                    llvm::StringRef fileName,
                                    const YamlDocumentKind &kind) {
  std::string text = yamlText.str();
  StreamShape shape;
  YAML::Node root;
  std::optional<YAML::Node> overflow;
  std::string loadError;
  try {
    shape = scanDocuments(text);
    if (shape.documents == 1 && !shape.stuckAt) {
      root = YAML::Load(text); // Builds the first document only.
      overflow = findExpansionOverflow(root, kind.expandedLimit);
    }
  } catch (const YAML::DeepRecursion &e) {
    loadError = llvm::formatv("{0}: error: the YAML nests too deeply; {1}",
                              at(fileName, e.mark), kind.nestingHint)
                    .str();
  } catch (const YAML::Exception &e) {
    loadError = llvm::formatv("{0}: error: invalid YAML: {1}",
                              at(fileName, e.mark), e.msg)
                    .str();
  } catch (const std::exception &e) {
    loadError =
        llvm::formatv("{0}: error: cannot read YAML: {1}", fileName, e.what())
            .str();
  } catch (...) {
    loadError = llvm::formatv("{0}: error: cannot read YAML", fileName).str();
  }
  if (!loadError.empty())
    return llvm::make_error<CupilotError>(ExitCode::InputError, loadError);

  if (shape.documents > 1)
    return makeError(ExitCode::InputError,
                     "{0}: error: a {1} file holds one YAML document; remove "
                     "the second one (and its '---')",
                     at(fileName, shape.secondRoot), kind.noun);
  if (shape.stuckAt) {
    YAML::Mark mark = *shape.stuckAt;
    std::string what = "a token";
    if (mark.pos >= 0 && size_t(mark.pos) < text.size() &&
        llvm::isPrint(text[mark.pos]))
      what = "'" + std::string(1, text[mark.pos]) + "'";
    return makeError(ExitCode::InputError,
                     "{0}: error: invalid YAML: unexpected {1}",
                     at(fileName, mark), what);
  }
  if (shape.documents == 0)
    return makeError(ExitCode::InputError, "{0}: error: {1}", fileName,
                     kind.emptyMessage);
  if (overflow)
    return makeError(ExitCode::InputError,
                     "{0}: error: through aliases, the {1} reads more than "
                     "{2} bytes of text, more than a {1} file may hold; "
                     "repeat large values less often",
                     at(fileName, overflow->Mark()), kind.noun,
                     kind.expandedLimit);
  return root;
}
