# Warnings are on for our own code and clean; CI turns them into errors.
function(firewarden_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                         -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports Asio's awaitable frame operator new/delete pair as
    # mismatched in some coroutines (a false positive on coroutine frames).
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(FIREWARDEN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
