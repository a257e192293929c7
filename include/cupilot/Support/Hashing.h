//===- Hashing.h - Content hashes used as keys ------------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// SHA-256 of text as lowercase hex: the key of every content-addressed cache
// (evaluations, LLM record/replay). LLVM-linked code uses this; the worker,
// which links no LLVM, has its own implementation (lib/Runtime/Server).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_SUPPORT_HASHING_H
#define CUPILOT_SUPPORT_HASHING_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace cupilot {

/// SHA-256 of `text`, 64 lowercase hex digits.
std::string sha256Hex(llvm::StringRef text);

} // namespace cupilot

#endif // CUPILOT_SUPPORT_HASHING_H
