// SPDX-License-Identifier: MIT
// libFuzzer target: key loading from PEM text (private and public) and HMAC secrets.
//
// The first input octet picks the mode; the rest is the text:
//   mode 0  jwt::private_key::from_pem without a passphrase, then the RS256 and ES256 signers
//   mode 1  the same with the test passphrase (the encrypted seeds open with it)
//   mode 2  jwt::public_key::from_pem, then the RS256 and ES256 verifiers
//   mode 3  jwt::hs256::from_secret and verifier<hs256>::from_secret
// Properties: the error_code overloads never throw (anything escaping is a crash), every failure
// has a jwtmint code, the OpenSSL error queue is empty afterwards; a loaded private key exports
// a public PEM that loads again and matches it; a signer built from it signs tokens that the
// verifier built from its public half accepts.
#include <jwtmint/jwtmint.hpp>

#include "fuzz_common.hpp"
#include "test_keys.hpp"

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

/// A signer made from key must sign what a verifier made from its public half accepts.
template <class Signer>
void try_signer(const jwt::private_key& key) {
    std::error_code ec;
    std::optional<Signer> signer;
    try {
        signer = Signer::from_key(key);
    } catch (const jwt::error& e) {
        ec = e.code();
    }
    expect(is_jwtmint_code(ec), "a signer factory failed with a foreign code");
    expect_clean_error_queue("a signer factory");
    if (!signer) return;
    const std::string probe = "jwtmint fuzz probe";
    const std::string sig = signer->sign(probe);
    const auto v = jwt::verifier<Signer>::from_signer(*signer);
    expect(v.verify_signature(probe, sig), "a signature by a loaded key does not verify with its public half");
    expect_clean_error_queue("signing with a loaded key");
}

template <class Alg>
void try_verifier(const jwt::public_key& key) {
    std::error_code ec;
    const auto v = jwt::verifier<Alg>::from_key(key, ec);
    expect(v.has_value() == !ec && is_jwtmint_code(ec), "verifier::from_key reported inconsistently");
    expect_clean_error_queue("verifier::from_key");
    if (v) expect(!v->verify_signature("x", std::string(v->signature_size(), '\0')), "an all-zero signature verified");
    expect_clean_error_queue("verify_signature");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text = jwtmint_fuzz::as_text(data + 1, size - 1);
    std::error_code ec;
    switch (data[0] % 4) {
        case 0:
        case 1: {
            const std::string_view pass = data[0] % 4 == 1 ? jwtmint_fuzz::pem_passphrase : std::string_view{};
            const auto key = jwt::private_key::from_pem(text, pass, ec);
            expect(key.has_value() == !ec && is_jwtmint_code(ec), "private_key::from_pem reported inconsistently");
            expect_clean_error_queue("private_key::from_pem");
            if (!key) break;
            const jwt::key_info info = key->info();
            expect(!info.type.empty(), "a loaded key without a type");
            const std::string pub_pem = key->public_key_pem();
            const auto pub = jwt::public_key::from_pem(pub_pem, ec);
            expect(pub.has_value(), "the exported public key PEM does not load");
            expect(jwt::try_check_key_pair(*key, *pub).has_value(),
                   "a key does not match its own exported public half");
            expect_clean_error_queue("public key export");
            try_signer<jwt::rs256>(*key);
            try_signer<jwt::es256>(*key);
            break;
        }
        case 2: {
            const auto key = jwt::public_key::from_pem(text, ec);
            expect(key.has_value() == !ec && is_jwtmint_code(ec), "public_key::from_pem reported inconsistently");
            expect_clean_error_queue("public_key::from_pem");
            if (!key) break;
            try_verifier<jwt::rs256>(*key);
            try_verifier<jwt::es256>(*key);
            break;
        }
        default: {
            const auto signer = jwt::hs256::from_secret(text, ec);
            expect(signer.has_value() == !ec && is_jwtmint_code(ec), "hs256::from_secret reported inconsistently");
            const auto v = jwt::verifier<jwt::hs256>::from_secret(text, ec);
            expect(v.has_value() == signer.has_value(), "the HS256 signer and verifier disagree on a secret");
            expect_clean_error_queue("hs256::from_secret");
            if (signer && v) {
                expect(signer->matches_secret(text), "a signer does not recognise its own secret");
                expect(v->verify_signature("x", signer->sign("x")), "an HS256 signature does not verify");
            }
            break;
        }
    }
    return 0;
}
