// Typed reads of a JSON object's fields (config.json, adapter_config.json) with Hugging Face's
// conventions: an absent or null key takes the config class's default. The first wrong value is
// recorded as the last error (MOCO_ERR_INVALID_ARGUMENT, "<where>: key "k" is <value>; it must
// be ..."); later reads return their fallback, so a parser reads every field then checks failed().
#pragma once

#include "moco.h"
#include "safetensors/json_excerpt.h"

#include <nlohmann/json.hpp>

#include <string>

namespace moco {

class JsonFields {
public:
    JsonFields(const nlohmann::json& object, std::string where)
        : object_(object), where_(std::move(where)) {}

    // The value of `key`, or nullptr when it is absent or null.
    const nlohmann::json* find(const char* key) const;

    int integer(const char* key, int fallback, int min, int max);
    double number(const char* key, double fallback);           // must be > 0
    bool boolean(const char* key, bool fallback);
    std::string string(const char* key, const char* fallback);

    // Records "<where>: key "key" is <value>; it must be <requirement>" (status as given) unless
    // an earlier failure was recorded. Returns the status recorded first.
    moco_status reject(const char* key, const char* requirement,
                       moco_status status = MOCO_ERR_INVALID_ARGUMENT);

    // Takes over the failure of a reader of a nested object (whose message is already recorded).
    void absorb(const JsonFields& nested) {
        if (status_ == MOCO_OK) status_ = nested.status_;
    }

    bool failed() const { return status_ != MOCO_OK; }
    moco_status status() const { return status_; }
    const std::string& where() const { return where_; }

private:
    const nlohmann::json& object_;
    std::string where_;
    moco_status status_ = MOCO_OK;
};

}  // namespace moco
