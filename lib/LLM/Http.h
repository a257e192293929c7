//===- Http.h - HTTP POST over libcurl --------------------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// libcurl is opened with dlopen on first use, like the worker opens libcuda:
// tools that never talk to an LLM (and the portable static builds run on GPU
// machines without libcurl) do not depend on it.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_LLM_HTTP_H
#define CUPILOT_LIB_LLM_HTTP_H

#include "llvm/Support/Error.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cupilot::llm {

struct HttpResponse {
  long status = 0;
  std::string body;
  /// `Retry-After` in seconds, when the server sent one.
  std::optional<unsigned> retryAfterSeconds;
};

/// POSTs `body` to `url` with `headers` (`Name: value`). Fails on transport
/// errors (connection refused, timeout, a response larger than `maxBytes`);
/// any HTTP status is a response. Error messages name the URL and never the
/// headers.
llvm::Expected<HttpResponse> httpPost(const std::string &url,
                                      const std::vector<std::string> &headers,
                                      const std::string &body,
                                      std::chrono::milliseconds timeout,
                                      size_t maxBytes);

} // namespace cupilot::llm

#endif // CUPILOT_LIB_LLM_HTTP_H
