//===- Task.cpp - How to run one kernel (or a launch sequence) ------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/Task.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace cupilot;

llvm::StringRef cupilot::toString(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I8:
    return "i8";
  case DType::I16:
    return "i16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  case DType::U16:
    return "u16";
  case DType::U32:
    return "u32";
  case DType::U64:
    return "u64";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> cupilot::parseDType(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<DType>>(text)
      .Case("f16", DType::F16)
      .Case("bf16", DType::BF16)
      .Case("f32", DType::F32)
      .Case("f64", DType::F64)
      .Case("i8", DType::I8)
      .Case("i16", DType::I16)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("u8", DType::U8)
      .Case("u16", DType::U16)
      .Case("u32", DType::U32)
      .Case("u64", DType::U64)
      .Default(std::nullopt);
}

unsigned cupilot::getByteWidth(DType dtype) {
  switch (dtype) {
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

/// Classifies a builtin integer type written as any permutation of the
/// keywords signed, unsigned, char, short, int, long (as C allows).
static std::optional<DType>
classifyIntegerKeywords(llvm::ArrayRef<llvm::StringRef> words) {
  unsigned numSigned = 0, numUnsigned = 0, numChar = 0, numShort = 0,
           numInt = 0, numLong = 0;
  for (llvm::StringRef word : words) {
    if (word == "signed")
      ++numSigned;
    else if (word == "unsigned")
      ++numUnsigned;
    else if (word == "char")
      ++numChar;
    else if (word == "short")
      ++numShort;
    else if (word == "int")
      ++numInt;
    else if (word == "long")
      ++numLong;
    else
      return std::nullopt;
  }
  if (numSigned + numUnsigned > 1 || numChar > 1 || numShort > 1 ||
      numInt > 1 || numLong > 2)
    return std::nullopt;
  bool isUnsigned = numUnsigned == 1;
  if (numChar) {
    if (numShort || numInt || numLong)
      return std::nullopt;
    // Plain char is taken as signed, as on x86-64 hosts (device code uses the
    // host's signedness).
    return isUnsigned ? DType::U8 : DType::I8;
  }
  if (numShort) {
    if (numLong)
      return std::nullopt;
    return isUnsigned ? DType::U16 : DType::I16;
  }
  // `long` is 64 bits on the LP64 hosts CUDA supports.
  if (numLong)
    return isUnsigned ? DType::U64 : DType::I64;
  return isUnsigned ? DType::U32 : DType::I32;
}

std::optional<DType> cupilot::dtypeFromCudaType(llvm::StringRef cudaType) {
  // Drop cv-qualifiers and normalise whitespace; `std::` and a leading `::`
  // do not change the type.
  llvm::SmallVector<llvm::StringRef, 4> words;
  llvm::SmallVector<llvm::StringRef, 8> pieces;
  llvm::SplitString(cudaType, pieces);
  for (llvm::StringRef piece : pieces) {
    if (piece == "const" || piece == "volatile")
      continue;
    words.push_back(piece);
  }
  if (words.empty())
    return std::nullopt;
  if (words.size() == 1) {
    llvm::StringRef name = words.front();
    name.consume_front("::");
    name.consume_front("std::");
    std::optional<DType> named =
        llvm::StringSwitch<std::optional<DType>>(name)
            .Case("float", DType::F32)
            .Case("double", DType::F64)
            .Cases({"__half", "half"}, DType::F16)
            .Cases({"__nv_bfloat16", "nv_bfloat16"}, DType::BF16)
            .Case("int8_t", DType::I8)
            .Case("int16_t", DType::I16)
            .Case("int32_t", DType::I32)
            .Case("int64_t", DType::I64)
            .Case("uint8_t", DType::U8)
            .Case("uint16_t", DType::U16)
            .Case("uint32_t", DType::U32)
            .Case("uint64_t", DType::U64)
            .Cases({"size_t", "uintptr_t"}, DType::U64)
            .Cases({"ptrdiff_t", "intptr_t", "ssize_t"}, DType::I64)
            .Default(std::nullopt);
    if (named)
      return named;
  }
  return classifyIntegerKeywords(words);
}

llvm::StringRef cupilot::toString(ArgRole role) {
  switch (role) {
  case ArgRole::In:
    return "in";
  case ArgRole::Out:
    return "out";
  case ArgRole::InOut:
    return "inout";
  }
  llvm_unreachable("unknown argument role");
}

std::optional<ArgRole> cupilot::parseArgRole(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<ArgRole>>(text)
      .Case("in", ArgRole::In)
      .Case("out", ArgRole::Out)
      .Case("inout", ArgRole::InOut)
      .Default(std::nullopt);
}

llvm::StringRef cupilot::toString(PrecisionPolicy policy) {
  switch (policy) {
  case PrecisionPolicy::StrictFP32:
    return "strict-fp32";
  case PrecisionPolicy::AllowTF32:
    return "allow-tf32";
  case PrecisionPolicy::AllowReducedPrecision:
    return "allow-reduced-precision";
  }
  llvm_unreachable("unknown precision policy");
}

std::optional<PrecisionPolicy>
cupilot::parsePrecisionPolicy(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<PrecisionPolicy>>(text)
      .Case("strict-fp32", PrecisionPolicy::StrictFP32)
      .Case("allow-tf32", PrecisionPolicy::AllowTF32)
      .Case("allow-reduced-precision", PrecisionPolicy::AllowReducedPrecision)
      .Default(std::nullopt);
}
