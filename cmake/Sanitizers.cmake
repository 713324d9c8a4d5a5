# FIREWARDEN_SANITIZE=address,undefined instruments every target, including the
# separately compiled Asio/Beast library, so that container overflows are seen
# across the boundary.
if(FIREWARDEN_SANITIZE)
  add_compile_options(-fsanitize=${FIREWARDEN_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${FIREWARDEN_SANITIZE})
endif()
if(FIREWARDEN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FIREWARDEN_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Instrument everything for coverage; the fuzz targets add -fsanitize=fuzzer
  # (with main) themselves.
  # -fno-sanitize=function: Debian's clang 14 cannot emit the function
  # sanitizer's prologue data for C++20 coroutines ("Cannot represent a
  # difference across sections"), and net/ (which the HTTP request fuzzer
  # links) is coroutines throughout. That check concerns calls through
  # mistyped function pointers, not the parsers fuzzed here.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=function)
endif()

# The sanitizer and fuzz builds compile every file on its own, without the
# precompiled header (PrecompiledHeaders.cmake) or unity batches
# (UnityBuild.cmake): a forgotten include or a name borrowed from a
# neighbouring file then fails there. Both options take their default from here.
if(FIREWARDEN_SANITIZE OR FIREWARDEN_FUZZ)
  set(FIREWARDEN_COMBINED_COMPILE_DEFAULT OFF)
else()
  set(FIREWARDEN_COMBINED_COMPILE_DEFAULT ON)
endif()
