// SPDX-License-Identifier: MIT
// The 13 JOSE algorithms as a set: each one end to end, builder -> verifier, with tampering
// caught (HS256, RS256 and ES256 are read back claim by claim in verifier_test.cpp); RSA-PSS-typed
// keys and the restrictions they carry; the traits that classify a signer; the algorithm a key
// signs with when none is named (default_algorithm), and the signer type for a name chosen at run
// time (with_algorithm). Signature formats and the keys each signer refuses are in
// signers_test.cpp; what each verifier refuses, in verifier_negative_test.cpp.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"
#include "verifier_helpers.hpp"

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

using jwt::errc;
using jwtmint_test::fixed_clock;
using jwtmint_test::hmac_secret_64;
using jwtmint_test::mint_widget_token;
using jwtmint_test::openssl_key;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::p521_pem;
using jwtmint_test::pinned_verifier;
using jwtmint_test::test_now;
using namespace std::chrono_literals;

namespace {

const std::string& rsa_pss_unrestricted_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048");
    return pem;
}
const std::string& rsa_pss_sha256_pem() {
    static const std::string pem = openssl_key(
        "genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_pss_keygen_md:sha256 "
        "-pkeyopt rsa_pss_keygen_mgf1_md:sha256 -pkeyopt rsa_pss_keygen_saltlen:32");
    return pem;
}

/// A token from signer verifies with verifier v, its claims read back; a tampered copy does not.
template <class Signer, class Verifier>
void check_round_trip(const Signer& signer, const Verifier& v) {
    const std::string token = mint_widget_token(signer);
    const auto header = nlohmann::json::parse(jwt::base64url_decode(token.substr(0, token.find('.'))));
    CHECK(header.at("alg") == std::string(Signer::alg));
    const auto verified = v.verify(token);
    CHECK(verified.roles() == std::vector<std::string>{"Accounting Team", "Support Team"});
    CHECK(verified.identity() == std::optional<std::string>("ada@example.com"));
    CHECK(verified.issuer() == std::optional<std::string>("https://backend.example"));
    CHECK(verified.lifetime() == std::optional<std::chrono::seconds>(600s));
    CHECK(jwtmint_test::signature_of(token).size() == signer.signature_size());

    std::string tampered = token;
    const std::size_t at = tampered.find('.') + 5;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    CHECK(jwtmint_test::verify_code(v, tampered) == errc::invalid_signature);
}

template <class Signer>
void check_pkey_round_trip(const std::string& private_pem) {
    const auto signer = Signer::from_pem(private_pem);
    INFO(Signer::alg);
    check_round_trip(signer, pinned_verifier<Signer>::from_pem(openssl_public_pem(private_pem)));
    check_round_trip(signer, pinned_verifier<Signer>::from_signer(signer));
    jwt::check_key_pair(signer, jwt::verifier<Signer>::from_pem(openssl_public_pem(private_pem)));
}

template <class Signer>
void check_hmac_round_trip(std::string_view secret) {
    const auto signer = Signer::from_secret(secret);
    INFO(Signer::alg);
    check_round_trip(signer, pinned_verifier<Signer>::from_secret(secret));
    check_round_trip(signer, pinned_verifier<Signer>::from_signer(signer));
    jwt::check_key_pair(signer, jwt::verifier<Signer>::from_secret(secret));
    CHECK_ERRC(jwt::check_key_pair(signer, jwt::verifier<Signer>::from_secret(std::string(secret) + "x")),
               errc::key_mismatch);
}

}  // namespace

TEST_CASE(
    "HS384, HS512, RS384, RS512, PS256, PS384, PS512, ES384, ES512 and EdDSA: builder tokens verify and tampering is "
    "caught",
    "[algorithms][verifier]") {
    SECTION("HS384") { check_hmac_round_trip<jwt::hs384>(hmac_secret_64.substr(0, 48)); }
    SECTION("HS512") { check_hmac_round_trip<jwt::hs512>(hmac_secret_64); }
    SECTION("RS384") { check_pkey_round_trip<jwt::rs384>(jwtmint_test::rsa2048_pem()); }
    SECTION("RS512") { check_pkey_round_trip<jwt::rs512>(jwtmint_test::rsa2048_pem()); }
    SECTION("PS256") { check_pkey_round_trip<jwt::ps256>(jwtmint_test::rsa2048_pem()); }
    SECTION("PS384") { check_pkey_round_trip<jwt::ps384>(jwtmint_test::rsa2048_pem()); }
    SECTION("PS512") { check_pkey_round_trip<jwt::ps512>(jwtmint_test::rsa2048_pem()); }
    SECTION("ES384") { check_pkey_round_trip<jwt::es384>(jwtmint_test::p384_pem()); }
    SECTION("ES512") { check_pkey_round_trip<jwt::es512>(p521_pem()); }
    SECTION("EdDSA") { check_pkey_round_trip<jwt::eddsa>(jwtmint_test::ed25519_pem()); }
}

TEST_CASE("PS* take RSA-PSS-typed keys whose restrictions allow them, and refuse the others", "[algorithms][keys]") {
    // An unrestricted RSA-PSS key fits every PS*; one restricted to SHA-256 (MGF1 SHA-256, salt
    // >= 32) fits PS256 only: OpenSSL enforces the key's restrictions and jwtmint reports that as
    // key_algorithm_mismatch, not as a signing failure.
    const std::string& any = rsa_pss_unrestricted_pem();
    const std::string& sha256_only = rsa_pss_sha256_pem();
    check_round_trip(jwt::ps384::from_pem(any), pinned_verifier<jwt::ps384>::from_pem(openssl_public_pem(any)));
    check_round_trip(jwt::ps256::from_pem(sha256_only),
                     pinned_verifier<jwt::ps256>::from_pem(openssl_public_pem(sha256_only)));
    CHECK_ERRC(jwt::ps384::from_pem(sha256_only), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::ps512::from_pem(sha256_only), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::ps512>::from_pem(openssl_public_pem(sha256_only)), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::rs256>::from_pem(openssl_public_pem(any)), errc::key_algorithm_mismatch);
}

TEST_CASE("the signer traits classify every algorithm", "[algorithms]") {
    STATIC_REQUIRE(jwt::is_hmac_algorithm_v<jwt::hs256>);
    STATIC_REQUIRE(jwt::is_hmac_algorithm_v<jwt::hs384>);
    STATIC_REQUIRE(jwt::is_hmac_algorithm_v<jwt::hs512>);
    STATIC_REQUIRE(!jwt::is_hmac_algorithm_v<jwt::rs256>);
    STATIC_REQUIRE(jwt::is_pkey_algorithm_v<jwt::ps512>);
    STATIC_REQUIRE(jwt::is_pkey_algorithm_v<jwt::eddsa>);
    STATIC_REQUIRE(!jwt::is_pkey_algorithm_v<jwt::hs512>);
    STATIC_REQUIRE(jwt::is_signer_v<jwt::es512>);
    STATIC_REQUIRE(jwt::is_signer_v<jwt::hs384>);
    CHECK(jwt::eddsa::alg == "EdDSA");
    CHECK(jwt::es512::alg == "ES512");
}

TEST_CASE("default_algorithm names the algorithm a key signs when none is named, and that signer takes the key",
          "[algorithms]") {
    struct key_case {
        const char* what;
        std::string pem;  // made by the openssl command line, not by jwtmint
        std::string_view expected;
    };
    const std::vector<key_case> cases = {
        {"RSA 2048", jwtmint_test::rsa2048_pem(), "RS256"},
        {"RSA-PSS typed, unrestricted", rsa_pss_unrestricted_pem(), "PS256"},
        {"RSA-PSS typed, SHA-256 only", rsa_pss_sha256_pem(), "PS256"},
        {"EC P-256", jwtmint_test::p256_pem(), "ES256"},
        {"EC P-384", jwtmint_test::p384_pem(), "ES384"},
        {"EC P-521", p521_pem(), "ES512"},
        {"Ed25519", jwtmint_test::ed25519_pem(), "EdDSA"},
        {"EC secp256k1", openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1"), ""},
        {"Ed448", openssl_key("genpkey -algorithm ED448"), ""},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const jwt::private_key key = jwt::private_key::from_pem(c.pem);
        const std::string_view alg = jwt::default_algorithm(key.info());
        CHECK(alg == c.expected);
        if (alg.empty()) continue;
        // The named algorithm's signer takes the key and its token verifies with the public half.
        const bool found = jwt::with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (jwt::is_pkey_algorithm_v<Alg>) {
                const auto signer = Alg::try_from_key(key);
                REQUIRE(signer.has_value());
                const std::string token = jwt::builder<Alg>(*signer).roles({"Support Team"}).sign();
                CHECK(jwt::verifier<Alg>::from_signer(*signer).try_verify(token).has_value());
            }
        });
        CHECK(found);
    }
    // The public half says the same.
    CHECK(jwt::default_algorithm(jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p384_pem())).info()) ==
          "ES384");
}

TEST_CASE("with_algorithm picks the signer type for a name chosen at run time", "[algorithms]") {
    STATIC_REQUIRE(jwt::all_algorithms::size == 13);
    const std::array<std::string_view, 13> names = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
                                                    "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};
    for (const std::string_view name : names) {
        INFO(name);
        // A key for the family the name implies, made here without the library's help.
        std::string token;
        std::string seen;
        const bool found = jwt::with_algorithm(name, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            seen = std::string(Alg::alg);
            fixed_clock::set(test_now);
            if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
                const std::string secret(64, 'k');
                const auto signer = Alg::from_secret(secret);
                token = jwt::builder<Alg, fixed_clock>(signer).roles({"Support Team"}).sign();
                CHECK(pinned_verifier<Alg>::from_secret(secret).verify(token).roles().size() == 1);
            } else {
                const std::string_view family = name.substr(0, 2);
                const std::string& pem = family == "RS" || family == "PS" ? jwtmint_test::rsa2048_pem()
                                         : name == "ES256"                ? jwtmint_test::p256_pem()
                                         : name == "ES384"                ? jwtmint_test::p384_pem()
                                         : name == "ES512"                ? p521_pem()
                                                                          : jwtmint_test::ed25519_pem();
                const auto signer = Alg::from_pem(pem);
                token = jwt::builder<Alg, fixed_clock>(signer).roles({"Support Team"}).sign();
                CHECK(pinned_verifier<Alg>::from_signer(signer).verify(token).roles().size() == 1);
            }
        });
        CHECK(found);
        CHECK(seen == name);
        // The token's header names the algorithm that was asked for.
        CHECK(jwt::base64url_decode(token.substr(0, token.find('.'))) ==
              R"({"alg":")" + std::string(name) + R"(","typ":"JWT"})");
    }
    for (const std::string_view unknown : {"none", "None", "rs256", "HS256 ", "", "ES256K", "RSA-OAEP"}) {
        INFO(unknown);
        bool called = false;
        CHECK_FALSE(jwt::with_algorithm(unknown, [&](auto) { called = true; }));
        CHECK_FALSE(called);
    }
}
