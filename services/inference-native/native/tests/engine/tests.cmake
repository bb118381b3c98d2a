# Tests of the KV cache and forward (src/cpu) (see ../CMakeLists.txt for the two lists).
list(APPEND MOCO_TEST_SOURCES)
