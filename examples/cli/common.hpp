// SPDX-License-Identifier: MIT
// The jwtmint tool's shared vocabulary: exit statuses, usage errors, algorithm choice, output
// helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <jwtmint/error.hpp>
#include <jwtmint/signers.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// Exit statuses shared by every command (issue 5 fixes them for verify; the others follow suit).
inline constexpr int exit_ok = 0;       ///< done / valid / every check passed
inline constexpr int exit_refused = 1;  ///< the token (or the set-up under examination) is bad
inline constexpr int exit_usage = 2;    ///< bad options or values, an unreadable or unusable key

/// A command-line mistake that CLI11 cannot see (a bad --ttl, no token given): exit status 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A jwt::error raised while judging a token (verify, inspect, doctor): exit status 1.
class refusal : public std::runtime_error {
public:
    explicit refusal(const jwt::error& e) : std::runtime_error(e.what()), code_(e.value()) {}
    refusal(jwt::errc code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    [[nodiscard]] jwt::errc code() const noexcept { return code_; }

private:
    jwt::errc code_;
};

/// The algorithms jwtmint mints and checks.
enum class algorithm { rs256, es256, hs256 };

/// "RS256", "ES256", "HS256".
[[nodiscard]] const char* algorithm_name(algorithm a) noexcept;

/// Parses an algorithm name, case-insensitively; nullopt when it is none of the three.
[[nodiscard]] std::optional<algorithm> parse_algorithm(std::string_view text) noexcept;

/// A type tag, so one generic lambda can be instantiated for each signer type.
template <class T>
struct alg_tag {
    using type = T;
};

/// Calls f(alg_tag<jwt::rs256>{}) (or es256, hs256) for the algorithm chosen at run time.
template <class F>
decltype(auto) with_algorithm(algorithm a, F&& f) {
    switch (a) {
        case algorithm::rs256:
            return f(alg_tag<jwt::rs256>{});
        case algorithm::es256:
            return f(alg_tag<jwt::es256>{});
        case algorithm::hs256:
            break;
    }
    return f(alg_tag<jwt::hs256>{});
}

/// Prints "error: <errc name>: <message>" as one line on stderr.
void print_error(jwt::errc code, std::string_view message);
/// Prints "error: usage: <message>" as one line on stderr.
void print_usage_error(std::string_view message);

/// message with every line break (and other control character) turned into a space: one line.
[[nodiscard]] std::string one_line(std::string_view message);

/// The token from the command line, or (when absent or "-") the whole of standard input,
/// with surrounding whitespace removed. @throws usage_error when there is no token at all
[[nodiscard]] std::string read_token(const std::string& argument);

/// Splits "A, B ,C" into trimmed non-empty names. @throws usage_error on an empty name
[[nodiscard]] std::vector<std::string> split_list(std::string_view text, std::string_view option);

/// The time to judge tokens at: --now when given, else the system clock.
[[nodiscard]] std::int64_t now_or(const std::optional<std::int64_t>& pinned);

/// Refuses a role claim name the vendor's "Attribute name" could not be: empty, or one of the
/// registered and identity claims. @throws usage_error
void check_role_claim_name(const std::string& name);

/// ASCII-lowercased copy.
[[nodiscard]] std::string lower(std::string_view text);

}  // namespace cli
