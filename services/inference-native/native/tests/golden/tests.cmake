# Tests of the golden-file parity check against HF transformers (see ../CMakeLists.txt for the two lists).
#
# test_golden.cpp (public API only) compares libmoco with the fixtures in golden/models/, written by
# tools/golden/make_golden_*.py. It finds them through MOCO_TEST_GOLDEN_DIR, set here as a property of
# the source file: source properties set in this directory scope (tests/CMakeLists.txt includes this
# file) apply to moco_tests, which is created later in the same scope. $MOCO_GOLDEN_DIR overrides it at
# run time (e.g. to try freshly regenerated fixtures); without either the test falls back to the
# models/ folder next to its source file.
list(APPEND MOCO_TEST_SOURCES golden/test_golden.cpp)
set(MOCO_GOLDEN_DIR "${CMAKE_CURRENT_LIST_DIR}/models")
set_property(SOURCE golden/test_golden.cpp APPEND PROPERTY
    COMPILE_DEFINITIONS "MOCO_TEST_GOLDEN_DIR=\"${MOCO_GOLDEN_DIR}\"")
