# Tests of training (src/train) (see ../CMakeLists.txt for the two lists).
#   train_util.*         examples, trainer parameters as reference weights, double-precision losses
#   test_gradients       every parameter kind and loss against finite differences (white-box)
#   test_trainer         LoRA identity at step 0, trainer vs inference logits, saved adapters and
#                        checkpoints, determinism across thread counts (white-box)
#   test_train_api       the public moco_trainer_* ABI: errors, over-fitting, SFT then greedy
#                        decoding, DPO, policy gradient, save/reload round trips
list(APPEND MOCO_TEST_SOURCES
    train/test_train_api.cpp)
list(APPEND MOCO_INTERNAL_TEST_SOURCES
    train/train_util.cpp
    train/test_gradients.cpp
    train/test_trainer.cpp)
