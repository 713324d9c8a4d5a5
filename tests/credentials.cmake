include_guard(GLOBAL)
# Credentials tests: the fake Google token endpoints as a library for test
# programs (unit_credentials compiles them in itself) and the conformance test
# against Google's own google-auth-library (npm, pinned in
# tests/conformance/google-auth). Included from tests/CMakeLists.txt.
set(_credentials_tests_dir ${CMAKE_CURRENT_LIST_DIR})

add_library(firewarden_fake_google STATIC ${_credentials_tests_dir}/support/fake_google/fake_google.cpp)
target_include_directories(firewarden_fake_google PUBLIC ${_credentials_tests_dir}/support)
target_link_libraries(firewarden_fake_google PUBLIC firewarden_net nlohmann_json::nlohmann_json
                      OpenSSL::Crypto)
firewarden_warnings(firewarden_fake_google)

# google-auth-library and firewarden ask the same fake endpoints for tokens
# from the same credential files; the test compares what each one sent.
# Needs node and `npm ci` in tests/conformance/google-auth (scripts/bootstrap).
find_program(FIREWARDEN_NODE node)
add_executable(conformance_google_auth
               ${_credentials_tests_dir}/conformance/google-auth/conformance_test.cpp)
target_link_libraries(conformance_google_auth PRIVATE firewarden_credentials
                      firewarden_fake_google firewarden_catch_main)
target_compile_definitions(conformance_google_auth PRIVATE
    FIREWARDEN_NODE="${FIREWARDEN_NODE}"
    FIREWARDEN_GOOGLE_AUTH_DIR="${_credentials_tests_dir}/conformance/google-auth")
firewarden_warnings(conformance_google_auth)
catch_discover_tests(conformance_google_auth TEST_PREFIX "conformance: " DISCOVERY_MODE PRE_TEST
                     EXTRA_ARGS --warn NoTests
                     WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
