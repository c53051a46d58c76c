// SPDX-License-Identifier: MIT
// Decoding a compact JWT without verifying it, for `inspect` and `doctor`: never trust what
// this returns; it only shows what a token says.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cli {

// bugprone-exception-escape is off for this struct: its implicit destructor runs nlohmann::json's,
// which allocates a stack to destroy nested values without recursion (std::bad_alloc, in theory).
/// A compact JWS split and decoded, signature unchecked.
struct unverified_token {  // NOLINT(bugprone-exception-escape)
    nlohmann::json header;
    nlohmann::json claims;
    std::string signature;  ///< raw octets
};

/// Splits and decodes a compact token. @throws jwt::error malformed_token or invalid_base64url
/// naming the segment at fault
[[nodiscard]] unverified_token decode_unverified(std::string_view token);

/// A NumericDate claim as whole seconds: nullopt when absent; @throws jwt::error invalid_claim
/// when present but not a finite number.
[[nodiscard]] std::optional<std::int64_t> numeric_date(const nlohmann::json& claims, const char* name);

}  // namespace cli
