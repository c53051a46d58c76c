// SPDX-License-Identifier: MIT
// What a key file holds, judged from its bytes before any parsing: PEM text, a JWK, a binary DER
// key, or else a raw HMAC secret. The jwtmint CLI and the example host backend both read key
// files this way, so a file means the same to both.
#pragma once

#include <cstddef>
#include <string_view>

namespace jwtmint_examples {

enum class key_file_kind { pem, jwk, der, secret };

inline bool is_private_pem_label(std::string_view label) {
    return label == "PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY" || label == "RSA PRIVATE KEY" ||
           label == "EC PRIVATE KEY";
}

/// The label of the PEM block that counts: the first private-key block (a bundle may put a
/// certificate first, as the library's loader also assumes), else the first block other than
/// "EC PARAMETERS"; "" when there is no PEM block.
inline std::string_view first_pem_label(std::string_view text) {
    constexpr std::string_view begin = "-----BEGIN ";
    std::string_view first;
    std::size_t pos = 0;
    while ((pos = text.find(begin, pos)) != std::string_view::npos) {
        pos += begin.size();
        const std::size_t end = text.find("-----", pos);
        if (end == std::string_view::npos) break;
        const std::string_view label = text.substr(pos, end - pos);
        if (is_private_pem_label(label)) return label;
        if (first.empty() && label != "EC PARAMETERS") first = label;
        pos = end;
    }
    return first;
}

/// Printable ASCII, tabs and line breaks only.
inline bool is_printable_text(std::string_view bytes) {
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7F) return false;
    }
    return true;
}

/// A DER SEQUENCE whose length covers the whole file: a binary key, not a secret.
inline bool looks_like_der(std::string_view b) {
    if (b.size() < 2 || static_cast<unsigned char>(b[0]) != 0x30) return false;
    const auto u = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(b[i])); };
    if (u(1) < 0x80) return b.size() == 2 + u(1);
    if (u(1) == 0x81) return b.size() >= 3 && b.size() == 3 + u(2);
    if (u(1) == 0x82) return b.size() >= 4 && b.size() == 4 + ((u(2) << 8U) | u(3));
    return false;
}

/// Whether text is a PEM key that lost its BEGIN line (an END line remains), or both its BEGIN and
/// END lines (standard base64 of a DER SEQUENCE of 40 octets or more, which the library checks
/// exactly): text to be read as PEM so that the library says what to add, not taken for an HMAC
/// secret. A typed secret, or one in base64 of 32 random octets, is neither.
inline bool looks_like_damaged_pem(std::string_view text) {
    if (text.find("-----END ") != std::string_view::npos) return true;
    const auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return c == '=' ? 0 : -1;
    };
    std::size_t chars = 0;
    std::size_t pad = 0;
    unsigned char head[6] = {};
    unsigned acc = 0;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        const int v = value(c);
        if (v < 0) return false;
        if (c == '=') ++pad;
        if (chars < 8) {
            acc = (acc << 6U) | static_cast<unsigned>(v);
            if (chars % 4 == 3) {
                const std::size_t at = chars / 4 * 3;
                head[at] = static_cast<unsigned char>(acc >> 16U);
                head[at + 1] = static_cast<unsigned char>((acc >> 8U) & 0xFFU);
                head[at + 2] = static_cast<unsigned char>(acc & 0xFFU);
                acc = 0;
            }
        }
        ++chars;
    }
    if (chars < 56 || chars % 4 != 0 || pad > 2 || head[0] != 0x30) return false;
    const std::size_t octets = chars / 4 * 3 - pad;
    std::size_t length = head[1];
    std::size_t header = 2;
    if (head[1] == 0x81) {
        length = head[2];
        header = 3;
    } else if (head[1] == 0x82) {
        length = (static_cast<std::size_t>(head[2]) << 8U) | head[3];
        header = 4;
    } else if (head[1] >= 0x80) {
        return false;
    }
    return header + length == octets;
}

/// How a key file's bytes read. JSON key files are text: random secret bytes that merely start
/// with '{' are no JWK, and a secret that happens to be a DER SEQUENCE is refused, not guessed.
inline key_file_kind classify_key_bytes(std::string_view bytes) {
    if (!first_pem_label(bytes).empty() || looks_like_damaged_pem(bytes)) return key_file_kind::pem;
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    const std::size_t last = bytes.find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos && bytes[first] == '{' && bytes[last] == '}' && is_printable_text(bytes)) {
        return key_file_kind::jwk;
    }
    if (looks_like_der(bytes)) return key_file_kind::der;
    return key_file_kind::secret;
}

}  // namespace jwtmint_examples
