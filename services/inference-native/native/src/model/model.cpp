// Destructors of the model and adapter handles: they live here because only this file sees both
// the loader's WeightStorage and the backend's PreparedWeights complete.
#include "model/model.h"

#include "cpu/prepared_weights.h"
#include "model/weight_storage.h"

moco_model::~moco_model() = default;
moco_adapter::~moco_adapter() = default;
