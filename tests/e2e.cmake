include_guard(GLOBAL)
# End-to-end suites with real clients, included from tests/CMakeLists.txt:
#   e2e: node sdk <mode>   the real @google-cloud/firestore SDK (tests/e2e/node,
#                          node --test) through firewarden in fixed and xfcc mode
#   e2e: node sdk write-only  a write-only identity's SDK writes on cut responses
#   e2e: node sdk parity   the SDK's whole captured API surface through firewarden
#                          answers as the emulator did directly
#   e2e: curl mtls         one curl per SPEC §5 request kind in mtls mode
#                          (tests/e2e/curl/run, the README's Examples), over
#                          HTTP/2 (what curl and firewarden pick by ALPN)
#   e2e: curl mtls http1.1 the same examples over HTTP/1.1
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
add_test(NAME "e2e: curl mtls http1.1" COMMAND ${_e2e_dir}/curl/run
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("e2e: curl mtls http1.1" PROPERTIES
                     ENVIRONMENT "${_e2e_env};FIREWARDEN_CURL_HTTP=1.1"
                     FIXTURES_REQUIRED integration TIMEOUT 300)

add_test(NAME "e2e: readme examples"
         COMMAND ${_e2e_dir}/curl/run --check-readme ${PROJECT_SOURCE_DIR}/README.md)

# gRPC SDK clients: one program per Firestore SDK in its gRPC mode
# (tests/e2e/node/grpc-client.js, tests/e2e/go, tests/e2e/python-grpc,
# tests/e2e/java), each driven by tests/e2e/node/grpc_sdk.test.js:
#   e2e: grpc sdk <sdk> direct       straight to the emulator: the toolchain
#                                    installs and the program works (label
#                                    grpc-sdk-smoke)
#   e2e: grpc sdk <sdk> relay mtls   the SDK's mtls settings against a TLS
#                                    relay that requires the client's SVID and
#                                    refuses requests naming secrets/ with
#                                    code 7 (tests/e2e/node/grpc-relay.js;
#                                    grpc-sdk-smoke)
#   e2e: grpc sdk <sdk> fixed|mtls   through firewarden (h2c in fixed mode, TLS
#                                    with the SVID in mtls mode): allowed
#                                    operations land, denied ones get code 7 and
#                                    reach nothing (label grpc-sdk)
#   e2e: grpc sdk <sdk> xfcc         through firewarden in xfcc mode behind a
#                                    relay playing the Istio sidecar (TLS with
#                                    the SVID to it, h2c with
#                                    x-forwarded-client-cert from it); the node
#                                    run also sends a forged header, which the
#                                    relay replaces (grpc-sdk)
# scripts/bootstrap installs the SDKs; the Go and Java clients are compiled
# once per run by the grpc-sdk-clients fixture.
find_program(FIREWARDEN_GO go)
find_program(FIREWARDEN_MVN mvn)
set(_grpc_sdk_go_client ${CMAKE_BINARY_DIR}/grpc-sdk/go-client)

# grpc_sdk_setup(NAME TOOL WORKDIR COMMAND...): a grpc-sdk-clients fixture set-up.
function(grpc_sdk_setup name tool workdir)
  if(tool)
    add_test(NAME "e2e: grpc sdk build ${name}" COMMAND ${ARGN} WORKING_DIRECTORY ${workdir})
  else()
    add_test(NAME "e2e: grpc sdk build ${name}"
             COMMAND sh -c "echo 'skipped: ${name} toolchain not found (run scripts/bootstrap)'; exit 77")
  endif()
  set_tests_properties("e2e: grpc sdk build ${name}" PROPERTIES
                       FIXTURES_SETUP grpc-sdk-clients LABELS grpc-sdk-smoke TIMEOUT 300 SKIP_RETURN_CODE 77)
endfunction()
grpc_sdk_setup("go client" "${FIREWARDEN_GO}" ${_e2e_dir}/go
               ${FIREWARDEN_GO} build -buildvcs=false -o ${_grpc_sdk_go_client} .)
grpc_sdk_setup("java client" "${FIREWARDEN_MVN}" ${_e2e_dir}/java
               ${FIREWARDEN_MVN} -q -B -o compile dependency:build-classpath
               -Dmdep.outputFile=target/classpath.txt)

# grpc_sdk_test(SDK VIA LABEL): one client run, see grpc_sdk.test.js.
function(grpc_sdk_test sdk via label)
  string(REPLACE "-" " " shown "${via}")
  set(test "e2e: grpc sdk ${sdk} ${shown}")
  e2e_node_test("grpc sdk ${sdk} ${shown}" grpc_sdk.test.js GRPC_SDK=${sdk} GRPC_SDK_VIA=${via}
                GRPC_SDK_GO_CLIENT=${_grpc_sdk_go_client})
  set_tests_properties("${test}" PROPERTIES LABELS ${label})
  if(FIREWARDEN_NODE)
    set_tests_properties("${test}" PROPERTIES FIXTURES_REQUIRED "integration;grpc-sdk-clients")
  endif()
endfunction()
foreach(sdk node go python java)
  grpc_sdk_test(${sdk} direct grpc-sdk-smoke)
  grpc_sdk_test(${sdk} relay-mtls grpc-sdk-smoke)
  grpc_sdk_test(${sdk} fixed grpc-sdk)
  grpc_sdk_test(${sdk} mtls grpc-sdk)
  grpc_sdk_test(${sdk} xfcc grpc-sdk)
endforeach()

# Real-time listeners (the Listen stream) and the Write stream:
#   e2e: listen node <via>   tests/e2e/node/listen.test.js: Node SDK onSnapshot
#                            listeners (query, document, collection group)
#                            allowed and denied, a policy reload that removes
#                            one, and a raw grpc-js Write stream
#   e2e: listen <sdk> <via>  tests/e2e/node/grpc_listen.test.js: the Go,
#                            Python and Java clients' --listen list
#                            (Snapshots(), on_snapshot, addSnapshotListener)
# direct: straight to the emulator (grpc-sdk-smoke); fixed: through firewarden
# (grpc-sdk).
function(listen_test sdk via label)
  set(test "e2e: listen ${sdk} ${via}")
  if(sdk STREQUAL "node")
    e2e_node_test("listen ${sdk} ${via}" listen.test.js LISTEN_VIA=${via})
  else()
    e2e_node_test("listen ${sdk} ${via}" grpc_listen.test.js GRPC_SDK=${sdk} GRPC_SDK_VIA=${via}
                  GRPC_SDK_GO_CLIENT=${_grpc_sdk_go_client})
    if(FIREWARDEN_NODE)
      set_tests_properties("${test}" PROPERTIES FIXTURES_REQUIRED "integration;grpc-sdk-clients")
    endif()
  endif()
  set_tests_properties("${test}" PROPERTIES LABELS ${label})
endfunction()
foreach(sdk node go python java)
  listen_test(${sdk} direct grpc-sdk-smoke)
  listen_test(${sdk} fixed grpc-sdk)
endforeach()
