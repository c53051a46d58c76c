// SPDX-License-Identifier: MIT
/// @file
/// Base64url (RFC 4648 §5) as JWS uses it: unpadded encoding and a strict decoder.
#pragma once

#include <jwtmint/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace jwt {
inline namespace v1 {

/// Length of the unpadded base64url encoding of n octets.
[[nodiscard]] constexpr std::size_t base64url_encoded_size(std::size_t n) noexcept {
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

namespace detail {
inline constexpr char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A character's 6-bit value, or b64url_invalid (a bit no 6-bit value has) for the characters
/// outside the alphabet.
inline constexpr std::uint32_t b64url_invalid = 0x80;
inline constexpr std::array<std::uint8_t, 256> b64url_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = b64url_invalid;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64url_alphabet[i])] = static_cast<std::uint8_t>(i);
    return t;
}();

/// Writes the encoding of [in, in+n) to out, which must hold base64url_encoded_size(n) chars.
inline char* base64url_encode_to(const unsigned char* in, std::size_t n, char* out) noexcept {
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        *out++ = b64url_alphabet[(v >> 18) & 63];
        *out++ = b64url_alphabet[(v >> 12) & 63];
        *out++ = b64url_alphabet[(v >> 6) & 63];
        *out++ = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        const std::uint32_t v = std::uint32_t{in[i]} << 16;
        *out++ = b64url_alphabet[(v >> 18) & 63];
        *out++ = b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        *out++ = b64url_alphabet[(v >> 18) & 63];
        *out++ = b64url_alphabet[(v >> 12) & 63];
        *out++ = b64url_alphabet[(v >> 6) & 63];
    }
    return out;
}
}  // namespace detail

/// Appends the unpadded base64url encoding of data to out.
inline void base64url_append(std::string& out, std::string_view data) {
    const std::size_t old = out.size();
    out.resize(old + base64url_encoded_size(data.size()));
    detail::base64url_encode_to(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data() + old);
}

/// The unpadded base64url encoding of data.
[[nodiscard]] inline std::string base64url_encode(std::string_view data) {
    std::string out;
    base64url_append(out, data);
    return out;
}

/// Length of the octets an unpadded base64url text of n characters decodes to (n % 4 == 1 is
/// no valid length; it gives the size of the text without its last character).
[[nodiscard]] constexpr std::size_t base64url_decoded_size(std::size_t n) noexcept {
    return (n / 4) * 3 + (n % 4 <= 1 ? 0 : n % 4 - 1);
}

namespace detail {
/// Decodes text into out, which must hold base64url_decoded_size(text.size()) octets; false
/// (out partly written) for padding, a foreign character, a length of 1 mod 4, or unused
/// trailing bits that are not zero.
inline bool base64url_decode_to(std::string_view text, unsigned char* out) noexcept {
    const std::size_t n = text.size();
    if (n % 4 == 1) return false;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const auto& t = b64url_table;
    std::size_t i = 0;
    // Four characters (24 bits) at a time; a foreign character's b64url_invalid bit shows in the OR.
    for (; i + 4 <= n; i += 4) {
        const std::uint32_t a = t[in[i]], b = t[in[i + 1]], c = t[in[i + 2]], d = t[in[i + 3]];
        if (((a | b | c | d) & b64url_invalid) != 0) return false;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        out[0] = static_cast<unsigned char>(v >> 16);
        out[1] = static_cast<unsigned char>(v >> 8);
        out[2] = static_cast<unsigned char>(v);
        out += 3;
    }
    // 2 or 3 characters left carry 1 or 2 octets; their 4 or 2 unused low bits must be zero
    // (RFC 4648 section 3.5), so each octet string has exactly one accepted encoding.
    if (n - i == 2) {
        const std::uint32_t a = t[in[i]], b = t[in[i + 1]];
        if (((a | b) & b64url_invalid) != 0 || (b & 0x0F) != 0) return false;
        out[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
    } else if (n - i == 3) {
        const std::uint32_t a = t[in[i]], b = t[in[i + 1]], c = t[in[i + 2]];
        if (((a | b | c) & b64url_invalid) != 0 || (c & 0x03) != 0) return false;
        const std::uint32_t v = (a << 12) | (b << 6) | c;
        out[0] = static_cast<unsigned char>(v >> 10);
        out[1] = static_cast<unsigned char>(v >> 2);
    }
    return true;
}
}  // namespace detail

/// Decodes unpadded base64url strictly: no '=', no characters outside the URL-safe
/// alphabet, no impossible length, and unused trailing bits must be zero (so every
/// octet string has exactly one accepted encoding). Sets ec to errc::invalid_base64url.
[[nodiscard]] inline std::string base64url_decode(std::string_view text, std::error_code& ec) {
    ec.clear();
    std::string out;
    if (text.size() % 4 != 1) {
        out.resize(base64url_decoded_size(text.size()));
        if (detail::base64url_decode_to(text, reinterpret_cast<unsigned char*>(out.data()))) return out;
    }
    ec = errc::invalid_base64url;
    return {};
}

/// Decodes as base64url_decode into the caller's buffer of capacity octets, allocating nothing;
/// returns the number of octets written. Sets ec to errc::invalid_base64url for a text the
/// strict decoder refuses, and to std::errc::no_buffer_space (writing nothing, judging nothing
/// else) when the decoded octets would not fit: base64url_decoded_size(text.size()) says how
/// many are needed.
[[nodiscard]] inline std::size_t base64url_decode(std::string_view text, unsigned char* out, std::size_t capacity,
                                                  std::error_code& ec) noexcept {
    ec.clear();
    const std::size_t n = base64url_decoded_size(text.size());
    if (text.size() % 4 == 1 || (n <= capacity && !detail::base64url_decode_to(text, out))) {
        ec = errc::invalid_base64url;
        return 0;
    }
    if (n > capacity) {
        ec = std::make_error_code(std::errc::no_buffer_space);
        return 0;
    }
    return n;
}

/// Decodes as base64url_decode(text, ec), the failure carrying the full message.
/// Fails with errc::invalid_base64url.
[[nodiscard]] inline result<std::string> try_base64url_decode(std::string_view text) {
    std::string out;
    if (text.size() % 4 != 1) {
        out.resize(base64url_decoded_size(text.size()));
        if (detail::base64url_decode_to(text, reinterpret_cast<unsigned char*>(out.data()))) return out;
    }
    return detail::fail(errc::invalid_base64url,
                        "invalid base64url: JWS segments use the URL-safe alphabet (A-Z a-z 0-9 - _) "
                        "without '=' padding, and unused trailing bits must be zero");
}

/// As try_base64url_decode, throwing jwt::error (errc::invalid_base64url).
[[nodiscard]] inline std::string base64url_decode(std::string_view text) { return try_base64url_decode(text).value(); }

}  // namespace v1
}  // namespace jwt
