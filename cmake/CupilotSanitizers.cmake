# Sanitizer and fuzzer builds (docs/Hardening.md).
#
# CUPILOT_ENABLE_SANITIZERS instruments every cupilot target with
# AddressSanitizer and UndefinedBehaviorSanitizer; any UB report aborts.
# LLVM's and Clang's libraries (libLLVM.so, libclang-cpp.so) stay
# uninstrumented. Run the result with ASAN_OPTIONS=allow_user_poisoning=0:
# LLVM's allocators poison memory by hand in inline header code, which only
# the instrumented side of an allocator shared with LLVM runs, giving false
# use-after-poison reports (scripts/sanitize.sh and scripts/fuzz.sh set it).
#
# CUPILOT_BUILD_FUZZERS builds the libFuzzer targets of fuzz/; it implies the
# sanitizers and adds coverage instrumentation (-fsanitize=fuzzer-no-link) to
# the libraries so that the fuzzers see the code under test.

option(CUPILOT_ENABLE_SANITIZERS
  "Instrument cupilot with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(CUPILOT_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/" OFF)

if(CUPILOT_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "CUPILOT_BUILD_FUZZERS needs clang (libFuzzer); "
    "configure with -DCMAKE_CXX_COMPILER=clang++-22")
endif()

if(CUPILOT_ENABLE_SANITIZERS OR CUPILOT_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang|GNU")
    message(FATAL_ERROR "CUPILOT_ENABLE_SANITIZERS needs clang or gcc")
  endif()
  set(CUPILOT_SANITIZER_FLAGS
    -fsanitize=address,undefined
    -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  add_compile_options(${CUPILOT_SANITIZER_FLAGS})
  add_link_options(${CUPILOT_SANITIZER_FLAGS})
  message(STATUS "cupilot: building with ASan and UBSan")
endif()

if(CUPILOT_BUILD_FUZZERS)
  # Coverage for the fuzzers; executables other than the fuzzers link no
  # libFuzzer, and the sanitizer runtimes provide the coverage callbacks.
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "cupilot: building the fuzzers of fuzz/")
endif()
