// SPDX-License-Identifier: MIT
// Tokens minted by jwtmint verified by independent implementations, run as programs:
//  - the openssl command line, for RS256, ES256 and HS256 (ES256's R||S is turned into DER by
//    openssl itself, asn1parse -genconf, not by our code; RS256 and HS256 are compared octet for
//    octet with openssl's own signature and MAC);
//  - PyJWT (/usr/bin/python3 tests/pyjwt_verify.py), for a token of every algorithm jwtmint signs,
//    refusing a tampered copy of each.
// tests/interop/ runs the wider suite in both directions (PyJWT, jose, jsonwebtoken, openssl).
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"

#include <chrono>
#include <string>

using jwtmint_test::openssl_key;
using jwtmint_test::openssl_ok;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::read_text;
using jwtmint_test::run;
using jwtmint_test::temp_dir;
using jwtmint_test::to_hex;
using jwtmint_test::write_file;
using namespace std::chrono_literals;

namespace {

template <class Signer>
std::string mint(const Signer& signer, int i) {
    return jwt::builder{signer}
        .roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .jwt_id("token-" + std::to_string(i))
        .expires_in(10min)
        .sign();
}

/// Writes the signing input of token to dir/input and returns its parts.
jwtmint_test::jws_parts write_input(const temp_dir& dir, const std::string& token) {
    auto parts = jwtmint_test::split_token(token);
    write_file(dir / "input", parts.signing_input);
    return parts;
}

void check_verified(const temp_dir& dir, const std::string& pub, const std::string& sig) {
    const auto ok = run(dir, "openssl dgst -sha256 -verify " + pub + " -signature " + sig + " input");
    INFO(ok.output);
    CHECK(ok.exit_status == 0);
    CHECK(ok.output.find("Verified OK") != std::string::npos);

    // and the same signature over a changed input is refused
    write_file(dir / "tampered", read_text(dir / "input") + "x");
    const auto bad = run(dir, "openssl dgst -sha256 -verify " + pub + " -signature " + sig + " tampered");
    INFO(bad.output);
    CHECK(bad.exit_status != 0);
    CHECK(bad.output.find("Verification failure") != std::string::npos);
}

/// PyJWT's manifest entry for a token of signer's algorithm and the key that verifies it.
template <class Signer>
nlohmann::json entry(const Signer& signer, const std::string& key, bool secret = false) {
    const std::string token =
        jwt::builder{signer}.roles({"Accounting Team"}).email("ada@example.com").expires_in(10min).sign();
    nlohmann::json e = {{"alg", std::string(Signer::alg)}, {"token", token}};
    e["key"] = secret ? jwt::base64url_encode(key) : key;
    if (secret) e["key_encoding"] = "base64url";
    return e;
}

}  // namespace

// The openssl command line.

TEST_CASE("ES256 tokens verify with openssl dgst after P1363 -> DER", "[openssl-cli]") {
    temp_dir dir;
    write_file(dir / "key.pem", jwtmint_test::p256_pem());
    openssl_ok(dir, "pkey -in key.pem -pubout -out pub.pem");
    const auto signer = jwt::es256::from_pem_file(dir / "key.pem");
    write_file(dir / "jwtmint-pub.pem", signer.public_key_pem());

    for (int i = 0; i < 8; ++i) {
        const std::string token = mint(signer, i);
        INFO(token);
        const auto parts = write_input(dir, token);
        CHECK(parts.header == R"({"alg":"ES256","typ":"JWT"})");
        REQUIRE(parts.signature.size() == 64);
        // R and S as unsigned big-endian INTEGERs; openssl writes the DER
        write_file(dir / "sig.conf", "asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x" + to_hex(parts.signature.substr(0, 32)) +
                                         "\ns=INTEGER:0x" + to_hex(parts.signature.substr(32)) + "\n");
        openssl_ok(dir, "asn1parse -genconf sig.conf -out sig.der -noout");
        check_verified(dir, "pub.pem", "sig.der");
        if (i == 0) check_verified(dir, "jwtmint-pub.pem", "sig.der");  // the exported public key works too
    }
}

TEST_CASE("RS256 tokens verify with openssl dgst", "[openssl-cli]") {
    temp_dir dir;
    write_file(dir / "key.pem", jwtmint_test::rsa2048_pem());
    openssl_ok(dir, "pkey -in key.pem -pubout -out pub.pem");
    const auto signer = jwt::rs256::from_pem_file(dir / "key.pem");
    const std::string token = mint(signer, 0);
    const auto parts = write_input(dir, token);
    CHECK(parts.header == R"({"alg":"RS256","typ":"JWT"})");
    CHECK(parts.signature.size() == 256);
    write_file(dir / "sig.bin", parts.signature);
    check_verified(dir, "pub.pem", "sig.bin");
    // deterministic: openssl's own signature is the same octets
    openssl_ok(dir, "dgst -sha256 -sign key.pem -out openssl-sig.bin input");
    CHECK(read_text(dir / "openssl-sig.bin") == parts.signature);
}

TEST_CASE("HS256 tokens equal openssl dgst -mac HMAC", "[openssl-cli]") {
    temp_dir dir;
    const std::string secret = "a shared secret of at least 32 bytes, e.g. from jwtmint keygen";
    const auto signer = jwt::hs256::from_secret(secret);
    const std::string token = mint(signer, 0);
    const auto parts = write_input(dir, token);
    CHECK(parts.header == R"({"alg":"HS256","typ":"JWT"})");
    const auto r = run(dir, "openssl dgst -sha256 -mac HMAC -macopt hexkey:" + to_hex(secret) + " input");
    INFO(r.output);
    REQUIRE(r.exit_status == 0);
    // "HMAC-SHA256(input)= <hex>"
    const auto eq = r.output.find("= ");
    REQUIRE(eq != std::string::npos);
    CHECK(r.output.substr(eq + 2, 64) == to_hex(parts.signature));
    CHECK(parts.signature.size() == 32);
}

// PyJWT.

TEST_CASE("PyJWT verifies a token of every algorithm jwtmint signs", "[interop][algorithms]") {
    const std::string secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string& p384 = jwtmint_test::p384_pem();
    const std::string p521 = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    const std::string& ed = jwtmint_test::ed25519_pem();
    const std::string rsa_pub = openssl_public_pem(rsa);

    nlohmann::json manifest = nlohmann::json::array();
    manifest.push_back(entry(jwt::hs256::from_secret(secret.substr(0, 32)), secret.substr(0, 32), true));
    manifest.push_back(entry(jwt::hs384::from_secret(secret.substr(0, 48)), secret.substr(0, 48), true));
    manifest.push_back(entry(jwt::hs512::from_secret(secret), secret, true));
    manifest.push_back(entry(jwt::rs256::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::rs384::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::rs512::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::ps256::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::ps384::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::ps512::from_pem(rsa), rsa_pub));
    manifest.push_back(entry(jwt::es256::from_pem(jwtmint_test::p256_pem()),
                             openssl_public_pem(jwtmint_test::p256_pem())));
    manifest.push_back(entry(jwt::es384::from_pem(p384), openssl_public_pem(p384)));
    manifest.push_back(entry(jwt::es512::from_pem(p521), openssl_public_pem(p521)));
    manifest.push_back(entry(jwt::eddsa::from_pem(ed), openssl_public_pem(ed)));

    jwtmint_test::check_with_pyjwt(JWTMINT_PYJWT_SCRIPT, manifest.dump(2), manifest.size());
}
