# Tests of the golden-file parity check against HF transformers (see ../CMakeLists.txt for the two lists).
list(APPEND MOCO_TEST_SOURCES)
