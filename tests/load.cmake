include_guard(GLOBAL)
# Bounded load and resource checks (issue 7, "Resource bounds"): the real
# binary on loopback against a fast scripted upstream; RSS, file descriptors,
# threads and connections before and after 100k requests and with 5,000 idle
# keep-alive connections. Label `load`: scripts/test --sanitize skips it
# (sanitizer allocators make RSS figures meaningless and it would run for
# minutes). Included from tests/CMakeLists.txt.
file(GLOB _load_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/load/*.cpp)
if(_load_sources)
  add_executable(load_tests ${_load_sources})
  target_link_libraries(load_tests PRIVATE firewarden_test_support)
  add_dependencies(load_tests firewarden)
  firewarden_warnings(load_tests)
  catch_discover_tests(load_tests TEST_PREFIX "load: " DISCOVERY_MODE PRE_TEST
                       EXTRA_ARGS --warn NoTests
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                       PROPERTIES TIMEOUT 300 LABELS load RUN_SERIAL TRUE
                                  FIXTURES_REQUIRED integration)
endif()
