// SPDX-License-Identifier: MIT
// The second translation unit of odr_test: includes the umbrella header too.
#include "odr_test_second_tu.hpp"

#include <jwtmint/jwtmint.hpp>

#include <chrono>

namespace odr_second_tu {

const std::error_category* category_address() { return &jwt::category(); }

std::error_code weak_key_code() { return jwt::errc::weak_key; }

std::string mint(const std::string& secret) {
    const auto signer = jwt::hs256::from_secret(secret);
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1764000000}};
    return jwt::builder{signer}.roles({"A", "B"}).email("ada@example.com").sign_at(now);
}

std::string encode(const std::string& data) { return jwt::base64url_encode(data); }

std::string version() { return JWTMINT_VERSION_STRING; }

int throw_weak_key() { return static_cast<int>(jwt::hs256::from_secret("short").signature_size()); }

}  // namespace odr_second_tu
