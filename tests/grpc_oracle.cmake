# The gRPC reader's differential test: libprotobuf (Debian protobuf-compiler,
# libprotobuf-dev) as the oracle, with C++ generated from the .proto files the
# @google-cloud/firestore npm package ships (scripts/bootstrap installs it
# under tests/e2e/node). Tests only: the daemon never links libprotobuf.
set(FIREWARDEN_FIRESTORE_PROTOS
    "${PROJECT_SOURCE_DIR}/tests/e2e/node/node_modules/@google-cloud/firestore/build/protos"
    CACHE PATH "the protos directory of the @google-cloud/firestore npm package")
find_package(Protobuf)
if(NOT Protobuf_FOUND OR NOT EXISTS "${FIREWARDEN_FIRESTORE_PROTOS}/google/firestore/v1/firestore.proto")
  message(STATUS "gRPC differential test skipped: needs protoc, libprotobuf and "
                 "${FIREWARDEN_FIRESTORE_PROTOS} (scripts/bootstrap)")
  return()
endif()

# firestore.proto's imports: google/api, google/rpc and google/type from the
# same tree; google/protobuf (well-known types) from libprotobuf itself, so the
# generated code and the library agree on them.
set(oracle_protos)
foreach(dir google/firestore/v1 google/api google/rpc google/type)
  file(GLOB found RELATIVE "${FIREWARDEN_FIRESTORE_PROTOS}" "${FIREWARDEN_FIRESTORE_PROTOS}/${dir}/*.proto")
  list(APPEND oracle_protos ${found})
endforeach()
set(oracle_out "${CMAKE_CURRENT_BINARY_DIR}/firestore_protos")
set(oracle_sources)
set(oracle_inputs)
foreach(proto ${oracle_protos})
  string(REGEX REPLACE "\\.proto$" "" stem ${proto})
  list(APPEND oracle_sources "${oracle_out}/${stem}.pb.cc")
  list(APPEND oracle_inputs "${FIREWARDEN_FIRESTORE_PROTOS}/${proto}")
endforeach()
add_custom_command(
  OUTPUT ${oracle_sources}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${oracle_out}"
  COMMAND protobuf::protoc -I${Protobuf_INCLUDE_DIRS} -I${FIREWARDEN_FIRESTORE_PROTOS}
          --cpp_out=${oracle_out} ${oracle_protos}
  DEPENDS ${oracle_inputs}
  COMMENT "Generating C++ from the Firestore protos (test oracle)"
  VERBATIM)
add_library(firewarden_firestore_protos_oracle STATIC ${oracle_sources})
target_include_directories(firewarden_firestore_protos_oracle SYSTEM PUBLIC "${oracle_out}")
target_link_libraries(firewarden_firestore_protos_oracle PUBLIC protobuf::libprotobuf)
target_compile_options(firewarden_firestore_protos_oracle PRIVATE -w)  # generated code

file(GLOB oracle_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/firestore/oracle/*.cpp)
add_executable(unit_firestore_grpc_oracle ${oracle_tests})
target_link_libraries(unit_firestore_grpc_oracle PRIVATE firewarden_firestore
                      firewarden_firestore_protos_oracle firewarden_catch_main)
firewarden_warnings(unit_firestore_grpc_oracle)
catch_discover_tests(unit_firestore_grpc_oracle TEST_PREFIX "firestore (libprotobuf oracle): "
                     DISCOVERY_MODE PRE_TEST EXTRA_ARGS --warn NoTests
                     WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
