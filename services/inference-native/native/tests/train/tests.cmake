# Tests of training (src/train) (see ../CMakeLists.txt for the two lists).
#   train_util.*         examples, trainer parameters as reference weights, double-precision losses
#   test_gradients       every parameter kind and loss against finite differences (white-box)
#   test_trainer         LoRA identity at step 0, trainer vs inference logits, saved adapters and
#                        checkpoints, determinism across thread counts (white-box)
#   test_train_api       the public moco_trainer_* ABI: errors, over-fitting, SFT then greedy
#                        decoding, DPO, policy gradient, save/reload round trips
#   test_trainer_state   moco_trainer_save_state / load_state: bit-exact resume, refused states
#   test_torch_steps     three AdamW steps against PyTorch (golden/adamw_steps, written by
#                        tools/train/make_adamw_steps_torch.py) (white-box)
list(APPEND MOCO_TEST_SOURCES
    train/test_train_api.cpp
    train/test_trainer_state.cpp)
list(APPEND MOCO_INTERNAL_TEST_SOURCES
    train/train_util.cpp
    train/test_gradients.cpp
    train/test_trainer.cpp
    train/test_torch_steps.cpp)
set_property(SOURCE train/test_torch_steps.cpp APPEND PROPERTY COMPILE_DEFINITIONS
    "MOCO_TEST_TRAIN_GOLDEN=\"${CMAKE_CURRENT_LIST_DIR}/golden/adamw_steps\""
    "MOCO_TEST_GOLDEN_MODELS=\"${CMAKE_CURRENT_LIST_DIR}/../golden/models\"")
