//===- YamlDocument.h - Loading one YAML document safely --------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The one place where the Strategy readers turn text into a yaml-cpp node
// tree. Task, plan and strategy files all hold exactly one document, come
// from people and LLMs, and must never hang or exhaust memory, so loading
// them guards against yaml-cpp's known failure modes:
// - yaml-cpp 0.7 (Debian 12) loops forever, allocating, in YAML::LoadAll on
//   a ',' outside a flow collection (jbeder/yaml-cpp#1040). The documents
//   are walked with the event parser first, which detects the loop;
// - aliases repeat a node without repeating its text, so a small file can
//   stand for gigabytes ("billion laughs"), and an alias inside its own
//   anchor makes the tree cyclic. The expanded tree is measured against a
//   budget before any reader walks it;
// - deep nesting makes yaml-cpp throw DeepRecursion, reported as such.
//
// Internal to lib/Strategy; compiled with exceptions (yaml-cpp throws), and
// every exception becomes an llvm::Error with file:line:col here.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_STRATEGY_YAMLDOCUMENT_H
#define CUPILOT_LIB_STRATEGY_YAMLDOCUMENT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <yaml-cpp/yaml.h>

namespace cupilot::detail {

/// What a reader tells the loader about its file kind.
struct YamlDocumentKind {
  /// The kind of file, for messages: "task", "plan", "strategy".
  llvm::StringRef noun;
  /// The message body when the file holds no document (after "error: ").
  llvm::StringRef emptyMessage;
  /// How deeply the kind legitimately nests, for the DeepRecursion message
  /// (e.g. "a task nests at most 4 levels").
  llvm::StringRef nestingHint;
  /// Largest expanded tree accepted: scalar bytes plus one per node, counted
  /// through aliases. A file without aliases never exceeds its own size.
  size_t expandedLimit;
};

/// Loads the single document of `text`. Fails with an InputError naming
/// `fileName` (and the line and column where known) when the text is not
/// YAML, holds no document or more than one, nests too deeply, or expands
/// through aliases beyond `kind.expandedLimit`.
llvm::Expected<YAML::Node> loadSingleDocument(llvm::StringRef text,
                                              llvm::StringRef fileName,
                                              const YamlDocumentKind &kind);

} // namespace cupilot::detail

#endif // CUPILOT_LIB_STRATEGY_YAMLDOCUMENT_H
