// SPDX-License-Identifier: MIT
// The jwtmint tool's shared vocabulary: exit statuses, usage errors, the table of algorithms,
// output helpers.
#pragma once

#include <jwtmint/error.hpp>
#include <jwtmint/signers.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cli {

/// Exit statuses shared by every command (verify's are the documented contract; the others follow suit).
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
    refusal(jwt::errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    [[nodiscard]] jwt::errc code() const noexcept { return code_; }

private:
    jwt::errc code_;
};

/// A type tag, so one generic lambda can be instantiated for each signer type.
template <class T>
using alg_tag = jwt::algorithm_tag<T>;

template <class List>
struct variant_of_tags;
template <class... Algorithms>
struct variant_of_tags<jwt::algorithm_list<Algorithms...>> {
    using type = std::variant<alg_tag<Algorithms>...>;
};

/// The algorithms jwtmint mints and checks: the library's own list (jwt::all_algorithms), in
/// its order, which --help keeps. Each entry is the library's signer type; what else a command
/// needs to know (the key kind, curve, secret size) is read from that type.
using algorithm = variant_of_tags<jwt::all_algorithms>::type;

/// Calls f(alg_tag<Alg>{}) for the signer type Alg chosen at run time.
template <class F>
decltype(auto) with_algorithm(const algorithm& a, F&& f) {
    return std::visit(std::forward<F>(f), a);
}

/// The kind of key an algorithm signs with.
enum class key_kind { rsa, ec, ed25519, secret };

template <class Alg>
[[nodiscard]] constexpr key_kind key_kind_of() noexcept {
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        return key_kind::secret;
    } else {
        constexpr std::string_view type = Alg::spec.key_type;
        if constexpr (type == "RSA") return key_kind::rsa;
        if constexpr (type == "EC") return key_kind::ec;
        return key_kind::ed25519;
    }
}

// This and algorithm_name call std::visit, which cannot throw here: a variant of empty tags is
// never valueless.
[[nodiscard]] key_kind key_kind_of(const algorithm& a) noexcept;  // NOLINT(bugprone-exception-escape)

/// Every entry of the table, in order.
[[nodiscard]] const std::vector<algorithm>& all_algorithms();

/// The JOSE name: "RS256", "PS384", "EdDSA", "HS512".
[[nodiscard]] const char* algorithm_name(const algorithm& a) noexcept;  // NOLINT(bugprone-exception-escape)

/// Parses an algorithm name, case-insensitively; nullopt when it is not in the table.
[[nodiscard]] std::optional<algorithm> parse_algorithm(std::string_view text);

/// Every JOSE name, lower-cased ("rs256", ..., "eddsa", ...), for CLI11's IsMember.
[[nodiscard]] std::vector<std::string> algorithm_names_lower();

/// "RS256, RS384, ..., HS512" (or lower-cased), for help texts and messages.
[[nodiscard]] std::string algorithm_list(bool lowercase = false);

/// Parses the value of option (--alg); an empty value is nullopt (the key decides).
/// @throws usage_error naming every algorithm when the name is not in the table
[[nodiscard]] std::optional<algorithm> parse_algorithm_option(const std::string& value, std::string_view option);

/// "a" or "an" before an algorithm name as spoken: "an RS256", "a PS256", "an EdDSA".
[[nodiscard]] std::string algorithm_with_article(const algorithm& a);

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
