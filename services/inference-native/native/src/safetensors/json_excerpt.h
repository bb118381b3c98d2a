// A JSON value shown in an error message: compact and short. Only flat values are printed; a
// nested one is summarised, because dump() recurses and a crafted file can nest millions deep.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace moco {

inline std::string json_excerpt(const nlohmann::json& value) {
    constexpr std::size_t kMaxItems = 16;
    constexpr std::size_t kMaxChars = 60;
    bool flat = value.is_primitive() || value.size() <= kMaxItems;
    if (flat && value.is_structured()) {
        for (const nlohmann::json& item : value) {
            flat = flat && item.is_primitive();
        }
    }
    if (!flat) {
        return std::string("an ") + value.type_name() + " of " + std::to_string(value.size()) +
               (value.is_array() ? " item(s)" : " key(s)");
    }
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return text.size() > kMaxChars ? text.substr(0, kMaxChars - 3) + "..." : text;
}

}  // namespace moco
