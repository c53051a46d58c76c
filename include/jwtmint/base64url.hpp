// SPDX-License-Identifier: MIT
// Base64url (RFC 4648 §5) as JWS uses it: unpadded encoding and a strict decoder.
#pragma once

#include <jwtmint/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace jwt {

/// Length of the unpadded base64url encoding of n octets.
[[nodiscard]] constexpr std::size_t base64url_encoded_size(std::size_t n) noexcept {
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

namespace detail {
inline constexpr char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr std::array<std::int8_t, 256> b64url_table = [] {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64url_alphabet[i])] = static_cast<std::int8_t>(i);
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
    detail::base64url_encode_to(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                out.data() + old);
}

/// The unpadded base64url encoding of data.
[[nodiscard]] inline std::string base64url_encode(std::string_view data) {
    std::string out;
    base64url_append(out, data);
    return out;
}

/// Decodes unpadded base64url strictly: no '=', no characters outside the URL-safe
/// alphabet, no impossible length, and unused trailing bits must be zero (so every
/// octet string has exactly one accepted encoding). Sets ec to errc::invalid_base64url.
[[nodiscard]] inline std::string base64url_decode(std::string_view text, std::error_code& ec) {
    ec.clear();
    if (text.size() % 4 == 1) {
        ec = errc::invalid_base64url;
        return {};
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = detail::b64url_table[static_cast<unsigned char>(c)];
        if (v < 0) {
            ec = errc::invalid_base64url;
            return {};
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
        }
    }
    // 2 or 4 leftover bits (for lengths 2 and 3 mod 4) must be zero: RFC 4648 §3.5.
    if (bits > 0 && (acc & ((1u << bits) - 1u)) != 0) {
        ec = errc::invalid_base64url;
        return {};
    }
    return out;
}

/// Throwing form of base64url_decode. @throws jwt::error (errc::invalid_base64url)
[[nodiscard]] inline std::string base64url_decode(std::string_view text) {
    std::error_code ec;
    std::string out = base64url_decode(text, ec);
    if (ec) {
        detail::fail(errc::invalid_base64url,
                     "invalid base64url: JWS segments use the URL-safe alphabet (A-Z a-z 0-9 - _) "
                     "without '=' padding, and unused trailing bits must be zero");
    }
    return out;
}

}  // namespace jwt
