# Helpers shared by every CMakeLists.txt in the tree.
include_guard(GLOBAL)

# `fuzzers` builds every libFuzzer target (CLEANSWEEP_FUZZ=ON only).
if(CLEANSWEEP_FUZZ AND NOT TARGET fuzzers)
  add_custom_target(fuzzers)
endif()

# cs_test(NAME SOURCES... DEPS...) — a GoogleTest binary registered with ctest.
function(cs_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "CLEANSWEEP_SOURCE_DIR=${CMAKE_SOURCE_DIR};CLEANSWEEP_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# cs_fuzz(NAME SOURCE CORPUS_DIR DEPS...) — a libFuzzer target.
# Under clang with CLEANSWEEP_FUZZ=ON it links -fsanitize=fuzzer; in every build
# the same entry point is also linked with a replay driver and its seed corpus
# runs as an ordinary ctest test, so the corpus is exercised under gcc too.
function(cs_fuzz name)
  cmake_parse_arguments(ARG "" "SOURCE;CORPUS" "DEPS" ${ARGN})
  add_executable(${name}_replay ${ARG_SOURCE} ${CMAKE_SOURCE_DIR}/common/fuzz_replay_main.cc)
  target_link_libraries(${name}_replay PRIVATE ${ARG_DEPS})
  set_target_properties(${name}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name}_corpus COMMAND ${name}_replay ${ARG_CORPUS})
  if(CLEANSWEEP_FUZZ)
    add_executable(${name} ${ARG_SOURCE})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE ${ARG_DEPS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    add_dependencies(fuzzers ${name})
  endif()
endfunction()
