# The JSON tape's string scan has an SSE2 path, which every x86-64 build takes,
# and a portable one (8 bytes at a time, then byte-wise) that arm64 and other
# targets ship. So that the portable path never ships untested, the tape and
# body-differential tests are built a second time against json_tape.cpp
# compiled with FIREWARDEN_PORTABLE_SCAN, and run with every test run.
#
# The program's own json_tape.cpp object defines every symbol of that file, so
# the linker never takes firewarden_firestore's (SSE2) json_tape.o: objects
# named on the command line come before archive members.
add_executable(unit_json_tape_portable_scan
               ${PROJECT_SOURCE_DIR}/src/firestore/json_tape.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/firestore/json_tape_test.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/unit/firestore/body_differential_test.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/corpus/corpus_case.cpp)
target_compile_definitions(unit_json_tape_portable_scan PRIVATE FIREWARDEN_PORTABLE_SCAN)
target_include_directories(unit_json_tape_portable_scan PRIVATE
                           ${CMAKE_CURRENT_SOURCE_DIR}/corpus
                           ${CMAKE_CURRENT_SOURCE_DIR}/legacy_body)
target_link_libraries(unit_json_tape_portable_scan PRIVATE firewarden_firestore
                      firewarden_legacy_body firewarden_catch_main)
firewarden_warnings(unit_json_tape_portable_scan)
catch_discover_tests(unit_json_tape_portable_scan TEST_PREFIX "firestore (portable scan): "
                     DISCOVERY_MODE PRE_TEST EXTRA_ARGS --warn NoTests
                     WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
