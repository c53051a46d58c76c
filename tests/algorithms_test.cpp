// SPDX-License-Identifier: MIT
// The algorithms beyond RS256/ES256/HS256 (HS384/512, RS384/512, PS256/384/512, ES384/512,
// EdDSA): builder -> verifier round trips, signatures checked with plain OpenSSL, key refusals
// down to their errc on both the signing and the verifying side.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"
#include "verifier_helpers.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

using jwt::errc;
using jwtmint_test::fixed_clock;
using jwtmint_test::openssl_key;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::pinned_verifier;
using jwtmint_test::test_now;
using namespace std::chrono_literals;

namespace {

const std::string& p521_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    return pem;
}
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

const std::string hmac_secret_64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Verifies sig over input with plain OpenSSL EVP and explicit parameters (independent of jwtmint).
/// digest nullptr: EdDSA. pss_salt >= 0: RSASSA-PSS with MGF1 over digest and exactly that salt.
bool evp_verify(const std::string& public_pem, const char* digest, int pss_salt, std::string_view input,
                std::string_view sig) {
    const auto key = jwtmint_test::load_public_evp(public_pem);
    std::unique_ptr<EVP_MD_CTX, jwtmint_test::free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, key.get(), nullptr) == 1);
    if (pss_salt >= 0) {
        REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest, nullptr) == 1);
    }
    const int r = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    ERR_clear_error();
    return r == 1;
}

template <class Signer>
std::string mint(const Signer& signer) {
    fixed_clock::set(test_now);
    return jwt::builder<Signer, fixed_clock>(signer)
        .roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .issuer("https://backend.example")
        .expires_in(10min)
        .sign();
}

/// A token from signer verifies with verifier v, its claims read back; a tampered copy does not.
template <class Signer, class Verifier>
void check_round_trip(const Signer& signer, const Verifier& v) {
    const std::string token = mint(signer);
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
    CHECK_ERRC(jwt::check_key_pair(signer, jwt::verifier<Signer>::from_secret(std::string(secret) + "x")), errc::key_mismatch);
}

}  // namespace

TEST_CASE("every new algorithm: builder tokens verify and tampering is caught", "[algorithms][verifier]") {
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

TEST_CASE("signatures of the new algorithms verify with plain OpenSSL and its exact parameters",
          "[algorithms][signers]") {
    constexpr std::string_view input = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0";
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string rsa_pub = openssl_public_pem(rsa);

    SECTION("RS384 and RS512 are deterministic and equal OpenSSL's PKCS#1 v1.5") {
        const std::string s384 = jwt::rs384::from_pem(rsa).sign(input);
        const std::string s512 = jwt::rs512::from_pem(rsa).sign(input);
        CHECK(s384.size() == 256);
        CHECK(s384 == jwt::rs384::from_pem(rsa).sign(input));
        CHECK(evp_verify(rsa_pub, "SHA384", -1, input, s384));
        CHECK(evp_verify(rsa_pub, "SHA512", -1, input, s512));
        CHECK_FALSE(evp_verify(rsa_pub, "SHA256", -1, input, s384));
    }
    SECTION("PS256/384/512 use MGF1 with the same hash and a salt exactly as long as the hash") {
        const std::string s256 = jwt::ps256::from_pem(rsa).sign(input);
        const std::string s384 = jwt::ps384::from_pem(rsa).sign(input);
        const std::string s512 = jwt::ps512::from_pem(rsa).sign(input);
        CHECK(s256 != jwt::ps256::from_pem(rsa).sign(input));  // randomised
        CHECK(evp_verify(rsa_pub, "SHA256", 32, input, s256));
        CHECK(evp_verify(rsa_pub, "SHA384", 48, input, s384));
        CHECK(evp_verify(rsa_pub, "SHA512", 64, input, s512));
        CHECK_FALSE(evp_verify(rsa_pub, "SHA256", 20, input, s256));  // the salt length is checked
        CHECK_FALSE(evp_verify(rsa_pub, "SHA384", 32, input, s384));
    }
    SECTION("ES384 is 96 octets of R||S, ES512 132, both verifying after conversion to DER") {
        const std::string p384_pub = openssl_public_pem(jwtmint_test::p384_pem());
        const std::string p521_pub = openssl_public_pem(p521_pem());
        for (int i = 0; i < 16; ++i) {  // short R or S (leading zero octets) must keep their width
            const std::string s384 = jwt::es384::from_pem(jwtmint_test::p384_pem()).sign(input);
            const std::string s512 = jwt::es512::from_pem(p521_pem()).sign(input);
            REQUIRE(s384.size() == 96);
            REQUIRE(s512.size() == 132);
            std::array<unsigned char, 160> der{};
            std::size_t n = jwt::detail::ecdsa_raw_to_der(reinterpret_cast<const unsigned char*>(s384.data()), 48,
                                                          der.data());
            CHECK(evp_verify(p384_pub, "SHA384", -1, input, std::string_view(reinterpret_cast<char*>(der.data()), n)));
            n = jwt::detail::ecdsa_raw_to_der(reinterpret_cast<const unsigned char*>(s512.data()), 66, der.data());
            CHECK(evp_verify(p521_pub, "SHA512", -1, input, std::string_view(reinterpret_cast<char*>(der.data()), n)));
        }
    }
    SECTION("EdDSA is pure Ed25519 over the signing input: 64 octets, deterministic") {
        const auto signer = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
        const std::string sig = signer.sign(input);
        CHECK(sig.size() == 64);
        CHECK(sig == signer.sign(input));
        CHECK(evp_verify(openssl_public_pem(jwtmint_test::ed25519_pem()), nullptr, -1, input, sig));
    }
    SECTION("HS384 and HS512 are the full HMAC") {
        const auto one_shot = [&](const char* digest) {
            unsigned char mac[64];
            std::size_t len = 0;
            REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, hmac_secret_64.data(), hmac_secret_64.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                              &len) != nullptr);
            return std::string(reinterpret_cast<char*>(mac), len);
        };
        CHECK(jwt::hs384::from_secret(hmac_secret_64).sign(input) == one_shot("SHA384"));
        CHECK(jwt::hs512::from_secret(hmac_secret_64).sign(input) == one_shot("SHA512"));
        CHECK(one_shot("SHA384").size() == 48);
    }
}

TEST_CASE("the new signers refuse keys their algorithm cannot use, each with its own errc", "[algorithms][keys]") {
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string& p256 = jwtmint_test::p256_pem();
    const std::string& p384 = jwtmint_test::p384_pem();
    const std::string& ed = jwtmint_test::ed25519_pem();

    CHECK_ERRC(jwt::hs384::from_secret(hmac_secret_64.substr(0, 47)), errc::weak_key);
    CHECK_ERRC(jwt::hs512::from_secret(hmac_secret_64.substr(0, 63)), errc::weak_key);
    CHECK_ERRC(jwt::hs512::from_secret(jwtmint_test::rsa2048_pem()), errc::key_algorithm_mismatch);
    CHECK_NOTHROW(jwt::hs384::from_secret(hmac_secret_64.substr(0, 48)));

    for (const auto* weak : {&jwtmint_test::rsa1024_pem()}) {
        CHECK_ERRC(jwt::rs384::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::rs512::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::ps256::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::ps512::from_pem(*weak), errc::weak_key);
    }
    CHECK_ERRC(jwt::rs384::from_pem(p384), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::ps256::from_pem(ed), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es384::from_pem(p256), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es384::from_pem(p521_pem()), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es512::from_pem(p384), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es512::from_pem(rsa), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es256::from_pem(ed), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(rsa), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(p256), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(openssl_public_pem(ed)), errc::private_key_required);
    CHECK_ERRC(jwt::es512::from_pem(openssl_public_pem(p521_pem())), errc::private_key_required);
    CHECK_ERRC(jwt::ps384::from_pem(openssl_public_pem(rsa)), errc::private_key_required);
    // RS* is PKCS#1 v1.5: a key typed RSA-PSS (id-RSASSA-PSS) may not be used for it.
    CHECK_ERRC(jwt::rs256::from_pem(rsa_pss_unrestricted_pem()), errc::key_algorithm_mismatch);

    std::error_code ec;
    CHECK_FALSE(jwt::es512::from_pem(p384, {}, ec).has_value());
    CHECK(ec == errc::key_algorithm_mismatch);
    CHECK_FALSE(jwt::hs512::from_secret("short", ec).has_value());
    CHECK(ec == errc::weak_key);

    const auto e = jwtmint_test::outcome_of([&] { (void)jwt::es512::from_pem(p384); });
    CHECK(e.message.find("P-521") != std::string::npos);
    CHECK(e.message.find("P-384") != std::string::npos);
}

TEST_CASE("PS* take RSA-PSS-typed keys whose restrictions allow them, and refuse the others",
          "[algorithms][keys]") {
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
    CHECK_ERRC(pinned_verifier<jwt::ps512>::from_pem(openssl_public_pem(sha256_only)),
               errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::rs256>::from_pem(openssl_public_pem(any)), errc::key_algorithm_mismatch);
}

TEST_CASE("the new verifiers refuse keys their algorithm cannot use", "[algorithms][verifier][keys]") {
    const std::string rsa_pub = openssl_public_pem(jwtmint_test::rsa2048_pem());
    const std::string p384_pub = openssl_public_pem(jwtmint_test::p384_pem());
    const std::string ed_pub = openssl_public_pem(jwtmint_test::ed25519_pem());
    CHECK_ERRC(pinned_verifier<jwt::rs512>::from_pem(openssl_public_pem(jwtmint_test::rsa1024_pem())),
               errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::ps256>::from_pem(openssl_public_pem(jwtmint_test::rsa1024_pem())),
               errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::ps256>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es384>::from_pem(rsa_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es512>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::es256>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::eddsa>::from_pem(p384_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::rs256>::from_pem(ed_pub), errc::key_algorithm_mismatch);
    CHECK_ERRC(pinned_verifier<jwt::hs384>::from_secret(hmac_secret_64.substr(0, 40)), errc::weak_key);
    CHECK_ERRC(pinned_verifier<jwt::hs512>::from_secret(rsa_pub), errc::key_algorithm_mismatch);
}

TEST_CASE("the algorithm is pinned by the verifier: same key, other algorithm, refused", "[algorithms][verifier]") {
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string rsa_pub = openssl_public_pem(rsa);
    const auto rs = pinned_verifier<jwt::rs256>::from_pem(rsa_pub);
    const auto ps = pinned_verifier<jwt::ps256>::from_pem(rsa_pub);
    const auto ps384 = pinned_verifier<jwt::ps384>::from_pem(rsa_pub);
    const std::string ps_token = mint(jwt::ps256::from_pem(rsa));
    const std::string rs_token = mint(jwt::rs256::from_pem(rsa));
    CHECK(jwtmint_test::verify_code(rs, ps_token) == errc::algorithm_mismatch);
    CHECK(jwtmint_test::verify_code(ps, rs_token) == errc::algorithm_mismatch);
    CHECK(jwtmint_test::verify_code(ps384, ps_token) == errc::algorithm_mismatch);

    // The same signature bytes under a header that claims the other algorithm do not verify.
    const std::string relabelled = jwtmint_test::sign_json(jwt::rs256::from_pem(rsa), R"({"alg":"PS256"})",
                                                           R"({"roles":["a"],"exp":1764000600})");
    CHECK(jwtmint_test::verify_code(ps, relabelled) == errc::invalid_signature);

    const std::string hs_token = mint(jwt::hs384::from_secret(hmac_secret_64));
    CHECK(jwtmint_test::verify_code(pinned_verifier<jwt::hs512>::from_secret(hmac_secret_64), hs_token) ==
          errc::algorithm_mismatch);
}

TEST_CASE("ES384/ES512 signatures: wrong length and r or s out of range are refused", "[algorithms][verifier]") {
    const auto signer = jwt::es512::from_pem(p521_pem());
    const auto v = pinned_verifier<jwt::es512>::from_signer(signer);
    const std::string token = mint(signer);
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
    const std::string t384 = mint(jwt::es384::from_pem(jwtmint_test::p384_pem()));
    CHECK(v384.verify_at(t384, fixed_clock::now()).roles().size() == 2);
    const auto e = jwtmint_test::outcome_of([&] { (void)v384.verify(t384.substr(0, t384.size() - 4)); });
    CHECK(e.message.find("96") != std::string::npos);
}

TEST_CASE("EdDSA verification: wrong length, bit flips, other Ed25519 key", "[algorithms][verifier]") {
    const auto signer = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
    const auto v = pinned_verifier<jwt::eddsa>::from_signer(signer);
    const std::string token = mint(signer);
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
    CHECK(jwt::default_algorithm(jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p384_pem())).info()) == "ES384");
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
