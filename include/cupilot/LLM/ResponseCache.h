//===- ResponseCache.h - Record/replay of LLM responses ---------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A directory of recorded responses, one file per request:
// `<sha256 of the request body>.json` holding
// `{"request": <body>, "response": "<raw response body>"}`. The response is
// stored as the service sent it, so a replay goes through the same parsing
// as a live answer; the request is kept for people reading the recordings.
// Neither holds the API key (it travels in a header, never in the body).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LLM_RESPONSECACHE_H
#define CUPILOT_LLM_RESPONSECACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace cupilot::llm {

class ResponseCache {
public:
  explicit ResponseCache(std::string dir) : dir(std::move(dir)) {}

  /// The key of a request: SHA-256 (hex) of its body.
  static std::string keyFor(llvm::StringRef requestBody);
  /// The file a request is recorded in.
  std::string pathFor(llvm::StringRef requestBody) const;

  /// The recorded response body, if any; an error if the recording exists
  /// but cannot be read.
  llvm::Expected<std::optional<std::string>>
  lookup(llvm::StringRef requestBody) const;
  /// Records a response (atomically; creates the directory).
  llvm::Error store(llvm::StringRef requestBody,
                    llvm::StringRef responseBody) const;

  const std::string &getDirectory() const { return dir; }

private:
  std::string dir;
};

} // namespace cupilot::llm

#endif // CUPILOT_LLM_RESPONSECACHE_H
