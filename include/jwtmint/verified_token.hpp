// SPDX-License-Identifier: MIT
/// @file
/// What a verifier returns: jwt::verified_jws (a JWS whose signature held) and jwt::verified_token
/// (a JWT whose claims passed too), and the limits every verifier here applies.
#pragma once

#include <jwtmint/detail/json_fwd.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jwt {
inline namespace v1 {

/// Whole seconds on the system clock since the Unix epoch (C++20's std::chrono::sys_seconds).
using sys_seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

/// The default ceiling on a compact token's length in octets, checked before any decoding.
inline constexpr std::size_t default_max_token_size = std::size_t{8} * 1024;

/// The latest NumericDate the verifier accepts: 9999-12-31T23:59:59Z. Later values, negative
/// values, non-numbers and non-finite numbers are refused as errc::invalid_claim.
inline constexpr std::int64_t max_numeric_date = 253402300799;

/// The deepest nesting of arrays and objects accepted in a header or claims set.
inline constexpr int max_json_depth = 32;

template <class Algorithm, class Clock>
class verifier;

namespace detail {
class claim_rules;
}  // namespace detail

/// A compact JWS whose header passed the verifier's rules and whose signature verified with
/// the pinned key: the decoded header text and the payload octets (not interpreted).
class verified_jws {
public:
    /// Parses the protected header; call once and keep the result. Needs <jwtmint/json.hpp>.
    template <class Tag = detail::json_tag>
    [[nodiscard]] detail::json_t<Tag> header() const {
        return detail::parse_scanned_json<detail::json_t<Tag>>(header_text());
    }
    /// The protected header's JSON text, base64url-decoded.
    [[nodiscard]] std::string_view header_text() const noexcept {
        return std::string_view(text_).substr(0, header_size_);
    }
    /// The payload octets, base64url-decoded.
    [[nodiscard]] std::string_view payload() const noexcept { return std::string_view(text_).substr(header_size_); }
    /// The `kid` header parameter, if present.
    [[nodiscard]] std::optional<std::string> key_id() const { return kid_; }

private:
    template <class, class>
    friend class verifier;
    std::string text_;  // the header's text, then the payload's: one allocation for both
    std::size_t header_size_ = 0;
    std::optional<std::string> kid_;
};

/// A verified widget-login token: the values the verifier checked, typed, and the header and
/// claims set as text (parsed into JSON only on request). Everything here passed the verifier
/// that returned it. Immutable: safe to read from many threads at once.
class verified_token {
public:
    /// Parses the protected header; call once and keep the result. Needs <jwtmint/json.hpp>.
    template <class Tag = detail::json_tag>
    [[nodiscard]] detail::json_t<Tag> header() const {
        return detail::parse_scanned_json<detail::json_t<Tag>>(header_text());
    }
    /// Parses the claims set; call once and keep the result. Needs <jwtmint/json.hpp>.
    template <class Tag = detail::json_tag>
    [[nodiscard]] detail::json_t<Tag> claims() const {
        return detail::parse_scanned_json<detail::json_t<Tag>>(claims_text());
    }
    /// The protected header's JSON text, base64url-decoded.
    [[nodiscard]] std::string_view header_text() const noexcept {
        return std::string_view(text_).substr(0, header_size_);
    }
    /// The claims set's JSON text (the payload), base64url-decoded.
    [[nodiscard]] std::string_view claims_text() const noexcept { return std::string_view(text_).substr(header_size_); }
    /// One claim parsed from the claims set (only that member's value is parsed), or nullopt.
    /// Needs <jwtmint/json.hpp>.
    template <class Tag = detail::json_tag>
    [[nodiscard]] std::optional<detail::json_t<Tag>> claim(std::string_view name) const {
        detail::json_object_scan scan;
        if (scan.scan(claims_text(), max_json_depth) != detail::json_fault::none) return std::nullopt;
        const detail::json_member* m = scan.find(name);
        if (m == nullptr) return std::nullopt;
        return detail::parse_scanned_json<detail::json_t<Tag>>(m->value);
    }
    /// The role names in token order: trimmed, without case-insensitive repeats, and spelled as
    /// in the login policy's team roles when those are set. Without a policy, read from a "roles"
    /// claim when it holds role names, else empty (a plain verifier requires no role claim).
    [[nodiscard]] const std::vector<std::string>& roles() const noexcept { return roles_; }
    /// The session identity as the vendor resolves it: the first present of email, upn,
    /// preferred_username, or of the login policy's identity_claims() (the verifier refuses an
    /// empty or blank one, so it is never empty).
    [[nodiscard]] const std::optional<std::string>& identity() const noexcept { return identity_; }
    /// The `iat` claim (issued at), if present.
    [[nodiscard]] std::optional<sys_seconds> issued_at() const noexcept { return to_time(iat_); }
    /// The `exp` claim (expires at), if present.
    [[nodiscard]] std::optional<sys_seconds> expires_at() const noexcept { return to_time(exp_); }
    /// The `nbf` claim (not before), if present.
    [[nodiscard]] std::optional<sys_seconds> not_before() const noexcept { return to_time(nbf_); }
    /// exp - iat, when both are present.
    [[nodiscard]] std::optional<std::chrono::seconds> lifetime() const noexcept {
        if (!iat_ || !exp_) return std::nullopt;
        return std::chrono::seconds{*exp_ - *iat_};
    }
    /// The `iss` claim, if present.
    [[nodiscard]] std::optional<std::string> issuer() const { return iss_; }
    /// The `sub` claim, if present.
    [[nodiscard]] std::optional<std::string> subject() const { return sub_; }
    /// The `jti` claim, if present.
    [[nodiscard]] std::optional<std::string> jwt_id() const { return jti_; }
    /// The `aud` claim as a list (a single string becomes one element; absent is empty).
    [[nodiscard]] std::vector<std::string> audience() const { return aud_; }
    /// The `kid` header parameter, if present.
    [[nodiscard]] std::optional<std::string> key_id() const { return kid_; }

private:
    template <class, class>
    friend class verifier;
    friend class detail::claim_rules;  // fills the checked values

    static std::optional<sys_seconds> to_time(const std::optional<std::int64_t>& t) noexcept {
        if (!t) return std::nullopt;
        return sys_seconds{std::chrono::seconds{*t}};
    }
    std::string text_;  // the header's text, then the claims set's: one allocation for both
    std::size_t header_size_ = 0;
    std::vector<std::string> roles_;
    std::optional<std::string> identity_;
    std::optional<std::int64_t> iat_, exp_, nbf_;
    std::optional<std::string> iss_, sub_, jti_, kid_;
    std::vector<std::string> aud_;
};

}  // namespace v1
}  // namespace jwt
