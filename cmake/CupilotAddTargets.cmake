# Helpers that keep every cupilot target configured the same way.

# With CUPILOT_STATIC_LLVM, the shared libLLVM/libclang-cpp are replaced by
# the static archives at the final link of each tool, so the tools run on
# machines without LLVM 22 (the GPU machines). Libraries then carry no LLVM
# link dependency of their own.
function(cupilot_filter_llvm_libs out)
  set(result)
  foreach(lib ${ARGN})
    if(CUPILOT_STATIC_LLVM AND (lib STREQUAL "clang-cpp" OR lib STREQUAL "LLVM"
        OR lib STREQUAL "yaml-cpp" OR lib STREQUAL "SQLite::SQLite3"))
      continue()
    endif()
    list(APPEND result ${lib})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# add_cupilot_library(name sources... [LINK_LIBS libs...])
function(add_cupilot_library name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  cupilot_filter_llvm_libs(libs ${ARG_LINK_LIBS})
  target_link_libraries(${name} PUBLIC ${libs})
  set_target_properties(${name} PROPERTIES
    ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
endfunction()

# Compile the given sources with C++ exceptions. Used only where a third-party
# library (yaml-cpp) reports errors by throwing; such code must turn every
# exception into an llvm::Error before returning.
function(cupilot_enable_exceptions)
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS "-fexceptions")
endfunction()

# add_cupilot_tool(name sources... [LINK_LIBS libs...])
function(add_cupilot_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  cupilot_filter_llvm_libs(libs ${ARG_LINK_LIBS})
  target_link_libraries(${name} PRIVATE ${libs})
  set(uses_llvm OFF)
  if("clang-cpp" IN_LIST ARG_LINK_LIBS OR "LLVM" IN_LIST ARG_LINK_LIBS)
    set(uses_llvm ON)
  endif()
  if(CUPILOT_STATIC_LLVM AND uses_llvm)
    file(GLOB clang_archives ${LLVM_LIBRARY_DIR}/libclang[A-Z]*.a)
    execute_process(COMMAND ${LLVM_TOOLS_BINARY_DIR}/llvm-config --link-static
                            --libfiles all
                    OUTPUT_VARIABLE llvm_static OUTPUT_STRIP_TRAILING_WHITESPACE)
    separate_arguments(llvm_static UNIX_COMMAND "${llvm_static}")
    list(FILTER llvm_static EXCLUDE REGEX "Polly")
    find_library(CUPILOT_YAML_STATIC libyaml-cpp.a REQUIRED)
    find_library(CUPILOT_SQLITE_STATIC libsqlite3.a REQUIRED)
    # Static compression libraries when installed, else the shared ones
    # (which GPU machines have; there may be no -dev symlink here).
    find_library(CUPILOT_ZLIB NAMES libz.a z REQUIRED)
    find_library(CUPILOT_ZSTD NAMES libzstd.a libzstd.so.1 zstd REQUIRED)
    target_link_libraries(${name} PRIVATE
      -Wl,--start-group ${clang_archives} ${llvm_static}
      ${CUPILOT_YAML_STATIC} ${CUPILOT_SQLITE_STATIC} -Wl,--end-group
      -static-libstdc++ -static-libgcc -Wl,--gc-sections -s
      ${CUPILOT_ZLIB} ${CUPILOT_ZSTD} pthread dl m)
  endif()
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()
