// SPDX-License-Identifier: MIT
// Interop: a token of every algorithm jwtmint signs, minted with jwt::builder, verified by
// PyJWT (/usr/bin/python3 tests/pyjwt_verify.py), which also refuses a tampered copy of each.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"

#include <chrono>
#include <string>

using jwtmint_test::openssl_key;
using jwtmint_test::openssl_public_pem;
using namespace std::chrono_literals;

namespace {

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

TEST_CASE("PyJWT verifies a token of every algorithm jwtmint signs", "[interop][algorithms]") {
    const std::string secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string p384 = jwtmint_test::p384_pem();
    const std::string p521 = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    const std::string ed = jwtmint_test::ed25519_pem();
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
    manifest.push_back(entry(jwt::es256::from_pem(jwtmint_test::p256_pem()), openssl_public_pem(jwtmint_test::p256_pem())));
    manifest.push_back(entry(jwt::es384::from_pem(p384), openssl_public_pem(p384)));
    manifest.push_back(entry(jwt::es512::from_pem(p521), openssl_public_pem(p521)));
    manifest.push_back(entry(jwt::eddsa::from_pem(ed), openssl_public_pem(ed)));

    jwtmint_test::temp_dir dir;
    jwtmint_test::write_file(dir / "manifest.json", manifest.dump(2));
    const auto r = jwtmint_test::run(dir, "/usr/bin/python3 " + jwtmint_test::sh_quote(JWTMINT_PYJWT_SCRIPT) +
                                              " manifest.json");
    INFO(r.output);
    CHECK(r.exit_status == 0);
    std::size_t ok = 0;
    for (std::size_t pos = 0; (pos = r.output.find("ok ", pos)) != std::string::npos; ++pos) ++ok;
    CHECK(ok == manifest.size());
}
