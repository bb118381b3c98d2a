# The safetensors format: header parsing and validation, file mapping, sharded indexes.
list(APPEND MOCO_SOURCES
    src/safetensors/mapped_file.cpp
    src/safetensors/safetensors_header.cpp
    src/safetensors/tensor_files.cpp)
