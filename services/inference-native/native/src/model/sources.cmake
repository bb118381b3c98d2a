# Checkpoint loading: config.json, tensor binding per architecture, LoRA adapters.
list(APPEND MOCO_SOURCES
    src/model/adapter_api.cpp
    src/model/adapter_config.cpp
    src/model/bind_tensor.cpp
    src/model/json_fields.cpp
    src/model/model.cpp
    src/model/model_api.cpp
    src/model/model_config.cpp
    src/model/model_weights.cpp)
