// SPDX-License-Identifier: MIT
// The JWS layer of jwt::verifier: the compact form's segments, the header rules, the signature
// check and its messages. Only jws_layer depends on the algorithm; the rules are compiled once.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/refusal.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/detail/verify_engine.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/signers.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jwt {
inline namespace v1 {
namespace detail {

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
        std::size_t segments = 1;
        for (const char c : token) segments += c == '.' ? 1 : 0;
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

/// A header segment the verifier has judged once: its JSON text and its base64url.
struct known_header {
    std::string json;
    std::string segment;
};

/// The JWS header rules for a verifier of alg, in order: extensions we cannot honour, then alg, then kid's type and
/// text, then member names holding U+0000.
/// crit is judged first because a header with a critical extension we do not understand
/// cannot be interpreted at all (RFC 7515 section 4.1.11), alg included.
inline bool check_jws_header(const json_object_scan& header, std::string_view alg, rejection& why) {
    if (header.find("crit") != nullptr) {
        return reject(why, errc::unsupported_header,
                      "the header lists critical extensions ('crit'); this verifier understands none, and RFC 7515 "
                      "section 4.1.11 requires refusing the token");
    }
    if (const json_member* m = header.find("b64"); m != nullptr && m->value != "true") {
        return reject(why, errc::unsupported_header,
                      "the header sets 'b64' (RFC 7797 unencoded payload); this verifier reads only base64url "
                      "payloads");
    }
    if (header.find("zip") != nullptr) {
        return reject(why, errc::unsupported_header,
                      "the header asks for compression ('zip'), which JWS does not have");
    }
    const json_member* m = header.find("alg");
    if (m == nullptr) {
        return reject(why, errc::malformed_token, "the header has no 'alg' (RFC 7515 section 4.1.1 requires it)");
    }
    if (m->type != json_type::string) return reject(why, errc::malformed_token, "the header's 'alg' must be a string");
    std::string scratch;
    const std::string_view token_alg = json_string_text(*m, scratch);
    if (is_unsecured_alg(token_alg)) {
        return reject(why, errc::algorithm_mismatch,
                      "the token is unsigned (alg " + quote(token_alg) + "); unsecured tokens are never accepted");
    }
    if (token_alg != alg) {
        return reject(why, errc::algorithm_mismatch,
                      "the token says alg " + quote(token_alg) + ", but this verifier's key is for " +
                          std::string(alg) + "; the algorithm comes from the key, never from the token");
    }
    if (const json_member* kid = header.find("kid"); kid != nullptr) {
        if (kid->type != json_type::string)
            return reject(why, errc::malformed_token, "the header's 'kid' must be a string");
        // A NUL or another control character in a key id: a key store or log reading it as a
        // C string would look up (or record) another key's id.
        std::string kid_scratch;
        if (const std::string_view id = json_string_text(*kid, kid_scratch); has_control_char(id)) {
            return reject(why, errc::malformed_token,
                          "the header's 'kid' " + quote(id) +
                              " contains a control character (U+0000 to "
                              "U+001F or U+007F); key ids are printable text");
        }
    }
    for (const json_member& member : header) {
        if (!member.name_escaped) continue;  // a NUL can only be written escaped: the scan refused raw ones
        const std::string name = json_unescape(member.name, true);
        if (name.find('\0') != std::string::npos) return reject_nul_name(why, "header", name);
    }
    // jku, jwk, x5u, x5c, x5t name or carry keys: never used, the key is pinned.
    return true;
}

/// The header rules of a JWT on top of a JWS's: typ, if present, says JWT; no cty.
inline bool check_jwt_header(const json_object_scan& header, rejection& why) {
    if (const json_member* m = header.find("typ")) {
        if (m->type != json_type::string) {
            return reject(why, errc::malformed_token, "the header's 'typ' must be a string");
        }
        std::string scratch;
        const std::string_view typ = json_string_text(*m, scratch);
        if (!ascii_iequal(typ, "JWT") && !ascii_iequal(typ, "application/jwt")) {
            return reject(why, errc::unsupported_header,
                          "the header says typ " + quote(typ) +
                              "; this verifier accepts only JWTs (typ 'JWT' or none)");
        }
    }
    if (header.find("cty") != nullptr) {
        return reject(why, errc::unsupported_header,
                      "the header has 'cty' (a nested or non-JWT payload); this verifier reads plain JWT claims");
    }
    return true;
}

/// Refuses a signature that did not verify (outcome is not ok) with a message for alg's scheme:
/// n octets were given where expected are wanted; hmac for HS*, else scheme names the key pair's.
inline bool reject_signature(rejection& why, signature_check outcome, std::string_view alg, bool hmac,
                             pkey_scheme scheme, std::size_t n, std::size_t expected) {
    switch (outcome) {
        case signature_check::ok: break;
        case signature_check::wrong_length: {
            std::string m = "the signature has " + std::to_string(n) + " octets; " + std::string(alg) +
                            " signatures here have " + std::to_string(expected);
            if (hmac) {
                m += " (the full HMAC; truncated MACs are not " + std::string(alg) + ")";
            } else {
                switch (scheme) {
                    case pkey_scheme::ecdsa:
                        m += " (R||S, RFC 7518 section 3.4; a DER-encoded ECDSA signature is not a JWS signature)";
                        break;
                    case pkey_scheme::eddsa: m += " (an Ed25519 signature, RFC 8032 section 5.1.6)"; break;
                    case pkey_scheme::rsa_pkcs1:
                    case pkey_scheme::rsa_pss: m += " (the size of the RSA modulus)"; break;
                }
            }
            return reject(why, errc::invalid_signature, std::move(m));
        }
        case signature_check::out_of_range:
            return reject(why, errc::invalid_signature,
                          std::string("the ") + std::string(alg) +
                              " signature's r or s is 0 or not below the group order; no valid signature has that (a "
                              "forgery attempt, CVE-2022-21449)");
        case signature_check::mismatch:
            return reject(why, errc::invalid_signature,
                          std::string("the signature does not verify with this verifier's ") +
                              (hmac ? "secret" : "public key") +
                              ": the token was altered, or it was signed with another key (if the key pair changed, "
                              "this is the vendor's 'Key mismatch')");
        case signature_check::failure: break;
    }
    return reject(why, errc::openssl_error, "OpenSSL failed while verifying the signature (out of memory?)");
}

/// The JWS layer of a verifier for Algorithm, the part that depends on the algorithm: the
/// prepared key (or secret), and the checks up to and including the signature and the payload's
/// base64url. Immutable; copies share the key.
template <class Algorithm>
class jws_layer {
public:
    using engine = typename verify_engine<Algorithm>::type;
    static constexpr std::string_view alg = Algorithm::alg;

    explicit jws_layer(shared_const<engine> e) noexcept : engine_(std::move(e)) {}

    [[nodiscard]] const engine& state() const noexcept { return *engine_; }

    /// Checks token (at most max_size octets). text receives the decoded header and then the
    /// payload (sized once, so header's spans into it stay valid); header holds the header's
    /// members unless header_known says the header is the one jwtmint writes (already judged).
    bool check(std::string_view token, std::size_t max_size, std::string& text, std::size_t& header_size,
               std::optional<std::string>& kid, json_object_scan& header, bool& header_known, rejection& why) const {
        compact_segments segments;
        if (!split_compact(token, max_size, segments, why)) return false;

        // The header jwtmint's builder writes for this algorithm was judged once (known_header_of);
        // strict base64url has one encoding per octet string, so the same segment is the same header.
        const known_header& known = known_header_of();
        header_known = segments.header == known.segment;
        header_size = header_known ? known.json.size() : base64url_decoded_size(segments.header.size());
        text.resize(header_size + base64url_decoded_size(segments.payload.size()));
        auto* octets = reinterpret_cast<unsigned char*>(text.data());
        if (header_known) {
            text.replace(0, header_size, known.json);
        } else {
            if (!base64url_decode_to(segments.header, octets)) return bad_base64url_segment(why, "header");
            if (!scan_json_object(std::string_view(text).substr(0, header_size), "header", header, why)) return false;
            if (!check_jws_header(header, alg, why)) return false;
        }

        // The signature goes to the stack; only one too long for any key here takes the heap,
        // to be refused for its length once its base64url is judged.
        std::array<unsigned char, 1024> sig_buf;
        std::string sig_long;
        std::error_code ec;
        std::size_t sig_size = base64url_decode(segments.signature, sig_buf.data(), sig_buf.size(), ec);
        std::string_view signature(reinterpret_cast<const char*>(sig_buf.data()), sig_size);
        if (ec == std::errc::no_buffer_space) {
            sig_long = base64url_decode(segments.signature, ec);
            signature = sig_long;
        }
        if (ec) return bad_base64url_segment(why, "signature");
        if (const signature_check outcome = engine_->check(segments.signing_input, signature);
            outcome != signature_check::ok) {
            return reject_signature(why, outcome, alg, is_hmac_algorithm_v<Algorithm>, scheme(), signature.size(),
                                    engine_->signature_size());
        }
        // Decoded only now: nothing from the payload is looked at before the signature holds.
        if (!base64url_decode_to(segments.payload, octets + header_size)) return bad_base64url_segment(why, "payload");
        if (!header_known) {
            if (const json_member* m = header.find("kid")) kid = json_string_copy(m->value);
        }
        return true;
    }

private:
    static constexpr pkey_scheme scheme() noexcept {
        if constexpr (is_hmac_algorithm_v<Algorithm>) {
            return pkey_scheme::rsa_pkcs1;  // not read for HS*
        } else {
            return Algorithm::spec.scheme;
        }
    }

    /// The compact header jwtmint's builder writes without a kid, {"alg":"<alg>","typ":"JWT"},
    /// and its base64url; checked against check_jws_header's and check_jwt_header's rules once,
    /// on first use, so that a change to either cannot leave the shortcut accepting what they refuse.
    static const known_header& known_header_of() {
        static const known_header known = [] {
            known_header k;
            k.json = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
            k.segment = base64url_encode(k.json);
            json_object_scan scan;
            rejection why;
            if (!scan_json_object(k.json, "header", scan, why) || !check_jws_header(scan, alg, why) ||
                !check_jwt_header(scan, why)) {
                k.segment.clear();  // never matches: a token's header segment is never empty here
            }
            return k;
        }();
        return known;
    }

    shared_const<engine> engine_;
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
