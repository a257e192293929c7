//===- CompilerTest.cpp - Tests of the worker's NVRTC compiler ------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The compiler against the simulated NVRTC: which failures are verdicts on
// the program (cached as `<hash>.failed`) and which are transient.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Server/Compiler.h"
#include "SimulatedDriver.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace cupilot;
using namespace cupilot::worker;
using protocol::ErrorKind;
using ::testing::HasSubstr;

namespace {

/// What the simulated nvrtcCompileProgram answers next.
nvrtcResult &compileStatus() {
  static nvrtcResult status = NVRTC_SUCCESS;
  return status;
}

class CompilerTest : public ::testing::Test {
protected:
  void SetUp() override {
    gpu.install(api, nvrtc);
    compileStatus() = NVRTC_SUCCESS;
    nvrtc.CompileProgram = [](nvrtcProgram, int, const char *const *) {
      return compileStatus();
    };
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("cupilot-compiler", cacheDir));
  }
  void TearDown() override {
    compileStatus() = NVRTC_SUCCESS;
    llvm::sys::fs::remove_directories(cacheDir);
  }

  /// The `.failed` files in the cache directory.
  unsigned failedFiles() {
    unsigned n = 0;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(cacheDir, ec), end;
         !ec && it != end; it.increment(ec))
      n += llvm::StringRef(it->path()).ends_with(".failed");
    return n;
  }

  bool compile(Compiler &compiler, protocol::ReplyError &error) {
    protocol::ProgramSpec program{"k.cu", "__global__ void k() {}", {}};
    CompiledProgram out;
    return compiler.compile(program, "sm_90", {"k"}, out, error);
  }

  sim::Gpu gpu;
  DriverApi api;
  NvrtcApi nvrtc;
  llvm::SmallString<128> cacheDir;
};

TEST_F(CompilerTest, OnlyRejectedProgramsAndOptionsAreVerdicts) {
  EXPECT_TRUE(isCompileError(NVRTC_ERROR_COMPILATION));
  // Options are part of the cache key: an unknown architecture stays one.
  EXPECT_TRUE(isCompileError(NVRTC_ERROR_INVALID_OPTION));
  for (nvrtcResult status :
       {NVRTC_ERROR_OUT_OF_MEMORY, NVRTC_ERROR_INTERNAL_ERROR,
        NVRTC_ERROR_BUILTIN_OPERATION_FAILURE,
        NVRTC_ERROR_PROGRAM_CREATION_FAILURE})
    EXPECT_FALSE(isCompileError(status)) << status;
}

TEST_F(CompilerTest, TransientFailuresAreInternalAndNotCached) {
  for (nvrtcResult status :
       {NVRTC_ERROR_OUT_OF_MEMORY, NVRTC_ERROR_INTERNAL_ERROR,
        NVRTC_ERROR_BUILTIN_OPERATION_FAILURE}) {
    Compiler compiler{nvrtc, "/usr/local/cuda", cacheDir.str().str()};
    compileStatus() = status;
    protocol::ReplyError error;
    EXPECT_FALSE(compile(compiler, error));
    EXPECT_EQ(error.kind, ErrorKind::Internal) << status;
    EXPECT_THAT(error.message, HasSubstr("not a compile error"));
    EXPECT_EQ(failedFiles(), 0u) << status;
  }
  // A fresh worker sharing the cache compiles the program again.
  Compiler compiler{nvrtc, "/usr/local/cuda", cacheDir.str().str()};
  compileStatus() = NVRTC_SUCCESS;
  protocol::ReplyError error;
  EXPECT_TRUE(compile(compiler, error)) << error.message;
}

TEST_F(CompilerTest, CompilationErrorsAreCached) {
  {
    Compiler compiler{nvrtc, "/usr/local/cuda", cacheDir.str().str()};
    compileStatus() = NVRTC_ERROR_COMPILATION;
    protocol::ReplyError error;
    EXPECT_FALSE(compile(compiler, error));
    EXPECT_EQ(error.kind, ErrorKind::CompileError);
    EXPECT_EQ(failedFiles(), 1u);
  }
  // Another worker gets the cached verdict without compiling.
  Compiler compiler{nvrtc, "/usr/local/cuda", cacheDir.str().str()};
  compileStatus() = NVRTC_SUCCESS;
  protocol::ReplyError error;
  EXPECT_FALSE(compile(compiler, error));
  EXPECT_EQ(error.kind, ErrorKind::CompileError);
}

} // namespace
