// SPDX-License-Identifier: MIT
// jwk.hpp: JWK import (oct, RSA, EC P-256/384/521, OKP Ed25519) and export, RFC 7638
// thumbprints, JWKS documents, the kid-selecting jwks_verifier, and malformed JWKs by errc.
#include <jwtmint/jwk.hpp>
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"
#include "verifier_helpers.hpp"

#include <chrono>
#include <string>
#include <vector>

using jwt::errc;
using jwtmint_test::fixed_clock;
using jwtmint_test::openssl_key;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::p521_pem;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// A private JWK written with plain OpenSSL from a PEM key, independent of jwtmint's exporter.
json private_jwk_of(const std::string& private_pem) {
    const auto key = jwtmint_test::load_private_evp(private_pem);
    const auto bn = [&](const char* name, std::size_t pad = 0) {
        BIGNUM* raw = nullptr;
        REQUIRE(EVP_PKEY_get_bn_param(key.get(), name, &raw) == 1);
        std::string bytes(pad != 0 ? pad : static_cast<std::size_t>(BN_num_bytes(raw)), '\0');
        REQUIRE(BN_bn2binpad(raw, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) > 0);
        BN_clear_free(raw);
        return jwtmint_test::b64url_encode(bytes);
    };
    const auto octets = [&](const char* name) {
        std::string bytes(32, '\0');
        std::size_t len = 0;
        REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), name, reinterpret_cast<unsigned char*>(bytes.data()), 32,
                                                &len) == 1);
        return jwtmint_test::b64url_encode(bytes);
    };
    if (EVP_PKEY_is_a(key.get(), "RSA")) {
        return {{"kty", "RSA"},
                {"n", bn(OSSL_PKEY_PARAM_RSA_N)},
                {"e", bn(OSSL_PKEY_PARAM_RSA_E)},
                {"d", bn(OSSL_PKEY_PARAM_RSA_D)},
                {"p", bn(OSSL_PKEY_PARAM_RSA_FACTOR1)},
                {"q", bn(OSSL_PKEY_PARAM_RSA_FACTOR2)},
                {"dp", bn(OSSL_PKEY_PARAM_RSA_EXPONENT1)},
                {"dq", bn(OSSL_PKEY_PARAM_RSA_EXPONENT2)},
                {"qi", bn(OSSL_PKEY_PARAM_RSA_COEFFICIENT1)}};
    }
    if (EVP_PKEY_is_a(key.get(), "EC")) {
        const int bits = EVP_PKEY_get_bits(key.get());
        const auto size = static_cast<std::size_t>((bits + 7) / 8);
        const std::string crv = bits == 256 ? "P-256" : bits == 384 ? "P-384" : "P-521";
        return {{"kty", "EC"},
                {"crv", crv},
                {"x", bn(OSSL_PKEY_PARAM_EC_PUB_X, size)},
                {"y", bn(OSSL_PKEY_PARAM_EC_PUB_Y, size)},
                {"d", bn(OSSL_PKEY_PARAM_PRIV_KEY, size)}};
    }
    REQUIRE(EVP_PKEY_is_a(key.get(), "ED25519"));
    return {{"kty", "OKP"},
            {"crv", "Ed25519"},
            {"x", octets(OSSL_PKEY_PARAM_PUB_KEY)},
            {"d", octets(OSSL_PKEY_PARAM_PRIV_KEY)}};
}

json public_of(json jwk) {
    for (const char* m : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(m);
    return jwk;
}

template <class Signer>
std::string mint(const Signer& signer, const std::string& kid = {}) {
    fixed_clock::set(jwtmint_test::test_now);
    auto b = jwt::builder<Signer, fixed_clock>(signer);
    b.roles({"Support Team"}).expires_in(5min);
    if (!kid.empty()) b.key_id(kid);
    return b.sign();
}

/// A JWK made with OpenSSL loads as signer and verifier; the exported public JWK round-trips.
template <class Signer>
void check_round_trip(const std::string& private_pem) {
    INFO(Signer::alg);
    const json priv = private_jwk_of(private_pem);
    const auto signer = Signer::from_jwk(priv.dump());
    CHECK(jwt::try_check_key_pair(signer.key(), jwt::public_key::from_pem(openssl_public_pem(private_pem))));
    const auto v = jwt::verifier<Signer, fixed_clock>::from_jwk(public_of(priv).dump());
    CHECK(v.verify(mint(signer)).roles() == std::vector<std::string>{"Support Team"});

    const auto pub = jwt::public_key::from_pem(openssl_public_pem(private_pem));
    const json exported = json::parse(jwt::public_jwk(pub, Signer::alg));
    CHECK(exported.at("alg") == std::string(Signer::alg));
    CHECK(exported.at("use") == "sig");
    CHECK(exported.at("kid") == jwt::jwk_thumbprint(pub));
    const json expected_public = public_of(priv);
    for (const auto& [name, value] : expected_public.items()) CHECK(exported.at(name) == value);
    CHECK(json::parse(jwt::public_jwk(signer)) == exported);
    // The exported JWK loads back as the same key.
    CHECK(jwt::try_check_key_pair(jwt::private_key::from_jwk(priv.dump()), jwt::public_key::from_jwk(exported.dump()))
              .has_value());
}

}  // namespace

TEST_CASE("JWK round trips for every key type", "[jwk]") {
    SECTION("RSA (RS256, PS384)") {
        check_round_trip<jwt::rs256>(jwtmint_test::rsa2048_pem());
        check_round_trip<jwt::ps384>(jwtmint_test::rsa2048_pem());
    }
    SECTION("EC P-256") { check_round_trip<jwt::es256>(jwtmint_test::p256_pem()); }
    SECTION("EC P-384") { check_round_trip<jwt::es384>(jwtmint_test::p384_pem()); }
    SECTION("EC P-521") { check_round_trip<jwt::es512>(p521_pem()); }
    SECTION("OKP Ed25519") { check_round_trip<jwt::eddsa>(jwtmint_test::ed25519_pem()); }
    SECTION("oct (HS256, HS512)") {
        const std::string secret(64, 'k');
        const json oct = {{"kty", "oct"}, {"k", jwtmint_test::b64url_encode(secret)}};
        const auto hs = jwt::hs512::from_jwk(oct.dump());
        CHECK(hs.matches_secret(secret));
        CHECK(jwt::verifier<jwt::hs512, fixed_clock>::from_jwk(oct.dump()).verify(mint(hs)).roles().size() == 1);
        CHECK(jwt::hs256::from_jwk(oct.dump()).matches_secret(secret));
        // A JSON escape in k (base64url needs none, but JSON allows it) decodes as its character.
        const std::string k = oct.at("k");
        REQUIRE(k[0] == 'a');
        const std::string escaped = R"({"kty":"oct","k":"\u0061)" + k.substr(1) + "\"}";
        CHECK(jwt::hs512::from_jwk(escaped).matches_secret(secret));
    }
    SECTION("an RSA private JWK without the CRT members") {
        json priv = private_jwk_of(jwtmint_test::rsa2048_pem());
        for (const char* m : {"p", "q", "dp", "dq", "qi"}) priv.erase(m);
        const auto signer = jwt::rs256::from_jwk(priv.dump());
        CHECK(jwt::try_check_key_pair(signer.key(),
                                      jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::rsa2048_pem()))));
    }
}

TEST_CASE("RFC 7638 section 3.1: the example key's thumbprint", "[jwk][rfc]") {
    const std::string n7638 =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMs"
        "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n"
        "91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const json jwk = {{"kty", "RSA"}, {"n", n7638}, {"e", "AQAB"}, {"alg", "RS256"}, {"kid", "2011-04-29"}};
    const auto key = jwt::public_key::from_jwk(jwk.dump());
    CHECK(jwt::jwk_thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    CHECK(json::parse(jwt::public_jwk(key)).at("kid") == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("RFC 8037 A.3: the Ed25519 example key's thumbprint", "[jwk][rfc]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json jwk = jwtmint_test::read_json(dir / "rfc" / "keys" / "rfc8037-A.1-ed25519.jwk.json");
    const auto signer = jwt::eddsa::from_jwk(jwk.dump());
    CHECK(jwt::jwk_thumbprint(jwt::public_key::from_private(signer.key())) ==
          "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    CHECK(jwt::jwk_thumbprint(signer) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");  // the signer overload
    // And the RFC 7520 keys load from their JWKs as the same keys as their PEM files.
    for (const char* id : {"rfc7520-3.4-rsa2048", "rfc7520-3.2-p521", "rfc7515-A.3-p256"}) {
        INFO(id);
        const std::string text = jwtmint_test::read_text(dir / "rfc" / "keys" / (std::string(id) + ".jwk.json"));
        const auto from_jwk = jwt::private_key::from_jwk(text);
        CHECK(jwt::try_check_key_pair(from_jwk, jwt::public_key::from_pem_file(dir / "rfc" / "keys" /
                                                                               (std::string(id) + ".spki.pem")))
                  .has_value());
    }
}

TEST_CASE("malformed JWKs are refused with their errc", "[jwk][errors]") {
    const json ec = private_jwk_of(jwtmint_test::p256_pem());
    const json rsa = private_jwk_of(jwtmint_test::rsa2048_pem());
    const json ed = private_jwk_of(jwtmint_test::ed25519_pem());
    const auto without = [](json j, const char* m) {
        j.erase(m);
        return j.dump();
    };
    const auto with = [](json j, const char* m, json v) {
        j[m] = std::move(v);
        return j.dump();
    };
    const std::string x = ec.at("x");

    struct row {
        const char* what;
        std::string text;
        bool is_public;
        errc expected;
    };
    const std::vector<row> rows = {
        {"not JSON", "{\"kty\":", true, errc::invalid_jwk},
        {"a JSON array", "[1,2]", true, errc::invalid_jwk},
        {"no kty", without(public_of(ec), "kty"), true, errc::invalid_jwk},
        {"unknown kty", with(public_of(ec), "kty", "XYZ"), true, errc::invalid_jwk},
        {"EC without y", without(public_of(ec), "y"), true, errc::invalid_jwk},
        {"EC x one octet short",
         with(public_of(ec), "x", jwtmint_test::b64url_encode(jwtmint_test::b64url_decode(x).substr(1))), true,
         errc::invalid_jwk},
        {"EC point not on the curve", with(public_of(ec), "y", x), true, errc::invalid_jwk},
        {"EC unknown curve", with(public_of(ec), "crv", "secp256k1"), true, errc::key_algorithm_mismatch},
        {"EC d in a public JWK", ec.dump(), true, errc::invalid_jwk},
        {"RSA d in a public JWK", with(public_of(rsa), "d", rsa.at("d")), true, errc::invalid_jwk},
        {"RSA p in a public JWK", with(public_of(rsa), "p", rsa.at("p")), true, errc::invalid_jwk},
        {"RSA without e", without(public_of(rsa), "e"), true, errc::invalid_jwk},
        {"RSA n with a leading zero", with(public_of(rsa), "n", "AA" + rsa.at("n").get<std::string>().substr(2)), true,
         errc::invalid_jwk},
        {"RSA n not a string", with(public_of(rsa), "n", 12345), true, errc::invalid_jwk},
        {"base64url with padding", with(public_of(ec), "x", x + "="), true, errc::invalid_base64url},
        {"base64 (not url) alphabet", with(public_of(rsa), "n", "+/" + rsa.at("n").get<std::string>().substr(2)), true,
         errc::invalid_base64url},
        {"OKP x of 31 octets", with(public_of(ed), "x", jwtmint_test::b64url_encode(std::string(31, 'a'))), true,
         errc::invalid_jwk},
        {"OKP X25519 curve", with(public_of(ed), "crv", "X25519"), true, errc::key_algorithm_mismatch},
        {"oct as a key pair", json{{"kty", "oct"}, {"k", "c2VjcmV0"}}.dump(), false, errc::key_algorithm_mismatch},
        {"use enc", with(public_of(ec), "use", "enc"), true, errc::key_algorithm_mismatch},
        {"key_ops without verify", with(public_of(ec), "key_ops", json::array({"encrypt"})), true,
         errc::key_algorithm_mismatch},
        {"public JWK where a private one is needed", public_of(ec).dump(), false, errc::private_key_required},
        {"EC d of the wrong length", with(ec, "d", jwtmint_test::b64url_encode(std::string(31, 'a'))), false,
         errc::invalid_jwk},
        {"EC d of another key",
         with(ec, "d", private_jwk_of(openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256")).at("d")),
         false, errc::key_mismatch},
        {"Ed25519 d of another key", with(ed, "d", private_jwk_of(openssl_key("genpkey -algorithm ED25519")).at("d")),
         false, errc::key_mismatch},
        {"RSA with some CRT members", without(rsa, "qi"), false, errc::invalid_jwk},
        // RFC 7517 section 4: member names are unique; a second copy is refused, not overridden.
        {"two d members", R"({"d":")" + rsa.at("d").get<std::string>() + "\"," + rsa.dump().substr(1), false,
         errc::invalid_jwk},
        {"two kty members", R"({"kty":"RSA",)" + public_of(ec).dump().substr(1), true, errc::invalid_jwk},
        {"EC d under an escaped name in a public JWK",
         R"({"\u0064":")" + ec.at("d").get<std::string>() + "\"," + public_of(ec).dump().substr(1), true,
         errc::invalid_jwk},
        {"EC d not a string", with(ec, "d", 12345), false, errc::invalid_jwk},
        {"EC d with padding", with(ec, "d", ec.at("d").get<std::string>() + "="), false, errc::invalid_base64url},
    };
    for (const auto& r : rows) {
        INFO(r.what);
        if (r.is_public) {
            CHECK_ERRC(jwt::public_key::from_jwk(r.text), r.expected);
        } else {
            CHECK_ERRC(jwt::private_key::from_jwk(r.text), r.expected);
        }
    }
    std::error_code code;
    CHECK_FALSE(jwt::public_key::from_jwk(ec.dump(), code).has_value());
    CHECK(code == errc::invalid_jwk);

    // kty / alg against the algorithm.
    CHECK_ERRC(jwt::rs256::from_jwk(ec.dump()), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es256::from_jwk(with(ec, "alg", "ES384")), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es384::from_jwk(ec.dump()), errc::key_algorithm_mismatch);  // P-256 key
    CHECK_ERRC((jwt::verifier<jwt::eddsa>::from_jwk(public_of(rsa).dump())), errc::key_algorithm_mismatch);
    CHECK_ERRC((jwt::verifier<jwt::hs256>::from_jwk(public_of(ec).dump())), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::hs256::from_jwk(json({{"kty", "oct"}, {"k", "c2VjcmV0"}}).dump()), errc::weak_key);
    CHECK_ERRC(jwt::hs256::from_jwk(json({{"kty", "oct"}}).dump()), errc::invalid_jwk);
}

TEST_CASE("jwks_document keeps each key as written, without the white space between tokens", "[jwk][jwks]") {
    const json ec = json::parse(
        jwt::public_jwk(jwt::public_key::from_private(jwt::private_key::from_pem(jwtmint_test::p256_pem()))));
    const std::string x = ec.at("x").get<std::string>();
    const std::string y = ec.at("y").get<std::string>();
    // The members in an order of their own, white space between and inside tokens, an escaped
    // name and a member jwtmint does not know.
    const std::string written =
        // One spelling for the whole text, which needs C escapes (BOM, \t, \r\n).
        // NOLINTNEXTLINE(modernize-raw-string-literal)
        "\xEF\xBB\xBF { \"kty\" : \"EC\",\n\t\"x\": \"" + x + "\", \"y\" :\"" + y +
        "\",\r\n \"crv\":\"P-256\", \"\\u006bid\" : \"key one\", \"note\" : [ 1 , {\"a b\" : null} ] }";
    CHECK(jwt::jwks_document({written}) == R"({"keys":[{"kty":"EC","x":")" + x + R"(","y":")" + y +
                                               R"(","crv":"P-256","\u006bid":"key one","note":[1,{"a b":null}]}]})");
    // The kid is read decoded: the same kid written plainly is a second key under that kid.
    const std::string plain = R"({"kty":"EC","crv":"P-256","x":")" + x + R"(","y":")" + y + R"(","kid":"key one"})";
    const auto twice = jwt::try_jwks_document({written, plain});
    REQUIRE_FALSE(twice);
    CHECK(std::string(twice.error().what()) == "JWK: two keys in the set share the kid 'key one'");
}

TEST_CASE("a JWK's use, key_ops and alg are named in the message that refuses them", "[jwk][errors]") {
    const json ec = json::parse(
        jwt::public_jwk(jwt::public_key::from_private(jwt::private_key::from_pem(jwtmint_test::p256_pem()))));
    const auto message = [](const jwt::result<jwt::public_key>& r) {
        REQUIRE_FALSE(r);
        return std::string(r.error().what());
    };
    json use = ec;
    use["use"] = "enc";
    CHECK(message(jwt::public_key::try_from_jwk(use.dump())) ==
          "JWK: \"use\" is 'enc'; a signing key has \"use\": \"sig\"");
    use["use"] = 7;
    CHECK(message(jwt::public_key::try_from_jwk(use.dump())) ==
          "JWK: \"use\" is the number '7'; a signing key has \"use\": \"sig\"");
    use["use"] = json::array({"sig"});
    CHECK(message(jwt::public_key::try_from_jwk(use.dump())) ==
          "JWK: \"use\" is an array; a signing key has \"use\": \"sig\"");
    json ops = ec;
    ops["key_ops"] = "verify";
    CHECK(message(jwt::public_key::try_from_jwk(ops.dump())) == "JWK: \"key_ops\" must be an array");
    ops["key_ops"] = json::array({"sign", 1, "encrypt"});
    CHECK(message(jwt::public_key::try_from_jwk(ops.dump())) == "JWK: \"key_ops\" does not include \"verify\"");
    ops["key_ops"] = json::array({"\\u0076erify"});  // not an escape: the JSON string holds a backslash
    CHECK_FALSE(jwt::public_key::try_from_jwk(ops.dump()));
    // An escaped "verify" is "verify".
    std::string escaped = ec.dump();
    escaped.insert(1, R"("key_ops":["\u0076erify"],)");
    CHECK(jwt::public_key::try_from_jwk(escaped));
    json alg = ec;
    alg["alg"] = "ES384";
    const auto refused = jwt::verifier<jwt::es256>::try_from_jwk(alg.dump());
    REQUIRE_FALSE(refused);
    CHECK(std::string(refused.error().what()) == "JWK: the key is for alg 'ES384', not ES256 (RFC 7517 section 4.4)");
}

TEST_CASE("a JWKS document of public keys, and a verifier that picks the key by kid", "[jwk][jwks]") {
    const auto rs = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    const auto ps = jwt::ps256::from_pem(jwtmint_test::rsa2048_other_pem());
    const auto es = jwt::es384::from_pem(jwtmint_test::p384_pem());
    const auto ed = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
    const std::string doc = jwt::jwks_document({jwt::public_jwk(rs), jwt::public_jwk(ps), jwt::public_jwk(es),
                                                jwt::public_jwk(ed)});
    const json parsed = json::parse(doc);
    REQUIRE(parsed.at("keys").size() == 4);
    for (const auto& k : parsed.at("keys")) {
        CHECK_FALSE(k.contains("d"));
        CHECK(k.at("use") == "sig");
    }
    const std::string kid_rs = parsed.at("keys")[0].at("kid");
    const std::string kid_ps = parsed.at("keys")[1].at("kid");
    const std::string kid_es = parsed.at("keys")[2].at("kid");
    const std::string kid_ed = parsed.at("keys")[3].at("kid");

    auto set = jwt::jwks_verifier<fixed_clock>::from_jwks(doc);
    set.configure([](auto& v) { v.max_lifetime(std::chrono::minutes(10)); });
    CHECK(set.key_ids().size() == 4);
    CHECK(set.verify(mint(rs, kid_rs)).key_id() == kid_rs);
    CHECK(set.verify(mint(ps, kid_ps)).key_id() == kid_ps);
    CHECK(set.verify(mint(es, kid_es)).key_id() == kid_es);
    CHECK(set.verify(mint(ed, kid_ed)).key_id() == kid_ed);
    CHECK(set.try_verify(mint(es, kid_es))->key_id() == kid_es);
    CHECK(set.configure([](auto& v) { v.max_lifetime(std::chrono::minutes(4)); })
              .try_verify(mint(rs, kid_rs))
              .error_code() == errc::lifetime_too_long);
    set.configure([](auto& v) { v.max_lifetime(std::chrono::minutes(10)); });

    std::error_code ec;
    // The widget's login policy, for every key: team roles get their team spelling, and a key
    // whose algorithm the widget does not take (PS256, ES384, EdDSA) refuses every token.
    auto widget = jwt::jwks_verifier<fixed_clock>::from_jwks(doc);
    widget.policy(jwt::login_policy{}.team_roles({"support team"}));
    CHECK(widget.verify(mint(rs, kid_rs)).roles() == std::vector<std::string>{"support team"});
    for (const auto& refused : {mint(ps, kid_ps), mint(es, kid_es), mint(ed, kid_ed)}) {
        CHECK_FALSE(widget.verify(refused, ec).has_value());
        CHECK(ec == errc::algorithm_not_allowed);
        CHECK(widget.try_verify(refused).error_code() == errc::algorithm_not_allowed);
    }
    widget.policy(jwt::login_policy{}.team_roles({"Accounting Team"}));
    CHECK(widget.try_verify(mint(rs, kid_rs)).error_code() == errc::unknown_role);

    CHECK_FALSE(set.verify(mint(rs, "no-such-kid"), ec).has_value());
    CHECK(ec == errc::unknown_key_id);
    CHECK_FALSE(set.verify(mint(rs), ec).has_value());  // no kid at all
    CHECK(ec == errc::unknown_key_id);
    CHECK_FALSE(set.verify("not a token", ec).has_value());
    CHECK(ec == errc::malformed_token);
    // The algorithm stays pinned per key: the RS256 key's kid on a PS256 token of the same key
    // pair is refused, and so is another key's kid.
    const auto ps_same_key = jwt::ps256::from_pem(jwtmint_test::rsa2048_pem());
    CHECK_FALSE(set.verify(mint(ps_same_key, kid_rs), ec).has_value());
    CHECK(ec == errc::algorithm_mismatch);
    CHECK_FALSE(set.verify(mint(rs, kid_ps), ec).has_value());
    CHECK(ec == errc::algorithm_mismatch);
    const auto es_other = jwt::es384::from_pem(openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384"));
    CHECK_FALSE(set.verify(mint(es_other, kid_es), ec).has_value());
    CHECK(ec == errc::invalid_signature);
    CHECK_ERRC(set.verify(mint(rs, "no-such-kid")), errc::unknown_key_id);
    // The kid is read as JSON: an escaped name or value still picks its key; a repeated kid, a
    // non-string kid or a header that is not an object is refused before any key is tried.
    const auto signed_with = [&](const std::string& header_json) {
        const std::string input = jwt::base64url_encode(header_json) + "." +
                                  jwt::base64url_encode(R"({"roles":["Support Team"],"iat":)" +
                                                        std::to_string(jwtmint_test::test_now) + R"(,"exp":)" +
                                                        std::to_string(jwtmint_test::test_now + 300) + "}");
        return input + "." + jwt::base64url_encode(rs.sign(input));
    };
    CHECK(set.verify(signed_with(R"({"alg":"RS256","\u006bid":")" + kid_rs + "\"}")).key_id() == kid_rs);
    const char hex[] = "0123456789abcdef";
    const auto first = static_cast<unsigned char>(kid_rs[0]);
    const std::string escaped_kid = std::string("\\u00") + hex[first >> 4] + hex[first & 15] + kid_rs.substr(1);
    CHECK(set.verify(signed_with(R"({"alg":"RS256","kid":")" + escaped_kid + "\"}")).key_id() == kid_rs);
    CHECK(set.verify(signed_with(R"({"alg":"RS256","kid":")" + kid_rs + "\"}")).key_id() == kid_rs);
    CHECK_ERRC(set.verify(signed_with(R"({"alg":"RS256","kid":")" + kid_ps + R"(","kid":")" + kid_rs + "\"}")),
               errc::malformed_token);
    CHECK_ERRC(set.verify(signed_with(R"({"alg":"RS256","kid":7})")), errc::unknown_key_id);
    CHECK_ERRC(set.verify(signed_with(R"(["RS256"])")), errc::malformed_token);
    CHECK_ERRC(set.verify(signed_with(R"({"alg":"RS256","kid":")" + kid_rs + std::string("\"}\0x", 4))),
               errc::malformed_token);

    // Malformed sets.
    CHECK_ERRC(jwt::jwks_document({private_jwk_of(jwtmint_test::p256_pem()).dump()}), errc::invalid_jwk);
    CHECK_ERRC(jwt::jwks_document({jwt::public_jwk(rs), jwt::public_jwk(rs)}), errc::invalid_jwk);
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"keys":[]})"), errc::invalid_jwk);
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"kty":"EC"})"), errc::invalid_jwk);
    // Two "keys" members, each a valid set: refused, not the last one taken (RFC 7517 section 4).
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(doc.substr(0, doc.size() - 1) + "," + doc.substr(1)), errc::invalid_jwk);
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"keys":[1]})"), errc::invalid_jwk);
    json no_alg = json::parse(jwt::public_jwk(jwt::public_key::from_private(rs.key())));
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(json{{"keys", {no_alg}}}.dump()), errc::invalid_jwk);
    json no_kid = json::parse(jwt::public_jwk(es));
    no_kid.erase("kid");
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(json{{"keys", {no_kid}}}.dump()), errc::invalid_jwk);
    json hs = {
        {"kty", "oct"}, {"k", jwtmint_test::b64url_encode(std::string(32, 's'))}, {"alg", "HS256"}, {"kid", "h"}};
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(json{{"keys", {hs}}}.dump()), errc::key_algorithm_mismatch);
}

TEST_CASE("jwks_verifier passes over encryption keys (use: enc), as identity providers publish them", "[jwk][jwks]") {
    const auto rs = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    json enc = json::parse(jwt::public_jwk(rs));
    enc["use"] = "enc";
    enc["alg"] = "RSA-OAEP-256";  // not a JWS algorithm: read as a signing key, it would be refused
    enc["kid"] = "enc-key";
    const json sig = json::parse(jwt::public_jwk(es));
    const auto set = jwt::jwks_verifier<>::from_jwks(json{{"keys", {enc, sig}}}.dump());
    CHECK(set.key_ids() == std::vector<std::string>{sig.at("kid").get<std::string>()});
    // The same key marked for signatures, or with no "use", is read (and refused for its alg).
    enc["use"] = "sig";
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(json{{"keys", {enc, sig}}}.dump()), errc::key_algorithm_mismatch);
    enc.erase("use");
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(json{{"keys", {enc, sig}}}.dump()), errc::key_algorithm_mismatch);
    // A set of encryption keys only verifies nothing: refused, saying why.
    enc["use"] = "enc";
    const auto only_enc = jwt::jwks_verifier<>::try_from_jwks(json{{"keys", {enc}}}.dump());
    REQUIRE(!only_enc);
    CHECK(only_enc.error().value() == errc::invalid_jwk);
    CHECK(std::string(only_enc.error().what()).find("no signature keys") != std::string::npos);
}

TEST_CASE("jwks_verifier refuses a header as jwt::verifier does, with the same code and message",
          "[jwk][jwks][errors]") {
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    const auto set = jwt::jwks_verifier<fixed_clock>::from_jwks(jwt::jwks_document({jwt::public_jwk(es)}));
    const auto plain = jwt::verifier<jwt::es256, fixed_clock>::from_signer(es);
    const std::string kid = set.key_ids().at(0);
    const std::string payload = R"({"roles":["Support Team"]})";
    std::string deep = R"({"alg":"ES256","kid":")" + kid + R"(","x":)";
    for (int i = 0; i < 40; ++i) deep += "[";
    for (int i = 0; i < 40; ++i) deep += "]";
    deep += "}";
    const std::string signature = "." + jwt::base64url_encode(es.sign("x.y"));
    struct row {
        const char* what;
        std::string token;
        errc expected;
        std::string message;  // when the message is the point
    };
    const std::vector<row> rows = {
        {"a member twice",
         jwt::sign_compact(es, R"({"alg":"ES256","kid":")" + kid + R"(","typ":"JWT","typ":"JWT"})", payload),
         errc::malformed_token,
         "the header has the member 'typ' more than once; verifiers disagree on which copy counts, so the token is "
         "refused"},
        {"kid twice", jwt::sign_compact(es, R"({"alg":"ES256","kid":"other","kid":")" + kid + "\"}", payload),
         errc::malformed_token,
         "the header has the member 'kid' more than once; verifiers disagree on which copy counts, so the token is "
         "refused"},
        {"nested 40 deep", jwt::sign_compact(es, deep, payload), errc::malformed_token,
         "the header nests deeper than 32 levels"},
        {"not base64url", "e30=." + jwt::base64url_encode(payload) + signature, errc::invalid_base64url, ""},
        {"not JSON", jwt::base64url_encode("{\"alg\":") + ".e30" + signature, errc::malformed_token, ""},
        {"a JSON array", jwt::base64url_encode("[1]") + ".e30" + signature, errc::malformed_token, ""},
        {"a byte order mark", jwt::base64url_encode("\xEF\xBB\xBF{}") + ".e30" + signature, errc::malformed_token, ""},
        {"an empty header segment", ".e30" + signature, errc::malformed_token, "the header segment is empty"},
        {"four segments", "e30.e30.e30" + signature, errc::malformed_token, ""},
    };
    for (const auto& r : rows) {
        INFO(r.what);
        const auto by_set = jwtmint_test::outcome_of([&] { (void)set.verify(r.token); });
        const auto by_plain = jwtmint_test::outcome_of([&] { (void)plain.verify(r.token); });
        CHECK(by_set.code == jwtmint_test::describe_code(r.expected));
        CHECK(by_set.code == by_plain.code);
        CHECK(by_set.message == by_plain.message);
        if (!r.message.empty()) CHECK(by_set.message == r.message);
        std::error_code ec;
        CHECK_FALSE(set.verify(r.token, ec).has_value());
        CHECK(ec == r.expected);
    }
}

TEST_CASE("JWK Sets that jwks_verifier refuses, each with a message naming the fault", "[jwk][jwks][errors]") {
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    const json ec_key = json::parse(jwt::public_jwk(es));
    const auto refusal = [](const std::string& doc) {
        return jwtmint_test::outcome_of([&] { (void)jwt::jwks_verifier<>::from_jwks(doc); });
    };
    const auto set_of = [](const json& key) { return json{{"keys", json::array({key})}}.dump(); };
    const std::string mismatch = jwtmint_test::describe_code(errc::key_algorithm_mismatch);
    const std::string invalid = jwtmint_test::describe_code(errc::invalid_jwk);

    SECTION("a kid with a control character, which no token may carry") {
        for (const char* kid : {R"(a\u0000b)", R"(a\nb)", R"(\u007f)"}) {  // JSON escapes
            json key = ec_key;
            key["kid"] = json::parse("\"" + std::string(kid) + "\"");
            const auto r = refusal(set_of(key));
            INFO(r.message);
            CHECK(r.code == invalid);
            CHECK(r.message.find("holds a control character") != std::string::npos);
        }
    }
    SECTION("nested too deep") {
        for (const int depth : {40, 100}) {
            INFO(depth << " levels");
            const std::string doc = R"({"keys":[)" + std::string(static_cast<std::size_t>(depth), '[') +
                                    std::string(static_cast<std::size_t>(depth), ']') + "]}";
            const auto r = refusal(doc);
            CHECK(r.code == invalid);
            CHECK(r.message ==
                  "JWK: the JWK Set nests deeper than 32 levels of arrays and objects (jwt::max_json_depth)");
            // A lone JWK, likewise.
            const std::string jwk = R"({"kty":"EC","x5c":)" + std::string(static_cast<std::size_t>(depth), '[') +
                                    std::string(static_cast<std::size_t>(depth), ']') + "}";
            CHECK(jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_jwk(jwk); }).message ==
                  "JWK: the JWK nests deeper than 32 levels of arrays and objects (jwt::max_json_depth)");
        }
    }
    SECTION("an EC key on a curve no JOSE algorithm uses here (secp256k1)") {
        const auto key = jwtmint_test::load_private_evp(
            openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1"));
        const auto coordinate = [&](const char* name) {
            BIGNUM* raw = nullptr;
            REQUIRE(EVP_PKEY_get_bn_param(key.get(), name, &raw) == 1);
            std::string bytes(32, '\0');
            REQUIRE(BN_bn2binpad(raw, reinterpret_cast<unsigned char*>(bytes.data()), 32) == 32);
            BN_free(raw);
            return jwtmint_test::b64url_encode(bytes);
        };
        json k1 = {{"kty", "EC"},
                   {"crv", "secp256k1"},
                   {"kid", "k1"},
                   {"x", coordinate(OSSL_PKEY_PARAM_EC_PUB_X)},
                   {"y", coordinate(OSSL_PKEY_PARAM_EC_PUB_Y)}};
        auto r = refusal(set_of(k1));
        CHECK(r.code == mismatch);
        CHECK(r.message ==
              "JWK: the EC key 'k1' is on the curve 'secp256k1', which is not one a JOSE ES* algorithm "
              "uses here (P-256 for ES256, P-384 for ES384, P-521 for ES512)");
        // Named for ES256, it is refused for its curve; named ES256K, for its algorithm.
        k1["alg"] = "ES256";
        r = refusal(set_of(k1));
        CHECK(r.code == mismatch);
        CHECK(r.message ==
              "JWK: EC curve 'secp256k1' is not one a JOSE ES* algorithm uses here (P-256 for ES256, "
              "P-384 for ES384, P-521 for ES512)");
        CHECK(jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_jwk(k1.dump()); }).message == r.message);
        k1["alg"] = "ES256K";
        r = refusal(set_of(k1));
        CHECK(r.code == mismatch);
        CHECK(r.message ==
              "JWK: alg 'ES256K' is not a JWS algorithm this verifier accepts (RS256, RS384, RS512, PS256, "
              "PS384, PS512, ES256, ES384, ES512, EdDSA)");
    }
    SECTION("an HMAC secret, with or without its alg") {
        json hs = {{"kty", "oct"}, {"k", jwtmint_test::b64url_encode(std::string(32, 's'))}, {"kid", "h"}};
        auto r = refusal(set_of(hs));
        CHECK(r.code == mismatch);
        CHECK(r.message ==
              "JWK: the oct key 'h' is an HMAC secret, which does not belong in a published JWK Set (only "
              "public keys verify here)");
        hs["alg"] = "HS256";
        r = refusal(set_of(hs));
        CHECK(r.code == mismatch);
        CHECK(r.message ==
              "JWK: alg 'HS256' is an HMAC algorithm, whose secret does not belong in a published JWK Set "
              "(only public keys verify here)");
    }
    SECTION("an RSA key without alg, a key of unknown kty, a key without kid") {
        json rsa = json::parse(
            jwt::public_jwk(jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::rsa2048_pem()))));
        rsa["kid"] = "r";
        auto r = refusal(set_of(rsa));
        CHECK(r.code == invalid);
        CHECK(r.message ==
              "JWK: the RSA key 'r' has no \"alg\"; one RSA key serves RS256 to PS512 and a verifier pins "
              "one algorithm per key, so RSA keys in a set must name theirs");
        r = refusal(set_of(json{{"kty", "XYZ"}, {"kid", "x"}}));
        CHECK(r.code == invalid);
        CHECK(r.message == "JWK: the XYZ key 'x' has an unknown \"kty\" (a JWK Set here holds RSA, EC and OKP keys)");
        json no_kid = ec_key;
        no_kid.erase("kid");
        r = refusal(set_of(no_kid));
        CHECK(r.code == invalid);
        CHECK(r.message ==
              "JWK: a key of the set has no \"kid\"; jwks_verifier picks the key by the token's kid, so "
              "every key needs one");
    }
    SECTION("text that is not JSON, and JSON that is not an object") {
        auto r = refusal(R"({"keys":[)");
        CHECK(r.code == invalid);
        CHECK(r.message == "JWK: the text is not valid JSON (or not valid UTF-8)");
        r = refusal("[" + set_of(ec_key) + "]");
        CHECK(r.code == invalid);
        CHECK(r.message == "JWK: the text is JSON but not a JSON object, as a JWK Set is");
        CHECK(jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_jwk("[1]"); }).message ==
              "JWK: the text is JSON but not a JSON object, as a JWK is");
        r = refusal(R"({"keys":[],"n":1e400})");
        CHECK(r.code == invalid);
        CHECK(r.message ==
              "JWK: the JWK Set holds the number '1e400', whose magnitude no double holds; JSON parsers "
              "disagree on such numbers");
    }
}

TEST_CASE("select_jwk: the one key a JWK or a JWK Set names, read once by the strict parser", "[jwk][jwks]") {
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    const auto ed = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
    const json ec_private = private_jwk_of(jwtmint_test::p256_pem());
    const std::string doc = jwt::jwks_document({jwt::public_jwk(es), jwt::public_jwk(ed)});
    const std::string kid_es = jwt::jwk_thumbprint(es);
    const std::string kid_ed = jwt::jwk_thumbprint(ed);

    SECTION("a lone JWK, whatever kid is asked for") {
        const jwt::jwk_key k = jwt::select_jwk(jwt::public_jwk(es), "not its kid");
        CHECK(k.kty == "EC");
        CHECK(k.kid == kid_es);
        CHECK(k.alg == "ES256");
        REQUIRE(k.public_key);
        CHECK_FALSE(k.private_key);
        CHECK_FALSE(k.secret);
        CHECK(jwt::jwk_thumbprint(*k.public_key) == kid_es);
        const jwt::jwk_key p = jwt::select_jwk(ec_private.dump());
        REQUIRE(p.private_key);
        CHECK(jwt::try_check_key_pair(*p.private_key, jwt::public_key::from_private(es.key())).has_value());
        CHECK(p.kid.empty());
        CHECK(p.alg.empty());
    }
    SECTION("an oct JWK is a secret, decoded once") {
        const std::string secret(48, 'k');
        const jwt::jwk_key k = jwt::select_jwk(json{{"kty", "oct"}, {"k", jwtmint_test::b64url_encode(secret)}}.dump());
        REQUIRE(k.secret);
        CHECK(std::string(k.secret->begin(), k.secret->end()) == secret);
        CHECK_FALSE(k.public_key);
        CHECK_ERRC(jwt::select_jwk(json{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"use", "enc"}}.dump()),
                   errc::key_algorithm_mismatch);
        CHECK_ERRC(jwt::select_jwk(json{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"key_ops", {"encrypt"}}}.dump()),
                   errc::key_algorithm_mismatch);
        CHECK(jwt::select_jwk(json{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"key_ops", {"verify"}}}.dump()).secret);
    }
    SECTION("from a set, by kid") {
        CHECK(jwt::select_jwk(doc, kid_es).kid == kid_es);
        CHECK(jwt::select_jwk(doc, kid_ed).kty == "OKP");
        std::error_code ec;
        CHECK_FALSE(jwt::select_jwk(doc, "nope", ec).has_value());
        CHECK(ec == errc::unknown_key_id);
        const auto r = jwtmint_test::outcome_of([&] { (void)jwt::select_jwk(doc, "nope"); });
        CHECK(r.message == "no key in the JWK Set has kid 'nope'; the set's kids: '" + kid_es + "', '" + kid_ed + "'");
        // With no kid, only a set of one key names its key.
        const auto none = jwtmint_test::outcome_of([&] { (void)jwt::select_jwk(doc); });
        CHECK(none.code == jwtmint_test::describe_code(errc::unknown_key_id));
        CHECK(none.message.find("holds 2 keys") != std::string::npos);
        CHECK(jwt::select_jwk(jwt::jwks_document({jwt::public_jwk(ed)})).kid == kid_ed);
        // A set may hold a private key (it is read as a key file); only the chosen key is decoded.
        json priv = ec_private;
        priv["kid"] = "mine";
        const std::string private_set = json{{"keys", {json::parse(jwt::public_jwk(ed)), priv}}}.dump();
        CHECK(jwt::select_jwk(private_set, "mine").private_key);
        CHECK(jwt::select_jwk(private_set, kid_ed).public_key);
    }
    SECTION("a set that repeats a kid or a member is refused, not read first- or last-wins") {
        const std::string twice = jwt::jwks_document({jwt::public_jwk(es)});
        const std::string doubled = twice.substr(0, twice.size() - 2) + "," + twice.substr(9);
        REQUIRE(json::parse(doubled).at("keys").size() == 2);
        const auto r = jwtmint_test::outcome_of([&] { (void)jwt::select_jwk(doubled, kid_es); });
        CHECK(r.code == jwtmint_test::describe_code(errc::invalid_jwk));
        CHECK(r.message == "JWK: two keys in the set share the kid '" + kid_es + "'");
        const std::string x = json::parse(jwt::public_jwk(ed)).at("x");
        const std::string x_twice = R"({"x":")" + x + "\"," + jwt::public_jwk(es).substr(1);
        const auto d = jwtmint_test::outcome_of([&] { (void)jwt::select_jwk(x_twice); });
        CHECK(d.code == jwtmint_test::describe_code(errc::invalid_jwk));
        CHECK(d.message ==
              "JWK: the member 'x' appears more than once; a JWK names each member once (RFC 7517 section 4)");
        CHECK_ERRC(jwt::select_jwk(R"({"keys":[]})"), errc::invalid_jwk);
        CHECK_ERRC(jwt::select_jwk(R"({"keys":{}})"), errc::invalid_jwk);
    }
}
