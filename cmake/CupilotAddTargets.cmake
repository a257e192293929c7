# Helpers that keep every cupilot target configured the same way.

# add_cupilot_library(name sources... [LINK_LIBS libs...])
function(add_cupilot_library name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
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
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()
