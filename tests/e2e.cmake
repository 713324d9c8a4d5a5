include_guard(GLOBAL)
# End-to-end suites with real clients, included from tests/CMakeLists.txt:
#   e2e: node sdk <mode>   the real @google-cloud/firestore SDK (tests/e2e/node,
#                          node --test) through firewarden in fixed and xfcc mode
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
foreach(mode fixed xfcc)
  if(FIREWARDEN_NODE)
    add_test(NAME "e2e: node sdk ${mode} mode"
             COMMAND ${FIREWARDEN_NODE} --test --test-reporter=spec ${_e2e_dir}/node/sdk.test.js
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties("e2e: node sdk ${mode} mode" PROPERTIES
                         ENVIRONMENT "${_e2e_env};E2E_MODES=${mode}"
                         FIXTURES_REQUIRED integration TIMEOUT 300)
  else()
    # scripts/bootstrap installs Node.js; without it this suite cannot run.
    add_test(NAME "e2e: node sdk ${mode} mode"
             COMMAND sh -c "echo 'skipped: node not found (run scripts/bootstrap)'; exit 77")
    set_tests_properties("e2e: node sdk ${mode} mode" PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endforeach()

add_test(NAME "e2e: curl mtls" COMMAND ${_e2e_dir}/curl/run WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("e2e: curl mtls" PROPERTIES ENVIRONMENT "${_e2e_env}"
                     FIXTURES_REQUIRED integration TIMEOUT 300)

add_test(NAME "e2e: readme examples"
         COMMAND ${_e2e_dir}/curl/run --check-readme ${PROJECT_SOURCE_DIR}/README.md)
