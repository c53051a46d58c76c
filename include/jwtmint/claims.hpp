// SPDX-License-Identifier: MIT
/// @file
/// Claim rules for widget-login tokens: role claim forms, identity, registered claim names, JSON text.
#pragma once

#include <jwtmint/detail/utf8.hpp>
#include <jwtmint/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace jwt {
inline namespace v1 {

/// How the role claim is written: a JSON array (the default) or one comma-separated string.
/// The vendor accepts both and matches each name case-insensitively to a team role.
enum class role_format { array, comma_separated };

/// The default name of the role claim (the vendor's "Attribute name" setting).
inline constexpr std::string_view default_role_claim = "roles";

/// Identity claims, in the order the vendor reads them: the first present is the session email.
inline constexpr std::string_view identity_claims[] = {"email", "upn", "preferred_username"};

namespace detail {

/// Appends the JSON escaping of s (RFC 8259 §7) without quotes; s must be valid UTF-8. Runs of
/// characters that need no escape are appended in one piece.
inline void append_json_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                out.append(u, sizeof u);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
}

/// Appends s as a JSON string literal; s must be valid UTF-8.
inline void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    append_json_escaped(out, s);
    out += '"';
}

/// Whether c is ASCII white space (" \t\r\n\f\v").
constexpr bool is_ascii_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// s without leading and trailing ASCII white space. (Loops rather than find_first_not_of,
/// which calls memchr once per character examined.)
inline std::string_view trim(std::string_view s) noexcept {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && is_ascii_space(s[b])) ++b;
    while (e > b && is_ascii_space(s[e - 1])) --e;
    return s.substr(b, e - b);
}

/// Whether names holds name: a loop, for lists of a few names (and no <algorithm> to include).
template <class Names>
bool is_listed(const Names& names, std::string_view name) noexcept {
    for (const auto& n : names) {
        if (n == name) return true;
    }
    return false;
}

inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// A text claim value must be valid UTF-8 without control characters.
inline status check_text(std::string_view what, std::string_view value) {
    if (!is_valid_utf8(value)) return fail(errc::invalid_claim, std::string(what) + " is not valid UTF-8");
    if (has_control_char(value)) {
        return fail(errc::invalid_claim, std::string(what) + " contains a control character (a newline or tab?)");
    }
    return {};
}

/// Whether a and b are equal ignoring the case of ASCII letters ("RS256" and "rs256", "JWT" and "jwt").
[[nodiscard]] inline bool ascii_iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

/// Whether alg names the unsecured JWS ("none", RFC 7518 section 3.6), in any case: never minted,
/// never accepted.
[[nodiscard]] inline bool is_unsecured_alg(std::string_view alg) noexcept { return ascii_iequal(alg, "none"); }
}  // namespace detail

/// Role names compare as the vendor compares them: case-insensitively (ASCII letters).
[[nodiscard]] inline bool role_equal(std::string_view a, std::string_view b) noexcept {
    return detail::ascii_iequal(a, b);
}

/// Splits a comma-separated role string as the vendor reads it, trimming each name
/// ("Accounting Team, Support Team" -> {"Accounting Team", "Support Team"}). Empty names are kept
/// as "" so that check_roles can refuse them.
[[nodiscard]] inline std::vector<std::string> split_roles(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        out.emplace_back(detail::trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                         : comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

namespace detail {
/// The role claim's rules for a value read into trimmed names, for the two readers of a role
/// claim (the verifier's, over the token's text, and jwt::parse_roles, over a JSON document): why
/// the value is refused, or nullptr. form_ok is whether it was a string or an array of strings.
[[nodiscard]] inline const char* role_claim_fault(bool form_ok, bool only_strings,
                                                  const std::vector<std::string>& roles) noexcept {
    if (!form_ok) return "the role claim must be an array of strings or a comma-separated string";
    if (!only_strings) return "the role claim array must hold only strings";
    if (roles.empty()) return "the role claim is an empty array";
    for (const auto& r : roles) {
        if (r.empty()) return "the role claim holds an empty role name";
    }
    return nullptr;
}

/// check_roles on names that are already trimmed; changes nothing.
inline status validate_roles(const std::vector<std::string>& roles, role_format format) {
    for (std::size_t i = 0; i < roles.size(); ++i) {
        const std::string& r = roles[i];
        if (r.empty()) {
            return fail(errc::invalid_claim, "role name #" + std::to_string(i + 1) +
                                                 " is empty; remove it or give the team role's exact name");
        }
        if (!is_valid_utf8(r) || has_control_char(r))
            return check_text("role name '" + r + "'", r);  // message only when needed
        if (format == role_format::comma_separated && r.find(',') != std::string::npos) {
            return fail(errc::invalid_claim,
                        "role name '" + r +
                            "' contains a comma, which the comma-separated form would split in two; "
                            "use role_format::array or rename the team role");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (role_equal(roles[j], r)) {
                return fail(errc::invalid_claim, "roles '" + roles[j] + "' and '" + r +
                                                     "' are the same role to the vendor (names match "
                                                     "case-insensitively); list it once");
            }
        }
    }
    return {};
}
}  // namespace detail

/// Trims each role name and refuses what the vendor could never match: an empty name, a comma
/// inside a name when the claim is written as one comma-separated string, control characters,
/// invalid UTF-8, and two names that differ only in case. Fails with errc::invalid_claim.
[[nodiscard]] inline status try_check_roles(std::vector<std::string>& roles, role_format format) {
    for (auto& r : roles) {
        const std::string_view t = detail::trim(r);
        if (t.size() != r.size()) r = std::string(t);
    }
    return detail::validate_roles(roles, format);
}
/// As try_check_roles, throwing jwt::error.
inline void check_roles(std::vector<std::string>& roles, role_format format) { try_check_roles(roles, format).value(); }
/// As try_check_roles, reporting only the code.
inline void check_roles(std::vector<std::string>& roles, role_format format, std::error_code& ec) {
    detail::to_error_code(try_check_roles(roles, format), ec);
}

namespace detail {
/// jwt::try_check_email; the builder calls it by this name.
inline status check_email(std::string_view email) {
    if (auto text = check_text("email", email); !text) return text;
    const std::size_t at = email.find('@');
    const auto bad = [&](const char* why) {
        return fail(errc::invalid_claim, "email '" + std::string(email) + "' does not look like an email address (" +
                                             why + "); the vendor uses it as the session email");
    };
    if (email.empty()) return bad("it is empty");
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
        return bad("it needs exactly one '@'");
    }
    if (email.find_first_of(" \t") != std::string_view::npos) {
        return bad("it contains a space");
    }
    const std::string_view local = email.substr(0, at);
    const std::string_view domain = email.substr(at + 1);
    if (local.empty() || local.size() > 64) return bad("the part before '@' must have 1 to 64 characters");
    if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
        domain.back() == '.' || domain.find("..") != std::string_view::npos) {
        return bad("the domain after '@' needs a dot, like example.com");
    }
    return {};
}
}  // namespace detail

/// Refuses an email that does not look like one: one '@', a non-empty local part, a domain
/// with a dot, no spaces or control characters. Fails with errc::invalid_claim.
[[nodiscard]] inline status try_check_email(std::string_view email) { return detail::check_email(email); }
/// As try_check_email, throwing jwt::error.
inline void check_email(std::string_view email) { try_check_email(email).value(); }
/// As try_check_email, reporting only the code.
inline void check_email(std::string_view email, std::error_code& ec) {
    detail::to_error_code(try_check_email(email), ec);
}

/// Claim names the builder manages itself; custom claims may not use them.
[[nodiscard]] inline bool is_managed_claim(std::string_view name) noexcept {
    for (const std::string_view m :
         {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "upn", "preferred_username"}) {
        if (name == m) return true;
    }
    return false;
}

}  // namespace v1
}  // namespace jwt
