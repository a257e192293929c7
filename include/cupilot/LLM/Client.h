//===- Client.h - Chat client for an LLM service ----------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A chat-completion client for OpenAI-compatible services
// (`POST {url}/chat/completions`) and Anthropic's messages API
// (`POST {url}/messages`), over libcurl. The configuration comes from the
// environment (CUPILOT_LLM_*) with command-line overrides for everything but
// the API key: the key is read from CUPILOT_LLM_API_KEY only, sent only in a
// request header, and redacted from every error message (docs/LLM.md).
//
// Requests are plain data (messages); the request body is deterministic, so
// its SHA-256 keys the record/replay cache (ResponseCache.h). Failures are
// llvm::Errors with ExitCode::LLMError: connection refused, timeout, HTTP
// status (429 and 5xx are retried with exponential backoff, a bounded number
// of times), oversized or malformed responses.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LLM_CLIENT_H
#define CUPILOT_LLM_CLIENT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cupilot::llm {

/// The wire format of the service.
enum class Provider { OpenAI, Anthropic };
llvm::StringRef toString(Provider provider);

/// How to reach the model. Holds the API key: never print a Config; use
/// `describe()`.
struct Config {
  Provider provider = Provider::OpenAI;
  /// Base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`;
  /// `/chat/completions` (or `/messages`) is appended unless already there.
  std::string url;
  std::string model;
  /// Sent as `Authorization: Bearer` (OpenAI) or `x-api-key` (Anthropic);
  /// empty: no authentication header.
  std::string apiKey;
  std::chrono::milliseconds timeout{120000};
  /// Retries after a 429 or 5xx answer (so at most maxRetries + 1 requests).
  unsigned maxRetries = 2;
  /// Delay before the first retry; doubled for each further retry. A
  /// `Retry-After` header takes precedence. Every delay is capped at
  /// MaxRetryDelay and at `timeout` (see retryBackoff).
  std::chrono::milliseconds retryDelay{1000};
  /// Total time one chat may take, all attempts and delays included (but
  /// never less than one `timeout`): a retry that would end past it is not
  /// made, and each attempt gets at most the time left.
  std::chrono::milliseconds deadline{600000};
  /// Larger responses are refused.
  size_t maxResponseBytes = size_t(4) << 20;
  unsigned maxTokens = 4096;
  /// Record every response here (`--llm-record`).
  std::string recordDir;
  /// Answer requests from recordings here (`--llm-replay`); a request that
  /// was not recorded is an error unless recordDir is set too, in which case
  /// it goes to the service and is recorded.
  std::string replayDir;

  /// Whether an LLM is configured (a URL, or recordings to replay).
  bool isEnabled() const { return !url.empty() || !replayDir.empty(); }
  /// Checks that an enabled configuration is complete.
  llvm::Error validate() const;
  /// One line for logs, without the key: `openai model 'm' at URL (API key
  /// set)`.
  std::string describe() const;
};

/// Command-line values that override the environment (never the key).
struct ConfigOverrides {
  std::string url;
  std::string model;
  std::string recordDir;
  std::string replayDir;
  /// `--no-llm`: no LLM even when the environment configures one.
  bool disable = false;
};

/// Reads CUPILOT_LLM_URL, CUPILOT_LLM_MODEL, CUPILOT_LLM_API_KEY,
/// CUPILOT_LLM_API (openai|anthropic), CUPILOT_LLM_TIMEOUT (seconds),
/// CUPILOT_LLM_MAX_RETRIES, CUPILOT_LLM_RETRY_DELAY_MS, CUPILOT_LLM_RECORD
/// and CUPILOT_LLM_REPLAY, then applies `overrides`. Malformed values are
/// errors; the result is validated when enabled.
llvm::Expected<Config> loadConfig(const ConfigOverrides &overrides = {});

struct Message {
  /// `system`, `user` or `assistant`.
  std::string role;
  std::string content;
};

/// Replaces `secret` in `text` with `[REDACTED]`, and also every run of 8 or
/// more consecutive characters of it (services echo partly masked keys).
/// Userinfo in URLs (`https://user:pw@host`) is redacted too.
std::string redact(llvm::StringRef text, llvm::StringRef secret);

/// The longest wait before a retry.
constexpr std::chrono::milliseconds MaxRetryDelay{60000};

/// The wait before retry `retry` (0 for the first): `retryAfterSeconds` when
/// the service sent `Retry-After`, else `config.retryDelay` doubled per
/// earlier retry; at most MaxRetryDelay and at most `config.timeout`.
std::chrono::milliseconds
retryBackoff(const Config &config, unsigned retry,
             std::optional<unsigned> retryAfterSeconds = std::nullopt);

/// The request body for `messages` (deterministic: same input, same bytes).
std::string buildRequestBody(const Config &config,
                             llvm::ArrayRef<Message> messages);

/// The assistant's text in a response body of `provider`.
llvm::Expected<std::string> parseChatResponse(Provider provider,
                                              llvm::StringRef body);

/// The endpoint requests are posted to.
std::string getEndpoint(const Config &config);

struct ChatResult {
  std::string content;
  /// SHA-256 of the request body (the record/replay key).
  std::string requestKey;
  bool replayed = false;
};

class Client {
public:
  explicit Client(Config config) : config(std::move(config)) {}

  /// Sends `messages` (or replays the recorded answer) and returns the
  /// assistant's text. Every error message is redacted.
  llvm::Expected<ChatResult> chat(llvm::ArrayRef<Message> messages);

  const Config &getConfig() const { return config; }
  /// HTTP requests sent so far (retries included; replays excluded).
  unsigned getRequestCount() const { return requests; }

private:
  llvm::Expected<std::string> post(const std::string &body);

  Config config;
  unsigned requests = 0;
};

} // namespace cupilot::llm

#endif // CUPILOT_LLM_CLIENT_H
