//===- Error.h - Errors, diagnostics and exit codes -------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Every layer reports failures as llvm::Error values carrying a CupilotError,
// which knows the exit code the driver must return. The exit codes are part of
// the command-line contract and documented in docs/CommandLine.md.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_SUPPORT_ERROR_H
#define CUPILOT_SUPPORT_ERROR_H

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

#include <string>

namespace cupilot {

/// Process exit codes of cupilot tools. Values are stable.
enum class ExitCode : int {
  Success = 0,
  /// Command line could not be understood.
  Usage = 1,
  /// An input file is missing, unreadable or malformed (YAML, plan, task).
  InputError = 2,
  /// The CUDA source did not parse; clang diagnostics were printed.
  ParseError = 3,
  /// A named kernel does not exist in the translation unit.
  UnknownKernel = 4,
  /// A rewrite step is not legal on the kernel it names.
  IllegalRewrite = 5,
  /// No CUDA toolkit or no GPU where one is required.
  NoDevice = 6,
  /// A variant (or the reference) failed verification.
  VerificationFailed = 7,
  /// An output could not be written.
  OutputError = 8,
  /// The LLM service failed (unreachable, timed out, HTTP error) or answered
  /// something unusable.
  LLMError = 9,
  /// A bug in cupilot.
  InternalError = 70,
};

/// Error payload that carries a message and the exit code it maps to.
class CupilotError : public llvm::ErrorInfo<CupilotError> {
public:
  static char ID;

  CupilotError(ExitCode code, std::string message)
      : code(code), message(std::move(message)) {}

  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

  ExitCode getExitCode() const { return code; }
  const std::string &getMessage() const { return message; }

private:
  ExitCode code;
  std::string message;
};

/// Creates an error with the given exit code and a formatv-style message.
template <typename... Ts>
llvm::Error makeError(ExitCode code, const char *fmt, Ts &&...vals) {
  return llvm::make_error<CupilotError>(
      code, llvm::formatv(fmt, std::forward<Ts>(vals)...).str());
}

/// Prints `tool: error: <message>` for every error in `err` to stderr and
/// returns the exit code of the first one (InternalError for foreign errors).
int reportAndGetExitCode(llvm::StringRef tool, llvm::Error err);

} // namespace cupilot

#endif // CUPILOT_SUPPORT_ERROR_H
