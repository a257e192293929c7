//===- Client.cpp - Chat client for an LLM service ------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/Client.h"
#include "Http.h"
#include "cupilot/LLM/ResponseCache.h"
#include "cupilot/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <thread>

using namespace cupilot;
using namespace cupilot::llm;

llvm::StringRef cupilot::llm::toString(Provider provider) {
  return provider == Provider::Anthropic ? "anthropic" : "openai";
}

//===----------------------------------------------------------------------===//
// Configuration
//===----------------------------------------------------------------------===//

llvm::Error Config::validate() const {
  if (!isEnabled())
    return llvm::Error::success();
  if (model.empty())
    return makeError(ExitCode::Usage,
                     "an LLM is configured but no model is named: set "
                     "CUPILOT_LLM_MODEL or pass --llm-model");
  llvm::StringRef u(url);
  if (!u.empty() && !u.starts_with("http://") && !u.starts_with("https://"))
    return makeError(ExitCode::Usage,
                     "the LLM URL '{0}' is not an http:// or https:// URL",
                     redact(url, apiKey));
  if (url.empty() && !recordDir.empty())
    return makeError(ExitCode::Usage,
                     "recording LLM responses needs a URL (CUPILOT_LLM_URL "
                     "or --llm-url)");
  return llvm::Error::success();
}

std::string Config::describe() const {
  if (!isEnabled())
    return "no LLM";
  std::string out = toString(provider).str() + " model '" + model + "'";
  if (!url.empty())
    out += " at " + redact(getEndpoint(*this), apiKey);
  out += apiKey.empty() ? " (no API key)" : " (API key set)";
  if (!replayDir.empty())
    out += ", replaying " + replayDir;
  if (!recordDir.empty())
    out += ", recording to " + recordDir;
  return out;
}

static std::string getEnv(const char *name) {
  const char *value = std::getenv(name);
  return value ? value : "";
}

llvm::Expected<Config> cupilot::llm::loadConfig(const ConfigOverrides &o) {
  Config c;
  if (o.disable)
    return c;
  c.url = getEnv("CUPILOT_LLM_URL");
  c.model = getEnv("CUPILOT_LLM_MODEL");
  c.apiKey = getEnv("CUPILOT_LLM_API_KEY");
  c.recordDir = getEnv("CUPILOT_LLM_RECORD");
  c.replayDir = getEnv("CUPILOT_LLM_REPLAY");
  std::string api = getEnv("CUPILOT_LLM_API");
  if (api == "anthropic")
    c.provider = Provider::Anthropic;
  else if (!api.empty() && api != "openai")
    return makeError(ExitCode::Usage,
                     "CUPILOT_LLM_API is '{0}'; expected openai or anthropic",
                     api);
  if (std::string t = getEnv("CUPILOT_LLM_TIMEOUT"); !t.empty()) {
    double seconds;
    if (llvm::StringRef(t).getAsDouble(seconds) || !(seconds > 0) ||
        seconds > 3600)
      return makeError(ExitCode::Usage,
                       "CUPILOT_LLM_TIMEOUT is '{0}'; expected seconds in "
                       "(0, 3600]",
                       t);
    c.timeout =
        std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
  }
  if (std::string r = getEnv("CUPILOT_LLM_MAX_RETRIES"); !r.empty()) {
    unsigned retries;
    if (llvm::StringRef(r).getAsInteger(10, retries) || retries > 10)
      return makeError(ExitCode::Usage,
                       "CUPILOT_LLM_MAX_RETRIES is '{0}'; expected 0 to 10", r);
    c.maxRetries = retries;
  }
  if (std::string d = getEnv("CUPILOT_LLM_RETRY_DELAY_MS"); !d.empty()) {
    unsigned ms;
    if (llvm::StringRef(d).getAsInteger(10, ms) || ms > 60000)
      return makeError(ExitCode::Usage,
                       "CUPILOT_LLM_RETRY_DELAY_MS is '{0}'; expected 0 to "
                       "60000",
                       d);
    c.retryDelay = std::chrono::milliseconds(ms);
  }
  if (std::string t = getEnv("CUPILOT_LLM_DEADLINE"); !t.empty()) {
    double seconds;
    if (llvm::StringRef(t).getAsDouble(seconds) || !(seconds > 0) ||
        seconds > 86400)
      return makeError(ExitCode::Usage,
                       "CUPILOT_LLM_DEADLINE is '{0}'; expected seconds in "
                       "(0, 86400]",
                       t);
    c.deadline =
        std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
  }
  if (!o.url.empty())
    c.url = o.url;
  if (!o.model.empty())
    c.model = o.model;
  if (!o.recordDir.empty())
    c.recordDir = o.recordDir;
  if (!o.replayDir.empty())
    c.replayDir = o.replayDir;
  if (llvm::Error e = c.validate())
    return std::move(e);
  return c;
}

//===----------------------------------------------------------------------===//
// Redaction
//===----------------------------------------------------------------------===//

std::string cupilot::llm::redact(llvm::StringRef text, llvm::StringRef secret) {
  // Marks the bytes to hide: runs of >= MinRun characters that occur in the
  // secret (the whole secret when it is shorter).
  std::vector<bool> hide(text.size(), false);
  if (!secret.empty()) {
    size_t minRun = std::min<size_t>(8, secret.size());
    for (size_t i = 0; i < text.size(); ++i) {
      size_t best = 0;
      for (size_t j = 0; j < secret.size() && best < secret.size() - j; ++j) {
        size_t n = 0;
        while (i + n < text.size() && j + n < secret.size() &&
               text[i + n] == secret[j + n])
          ++n;
        best = std::max(best, n);
      }
      if (best >= minRun)
        std::fill(hide.begin() + i, hide.begin() + i + best, true);
    }
  }
  // URL userinfo: `scheme://user:password@host`.
  for (size_t at = text.find("://"); at != llvm::StringRef::npos;
       at = text.find("://", at + 3)) {
    size_t start = at + 3;
    size_t end = start;
    while (end < text.size() &&
           !llvm::StringRef("/@ \t\n\"'").contains(text[end]))
      ++end;
    if (end < text.size() && text[end] == '@')
      std::fill(hide.begin() + start, hide.begin() + end, true);
  }
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!hide[i]) {
      out += text[i];
      continue;
    }
    if (i == 0 || !hide[i - 1])
      out += "[REDACTED]";
  }
  return out;
}

static llvm::Error redacted(llvm::Error err, llvm::StringRef secret,
                            llvm::StringRef prefix = "") {
  ExitCode code = ExitCode::LLMError;
  std::string message;
  llvm::handleAllErrors(
      std::move(err),
      [&](const CupilotError &e) {
        code = e.getExitCode();
        message += e.getMessage();
      },
      [&](const llvm::ErrorInfoBase &e) { message += e.message(); });
  return llvm::make_error<CupilotError>(code,
                                        redact(prefix.str() + message, secret));
}

//===----------------------------------------------------------------------===//
// Wire formats
//===----------------------------------------------------------------------===//

std::string cupilot::llm::getEndpoint(const Config &config) {
  llvm::StringRef url = llvm::StringRef(config.url).rtrim('/');
  llvm::StringRef path = config.provider == Provider::Anthropic
                             ? "/messages"
                             : "/chat/completions";
  if (url.ends_with(path))
    return url.str();
  return url.str() + path.str();
}

std::string cupilot::llm::buildRequestBody(const Config &config,
                                           llvm::ArrayRef<Message> messages) {
  llvm::json::Array list;
  std::string system;
  for (const Message &m : messages) {
    if (config.provider == Provider::Anthropic && m.role == "system") {
      system += (system.empty() ? "" : "\n\n") + m.content;
      continue;
    }
    list.push_back(
        llvm::json::Object{{"role", m.role}, {"content", m.content}});
  }
  llvm::json::Object body{
      {"model", config.model},
      {"max_tokens", static_cast<int64_t>(config.maxTokens)},
      {"messages", std::move(list)}};
  if (!system.empty())
    body["system"] = system;
  std::string out;
  llvm::raw_string_ostream os(out);
  // llvm::json prints object keys sorted: the body is deterministic.
  os << llvm::json::Value(std::move(body));
  return out;
}

/// A short excerpt of a body for error messages.
static std::string excerpt(llvm::StringRef body) {
  std::string out;
  for (char c : body.take_front(300))
    out += llvm::isPrint(c) ? c : ' ';
  if (body.size() > 300)
    out += "...";
  return out;
}

llvm::Expected<std::string>
cupilot::llm::parseChatResponse(Provider provider, llvm::StringRef body) {
  auto json = llvm::json::parse(body);
  if (!json)
    return makeError(ExitCode::LLMError,
                     "the response is not valid JSON ({0}): {1}",
                     llvm::toString(json.takeError()), excerpt(body));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return makeError(ExitCode::LLMError,
                     "the response is not a JSON object: {0}", excerpt(body));
  if (const llvm::json::Object *error = root->getObject("error")) {
    std::optional<llvm::StringRef> message = error->getString("message");
    return makeError(ExitCode::LLMError, "the service reported an error: {0}",
                     message ? excerpt(*message) : excerpt(body));
  }
  if (provider == Provider::Anthropic) {
    const llvm::json::Array *content = root->getArray("content");
    if (!content)
      return makeError(ExitCode::LLMError,
                       "the response has no 'content' list: {0}",
                       excerpt(body));
    std::string text;
    for (const llvm::json::Value &part : *content)
      if (const llvm::json::Object *p = part.getAsObject())
        if (p->getString("type") == llvm::StringRef("text"))
          if (std::optional<llvm::StringRef> t = p->getString("text"))
            text += t->str();
    if (text.empty())
      return makeError(ExitCode::LLMError,
                       "the response has no text content: {0}", excerpt(body));
    return text;
  }
  const llvm::json::Array *choices = root->getArray("choices");
  if (!choices || choices->empty())
    return makeError(ExitCode::LLMError, "the response has no 'choices': {0}",
                     excerpt(body));
  const llvm::json::Object *choice = (*choices)[0].getAsObject();
  const llvm::json::Object *message =
      choice ? choice->getObject("message") : nullptr;
  std::optional<llvm::StringRef> content =
      message ? message->getString("content") : std::nullopt;
  if (!content)
    return makeError(ExitCode::LLMError,
                     "the response has no choices[0].message.content string: "
                     "{0}",
                     excerpt(body));
  return content->str();
}

//===----------------------------------------------------------------------===//
// Client
//===----------------------------------------------------------------------===//

/// The service's own explanation in an error body, else an excerpt.
static std::string serverMessage(llvm::StringRef body) {
  if (auto json = llvm::json::parse(body)) {
    if (const llvm::json::Object *root = json->getAsObject()) {
      if (const llvm::json::Object *error = root->getObject("error"))
        if (std::optional<llvm::StringRef> m = error->getString("message"))
          return excerpt(*m);
      if (std::optional<llvm::StringRef> m = root->getString("message"))
        return excerpt(*m);
    }
  } else {
    llvm::consumeError(json.takeError());
  }
  return body.trim().empty() ? "(empty body)" : excerpt(body.trim());
}

std::chrono::milliseconds
cupilot::llm::retryBackoff(const Config &config, unsigned retry,
                           std::optional<unsigned> retryAfterSeconds) {
  std::chrono::milliseconds cap = std::min(MaxRetryDelay, config.timeout);
  if (retryAfterSeconds)
    return std::min<std::chrono::milliseconds>(
        cap, std::chrono::seconds(std::min(*retryAfterSeconds, 3600u)));
  // Doubling saturates at the cap (no overflow however many retries).
  std::chrono::milliseconds delay = std::min(config.retryDelay, cap);
  for (unsigned i = 0;
       i < retry && delay > std::chrono::milliseconds(0) && delay < cap; ++i)
    delay = std::min(delay * 2, cap);
  return delay;
}

llvm::Expected<std::string> Client::post(const std::string &body) {
  std::string endpoint = getEndpoint(config);
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (config.provider == Provider::Anthropic) {
    headers.push_back("anthropic-version: 2023-06-01");
    if (!config.apiKey.empty())
      headers.push_back("x-api-key: " + config.apiKey);
  } else if (!config.apiKey.empty()) {
    headers.push_back("Authorization: Bearer " + config.apiKey);
  }
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::max(config.deadline, config.timeout);
  auto timeLeft = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 Clock::now());
  };
  for (unsigned attempt = 0;; ++attempt) {
    ++requests;
    auto response = httpPost(endpoint, headers, body,
                             std::max(std::chrono::milliseconds(1),
                                      std::min(config.timeout, timeLeft())),
                             config.maxResponseBytes);
    if (!response)
      return response.takeError();
    long status = response->status;
    if (status >= 200 && status < 300)
      return std::move(response->body);
    std::string why = serverMessage(response->body);
    bool transient = status == 429 || status >= 500;
    if (transient && attempt < config.maxRetries) {
      std::chrono::milliseconds wait =
          retryBackoff(config, attempt, response->retryAfterSeconds);
      // A retry needs time for the wait and for an answer.
      if (wait >= timeLeft())
        return makeError(
            ExitCode::LLMError,
            "{0} answered HTTP {1} to {2} attempts; giving up: a retry in "
            "{3} ms would pass the {4} s deadline (CUPILOT_LLM_DEADLINE): {5}",
            endpoint, status, attempt + 1, wait.count(),
            std::chrono::duration_cast<std::chrono::seconds>(
                std::max(config.deadline, config.timeout))
                .count(),
            why);
      std::this_thread::sleep_for(wait);
      continue;
    }
    if (transient)
      return makeError(ExitCode::LLMError,
                       "{0} answered HTTP {1} to {2} attempts; giving up: {3}",
                       endpoint, status, attempt + 1, why);
    std::string hint;
    if (status == 401 || status == 403)
      hint = " (check CUPILOT_LLM_API_KEY)";
    else if (status == 404)
      hint = " (check CUPILOT_LLM_URL and the model name)";
    return makeError(ExitCode::LLMError, "{0} answered HTTP {1}{2}: {3}",
                     endpoint, status, hint, why);
  }
}

llvm::Expected<ChatResult> Client::chat(llvm::ArrayRef<Message> messages) {
  if (!config.isEnabled())
    return makeError(ExitCode::Usage, "no LLM is configured (set "
                                      "CUPILOT_LLM_URL and CUPILOT_LLM_MODEL, "
                                      "see docs/LLM.md)");
  ChatResult result;
  std::string body = buildRequestBody(config, messages);
  result.requestKey = ResponseCache::keyFor(body);
  if (!config.replayDir.empty()) {
    ResponseCache replay(config.replayDir);
    auto recorded = replay.lookup(body);
    if (!recorded)
      return redacted(recorded.takeError(), config.apiKey);
    if (*recorded) {
      auto content = parseChatResponse(config.provider, **recorded);
      if (!content)
        return redacted(content.takeError(), config.apiKey,
                        "recorded response " + replay.pathFor(body) + ": ");
      // Recordings made before responses were redacted may hold the key.
      result.content = config.apiKey.empty() ? std::move(*content)
                                             : redact(*content, config.apiKey);
      result.replayed = true;
      return result;
    }
    if (config.recordDir.empty() || config.url.empty())
      return makeError(ExitCode::LLMError,
                       "no recorded response for this request in '{0}' (key "
                       "{1}); record one with --llm-record",
                       config.replayDir, result.requestKey);
  }
  auto raw = post(body);
  if (!raw)
    return redacted(raw.takeError(), config.apiKey, "LLM request failed: ");
  // A service or proxy that echoes the request's headers would put the key
  // into the recording, the logs and the database: redact the body before
  // anything reads it (the redaction keeps JSON strings intact).
  if (!config.apiKey.empty())
    *raw = redact(*raw, config.apiKey);
  auto content = parseChatResponse(config.provider, *raw);
  if (!content)
    return redacted(content.takeError(), config.apiKey,
                    "LLM response from " + getEndpoint(config) + ": ");
  if (!config.recordDir.empty())
    if (llvm::Error e = ResponseCache(config.recordDir).store(body, *raw))
      return redacted(std::move(e), config.apiKey);
  result.content = std::move(*content);
  return result;
}
