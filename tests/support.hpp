// SPDX-License-Identifier: MIT
// Test support: the known-answer vectors (tests/vectors), a pinned clock, hex and JSON helpers.
#pragma once

#include <jwtmint/json.hpp>  // nlohmann/json and the calls on JSON documents

#include "catch.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jwtmint_test {

/// The known-answer vectors: tests/vectors in the source tree, unless CMake's JWTMINT_VECTORS_DIR
/// says otherwise. They ship with the code, so their absence fails the test; nothing skips.
inline std::filesystem::path vectors_dir() {
    std::filesystem::path dir{JWTMINT_VECTORS_DIR};
    if (!std::filesystem::is_directory(dir / "rfc") || !std::filesystem::is_directory(dir / "wycheproof")) {
        FAIL("the known-answer vectors are not at " << dir.string()
                                                    << " (JWTMINT_VECTORS_DIR): they ship in the source tree as "
                                                       "tests/vectors; restore that folder from git");
    }
    return dir;
}

/// One line on stdout with the number of known-answer cases a test checked, so a run shows it.
inline void print_vector_count(const char* what, std::size_t cases) {
    std::printf("vectors %s: %zu checked\n", what, cases);
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in.good()) FAIL("cannot read " << p.string());
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
