//===- Error.cpp - Errors, diagnostics and exit codes ---------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Support/Error.h"

#include "llvm/Support/WithColor.h"

using namespace cupilot;

char CupilotError::ID = 0;

int cupilot::reportAndGetExitCode(llvm::StringRef tool, llvm::Error err) {
  int code = -1;
  llvm::handleAllErrors(
      std::move(err),
      [&](const CupilotError &e) {
        // Messages that are already diagnostics (`file:line:col: error:
        // ...`) are printed as they are.
        llvm::StringRef firstLine = llvm::StringRef(e.getMessage()).split('\n').first;
        if (firstLine.contains(": error: "))
          llvm::errs() << e.getMessage() << "\n";
        else
          llvm::WithColor::error(llvm::errs(), tool) << e.getMessage() << "\n";
        if (code < 0)
          code = static_cast<int>(e.getExitCode());
      },
      [&](const llvm::ErrorInfoBase &e) {
        llvm::WithColor::error(llvm::errs(), tool) << e.message() << "\n";
        if (code < 0)
          code = static_cast<int>(ExitCode::InternalError);
      });
  return code < 0 ? static_cast<int>(ExitCode::Success) : code;
}
