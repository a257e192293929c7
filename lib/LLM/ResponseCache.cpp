//===- ResponseCache.cpp - Record/replay of LLM responses -----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/ResponseCache.h"
#include "cupilot/Support/Error.h"
#include "cupilot/Support/Hashing.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace cupilot;
using namespace cupilot::llm;

std::string ResponseCache::keyFor(llvm::StringRef requestBody) {
  return sha256Hex(requestBody);
}

std::string ResponseCache::pathFor(llvm::StringRef requestBody) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, keyFor(requestBody) + ".json");
  return std::string(path);
}

llvm::Expected<std::optional<std::string>>
ResponseCache::lookup(llvm::StringRef requestBody) const {
  std::string path = pathFor(requestBody);
  if (!llvm::sys::fs::exists(path))
    return std::nullopt;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError(ExitCode::LLMError, "{0}: cannot read the recording: {1}",
                     path, buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError(ExitCode::LLMError,
                     "{0}: not a recording (invalid "
                     "JSON: {1})",
                     path, llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  std::optional<llvm::StringRef> response =
      object ? object->getString("response") : std::nullopt;
  if (!response)
    return makeError(ExitCode::LLMError,
                     "{0}: not a recording (no \"response\" string)", path);
  return response->str();
}

llvm::Error ResponseCache::store(llvm::StringRef requestBody,
                                 llvm::StringRef responseBody) const {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(ExitCode::OutputError,
                     "cannot create the recording directory '{0}': {1}", dir,
                     ec.message());
  llvm::json::Value request = requestBody.str();
  if (auto parsed = llvm::json::parse(requestBody))
    request = std::move(*parsed);
  else
    llvm::consumeError(parsed.takeError());
  llvm::json::Object recording{{"request", std::move(request)},
                               {"response", responseBody.str()}};
  std::string path = pathFor(requestBody);
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", llvm::json::Value(std::move(recording)))
           << "\n";
        return llvm::Error::success();
      }))
    return makeError(ExitCode::OutputError, "cannot write '{0}': {1}", path,
                     llvm::toString(std::move(e)));
  return llvm::Error::success();
}
