// SPDX-License-Identifier: MIT
// Helpers for the verifier tests: cached test keys, token surgery, and an errc-returning verify.
#pragma once

#include <jwtmint/jwtmint.hpp>

#include "support.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace jwtmint_test {

/// The instant the verifier tests pin their clock to (2025-11-24T16:00:00Z).
inline constexpr std::int64_t test_now = 1764000000;

template <class Alg>
using pinned_verifier = jwt::verifier<Alg, fixed_clock>;

/// A token of the widget's claims from signer, issued at test_now on the pinned clock.
template <class Signer>
std::string mint_widget_token(const Signer& signer) {
    using namespace std::chrono_literals;
    fixed_clock::set(test_now);
    return jwt::builder<Signer, fixed_clock>(signer)
        .roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .issuer("https://backend.example")
        .expires_in(10min)
        .sign();
}

/// Signers made once per test binary (RSA key generation is slow); "other" keys are different
/// keys of the same kind, for wrong-key cases.
struct test_keys {
    jwt::rs256 rs = jwt::rs256::from_key(jwt::private_key::generate_rsa());
    jwt::rs256 rs_other = jwt::rs256::from_key(jwt::private_key::generate_rsa());
    jwt::es256 es = jwt::es256::from_key(jwt::private_key::generate_ec_p256());
    jwt::es256 es_other = jwt::es256::from_key(jwt::private_key::generate_ec_p256());
    jwt::hs256 hs = jwt::hs256::from_secret("0123456789abcdef0123456789abcdef-test-secret");
    jwt::hs256 hs_other = jwt::hs256::from_secret("fedcba9876543210fedcba9876543210-other-secret");
};

inline const test_keys& keys() {
    static const test_keys k;
    return k;
}

/// Every signing input signed as given: base64url(header) '.' base64url(payload) '.' sig.
template <class Signer>
std::string sign_json(const Signer& signer, std::string_view header, std::string_view payload) {
    return jwt::sign_compact(signer, header, payload);
}

/// Signs already-encoded segments exactly as given (for segments that are not base64url).
template <class Signer>
std::string sign_segments(const Signer& signer, std::string_view header_seg, std::string_view payload_seg) {
    std::string input = std::string(header_seg) + "." + std::string(payload_seg);
    return input + "." + jwt::base64url_encode(signer.sign(input));
}

/// The token with its signature segment replaced by the base64url of raw.
inline std::string with_signature(std::string_view token, std::string_view raw) {
    const std::size_t dot = token.rfind('.');
    return std::string(token.substr(0, dot + 1)) + jwt::base64url_encode(raw);
}

/// The decoded signature segment of a token.
inline std::string signature_of(std::string_view token) {
    return jwt::base64url_decode(token.substr(token.rfind('.') + 1));
}

/// Runs the error_code, throwing and try_ forms of verify and returns the code;
/// checks that all agree, that the former never throws and the latter's message is not empty.
template <class Verifier>
std::error_code verify_code(const Verifier& v, std::string_view token) {
    std::error_code ec;
    std::optional<jwt::verified_token> result;
    try {
        result = v.verify(token, ec);
    } catch (const std::exception& e) {
        FAIL("the error_code overload of verify threw: " << e.what());
    }
    CHECK(result.has_value() == !ec);
    std::error_code thrown;
    std::string thrown_message;
    try {
        (void)v.verify(token);
    } catch (const jwt::error& e) {
        thrown = e.code();
        thrown_message = e.what();
        CHECK(thrown_message.size() > 10);
    }
    CHECK(thrown == ec);
    // The non-throwing form reports the same code and the same full message.
    const auto tried = v.try_verify(token);
    CHECK(tried.error_code() == ec);
    if (!tried) CHECK(std::string(tried.error().what()) == thrown_message);
    return ec;
}

/// The P-256 group order n, big-endian (FIPS 186-4 D.1.2.3), as 32 raw octets.
inline std::string p256_order() {
    return hex_decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
}

/// R||S -> DER ECDSA-Sig-Value, written independently of the library's converter.
inline std::string rs_to_der(std::string_view raw) {
    std::string body;
    for (int i = 0; i < 2; ++i) {
        std::string v(raw.substr(static_cast<std::size_t>(i) * 32, 32));
        while (v.size() > 1 && v[0] == '\0') v.erase(0, 1);
        if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
        body += '\x02';
        body += static_cast<char>(v.size());
        body += v;
    }
    return std::string(1, '\x30') + static_cast<char>(body.size()) + body;
}

}  // namespace jwtmint_test
