//===- CudaFrontend.h - Parsing CUDA translation units ----------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Parses a CUDA source file with Clang against the real CUDA toolkit headers
// and hands back the AST (for the rewrite layer) or the KernelIndex (for
// everything else). Parse errors are printed as clang diagnostics and turned
// into an llvm::Error with ExitCode::ParseError; they are never ignored.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FRONTEND_CUDAFRONTEND_H
#define CUPILOT_FRONTEND_CUDAFRONTEND_H

#include "cupilot/Frontend/KernelInfo.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
class ASTUnit;
namespace tooling {
class CompilationDatabase;
} // namespace tooling
} // namespace clang

namespace cupilot {

/// Which compilation of the CUDA source to parse.
enum class CudaSide {
  /// Host compilation: sees kernel bodies, template instantiations made by
  /// host launches, and the launch sites. The default.
  Host,
  /// Device compilation for `gpuArch`: catches device-only errors.
  Device,
  /// Both; the index comes from the host side.
  Both,
};

struct FrontendOptions {
  /// CUDA toolkit root (`--cuda-path`).
  std::string cudaPath;
  /// Clang resource directory (CUDA wrapper headers live there).
  std::string resourceDir;
  /// `sm_XX` used for the device side and for `__CUDA_ARCH__`.
  std::string gpuArch;
  CudaSide side = CudaSide::Host;
  /// Compilation database; when null, the file is parsed with only the
  /// CUDA flags and `extraArgs`.
  std::shared_ptr<clang::tooling::CompilationDatabase> compilations;
  /// Flags appended to every compile command.
  std::vector<std::string> extraArgs;
  /// Emit clang's diagnostics (errors and warnings) on stderr.
  bool printDiagnostics = true;

  /// Options with the defaults baked in at build time (cupilot/Config.h),
  /// overridden by $CUPILOT_CUDA_PATH / $CUPILOT_RESOURCE_DIR if set.
  static FrontendOptions getDefault();
};

/// A parsed translation unit. Owns the AST; KernelInfo values extracted from
/// it do not point into it.
class ParsedFile {
public:
  ParsedFile(std::string file, std::unique_ptr<clang::ASTUnit> ast);
  ~ParsedFile();
  ParsedFile(ParsedFile &&) noexcept;
  ParsedFile &operator=(ParsedFile &&) noexcept;

  const std::string &getFile() const { return file; }
  clang::ASTUnit &getASTUnit() const { return *ast; }
  clang::ASTContext &getASTContext() const;

private:
  std::string file;
  std::unique_ptr<clang::ASTUnit> ast;
};

/// Parses `file` (the host side unless options say otherwise).
llvm::Expected<ParsedFile> parseCudaFile(llvm::StringRef file,
                                         const FrontendOptions &options);

/// Extracts the KernelInfo of every kernel defined in the main file.
KernelIndex buildKernelIndex(const ParsedFile &parsed);

/// parseCudaFile + buildKernelIndex.
llvm::Expected<KernelIndex> indexCudaFile(llvm::StringRef file,
                                          const FrontendOptions &options);

} // namespace cupilot

#endif // CUPILOT_FRONTEND_CUDAFRONTEND_H
