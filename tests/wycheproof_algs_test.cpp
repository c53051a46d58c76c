// SPDX-License-Identifier: MIT
// C2SP Wycheproof vectors for the algorithms beyond HS256/RS256/ES256 (PS256/PS384, ES384/ES512 P1363, EdDSA,
// HS384/HS512, RS384), read in place, through the public verifier's verify_signature.
//
// Outcomes: every "valid" case must be accepted and every "invalid" case refused. The only
// "acceptable" case in these files is the RSA PKCS#1 SHA-384 case flagged MissingNull (a
// DigestInfo without the NULL parameter): refused, as for RS256 (RFC 8017 section 8.2.2
// re-encodes the DigestInfo and compares; jwtmint is strict).
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"

#include <openssl/crypto.h>

#include <cstdio>
#include <string>

using jwt::errc;
using jwtmint_test::hex_decode;
using jwtmint_test::read_json;
using json = nlohmann::json;

namespace {

struct tally {
    std::size_t ran = 0, accepted = 0, refused = 0, acceptable = 0;
    void print(const char* file, const std::string& extra = {}) const {
        std::printf("wycheproof %s: ran %zu, accepted %zu, refused %zu (of them 'acceptable' %zu)%s\n", file, ran,
                    accepted, refused, acceptable, extra.c_str());
    }
};

void record(tally& t, const json& test, bool accepted) {
    INFO("tcId " << test.at("tcId").get<int>() << " (" << test.at("result").get<std::string>() << ": "
                 << test.value("comment", "") << ")");
    CHECK(accepted == (test.at("result") == "valid"));
    if (test.at("result") == "acceptable") ++t.acceptable;
    ++t.ran;
    ++(accepted ? t.accepted : t.refused);
}

/// Runs every case of a signature file whose groups carry publicKeyPem through verifier<Alg>.
template <class Alg>
tally run_signature_file(const std::filesystem::path& path, const char* sha) {
    const json file = read_json(path);
    tally t;
    for (const auto& group : file.at("testGroups")) {
        if (sha != nullptr) REQUIRE(group.at("sha") == sha);
        const auto v = jwt::verifier<Alg>::from_pem(group.at("publicKeyPem").get<std::string>());
        for (const auto& test : group.at("tests")) {
            record(t, test, v.verify_signature(hex_decode(test.at("msg").get<std::string>()),
                                               hex_decode(test.at("sig").get<std::string>())));
        }
    }
    CHECK(t.ran == file.at("numberOfTests").get<std::size_t>());
    CHECK(t.accepted > 0);
    CHECK(t.refused > 0);
    return t;
}

/// HMAC-SHA-384/512: as the HMAC-SHA-256 test in wycheproof_test.cpp. Every case goes through the
/// pre-keyed HMAC primitive (no key minimum, truncated tags compared as Wycheproof defines
/// them); cases with a long enough key also go through verifier<Alg>::verify_signature, which
/// must match the label for full-length tags and refuse every truncated tag; cases with a short
/// key must be refused at construction (weak_key).
template <class Alg>
void run_hmac_file(const std::filesystem::path& path, const char* name) {
    const json file = read_json(path);
    tally primitive;
    std::size_t full = 0, truncated_refused = 0, short_key = 0;
    const std::size_t mac_size = Alg::spec.size;
    for (const auto& group : file.at("testGroups")) {
        for (const auto& test : group.at("tests")) {
            const std::string key = hex_decode(test.at("key").get<std::string>());
            const std::string msg = hex_decode(test.at("msg").get<std::string>());
            const std::string tag = hex_decode(test.at("tag").get<std::string>());
            INFO("tcId " << test.at("tcId").get<int>() << ", key " << key.size() << " octets, tag " << tag.size());
            const auto mac = jwt::detail::hmac_state::create(key, Alg::spec.digest, 0, mac_size, Alg::alg);
            REQUIRE(mac);
            unsigned char out[64];
            REQUIRE((*mac)->sign_to(msg, out).value() == mac_size);
            record(primitive, test,
                   !tag.empty() && tag.size() <= mac_size && CRYPTO_memcmp(out, tag.data(), tag.size()) == 0);
            if (key.size() < mac_size) {
                std::error_code ec;
                CHECK_FALSE(jwt::verifier<Alg>::from_secret(key, ec).has_value());
                CHECK(ec == errc::weak_key);
                ++short_key;
                continue;
            }
            const auto v = jwt::verifier<Alg>::from_secret(key);
            if (tag.size() == mac_size) {
                CHECK(v.verify_signature(msg, tag) == (test.at("result") == "valid"));
                ++full;
            } else {
                CHECK_FALSE(v.verify_signature(msg, tag));
                ++truncated_refused;
            }
        }
    }
    primitive.print(name, "; public verifier: " + std::to_string(full) + " full-tag cases matched their label, " +
                              std::to_string(truncated_refused) + " truncated-tag cases refused; " +
                              std::to_string(short_key) + " short-key cases refused at construction");
    CHECK(primitive.ran == file.at("numberOfTests").get<std::size_t>());
    CHECK(full > 0);
    CHECK(full + truncated_refused + short_key == primitive.ran);
}

}  // namespace

TEST_CASE("Wycheproof RSA-PSS 2048 SHA-256 MGF1 salt 32 through verifier<ps256>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::ps256>(dir / "wycheproof" / "rsa_pss_2048_sha256_mgf1_32_test.json", "SHA-256");
    t.print("rsa_pss_2048_sha256_mgf1_32_test.json");
}

TEST_CASE("Wycheproof RSA-PSS 2048 SHA-384 MGF1 salt 48 through verifier<ps384>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::ps384>(dir / "wycheproof" / "rsa_pss_2048_sha384_mgf1_48_test.json", "SHA-384");
    t.print("rsa_pss_2048_sha384_mgf1_48_test.json");
}

TEST_CASE("Wycheproof ECDSA P-384 SHA-384 (P1363 R||S) through verifier<es384>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::es384>(dir / "wycheproof" / "ecdsa_secp384r1_sha384_p1363_test.json", "SHA-384");
    t.print("ecdsa_secp384r1_sha384_p1363_test.json");
}

TEST_CASE("Wycheproof ECDSA P-521 SHA-512 (P1363 R||S) through verifier<es512>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::es512>(dir / "wycheproof" / "ecdsa_secp521r1_sha512_p1363_test.json", "SHA-512");
    t.print("ecdsa_secp521r1_sha512_p1363_test.json");
}

TEST_CASE("Wycheproof Ed25519 through verifier<eddsa>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::eddsa>(dir / "wycheproof" / "ed25519_test.json", nullptr);
    t.print("ed25519_test.json");
}

TEST_CASE("Wycheproof RSA PKCS#1 v1.5 2048 SHA-384 through verifier<rs384>", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto t = run_signature_file<jwt::rs384>(dir / "wycheproof" / "rsa_signature_2048_sha384_test.json", "SHA-384");
    t.print("rsa_signature_2048_sha384_test.json", " ('acceptable' refused as designed)");
    CHECK(t.acceptable == 1);
}

TEST_CASE("Wycheproof HMAC-SHA-384 through the verifier and its HMAC primitive", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    run_hmac_file<jwt::hs384>(dir / "wycheproof" / "hmac_sha384_test.json", "hmac_sha384_test.json");
}

TEST_CASE("Wycheproof HMAC-SHA-512 through the verifier and its HMAC primitive", "[wycheproof][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    run_hmac_file<jwt::hs512>(dir / "wycheproof" / "hmac_sha512_test.json", "hmac_sha512_test.json");
}
