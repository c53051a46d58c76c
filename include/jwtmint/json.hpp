// SPDX-License-Identifier: MIT
/// @file
/// jwtmint with nlohmann/json: include this header where a JSON document is asked for. It brings
/// <nlohmann/json.hpp> and the calls on JSON values (parse_roles, session_identity), and enables
/// the members that take or give one: builder::claim(name, value), verified_token::claims(),
/// header() and claim(name), login_policy::from_file / from_json / to_json. Files that only mint
/// and verify do not need it, and so do not compile nlohmann/json; nor does <jwtmint/jwtmint.hpp>
/// include it.
#pragma once

#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_fwd.hpp>
#include <jwtmint/detail/policy_reader.hpp>
#include <jwtmint/error.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace jwt {
inline namespace v1 {

namespace detail {
template <>
struct include_jwtmint_json_hpp_to_use_json_documents<json_tag> {
    using type = nlohmann::json;
};
template <>
struct include_jwtmint_json_hpp_to_use_json_documents<ordered_json_tag> {
    using type = nlohmann::ordered_json;
};
}  // namespace detail

/// Reads a role claim value in either form (array of strings, or comma-separated string) into a
/// list of trimmed names. Fails with errc::invalid_claim for any other JSON type or empty names.
[[nodiscard]] inline result<std::vector<std::string>> try_parse_roles(const nlohmann::json& value) {
    std::vector<std::string> roles;
    bool only_strings = true;
    if (value.is_string()) {
        roles = split_roles(value.get_ref<const std::string&>());
    } else if (value.is_array()) {
        for (const auto& v : value) {
            only_strings = only_strings && v.is_string();
            if (only_strings) roles.emplace_back(detail::trim(v.get_ref<const std::string&>()));
        }
    }
    if (const char* fault = detail::role_claim_fault(value.is_string() || value.is_array(), only_strings, roles)) {
        return detail::fail(errc::invalid_claim, fault);
    }
    return roles;
}
/// As try_parse_roles, throwing jwt::error.
[[nodiscard]] inline std::vector<std::string> parse_roles(const nlohmann::json& value) {
    return try_parse_roles(value).value();
}
/// As try_parse_roles, reporting only the code.
[[nodiscard]] inline std::optional<std::vector<std::string>> parse_roles(const nlohmann::json& value,
                                                                         std::error_code& ec) {
    return detail::to_optional(try_parse_roles(value), ec);
}

/// The session identity as the vendor resolves it: the first of email, upn, preferred_username
/// that is present. When that one is not a string, or is empty or blank, there is no identity:
/// the next claim is not consulted (the vendor may not skip it either; jwt::verifier refuses
/// such a token).
[[nodiscard]] inline std::optional<std::string> session_identity(const nlohmann::json& claims) {
    if (!claims.is_object()) return std::nullopt;
    for (const std::string_view name : identity_claims) {
        const auto it = claims.find(std::string(name));
        if (it == claims.end()) continue;
        if (!it->is_string() || detail::trim(it->get_ref<const std::string&>()).empty()) return std::nullopt;
        return it->get<std::string>();
    }
    return std::nullopt;
}

}  // namespace v1
}  // namespace jwt
