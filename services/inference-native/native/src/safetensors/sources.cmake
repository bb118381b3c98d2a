# The safetensors format: header parsing and validation, file mapping, sharded indexes.
list(APPEND MOCO_SOURCES)
