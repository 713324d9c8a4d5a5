# The adversarial request corpus (tests/corpus, issue #7): one harness
# program, one CTest test per case file so a failure names its case, plus the
# harness's own checks. Every test needs the emulator and certificates.
add_executable(corpus_tests
               ${CMAKE_CURRENT_SOURCE_DIR}/corpus/corpus_test.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/corpus/corpus_case.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/corpus/raw_connection.cpp)
target_link_libraries(corpus_tests PRIVATE firewarden_test_support OpenSSL::SSL)
add_dependencies(corpus_tests firewarden)
firewarden_warnings(corpus_tests)

file(GLOB_RECURSE corpus_cases CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/*.case)
foreach(case_file ${corpus_cases})
  file(RELATIVE_PATH case_name ${CMAKE_CURRENT_SOURCE_DIR}/corpus ${case_file})
  string(REGEX REPLACE "\\.case$" "" case_name ${case_name})
  add_test(NAME "corpus: ${case_name}" COMMAND corpus_tests "corpus case (FIREWARDEN_CORPUS_CASE)"
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties("corpus: ${case_name}" PROPERTIES
                       ENVIRONMENT "FIREWARDEN_CORPUS_CASE=${case_file}"
                       FIXTURES_REQUIRED integration TIMEOUT 120)
  # Cases marked `h2: yes` run once more with their request over HTTP/2.
  file(STRINGS ${case_file} h2_marker REGEX "^h2: yes$")
  if(h2_marker)
    add_test(NAME "corpus-h2: ${case_name}"
             COMMAND corpus_tests "corpus case (FIREWARDEN_CORPUS_CASE)"
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties("corpus-h2: ${case_name}" PROPERTIES
                         ENVIRONMENT "FIREWARDEN_CORPUS_CASE=${case_file};FIREWARDEN_CORPUS_TRANSPORT=h2"
                         FIXTURES_REQUIRED integration TIMEOUT 120)
  endif()
endforeach()

catch_discover_tests(corpus_tests TEST_PREFIX "corpus: " DISCOVERY_MODE PRE_TEST
                     EXTRA_ARGS --warn NoTests
                     WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                     PROPERTIES FIXTURES_REQUIRED integration TIMEOUT 120)
