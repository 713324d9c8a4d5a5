# Deployment suite: the Kubernetes manifests in deploy/ and the container
# recipe in docker/Dockerfile, checked without a cluster or a Docker engine.
#   deploy: render OVERLAY          `kubectl kustomize deploy/overlays/OVERLAY`
#   deploy: schema OVERLAY          rendered objects against the Kubernetes, Istio and
#                                   prometheus-operator schemas, unknown fields refused
#                                   (tests/deploy/check_schemas.py)
#   deploy: check OVERLAY           rendered objects checked for the security
#                                   settings, probes, grace period, resources and
#                                   mode specifics; embedded config through
#                                   `firewarden check` (tests/deploy/check_manifests.py)
#   deploy: checker refuses MUTANT  the checker itself, on overlays with one
#                                   deliberate mistake each (tests/deploy/mutants)
#   deploy: image ...               docker/Dockerfile against `ldd` of the binary
#   deploy: policy hot reload ...   the kubelet's ConfigMap update sequence, live
#   docs: README five-minute walkthrough runs as written
# kubectl comes with the machine image (scripts/bootstrap warns when it is
# missing); PyYAML is Debian's python3-yaml, hence Debian's python3.
find_program(FIREWARDEN_KUBECTL kubectl)
if(NOT FIREWARDEN_KUBECTL)
  set(FIREWARDEN_KUBECTL kubectl)  # the tests then fail, saying so
endif()
if(EXISTS /usr/bin/python3)
  set(deploy_python /usr/bin/python3)
else()
  set(deploy_python python3)
endif()
set(deploy_state ${CMAKE_BINARY_DIR}/test-state/deploy)
set(deploy_checker ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_manifests.py)
set(deploy_schema_checker ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_schemas.py)

# The mode each overlay must satisfy: sidecar, gateway (mtls), istio (xfcc);
# a name containing "spiffe" also needs the SPIFFE CSI volume.
function(firewarden_deploy_expectation name out_args)
  if(name MATCHES "^sidecar")
    set(args --expect sidecar)
  elseif(name MATCHES "^istio")
    set(args --expect istio)
  else()
    set(args --expect gateway)
  endif()
  if(name MATCHES "spiffe")
    list(APPEND args --spiffe)
  endif()
  set(${out_args} ${args} PARENT_SCOPE)
endfunction()

function(firewarden_deploy_check test_name expectation_name directory scratch)
  firewarden_deploy_expectation(${expectation_name} expectation)
  add_test(NAME "${test_name}"
           COMMAND ${deploy_python} ${deploy_checker} ${expectation}
                   --kubectl ${FIREWARDEN_KUBECTL} --firewarden $<TARGET_FILE:firewarden>
                   --dev-certs ${PROJECT_SOURCE_DIR}/scripts/dev-certs
                   --scratch ${deploy_state}/${scratch} ${directory}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties("${test_name}" PROPERTIES TIMEOUT 120)
endfunction()

file(GLOB overlays LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/deploy/overlays/*)
foreach(overlay ${overlays})
  if(NOT IS_DIRECTORY ${overlay})
    continue()
  endif()
  get_filename_component(name ${overlay} NAME)
  add_test(NAME "deploy: render ${name}" COMMAND ${FIREWARDEN_KUBECTL} kustomize ${overlay})
  set_tests_properties("deploy: render ${name}" PROPERTIES TIMEOUT 120)
  firewarden_deploy_check("deploy: check ${name}" ${name} ${overlay} ${name})
  add_test(NAME "deploy: schema ${name}"
           COMMAND ${deploy_python} ${deploy_schema_checker} --kubectl ${FIREWARDEN_KUBECTL} ${overlay})
  set_tests_properties("deploy: schema ${name}" PROPERTIES TIMEOUT 120)
  # The cluster's policy passes its cases, read as this overlay's proxy reads
  # requests (its trust domains, path template, project and databases).
  if(EXISTS ${overlay}/firewarden.yaml)
    add_test(NAME "deploy: base policy passes its cases with the ${name} config"
             COMMAND firewarden test --config ${overlay}/firewarden.yaml
                     --policy ${PROJECT_SOURCE_DIR}/deploy/base/policy.yaml
                     ${PROJECT_SOURCE_DIR}/deploy/base/policy.test.yaml)
    # The sidecar's fixed_id comes from the downward API in a pod.
    set_tests_properties("deploy: base policy passes its cases with the ${name} config"
                         PROPERTIES ENVIRONMENT "POD_NAMESPACE=orders;POD_SERVICE_ACCOUNT=orders-api")
  endif()
endforeach()

# mutant -> (overlay whose expectations it breaks, or "schema" for the schema
# check; message the checker must print)
set(mutant_writable-root gateway "readOnlyRootFilesystem must be true")
set(mutant_short-grace gateway "terminationGracePeriodSeconds 25 < shutdown_delay 5s")
set(mutant_config-typo gateway "firewarden check refuses the embedded config.*shutdown_grase: unknown key")
set(mutant_readiness-on-healthz istio "readinessProbe must get /readyz")
set(mutant_istio-permissive istio "PeerAuthentication STRICT must select the pods")
set(mutant_sidecar-regular-container sidecar "firewarden must be a native sidecar")
set(mutant_schema-field-typo schema "Deployment/firewarden: unknown field /spec/template/spec/containers/0/securityContext/runAsNonroot")
set(mutant_app-mounts-google-token sidecar "app container app mounts firewarden's credential volume google-token")
set(mutant_istio-short-envoy-drain istio "Envoy drains for 5s .terminationDrainDuration., not longer than firewarden's shutdown_delay . shutdown_grace 25s")
set(mutant_sidecar-readiness-requires-token sidecar "admin.readiness_requires_token must be false in a sidecar")
set(mutant_startup-on-healthz gateway "startupProbe must get /startup")
set(mutant_tls-connections-beyond-memory gateway "memory limit 384Mi is below the measured need for 10000 TLS")
set(mutant_metadata-without-egress gateway "credentials.type metadata, but no NetworkPolicy egress rule allows 169.254.169.254/32 TCP 80")
file(GLOB mutants LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/deploy/mutants/*)
foreach(mutant ${mutants})
  if(NOT IS_DIRECTORY ${mutant})
    continue()
  endif()
  get_filename_component(name ${mutant} NAME)
  if(NOT DEFINED mutant_${name})
    message(FATAL_ERROR "tests/deploy.cmake: say what tests/deploy/mutants/${name} must be refused for")
  endif()
  list(GET mutant_${name} 0 overlay)
  list(GET mutant_${name} 1 message)
  if(overlay STREQUAL "schema")
    add_test(NAME "deploy: checker refuses ${name}"
             COMMAND ${deploy_python} ${deploy_schema_checker} --kubectl ${FIREWARDEN_KUBECTL} ${mutant})
  else()
    firewarden_deploy_check("deploy: checker refuses ${name}" ${overlay} ${mutant} mutant-${name})
  endif()
  # Passes only on this exact complaint (the checker exits 1 then).
  set_tests_properties("deploy: checker refuses ${name}"
                       PROPERTIES PASS_REGULAR_EXPRESSION "${message}")
endforeach()

set(image_checker ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_dockerfile.py)
add_test(NAME "deploy: image runtime packages match ldd of the binary"
         COMMAND ${deploy_python} ${image_checker} ${PROJECT_SOURCE_DIR}/docker/Dockerfile
                 $<TARGET_FILE:firewarden>)
add_test(NAME "deploy: image check refuses a runtime stage without libfmt9"
         COMMAND ${deploy_python} ${image_checker}
                 ${CMAKE_CURRENT_SOURCE_DIR}/deploy/mutants/Dockerfile.without-libfmt
                 $<TARGET_FILE:firewarden>)
set_tests_properties("deploy: image check refuses a runtime stage without libfmt9"
                     PROPERTIES PASS_REGULAR_EXPRESSION "runtime stage lacks libfmt9")

# Policy hot reload through a ConfigMap-style atomic symlink swap, with the
# real binary (loopback only, no emulator needed).
add_test(NAME "deploy: policy hot reload through a ConfigMap symlink swap"
         COMMAND ${deploy_python} ${CMAKE_CURRENT_SOURCE_DIR}/deploy/configmap_reload_test.py
                 $<TARGET_FILE:firewarden> ${deploy_state}/configmap-reload)
set_tests_properties("deploy: policy hot reload through a ConfigMap symlink swap"
                     PROPERTIES TIMEOUT 120)

# README's five-minute walkthrough, run as written (its own emulator, free
# loopback ports, a scratch directory).
add_test(NAME "docs: README five-minute walkthrough runs as written"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/readme_walkthrough_test.sh
                 $<TARGET_FILE:firewarden> ${deploy_state}/walkthrough
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("docs: README five-minute walkthrough runs as written"
                     PROPERTIES TIMEOUT 180)
