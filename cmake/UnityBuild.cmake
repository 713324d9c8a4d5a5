# Unity build of the modules (bench/RESULTS.md, "Clean build of the binary").
#
# The modules are split by operation into many small files, and each file
# parses its headers again: Asio/Beast in the I/O modules (the precompiled
# header makes that cheaper, not free), nlohmann/json, yaml-cpp and the
# standard library everywhere. A unity build compiles a module's files in
# batches, one translation unit per batch, so those headers are parsed once
# per batch. CMake writes the batches (UNITY_BUILD); the files stay as they are.
#
# What it costs: one edit recompiles its whole batch, hence batches of
# FIREWARDEN_UNITY_BATCH_SIZE files rather than one per module. And files that
# are compiled together see each other's anonymous-namespace names and
# using-declarations: two helpers of one name in one module do not compile,
# so give them names of their own. So that a file still compiles on its own
# (its own includes, no name borrowed from a neighbour), the sanitizer and fuzz
# builds default to FIREWARDEN_UNITY=OFF, as they do for the precompiled header.
include_guard(GLOBAL)

option(FIREWARDEN_UNITY "Compile each module's sources in batches (unity build)"
       ${FIREWARDEN_COMBINED_COMPILE_DEFAULT})  # cmake/Sanitizers.cmake
set(FIREWARDEN_UNITY_BATCH_SIZE 8 CACHE STRING
    "Source files per unity batch (0: one batch per module)")

# firewarden_unity_build(target…): the targets' sources compile in batches.
function(firewarden_unity_build)
  if(NOT FIREWARDEN_UNITY)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON
                          UNITY_BUILD_BATCH_SIZE ${FIREWARDEN_UNITY_BATCH_SIZE})
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC does not give -Wsubobject-linkage for types of the main file, only
      # for those of included files (meant for headers). In a batch every
      # source is an included file, and GCC 12 then reports the coroutine
      # frames of net/ and proxy/, whose locals have anonymous-namespace
      # types. The builds without batches keep the warning.
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endforeach()
endfunction()
