//===- FuzzerUtils.h - Shared helpers of the libFuzzer targets --*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A fuzz target is one LLVMFuzzerTestOneInput that feeds its input to one
// reader and checks the reader's contract. The sanitizers catch memory errors
// and undefined behaviour; the checks here catch broken contracts (an error
// that is not an input error, a written form that does not read back). A
// failed check prints what went wrong and aborts, which libFuzzer reports as
// a crash and saves as a reproducer.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FUZZ_FUZZERUTILS_H
#define CUPILOT_FUZZ_FUZZERUTILS_H

#include "cupilot/Support/Error.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cupilot::fuzz {

/// Reports a broken contract and stops the fuzzer (libFuzzer saves the
/// input as a crash).
[[noreturn]] inline void fail(const llvm::Twine &message) {
  std::fprintf(stderr, "\n==cupilot-fuzz== contract violated: %s\n",
               message.str().c_str());
  std::abort();
}

/// Fails unless `cond` holds.
inline void check(bool cond, const llvm::Twine &message) {
  if (!cond)
    fail(message);
}

/// Consumes `err` and returns its message. Fails unless every error in it is
/// a CupilotError with exit code `expected` and a non-empty message: readers
/// report bad input as InputError, never as an internal error or a foreign
/// error type.
inline std::string expectError(llvm::Error err, ExitCode expected,
                               llvm::StringRef what) {
  std::string message;
  llvm::handleAllErrors(
      std::move(err),
      [&](const CupilotError &e) {
        if (e.getExitCode() != expected)
          fail(what + ": error with exit code " +
               llvm::Twine(static_cast<int>(e.getExitCode())) + ", expected " +
               llvm::Twine(static_cast<int>(expected)) + ": " + e.getMessage());
        if (e.getMessage().empty())
          fail(what + ": error with an empty message");
        message += e.getMessage();
      },
      [&](const llvm::ErrorInfoBase &e) {
        fail(what + ": not a CupilotError: " + e.message());
      });
  return message;
}

/// The input as text.
inline llvm::StringRef asText(const uint8_t *data, size_t size) {
  return llvm::StringRef(reinterpret_cast<const char *>(data), size);
}

} // namespace cupilot::fuzz

#endif // CUPILOT_FUZZ_FUZZERUTILS_H
