// SPDX-License-Identifier: MIT
// Internal: the framing of a PEM key file, read strictly (RFC 7468): one key block, nothing around
// it but whitespace, and a DER encoding that ends where the block does.
#pragma once

#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jwt {
inline namespace v1 {
/// The longest key text (PEM) or key file read, in octets; longer input is refused before it is
/// read or scanned. A 16384-bit RSA private key takes about 12 KiB of PEM.
inline constexpr std::size_t max_key_text_size = std::size_t{64} * 1024;
}  // namespace v1
}  // namespace jwt

namespace jwt {
inline namespace v1 {
namespace detail {

inline bool is_private_label(std::string_view label) {
    return label == "PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY" || label == "RSA PRIVATE KEY" ||
           label == "EC PRIVATE KEY";
}

inline bool is_public_label(std::string_view label) { return label == "PUBLIC KEY" || label == "RSA PUBLIC KEY"; }

/// The one block of a key file that holds the key (or the certificate, which the public-key loader
/// explains how to unpack).
struct pem_key_block {
    std::string_view label;         ///< "PRIVATE KEY", "PUBLIC KEY", "CERTIFICATE", ... ; empty: no PEM at all
    std::string_view text;          ///< the block from its BEGIN line to its END line, for OpenSSL
    bool legacy_encrypted = false;  ///< RFC 1421 "Proc-Type: 4,ENCRYPTED" headers (the body is ciphertext)
};

/// Standard base64 (RFC 4648 section 4) with padding only at the end, as PEM bodies use; false
/// on anything else. Wiped when freed: a private key's DER passes through here.
inline bool pem_base64_decode(const secure_bytes& text, secure_bytes& out) {
    auto value = [](unsigned char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4 != 0) return false;
    out.clear();
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t pad = !last ? 0 : text[i + 3] != '=' ? 0 : text[i + 2] != '=' ? 1 : 2;
        unsigned int acc = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const int v = j < 4 - pad ? value(text[i + j]) : 0;
            if (v < 0) return false;
            acc = (acc << 6) | static_cast<unsigned int>(v);
        }
        out.push_back(static_cast<unsigned char>(acc >> 16));
        if (pad < 2) out.push_back(static_cast<unsigned char>((acc >> 8) & 0xFF));
        if (pad < 1) out.push_back(static_cast<unsigned char>(acc & 0xFF));
    }
    return true;
}

/// The length of the DER element (tag, length, contents) at the start of der, or 0 when the
/// length octets are malformed, indefinite, or claim more than der holds.
inline std::size_t der_element_size(const unsigned char* der, std::size_t size) noexcept {
    if (size < 2) return 0;
    const std::size_t first = der[1];
    if (first < 0x80) return 2 + first <= size ? 2 + first : 0;
    const std::size_t octets = first & 0x7FU;
    if (octets == 0 || octets > 4 || 2 + octets > size) return 0;  // indefinite, or beyond 4 GiB
    std::size_t len = 0;
    for (std::size_t i = 0; i < octets; ++i) len = (len << 8) | der[2 + i];
    const std::size_t total = 2 + octets + len;
    return total <= size && len >= 0x80 ? total : 0;  // short lengths in the long form are not DER
}

/// Whether der is exactly one DER SEQUENCE: what every key encoding (SPKI, PKCS#8, PKCS#1,
/// SEC 1) is, with nothing after it.
inline bool is_one_der_sequence(const unsigned char* der, std::size_t size) noexcept {
    return size >= 2 && der[0] == 0x30 && der_element_size(der, size) == size;
}

namespace pem_text {
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
inline std::string line_no(std::size_t n) { return "line " + std::to_string(n); }

/// The PEM label of a bare base64 key body (a PEM block whose BEGIN and END lines were lost in a
/// paste): "PUBLIC KEY", "PRIVATE KEY", ... from the DER's first elements; empty when text is
/// not the standard base64 of one DER SEQUENCE of at least 40 octets (the smallest key, an
/// Ed25519 public key, has 44), so that a typed or base64-made HMAC secret is never mistaken for it.
inline std::string_view bare_body_label(std::string_view text) {
    secure_bytes body;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        body.push_back(static_cast<unsigned char>(c));
    }
    secure_bytes der;
    if (body.size() < 56 || !pem_base64_decode(body, der) || !is_one_der_sequence(der.data(), der.size())) return {};
    const std::size_t head = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7FU);
    const std::size_t first = der_element_size(der.data() + head, der.size() - head);
    if (first == 0 || head + first >= der.size()) return {};
    const unsigned char tag1 = der[head];
    const unsigned char tag2 = der[head + first];
    if (tag1 == 0x30) return tag2 == 0x04 ? "ENCRYPTED PRIVATE KEY" : "PUBLIC KEY";  // OCTET STRING, BIT STRING
    if (tag1 != 0x02) return {};
    if (tag2 == 0x30) return "PRIVATE KEY";     // PKCS #8: version, AlgorithmIdentifier
    if (tag2 == 0x04) return "EC PRIVATE KEY";  // SEC 1: version 1, the private key octets
    if (tag2 != 0x02) return {};
    return first == 3 ? "RSA PRIVATE KEY" : "RSA PUBLIC KEY";  // PKCS #1: version 0, or the modulus
}
inline std::string a_block(std::string_view label) {
    const char first = label.empty() ? 'x' : label.front();
    const bool vowel = first == 'A' || first == 'E' || first == 'I' || first == 'O' || first == 'U';
    return std::string(vowel ? "an " : "a ") + std::string(label) + " block";
}
}  // namespace pem_text

/// Reads text as a key file and returns its one key block. A key file holds exactly one key:
/// two keys, a key beside a certificate, text before or after the block, a damaged BEGIN/END
/// pair, a body that is not base64, or DER followed by extra bytes are invalid_key, with a
/// message that says which and where. The only other block allowed is the "EC PARAMETERS" that
/// `openssl ecparam -genkey` writes before its key; a UTF-8 byte order mark may start the text. Text without any BEGIN
/// line returns an empty label, for the caller to say what it expected. `what` names the file in messages ("private
/// key").
inline result<pem_key_block> read_pem_key_block(std::string_view text, std::string_view what) {
    using pem_text::line_no;
    using pem_text::trim;
    constexpr std::string_view begin_mark = "-----BEGIN ";
    constexpr std::string_view end_mark = "-----END ";
    constexpr std::string_view dashes = "-----";
    const std::string subject = "the " + std::string(what) + " file";
    if (text.size() > max_key_text_size) {
        return fail(errc::invalid_key, subject + " is " + std::to_string(text.size()) +
                                           " octets; key text is at most " + std::to_string(max_key_text_size) +
                                           " (jwt::max_key_text_size): is it the right file?");
    }
    if (text.find(begin_mark) == std::string_view::npos) {
        // A pasted key that lost its first line, or both its BEGIN and END lines.
        const std::size_t end_at = text.find(end_mark);
        if (end_at != std::string_view::npos) {
            const std::size_t from = end_at + end_mark.size();
            const std::size_t close = text.find(dashes, from);
            const std::string end_label(close == std::string_view::npos ? "PUBLIC KEY"
                                                                        : text.substr(from, close - from));
            // Which key it is shows in the label, which may not be the kind the caller expects.
            return fail(errc::invalid_key, std::string("the key text") +
                                               " has an END line but no BEGIN line (the first line was lost in "
                                               "the copy): add the line '-----BEGIN " +
                                               end_label + "-----' before the base64 body");
        }
        const std::string_view bare = pem_text::bare_body_label(text);
        if (!bare.empty()) {
            return fail(errc::invalid_key,
                        "the key text is the base64 body of " + pem_text::a_block(bare) +
                            " without its BEGIN and END lines: add the BEGIN/END lines, '-----BEGIN " +
                            std::string(bare) + "-----' before it and '-----END " + std::string(bare) +
                            "-----' after it, each on a line of its own");
        }
        return pem_key_block{};
    }

    struct block {
        std::string_view label;
        std::size_t line;
        std::string_view text;
        bool legacy_encrypted;
    };
    std::vector<block> blocks;
    bool inside = false;
    bool in_headers = false;
    std::size_t begin_line = 0;
    std::size_t begin_offset = 0;
    std::string_view label;
    bool encrypted = false;
    secure_bytes body;
    secure_bytes der;
    // A UTF-8 byte order mark (as Windows editors save text) is an encoding mark, not text.
    std::size_t pos = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    std::size_t line_number = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        const std::size_t line_start = pos;
        const std::string_view raw = text.substr(pos, eol - pos);
        const std::string_view line = trim(raw);
        pos = eol + 1;
        ++line_number;
        if (!line.empty() && (raw.front() == ' ' || raw.front() == '\t')) {
            // OpenSSL's PEM reader refuses indented lines; say so rather than "cannot parse".
            return fail(errc::invalid_key, subject + ": " + line_no(line_number) +
                                               " starts with spaces or tabs (the key was indented when it was "
                                               "pasted); PEM lines begin in the first column: remove the indentation");
        }
        if (!inside) {
            if (line.empty()) continue;
            const std::size_t close = line.find(dashes, begin_mark.size());
            if (line.substr(0, begin_mark.size()) == begin_mark && close != std::string_view::npos &&
                close + dashes.size() != line.size()) {
                const std::string_view one_label = line.substr(begin_mark.size(), close - begin_mark.size());
                std::string message = subject + " has its PEM block on one line (" + line_no(line_number);
                message += ": its line breaks became spaces, as a web form or an environment variable may give it): ";
                message += "put '-----BEGIN ";
                message += one_label;
                message += "-----', the base64 body and '-----END ";
                message += one_label;
                message += "-----' on lines of their own";
                return fail(errc::invalid_key, message);
            }
            if (line.substr(0, begin_mark.size()) != begin_mark || line.size() < begin_mark.size() + dashes.size() ||
                line.substr(line.size() - dashes.size()) != dashes) {
                return fail(errc::invalid_key,
                            subject + " has text outside its PEM block (" + line_no(line_number) +
                                "); a key file holds the PEM block only: remove every line before its BEGIN line and "
                                "after its END line");
            }
            label = line.substr(begin_mark.size(), line.size() - begin_mark.size() - dashes.size());
            inside = true;
            in_headers = true;
            encrypted = false;
            begin_line = line_number;
            begin_offset = line_start;
            body.clear();
            continue;
        }
        if (line.substr(0, end_mark.size()) == end_mark) {
            const std::string expected = std::string(end_mark) + std::string(label) + std::string(dashes);
            if (line != expected) {
                std::string message = subject;
                message += ": the PEM block that begins on " + line_no(begin_line);
                message += " ends with a different END line on " + line_no(line_number);
                message += " (expected '" + expected + "'); the file was edited or cut";
                return fail(errc::invalid_key, message);
            }
            // The DER must end where the block does: extra octets after it are data no decoder reads.
            if (!encrypted && label != "EC PARAMETERS") {
                if (!pem_base64_decode(body, der)) {
                    return fail(errc::invalid_key,
                                subject + ": the body of the PEM block that begins on " + line_no(begin_line) +
                                    " is not base64 of whole octets (a line is missing or was edited)");
                }
                if (!is_one_der_sequence(der.data(), der.size())) {
                    const std::size_t element = der.size() >= 2 && der[0] == 0x30
                                                    ? der_element_size(der.data(), der.size())
                                                    : 0;
                    return fail(errc::invalid_key,
                                subject + ": the PEM block that begins on " + line_no(begin_line) +
                                    (element != 0
                                         ? " holds " + std::to_string(der.size() - element) +
                                               " octets of extra data after the key's DER encoding"
                                         : " does not hold one complete DER structure (it is cut short or damaged)") +
                                    "; export the key again (openssl pkey -in key.pem -out clean.pem)");
                }
            }
            blocks.push_back({label, begin_line, text.substr(begin_offset, eol - begin_offset), encrypted});
            inside = false;
            continue;
        }
        if (in_headers && line.find(':') != std::string_view::npos) {  // RFC 1421 encapsulated headers
            if (line.substr(0, 10) == "Proc-Type:" && line.find("ENCRYPTED") != std::string_view::npos) {
                encrypted = true;
            }
            continue;
        }
        if (line.empty()) {
            if (in_headers && body.empty()) continue;  // the blank line after the headers
            return fail(errc::invalid_key, subject + ": the PEM block that begins on " + line_no(begin_line) +
                                               " has an empty " + line_no(line_number) + " inside its base64 body");
        }
        in_headers = false;
        for (const char c : line) {
            const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                             c == '/' || c == '=';
            if (!b64) {
                return fail(errc::invalid_key,
                            subject + ": " + line_no(line_number) +
                                " of the PEM block is not base64 (a character outside A-Z a-z 0-9 + / =)");
            }
        }
        body.insert(body.end(), line.begin(), line.end());
    }
    if (inside) {
        return fail(errc::invalid_key, subject + ": the PEM block that begins on " + line_no(begin_line) +
                                           " has no END line (the last line was lost in the copy, or the file is cut "
                                           "short): add the line '-----END " +
                                           std::string(label) + "-----' after its base64 body");
    }

    const block* key = nullptr;
    std::size_t keys = 0;
    std::string found;
    for (const block& b : blocks) {
        if (!found.empty()) found += ", then ";
        found += pem_text::a_block(b.label) + " (" + line_no(b.line) + ")";
        if (b.label == "EC PARAMETERS") continue;
        ++keys;
        if (key == nullptr) key = &b;
    }
    const bool params_first = blocks.size() == 2 && blocks[0].label == "EC PARAMETERS";
    if (keys == 1 && (blocks.size() == 1 || params_first)) {
        return pem_key_block{key->label, key->text, key->legacy_encrypted};
    }
    if (keys == 0) {
        return fail(errc::invalid_key, subject +
                                           " holds only EC curve parameters, no key; generate a key with: "
                                           "jwtmint keygen es256");
    }
    // A TLS-style bundle (certificates and one private key): OpenSSL can copy the key out alone.
    std::size_t private_keys = 0;
    std::size_t certificates = 0;
    for (const block& b : blocks) {
        if (is_private_label(b.label)) ++private_keys;
        if (b.label == "CERTIFICATE") ++certificates;
    }
    const bool bundle = private_keys == 1 && certificates > 0 && private_keys + certificates == keys;
    const std::string fix =
        bundle ? "; copy the private key alone into its own file with: openssl pkey -in bundle.pem -out private_key.pem"
               : "; split it so that each key has its own file (the private key stays on the server, the public key "
                 "is what the vendor is given)";
    return fail(errc::invalid_key, subject + " holds " + found + "; a key file holds exactly one key" + fix);
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
