//===- Http.cpp - HTTP POST over libcurl ----------------------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "Http.h"
#include "cupilot/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

// The type-checking macros of curl.h would rename the function pointers below.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <dlfcn.h>

#include <mutex>

using namespace cupilot;
using namespace cupilot::llm;

namespace {

/// The libcurl functions cupilot uses, resolved from the shared library.
struct CurlLibrary {
  CURLcode (*globalInit)(long);
  CURL *(*easyInit)();
  CURLcode (*setopt)(CURL *, CURLoption, ...);
  CURLcode (*perform)(CURL *);
  CURLcode (*getinfo)(CURL *, CURLINFO, ...);
  void (*cleanup)(CURL *);
  const char *(*strerror)(CURLcode);
  curl_slist *(*slistAppend)(curl_slist *, const char *);
  void (*slistFreeAll)(curl_slist *);
};

llvm::Expected<const CurlLibrary *> loadCurl() {
  static CurlLibrary library;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    void *handle = nullptr;
    for (const char *name : {"libcurl.so.4", "libcurl-gnutls.so.4",
                             "libcurl-nss.so.4", "libcurl.so"})
      if ((handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)))
        break;
    if (!handle) {
      error = "cannot load libcurl (libcurl.so.4): install libcurl4 to use "
              "an LLM";
      return;
    }
    bool ok = true;
    auto resolve = [&](auto &fn, const char *symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(handle, symbol));
      if (!fn && ok) {
        ok = false;
        error = std::string("libcurl lacks ") + symbol;
      }
    };
    resolve(library.globalInit, "curl_global_init");
    resolve(library.easyInit, "curl_easy_init");
    resolve(library.setopt, "curl_easy_setopt");
    resolve(library.perform, "curl_easy_perform");
    resolve(library.getinfo, "curl_easy_getinfo");
    resolve(library.cleanup, "curl_easy_cleanup");
    resolve(library.strerror, "curl_easy_strerror");
    resolve(library.slistAppend, "curl_slist_append");
    resolve(library.slistFreeAll, "curl_slist_free_all");
    if (ok && library.globalInit(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      ok = false;
      error = "curl_global_init failed";
    }
    if (!ok)
      library.easyInit = nullptr;
  });
  if (!library.easyInit)
    return makeError(ExitCode::LLMError, "{0}", error);
  return &library;
}

struct Transfer {
  std::string body;
  size_t maxBytes = 0;
  bool tooLarge = false;
  std::optional<unsigned> retryAfter;
};

size_t onBody(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  size_t n = size * count;
  if (t->body.size() + n > t->maxBytes) {
    t->tooLarge = true;
    return 0; // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, n);
  return n;
}

size_t onHeader(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  llvm::StringRef line(data, size * count);
  auto [name, value] = line.split(':');
  unsigned seconds;
  if (name.trim().equals_insensitive("retry-after") &&
      !value.trim().getAsInteger(10, seconds))
    t->retryAfter = seconds;
  return size * count;
}

} // namespace

llvm::Expected<HttpResponse>
cupilot::llm::httpPost(const std::string &url,
                       const std::vector<std::string> &headers,
                       const std::string &body,
                       std::chrono::milliseconds timeout, size_t maxBytes) {
  auto curl = loadCurl();
  if (!curl)
    return curl.takeError();
  const CurlLibrary &c = **curl;
  CURL *h = c.easyInit();
  if (!h)
    return makeError(ExitCode::LLMError, "curl_easy_init failed");
  curl_slist *list = nullptr;
  for (const std::string &header : headers)
    list = c.slistAppend(list, header.c_str());
  // No `Expect: 100-continue` round trip for larger bodies.
  list = c.slistAppend(list, "Expect:");

  Transfer transfer;
  transfer.maxBytes = maxBytes;
  char errorBuffer[CURL_ERROR_SIZE] = {0};
  long timeoutMs = static_cast<long>(std::max<int64_t>(1, timeout.count()));
  c.setopt(h, CURLOPT_URL, url.c_str());
  c.setopt(h, CURLOPT_POST, 1L);
  c.setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  c.setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
           static_cast<curl_off_t>(body.size()));
  c.setopt(h, CURLOPT_HTTPHEADER, list);
  c.setopt(h, CURLOPT_TIMEOUT_MS, timeoutMs);
  c.setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeoutMs, 30000L));
  c.setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  c.setopt(h, CURLOPT_USERAGENT, "cupilot");
  c.setopt(h, CURLOPT_ERRORBUFFER, errorBuffer);
  c.setopt(h, CURLOPT_WRITEFUNCTION, &onBody);
  c.setopt(h, CURLOPT_WRITEDATA, &transfer);
  c.setopt(h, CURLOPT_HEADERFUNCTION, &onHeader);
  c.setopt(h, CURLOPT_HEADERDATA, &transfer);
  // Only web protocols, whatever the URL says (libcurl >= 7.85).
  c.setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

  CURLcode rc = c.perform(h);
  long status = 0;
  c.getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  c.cleanup(h);
  c.slistFreeAll(list);

  std::string detail = errorBuffer[0] ? errorBuffer : c.strerror(rc);
  switch (rc) {
  case CURLE_OK:
    break;
  case CURLE_WRITE_ERROR:
    if (transfer.tooLarge)
      return makeError(ExitCode::LLMError,
                       "the response from {0} exceeds {1} bytes", url,
                       maxBytes);
    return makeError(ExitCode::LLMError, "reading the response from {0}: {1}",
                     url, detail);
  case CURLE_OPERATION_TIMEDOUT:
    return makeError(ExitCode::LLMError,
                     "no complete response from {0} within {1} ms (timeout; "
                     "CUPILOT_LLM_TIMEOUT sets it in seconds)",
                     url, timeoutMs);
  case CURLE_COULDNT_CONNECT:
    return makeError(ExitCode::LLMError, "cannot connect to {0}: {1}", url,
                     detail);
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return makeError(ExitCode::LLMError, "cannot resolve the host of {0}: {1}",
                     url, detail);
  default:
    return makeError(ExitCode::LLMError, "request to {0} failed: {1}", url,
                     detail);
  }
  HttpResponse response;
  response.status = status;
  response.body = std::move(transfer.body);
  response.retryAfterSeconds = transfer.retryAfter;
  return response;
}
