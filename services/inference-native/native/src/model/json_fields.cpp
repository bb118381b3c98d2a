// JsonFields: the checked field reads behind config.json and adapter_config.json parsing.
#include "model/json_fields.h"

#include "common.h"


namespace moco {

using nlohmann::json;

const json* JsonFields::find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
}

moco_status JsonFields::reject(const char* key, const char* requirement, moco_status status) {
    if (status_ == MOCO_OK) {
        const auto it = object_.find(key);
        const std::string value = it == object_.end() ? "missing" : json_excerpt(*it);
        status_ = set_error(status, "%s: key \"%s\" is %s; it must be %s", where_.c_str(), key,
                            value.c_str(), requirement);
    }
    return status_;
}

int JsonFields::integer(const char* key, int fallback, int min, int max) {
    const json* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_number_integer() && value->get<long long>() >= min &&
        value->get<long long>() <= max) {
        return static_cast<int>(value->get<long long>());
    }
    const std::string requirement =
        "an integer between " + std::to_string(min) + " and " + std::to_string(max);
    reject(key, requirement.c_str());
    return fallback;
}

double JsonFields::number(const char* key, double fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_number() && value->get<double>() > 0) {
        return value->get<double>();
    }
    reject(key, "a positive number");
    return fallback;
}

bool JsonFields::boolean(const char* key, bool fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_boolean()) {
        return value->get<bool>();
    }
    reject(key, "true or false");
    return fallback;
}

std::string JsonFields::string(const char* key, const char* fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_string()) {
        return value->get<std::string>();
    }
    reject(key, "a string");
    return fallback;
}

}  // namespace moco
