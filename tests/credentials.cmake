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
