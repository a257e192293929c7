//===- KernelIndexIO.h - Rendering the kernel index -------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The kernel index as JSON (schema `cupilot.kernel-index/v1`, documented in
// docs/KernelIndexSchema.md) and as a table for people.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FRONTEND_KERNELINDEXIO_H
#define CUPILOT_FRONTEND_KERNELINDEXIO_H

#include "cupilot/Frontend/KernelInfo.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace cupilot {

/// Identifies the JSON layout; bumped on incompatible changes.
inline constexpr const char *KernelIndexSchema = "cupilot.kernel-index/v1";

llvm::json::Value toJSON(const KernelInfo &kernel);
llvm::json::Value toJSON(const KernelIndex &index);

/// Writes pretty-printed JSON (2-space indent, one field per line).
void printKernelIndexJSON(const KernelIndex &index, llvm::raw_ostream &os);

/// Writes a readable summary: one block per kernel.
void printKernelIndexTable(const KernelIndex &index, llvm::raw_ostream &os);

} // namespace cupilot

#endif // CUPILOT_FRONTEND_KERNELINDEXIO_H
