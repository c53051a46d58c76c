// SPDX-License-Identifier: MIT
// Bad inputs that the other suites did not try, each refused with its exact errc: every prefix
// of a token, the size limit at its boundary, whitespace and NUL around a token, invalid UTF-8 in
// the header, numbers JSON cannot hold or NumericDate does not allow, header parameters that
// carry an attacker's key, and EC public keys whose point is off the curve or at infinity.
// docs/security.md cites these test cases by name.
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"
#include "verifier_helpers.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

using jwt::errc;
using namespace jwtmint_test;
using namespace std::chrono_literals;

namespace {

const std::string now_s = std::to_string(test_now);

/// The claims of a good widget token at test_now, with extra members appended.
std::string claims(const std::string& extra = "") {
    return R"({"roles":["Accounting Team"],"email":"ada@example.com","iat":)" + now_s + R"(,"exp":)" +
           std::to_string(test_now + 300) + extra + "}";
}
std::string claims_with_times(const std::string& times) {
    return R"({"roles":["Accounting Team"],"email":"ada@example.com")" + times + "}";
}

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

}  // namespace

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

TEST_CASE("bad input: whitespace and NUL around or inside a token are not base64url", "[verifier][bad-input][base64url]") {
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
    CHECK(!verify_code(v, sign_json(k.hs, R"({"alg":"HS256","kid":"caf)" "\xc3\xa9" R"("})",
                                    claims(",\"name\":\"caf\xc3\xa9\""))));
}

TEST_CASE("bad input: numbers JSON cannot hold, and NumericDates out of range", "[verifier][bad-input][numbers]") {
    fixed_clock::set(test_now);
    const auto& k = keys();
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    const auto tok = [&](const std::string& payload) { return sign_json(k.hs, R"({"alg":"HS256","typ":"JWT"})", payload); };
    const std::string iat = R"(,"iat":)" + now_s;
    SECTION("beyond double's range anywhere is malformed_token") {
        CHECK(verify_code(v, sign_json(k.hs, R"({"alg":"HS256","x":1e400})", claims())) == errc::malformed_token);
        CHECK(verify_code(v, tok(claims(R"(,"custom":-1e400)"))) == errc::malformed_token);
        CHECK(verify_code(v, tok(claims_with_times(R"(,"iat":1e999,"exp":)" + std::to_string(test_now + 300)))) ==
              errc::malformed_token);
    }
    SECTION("a NumericDate must be a number of seconds in [0, 9999-12-31T23:59:59Z]") {
        for (const std::string exp : {"9223372036854775807", "9223372036854775808", "18446744073709551616",
                                      "1.5e308", "-1e300", "-0.5", "253402300800"}) {
            INFO("exp " << exp);
            CHECK(verify_code(v, tok(claims_with_times(iat + R"(,"exp":)" + exp))) == errc::invalid_claim);
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
    for (const std::string& param :
         {std::string(R"("jku":"https://attacker.example/jwks.json")"), std::string(R"("x5u":"https://attacker.example/c.pem")"),
          std::string(R"("jwk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"), std::string(R"("kid":"../../attacker")"), x5c}) {
        INFO("header parameter " << param);
        const std::string token = sign_json(attacker, R"({"alg":"ES256",)" + param + "}", claims());
        CHECK(verify_code(v, token) == errc::invalid_signature);
        // the attacker's token is well formed: under the attacker's key it verifies (the control)
        CHECK(!verify_code(pinned_verifier<jwt::es256>::from_signer(attacker), token));
    }
}

TEST_CASE("bad input: an EC public key whose point is not on P-256 is invalid_key", "[verifier][bad-input][keys]") {
    const std::string pem = keys().es.public_key_pem();
    const std::string der = der_of(pem);
    REQUIRE(der.size() == 91);  // SPKI of an uncompressed P-256 point: 26 octets of header, 04 || X || Y
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
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_mem_buf(infinity_pem.data(), static_cast<int>(infinity_pem.size())),
                                                 &BIO_free};
    REQUIRE(bio);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> raw{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                            &EVP_PKEY_free};
    REQUIRE(raw);  // the premise: OpenSSL itself loads it
    CHECK(!jwt::verifier<jwt::es256>::from_evp_pkey(raw.get(), ec));
    CHECK(ec == errc::invalid_key);
}
