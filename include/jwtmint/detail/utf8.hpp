// SPDX-License-Identifier: MIT
// UTF-8 well-formedness (RFC 3629), the one definition the JSON scanner and the claim checks share,
// and the control-character test claims, key ids and key URIs share.
#pragma once

#include <cstddef>
#include <string_view>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The octets (2 to 4) of the well-formed UTF-8 sequence that starts with the non-ASCII octet
/// s[i] of s[0..n), or 0 when it is not one: a stray continuation octet, an overlong form
/// (C0, C1, E0 80..9F, F0 80..8F), a surrogate (ED A0..BF), above U+10FFFF, or cut short.
[[nodiscard]] inline std::size_t utf8_sequence_size(const unsigned char* s, std::size_t i, std::size_t n) noexcept {
    const unsigned c = s[i];
    std::size_t len = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (len > n - i) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
    }
    return len;
}

/// Whether s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
[[nodiscard]] inline bool is_valid_utf8(std::string_view s) noexcept {
    const auto* octets = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        if (octets[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_size(octets, i, n);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

/// Whether s holds an ASCII control character (U+0000..U+001F or DEL).
[[nodiscard]] inline bool has_control_char(std::string_view s) noexcept {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
