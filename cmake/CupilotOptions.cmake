# Project-wide options and toolchain facts baked into cupilot/Config.h.

option(CUPILOT_BUILD_TESTS "Build the lit and unit test suites" ON)

# CUDA toolkit used for parsing (headers) and, in the runtime, NVRTC.
set(CUPILOT_CUDA_PATH "/usr/local/cuda" CACHE PATH
  "Default CUDA toolkit root used when --cuda-path is not given")
# Clang's resource directory holds the CUDA wrapper headers; a tool installed
# outside LLVM's bin/ must be told where it is.
set(CUPILOT_CLANG_RESOURCE_DIR
  "${LLVM_LIBRARY_DIR}/clang/${LLVM_VERSION_MAJOR}" CACHE PATH
  "Default clang resource directory used when --resource-dir is not given")
set(CUPILOT_DEFAULT_GPU_ARCH "sm_90" CACHE STRING
  "GPU architecture assumed when parsing CUDA without a device")
set(CUPILOT_STRATEGIES_DIR "${CMAKE_SOURCE_DIR}/strategies" CACHE PATH
  "Default strategy library used when --strategies is not given")

option(CUPILOT_STATIC_LLVM
  "Link the tools against static LLVM/Clang archives (portable binaries)" OFF)
