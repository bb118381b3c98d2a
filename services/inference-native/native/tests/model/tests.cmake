# Tests of src/model (see ../CMakeLists.txt for the two lists).
list(APPEND MOCO_TEST_SOURCES)
