include_guard(GLOBAL)
# End-to-end suites with real clients, included from tests/CMakeLists.txt:
#   e2e: node sdk <mode>   the real @google-cloud/firestore SDK (tests/e2e/node,
#                          node --test) through firewarden in fixed and xfcc mode
#   e2e: node sdk write-only  a write-only identity's SDK writes on cut responses
#   e2e: node sdk parity   the SDK's whole captured API surface through firewarden
#                          answers as the emulator did directly
#   e2e: curl mtls         one curl per SPEC §5 request kind in mtls mode
#                          (tests/e2e/curl/run, the README's Examples)
#   e2e: readme examples   README.md's Examples block is what that script runs
# They use the shared emulator and dev certificates of the `integration`
# fixture and start firewarden themselves.
set(_e2e_dir ${CMAKE_CURRENT_LIST_DIR}/e2e)
set(_e2e_env
    "FIREWARDEN_BINARY=$<TARGET_FILE:firewarden>"
    "FIREWARDEN_TEST_STATE_DIR=${CMAKE_BINARY_DIR}/test-state")

find_program(FIREWARDEN_NODE node)
# e2e_node_test(NAME FILE [ENV...])
function(e2e_node_test name file)
  if(FIREWARDEN_NODE)
    add_test(NAME "e2e: ${name}"
             COMMAND ${FIREWARDEN_NODE} --test --test-reporter=spec ${_e2e_dir}/node/${file}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties("e2e: ${name}" PROPERTIES ENVIRONMENT "${_e2e_env};${ARGN}"
                         FIXTURES_REQUIRED integration TIMEOUT 300)
  else()
    # scripts/bootstrap installs Node.js; without it these suites cannot run.
    add_test(NAME "e2e: ${name}"
             COMMAND sh -c "echo 'skipped: node not found (run scripts/bootstrap)'; exit 77")
    set_tests_properties("e2e: ${name}" PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endfunction()
e2e_node_test("node sdk fixed mode" sdk.test.js E2E_MODES=fixed)
e2e_node_test("node sdk xfcc mode" sdk.test.js E2E_MODES=xfcc)
# A write-only workload: its writes' responses are cut, the SDK keeps working.
e2e_node_test("node sdk write-only" write_only.test.js)
# Every request of tests/fixtures/sdk through firewarden gets the emulator's status.
e2e_node_test("node sdk parity" parity.test.js)

add_test(NAME "e2e: curl mtls" COMMAND ${_e2e_dir}/curl/run WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("e2e: curl mtls" PROPERTIES ENVIRONMENT "${_e2e_env}"
                     FIXTURES_REQUIRED integration TIMEOUT 300)

add_test(NAME "e2e: readme examples"
         COMMAND ${_e2e_dir}/curl/run --check-readme ${PROJECT_SOURCE_DIR}/README.md)
