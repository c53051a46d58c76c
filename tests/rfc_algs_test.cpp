// SPDX-License-Identifier: MIT
// RFC 7520 section 4.1-4.4 and RFC 8037 appendix A.4 (Ed25519), read from tests/vectors:
// deterministic signatures (RS256, HS256, EdDSA) reproduced byte for byte through
// jwt::sign_compact; randomised ones (PS384, ES512) verified, then signed anew and verified.
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"

#include <string>

using jwtmint_test::read_json;
using jwtmint_test::read_text;
using json = nlohmann::json;

namespace {

std::filesystem::path key_file(const std::filesystem::path& dir, const json& c, const char* suffix) {
    return dir / "rfc" / "keys" / (c.at("key_id").get<std::string>() + suffix);
}

const json& find_case(const json& file, const char* id) {
    for (const auto& c : file.at("cases")) {
        if (c.at("id") == id) return c;
    }
    FAIL("no case " << id);
    throw;  // unreachable
}

/// The case's exact header and payload octets, signed by signer, must give its compact form.
template <class Signer>
void check_reproduced(const Signer& signer, const json& c) {
    INFO(c.at("id").get<std::string>());
    REQUIRE(c.at("deterministic") == true);
    const std::string token = jwt::sign_compact(signer, c.at("protected_header").get<std::string>(),
                                                jwtmint_test::hex_decode(c.at("payload_hex").get<std::string>()));
    CHECK(token == c.at("compact").get<std::string>());
}

/// The case's signature verifies over its signing input; a new signature by signer does too.
template <class Alg>
void check_verified(const jwt::verifier<Alg>& v, const Alg& signer, const json& c) {
    INFO(c.at("id").get<std::string>());
    const std::string input = c.at("signing_input");
    const std::string sig = jwt::base64url_decode(c.at("signature_b64u").get<std::string>());
    CHECK(v.verify_signature(input, sig));
    const auto jws = v.verify_jws(c.at("compact").get<std::string>());
    CHECK(jws.payload() == jwtmint_test::hex_decode(c.at("payload_hex").get<std::string>()));
    CHECK(jws.key_id() == std::optional<std::string>("bilbo.baggins@hobbiton.example"));
    std::string altered = sig;
    altered[10] = static_cast<char>(altered[10] ^ 1);
    CHECK_FALSE(v.verify_signature(input, altered));
    const std::string ours = jwt::sign_compact(signer, c.at("protected_header").get<std::string>(),
                                               jwtmint_test::hex_decode(c.at("payload_hex").get<std::string>()));
    CHECK(ours != c.at("compact").get<std::string>());  // randomised
    CHECK(v.verify_jws(ours).payload() == jws.payload());
}

}  // namespace

TEST_CASE("RFC 7520 4.1 (RS256) and 4.4 (HS256) reproduced byte for byte", "[rfc][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json file = read_json(dir / "rfc" / "rfc7520_section4.json");
    const json& c41 = find_case(file, "rfc7520-4.1");
    check_reproduced(jwt::rs256::from_pem_file(key_file(dir, c41, ".pkcs8.pem")), c41);
    CHECK(jwt::verifier<jwt::rs256>::from_pem_file(key_file(dir, c41, ".spki.pem"))
              .verify_jws(c41.at("compact").get<std::string>())
              .key_id() == std::optional<std::string>("bilbo.baggins@hobbiton.example"));

    const json& c44 = find_case(file, "rfc7520-4.4");
    const json jwk = read_json(key_file(dir, c44, ".jwk.json"));
    const std::string secret = jwt::base64url_decode(jwk.at("k").get<std::string>());
    check_reproduced(jwt::hs256::from_secret(secret), c44);
    CHECK(jwt::verifier<jwt::hs256>::from_secret(secret).verify_jws(c44.at("compact").get<std::string>()).payload() ==
          c44.at("payload_utf8").get<std::string>());
    jwtmint_test::print_vector_count("RFC 7520 4.1 (RS256) and 4.4 (HS256) reproduced", 2);
}

TEST_CASE("RFC 7520 4.2 (PS384) and 4.3 (ES512) verified, and re-signed", "[rfc][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json file = read_json(dir / "rfc" / "rfc7520_section4.json");
    const json& c42 = find_case(file, "rfc7520-4.2");
    REQUIRE(c42.at("alg") == "PS384");
    check_verified(jwt::verifier<jwt::ps384>::from_pem_file(key_file(dir, c42, ".spki.pem")),
                   jwt::ps384::from_pem_file(key_file(dir, c42, ".pkcs8.pem")), c42);
    // The same RSA key under PS256 or RS384 does not accept it: the algorithm is the verifier's.
    std::error_code ec;
    CHECK_FALSE(jwt::verifier<jwt::rs384>::from_pem_file(key_file(dir, c42, ".spki.pem"))
                    .verify_jws(c42.at("compact").get<std::string>(), ec));
    CHECK(ec == jwt::errc::algorithm_mismatch);

    const json& c43 = find_case(file, "rfc7520-4.3");
    REQUIRE(c43.at("alg") == "ES512");
    check_verified(jwt::verifier<jwt::es512>::from_pem_file(key_file(dir, c43, ".spki.pem")),
                   jwt::es512::from_pem_file(key_file(dir, c43, ".pkcs8.pem")), c43);
    CHECK(jwt::base64url_decode(c43.at("signature_b64u").get<std::string>()).size() == 132);
    jwtmint_test::print_vector_count("RFC 7520 4.2 (PS384) and 4.3 (ES512) verified and re-signed", 2);
}

TEST_CASE("RFC 8037 A.4 (Ed25519) reproduced byte for byte and verified", "[rfc][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json file = read_json(dir / "rfc" / "rfc8037_eddsa.json");
    const json& c = find_case(file, "rfc8037-A.4");
    const auto signer = jwt::eddsa::from_pem_file(key_file(dir, c, ".pkcs8.pem"));
    check_reproduced(signer, c);
    const auto v = jwt::verifier<jwt::eddsa>::from_pem_file(key_file(dir, c, ".spki.pem"));
    CHECK(v.verify_jws(c.at("compact").get<std::string>()).payload() == "Example of Ed25519 signing");
    CHECK(v.verify_signature(c.at("signing_input").get<std::string>(),
                             jwt::base64url_decode(c.at("signature_b64u").get<std::string>())));
    // The cookbook's copy of the same example agrees.
    const json cookbook_key = read_json(dir / "rfc" / "keys" / "rfc8037-A.1-ed25519.jwk.json");
    CHECK(cookbook_key.at("crv") == "Ed25519");
    jwt::check_key_pair(signer, jwt::verifier<jwt::eddsa>::from_pem(read_text(key_file(dir, c, ".spki.pem"))));
    jwtmint_test::print_vector_count("RFC 8037 A.4 (EdDSA) reproduced and verified", 1);
}

TEST_CASE("the JOSE cookbook's own RFC 7520 4.1-4.4 and RFC 8037 files verify", "[rfc][algorithms]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto compact = [&](const char* file) {
        return read_json(dir / "jose-cookbook" / file).at("output").at("compact").get<std::string>();
    };
    const auto keys = dir / "rfc" / "keys";
    const std::string rsa = read_text(keys / "rfc7520-3.4-rsa2048.spki.pem");
    const std::string p521 = read_text(keys / "rfc7520-3.2-p521.spki.pem");
    const std::string oct = jwt::base64url_decode(read_json(keys / "rfc7520-3.5-oct.jwk.json").at("k").get<std::string>());
    CHECK(jwt::verifier<jwt::rs256>::from_pem(rsa).verify_jws(compact("jws/4_1.rsa_v15_signature.json")).key_id());
    CHECK(jwt::verifier<jwt::ps384>::from_pem(rsa).verify_jws(compact("jws/4_2.rsa-pss_signature.json")).key_id());
    CHECK(jwt::verifier<jwt::es512>::from_pem(p521).verify_jws(compact("jws/4_3.ecdsa_signature.json")).key_id());
    CHECK(jwt::verifier<jwt::hs256>::from_secret(oct)
              .verify_jws(compact("jws/4_4.hmac-sha2_integrity_protection.json"))
              .key_id());
    const json ed = read_json(dir / "jose-cookbook" / "curve25519" / "jws.json");
    const auto v = jwt::verifier<jwt::eddsa>::from_pem(read_text(keys / "rfc8037-A.1-ed25519.spki.pem"));
    CHECK(v.verify_jws(ed.at("output").at("compact").get<std::string>()).payload() == "Example of Ed25519 signing");
    jwtmint_test::print_vector_count("JOSE cookbook RFC 7520 4.1-4.4 and RFC 8037 verified", 5);
}
