// SPDX-License-Identifier: MIT
// The JSON document type by name only. The calls that take or give a JSON document (a custom
// claim value, verified_token::claims(), policy files) are templates over a tag whose type
// <jwtmint/json.hpp> defines as nlohmann::json; so they compile only in a file that includes that
// header, and no other file compiles (or even includes) nlohmann/json.
#pragma once

#include <string_view>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The tag of nlohmann::json, and of nlohmann::ordered_json (members in the order written).
struct json_tag {};
struct ordered_json_tag {};

/// Defined by <jwtmint/json.hpp> (type: the JSON type of Tag). Until then it is incomplete, and a
/// call that takes or gives a JSON document does not compile: the error names this template.
template <class Tag>
struct include_jwtmint_json_hpp_to_use_json_documents;

/// The JSON type of Tag.
template <class Tag>
using json_t = typename include_jwtmint_json_hpp_to_use_json_documents<Tag>::type;

/// Parses JSON text that a verifier's scan already accepted (the scan accepts exactly what
/// nlohmann::json accepts, so this never fails).
template <class Json>
Json parse_scanned_json(std::string_view text) {
    return Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
