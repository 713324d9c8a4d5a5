# Precompiled headers for the I/O modules (bench/RESULTS.md, "Clean build of the binary").
#
# Every translation unit of net/, credentials/, proxy/, admin/ and app/ parses
# Boost.Asio and Beast again (about 2,900 headers, 2-3 s of CPU at -O2 -g), and
# splitting those modules by operation multiplied such units. One precompiled
# header, built once by firewarden_net and reused by the other I/O modules and
# the test programs that link them, parses them once per build directory.
#
# The header holds third-party headers only. Every file keeps its own
# #include lines; the precompiled header only makes them cheaper. So that a
# forgotten include cannot hide behind it, the sanitizer and fuzz builds
# (scripts/test --sanitize, the clang fuzz build) default to
# FIREWARDEN_PCH=OFF: there every file compiles with its own includes alone.
include_guard(GLOBAL)

option(FIREWARDEN_PCH "Precompile the Asio/Beast, spdlog and nlohmann headers of the I/O modules"
       ${FIREWARDEN_COMBINED_COMPILE_DEFAULT})  # cmake/Sanitizers.cmake

# What the I/O modules' units include most (measured with g++ -H over the
# firewarden target): net/asio.hpp's five headers in every one of them, then
# spdlog, nlohmann/json and Asio's channel in a third to a half.
set(FIREWARDEN_IO_PCH_HEADERS
    <boost/asio.hpp>
    <boost/asio/ssl.hpp>
    <boost/beast/core.hpp>
    <boost/beast/http.hpp>
    <boost/beast/ssl.hpp>
    <boost/asio/awaitable.hpp>
    <boost/asio/experimental/channel.hpp>
    <spdlog/spdlog.h>
    <nlohmann/json.hpp>)

# firewarden_precompile_io_headers(target…): firewarden_net builds the
# precompiled header, every other target listed reuses it. Those must be
# compiled like firewarden_net: the same Asio/Beast and spdlog definitions
# (they link it), the same -O/-g/-f options. Extra -D and -I options are fine
# as long as the precompiled headers do not read them; -Winvalid-pch (added by
# CMake) with -Werror makes a rejected header an error, not a silent slow build.
function(firewarden_precompile_io_headers)
  if(NOT FIREWARDEN_PCH)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    if(target STREQUAL "firewarden_net")
      target_precompile_headers(firewarden_net PRIVATE ${FIREWARDEN_IO_PCH_HEADERS})
    else()
      target_precompile_headers(${target} REUSE_FROM firewarden_net)
    endif()
  endforeach()
endfunction()
