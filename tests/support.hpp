// SPDX-License-Identifier: MIT
// Test support: the shared known-answer vectors, a pinned clock, hex and JSON helpers.
#pragma once

#include "catch.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jwtmint_test {

/// Where ../shared/vectors is (set by CMake as JWTMINT_VECTORS_DIR), or nullopt in a user's clone.
inline std::optional<std::filesystem::path> vectors_dir() {
    const std::filesystem::path dir{JWTMINT_VECTORS_DIR};
    if (std::filesystem::is_directory(dir / "rfc")) return dir;
    return std::nullopt;
}

/// True when vectors are required (CI configures -DJWTMINT_REQUIRE_VECTORS=ON).
inline constexpr bool vectors_required = JWTMINT_REQUIRE_VECTORS != 0;

inline const char* const vectors_hint =
    "known-answer vectors not found at " JWTMINT_VECTORS_DIR
    "; skipping. Get them from the RFC texts, C2SP Wycheproof (testvectors_v1) and the ietf-jose "
    "cookbook, and configure with -DJWTMINT_VECTORS_DIR=<dir>";

/// In a test case: leaves the case (with one line saying why) when the vectors are absent,
/// or fails it when CI requires them.
#define JWTMINT_NEED_VECTORS(dir_var)                              \
    const auto dir_var##_opt = ::jwtmint_test::vectors_dir();      \
    if (!dir_var##_opt) {                                          \
        if (::jwtmint_test::vectors_required) FAIL(::jwtmint_test::vectors_hint); \
        WARN(::jwtmint_test::vectors_hint);                        \
        return;                                                    \
    }                                                              \
    const std::filesystem::path& dir_var = *dir_var##_opt

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in.good());
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(read_text(p)); }

/// A clock pinned by the test: `fixed_clock::set(t)`.
struct fixed_clock {
    using duration = std::chrono::system_clock::duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::system_clock::time_point;
    static constexpr bool is_steady = false;
    static time_point& current() {
        static time_point t{std::chrono::seconds{1764000000}};
        return t;
    }
    static void set(std::int64_t unix_seconds) { current() = time_point{std::chrono::seconds{unix_seconds}}; }
    static time_point now() { return current(); }
};

inline std::string hex_decode(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

}  // namespace jwtmint_test
