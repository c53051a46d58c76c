// SPDX-License-Identifier: MIT
// libFuzzer target: key loading from JWK and JWK Set JSON. The first input octet picks the mode;
// the rest is the text:
//   mode 0  jwt::public_key::from_jwk; on success its public_jwk() loads again, to the same key
//           and the same RFC 7638 thumbprint
//   mode 1  jwt::private_key::from_jwk; on success its public half loads from its public_jwk()
//   mode 2  jwt::verifier<A>::from_jwk for RS256, ES256 and HS256, and A::from_jwk for the same
//   mode 3  jwt::jwks_verifier::from_jwks, then a fixed token through it
// Properties: the error_code overloads never throw and report only jwtmint codes; the throwing
// forms throw only jwt::error; the OpenSSL error queue is empty afterwards.
#include <jwtmint/jwk.hpp>
#include <jwtmint/jwtmint.hpp>

#include "fuzz_common.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using jwtmint_fuzz::expect;
using jwtmint_fuzz::expect_clean_error_queue;

bool is_jwtmint_code(const std::error_code& ec) { return !ec || ec.category() == jwt::category(); }

/// Runs make (which may throw only jwt::error) and reports its code.
template <class F>
std::error_code code_of(F&& make) {
    try {
        make();
    } catch (const jwt::error& e) {
        return e.code();
    }
    return {};
}

template <class Alg>
void try_alg(std::string_view text) {
    const std::error_code v = code_of([&] { (void)jwt::verifier<Alg>::from_jwk(text); });
    expect(is_jwtmint_code(v), "verifier::from_jwk failed with a foreign code");
    expect_clean_error_queue("verifier::from_jwk");
    const std::error_code s = code_of([&] { (void)Alg::from_jwk(text); });
    expect(is_jwtmint_code(s), "Signer::from_jwk failed with a foreign code");
    expect_clean_error_queue("Signer::from_jwk");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text = jwtmint_fuzz::as_text(data + 1, size - 1);
    std::error_code ec;
    switch (data[0] % 4) {
        case 0: {
            const auto key = jwt::public_key::from_jwk(text, ec);
            expect(key.has_value() == !ec && is_jwtmint_code(ec), "public_key::from_jwk reported inconsistently");
            expect_clean_error_queue("public_key::from_jwk");
            if (!key) break;
            const std::string again = jwt::public_jwk(*key);
            const auto reloaded = jwt::public_key::from_jwk(again, ec);
            expect(reloaded.has_value(), "the public_jwk of a loaded key does not load");
            expect(EVP_PKEY_eq(key->native_handle(), reloaded->native_handle()) == 1,
                   "a key and its exported JWK are different keys");
            expect(jwt::jwk_thumbprint(*key) == jwt::jwk_thumbprint(*reloaded),
                   "the thumbprint changed through export");
            ERR_clear_error();  // EVP_PKEY_eq's own notes
            expect_clean_error_queue("public_jwk round trip");
            break;
        }
        case 1: {
            const auto key = jwt::private_key::from_jwk(text, ec);
            expect(key.has_value() == !ec && is_jwtmint_code(ec), "private_key::from_jwk reported inconsistently");
            expect_clean_error_queue("private_key::from_jwk");
            if (!key) break;
            const auto pub = jwt::public_key::from_private(*key);
            const auto reloaded = jwt::public_key::from_jwk(jwt::public_jwk(pub), ec);
            expect(reloaded.has_value() && jwt::try_check_key_pair(*key, *reloaded).has_value(),
                   "a private JWK's public half does not round-trip");
            expect_clean_error_queue("private JWK round trip");
            break;
        }
        case 2:
            try_alg<jwt::rs256>(text);
            try_alg<jwt::es256>(text);
            try_alg<jwt::hs256>(text);
            break;
        default: {
            const auto set = jwt::jwks_verifier<>::from_jwks(text, ec);
            expect(set.has_value() == !ec && is_jwtmint_code(ec), "jwks_verifier::from_jwks reported inconsistently");
            expect_clean_error_queue("jwks_verifier::from_jwks");
            if (!set) break;
            std::error_code vec;
            const auto r = set->verify("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.e30.AAAA", vec);
            expect(!r && is_jwtmint_code(vec), "a JWKS verifier accepted a token with a 3-octet signature");
            expect_clean_error_queue("jwks_verifier::verify");
            break;
        }
    }
    return 0;
}
