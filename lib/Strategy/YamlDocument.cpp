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

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

using namespace cupilot;
using namespace cupilot::detail;

namespace {
/// Records where a document and its root node start, and measures the
/// document as a reader would see it: the size of the tree expanded through
/// its aliases (scalar bytes plus one per node), computed from the events
/// in one pass, each anchored node's size remembered for its aliases. An
/// alias to a collection that is still open (an alias inside its own
/// anchor) would make the built tree cyclic; it is reported as such.
class DocumentScanner : public YAML::EventHandler {
public:
  explicit DocumentScanner(uint64_t limit) : limit(limit) {}

  void OnDocumentStart(const YAML::Mark &mark) override {
    start = mark;
    root = mark;
    sawRoot = false;
    open.clear();
    anchorSizes.clear();
    expanded = 0;
    overflowAt.reset();
    cycleAt.reset();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &mark, YAML::anchor_t anchor) override {
    node(mark);
    leaf(mark, anchor, 1);
  }
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t anchor) override {
    node(mark);
    for (const Open &o : open)
      if (anchor != YAML::NullAnchor && o.anchor == anchor && !cycleAt)
        cycleAt = mark;
    auto it = anchorSizes.find(anchor);
    add(mark, it == anchorSizes.end() ? 1 : it->second);
  }
  void OnScalar(const YAML::Mark &mark, const std::string &,
                YAML::anchor_t anchor, const std::string &value) override {
    node(mark);
    leaf(mark, anchor, saturatingAdd(1, value.size()));
  }
  void OnSequenceStart(const YAML::Mark &mark, const std::string &,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    collectionStart(mark, anchor);
  }
  void OnSequenceEnd() override { collectionEnd(); }
  void OnMapStart(const YAML::Mark &mark, const std::string &,
                  YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    collectionStart(mark, anchor);
  }
  void OnMapEnd() override { collectionEnd(); }

  YAML::Mark start;
  YAML::Mark root;
  /// Where the expanded size first exceeded the limit.
  std::optional<YAML::Mark> overflowAt;
  /// The first alias to a collection that contains it.
  std::optional<YAML::Mark> cycleAt;

private:
  struct Open {
    YAML::anchor_t anchor;
    /// Expanded size of the collection so far.
    uint64_t size;
  };

  static uint64_t saturatingAdd(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
  }
  void node(const YAML::Mark &mark) {
    if (!sawRoot)
      root = mark;
    sawRoot = true;
  }
  /// Counts `size` more expanded text at `mark`, in the enclosing
  /// collection and in the document.
  void add(const YAML::Mark &mark, uint64_t size) {
    if (!open.empty())
      open.back().size = saturatingAdd(open.back().size, size);
    expanded = saturatingAdd(expanded, size);
    if (expanded > limit && !overflowAt)
      overflowAt = mark;
  }
  void leaf(const YAML::Mark &mark, YAML::anchor_t anchor, uint64_t size) {
    if (anchor != YAML::NullAnchor)
      anchorSizes[anchor] = size;
    add(mark, size);
  }
  void collectionStart(const YAML::Mark &mark, YAML::anchor_t anchor) {
    node(mark);
    // The collection's own node; its children add to it as they come.
    add(mark, 1);
    open.push_back({anchor, 1});
  }
  void collectionEnd() {
    if (open.empty())
      return;
    Open done = open.back();
    open.pop_back();
    if (done.anchor != YAML::NullAnchor)
      anchorSizes[done.anchor] = done.size;
    // The children were already counted in the parent as they came.
    if (!open.empty())
      open.back().size = saturatingAdd(open.back().size, done.size - 1);
  }

  uint64_t limit;
  bool sawRoot = false;
  std::vector<Open> open;
  std::map<YAML::anchor_t, uint64_t> anchorSizes;
  uint64_t expanded = 0;
};

/// The documents of a YAML stream.
struct StreamShape {
  size_t documents = 0;
  /// Where the root of the second document starts.
  YAML::Mark secondRoot;
  /// Where the parser stopped advancing, if it did.
  std::optional<YAML::Mark> stuckAt;
  /// In the first document: where its expanded size first exceeded the
  /// limit, and the first alias inside its own anchor.
  std::optional<YAML::Mark> overflowAt;
  std::optional<YAML::Mark> cycleAt;
};

/// Walks the first documents of `text` without building them (may throw).
///
/// On a ',' outside a flow collection, yaml-cpp 0.7 reports an empty document
/// without consuming the token, again and again. A document that starts where
/// the previous one did is such a non-document, and the walk stops there; it
/// also stops after three documents, which is enough to tell one document
/// from several.
StreamShape scanDocuments(const std::string &text, uint64_t limit) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentScanner scanner(limit);
  StreamShape shape;
  int lastStart = -1;
  while (shape.documents < 3 && parser.HandleNextDocument(scanner)) {
    if (scanner.start.pos <= lastStart) {
      shape.stuckAt = scanner.start;
      --shape.documents;
      break;
    }
    lastStart = scanner.start.pos;
    if (++shape.documents == 1) {
      shape.overflowAt = scanner.overflowAt;
      shape.cycleAt = scanner.cycleAt;
    }
    if (shape.documents == 2)
      shape.secondRoot = scanner.root;
  }
  return shape;
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
  std::string loadError;
  try {
    shape = scanDocuments(text, kind.expandedLimit);
    // Only a single document that is neither cyclic nor too large once
    // expanded is built (the tree would be as large as the expansion).
    if (shape.documents == 1 && !shape.stuckAt && !shape.cycleAt &&
        !shape.overflowAt)
      root = YAML::Load(text); // Builds the first document only.
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
  if (shape.cycleAt)
    return makeError(ExitCode::InputError,
                     "{0}: error: this alias refers to a node that contains "
                     "it, which would repeat the {1} without end",
                     at(fileName, *shape.cycleAt), kind.noun);
  if (shape.overflowAt)
    return makeError(ExitCode::InputError,
                     "{0}: error: through aliases, the {1} reads more than "
                     "{2} bytes of text, more than a {1} file may hold; "
                     "repeat large values less often",
                     at(fileName, *shape.overflowAt), kind.noun,
                     kind.expandedLimit);
  return root;
}
