// SPDX-License-Identifier: MIT
// The known answers of the JOSE RFCs, read from tests/vectors, minted and verified:
//  - RFC 7515 Appendix A: A.1 (HS256) and A.2 (RS256) reproduced byte for byte with sign_compact,
//    A.3 (ES256) verified with plain OpenSSL and our own ES256 signature over the same input
//    verified too; A.1-A.3 verified by jwt::verifier, A.4 (ES512) not taken for ES256, A.5 (alg
//    none) and Appendix E (crit) refused;
//  - RFC 7519: section 3.1 at, before and after its exp; section 6.1 (alg none) refused;
//  - every deterministic HS256/RS256 compact case of RFC 7515, 7519 and 7520 reproduced;
//  - RFC 7520 section 4.1-4.4 (RS256, PS384, ES512, HS256) and RFC 8037 appendix A.4 (Ed25519):
//    deterministic signatures reproduced byte for byte, randomised ones verified, then signed
//    anew and verified; and the JOSE cookbook's own copies of them verified.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

using jwt::errc;
using jwtmint_test::fixed_clock;
using jwtmint_test::read_json;
using jwtmint_test::read_text;
using json = nlohmann::json;

namespace {

const json& find_case(const json& file, const std::string& id) {
    for (const auto& c : file.at("cases")) {
        if (c.at("id") == id) return c;
    }
    FAIL("no case " << id);
    throw std::logic_error("unreachable");
}

/// The case of that id in a vector file, by value (the file is read here).
json find_case(const std::filesystem::path& file, const std::string& id) {
    const json all = read_json(file);
    for (const auto& c : all.at("cases")) {
        if (c.at("id") == id) return c;
    }
    FAIL("no case " << id << " in " << file);
    return {};
}

/// An oct key's secret, decoded without jwtmint (the minting cases must not depend on the code
/// they test).
std::string hmac_key(const std::filesystem::path& dir, const std::string& key_id) {
    const auto jwk = jwtmint_test::read_json(dir / "rfc" / "keys" / (key_id + ".jwk.json"));
    REQUIRE(jwk.at("kty") == "oct");
    return jwtmint_test::b64url_decode(jwk.at("k").get<std::string>());
}

/// An oct key's secret, decoded by jwtmint (for the verifying cases).
std::string oct_secret(const std::filesystem::path& dir, const std::string& key_id) {
    const json jwk = read_json(dir / "rfc" / "keys" / (key_id + ".jwk.json"));
    return jwt::base64url_decode(jwk.at("k").get<std::string>());
}

std::string spki(const std::filesystem::path& dir, const std::string& key_id) {
    return read_text(dir / "rfc" / "keys" / (key_id + ".spki.pem"));
}

std::filesystem::path key_file(const std::filesystem::path& dir, const json& c, const char* suffix) {
    return dir / "rfc" / "keys" / (c.at("key_id").get<std::string>() + suffix);
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

/// Before the examples' exp (1300819380, 2011-03-22T18:43:00Z), as the vectors' notes advise.
constexpr std::int64_t rfc_now = 1300819000;

/// The RFC examples carry no role claim, which a verifier without a login policy does not ask
/// for; everything else stays strict (exp required, iss pinned).
template <class V>
V rfc_policy(V v) {
    v.issuer("joe");
    return v;
}

template <class V>
void check_accepted(const V& v, const json& c) {
    INFO(c.at("id").get<std::string>());
    fixed_clock::set(rfc_now);
    const auto t = v.verify(c.at("compact").get<std::string>());
    CHECK(t.issuer() == std::optional<std::string>("joe"));
    CHECK(t.expires_at() == jwt::sys_seconds{std::chrono::seconds{1300819380}});
    CHECK(t.claims().at("http://example.com/is_root") == true);
    CHECK(t.header().at("alg") == c.at("alg"));
    CHECK(v.verify_signature(c.at("signing_input").get<std::string>(),
                             jwtmint_test::hex_decode(c.at("signature_hex").get<std::string>())));
}

template <class V>
errc code_of(const V& v, const std::string& token) {
    std::error_code ec;
    CHECK(!v.verify(token, ec).has_value());
    return static_cast<errc>(ec.value());
}

}  // namespace

// RFC 7515 Appendix A and E: minted byte for byte, verified, refused.

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
    CHECK(jwt::try_check_key_pair(signer.key(), jwt::public_key::from_pem(jwtmint_test::read_text(
                                                    dir / "rfc" / "keys" / "rfc7515-A.2-rsa2048.spki.pem"))));
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

TEST_CASE("RFC 7515 A.1 (HS256), A.2 (RS256), A.3 (ES256) verify with their keys", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto file = dir / "rfc" / "rfc7515_appendix_a.json";
    const json a1 = find_case(file, "rfc7515-A.1");
    const json a2 = find_case(file, "rfc7515-A.2");
    const json a3 = find_case(file, "rfc7515-A.3");
    check_accepted(rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, a1.at("key_id")))),
                   a1);
    check_accepted(rfc_policy(jwt::verifier<jwt::rs256, fixed_clock>::from_pem(spki(dir, a2.at("key_id")))), a2);
    check_accepted(rfc_policy(jwt::verifier<jwt::es256, fixed_clock>::from_pem(spki(dir, a3.at("key_id")))), a3);
    jwtmint_test::print_vector_count("RFC 7515 A.1-A.3 verified", 3);
}

TEST_CASE("RFC 7515 A.4 (ES512) is not an ES256 token", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json a4 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.4");
    std::error_code ec;
    CHECK(!jwt::verifier<jwt::es256>::from_pem(spki(dir, a4.at("key_id")), ec).has_value());
    CHECK(ec == errc::key_algorithm_mismatch);
    const auto es = jwt::verifier<jwt::es256>::from_pem(spki(dir, "rfc7515-A.3-p256"));
    CHECK(!es.verify_jws(a4.at("compact").get<std::string>(), ec).has_value());
    CHECK(ec == errc::algorithm_mismatch);
    jwtmint_test::print_vector_count("RFC 7515 A.4 (ES512) refused as ES256", 1);
}

TEST_CASE("RFC 7515 A.5 and RFC 7519 section 6.1 (alg none) are refused", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    fixed_clock::set(rfc_now);
    const json a5 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.5");
    const json s61 = find_case(dir / "rfc" / "rfc7519_examples.json", "rfc7519-6.1");
    const auto hs = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, "rfc7515-A.1-oct")));
    const auto rs = rfc_policy(jwt::verifier<jwt::rs256, fixed_clock>::from_pem(spki(dir, "rfc7515-A.2-rsa2048")));
    for (const json* c : {&a5, &s61}) {
        INFO(c->at("id").get<std::string>());
        CHECK(code_of(hs, c->at("compact").get<std::string>()) == errc::algorithm_mismatch);
        CHECK(code_of(rs, c->at("compact").get<std::string>()) == errc::algorithm_mismatch);
        std::error_code ec;
        CHECK(!hs.verify_jws(c->at("compact").get<std::string>(), ec).has_value());
        CHECK(ec == errc::algorithm_mismatch);
    }
    jwtmint_test::print_vector_count("RFC 7515 A.5 and RFC 7519 6.1 (alg none) refused", 2);
}

TEST_CASE("RFC 7515 Appendix E (crit) is refused", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    fixed_clock::set(rfc_now);
    const json e = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-E");
    const std::string secret = oct_secret(dir, "rfc7515-A.1-oct");
    const auto hs = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(secret));
    // crit is judged before alg: a header with an extension we do not understand cannot be read.
    CHECK(code_of(hs, e.at("compact").get<std::string>()) == errc::unsupported_header);
    // The same header with a real alg, correctly MACed: still refused for crit alone.
    std::string header = e.at("protected_header");
    const std::string none = R"("alg":"none")";
    REQUIRE(header.find(none) != std::string::npos);
    header.replace(header.find(none), none.size(), R"("alg":"HS256")");
    const json a1 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.1");
    const std::string token = jwt::sign_compact(jwt::hs256::from_secret(secret), header,
                                                a1.at("payload_utf8").get<std::string>());
    CHECK(code_of(hs, token) == errc::unsupported_header);
    jwtmint_test::print_vector_count("RFC 7515 Appendix E (crit) refused", 1);
}

// RFC 7519.

TEST_CASE("RFC 7519 section 3.1 at, before and after its exp", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json c = find_case(dir / "rfc" / "rfc7519_examples.json", "rfc7519-3.1");
    const auto v = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, c.at("key_id"))));
    check_accepted(v, c);
    const std::string token = c.at("compact");
    for (const auto& [name, check] : c.at("claims_checks").items()) {
        INFO(name);
        fixed_clock::set(check.at("now").get<std::int64_t>());
        std::error_code ec;
        const bool ok = v.verify(token, ec).has_value();
        if (check.at("expected") == "valid") {
            CHECK(ok);
        } else {
            CHECK(!ok);
            CHECK(ec == errc::token_expired);
        }
    }
    jwtmint_test::print_vector_count("RFC 7519 3.1 verified, and its claims checks", 1 + c.at("claims_checks").size());
}

// Across RFC 7515, 7519 and 7520: every deterministic compact case.

TEST_CASE("every deterministic HS256 and RS256 compact case is reproduced", "[vectors][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    int reproduced = 0;
    for (const char* name : {"rfc7515_appendix_a.json", "rfc7519_examples.json", "rfc7520_section4.json"}) {
        const auto file = jwtmint_test::read_json(dir / "rfc" / name);
        for (const auto& c : file.at("cases")) {
            if (!c.contains("compact") || !c.contains("payload_hex") || c.contains("detached")) continue;
            if (!c.value("deterministic", false) || c.value("expected", "") != "valid") continue;
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

// RFC 7520 section 4 and RFC 8037 appendix A (EdDSA), and the JOSE cookbook's copies of them.

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
    const std::string oct = jwt::base64url_decode(
        read_json(keys / "rfc7520-3.5-oct.jwk.json").at("k").get<std::string>());
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
