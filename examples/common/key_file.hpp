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

/// How a key file's bytes read. JSON key files are text: random secret bytes that merely start
/// with '{' are no JWK, and a secret that happens to be a DER SEQUENCE is refused, not guessed.
inline key_file_kind classify_key_bytes(std::string_view bytes) {
    if (!first_pem_label(bytes).empty()) return key_file_kind::pem;
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    const std::size_t last = bytes.find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos && bytes[first] == '{' && bytes[last] == '}' && is_printable_text(bytes)) {
        return key_file_kind::jwk;
    }
    if (looks_like_der(bytes)) return key_file_kind::der;
    return key_file_kind::secret;
}

}  // namespace jwtmint_examples
