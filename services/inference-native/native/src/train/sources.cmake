# Training (the trainer, and its engine on the CPU): forward with saved activations and backward, losses, AdamW, checkpoints.
list(APPEND MOCO_SOURCES
    src/train/linear.cpp
    src/train/pass.cpp
    src/train/params.cpp
    src/train/losses.cpp
    src/train/optimizer.cpp
    src/train/cpu_engine.cpp
    src/train/engine.cpp
    src/train/trainer.cpp
    src/train/safetensors_out.cpp
    src/train/checkpoint.cpp
    src/train/trainer_state.cpp
    src/train/api_train.cpp)
