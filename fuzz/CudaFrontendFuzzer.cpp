//===- CudaFrontendFuzzer.cpp - Fuzz target of the CUDA frontend ----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is a CUDA source file. It is written to a temporary .cu file and
// indexed with cupilot::indexCudaFile against the real CUDA headers (the
// toolkit baked in at build time, or $CUPILOT_CUDA_PATH), host side, as
// `cupilot-opt FILE.cu --list-kernels` does. Clang itself is not
// instrumented; the target looks for bugs in cupilot's use of the AST (the
// kernel extractor and features), in the index writers and in task drafting.
//
// Checks: a source that does not parse gives a ParseError; the JSON index is
// valid JSON; a drafted task that validates survives writeTask + parseTask.
//
// Each input is parsed in well under a second, so that libFuzzer's -timeout
// catches real hangs: clang gets tighter limits on template instantiation and
// constant evaluation than its defaults. Inputs that would make the harness
// itself misbehave (reading device files, clang's crash-on-purpose pragmas)
// are skipped.
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Frontend/KernelIndexIO.h"
#include "cupilot/Frontend/TaskTemplate.h"
#include "cupilot/Strategy/TaskIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace cupilot;
using namespace cupilot::fuzz;

namespace {

/// The temporary .cu file every input is written to.
llvm::SmallString<128> sourcePath;

void removeSourceFile() {
  if (!sourcePath.empty())
    llvm::sys::fs::remove(sourcePath);
}

const FrontendOptions &getOptions() {
  static const FrontendOptions options = [] {
    FrontendOptions options = FrontendOptions::getDefault();
    options.printDiagnostics = false;
    options.extraArgs = {"-w",
                         "-ferror-limit=10",
                         "-ftemplate-depth=256",
                         "-fconstexpr-depth=128",
                         "-fconstexpr-steps=200000",
                         "-fbracket-depth=256"};
    return options;
  }();
  return options;
}

/// Inputs outside what the harness can run hermetically.
bool isSkipped(llvm::StringRef text) {
  // `#include "/dev/stdin"` blocks, `/dev/zero` never ends, and
  // `#pragma clang __debug crash` crashes clang on purpose.
  return text.contains("/dev/") || text.contains("/proc/") ||
         text.contains("/sys/") || text.contains("__debug");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "cupilot-fuzz", "cu", fd, sourcePath)) {
    std::fprintf(stderr, "cannot create a temporary file: %s\n",
                 ec.message().c_str());
    std::exit(1);
  }
  ::close(fd);
  std::atexit(removeSourceFile);
  const FrontendOptions &options = getOptions();
  if (!llvm::sys::fs::exists(options.cudaPath + "/include/cuda_runtime.h")) {
    std::fprintf(stderr,
                 "no CUDA toolkit at '%s'; set CUPILOT_CUDA_PATH\n",
                 options.cudaPath.c_str());
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  if (isSkipped(text))
    return 0;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(sourcePath, ec);
    if (ec)
      fail("cannot write " + sourcePath + ": " + ec.message());
    os << text;
  }

  auto index = indexCudaFile(sourcePath, getOptions());
  if (!index) {
    expectError(index.takeError(), ExitCode::ParseError, "indexCudaFile");
    return 0;
  }

  std::string json;
  llvm::raw_string_ostream jsonStream(json);
  printKernelIndexJSON(*index, jsonStream);
  if (auto parsed = llvm::json::parse(json); !parsed)
    fail("the JSON kernel index is not valid JSON: " +
         llvm::toString(parsed.takeError()));

  std::string table;
  llvm::raw_string_ostream tableStream(table);
  printKernelIndexTable(*index, tableStream);

  for (const KernelInfo &kernel : index->kernels) {
    TaskDraft draft = draftTask(kernel);
    (void)renderTaskTemplate(draft, std::string(sourcePath));
    if (llvm::Error err = validateTask(draft.task)) {
      llvm::consumeError(std::move(err));
      continue;
    }
    std::string written = writeTask(draft.task);
    auto reread = parseTask(written, "draft.task.yaml");
    if (!reread)
      fail("a drafted task that validates does not read back: " +
           llvm::toString(reread.takeError()) + "\n--- written:\n" + written);
  }
  return 0;
}
