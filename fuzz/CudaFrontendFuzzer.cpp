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
// Parsing the CUDA headers dominates the time per input, so the harness
// precompiles them once at start-up (clang -emit-pch of an empty .cu with the
// frontend's flags) and passes -include-pch; the headers are still the real
// ones. If the PCH cannot be built or does not fit the frontend's flags, or
// with CUPILOT_FUZZ_NO_PCH=1, every input parses the headers (about 4x
// slower). Clang gets tighter limits on template instantiation and constant
// evaluation than its defaults, so that libFuzzer's -timeout catches real
// hangs. Inputs that would make the harness itself misbehave (reading device
// files, clang's crash-on-purpose pragmas) are skipped.
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Frontend/CudaFrontend.h"
#include "cupilot/Frontend/KernelIndexIO.h"
#include "cupilot/Frontend/TaskTemplate.h"
#include "cupilot/Strategy/TaskIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace cupilot;
using namespace cupilot::fuzz;

namespace {

/// The temporary .cu file every input is written to; the PCH and the empty
/// .cu it was built from (which must stay unchanged while the PCH is used).
llvm::SmallString<128> sourcePath;
llvm::SmallString<128> pchPath;
llvm::SmallString<128> pchSourcePath;

void removeTemporaryFiles() {
  for (const auto &path : {sourcePath, pchPath, pchSourcePath})
    if (!path.empty())
      llvm::sys::fs::remove(path);
}

FrontendOptions options;

/// Writes `text` to the temporary source file.
void writeSource(llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(sourcePath, ec);
  if (ec)
    fail("cannot write " + sourcePath + ": " + ec.message());
  os << text;
}

/// Precompiles the CUDA headers with the flags the frontend passes for the
/// host side (lib/Frontend/CudaFrontend.cpp) and switches `options` to use
/// the PCH if a known kernel still indexes with it.
void usePrecompiledHeaders() {
  if (std::getenv("CUPILOT_FUZZ_NO_PCH"))
    return;
  auto clang = llvm::sys::findProgramByName(CUPILOT_FUZZ_CLANG);
  if (!clang) {
    std::fprintf(stderr, "fuzz-cuda-frontend: no %s; parsing without a PCH\n",
                 CUPILOT_FUZZ_CLANG);
    return;
  }
  int fd;
  if (llvm::sys::fs::createTemporaryFile("cupilot-fuzz", "pch", fd, pchPath))
    return;
  ::close(fd);
  if (llvm::sys::fs::createTemporaryFile("cupilot-fuzz-pch", "cu", fd,
                                         pchSourcePath))
    return;
  ::close(fd);
  std::vector<std::string> args = {*clang,
                                   "-xcuda",
                                   "--cuda-host-only",
                                   "--cuda-path=" + options.cudaPath,
                                   "-Wno-unknown-cuda-version",
                                   "-isystem",
                                   options.cudaPath + "/include/cccl",
                                   "--cuda-gpu-arch=" + options.gpuArch,
                                   "-resource-dir=" + options.resourceDir};
  args.insert(args.end(), options.extraArgs.begin(), options.extraArgs.end());
  args.insert(args.end(), {"-c", "-Xclang", "-emit-pch", "-o",
                           std::string(pchPath), std::string(pchSourcePath)});
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  if (llvm::sys::ExecuteAndWait(*clang, argRefs, std::nullopt, {}, 120, 0,
                                &message) != 0) {
    std::fprintf(stderr,
                 "fuzz-cuda-frontend: cannot build a PCH (%s); parsing "
                 "without one\n",
                 message.c_str());
    return;
  }
  FrontendOptions withPCH = options;
  withPCH.extraArgs.push_back("-include-pch");
  withPCH.extraArgs.push_back(std::string(pchPath));
  writeSource("__global__ void probe(float *x) { x[threadIdx.x] = 0; }\n");
  FrontendOptions probe = withPCH;
  probe.printDiagnostics = true;
  auto index = indexCudaFile(sourcePath, probe);
  if (!index || index->kernels.size() != 1) {
    std::string why = index ? "the probe kernel was not indexed"
                            : llvm::toString(index.takeError());
    std::fprintf(stderr,
                 "fuzz-cuda-frontend: the PCH does not fit the frontend's "
                 "flags (%s); parsing without one\n",
                 why.c_str());
    return;
  }
  options = withPCH;
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
  std::atexit(removeTemporaryFiles);
  options = FrontendOptions::getDefault();
  options.printDiagnostics = false;
  options.extraArgs = {"-w",
                       "-ferror-limit=10",
                       "-ftemplate-depth=256",
                       "-fconstexpr-depth=128",
                       "-fconstexpr-steps=200000",
                       "-fbracket-depth=256"};
  if (!llvm::sys::fs::exists(options.cudaPath + "/include/cuda_runtime.h")) {
    std::fprintf(stderr, "no CUDA toolkit at '%s'; set CUPILOT_CUDA_PATH\n",
                 options.cudaPath.c_str());
    std::exit(1);
  }
  usePrecompiledHeaders();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text = asText(data, size);
  if (isSkipped(text))
    return 0;
  writeSource(text);
  auto index = indexCudaFile(sourcePath, options);
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
