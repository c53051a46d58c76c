// SPDX-License-Identifier: MIT
// Known answers from the RFCs, read from tests/vectors: RFC 7515 A.1 (HS256) and
// A.2 (RS256) reproduced byte for byte with sign_compact, A.3 (ES256) verified with plain OpenSSL
// and our own ES256 signature over the same input verified too; plus every other deterministic
// HS256/RS256 compact case (RFC 7519 §3.1, RFC 7520 §4.1 and §4.4).
#include <jwtmint/builder.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/signers.hpp>

#include "core_helpers.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

const nlohmann::json& find_case(const nlohmann::json& file, const std::string& id) {
    for (const auto& c : file.at("cases")) {
        if (c.at("id") == id) return c;
    }
    FAIL("no case " << id);
    throw std::logic_error("unreachable");
}

std::string hmac_key(const std::filesystem::path& dir, const std::string& key_id) {
    const auto jwk = jwtmint_test::read_json(dir / "rfc" / "keys" / (key_id + ".jwk.json"));
    REQUIRE(jwk.at("kty") == "oct");
    return jwtmint_test::b64url_decode(jwk.at("k").get<std::string>());
}

/// The exact header and payload octets of a case (from hex, never re-serialised JSON).
std::pair<std::string, std::string> octets(const nlohmann::json& c) {
    const std::string header = jwtmint_test::hex_decode(c.at("protected_header_hex").get<std::string>());
    const std::string payload = jwtmint_test::hex_decode(c.at("payload_hex").get<std::string>());
    // the hex and the base64url in the vector agree (a guard on the data, not on jwtmint)
    REQUIRE(jwtmint_test::b64url_encode(header) == c.at("protected_header_b64u").get<std::string>());
    REQUIRE(jwtmint_test::b64url_encode(payload) == c.at("payload_b64u").get<std::string>());
    return {header, payload};
}

}  // namespace

TEST_CASE("RFC 7515 A.1: HS256 reproduced byte for byte", "[vectors][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto file = jwtmint_test::read_json(dir / "rfc" / "rfc7515_appendix_a.json");
    const auto& c = find_case(file, "rfc7515-A.1");
    REQUIRE(c.at("alg") == "HS256");
    const auto [header, payload] = octets(c);
    CHECK(header == c.at("protected_header").get<std::string>());  // CRLF and the leading space kept
    const std::string key = hmac_key(dir, c.at("key_id").get<std::string>());
    CHECK(key.size() == 64);
    const auto signer = jwt::hs256::from_secret(key);
    CHECK(jwt::sign_compact(signer, header, payload) == c.at("compact").get<std::string>());
    CHECK(signer.sign(c.at("signing_input").get<std::string>()) ==
          jwtmint_test::hex_decode(c.at("signature_hex").get<std::string>()));
    jwtmint_test::print_vector_count("RFC 7515 A.1 (HS256, byte for byte)", 1);
}

TEST_CASE("RFC 7515 A.2: RS256 reproduced byte for byte", "[vectors][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto file = jwtmint_test::read_json(dir / "rfc" / "rfc7515_appendix_a.json");
    const auto& c = find_case(file, "rfc7515-A.2");
    REQUIRE(c.at("alg") == "RS256");
    const auto [header, payload] = octets(c);
    const auto signer = jwt::rs256::from_pem_file(dir / "rfc" / "keys" / "rfc7515-A.2-rsa2048.pkcs8.pem");
    CHECK(jwt::sign_compact(signer, header, payload) == c.at("compact").get<std::string>());
    CHECK(jwt::try_check_key_pair(
        signer.key(), jwt::public_key::from_pem(jwtmint_test::read_text(dir / "rfc" / "keys" / "rfc7515-A.2-rsa2048.spki.pem"))));
    jwtmint_test::print_vector_count("RFC 7515 A.2 (RS256, byte for byte)", 1);
}

TEST_CASE("RFC 7515 A.3: ES256 verified, and our own ES256 signature verified", "[vectors][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto file = jwtmint_test::read_json(dir / "rfc" / "rfc7515_appendix_a.json");
    const auto& c = find_case(file, "rfc7515-A.3");
    REQUIRE(c.at("alg") == "ES256");
    const auto [header, payload] = octets(c);
    const std::string spki_pem = jwtmint_test::read_text(dir / "rfc" / "keys" / "rfc7515-A.3-p256.spki.pem");
    auto pub = jwtmint_test::load_public_evp(spki_pem);
    const std::string signing_input = c.at("signing_input").get<std::string>();

    SECTION("the published signature verifies with the SPKI key (R||S -> DER)") {
        const std::string raw = jwtmint_test::b64url_decode(c.at("signature_b64u").get<std::string>());
        REQUIRE(raw.size() == 64);
        const std::string der = jwtmint_test::raw_to_der(raw);
        CHECK(jwtmint_test::to_hex(der) == c.at("signature_der_hex").get<std::string>());
        CHECK(jwtmint_test::evp_verify_sha256(pub.get(), signing_input, der));
        // and a flipped bit does not
        std::string bad = raw;
        bad[10] = static_cast<char>(bad[10] ^ 1);
        CHECK_FALSE(jwtmint_test::evp_verify_sha256(pub.get(), signing_input, jwtmint_test::raw_to_der(bad)));
        jwtmint_test::print_vector_count("RFC 7515 A.3 (ES256, published signature verified)", 1);
    }
    SECTION("our own ES256 signature over the same input verifies") {
        const auto signer = jwt::es256::from_pem_file(dir / "rfc" / "keys" / "rfc7515-A.3-p256.pkcs8.pem");
        CHECK(jwt::try_check_key_pair(signer.key(), jwt::public_key::from_pem(spki_pem)));
        for (int i = 0; i < 20; ++i) {
            const std::string token = jwt::sign_compact(signer, header, payload);
            const auto parts = jwtmint_test::split_token(token);
            CHECK(parts.signing_input == signing_input);
            REQUIRE(parts.signature.size() == 64);
            CHECK(jwtmint_test::evp_verify_sha256(pub.get(), signing_input, jwtmint_test::raw_to_der(parts.signature)));
        }
    }
}

TEST_CASE("every deterministic HS256 and RS256 compact case is reproduced", "[vectors][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    int reproduced = 0;
    for (const char* name : {"rfc7515_appendix_a.json", "rfc7519_examples.json", "rfc7520_section4.json"}) {
        const auto file = jwtmint_test::read_json(dir / "rfc" / name);
        for (const auto& c : file.at("cases")) {
            if (!c.contains("compact") || !c.contains("payload_hex") || c.contains("detached")) continue;
            if (c.value("deterministic", false) != true || c.value("expected", "") != "valid") continue;
            const std::string alg = c.value("alg", "");
            const std::string key_id = c.value("key_id", "");
            INFO(c.at("id").get<std::string>());
            const auto [header, payload] = octets(c);
            const std::string compact = c.at("compact").get<std::string>();
            if (alg == "HS256") {
                CHECK(jwt::sign_compact(jwt::hs256::from_secret(hmac_key(dir, key_id)), header, payload) == compact);
                ++reproduced;
            } else if (alg == "RS256") {
                const auto signer = jwt::rs256::from_pem_file(dir / "rfc" / "keys" / (key_id + ".pkcs8.pem"));
                CHECK(jwt::sign_compact(signer, header, payload) == compact);
                ++reproduced;
            }
        }
    }
    CHECK(reproduced >= 5);  // A.1, A.2, RFC 7519 3.1, RFC 7520 4.1 and 4.4
    jwtmint_test::print_vector_count("RFC 7515/7519/7520 deterministic HS256 and RS256 (byte for byte)",
                                     static_cast<std::size_t>(reproduced));
}
