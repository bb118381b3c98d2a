# Checkpoint loading: config.json, tensor binding per architecture, LoRA adapters.
list(APPEND MOCO_SOURCES
    src/model/model.cpp)
