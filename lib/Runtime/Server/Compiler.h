//===- Compiler.h - NVRTC compilation with a content-hash cache -*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_COMPILER_H
#define CUPILOT_LIB_RUNTIME_SERVER_COMPILER_H

#include "CudaApi.h"

#include "cupilot/Runtime/Protocol.h"

#include <map>
#include <string>
#include <vector>

namespace cupilot {
namespace worker {

struct CompiledProgram {
  std::string cubin;
  /// Name expression -> lowered (mangled) name.
  std::map<std::string, std::string> lowered;
  protocol::CompileInfo info;
};

/// Compiles CUDA C++ to cubins with NVRTC. Results are cached by the SHA-256
/// of (cache format, NVRTC version, arch, options, name expressions,
/// source): in memory for the life of the worker and, when a cache
/// directory is given, on disk as <hash>.cubin + <hash>.names.
/// Whether an nvrtcCompileProgram status is a verdict on the program (a
/// compile error, cached as such) rather than a transient or internal
/// failure (an internal error, never cached).
bool isCompileError(nvrtcResult status);

class Compiler {
public:
  Compiler(const NvrtcApi &nvrtc, std::string cudaPath, std::string cacheDir)
      : nvrtc(nvrtc), cudaPath(std::move(cudaPath)),
        cacheDir(std::move(cacheDir)) {}
  const std::string &getCudaPath() const { return cudaPath; }

  /// Compiles `program` for `arch` (sm_XX); on failure fills `error` (kind
  /// compile_error with the NVRTC log when NVRTC rejected the program or
  /// its options or a kernel is not defined in it, cached; internal
  /// otherwise, not cached).
  bool compile(const protocol::ProgramSpec &program, const std::string &arch,
               const std::vector<std::string> &kernels, CompiledProgram &out,
               protocol::ReplyError &error);

  /// The options passed to NVRTC: the program's, then the architecture and
  /// the toolkit's include directories unless the program gives them.
  std::vector<std::string>
  effectiveOptions(const protocol::ProgramSpec &program,
                   const std::string &arch) const;

private:
  bool readCache(const std::string &hash, CompiledProgram &out);
  void writeCache(const std::string &hash, const CompiledProgram &program);
  /// Compile errors are cached too (`<hash>.failed`, keyed also by the
  /// program name, which NVRTC's log mentions): a worker that meets a
  /// program another worker already failed to compile replies with the same
  /// error and log without compiling it again.
  bool readFailure(const std::string &hash, const std::string &name,
                   protocol::ReplyError &error);
  void writeFailure(const std::string &hash, const std::string &name,
                    const protocol::ReplyError &error);

  const NvrtcApi &nvrtc;
  std::string cudaPath;
  std::string cacheDir;
  std::map<std::string, CompiledProgram> memory;
};

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_COMPILER_H
