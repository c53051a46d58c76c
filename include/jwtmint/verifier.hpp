// SPDX-License-Identifier: MIT
// jwt::verifier: checks a compact JWS/JWT against a pinned key, the clock and the registered claims
// (and, given a jwt::login_policy, the widget's login rules).
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {

/// Whole seconds on the system clock since the Unix epoch (C++20's std::chrono::sys_seconds).
using sys_seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

/// The default ceiling on a compact token's length in octets, checked before any decoding.
inline constexpr std::size_t default_max_token_size = 8 * 1024;

/// The latest NumericDate the verifier accepts: 9999-12-31T23:59:59Z. Later values, negative
/// values, non-numbers and non-finite numbers are refused as errc::invalid_claim.
inline constexpr std::int64_t max_numeric_date = 253402300799;

/// The deepest nesting of arrays and objects accepted in a header or claims set.
inline constexpr int max_json_depth = 32;

template <class Algorithm, class Clock>
class verifier;

namespace detail {
/// Reads JWKs; defined in <jwtmint/jwk.hpp>, which verifier::from_jwk needs.
struct jwk_loader;

/// Why a token was refused: the code and a message a person can act on.
struct rejection {
    errc code = errc::malformed_token;
    std::string message;
};

inline bool reject(rejection& why, errc code, std::string message) {
    why.code = code;
    why.message = std::move(message);
    return false;
}

/// Untrusted token text for a message: quoted, non-printable octets as \xNN, at most 64 octets.
inline std::string quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    constexpr std::size_t limit = 64;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F || c == '\'' || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > limit) out += "...";
    out += '\'';
    return out;
}

/// Unix seconds as UTC ISO 8601 ("2026-11-24T10:00:00Z"); days-to-civil after H. Hinnant.
inline std::string format_utc(std::int64_t unix_seconds) {
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year >= 0 && year <= 9999) {
        // Every NumericDate a verifier accepts: digits written directly, since refusal messages
        // (an expired token) format dates and snprintf would make a refusal cost more than an
        // acceptance. The same text as the general case below.
        std::string out(20, '0');
        const auto put = [&out](std::size_t at, std::int64_t value, std::size_t width) {
            for (std::size_t i = width; i-- > 0; value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
        };
        put(0, year, 4);
        out[4] = '-';
        put(5, month, 2);
        out[7] = '-';
        put(8, day, 2);
        out[10] = 'T';
        put(11, secs / 3600, 2);
        out[13] = ':';
        put(14, secs / 60 % 60, 2);
        out[16] = ':';
        put(17, secs % 60, 2);
        out[19] = 'Z';
        return out;
    }
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(year),
                  static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
    return buf;
}

/// Validates text as one JSON object (detail/json_scan.hpp), refusing what nlohmann::json would
/// quietly accept: duplicate member names at any depth (it keeps the last), a byte order mark,
/// and nesting deeper than max_json_depth; invalid UTF-8, comments, trailing data and numbers
/// no double holds are refused as nlohmann::json refuses them. On success scan holds the
/// top-level members; what names the text in the message ("header", "claims set").
inline bool scan_json_object(std::string_view text, const char* what, json_object_scan& scan, rejection& why) {
    switch (scan.scan(text, max_json_depth)) {
        case json_fault::none:
            return true;
        case json_fault::byte_order_mark:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " starts with a byte order mark (RFC 8259 section 8.1)");
        case json_fault::syntax:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " is not valid JSON (or not valid UTF-8)");
        case json_fault::number_too_large:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " holds the number " + quote(scan.too_large()) +
                              ", whose magnitude no double holds (above 1.7976931348623157e308); JSON parsers "
                              "disagree on such numbers, so the token is refused");
        case json_fault::duplicate_name:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " has the member " + quote(scan.duplicate()) +
                              " more than once; verifiers disagree on which copy counts, so the token is refused");
        case json_fault::too_deep:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " nests deeper than " + std::to_string(max_json_depth) + " levels");
        case json_fault::not_object:
            break;
    }
    return reject(why, errc::malformed_token, std::string("the ") + what + " must be a JSON object");
}

/// The segments of a compact JWS, as spans of the token.
struct compact_segments {
    std::string_view header, payload, signature, signing_input;
};

/// The checks every verifier here (jwt::verifier, jwt::jwks_verifier) makes before it decodes
/// anything, in this order: the token's length against max_size (O(1): nothing is read), then its
/// shape (exactly three segments, a header that is not empty). One function, so that a token is
/// refused by either with the same code and message.
inline bool split_compact(std::string_view token, std::size_t max_size, compact_segments& out, rejection& why) {
    if (token.size() > max_size) {
        return reject(why, errc::token_too_large,
                      "the token has " + std::to_string(token.size()) + " octets; this verifier accepts at most " +
                          std::to_string(max_size) + " (raise it with .max_token_size() if that is intended)");
    }
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        const auto segments = std::count(token.begin(), token.end(), '.') + 1;
        return reject(why, errc::malformed_token,
                      "the token has " + std::to_string(segments) + (segments == 1 ? " segment" : " segments") +
                          "; a compact JWS has exactly three, header.payload.signature" +
                          (segments == 5 ? " (five is an encrypted JWE, which this verifier does not read)" : ""));
    }
    out.header = token.substr(0, dot1);
    out.payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
    out.signature = token.substr(dot2 + 1);
    out.signing_input = token.substr(0, dot2);
    if (out.header.empty()) return reject(why, errc::malformed_token, "the header segment is empty");
    return true;
}

/// Refuses a segment ("header", "payload", "signature") that is not strict base64url.
inline bool bad_base64url_segment(rejection& why, const char* segment) {
    return reject(why, errc::invalid_base64url,
                  std::string("the ") + segment +
                      " segment is not strict base64url: only A-Z a-z 0-9 - _, no '=' padding, no spaces, and unused "
                      "trailing bits must be zero");
}

/// As scan_json_object, and parses the accepted text into out.
inline bool parse_json_object(std::string_view text, const char* what, nlohmann::json& out, rejection& why) {
    json_object_scan scan;
    if (!scan_json_object(text, what, scan, why)) return false;
    out = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    return true;
}

/// The text of a string member's value with escapes decoded: a view of the JSON text when it
/// has none, else of scratch, which then holds the decoded copy.
inline std::string_view json_string_text(const json_member& m, std::string& scratch) {
    const std::string_view body = m.value.substr(1, m.value.size() - 2);
    if (!m.value_escaped) return body;
    scratch = json_unescape(body, true);
    return scratch;
}

/// An owned copy of a string value's decoded text (a JSON array element or member value).
inline std::string json_string_copy(std::string_view value) {
    const std::string_view body = value.substr(1, value.size() - 2);
    return json_unescape(body, body.find('\\') != std::string_view::npos);
}

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

/// A group order: big-endian octets.
struct group_order {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};

/// The group order of a JOSE curve name, or an empty one for another curve.
inline group_order ecdsa_order(std::string_view curve) noexcept {
    if (curve == "P-256") return {p256_order.data(), p256_order.size()};
    if (curve == "P-384") return {p384_order.data(), p384_order.size()};
    if (curve == "P-521") return {p521_order.data(), p521_order.size()};
    return {};
}

/// Whether the big-endian integer v (order.size() octets) lies in [1, n-1]. ECDSA verification
/// requires it (SEC 1 4.1.4 step 1); CVE-2022-21449 accepted r = s = 0.
inline bool ecdsa_scalar_in_range(const unsigned char* v, group_order order) noexcept {
    bool nonzero = false;
    for (std::size_t i = 0; i < order.size; ++i) nonzero = nonzero || v[i] != 0;
    if (!nonzero) return false;
    for (std::size_t i = 0; i < order.size; ++i) {
        if (v[i] != order.data[i]) return v[i] < order.data[i];
    }
    return false;  // equal to n
}

/// Encodes R||S (two half-octet big-endian integers) as a DER ECDSA-Sig-Value; returns its length.
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
        for (std::size_t k = 0; k < n; ++k) out[pos++] = raw[i * half + skip[i] + k];
    }
    return pos;
}

/// A header segment the verifier has judged once: its JSON text and its base64url.
struct known_header {
    std::string json;
    std::string segment;
};

/// The outcome of checking one signature.
enum class signature_check { ok, wrong_length, out_of_range, mismatch, failure };

/// The immutable state of an RS*/PS*/ES*/EdDSA verifier: the public key and a digest-verify context
/// already through EVP_DigestVerifyInit_ex, copied per token and never mutated.
class pkey_verify_state {
public:
    /// The state for key (only its public half is kept), or why key cannot verify spec's algorithm.
    [[nodiscard]] static result<std::shared_ptr<const pkey_verify_state>> make(const public_key& key,
                                                                              const pkey_alg_spec& spec) {
        auto pub = public_only(key);
        if (!pub) return std::move(pub).error();
        std::shared_ptr<pkey_verify_state> state(new pkey_verify_state(std::move(*pub), spec));
        if (auto ready = state->init(); !ready) return std::move(ready).error();
        return std::shared_ptr<const pkey_verify_state>(std::move(state));
    }

    [[nodiscard]] signature_check check(std::string_view input, std::string_view signature) const noexcept {
        if (signature.size() != sig_size_) return signature_check::wrong_length;
        const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
        std::size_t sig_len = signature.size();
        std::array<unsigned char, 160> der{};  // the DER of two 66-octet integers takes at most 141
        if (spec_.raw_half != 0) {
            if (!ecdsa_scalar_in_range(sig, order_) || !ecdsa_scalar_in_range(sig + spec_.raw_half, order_)) {
                return signature_check::out_of_range;
            }
            sig_len = ecdsa_raw_to_der(sig, spec_.raw_half, der.data());
            sig = der.data();
        }
        md_ctx_ptr ctx{EVP_MD_CTX_new()};
        if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) != 1) {
            ERR_clear_error();
            return signature_check::failure;
        }
        static constexpr unsigned char empty = 0;
        const auto* in = input.empty() ? &empty : reinterpret_cast<const unsigned char*>(input.data());
        if (EVP_DigestVerify(ctx.get(), sig, sig_len, in, input.size()) == 1) return signature_check::ok;
        ERR_clear_error();  // a bad signature leaves notes on the queue; the next call starts clean
        return signature_check::mismatch;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return sig_size_; }
    [[nodiscard]] const public_key& key() const noexcept { return key_; }

private:
    pkey_verify_state(public_key key, const pkey_alg_spec& spec) : key_(std::move(key)), spec_(spec) {}

    status init() {
        EVP_PKEY* pkey = key_.native_handle();
        if (auto fits = check_key_fits(pkey, describe(pkey), spec_, /*verifying=*/true); !fits) return fits;
        template_.reset(EVP_MD_CTX_new());
        if (!template_) return fail_openssl(errc::openssl_error, "EVP_MD_CTX_new failed");
        // The padding is said explicitly (PKCS#1 v1.5 or PSS with its salt length) rather than
        // left to the key's defaults.
        std::array<OSSL_PARAM, 4> params{};
        ERR_clear_error();
        if (EVP_DigestVerifyInit_ex(template_.get(), nullptr, spec_.digest, nullptr, nullptr, pkey,
                                    signature_params(spec_, params)) != 1) {
            return fail_openssl(EVP_PKEY_is_a(pkey, "RSA-PSS") ? errc::key_algorithm_mismatch : errc::invalid_key,
                                "cannot initialise " + std::string(spec_.alg) + " verification with this key" +
                                    (EVP_PKEY_is_a(pkey, "RSA-PSS") ? " (an RSA-PSS key restricted to other parameters)"
                                                                    : ""));
        }
        sig_size_ = spec_.raw_half != 0 ? 2 * spec_.raw_half : static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        if (spec_.raw_half != 0) {
            order_ = ecdsa_order(spec_.curve);
            if (order_.size != spec_.raw_half) {
                return fail(errc::key_algorithm_mismatch, "the r/s range check knows P-256, P-384 and P-521 only");
            }
        }
        return {};
    }

    // A private key PEM yields the whole key; a verifier keeps only the public half.
    static result<public_key> public_only(const public_key& key) {
        if (!has_private_part(key.native_handle())) return key;
        auto pem = key.try_to_pem();
        if (!pem) return std::move(pem).error();
        return public_key::try_from_pem(*pem);
    }

    public_key key_;
    pkey_alg_spec spec_;
    md_ctx_ptr template_;
    std::size_t sig_size_ = 0;
    group_order order_;  // ECDSA: the group order, for the r/s range check
};

/// The immutable state of an HS256/384/512 verifier: the HMAC signer (a pre-keyed EVP_MAC_CTX,
/// reused per token) whose MAC is compared in constant time.
template <class Mac>
class hmac_verify_state {
public:
    explicit hmac_verify_state(Mac mac) : mac_(std::move(mac)) {}

    [[nodiscard]] signature_check check(std::string_view input, std::string_view signature) const noexcept {
        // RFC 7518 section 3.2: the whole HMAC, never a truncated one.
        if (signature.size() != mac_.signature_size()) return signature_check::wrong_length;
        std::array<unsigned char, 64> expected{};
        const auto signed_to = mac_.try_sign_to(input, expected.data());
        if (!signed_to) {
            ERR_clear_error();
            return signature_check::failure;
        }
        const std::size_t n = *signed_to;
        const bool same = n == signature.size() && CRYPTO_memcmp(expected.data(), signature.data(), n) == 0;
        OPENSSL_cleanse(expected.data(), expected.size());
        return same ? signature_check::ok : signature_check::mismatch;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return mac_.signature_size(); }

private:
    Mac mac_;
};

template <class Algorithm>
inline constexpr bool is_hmac_algorithm = is_hmac_algorithm_v<Algorithm>;

template <class Algorithm>
inline constexpr bool is_verifiable_algorithm = is_hmac_algorithm_v<Algorithm> || is_pkey_algorithm_v<Algorithm>;

template <class Algorithm, bool Hmac = is_hmac_algorithm_v<Algorithm>>
struct verify_engine {
    using type = pkey_verify_state;
};
template <class Algorithm>
struct verify_engine<Algorithm, true> {
    using type = hmac_verify_state<Algorithm>;
};

/// Reads a NumericDate (RFC 7519 section 2): a JSON number of seconds in [0, max_numeric_date].
/// Fractions are rounded toward the stricter side: down for exp, up for nbf and iat. Numbers
/// are read as nlohmann::json reads them (json_number_value): an integer that fits 64 bits
/// exactly, any other number as the nearest double.
inline bool read_numeric_date(const json_member& m, const char* name, bool round_up, std::int64_t& out,
                              rejection& why) {
    const auto bad = [&](const std::string& detail_text) {
        return reject(why, errc::invalid_claim,
                      std::string(name) + " must be a NumericDate: a JSON number of seconds since 1970-01-01T00:00:00Z "
                                          "no later than 9999-12-31T23:59:59Z (" + detail_text + ")");
    };
    if (m.type != json_type::number) return bad(std::string("it is a JSON ") + json_type_name(m.type));
    const json_number n = json_number_value(m.value);
    switch (n.type) {
        case json_number::kind::unsigned_integer:
            if (n.unsigned_value > static_cast<std::uint64_t>(max_numeric_date)) return bad("it is too large");
            out = static_cast<std::int64_t>(n.unsigned_value);
            return true;
        case json_number::kind::integer:
            if (n.integer_value < 0) return bad("it is negative");
            out = n.integer_value;  // -0
            return true;
        case json_number::kind::floating:
            break;
    }
    const double d = n.float_value;
    if (!std::isfinite(d)) return bad("it is not finite");  // the scan refused these: not expected
    if (d < 0) return bad("it is negative");
    if (d > static_cast<double>(max_numeric_date)) return bad("it is too large");
    out = static_cast<std::int64_t>(round_up ? std::ceil(d) : std::floor(d));
    return true;
}

}  // namespace detail

/// A compact JWS whose header passed the verifier's rules and whose signature verified with
/// the pinned key: the decoded header text and the payload octets (not interpreted).
class verified_jws {
public:
    /// Parses the protected header; call once and keep the result.
    [[nodiscard]] nlohmann::json header() const {
        const std::string_view h = header_text();
        return nlohmann::json::parse(h.begin(), h.end(), nullptr, /*allow_exceptions=*/false);
    }
    /// The protected header's JSON text, base64url-decoded.
    [[nodiscard]] std::string_view header_text() const noexcept { return std::string_view(text_).substr(0, header_size_); }
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
    /// Parses the protected header; call once and keep the result.
    [[nodiscard]] nlohmann::json header() const { return parse(header_text()); }
    /// Parses the claims set; call once and keep the result.
    [[nodiscard]] nlohmann::json claims() const { return parse(claims_text()); }
    /// The protected header's JSON text, base64url-decoded.
    [[nodiscard]] std::string_view header_text() const noexcept { return std::string_view(text_).substr(0, header_size_); }
    /// The claims set's JSON text (the payload), base64url-decoded.
    [[nodiscard]] std::string_view claims_text() const noexcept { return std::string_view(text_).substr(header_size_); }
    /// One claim parsed from the claims set (only that member's value is parsed), or nullopt.
    [[nodiscard]] std::optional<nlohmann::json> claim(std::string_view name) const {
        detail::json_object_scan scan;
        if (scan.scan(claims_text(), max_json_depth) != detail::json_fault::none) return std::nullopt;
        const detail::json_member* m = scan.find(name);
        if (m == nullptr) return std::nullopt;
        return parse(m->value);
    }
    /// The role names in token order: trimmed, without case-insensitive repeats, and spelled as
    /// in the login policy's team roles when those are set. Without a policy, read from a "roles"
    /// claim when it holds role names, else empty (a plain verifier requires no role claim).
    [[nodiscard]] const std::vector<std::string>& roles() const noexcept { return roles_; }
    /// The session identity as the vendor resolves it: the first present of email, upn,
    /// preferred_username, or of the login policy's identity_claims() (the verifier refuses an
    /// empty or blank one, so it is never empty).
    [[nodiscard]] const std::optional<std::string>& identity() const noexcept { return identity_; }
    [[nodiscard]] std::optional<sys_seconds> issued_at() const noexcept { return to_time(iat_); }
    [[nodiscard]] std::optional<sys_seconds> expires_at() const noexcept { return to_time(exp_); }
    [[nodiscard]] std::optional<sys_seconds> not_before() const noexcept { return to_time(nbf_); }
    /// exp - iat, when both are present.
    [[nodiscard]] std::optional<std::chrono::seconds> lifetime() const noexcept {
        if (!iat_ || !exp_) return std::nullopt;
        return std::chrono::seconds{*exp_ - *iat_};
    }
    [[nodiscard]] std::optional<std::string> issuer() const { return iss_; }
    [[nodiscard]] std::optional<std::string> subject() const { return sub_; }
    [[nodiscard]] std::optional<std::string> jwt_id() const { return jti_; }
    /// The `aud` claim as a list (a single string becomes one element; absent is empty).
    [[nodiscard]] std::vector<std::string> audience() const { return aud_; }
    /// The `kid` header parameter, if present.
    [[nodiscard]] std::optional<std::string> key_id() const { return kid_; }

private:
    template <class, class>
    friend class verifier;

    static std::optional<sys_seconds> to_time(const std::optional<std::int64_t>& t) noexcept {
        if (!t) return std::nullopt;
        return sys_seconds{std::chrono::seconds{*t}};
    }
    // The text passed the verifier's scan, which accepts exactly what nlohmann::json accepts.
    static nlohmann::json parse(std::string_view text) {
        return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    }

    std::string text_;  // the header's text, then the claims set's: one allocation for both
    std::size_t header_size_ = 0;
    std::vector<std::string> roles_;
    std::optional<std::string> identity_;
    std::optional<std::int64_t> iat_, exp_, nbf_;
    std::optional<std::string> iss_, sub_, jti_, kid_;
    std::vector<std::string> aud_;
};

/// Verifies compact tokens for one algorithm with one key. The algorithm is fixed by the type
/// and the key (never by the token: a token whose `alg` differs is refused, `none` always);
/// Algorithm is one of the library's signer types (hs256/384/512, rs256/384/512, ps256/384/512,
/// es256/384/512, eddsa), Clock supplies "now" (pin it in tests).
///
/// The key is parsed, checked and prepared once; verify() is const and may run on many
/// threads at once. Configure with the setters first, then share: setters are not thread-safe.
/// A setter given an invalid value remembers it and every verify() reports it. The try_* calls
/// report failure in a jwt::result; none throws.
///
/// Defaults: tokens up to 8 KiB; no leeway; exp required; no lifetime ceiling; no role claim
/// required; no issuer, audience or subject required (a token with an `aud` claim is then
/// refused, RFC 7519 section 4.1.3). policy() adds the widget's login rules.
///
/// Order of checks (the first failure is reported): size (token_too_large); three segments
/// (malformed_token); header base64url (invalid_base64url) and JSON object without duplicate
/// members (malformed_token); crit / b64 / zip (unsupported_header); alg (algorithm_mismatch;
/// absent or not a string: malformed_token); signature (invalid_base64url, invalid_signature);
/// only then the payload: base64url, typ / cty, JSON object; claim types (invalid_claim:
/// exp / nbf / iat must be JSON numbers in [0, max_numeric_date], iss / sub / jti / identity
/// claims strings without control characters, identity claims not empty or blank, aud a string
/// or non-empty array of such strings; a number JSON cannot hold, such as 1e400, and a member
/// name holding U+0000 in the header or claims set are malformed_token, as is a kid with a
/// control character); exp, nbf, iat, lifetime; iss, aud, sub, required claims; with a login
/// policy, the role claim (missing_roles, invalid_claim, unknown_role). A configuration error
/// (an invalid setter value, errc::invalid_policy, errc::algorithm_not_allowed) comes first.
template <class Algorithm, class Clock = std::chrono::system_clock>
class verifier {
    static_assert(detail::is_verifiable_algorithm<Algorithm>,
                  "jwt::verifier<Algorithm>: Algorithm must be one of jwt::hs256/384/512, rs256/384/512, "
                  "ps256/384/512, es256/384/512 or eddsa (a user-written signer has no verifier here)");
    using engine = typename detail::verify_engine<Algorithm>::type;

public:
    using algorithm = Algorithm;
    using clock = Clock;
    using time_point = typename Clock::time_point;
    /// The JOSE name of the one algorithm this verifier accepts.
    static constexpr std::string_view alg = Algorithm::alg;

    /// From SPKI ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY") PEM text; a private key
    /// PEM is accepted too and only its public half is kept. Key-pair algorithms only.
    /// Fails with invalid_key, key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_pem(std::string_view pem) {
        static_assert(!detail::is_hmac_algorithm<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret(); a public key is never an HMAC secret");
        auto key = public_key::try_from_pem(pem);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem, throwing jwt::error.
    [[nodiscard]] static verifier from_pem(std::string_view pem) { return try_from_pem(pem).value(); }
    /// As try_from_pem, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_pem(std::string_view pem, std::error_code& ec) {
        return detail::to_optional(try_from_pem(pem), ec);
    }

    /// From a PEM file, as try_from_pem. Fails with key_file_error, or any error of try_from_pem.
    [[nodiscard]] static result<verifier> try_from_pem_file(const std::filesystem::path& path) {
        static_assert(!detail::is_hmac_algorithm<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret_file(); a public key is never an HMAC secret");
        auto key = public_key::try_from_pem_file(path);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem_file, throwing jwt::error.
    [[nodiscard]] static verifier from_pem_file(const std::filesystem::path& path) {
        return try_from_pem_file(path).value();
    }
    /// As try_from_pem_file, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_pem_file(const std::filesystem::path& path, std::error_code& ec) {
        return detail::to_optional(try_from_pem_file(path), ec);
    }

    /// From a key loaded with jwt::public_key. Fails with key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_key(const public_key& key) {
        static_assert(!detail::is_hmac_algorithm<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret(); a public key is never an HMAC secret");
        auto state = engine::make(key, Algorithm::spec);
        if (!state) return std::move(state).error();
        return verifier(std::move(*state));
    }
    /// As try_from_key, throwing jwt::error.
    [[nodiscard]] static verifier from_key(const public_key& key) { return try_from_key(key).value(); }
    /// As try_from_key, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_key(const public_key& key, std::error_code& ec) {
        return detail::to_optional(try_from_key(key), ec);
    }

    /// Takes a new reference to a key the host already holds (the caller keeps its own).
    /// Fails with invalid_key (null), key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_evp_pkey(EVP_PKEY* key) {
        auto owned = public_key::try_from_evp_pkey(key);
        if (!owned) return std::move(owned).error();
        return try_from_key(*owned);
    }
    /// As try_from_evp_pkey, throwing jwt::error.
    [[nodiscard]] static verifier from_evp_pkey(EVP_PKEY* key) { return try_from_evp_pkey(key).value(); }
    /// As try_from_evp_pkey, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return detail::to_optional(try_from_evp_pkey(key), ec);
    }

    /// From the shared secret (at least as long as the hash: 32, 48 or 64 bytes; PEM text is
    /// refused: that is the RS256/HS256 key confusion attack). HS* only.
    /// Fails with weak_key, key_algorithm_mismatch.
    [[nodiscard]] static result<verifier> try_from_secret(std::string_view secret) {
        static_assert(detail::is_hmac_algorithm<Algorithm>,
                      "from_secret() is for HS256/384/512; key-pair verifiers are built from a public key");
        auto mac = Algorithm::try_from_secret(secret);
        if (!mac) return std::move(mac).error();
        return verifier(std::make_shared<const engine>(std::move(*mac)));
    }
    /// As try_from_secret, throwing jwt::error.
    [[nodiscard]] static verifier from_secret(std::string_view secret) { return try_from_secret(secret).value(); }
    /// As try_from_secret, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_secret(std::string_view secret, std::error_code& ec) {
        return detail::to_optional(try_from_secret(secret), ec);
    }

    /// The secret is the file's exact bytes (a trailing newline counts).
    /// Fails with key_file_error, or any error of try_from_secret.
    [[nodiscard]] static result<verifier> try_from_secret_file(const std::filesystem::path& path) {
        static_assert(detail::is_hmac_algorithm<Algorithm>,
                      "from_secret_file() is for HS256/384/512; key-pair verifiers are built from a public key");
        auto mac = Algorithm::try_from_secret_file(path);
        if (!mac) return std::move(mac).error();
        return verifier(std::make_shared<const engine>(std::move(*mac)));
    }
    /// As try_from_secret_file, throwing jwt::error.
    [[nodiscard]] static verifier from_secret_file(const std::filesystem::path& path) {
        return try_from_secret_file(path).value();
    }
    /// As try_from_secret_file, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_secret_file(const std::filesystem::path& path,
                                                                  std::error_code& ec) {
        return detail::to_optional(try_from_secret_file(path), ec);
    }

    /// The verifier for a signer's own tokens (a backend checking what it minted): the public
    /// half of its key, or for HS* its secret (shared, not copied).
    [[nodiscard]] static result<verifier> try_from_signer(const Algorithm& signer) {
        if constexpr (detail::is_hmac_algorithm<Algorithm>) {
            return verifier(std::make_shared<const engine>(signer));
        } else {
            auto key = public_key::try_from_private(signer.key());
            if (!key) return std::move(key).error();
            return try_from_key(*key);
        }
    }
    /// As try_from_signer, throwing jwt::error.
    [[nodiscard]] static verifier from_signer(const Algorithm& signer) { return try_from_signer(signer).value(); }
    /// As try_from_signer, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_signer(const Algorithm& signer, std::error_code& ec) {
        return detail::to_optional(try_from_signer(signer), ec);
    }

    /// From a public JWK (or, for HS*, the "oct" JWK of the shared secret), pinned to Algorithm:
    /// the JWK's "alg", when present, must be Algorithm's. Needs <jwtmint/jwk.hpp>.
    /// Fails with invalid_jwk, invalid_base64url, key_algorithm_mismatch, and any key check.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static result<verifier> try_from_jwk(std::string_view jwk_json) {
        return Loader::template verifier_from<Algorithm, Clock>(jwk_json);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static verifier from_jwk(std::string_view jwk_json) {
        return try_from_jwk<Loader>(jwk_json).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static std::optional<verifier> from_jwk(std::string_view jwk_json, std::error_code& ec) {
        return detail::to_optional(try_from_jwk<Loader>(jwk_json), ec);
    }

    /// Refuses tokens longer than max_octets before decoding anything (default 8 KiB).
    verifier& max_token_size(std::size_t max_octets) {
        max_size_ = max_octets;
        return *this;
    }
    /// The longest token this verifier reads, in octets.
    [[nodiscard]] std::size_t max_token_size() const noexcept { return max_size_; }
    /// Tolerance for clock skew on exp, nbf and iat (default 0, at most one day).
    template <class Rep, class Period>
    verifier& leeway(std::chrono::duration<Rep, Period> tolerance) {
        const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(tolerance).count();
        if (!(s >= 0 && s <= 86400)) {
            remember(errc::invalid_lifetime, "the leeway must be between 0 and 1 day (a few seconds is typical)");
        } else {
            leeway_ = std::chrono::duration_cast<std::chrono::seconds>(tolerance).count();
        }
        return *this;
    }
    /// Refuses tokens whose exp - iat exceeds ceiling (the vendor recommends 10 minutes);
    /// such a verifier needs iat and exp in every token.
    template <class Rep, class Period>
    verifier& max_lifetime(std::chrono::duration<Rep, Period> ceiling) {
        const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(ceiling).count();
        if (!(s >= 1 && s <= 1e12)) {
            remember(errc::invalid_lifetime, "the maximum lifetime must be at least 1 second and reasonable");
        } else {
            max_lifetime_ = std::chrono::duration_cast<std::chrono::seconds>(ceiling).count();
        }
        return *this;
    }
    /// Accepts tokens without exp (they never expire; the widget's tokens always carry one).
    verifier& allow_missing_expiration(bool allow = true) {
        require_exp_ = !allow;
        return *this;
    }
    /// Requires `iss` to equal issuer.
    verifier& issuer(std::string_view value) { return set_required(iss_, "issuer", value); }
    /// Requires `sub` to equal subject.
    verifier& subject(std::string_view value) { return set_required(sub_, "subject", value); }
    /// Requires `aud` (a string or an array) to contain value.
    verifier& audience(std::string_view value) {
        aud_.clear();
        return add_audience(value);
    }
    /// Requires `aud` to contain at least one of values.
    verifier& audience(std::initializer_list<std::string_view> values) {
        aud_.clear();
        for (const auto v : values) add_audience(v);
        return *this;
    }
    /// Requires a claim to be present (any value), e.g. "email" or "jti".
    verifier& require_claim(std::string_view name) {
        if (name.empty()) {
            remember(errc::invalid_claim, "require_claim needs a claim name");
        } else {
            required_.emplace_back(name);
        }
        return *this;
    }
    /// Judges tokens by the widget's login rules as well (the policy is copied): the role claim
    /// named by policy.role_claim() is required, read in either form (a JSON array or one
    /// comma-separated string); with team roles listed, every role must match one of them
    /// case-insensitively (errc::unknown_role, naming the nearest team role) and roles() spells
    /// each as the team role does; exp - iat may not exceed policy.max_lifetime() (a later
    /// max_lifetime() call replaces that ceiling); identity() is the first present of
    /// policy.identity_claims(). A policy that does not accept this verifier's algorithm makes it
    /// refuse every token (errc::algorithm_not_allowed); an invalid policy, errc::invalid_policy.
    /// Without a policy no role claim is required (general JWTs).
    verifier& policy(const login_policy& rules) {
        if (auto valid = rules.check(); !valid) {
            remember(std::move(valid).error());
            return *this;
        }
        if (auto allowed = rules.check_algorithm(alg); !allowed) {
            remember(std::move(allowed).error());
            return *this;
        }
        auto copy = std::make_shared<login_policy>(rules);
        // The verifier reads both forms whatever form the policy mints: a comma inside an array
        // element is then no fault of the token's.
        copy->role_format(role_format::array);
        policy_ = std::move(copy);
        max_lifetime_ = std::chrono::duration_cast<std::chrono::seconds>(policy_->max_lifetime()).count();
        identity_count_ = 0;
        for (const std::string& name : policy_->identity_claims()) {
            const claim_slot k = slot_of(name);
            if (k == email_slot || k == upn_slot || k == preferred_username_slot) identity_order_[identity_count_++] = k;
            if (identity_count_ == identity_order_.size()) break;
        }
        return *this;
    }

    /// Verifies a compact JWT at Clock::now(): size, structure, header, signature, then time
    /// and claims. Thread-safe. Fails with the first failed check's code and message.
    [[nodiscard]] result<verified_token> try_verify(std::string_view token) const {
        return try_verify_at(token, Clock::now());
    }
    /// As try_verify, throwing jwt::error.
    [[nodiscard]] verified_token verify(std::string_view token) const { return try_verify(token).value(); }
    /// As try_verify, reporting only the code.
    [[nodiscard]] std::optional<verified_token> verify(std::string_view token, std::error_code& ec) const {
        return verify_at(token, Clock::now(), ec);
    }
    /// Verifies as if the time were now, as try_verify.
    [[nodiscard]] result<verified_token> try_verify_at(std::string_view token, time_point now) const {
        detail::rejection why;
        verified_token out;
        if (!check_token(token, to_unix(now), out, why)) return error(why.code, why.message);
        return out;
    }
    /// As try_verify_at, throwing jwt::error.
    [[nodiscard]] verified_token verify_at(std::string_view token, time_point now) const {
        return try_verify_at(token, now).value();
    }
    /// As try_verify_at, reporting only the code (no jwt::error is made).
    [[nodiscard]] std::optional<verified_token> verify_at(std::string_view token, time_point now,
                                                          std::error_code& ec) const {
        ec.clear();
        detail::rejection why;
        verified_token out;
        if (!check_token(token, to_unix(now), out, why)) {
            ec = why.code;
            return std::nullopt;
        }
        return out;
    }

    /// Verifies the JWS layer only (size, structure, header rules, alg, signature) and returns
    /// the payload octets uninterpreted: for payloads that are not JWT claims sets.
    [[nodiscard]] result<verified_jws> try_verify_jws(std::string_view token) const {
        detail::rejection why;
        verified_jws out;
        detail::json_object_scan header;
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, header, header_known, why)) {
            return error(why.code, why.message);
        }
        return out;
    }
    /// As try_verify_jws, throwing jwt::error.
    [[nodiscard]] verified_jws verify_jws(std::string_view token) const { return try_verify_jws(token).value(); }
    /// As try_verify_jws, reporting only the code.
    [[nodiscard]] std::optional<verified_jws> verify_jws(std::string_view token, std::error_code& ec) const {
        ec.clear();
        detail::rejection why;
        verified_jws out;
        detail::json_object_scan header;
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, header, header_known, why)) {
            ec = why.code;
            return std::nullopt;
        }
        return out;
    }

    /// The bare primitive: whether signature (raw octets: RSA modulus-sized, ES* R||S, EdDSA 64
    /// octets, HS* the full MAC) is valid for signing_input. No header, no claims. Thread-safe.
    [[nodiscard]] bool verify_signature(std::string_view signing_input, std::string_view signature) const noexcept {
        return engine_->check(signing_input, signature) == detail::signature_check::ok;
    }
    /// The length of a valid signature in octets.
    [[nodiscard]] std::size_t signature_size() const noexcept { return engine_->signature_size(); }

    /// The SPKI PEM of the key (key-pair algorithms): what the vendor's settings must hold.
    [[nodiscard]] std::string public_key_pem() const {
        static_assert(!detail::is_hmac_algorithm<Algorithm>, "an HMAC (HS*) verifier holds a shared secret, not a public key");
        return engine_->key().to_pem();
    }

private:
    explicit verifier(std::shared_ptr<const engine> e) : engine_(std::move(e)) {}

    static std::int64_t to_unix(time_point t) {
        return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    void remember(errc e, const std::string& message) { remember(error(e, "verifier configuration: " + message)); }
    void remember(error e) {
        if (!config_error_) config_error_ = std::move(e);
    }

    verifier& set_required(std::optional<std::string>& field, const char* what, std::string_view value) {
        if (value.empty() || !detail::is_valid_utf8(value)) {
            remember(errc::invalid_claim, std::string("the required ") + what + " must be non-empty UTF-8 text");
        } else {
            field = std::string(value);
        }
        return *this;
    }

    verifier& add_audience(std::string_view value) {
        if (value.empty() || !detail::is_valid_utf8(value)) {
            remember(errc::invalid_claim, "an audience must be non-empty UTF-8 text");
        } else {
            aud_.emplace_back(value);
        }
        return *this;
    }

    /// The JWS layer: everything up to and including the signature and the payload's base64url.
    /// text receives the decoded header and then the payload (sized once, so header's spans into
    /// it stay valid); header holds the header's members.
    bool check_jws(std::string_view token, std::string& text, std::size_t& header_size, std::optional<std::string>& kid,
                   detail::json_object_scan& header, bool& header_known, detail::rejection& why) const {
        using detail::reject;
        if (config_error_) return reject(why, config_error_->value(), config_error_->what());
        detail::compact_segments segments;
        if (!detail::split_compact(token, max_size_, segments, why)) return false;
        const std::string_view header_b64 = segments.header;
        const std::string_view payload_b64 = segments.payload;
        const std::string_view signature_b64 = segments.signature;
        const std::string_view signing_input = segments.signing_input;

        // The header jwtmint's builder writes for this algorithm was judged once, below; since
        // strict base64url has one encoding per octet string, the same segment is the same header.
        const detail::known_header& known = known_header();
        header_known = header_b64 == known.segment;
        header_size = header_known ? known.json.size() : base64url_decoded_size(header_b64.size());
        text.resize(header_size + base64url_decoded_size(payload_b64.size()));
        auto* octets = reinterpret_cast<unsigned char*>(text.data());
        if (header_known) {
            text.replace(0, header_size, known.json);
        } else {
            if (!detail::base64url_decode_to(header_b64, octets)) return bad_base64(why, "header");
            if (!detail::scan_json_object(std::string_view(text).substr(0, header_size), "header", header, why)) {
                return false;
            }
            if (!check_header(header, why)) return false;
        }

        // The signature goes to the stack; only one too long for any key here takes the heap,
        // to be refused for its length once its base64url is judged.
        std::array<unsigned char, 1024> sig_buf;
        std::string sig_long;
        std::error_code ec;
        std::size_t sig_size = base64url_decode(signature_b64, sig_buf.data(), sig_buf.size(), ec);
        std::string_view signature(reinterpret_cast<const char*>(sig_buf.data()), sig_size);
        if (ec == std::errc::no_buffer_space) {
            sig_long = base64url_decode(signature_b64, ec);
            signature = sig_long;
        }
        if (ec) return bad_base64(why, "signature");
        switch (engine_->check(signing_input, signature)) {
            case detail::signature_check::ok:
                break;
            case detail::signature_check::wrong_length:
                return reject(why, errc::invalid_signature, wrong_length_message(signature.size()));
            case detail::signature_check::out_of_range:
                return reject(why, errc::invalid_signature,
                              std::string("the ") + std::string(alg) +
                                  " signature's r or s is 0 or not below the group order; no valid signature "
                              "has that (a forgery attempt, CVE-2022-21449)");
            case detail::signature_check::mismatch:
                return reject(why, errc::invalid_signature,
                              std::string("the signature does not verify with this verifier's ") +
                                  (detail::is_hmac_algorithm<Algorithm> ? "secret" : "public key") +
                                  ": the token was altered, or it was signed with another key (if the key pair "
                                  "changed, this is the vendor's 'Key mismatch')");
            case detail::signature_check::failure:
                return reject(why, errc::openssl_error, "OpenSSL failed while verifying the signature (out of memory?)");
        }
        // Decoded only now: nothing from the payload is looked at before the signature holds.
        if (!detail::base64url_decode_to(payload_b64, octets + header_size)) return bad_base64(why, "payload");
        if (!header_known) {
            if (const detail::json_member* m = header.find("kid")) kid = detail::json_string_copy(m->value);
        }
        return true;
    }

    /// The compact header jwtmint's builder writes without a kid, {"alg":"<alg>","typ":"JWT"},
    /// and its base64url; checked against check_header's and check_jwt_header's rules once, on
    /// first use, so that a change to either cannot leave the shortcut accepting what they refuse.
    static const detail::known_header& known_header() {
        static const detail::known_header known = [] {
            detail::known_header k;
            k.json = "{\"alg\":\"" + std::string(alg) + "\",\"typ\":\"JWT\"}";
            k.segment = base64url_encode(k.json);
            detail::json_object_scan scan;
            detail::rejection why;
            if (!detail::scan_json_object(k.json, "header", scan, why) || !check_header(scan, why) ||
                !check_jwt_header(scan, why)) {
                k.segment.clear();  // never matches: a token's header segment is never empty here
            }
            return k;
        }();
        return known;
    }

    static bool bad_base64(detail::rejection& why, const char* segment) {
        return detail::bad_base64url_segment(why, segment);
    }

    std::string wrong_length_message(std::size_t n) const {
        std::string m = "the signature has " + std::to_string(n) + " octets; " + std::string(alg) + " signatures here have " +
                        std::to_string(engine_->signature_size());
        if constexpr (detail::is_hmac_algorithm<Algorithm>) {
            m += " (the full HMAC; truncated MACs are not " + std::string(alg) + ")";
        } else {
            switch (Algorithm::spec.scheme) {
                case detail::pkey_scheme::ecdsa:
                    m += " (R||S, RFC 7518 section 3.4; a DER-encoded ECDSA signature is not a JWS signature)";
                    break;
                case detail::pkey_scheme::eddsa:
                    m += " (an Ed25519 signature, RFC 8032 section 5.1.6)";
                    break;
                case detail::pkey_scheme::rsa_pkcs1:
                case detail::pkey_scheme::rsa_pss:
                    m += " (the size of the RSA modulus)";
                    break;
            }
        }
        return m;
    }

    /// The header rules, in order: extensions we cannot honour, then alg, then kid's type and
    /// text, then member names holding U+0000.
    /// crit is judged first because a header with a critical extension we do not understand
    /// cannot be interpreted at all (RFC 7515 section 4.1.11), alg included.
    static bool check_header(const detail::json_object_scan& header, detail::rejection& why) {
        using detail::json_type;
        using detail::reject;
        if (header.find("crit") != nullptr) {
            return reject(why, errc::unsupported_header,
                          "the header lists critical extensions ('crit'); this verifier understands none, and RFC 7515 "
                          "section 4.1.11 requires refusing the token");
        }
        if (const detail::json_member* m = header.find("b64"); m != nullptr && m->value != "true") {
            return reject(why, errc::unsupported_header,
                          "the header sets 'b64' (RFC 7797 unencoded payload); this verifier reads only base64url "
                          "payloads");
        }
        if (header.find("zip") != nullptr) {
            return reject(why, errc::unsupported_header, "the header asks for compression ('zip'), which JWS does not have");
        }
        const detail::json_member* m = header.find("alg");
        if (m == nullptr) {
            return reject(why, errc::malformed_token, "the header has no 'alg' (RFC 7515 section 4.1.1 requires it)");
        }
        if (m->type != json_type::string) return reject(why, errc::malformed_token, "the header's 'alg' must be a string");
        std::string scratch;
        const std::string_view token_alg = detail::json_string_text(*m, scratch);
        if (role_equal(token_alg, "none")) {
            return reject(why, errc::algorithm_mismatch,
                          "the token is unsigned (alg " + detail::quote(token_alg) +
                              "); unsecured tokens are never accepted");
        }
        if (token_alg != alg) {
            return reject(why, errc::algorithm_mismatch,
                          "the token says alg " + detail::quote(token_alg) + ", but this verifier's key is for " +
                              std::string(alg) + "; the algorithm comes from the key, never from the token");
        }
        if (const detail::json_member* kid = header.find("kid"); kid != nullptr) {
            if (kid->type != json_type::string) return reject(why, errc::malformed_token, "the header's 'kid' must be a string");
            // A NUL or another control character in a key id: a key store or log reading it as a
            // C string would look up (or record) another key's id.
            std::string kid_scratch;
            if (const std::string_view id = detail::json_string_text(*kid, kid_scratch); detail::has_control_char(id)) {
                return reject(why, errc::malformed_token,
                              "the header's 'kid' " + detail::quote(id) + " contains a control character (U+0000 to "
                              "U+001F or U+007F); key ids are printable text");
            }
        }
        for (const detail::json_member& member : header) {
            if (!member.name_escaped) continue;  // a NUL can only be written escaped: the scan refused raw ones
            const std::string name = detail::json_unescape(member.name, true);
            if (name.find('\0') != std::string::npos) return reject_nul_name(why, "header", name);
        }
        // jku, jwk, x5u, x5c, x5t name or carry keys: never used, the key is pinned.
        return true;
    }

    /// The header rules of a JWT on top of a JWS's: typ, if present, says JWT; no cty.
    static bool check_jwt_header(const detail::json_object_scan& header, detail::rejection& why) {
        using detail::reject;
        if (const detail::json_member* m = header.find("typ")) {
            if (m->type != detail::json_type::string) {
                return reject(why, errc::malformed_token, "the header's 'typ' must be a string");
            }
            std::string scratch;
            const std::string_view typ = detail::json_string_text(*m, scratch);
            if (!role_equal(typ, "JWT") && !role_equal(typ, "application/jwt")) {
                return reject(why, errc::unsupported_header,
                              "the header says typ " + detail::quote(typ) +
                                  "; this verifier accepts only JWTs (typ 'JWT' or none)");
            }
        }
        if (header.find("cty") != nullptr) {
            return reject(why, errc::unsupported_header,
                          "the header has 'cty' (a nested or non-JWT payload); this verifier reads plain JWT claims");
        }
        return true;
    }

    /// The JWT layer on top of check_jws: typ/cty, the claims set, time, then claims.
    bool check_token(std::string_view token, std::int64_t now, verified_token& out, detail::rejection& why) const {
        using detail::reject;
        detail::json_object_scan scan;  // the header's members, then the claims set's
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, scan, header_known, why)) return false;
        if (!header_known && !check_jwt_header(scan, why)) return false;
        if (!detail::scan_json_object(out.claims_text(), "claims set", scan, why)) return false;
        return check_claim_types(scan, out, why) && check_time(out, now, why) && check_claims(scan, out, why);
    }

    /// The claims the verifier reads itself, in the order it judges them.
    enum claim_slot : std::size_t { exp_slot, nbf_slot, iat_slot, iss_slot, sub_slot, jti_slot, email_slot, upn_slot,
                                    preferred_username_slot, aud_slot, claim_slots, no_slot = claim_slots };
    static constexpr std::array<const char*, claim_slots> slot_names = {
        "exp", "nbf", "iat", "iss", "sub", "jti", "email", "upn", "preferred_username", "aud"};

    /// Which of the verifier's claims a (decoded) member name is.
    static claim_slot slot_of(std::string_view name) noexcept {
        const auto is = [&](claim_slot k) { return name == slot_names[k]; };
        switch (name.size()) {
            case 3:
                for (const claim_slot k : {exp_slot, nbf_slot, iat_slot, iss_slot, sub_slot, jti_slot, upn_slot, aud_slot}) {
                    if (is(k)) return k;
                }
                return no_slot;
            case 5: return is(email_slot) ? email_slot : no_slot;
            case 18: return is(preferred_username_slot) ? preferred_username_slot : no_slot;
            default: return no_slot;
        }
    }

    /// Registered and identity claims must have their RFC 7519 types; fills t's typed values.
    bool check_claim_types(const detail::json_object_scan& c, verified_token& t, detail::rejection& why) const {
        using detail::json_type;
        using detail::reject;
        // One pass over the members, instead of a search of them per claim name. The scan refused
        // duplicate names, so each slot is filled at most once.
        std::array<const detail::json_member*, claim_slots> slot{};
        for (const detail::json_member& m : c) {
            if (!m.name_escaped) {  // a NUL can only be written escaped: the scan refused raw ones
                if (const claim_slot k = slot_of(m.name); k != no_slot) slot[k] = &m;
                continue;
            }
            const std::string name = detail::json_unescape(m.name, true);
            if (name.find('\0') != std::string::npos) return reject_nul_name(why, "claims set", name);
            if (const claim_slot k = slot_of(name); k != no_slot) slot[k] = &m;
        }
        const auto date = [&](claim_slot k, bool round_up, std::optional<std::int64_t>& out) {
            const detail::json_member* m = slot[k];
            if (m == nullptr) return true;
            std::int64_t v = 0;
            if (!detail::read_numeric_date(*m, slot_names[k], round_up, v, why)) return false;
            out = v;
            return true;
        };
        if (!date(exp_slot, false, t.exp_) || !date(nbf_slot, true, t.nbf_) || !date(iat_slot, true, t.iat_)) return false;
        // The session identity: the first identity claim present, in the order the policy gives
        // (email, upn, preferred_username by default).
        claim_slot identity_slot = no_slot;
        for (std::size_t i = 0; i < identity_count_ && identity_slot == no_slot; ++i) {
            if (slot[identity_order_[i]] != nullptr) identity_slot = identity_order_[i];
        }
        std::string scratch;
        for (const claim_slot k : {iss_slot, sub_slot, jti_slot, email_slot, upn_slot, preferred_username_slot}) {
            const detail::json_member* m = slot[k];
            const char* name = slot_names[k];
            if (m == nullptr) continue;
            if (m->type != json_type::string) {
                return reject(why, errc::invalid_claim,
                              std::string(name) + " must be a string, not a JSON " + detail::json_type_name(m->type));
            }
            const std::string_view value = detail::json_string_text(*m, scratch);
            // The scan proved the text UTF-8 and its escapes decode to UTF-8: only control
            // characters (raw DEL, or escaped) remain to refuse.
            if (detail::has_control_char(value)) {
                if (auto text = detail::check_text(name, value); !text) {
                    return reject(why, text.error().value(), text.error().what());
                }
            }
            if (k == iss_slot) {
                t.iss_ = std::string(value);
            } else if (k == sub_slot) {
                t.sub_ = std::string(value);
            } else if (k == jti_slot) {
                t.jti_ = std::string(value);
            } else {
                // The vendor takes the first identity claim "available"; whether an empty one is
                // available to it is unknown, so an identity claim present must hold a name.
                if (detail::trim(value).empty()) {
                    return reject(why, errc::invalid_claim,
                                  std::string(name) + " is " + (value.empty() ? "empty" : "only spaces") +
                                      "; an identity claim that is present must name the user (the vendor may "
                                      "take it as the session email, or skip it for the next one), so leave it "
                                      "out instead");
                }
                if (k == identity_slot) t.identity_ = std::string(value);
            }
        }
        if (const detail::json_member* m = slot[aud_slot]) {
            bool ok = m->type == json_type::string;
            if (m->type == json_type::array) {
                ok = true;
                std::size_t n = 0;
                detail::json_for_each_element(m->value, [&](std::string_view v) {
                    ok = ok && detail::json_type_of(v.front()) == json_type::string;
                    ++n;
                });
                ok = ok && n > 0;
            }
            if (!ok) return reject(why, errc::invalid_claim, "aud must be a string or a non-empty array of strings");
            if (m->type == json_type::string) {
                t.aud_.push_back(detail::json_string_copy(m->value));
            } else {
                detail::json_for_each_element(m->value, [&](std::string_view v) { t.aud_.push_back(detail::json_string_copy(v)); });
            }
            for (const std::string& a : t.aud_) {
                if (detail::has_control_char(a)) {
                    reject(why, errc::invalid_claim, "aud " + detail::quote(a) + " contains a control character");
                    t.aud_.clear();  // after the message is made from a
                    return false;
                }
            }
        }
        return true;
    }

    /// A member name holding U+0000: a C string, a log line or another parser would cut it short
    /// and read another name (or a second copy of one), which the duplicate-name rule cannot see.
    static bool reject_nul_name(detail::rejection& why, const char* what, std::string_view name) {
        return detail::reject(why, errc::malformed_token,
                              std::string("the ") + what + " has a member name holding U+0000 (" + detail::quote(name) +
                                  "); a C string or a log would cut it at the NUL and read another name, so the "
                                  "token is refused");
    }

    bool check_time(verified_token& t, std::int64_t now, detail::rejection& why) const {
        using detail::reject;
        // Only a refusal's message needs it: built then, never for a token that passes.
        const auto skew = [this] { return leeway_ > 0 ? " (leeway " + std::to_string(leeway_) + " s)" : std::string(); };
        if (!t.exp_ && require_exp_) {
            return reject(why, errc::missing_claim,
                          "the token has no exp, so it would never expire; widget tokens must carry one "
                          "(.allow_missing_expiration() accepts such tokens)");
        }
        if (t.exp_ && now >= *t.exp_ + leeway_) {
            return reject(why, errc::token_expired,
                          "token expired " + std::to_string(now - *t.exp_) + " s ago at " + detail::format_utc(*t.exp_) +
                              skew() + "; mint tokens when the widget needs them, or give them a longer lifetime");
        }
        if (t.nbf_ && now < *t.nbf_ - leeway_) {
            return reject(why, errc::token_not_yet_valid,
                          "token is not valid before " + detail::format_utc(*t.nbf_) + ", " +
                              std::to_string(*t.nbf_ - now) + " s from now" + skew() +
                              "; check the issuing server's clock");
        }
        if (t.iat_ && *t.iat_ > now + leeway_) {
            return reject(why, errc::token_not_yet_valid,
                          "token was issued " + std::to_string(*t.iat_ - now) + " s in the future (iat " +
                              detail::format_utc(*t.iat_) + ")" + skew() +
                              "; the issuing server's clock is ahead of this one (sync both with NTP)");
        }
        if (max_lifetime_) {
            if (!t.iat_) {
                return reject(why, errc::missing_claim,
                              "the token has no iat, so its lifetime cannot be checked against the maximum of " +
                                  std::to_string(*max_lifetime_) + " s");
            }
            if (!t.exp_) {
                return reject(why, errc::lifetime_too_long,
                              "the token has no exp, so its lifetime is unbounded; the maximum is " +
                                  std::to_string(*max_lifetime_) + " s");
            }
            if (*t.exp_ - *t.iat_ > *max_lifetime_) {
                return reject(why, errc::lifetime_too_long,
                              "token lifetime is " + std::to_string(*t.exp_ - *t.iat_) + " s (iat " +
                                  detail::format_utc(*t.iat_) + ", exp " + detail::format_utc(*t.exp_) +
                                  "); this verifier accepts at most " + std::to_string(*max_lifetime_) +
                                  " s (the vendor recommends 10 minutes)");
            }
        }
        return true;
    }

    bool check_claims(const detail::json_object_scan& c, verified_token& t, detail::rejection& why) const {
        using detail::quote;
        using detail::reject;
        const auto check_equal = [&](const char* name, const std::optional<std::string>& want,
                                     const std::optional<std::string>& have) {
            if (!want) return true;
            if (!have) {
                return reject(why, errc::missing_claim,
                              std::string("the token has no ") + name + "; this verifier requires " + quote(*want));
            }
            if (*have != *want) {
                return reject(why, errc::claim_mismatch,
                              std::string(name) + " is " + quote(*have) + "; this verifier requires " + quote(*want));
            }
            return true;
        };
        if (!check_equal("iss", iss_, t.iss_)) return false;
        // check_claim_types gave t one audience at least for any aud claim.
        if (const bool has_aud = !t.aud_.empty(); !aud_.empty() || has_aud) {
            if (!has_aud) {
                return reject(why, errc::missing_claim,
                              "the token has no aud; this verifier requires one of its audiences, e.g. " + quote(aud_.front()));
            }
            if (aud_.empty()) {
                return reject(why, errc::claim_mismatch,
                              "the token is addressed to an audience (aud), but this verifier was given none; "
                              "configure .audience(...) (RFC 7519 section 4.1.3)");
            }
            const auto listed = [&](const std::string& a) { return std::find(aud_.begin(), aud_.end(), a) != aud_.end(); };
            if (std::none_of(t.aud_.begin(), t.aud_.end(), listed)) {
                return reject(why, errc::claim_mismatch,
                              "the token's aud does not include this verifier's audience " + quote(aud_.front()) +
                                  (aud_.size() > 1 ? " (or its other accepted audiences)" : ""));
            }
        }
        if (!check_equal("sub", sub_, t.sub_)) return false;
        for (const auto& name : required_) {
            if (c.find(name) == nullptr) {
                return reject(why, errc::missing_claim, "the token has no " + quote(name) + " claim, which this verifier requires");
            }
        }
        return check_roles(c, t, why);
    }

    /// Reads the role claim in either form as jwt::parse_roles does, with its messages, into
    /// trimmed names; false with why filled (invalid_claim) for a claim that holds none.
    static bool read_roles(const detail::json_member& m, std::vector<std::string>& out, detail::rejection& why) {
        using detail::json_type;
        using detail::reject;
        if (m.type == json_type::string) {
            std::string scratch;
            out = split_roles(detail::json_string_text(m, scratch));
        } else if (m.type == json_type::array) {
            std::size_t n = 0;
            bool strings = true;
            detail::json_for_each_element(m.value, [&](std::string_view v) {
                strings = strings && detail::json_type_of(v.front()) == json_type::string;
                ++n;
            });
            if (!strings) return reject(why, errc::invalid_claim, "the role claim array must hold only strings");
            out.reserve(n);
            detail::json_for_each_element(m.value, [&](std::string_view v) {
                const std::string_view body = v.substr(1, v.size() - 2);
                if (body.find('\\') == std::string_view::npos) {
                    out.emplace_back(detail::trim(body));
                } else {
                    out.emplace_back(detail::trim(detail::json_unescape(body, true)));
                }
            });
        } else {
            return reject(why, errc::invalid_claim,
                          "the role claim must be an array of strings or a comma-separated string");
        }
        if (out.empty()) return reject(why, errc::invalid_claim, "the role claim is an empty array");
        for (const auto& r : out) {
            if (r.empty()) return reject(why, errc::invalid_claim, "the role claim holds an empty role name");
        }
        // Repeats (case-insensitively) are dropped in place, keeping the first spelling.
        std::size_t kept = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            std::string& r = out[i];
            if (detail::has_control_char(r)) {  // UTF-8 already
                if (auto text = detail::check_text("role name " + detail::quote(r), r); !text) {
                    return reject(why, text.error().value(), text.error().what());
                }
            }
            const auto same = [&](const std::string& seen) { return role_equal(seen, r); };
            if (std::none_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kept), same)) {
                if (kept != i) out[kept] = std::move(r);
                ++kept;
            }
        }
        out.resize(kept);
        return true;
    }

    /// The role claim: without a policy, read from "roles" when it holds role names and never
    /// required; with one, required under the policy's name and matched to its team roles.
    bool check_roles(const detail::json_object_scan& c, verified_token& t, detail::rejection& why) const {
        using detail::quote;
        using detail::reject;
        const std::string_view claim = policy_ ? std::string_view(policy_->role_claim()) : default_role_claim;
        const detail::json_member* m = c.find(claim);
        if (m == nullptr) {
            if (!policy_) return true;
            return reject(why, errc::missing_roles,
                          "the token has no " + quote(claim) +
                              " claim; the vendor reads the role from the claim named in its 'Attribute name' setting");
        }
        if (!read_roles(*m, t.roles_, why)) {
            t.roles_.clear();
            if (!policy_) return true;  // a plain verifier does not judge the role claim
            why.message += " (in the token's " + quote(claim) + " claim)";
            return false;
        }
        if (!policy_ || policy_->team_roles().empty()) return true;
        const std::vector<std::string>& team = policy_->team_roles();
        for (auto& r : t.roles_) {
            const auto match = std::find_if(team.begin(), team.end(), [&](const std::string& k) { return role_equal(k, r); });
            if (match != team.end()) {
                r = *match;
                continue;
            }
            // The policy's own message, which names the nearest team role.
            return reject(why, errc::unknown_role, policy_->unknown_role_message(r));
        }
        return true;
    }

    std::shared_ptr<const engine> engine_;
    std::optional<error> config_error_;
    std::size_t max_size_ = default_max_token_size;
    std::int64_t leeway_ = 0;
    std::optional<std::int64_t> max_lifetime_;
    bool require_exp_ = true;
    std::optional<std::string> iss_, sub_;
    std::vector<std::string> aud_;
    std::vector<std::string> required_;
    std::shared_ptr<const login_policy> policy_;  // the widget's login rules, if given
    std::array<claim_slot, 3> identity_order_ = {email_slot, upn_slot, preferred_username_slot};
    std::size_t identity_count_ = 3;
};

/// Proves at start-up that signer and v belong together: a probe is signed with the signer and
/// verified with v. For key-pair algorithms v must hold the public half of the signer's key; for
/// HS*, the signer's secret. Catches the vendor's "Key mismatch" before deploy. Build v from the
/// text to check first (verifier<Signer>::try_from_pem(pem), or try_from_secret for HS*).
/// Fails with key_mismatch, or signing_failed when the signer cannot sign.
template <class Algorithm, class Clock>
[[nodiscard]] status try_check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v) {
    constexpr std::string_view probe = "jwtmint key pair check";
    const auto sig = signer.try_sign(probe);
    if (!sig) return sig.error();
    if (v.verify_signature(probe, *sig)) return {};
    if constexpr (detail::is_hmac_algorithm<Algorithm>) {
        return detail::fail(errc::key_mismatch,
                            "the " + std::string(Algorithm::alg) + " secret differs from the signer's: tokens signed here would fail at the vendor "
                            "('Key mismatch'); paste the exact secret the backend signs with");
    } else {
        return detail::fail(errc::key_mismatch,
                            "the public key does not belong to the signer's private key: tokens signed here would fail at "
                            "the vendor with 'Key mismatch'; paste the signer's public key (signer.public_key_pem(), or: "
                            "jwtmint pubkey private_key.pem) into the vendor's SSO settings");
    }
}

/// As try_check_key_pair, throwing jwt::error.
template <class Algorithm, class Clock>
void check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v) {
    try_check_key_pair(signer, v).value();
}

/// As try_check_key_pair, reporting only the code.
template <class Algorithm, class Clock>
void check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v, std::error_code& ec) {
    detail::to_error_code(try_check_key_pair(signer, v), ec);
}

}  // inline namespace v1
}  // namespace jwt
