// SPDX-License-Identifier: MIT
// What jwt::verifier refuses, every case with its exact errc:
//  - tokens: the table-driven suite (structure, base64url, JSON, header, signature, time, claims,
//    size; the row's name is printed on failure), then the inputs a table row cannot hold: every
//    proper prefix of a token, the size limit at its boundary, whitespace and NUL around a token,
//    invalid UTF-8 in the header, numbers JSON cannot hold or NumericDate does not allow, and
//    header parameters that carry an attacker's key;
//  - signatures and algorithms beyond the table's HS256, RS256 and ES256: the algorithm pinned by
//    the verifier, ES384/ES512 and EdDSA signatures of the wrong length, out of range or altered;
//  - keys: the key table, the keys each other algorithm's verifier cannot use, and EC public keys
//    whose point is off the curve or at infinity;
//  - configuration: invalid settings are reported by every verify.
// docs/security.md's bad-input matrix cites these test cases by name.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"
#include "support.hpp"
#include "verifier_helpers.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using jwt::errc;
using namespace jwtmint_test;
using namespace std::chrono_literals;

namespace {

enum class alg { hs, rs, es };

/// What a case configures on top of the default verifier (everything default when empty).
struct policy {
    std::optional<std::string> issuer, subject, audience, required;
    std::optional<jwt::login_policy> login;  // the widget's login rules (role claim, team roles)
    std::optional<std::chrono::seconds> max_lifetime, leeway;
    std::optional<std::size_t> max_size;
};

policy with_leeway(std::chrono::seconds s) {
    policy p;
    p.leeway = s;
    return p;
}
policy with_max_lifetime(std::chrono::seconds s) {
    policy p;
    p.max_lifetime = s;
    return p;
}

struct negative_case {
    std::string name;
    alg algorithm;
    std::string token;
    errc expected;
    policy config{};
};

template <class V>
V configured(V v, const policy& p) {
    if (p.issuer) v.issuer(*p.issuer);
    if (p.subject) v.subject(*p.subject);
    if (p.audience) v.audience(*p.audience);
    if (p.login) v.policy(*p.login);  // before max_lifetime, which replaces the policy's ceiling
    if (p.required) v.require_claim(*p.required);
    if (p.max_lifetime) v.max_lifetime(*p.max_lifetime);
    if (p.leeway) v.leeway(*p.leeway);
    if (p.max_size) v.max_token_size(*p.max_size);
    return v;
}

/// test_now and test_now + 300 in decimal, as JSON numbers.
const std::string& now_s() {
    static const std::string s = std::to_string(test_now);
    return s;
}
const std::string& exp_s() {
    static const std::string s = std::to_string(test_now + 300);
    return s;
}

/// The claims of a good widget token at test_now, with extra members appended.
std::string claims(const std::string& extra = "") {
    return R"({"roles":["Accounting Team"],"email":"ada@example.com","iat":)" + now_s() + R"(,"exp":)" + exp_s() +
           extra + "}";
}
/// Claims without the registered time members, for time cases.
std::string claims_with_times(const std::string& times) {
    return R"({"roles":["Accounting Team"],"email":"ada@example.com")" + times + "}";
}

constexpr std::string_view hs_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view rs_header = R"({"alg":"RS256","typ":"JWT"})";
constexpr std::string_view es_header = R"({"alg":"ES256","typ":"JWT"})";

std::string hs(std::string_view header, const std::string& payload) { return sign_json(keys().hs, header, payload); }
std::string hs(const std::string& payload) { return hs(hs_header, payload); }

/// Sets the unused low bits of a segment's last character (canonical encodings have them zero).
std::string set_trailing_bits(std::string seg) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::size_t v = alphabet.find(seg.back());
    seg.back() = alphabet[v | 1U];
    return seg;
}

std::string segment(const std::string& token, int i) {
    std::size_t start = 0;
    for (int k = 0; k < i; ++k) start = token.find('.', start) + 1;
    const std::size_t end = token.find('.', start);
    return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/// An HMAC computed without jwtmint (a key-confusion forger uses a plain HMAC).
std::string plain_hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[32];
    std::size_t len = 0;
    REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
                      &len) != nullptr);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::vector<negative_case> make_cases() {
    const auto& k = keys();
    std::vector<negative_case> c;
    const std::string good_hs = hs(claims());
    const std::string good_rs = sign_json(k.rs, rs_header, claims());
    const std::string good_es = sign_json(k.es, es_header, claims());
    const std::string hs_sig = signature_of(good_hs);
    const std::string rs_sig = signature_of(good_rs);
    const std::string es_sig = signature_of(good_es);
    const std::string h_seg = segment(good_hs, 0);
    const std::string p_seg = segment(good_hs, 1);

    // structure
    c.push_back({"empty string", alg::hs, "", errc::malformed_token});
    c.push_back({"one segment", alg::hs, h_seg, errc::malformed_token});
    c.push_back({"two segments (no signature, no dot)", alg::hs, h_seg + "." + p_seg, errc::malformed_token});
    c.push_back({"four segments", alg::hs, good_hs + ".AAAA", errc::malformed_token});
    c.push_back({"trailing dot", alg::hs, good_hs + ".", errc::malformed_token});
    c.push_back({"five segments (JWE shape)", alg::hs, good_hs + ".AAAA.AAAA", errc::malformed_token});
    c.push_back({"empty header segment", alg::hs, "." + p_seg + "." + segment(good_hs, 2), errc::malformed_token});
    c.push_back({"only dots", alg::hs, "..", errc::malformed_token});
    c.push_back({"empty payload (signed)", alg::hs, hs(""), errc::malformed_token});
    c.push_back({"empty signature", alg::hs, h_seg + "." + p_seg + ".", errc::invalid_signature});
    c.push_back({"truncated in the payload", alg::hs, good_hs.substr(0, h_seg.size() + 10), errc::malformed_token});
    c.push_back({"signature truncated by 3 characters", alg::hs, good_hs.substr(0, good_hs.size() - 3),
                 errc::invalid_signature});

    // base64url
    c.push_back({"padding on the signature", alg::hs, good_hs + "=", errc::invalid_base64url});
    c.push_back({"padding on the header", alg::hs,
                 jwt::base64url_encode(R"({"alg":"HS256"})") + "=." + p_seg + "." + segment(good_hs, 2),
                 errc::invalid_base64url});
    {
        std::string t = good_hs;
        t[t.rfind('.') + 1] = '+';
        c.push_back({"standard base64 '+' in the signature", alg::hs, t, errc::invalid_base64url});
    }
    c.push_back({"space in the header", alg::hs, "eyJh bGciOiJIUzI1NiJ9." + p_seg + "." + segment(good_hs, 2),
                 errc::invalid_base64url});
    c.push_back({"'/' in the payload (signed as is)", alg::hs, sign_segments(k.hs, h_seg, "e30/"),
                 errc::invalid_base64url});
    c.push_back({"non-canonical trailing bits in the header (signed as is)", alg::hs,
                 sign_segments(k.hs, set_trailing_bits(jwt::base64url_encode(R"({"alg":"HS256"} )")), p_seg),
                 errc::invalid_base64url});
    c.push_back({"non-canonical trailing bits in the signature", alg::hs,
                 h_seg + "." + p_seg + "." + set_trailing_bits(segment(good_hs, 2)), errc::invalid_base64url});
    c.push_back({"octet 0xFF in the header", alg::hs, "eyJh\xFF." + p_seg + "." + segment(good_hs, 2),
                 errc::invalid_base64url});

    // JSON
    c.push_back({"header is not JSON", alg::hs, hs("hello", claims()), errc::malformed_token});
    c.push_back({"header is a JSON array", alg::hs, hs(R"(["alg","HS256"])", claims()), errc::malformed_token});
    c.push_back({"header is a JSON string", alg::hs, hs(R"("HS256")", claims()), errc::malformed_token});
    c.push_back({"header is null", alg::hs, hs("null", claims()), errc::malformed_token});
    c.push_back({"claims are an array", alg::hs, hs("[1,2]"), errc::malformed_token});
    c.push_back({"claims are a number", alg::hs, hs("42"), errc::malformed_token});
    c.push_back({"claims are not JSON", alg::hs, hs("foo"), errc::malformed_token});
    c.push_back({"duplicate alg in the header", alg::hs, hs(R"({"alg":"HS256","alg":"HS256"})", claims()),
                 errc::malformed_token});
    c.push_back({"duplicate alg, second none", alg::hs, hs(R"({"alg":"HS256","alg":"none"})", claims()),
                 errc::malformed_token});
    c.push_back({"duplicate exp at the top level", alg::hs, hs(claims(R"(,"exp":9999999999)")), errc::malformed_token});
    c.push_back({"duplicate member in a nested object", alg::hs, hs(claims(R"(,"x":{"a":1,"b":{"c":1,"c":2}})")),
                 errc::malformed_token});
    c.push_back({"duplicate member in an object inside an array", alg::hs,
                 hs(claims(R"(,"x":[{"k":1},{"k":1,"k":2}])")), errc::malformed_token});
    c.push_back({"duplicate member in a nested header object", alg::hs,
                 hs(R"({"alg":"HS256","jwk":{"kty":"oct","kty":"RSA"}})", claims()), errc::malformed_token});
    c.push_back({"byte order mark before the claims", alg::hs, hs("\xEF\xBB\xBF" + claims()), errc::malformed_token});
    c.push_back({"trailing data after the claims", alg::hs, hs(claims() + " x"), errc::malformed_token});
    // nlohmann's lexer ends the text at a NUL octet; the verifier read these as valid until it had its own scanner.
    c.push_back({"NUL and a second object after the claims", alg::hs, hs(claims() + std::string("\0", 1) + claims()),
                 errc::malformed_token});
    c.push_back({"NUL and a second object after the header", alg::hs,
                 hs(R"({"alg":"HS256"})" + std::string("\0", 1) + R"({"alg":"none"})", claims()),
                 errc::malformed_token});
    c.push_back({"comment in the claims", alg::hs, hs("/* hi */" + claims()), errc::malformed_token});
    c.push_back({"invalid UTF-8 in a claim", alg::hs, hs(claims(",\"name\":\"\xC3\x28\"")), errc::malformed_token});
    c.push_back({"lone surrogate escape in a claim", alg::hs, hs(claims(R"(,"name":"\ud800")")),
                 errc::malformed_token});
    c.push_back({"nesting 40 levels deep", alg::hs, hs(claims(",\"x\":" + std::string(40, '[') + std::string(40, ']'))),
                 errc::malformed_token});
    c.push_back({"number overflow 1e400", alg::hs, hs(claims_with_times(R"(,"iat":)" + now_s() + R"(,"exp":1e400)")),
                 errc::malformed_token});
    // A number beyond a double written with an exponent of 8 digits and a million-digit fraction
    // that pulls the other way: the scan read exponents to 7 digits only, took the number for
    // finite, and the verifier then read nbf as 0 (a not-before bypass) and exp as 0.
    {
        policy large;
        large.max_size = 4 * 1024 * 1024;
        const std::string beyond = "0." + std::string(1000000, '0') + "1e10000000";
        c.push_back({"nbf beyond a double, exponent of 8 digits", alg::hs, hs(claims(R"(,"nbf":)" + beyond)),
                     errc::malformed_token, large});
        c.push_back({"exp beyond a double, exponent of 8 digits", alg::hs,
                     hs(claims_with_times(R"(,"iat":)" + now_s() + R"(,"exp":)" + beyond)), errc::malformed_token,
                     large});
        c.push_back({"iat beyond a double, exponent with a + and 20 digits", alg::hs,
                     hs(claims_with_times(R"(,"exp":)" + exp_s() + R"(,"iat":0.)" + std::string(1000000, '0') +
                                          "1E+00000000000010000000")),
                     errc::malformed_token, large});
    }

    // header semantics
    c.push_back({"RS256 header on an HS256 verifier", alg::hs, hs(rs_header, claims()), errc::algorithm_mismatch});
    c.push_back({"alg none", alg::hs, jwt::base64url_encode(R"({"alg":"none"})") + "." + p_seg + ".",
                 errc::algorithm_mismatch});
    c.push_back({"alg None", alg::rs, jwt::base64url_encode(R"({"alg":"None"})") + "." + p_seg + ".",
                 errc::algorithm_mismatch});
    c.push_back({"alg NONE with an HMAC", alg::hs, hs(R"({"alg":"NONE"})", claims()), errc::algorithm_mismatch});
    c.push_back({"alg in lower case", alg::hs, hs(R"({"alg":"hs256"})", claims()), errc::algorithm_mismatch});
    c.push_back({"alg HS512", alg::hs, hs(R"({"alg":"HS512"})", claims()), errc::algorithm_mismatch});
    c.push_back({"missing alg", alg::hs, hs(R"({"typ":"JWT"})", claims()), errc::malformed_token});
    c.push_back({"alg is a number", alg::hs, hs(R"({"alg":256})", claims()), errc::malformed_token});
    c.push_back({"alg is null", alg::hs, hs(R"({"alg":null})", claims()), errc::malformed_token});
    {
        // Key confusion: an HS256 token MACed with the RS256 verifier's public key PEM.
        const std::string pem = k.rs.public_key_pem();
        const std::string input = jwt::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + p_seg;
        c.push_back({"HS256 token MACed with the RSA public key (key confusion)", alg::rs,
                     input + "." + jwt::base64url_encode(plain_hmac_sha256(pem, input)), errc::algorithm_mismatch});
    }
    c.push_back({"ES256 token on an RS256 verifier", alg::rs, good_es, errc::algorithm_mismatch});
    c.push_back({"RS256 token on an ES256 verifier", alg::es, good_rs, errc::algorithm_mismatch});
    c.push_back({"typ at+jwt", alg::hs, hs(R"({"alg":"HS256","typ":"at+jwt"})", claims()), errc::unsupported_header});
    c.push_back({"typ is a number", alg::hs, hs(R"({"alg":"HS256","typ":1})", claims()), errc::malformed_token});
    c.push_back({"kid is a number", alg::hs, hs(R"({"alg":"HS256","kid":7})", claims()), errc::malformed_token});
    c.push_back({"kid is an object", alg::hs, hs(R"({"alg":"HS256","kid":{"id":"a"}})", claims()),
                 errc::malformed_token});
    c.push_back({"kid is an array", alg::hs, hs(R"({"alg":"HS256","kid":["a"]})", claims()), errc::malformed_token});
    c.push_back({"kid is null", alg::hs, hs(R"({"alg":"HS256","kid":null})", claims()), errc::malformed_token});
    c.push_back({"kid holding U+0000", alg::hs, hs(R"({"alg":"HS256","kid":"k1\u0000k2"})", claims()),
                 errc::malformed_token});
    c.push_back({"kid with a control character", alg::hs, hs(R"({"alg":"HS256","kid":"k1\u001b"})", claims()),
                 errc::malformed_token});
    c.push_back({"header member name holding U+0000", alg::hs, hs(R"({"alg":"HS256","alg\u0000":"none"})", claims()),
                 errc::malformed_token});
    c.push_back({"claim name holding U+0000", alg::hs, hs(claims(R"(,"email\u0000x":"eve@example.com")")),
                 errc::malformed_token});
    c.push_back({"crit naming a registered claim", alg::hs, hs(R"({"alg":"HS256","crit":["exp"],"exp":1})", claims()),
                 errc::unsupported_header});
    c.push_back({"crit empty array", alg::hs, hs(R"({"alg":"HS256","crit":[]})", claims()), errc::unsupported_header});
    c.push_back({"crit malformed (a string)", alg::hs, hs(R"({"alg":"HS256","crit":"b64"})", claims()),
                 errc::unsupported_header});
    c.push_back({"b64 false listed in crit", alg::hs, hs(R"({"alg":"HS256","b64":false,"crit":["b64"]})", claims()),
                 errc::unsupported_header});
    c.push_back({"b64 false without crit", alg::hs, hs(R"({"alg":"HS256","b64":false})", claims()),
                 errc::unsupported_header});
    c.push_back({"zip DEF", alg::hs, hs(R"({"alg":"HS256","zip":"DEF"})", claims()), errc::unsupported_header});
    c.push_back({"cty JWT (nested token)", alg::hs, hs(R"({"alg":"HS256","cty":"JWT"})", claims()),
                 errc::unsupported_header});

    // signatures
    c.push_back({"ES256 signature in DER form", alg::es, with_signature(good_es, rs_to_der(es_sig)),
                 errc::invalid_signature});
    c.push_back({"ES256 r = 0", alg::es, with_signature(good_es, std::string(32, '\0') + es_sig.substr(32)),
                 errc::invalid_signature});
    c.push_back({"ES256 s = 0", alg::es, with_signature(good_es, es_sig.substr(0, 32) + std::string(32, '\0')),
                 errc::invalid_signature});
    c.push_back({"ES256 r = s = 0", alg::es, with_signature(good_es, std::string(64, '\0')), errc::invalid_signature});
    c.push_back({"ES256 r = n", alg::es, with_signature(good_es, p256_order() + es_sig.substr(32)),
                 errc::invalid_signature});
    c.push_back({"ES256 s = n", alg::es, with_signature(good_es, es_sig.substr(0, 32) + p256_order()),
                 errc::invalid_signature});
    c.push_back({"ES256 r = 2^256 - 1", alg::es, with_signature(good_es, std::string(32, '\xFF') + es_sig.substr(32)),
                 errc::invalid_signature});
    c.push_back({"ES256 signature of 63 octets", alg::es, with_signature(good_es, es_sig.substr(1)),
                 errc::invalid_signature});
    c.push_back({"ES256 signature of 65 octets", alg::es, with_signature(good_es, std::string(1, '\0') + es_sig),
                 errc::invalid_signature});
    c.push_back({"ES256 signature of another key", alg::es,
                 with_signature(good_es, signature_of(sign_json(k.es_other, es_header, claims()))),
                 errc::invalid_signature});
    c.push_back({"RS256 signature one octet short", alg::rs, with_signature(good_rs, rs_sig.substr(1)),
                 errc::invalid_signature});
    c.push_back({"RS256 signature with a leading zero octet", alg::rs,
                 with_signature(good_rs, std::string(1, '\0') + rs_sig), errc::invalid_signature});
    c.push_back({"RS256 signature all zero", alg::rs, with_signature(good_rs, std::string(rs_sig.size(), '\0')),
                 errc::invalid_signature});
    c.push_back({"RS256 signature of another key", alg::rs,
                 with_signature(good_rs, signature_of(sign_json(k.rs_other, rs_header, claims()))),
                 errc::invalid_signature});
    c.push_back({"HS256 MAC truncated to 16 octets", alg::hs, with_signature(good_hs, hs_sig.substr(0, 16)),
                 errc::invalid_signature});
    c.push_back({"HS256 MAC of 33 octets", alg::hs, with_signature(good_hs, hs_sig + "x"), errc::invalid_signature});
    c.push_back({"HS256 MAC of another secret", alg::hs, sign_json(k.hs_other, hs_header, claims()),
                 errc::invalid_signature});
    c.push_back({"payload swapped under a valid signature", alg::hs,
                 h_seg + "." + jwt::base64url_encode(claims(R"(,"admin":true)")) + "." + segment(good_hs, 2),
                 errc::invalid_signature});

    // time (the clock is pinned at test_now)
    const std::string iat = R"(,"iat":)" + now_s();
    c.push_back({"expired one second ago", alg::hs,
                 hs(claims_with_times(iat + R"(,"exp":)" + std::to_string(test_now - 1))), errc::token_expired});
    c.push_back({"exp equal to now", alg::hs, hs(claims_with_times(iat + R"(,"exp":)" + now_s())),
                 errc::token_expired});
    c.push_back({"expired beyond the leeway", alg::rs,
                 sign_json(k.rs, rs_header, claims_with_times(iat + R"(,"exp":)" + std::to_string(test_now - 30))),
                 errc::token_expired, with_leeway(std::chrono::seconds{30})});
    c.push_back({"nbf in the future", alg::hs, hs(claims(R"(,"nbf":)" + std::to_string(test_now + 60))),
                 errc::token_not_yet_valid});
    c.push_back({"iat in the future", alg::hs,
                 hs(claims_with_times(R"(,"iat":)" + std::to_string(test_now + 120) + R"(,"exp":)" +
                                      std::to_string(test_now + 400))),
                 errc::token_not_yet_valid});
    c.push_back({"lifetime above the maximum", alg::es,
                 sign_json(k.es, es_header, claims_with_times(iat + R"(,"exp":)" + std::to_string(test_now + 3600))),
                 errc::lifetime_too_long, with_max_lifetime(std::chrono::seconds{600})});
    c.push_back({"maximum lifetime set but no iat", alg::hs, hs(claims_with_times(R"(,"exp":)" + exp_s())),
                 errc::missing_claim, with_max_lifetime(std::chrono::seconds{600})});
    c.push_back({"missing exp", alg::hs, hs(claims_with_times(iat)), errc::missing_claim});
    c.push_back({"exp as a string", alg::hs, hs(claims_with_times(iat + R"(,"exp":")" + exp_s() + "\"")),
                 errc::invalid_claim});
    c.push_back({"exp huge (1e20)", alg::hs, hs(claims_with_times(iat + R"(,"exp":99999999999999999999)")),
                 errc::invalid_claim});
    c.push_back({"exp after year 9999", alg::hs, hs(claims_with_times(iat + R"(,"exp":253402300800)")),
                 errc::invalid_claim});
    c.push_back({"exp negative", alg::hs, hs(claims_with_times(iat + R"(,"exp":-1)")), errc::invalid_claim});
    c.push_back({"exp true", alg::hs, hs(claims_with_times(iat + R"(,"exp":true)")), errc::invalid_claim});
    c.push_back({"exp null", alg::hs, hs(claims_with_times(iat + R"(,"exp":null)")), errc::invalid_claim});
    c.push_back({"nbf as a string", alg::hs, hs(claims(R"(,"nbf":"soon")")), errc::invalid_claim});
    c.push_back({"iat as an array", alg::hs, hs(claims_with_times(R"(,"iat":[1],"exp":)" + exp_s())),
                 errc::invalid_claim});

    // claims
    policy need_iss;
    need_iss.issuer = "https://host.example";
    c.push_back({"wrong iss", alg::hs, hs(claims(R"(,"iss":"https://evil.example")")), errc::claim_mismatch, need_iss});
    c.push_back({"missing iss", alg::hs, hs(claims()), errc::missing_claim, need_iss});
    c.push_back({"iss a number", alg::hs, hs(claims(R"(,"iss":1)")), errc::invalid_claim, need_iss});
    policy need_aud;
    need_aud.audience = "customgpt";
    c.push_back({"wrong aud (string)", alg::hs, hs(claims(R"(,"aud":"other")")), errc::claim_mismatch, need_aud});
    c.push_back({"wrong aud (array)", alg::hs, hs(claims(R"(,"aud":["a","b"])")), errc::claim_mismatch, need_aud});
    c.push_back({"missing aud", alg::hs, hs(claims()), errc::missing_claim, need_aud});
    c.push_back({"aud present, verifier has none", alg::hs, hs(claims(R"(,"aud":"customgpt")")), errc::claim_mismatch});
    c.push_back({"aud empty array", alg::hs, hs(claims(R"(,"aud":[])")), errc::invalid_claim, need_aud});
    c.push_back({"aud array holding a number", alg::hs, hs(claims(R"(,"aud":["customgpt",1])")), errc::invalid_claim,
                 need_aud});
    policy need_sub;
    need_sub.subject = "user-1";
    c.push_back({"wrong sub", alg::hs, hs(claims(R"(,"sub":"user-2")")), errc::claim_mismatch, need_sub});
    c.push_back({"missing sub", alg::hs, hs(claims()), errc::missing_claim, need_sub});
    policy need_jti;
    need_jti.required = "jti";
    c.push_back({"required jti absent", alg::hs, hs(claims()), errc::missing_claim, need_jti});
    // The role claim is the login policy's rule: a plain verifier requires none.
    policy widget;
    widget.login = jwt::login_policy{};
    c.push_back({"missing role claim", alg::hs,
                 hs(R"({"email":"ada@example.com","iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}"),
                 errc::missing_roles, widget});
    const auto with_roles = [&](const std::string& roles) {
        return hs(R"({"roles":)" + roles + R"(,"iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}");
    };
    c.push_back({"role claim is a number", alg::hs, with_roles("7"), errc::invalid_claim, widget});
    c.push_back({"role claim is an object", alg::hs, with_roles(R"({"name":"a"})"), errc::invalid_claim, widget});
    c.push_back({"role claim array holds a number", alg::hs, with_roles(R"(["a",1])"), errc::invalid_claim, widget});
    c.push_back({"role claim is an empty array", alg::hs, with_roles("[]"), errc::invalid_claim, widget});
    c.push_back({"role claim string with an empty name", alg::hs, with_roles(R"("A, , B")"), errc::invalid_claim,
                 widget});
    c.push_back({"role name with a newline", alg::hs, with_roles(R"(["Accounting\nTeam"])"), errc::invalid_claim,
                 widget});
    policy known;
    known.login = jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"});
    c.push_back({"unknown role", alg::hs, with_roles(R"(["Sales Team"])"), errc::unknown_role, known});
    c.push_back({"misspelt role", alg::hs, with_roles(R"("Acounting Team")"), errc::unknown_role, known});
    c.push_back({"one known and one unknown role", alg::hs, with_roles(R"(["support team","Marketing"])"),
                 errc::unknown_role, known});
    policy groups;
    groups.login = jwt::login_policy{}.role_claim("groups");
    c.push_back({"roles under another claim name than configured", alg::hs, hs(claims()), errc::missing_roles, groups});
    c.push_back({"email is a number", alg::hs,
                 hs(R"({"roles":["a"],"email":5,"iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}"),
                 errc::invalid_claim});
    c.push_back({"email empty, upn set", alg::hs,
                 hs(R"({"roles":["a"],"email":"","upn":"u@corp","iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}"),
                 errc::invalid_claim});
    c.push_back({"preferred_username only spaces", alg::hs,
                 hs(R"({"roles":["a"],"preferred_username":"  ","iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}"),
                 errc::invalid_claim});
    c.push_back({"aud holding U+0000", alg::hs, hs(claims(R"(,"aud":"customgpt\u0000")")), errc::invalid_claim, [] {
                     policy p;
                     p.audience = "customgpt";
                     return p;
                 }()});
    c.push_back({"upn with a control character", alg::hs,
                 hs(R"({"roles":["a"],"upn":"a\u0007b","iat":)" + now_s() + R"(,"exp":)" + exp_s() + "}"),
                 errc::invalid_claim});

    // size
    c.push_back({"over the default 8 KiB", alg::hs, hs(claims(R"(,"pad":")" + std::string(7000, 'x') + "\"")),
                 errc::token_too_large});
    policy small;
    small.max_size = 100;
    c.push_back({"over a configured 100 octets", alg::hs, good_hs, errc::token_too_large, small});
    c.push_back({"10 000 octets of garbage", alg::hs, std::string(10000, '*'), errc::token_too_large});
    return c;
}

/// A good token of signer's algorithm, with the claims above.
template <class Signer>
std::string good_token(const Signer& s) {
    return sign_json(s, std::string(R"({"alg":")") + std::string(Signer::alg) + R"(","typ":"JWT"})", claims());
}

/// PEM text of DER bytes with the given label (base64 in 64-column lines).
std::string pem_of(const std::string& der, const std::string& label) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
    REQUIRE(n > 0);
    b64.resize(static_cast<std::size_t>(n));
    std::string out = "-----BEGIN " + label + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out + "-----END " + label + "-----\n";
}

/// The DER of a PEM body, decoded with OpenSSL's base64 (not jwtmint's).
std::string der_of(const std::string& pem) {
    std::string body;
    std::size_t pos = pem.find('\n') + 1;
    const std::size_t end = pem.find("-----END");
    for (; pos < end; ++pos) {
        if (pem[pos] != '\n' && pem[pos] != '\r') body += pem[pos];
    }
    std::string der(body.size() / 4 * 3 + 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                  reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
    REQUIRE(n > 0);
    der.resize(static_cast<std::size_t>(n));
    while (!body.empty() && body.back() == '=') {  // EVP_DecodeBlock counts padding as zero octets
        body.pop_back();
        der.pop_back();
    }
    return der;
}

// The algorithms beyond the table's three.

}  // namespace

// Tokens.

TEST_CASE("verifier negative table: every case refused with its exact errc", "[verifier][negative]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const auto cases = make_cases();
    REQUIRE(cases.size() >= 60);

    // The controls: the unaltered tokens pass every policy the table uses, so each refusal
    // below is caused by the one thing its case changes.
    const auto hv = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    const auto rv = pinned_verifier<jwt::rs256>::from_signer(k.rs);
    const auto ev = pinned_verifier<jwt::es256>::from_signer(k.es);
    REQUIRE(!(verify_code(hv, hs(claims()))));
    REQUIRE(!(verify_code(rv, sign_json(k.rs, rs_header, claims()))));
    REQUIRE(!(verify_code(ev, sign_json(k.es, es_header, claims()))));
    policy all;
    all.issuer = "https://host.example";
    all.audience = "customgpt";
    all.subject = "user-1";
    all.required = "jti";
    all.login = jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"});
    all.max_lifetime = std::chrono::seconds{600};
    REQUIRE(!(
        verify_code(configured(hv, all),
                    hs(claims(R"(,"iss":"https://host.example","aud":["x","customgpt"],"sub":"user-1","jti":"j1")")))));

    std::size_t ran = 0;
    for (const auto& tc : cases) {
        INFO("case: " << tc.name << " (expecting " << jwt::errc_name(tc.expected) << ")");
        std::error_code got;
        switch (tc.algorithm) {
            case alg::hs: got = verify_code(configured(hv, tc.config), tc.token); break;
            case alg::rs: got = verify_code(configured(rv, tc.config), tc.token); break;
            case alg::es: got = verify_code(configured(ev, tc.config), tc.token); break;
        }
        INFO("got: " << got.message() << " (" << (got ? jwt::errc_name(static_cast<errc>(got.value())) : "success")
                     << ")");
        CHECK(got == tc.expected);
        ++ran;
    }
    std::printf("verifier_negative_test: %zu token cases ran\n", ran);
}

TEST_CASE("bad input: every proper prefix of a valid token is refused as malformed, base64 or signature",
          "[verifier][bad-input][truncated]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const auto sweep = [](const auto& v, const std::string& token) {
        REQUIRE(!verify_code(v, token));  // the whole token passes: the refusals below come from the cut
        std::set<std::string> seen;
        for (std::size_t n = 0; n < token.size(); ++n) {
            std::error_code ec;
            const auto result = v.verify(token.substr(0, n), ec);
            INFO("prefix of " << n << " octets: " << ec.message());
            CHECK(!result);
            CHECK((ec == errc::malformed_token || ec == errc::invalid_base64url || ec == errc::invalid_signature));
            seen.insert(jwt::errc_name(static_cast<errc>(ec.value())));
        }
        return seen;
    };
    // Each family reaches all three refusals somewhere along the cut.
    const std::set<std::string> all{"malformed_token", "invalid_base64url", "invalid_signature"};
    CHECK(sweep(pinned_verifier<jwt::hs256>::from_signer(k.hs), good_token(k.hs)) == all);
    CHECK(sweep(pinned_verifier<jwt::es256>::from_signer(k.es), good_token(k.es)) == all);
    CHECK(sweep(pinned_verifier<jwt::rs256>::from_signer(k.rs), good_token(k.rs)) == all);
}

TEST_CASE("bad input: the size limit holds at its boundary, before any decoding", "[verifier][bad-input][size]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const std::string token = good_token(k.hs);
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    CHECK(!verify_code(v.max_token_size(token.size()), token));
    CHECK(verify_code(v.max_token_size(token.size() - 1), token) == errc::token_too_large);
    // The largest token that fits the default 8 KiB passes the size check; one more pad octet does not.
    const auto padded = [&](std::size_t n) {
        return sign_json(k.hs, R"({"alg":"HS256","typ":"JWT"})", claims(R"(,"pad":")" + std::string(n, 'x') + "\""));
    };
    std::size_t pad = (jwt::default_max_token_size - padded(0).size()) * 3 / 4;
    while (padded(pad).size() > jwt::default_max_token_size) --pad;
    while (padded(pad + 1).size() <= jwt::default_max_token_size) ++pad;
    const auto dflt = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    REQUIRE(padded(pad).size() >= jwt::default_max_token_size - 1);
    CHECK(!verify_code(dflt, padded(pad)));
    REQUIRE(padded(pad + 1).size() > jwt::default_max_token_size);
    CHECK(verify_code(dflt, padded(pad + 1)) == errc::token_too_large);
}

TEST_CASE("bad input: whitespace and NUL around or inside a token are not base64url",
          "[verifier][bad-input][base64url]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const std::string token = good_token(k.hs);
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    REQUIRE(!verify_code(v, token));
    // A token read from a file or an HTTP body with its line ending is refused, never trimmed.
    CHECK(verify_code(v, token + "\n") == errc::invalid_base64url);
    CHECK(verify_code(v, token + "\r\n") == errc::invalid_base64url);
    CHECK(verify_code(v, " " + token) == errc::invalid_base64url);
    CHECK(verify_code(v, "Bearer " + token) == errc::invalid_base64url);
    std::string with_nul = token;
    with_nul.insert(3, 1, '\0');  // in the header, which is decoded first
    CHECK(verify_code(v, with_nul) == errc::invalid_base64url);
    CHECK(verify_code(v, token + std::string(1, '\0')) == errc::invalid_base64url);
}

TEST_CASE("bad input: invalid UTF-8 in the header is malformed_token", "[verifier][bad-input][utf8]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    for (const std::string bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "caf\xe9"}) {
        INFO("octets: " << jwt::base64url_encode(bad) << " (base64url)");
        CHECK(verify_code(v, sign_json(k.hs, R"({"alg":"HS256","kid":")" + bad + "\"}", claims())) ==
              errc::malformed_token);
        CHECK(verify_code(v, sign_json(k.hs, R"({"alg":"HS256","typ":"JWT"})", claims(",\"name\":\"" + bad + "\""))) ==
              errc::malformed_token);
    }
    // and the same members with valid UTF-8 pass (the control)
    CHECK(!verify_code(v, sign_json(k.hs,
                                    R"({"alg":"HS256","kid":"caf)"
                                    "\xc3\xa9"
                                    R"("})",
                                    claims(",\"name\":\"caf\xc3\xa9\""))));
}

TEST_CASE("bad input: numbers JSON cannot hold, and NumericDates out of range", "[verifier][bad-input][numbers]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    const auto tok = [&](const std::string& payload) {
        return sign_json(k.hs, R"({"alg":"HS256","typ":"JWT"})", payload);
    };
    const std::string iat = R"(,"iat":)" + now_s();
    SECTION("beyond double's range anywhere is malformed_token") {
        CHECK(verify_code(v, sign_json(k.hs, R"({"alg":"HS256","x":1e400})", claims())) == errc::malformed_token);
        CHECK(verify_code(v, tok(claims(R"(,"custom":-1e400)"))) == errc::malformed_token);
        CHECK(verify_code(v, tok(claims_with_times(R"(,"iat":1e999,"exp":)" + std::to_string(test_now + 300)))) ==
              errc::malformed_token);
    }
    SECTION("a NumericDate must be a number of seconds in [0, 9999-12-31T23:59:59Z]") {
        const std::string iat_exp = iat + R"(,"exp":)";
        for (const std::string exp : {"9223372036854775807", "9223372036854775808", "18446744073709551616", "1.5e308",
                                      "-1e300", "-0.5", "253402300800"}) {
            INFO("exp " << exp);
            CHECK(verify_code(v, tok(claims_with_times(iat_exp + exp))) == errc::invalid_claim);
        }
        CHECK(verify_code(v, tok(claims(R"(,"nbf":-9223372036854775809)"))) == errc::invalid_claim);
        CHECK(verify_code(v, tok(claims_with_times(R"(,"iat":1e300,"exp":)" + std::to_string(test_now + 300)))) ==
              errc::invalid_claim);
        // the last second of year 9999 is still a NumericDate (the control)
        CHECK(!verify_code(v, tok(claims_with_times(iat + R"(,"exp":253402300799)"))));
    }
    SECTION("a huge custom number that double can hold is just a claim") {
        CHECK(!verify_code(v, tok(claims(R"(,"big":123456789012345678901234567890,"tiny":1e-400)"))));
    }
}

TEST_CASE("bad input: header parameters carrying an attacker's key are never used", "[verifier][bad-input][keys]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    // The attacker signs with their own key and names it in the header, inline or by URL.
    const auto attacker = jwt::es256::from_key(jwt::private_key::generate_ec_p256());
    const std::string attacker_pub_der = der_of(attacker.public_key_pem());
    const std::string x5c = R"("x5c":[")" + jwt::base64url_encode(attacker_pub_der) + R"("])";
    const auto v = pinned_verifier<jwt::es256>::from_signer(k.es);
    for (const std::string& param : {std::string(R"("jku":"https://attacker.example/jwks.json")"),
                                     std::string(R"("x5u":"https://attacker.example/c.pem")"),
                                     std::string(R"("jwk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"),
                                     std::string(R"("kid":"../../attacker")"), x5c}) {
        INFO("header parameter " << param);
        const std::string token = sign_json(attacker, R"({"alg":"ES256",)" + param + "}", claims());
        CHECK(verify_code(v, token) == errc::invalid_signature);
        // the attacker's token is well formed: under the attacker's key it verifies (the control)
        CHECK(!verify_code(pinned_verifier<jwt::es256>::from_signer(attacker), token));
    }
}

// Signatures and algorithms beyond HS256, RS256 and ES256.

TEST_CASE("the algorithm is pinned by the verifier: same key, other algorithm, refused", "[algorithms][verifier]") {
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string rsa_pub = openssl_public_pem(rsa);
    const auto rs = pinned_verifier<jwt::rs256>::from_pem(rsa_pub);
    const auto ps = pinned_verifier<jwt::ps256>::from_pem(rsa_pub);
    const auto ps384 = pinned_verifier<jwt::ps384>::from_pem(rsa_pub);
    const std::string ps_token = mint_widget_token(jwt::ps256::from_pem(rsa));
    const std::string rs_token = mint_widget_token(jwt::rs256::from_pem(rsa));
    CHECK(jwtmint_test::verify_code(rs, ps_token) == errc::algorithm_mismatch);
    CHECK(jwtmint_test::verify_code(ps, rs_token) == errc::algorithm_mismatch);
    CHECK(jwtmint_test::verify_code(ps384, ps_token) == errc::algorithm_mismatch);

    // The same signature bytes under a header that claims the other algorithm do not verify.
    const std::string relabelled = jwtmint_test::sign_json(jwt::rs256::from_pem(rsa), R"({"alg":"PS256"})",
                                                           R"({"roles":["a"],"exp":1764000600})");
    CHECK(jwtmint_test::verify_code(ps, relabelled) == errc::invalid_signature);

    const std::string hs_token = mint_widget_token(jwt::hs384::from_secret(hmac_secret_64));
    CHECK(jwtmint_test::verify_code(pinned_verifier<jwt::hs512>::from_secret(hmac_secret_64), hs_token) ==
          errc::algorithm_mismatch);
}

TEST_CASE("ES384/ES512 signatures: wrong length and r or s out of range are refused", "[algorithms][verifier]") {
    const auto signer = jwt::es512::from_pem(p521_pem());
    const auto v = pinned_verifier<jwt::es512>::from_signer(signer);
    const std::string token = mint_widget_token(signer);
    const std::string sig = jwtmint_test::signature_of(token);
    REQUIRE(sig.size() == 132);
    CHECK(jwtmint_test::verify_code(v, jwtmint_test::with_signature(token, sig.substr(0, 131))) ==
          errc::invalid_signature);
    // r = 0, s = 0: refused before OpenSSL (CVE-2022-21449).
    CHECK(jwtmint_test::verify_code(v, jwtmint_test::with_signature(token, std::string(132, '\0'))) ==
          errc::invalid_signature);
    // r = n (the P-521 order) is out of range.
    const std::string n521 = jwtmint_test::hex_decode(
        "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8"
        "899c47aebb6fb71e91386409");
    REQUIRE(n521.size() == 66);
    std::error_code ec;
    CHECK_FALSE(v.verify(jwtmint_test::with_signature(token, n521 + sig.substr(66)), ec).has_value());
    CHECK(ec == errc::invalid_signature);
    // A DER signature is not a JWS signature.
    CHECK_FALSE(v.verify_signature(token.substr(0, token.rfind('.')), jwtmint_test::rs_to_der(sig)));

    const auto v384 = pinned_verifier<jwt::es384>::from_signer(jwt::es384::from_pem(jwtmint_test::p384_pem()));
    const std::string t384 = mint_widget_token(jwt::es384::from_pem(jwtmint_test::p384_pem()));
    CHECK(v384.verify_at(t384, fixed_clock::now()).roles().size() == 2);
    const auto e = jwtmint_test::outcome_of([&] { (void)v384.verify(t384.substr(0, t384.size() - 4)); });
    CHECK(e.message.find("96") != std::string::npos);
}

TEST_CASE("EdDSA verification: wrong length, bit flips, other Ed25519 key", "[algorithms][verifier]") {
    const auto signer = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
    const auto v = pinned_verifier<jwt::eddsa>::from_signer(signer);
    const std::string token = mint_widget_token(signer);
    const std::string sig = jwtmint_test::signature_of(token);
    CHECK(jwtmint_test::verify_code(v, jwtmint_test::with_signature(token, sig + "x")) == errc::invalid_signature);
    std::string flipped = sig;
    flipped[63] = static_cast<char>(flipped[63] ^ 0x40);
    CHECK(jwtmint_test::verify_code(v, jwtmint_test::with_signature(token, flipped)) == errc::invalid_signature);
    const auto other = pinned_verifier<jwt::eddsa>::from_pem(
        openssl_public_pem(openssl_key("genpkey -algorithm ED25519")));
    CHECK(jwtmint_test::verify_code(other, token) == errc::invalid_signature);
    CHECK_ERRC(jwt::check_key_pair(signer, other), errc::key_mismatch);
}

// Keys.

TEST_CASE("verifier negative table: keys a verifier refuses at construction", "[verifier][negative][keys]") {
    const auto& k = keys();
    const auto code_of = [](auto&& make) {
        std::error_code ec;
        try {
            make(ec);
        } catch (const std::exception& e) {
            FAIL("the error_code overload threw: " << e.what());
        }
        return ec;
    };
    struct key_case {
        const char* name;
        std::function<void(std::error_code&)> make;
        errc expected;
    };
    jwt::detail::pkey_ptr rsa1024{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024))};
    jwt::detail::pkey_ptr p384{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")};
    jwt::detail::pkey_ptr ed{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
    REQUIRE(rsa1024);
    REQUIRE(p384);
    REQUIRE(ed);
    const std::string rsa_pub = k.rs.public_key_pem();
    const std::string ec_pub = k.es.public_key_pem();
    const std::vector<key_case> cases = {
        {"RSA public key PEM as an HMAC secret",
         [&](std::error_code& ec) { (void)jwt::verifier<jwt::hs256>::from_secret(rsa_pub, ec); },
         errc::key_algorithm_mismatch},
        {"EC public key PEM as an HMAC secret",
         [&](std::error_code& ec) { (void)jwt::verifier<jwt::hs256>::from_secret(ec_pub, ec); },
         errc::key_algorithm_mismatch},
        {"HMAC secret of 31 bytes",
         [](std::error_code& ec) { (void)jwt::verifier<jwt::hs256>::from_secret(std::string(31, 's'), ec); },
         errc::weak_key},
        {"empty HMAC secret", [](std::error_code& ec) { (void)jwt::verifier<jwt::hs256>::from_secret("", ec); },
         errc::weak_key},
        {"RSA 1024 for RS256",
         [&](std::error_code& ec) { (void)jwt::verifier<jwt::rs256>::from_evp_pkey(rsa1024.get(), ec); },
         errc::weak_key},
        {"EC P-384 for ES256",
         [&](std::error_code& ec) { (void)jwt::verifier<jwt::es256>::from_evp_pkey(p384.get(), ec); },
         errc::key_algorithm_mismatch},
        {"EC P-256 for RS256", [&](std::error_code& ec) { (void)jwt::verifier<jwt::rs256>::from_pem(ec_pub, ec); },
         errc::key_algorithm_mismatch},
        {"RSA for ES256", [&](std::error_code& ec) { (void)jwt::verifier<jwt::es256>::from_pem(rsa_pub, ec); },
         errc::key_algorithm_mismatch},
        {"Ed25519 for ES256",
         [&](std::error_code& ec) { (void)jwt::verifier<jwt::es256>::from_evp_pkey(ed.get(), ec); },
         errc::key_algorithm_mismatch},
        {"not a PEM at all", [](std::error_code& ec) { (void)jwt::verifier<jwt::rs256>::from_pem("hello", ec); },
         errc::invalid_key},
        {"damaged PEM body",
         [](std::error_code& ec) {
             (void)jwt::verifier<jwt::rs256>::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                                                       ec);
         },
         errc::invalid_key},
        {"null EVP_PKEY", [](std::error_code& ec) { (void)jwt::verifier<jwt::es256>::from_evp_pkey(nullptr, ec); },
         errc::invalid_key},
        {"missing key file",
         [](std::error_code& ec) {
             (void)jwt::verifier<jwt::rs256>::from_pem_file("/nonexistent/jwtmint/key.pem", ec);
         },
         errc::key_file_error},
    };
    for (const auto& tc : cases) {
        INFO("case: " << tc.name);
        CHECK(code_of(tc.make) == tc.expected);
    }
}

TEST_CASE("the RS512, PS256, ES384/512, EdDSA and HS384/512 verifiers refuse keys their algorithm cannot use",
          "[algorithms][verifier][keys]") {
    const std::string rsa_pub = openssl_public_pem(jwtmint_test::rsa2048_pem());
    const std::string p384_pub = openssl_public_pem(jwtmint_test::p384_pem());
    const std::string ed_pub = openssl_public_pem(jwtmint_test::ed25519_pem());
    CHECK_ERRC(pinned_verifier<jwt::rs512>::from_pem(openssl_public_pem(jwtmint_test::rsa1024_pem())), errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::ps256>::from_pem(openssl_public_pem(jwtmint_test::rsa1024_pem())), errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::ps256>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es384>::from_pem(rsa_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es512>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es256>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::eddsa>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::rs256>::from_pem(ed_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::hs384>::from_secret(hmac_secret_64.substr(0, 40)), errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::hs512>::from_secret(rsa_pub), errc::key_algorithm_mismatch);
}

TEST_CASE("bad input: an EC public key whose point is not on P-256 is invalid_key", "[verifier][bad-input][keys]") {
    const std::string pem = keys().es.public_key_pem();
    const std::string der = der_of(pem);
    REQUIRE(der.size() == 91);   // SPKI of an uncompressed P-256 point: 26 octets of header, 04 || X || Y
    REQUIRE(der[23] == '\x03');  // BIT STRING
    REQUIRE(der[26] == '\x04');  // uncompressed point
    REQUIRE(pem_of(der, "PUBLIC KEY") == pem);  // the helpers round-trip the real key
    std::string off_curve = der;
    off_curve.back() = static_cast<char>(off_curve.back() ^ 0x01);  // Y + 1 or Y - 1: not on the curve
    std::error_code ec;
    CHECK(!jwt::verifier<jwt::es256>::from_pem(pem_of(off_curve, "PUBLIC KEY"), ec));
    CHECK(ec == errc::invalid_key);
    CHECK(!jwt::public_key::from_pem(pem_of(off_curve, "PUBLIC KEY"), ec));
    CHECK(ec == errc::invalid_key);
    std::string infinity = der.substr(0, 26) + std::string(1, '\0');  // the point at infinity, 00
    infinity[1] = static_cast<char>(infinity.size() - 2);
    infinity[24] = static_cast<char>(2);  // BIT STRING length: the unused-bits octet and 00
    // OpenSSL's own decoder takes the point at infinity; with it as the key, r = x(kG) and
    // s = hash * k^-1 would verify for any message. jwtmint refuses it on every way in.
    const std::string infinity_pem = pem_of(infinity, "PUBLIC KEY");
    CHECK(!jwt::verifier<jwt::es256>::from_pem(infinity_pem, ec));
    CHECK(ec == errc::invalid_key);
    CHECK(!jwt::public_key::from_pem(infinity_pem, ec));
    CHECK(ec == errc::invalid_key);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{
        BIO_new_mem_buf(infinity_pem.data(), static_cast<int>(infinity_pem.size())), &BIO_free};
    REQUIRE(bio);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> raw{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                            &EVP_PKEY_free};
    REQUIRE(raw);  // the premise: OpenSSL itself loads it
    CHECK(!jwt::verifier<jwt::es256>::from_evp_pkey(raw.get(), ec));
    CHECK(ec == errc::invalid_key);
}

// Configuration.

TEST_CASE("verifier negative table: invalid configuration is reported by every verify",
          "[verifier][negative][config]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const std::string token = hs(claims());
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    REQUIRE(!(verify_code(v, token)));
    SECTION("negative leeway") {
        v.leeway(std::chrono::seconds{-1});
        CHECK(verify_code(v, token) == errc::invalid_setting);
    }
    SECTION("leeway over a day") {
        v.leeway(std::chrono::hours{24} + std::chrono::seconds{1});
        CHECK(verify_code(v, token) == errc::invalid_setting);
    }
    SECTION("zero maximum lifetime") {
        v.max_lifetime(std::chrono::seconds{0});
        CHECK(verify_code(v, token) == errc::invalid_lifetime);
    }
    SECTION("empty issuer") {
        v.issuer("");
        CHECK(verify_code(v, token) == errc::invalid_claim);
    }
    SECTION("login policy: role claim named like a registered claim") {
        v.policy(jwt::login_policy{}.role_claim("exp"));
        CHECK(verify_code(v, token) == errc::invalid_policy);
    }
    SECTION("login policy: empty team role name") {
        v.policy(jwt::login_policy{}.team_roles({"Accounting Team", " "}));
        CHECK(verify_code(v, token) == errc::invalid_policy);
    }
}
