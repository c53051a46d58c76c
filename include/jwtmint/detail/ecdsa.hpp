// SPDX-License-Identifier: MIT
// The elliptic curves of JOSE (RFC 7518 section 3.4, 6.2.1.1) in one table, and the two forms of
// an ECDSA signature: JWS's fixed-width R||S and OpenSSL's DER ECDSA-Sig-Value. No JSON, no EVP.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The order n of the P-256 group, big-endian (FIPS 186-4 D.1.2.3).
inline constexpr std::array<unsigned char, 32> p256_order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

/// The order n of the P-384 group, big-endian (FIPS 186-4 D.1.2.4).
inline constexpr std::array<unsigned char, 48> p384_order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF,
    0x58, 0x1A, 0x0D, 0xB2, 0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73};

/// The order n of the P-521 group, big-endian in 66 octets (FIPS 186-4 D.1.2.5).
inline constexpr std::array<unsigned char, 66> p521_order = {
    0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFA,
    0x51, 0x86, 0x87, 0x83, 0xBF, 0x2F, 0x96, 0x6B, 0x7F, 0xCC, 0x01, 0x48, 0xF7, 0x09, 0xA5, 0xD0, 0x3B,
    0xB5, 0xC9, 0xB8, 0x89, 0x9C, 0x47, 0xAE, 0xBB, 0x6F, 0xB7, 0x1E, 0x91, 0x38, 0x64, 0x09};

/// A JOSE curve: its names, the octets of a coordinate (and of R and S), the one JWS algorithm
/// that signs on it, and its group order.
struct jose_curve {
    std::string_view name;       ///< the JOSE "crv" ("P-256")
    const char* openssl_name;    ///< OpenSSL's group name ("prime256v1")
    std::string_view sec_name;   ///< the SEC 2 name OpenSSL may also report ("secp256r1")
    std::size_t size;            ///< octets of a coordinate, of d, and of each of R and S
    std::string_view alg;        ///< the JWS algorithm on this curve ("ES256")
    const unsigned char* order;  ///< the group order n, big-endian in size octets
};

/// The curves the JOSE ES* algorithms use. Adding a curve means adding a row here.
inline constexpr std::array<jose_curve, 3> jose_curves = {{
    {"P-256", "prime256v1", "secp256r1", 32, "ES256", p256_order.data()},
    {"P-384", "secp384r1", "secp384r1", 48, "ES384", p384_order.data()},
    {"P-521", "secp521r1", "secp521r1", 66, "ES512", p521_order.data()},
}};

/// The curves for a message about another one.
inline constexpr const char* jose_curve_list = "P-256 for ES256, P-384 for ES384, P-521 for ES512";

/// The JOSE curve named name (its JOSE, OpenSSL or SEC 2 name), or nullptr.
[[nodiscard]] constexpr const jose_curve* find_jose_curve(std::string_view name) noexcept {
    for (const jose_curve& c : jose_curves) {
        if (name == c.name || name == c.openssl_name || name == c.sec_name) return &c;
    }
    return nullptr;
}

/// The longest DER ECDSA-Sig-Value of the curves above: a SEQUENCE header of 3 octets (0x30 0x81
/// len) and two INTEGERs of 2 + 1 + 66 octets each (tag, length, a 0x00 sign octet, P-521's 66).
inline constexpr std::size_t max_ecdsa_der_size = 3 + 2 * (2 + 1 + 66);

/// Whether the big-endian integer v (size octets) lies in [1, n-1] for the group order n.
/// ECDSA verification requires it (SEC 1 4.1.4 step 1); CVE-2022-21449 accepted r = s = 0.
[[nodiscard]] inline bool ecdsa_scalar_in_range(const unsigned char* v, const jose_curve& curve) noexcept {
    bool nonzero = false;
    for (std::size_t i = 0; i < curve.size; ++i) nonzero = nonzero || v[i] != 0;
    if (!nonzero) return false;
    for (std::size_t i = 0; i < curve.size; ++i) {
        if (v[i] != curve.order[i]) return v[i] < curve.order[i];
    }
    return false;  // equal to n
}

/// What ecdsa_der_to_raw_strict found wrong with a signature, or ok.
enum class ecdsa_der_status {
    ok,
    not_der,      ///< not one SEQUENCE of two INTEGERs in DER's own length forms, or data after it
    not_minimal,  ///< an INTEGER with a leading 0x00 it does not need (BER, not DER)
    negative,     ///< an INTEGER whose first octet has its high bit set: negative in DER
    too_long,     ///< R or S longer than the curve's half octets once the sign octet is dropped
};

/// Converts a DER ECDSA-Sig-Value to the fixed-width R||S form JWS uses (RFC 7518 section 3.4),
/// for OpenSSL's own signatures and those that come from elsewhere (a KMS, an HSM): accepts only
/// DER as X.690 section 10 defines it, the encoding OpenSSL's own ECDSA verification insists on
/// (it re-encodes the signature and refuses any difference): the shortest length forms, INTEGERs
/// in their fewest octets and positive. Writes R||S, half octets each, to out only when ok.
[[nodiscard]] inline ecdsa_der_status ecdsa_der_to_raw_strict(const unsigned char* der, std::size_t der_len,
                                                              unsigned char* out, std::size_t half) noexcept {
    std::size_t pos = 0;
    // One length octet below 0x80, or 0x81 and one octet of at least 0x80 (nothing here is longer).
    auto read_len = [&](std::size_t& len) {
        if (pos >= der_len) return false;
        const unsigned char b = der[pos++];
        if (b < 0x80) {
            len = b;
            return true;
        }
        if (b != 0x81 || pos >= der_len) return false;
        len = der[pos++];
        return len >= 0x80;
    };
    std::size_t seq_len = 0;
    if (der_len < 2 || der[pos++] != 0x30 || !read_len(seq_len) || pos + seq_len != der_len) {
        return ecdsa_der_status::not_der;
    }
    std::array<const unsigned char*, 2> value{};
    std::array<std::size_t, 2> size{};
    for (std::size_t i = 0; i < 2; ++i) {
        std::size_t n = 0;
        if (pos >= der_len || der[pos++] != 0x02 || !read_len(n) || n == 0 || n > der_len - pos) {
            return ecdsa_der_status::not_der;
        }
        const unsigned char* v = der + pos;
        pos += n;
        if ((v[0] & 0x80) != 0) return ecdsa_der_status::negative;
        if (v[0] == 0 && n > 1) {
            if ((v[1] & 0x80) == 0) return ecdsa_der_status::not_minimal;
            ++v;
            --n;
        }
        if (n > half) return ecdsa_der_status::too_long;
        value[i] = v;
        size[i] = n;
    }
    if (pos != der_len) return ecdsa_der_status::not_der;
    for (std::size_t i = 0; i < 2; ++i) {
        unsigned char* dst = out + i * half;
        std::memset(dst, 0, half - size[i]);
        std::memcpy(dst + (half - size[i]), value[i], size[i]);
    }
    return ecdsa_der_status::ok;
}

/// ecdsa_der_to_raw_strict as a yes or no, for OpenSSL's own signatures (always DER): false on
/// anything but a DER SEQUENCE of two positive INTEGERs that fit in half octets each.
[[nodiscard]] inline bool ecdsa_der_to_raw(const unsigned char* der, std::size_t der_len, unsigned char* out,
                                           std::size_t half) noexcept {
    return ecdsa_der_to_raw_strict(der, der_len, out, half) == ecdsa_der_status::ok;
}

/// Encodes R||S (two big-endian integers of half octets, half at most 66) as a DER
/// ECDSA-Sig-Value into out (max_ecdsa_der_size octets); returns its length.
inline std::size_t ecdsa_raw_to_der(const unsigned char* raw, std::size_t half, unsigned char* out) noexcept {
    std::size_t body = 0;
    std::array<std::size_t, 2> skip{};
    std::array<bool, 2> pad{};
    for (std::size_t i = 0; i < 2; ++i) {
        const unsigned char* v = raw + i * half;
        while (skip[i] + 1 < half && v[skip[i]] == 0) ++skip[i];
        pad[i] = (v[skip[i]] & 0x80) != 0;
        body += 2 + (half - skip[i]) + (pad[i] ? 1 : 0);
    }
    std::size_t pos = 0;
    out[pos++] = 0x30;
    if (body >= 0x80) out[pos++] = 0x81;
    out[pos++] = static_cast<unsigned char>(body);
    for (std::size_t i = 0; i < 2; ++i) {
        const std::size_t n = half - skip[i];
        out[pos++] = 0x02;
        out[pos++] = static_cast<unsigned char>(n + (pad[i] ? 1 : 0));
        if (pad[i]) out[pos++] = 0;
        std::memcpy(out + pos, raw + i * half + skip[i], n);
        pos += n;
    }
    return pos;
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
