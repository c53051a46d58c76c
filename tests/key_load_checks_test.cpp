// SPDX-License-Identifier: MIT
// Load-time key checks: keys with which anyone could forge (Ed25519/Ed448 small-order and
// non-canonical points, RSA exponents outside [65537, 2^256 - 1], even moduli) are refused from
// every source (PEM, EVP_PKEY*, JWK, JWK Set, private keys for signers); a key file holds exactly
// one key; key material in any encoding is refused as an HMAC secret. Each danger is first shown
// with plain OpenSSL, so that the test proves the refused key really forges.
#include <jwtmint/jwk.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>

#include "core_helpers.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <array>
#include <string>
#include <vector>

using jwt::errc;
using jwtmint_test::b64url_encode;
using jwtmint_test::free_with;
using jwtmint_test::pkey_handle;

namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    }
    return out;
}

std::string pem_of_der(std::string_view label, std::string_view der) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
    b64.resize(static_cast<std::size_t>(n));
    std::string out = "-----BEGIN " + std::string(label) + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out + "-----END " + std::string(label) + "-----\n";
}

/// SubjectPublicKeyInfo of a raw Ed25519 (32 octets) or Ed448 (57 octets) public key.
std::string edwards_spki_pem(std::string_view raw) {
    const std::string prefix = raw.size() == 32 ? from_hex("302a300506032b6570032100")
                                                : from_hex("3043300506032b6571033a00");
    return pem_of_der("PUBLIC KEY", prefix + std::string(raw));
}

pkey_handle raw_edwards(std::string_view raw) {
    pkey_handle key{EVP_PKEY_new_raw_public_key(raw.size() == 32 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448, nullptr,
                                                reinterpret_cast<const unsigned char*>(raw.data()), raw.size())};
    ERR_clear_error();
    return key;
}

/// Plain OpenSSL's Ed25519 verification, no jwtmint involved.
bool openssl_ed25519_verifies(EVP_PKEY* key, std::string_view msg, std::string_view sig) {
    std::unique_ptr<EVP_MD_CTX, free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
    const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
                    EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    ERR_clear_error();
    return ok;
}

/// The eight small-order points of Ed25519 in their canonical encodings (Chalkias, Garillot and
/// Nikolaenko, "Taming the many EdDSAs", 2020, table 6c): orders 1, 2, 4, 4, 8, 8, 8, 8.
const std::vector<std::string>& ed25519_small_order() {
    static const std::vector<std::string> points = [] {
        std::vector<std::string> v;
        for (const char* hex : {"0100000000000000000000000000000000000000000000000000000000000000",
                                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                                "0000000000000000000000000000000000000000000000000000000000000000",
                                "0000000000000000000000000000000000000000000000000000000000000080",
                                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
                                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"}) {
            v.push_back(from_hex(hex));
        }
        return v;
    }();
    return points;
}

/// Non-canonical encodings: y >= p (p, p + 1, 2^255 - 1, each with either sign bit), and x = 0
/// with its sign bit set (the identity and the order-2 point).
const std::vector<std::string>& ed25519_non_canonical() {
    static const std::vector<std::string> points = [] {
        std::vector<std::string> v;
        for (const char* hex : {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                                "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                                "0100000000000000000000000000000000000000000000000000000000000080",
                                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}) {
            v.push_back(from_hex(hex));
        }
        return v;
    }();
    return points;
}

std::string okp_jwk(std::string_view raw, std::string_view kid = "k1") {
    return R"({"kty":"OKP","crv":"Ed25519","kid":")" + std::string(kid) + R"(","x":")" + b64url_encode(raw) + R"("})";
}

/// Every public-key source refuses the key with invalid_key.
void check_every_source_refuses(std::string_view raw_or_pem, const pkey_handle& evp, const std::string& jwk) {
    const std::string pem(raw_or_pem);
    CHECK_ERRC(jwt::public_key::from_pem(pem), errc::invalid_key);
    CHECK_ERRC(jwt::verifier<jwt::eddsa>::from_pem(pem), errc::invalid_key);
    if (evp) {
        CHECK_ERRC(jwt::public_key::from_evp_pkey(evp.get()), errc::invalid_key);
        CHECK_ERRC(jwt::verifier<jwt::eddsa>::from_evp_pkey(evp.get()), errc::invalid_key);
    }
    if (!jwk.empty()) {
        CHECK_ERRC(jwt::public_key::from_jwk(jwk), errc::invalid_key);
        CHECK_ERRC(jwt::verifier<jwt::eddsa>::from_jwk(jwk), errc::invalid_key);
        CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"keys":[)" + jwk + "]}"), errc::invalid_key);
    }
    std::error_code ec;
    CHECK_FALSE(jwt::public_key::from_pem(pem, ec).has_value());
    CHECK_EC(ec, errc::invalid_key);
}

}  // namespace

TEST_CASE("Ed25519: every small-order public key forges with plain OpenSSL and is refused at load",
          "[key][load-checks][ed25519]") {
    // R = the identity, S = 0: [S]B - [k]A is the identity whenever A's order divides k, which
    // for a point of order at most 8 is one message in eight or more.
    const std::string forged_sig = from_hex("01") + std::string(31, '\0') + std::string(32, '\0');
    for (const std::string& point : ed25519_small_order()) {
        INFO("point " << jwtmint_test::to_hex(point));
        const pkey_handle evp = raw_edwards(point);
        REQUIRE(evp);  // OpenSSL itself loads it without complaint
        bool forged = false;
        for (int i = 0; i < 256 && !forged; ++i) {
            forged = openssl_ed25519_verifies(evp.get(), R"({"roles":"Admin","n":)" + std::to_string(i) + "}",
                                              forged_sig);
        }
        CHECK(forged);
        check_every_source_refuses(edwards_spki_pem(point), evp, okp_jwk(point));
    }
    SECTION("the message says what is wrong and what to do") {
        const auto r = jwtmint_test::outcome_of([] {
            (void)jwt::public_key::from_pem(edwards_spki_pem(ed25519_small_order()[0]));
        });
        CHECK(r.message.find("small order") != std::string::npos);
        CHECK(r.message.find("identity") != std::string::npos);
        CHECK(r.message.find("jwtmint pubkey") != std::string::npos);
    }
}

TEST_CASE("Ed25519: non-canonical encodings and points off the curve are refused at load",
          "[key][load-checks][ed25519]") {
    for (const std::string& point : ed25519_non_canonical()) {
        INFO("encoding " << jwtmint_test::to_hex(point));
        check_every_source_refuses(edwards_spki_pem(point), raw_edwards(point), okp_jwk(point));
    }
    // y = 2: (y^2 - 1) / (d y^2 + 1) is no square mod p, so no x makes (x, 2) a point of the
    // curve (computed with Python's integers: pow(u * pow(v, p - 2, p), (p - 1) // 2, p) == p - 1).
    std::string off_curve(32, '\0');
    off_curve[0] = 2;
    check_every_source_refuses(edwards_spki_pem(off_curve), raw_edwards(off_curve), okp_jwk(off_curve));
}

TEST_CASE("Ed25519: keys OpenSSL generates all load, and sign tokens that verify", "[key][load-checks][ed25519]") {
    for (int i = 0; i < 200; ++i) {
        const auto priv = jwt::private_key::generate_ed25519();
        const auto pub = jwt::public_key::from_pem(priv.public_key_pem());
        CHECK(jwt::try_check_key_pair(priv, pub).has_value());
    }
    const auto signer = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
    const auto v = jwt::verifier<jwt::eddsa>::from_pem(jwtmint_test::openssl_public_pem(jwtmint_test::ed25519_pem()));
    (void)v;
    (void)signer;
}

TEST_CASE("Ed448: small-order and non-canonical public keys are refused at load", "[key][load-checks][ed448]") {
    std::string identity(57, '\0');
    identity[0] = 1;
    std::string order4(57, '\0');    // y = 0: the points (+-1, 0)
    std::string order2(57, '\xff');  // y = p - 1 = 2^448 - 2^224 - 2
    order2[0] = '\xfe';
    order2[28] = '\xfe';
    order2[56] = '\0';
    std::string bad_last(57, '\0');  // the last octet's low bits must be zero
    bad_last[0] = 5;
    bad_last[56] = 1;
    for (const std::string& point : {identity, order4, order2, bad_last}) {
        INFO("encoding " << jwtmint_test::to_hex(point));
        const std::string pem = edwards_spki_pem(point);
        CHECK_ERRC(jwt::public_key::from_pem(pem), errc::invalid_key);
        const pkey_handle evp = raw_edwards(point);
        if (evp) CHECK_ERRC(jwt::public_key::from_evp_pkey(evp.get()), errc::invalid_key);
    }
    // A real Ed448 key still loads (it is then refused by type wherever EdDSA needs Ed25519).
    const std::string ed448 = jwtmint_test::openssl_key("genpkey -algorithm ED448");
    CHECK_NOTHROW(jwt::public_key::from_pem(ed448));
    CHECK_ERRC(jwt::verifier<jwt::eddsa>::from_pem(ed448), errc::key_algorithm_mismatch);
}

namespace {

using bn_handle = std::unique_ptr<BIGNUM, free_with<&BN_free>>;

bn_handle bn_of(const EVP_PKEY* key, const char* name) {
    BIGNUM* bn = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
    return bn_handle{bn};
}

/// An RSA public key with n from a real 2048-bit key and the given e, built with plain OpenSSL.
pkey_handle rsa_public_with(const BIGNUM* n, const BIGNUM* e, const char* type = "RSA") {
    std::unique_ptr<OSSL_PARAM_BLD, free_with<&OSSL_PARAM_BLD_free>> bld{OSSL_PARAM_BLD_new()};
    REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) == 1);
    REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e) == 1);
    std::unique_ptr<OSSL_PARAM, free_with<&OSSL_PARAM_free>> params{OSSL_PARAM_BLD_to_param(bld.get())};
    std::unique_ptr<EVP_PKEY_CTX, free_with<&EVP_PKEY_CTX_free>> ctx{
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    EVP_PKEY* raw = nullptr;
    REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
    REQUIRE(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) == 1);
    return pkey_handle{raw};
}

std::string spki_pem_of(EVP_PKEY* key) {
    std::unique_ptr<BIO, free_with<&BIO_free>> bio{BIO_new(BIO_s_mem())};
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string rsa_jwk(const BIGNUM* n, const BIGNUM* e, std::string_view kid = "r1") {
    auto b64 = [](const BIGNUM* bn) {
        std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
        return b64url_encode(bytes);
    };
    return R"({"kty":"RSA","alg":"RS256","kid":")" + std::string(kid) + R"(","n":")" + b64(n) + R"(","e":")" + b64(e) +
           R"("})";
}

bn_handle bn_dec(const char* dec) {
    BIGNUM* bn = nullptr;
    REQUIRE(BN_dec2bn(&bn, dec) > 0);
    return bn_handle{bn};
}

}  // namespace

TEST_CASE("RSA: with e = 1 the padded message is a valid signature (plain OpenSSL); jwtmint refuses the key",
          "[key][load-checks][rsa]") {
    const auto real = jwtmint_test::load_private_evp(jwtmint_test::rsa2048_pem());
    const bn_handle n = bn_of(real.get(), OSSL_PKEY_PARAM_RSA_N);
    const bn_handle one = bn_dec("1");
    const pkey_handle weak = rsa_public_with(n.get(), one.get());

    // EMSA-PKCS1-v1_5 of SHA-256(message), written out: 00 01 FF.. 00 DigestInfo hash.
    const std::string input = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlcyI6IkFkbWluIn0";
    std::array<unsigned char, 32> hash{};
    unsigned int hash_len = 0;
    REQUIRE(EVP_Digest(input.data(), input.size(), hash.data(), &hash_len, EVP_sha256(), nullptr) == 1);
    const std::string digest_info = from_hex("3031300d060960864801650304020105000420") +
                                    std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
    const std::size_t k = 256;
    const std::string em = std::string("\x00\x01", 2) + std::string(k - 3 - digest_info.size(), '\xff') +
                           std::string(1, '\0') + digest_info;
    CHECK(jwtmint_test::evp_verify_sha256(weak.get(), input, em));  // anyone can forge with this key

    CHECK_ERRC(jwt::public_key::from_evp_pkey(weak.get()), errc::invalid_key);
    CHECK_ERRC(jwt::verifier<jwt::rs256>::from_evp_pkey(weak.get()), errc::invalid_key);
    CHECK_ERRC(jwt::verifier<jwt::rs256>::from_pem(spki_pem_of(weak.get())), errc::invalid_key);
    CHECK_ERRC(jwt::public_key::from_jwk(rsa_jwk(n.get(), one.get())), errc::invalid_key);
    CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"keys":[)" + rsa_jwk(n.get(), one.get()) + "]}"), errc::invalid_key);
    const auto r = jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_evp_pkey(weak.get()); });
    CHECK(r.message.find("public exponent is 1") != std::string::npos);
    CHECK(r.message.find("anyone could forge") != std::string::npos);
    CHECK(r.message.find("65537") != std::string::npos);
}

TEST_CASE("RSA: the public exponent must be odd and in [65537, 2^256 - 1], from every source",
          "[key][load-checks][rsa]") {
    const auto real = jwtmint_test::load_private_evp(jwtmint_test::rsa2048_pem());
    const bn_handle n = bn_of(real.get(), OSSL_PKEY_PARAM_RSA_N);
    // 2^256 + 1 and 2^256 - 1
    bn_handle over{BN_new()};
    REQUIRE(BN_set_bit(over.get(), 256) == 1);
    REQUIRE(BN_add_word(over.get(), 1) == 1);
    bn_handle top{BN_new()};
    REQUIRE(BN_set_bit(top.get(), 256) == 1);
    REQUIRE(BN_sub_word(top.get(), 1) == 1);

    struct exponent_case {
        const char* name;
        const BIGNUM* e;
        bool accepted;
    };
    const bn_handle e0 = bn_dec("0"), e3 = bn_dec("3"), e17 = bn_dec("17"), e65535 = bn_dec("65535"),
                    e65537 = bn_dec("65537"), e65538 = bn_dec("65538"), e65539 = bn_dec("65539"),
                    even_big = bn_dec("4294967296");
    const std::vector<exponent_case> cases = {
        {"0", e0.get(), false},
        {"3", e3.get(), false},
        {"17", e17.get(), false},
        {"65535", e65535.get(), false},
        {"65538 (even)", e65538.get(), false},
        {"2^32 (even)", even_big.get(), false},
        {"2^256 + 1", over.get(), false},
        {"65537", e65537.get(), true},
        {"65539", e65539.get(), true},
        {"2^256 - 1", top.get(), true},
    };
    for (const auto& c : cases) {
        INFO("e = " << c.name);
        const std::string jwk = rsa_jwk(n.get(), c.e);
        if (BN_is_zero(c.e)) {
            // A JWK cannot spell e = 0 but as an empty member (RFC 7518 section 6.3.1.2: no leading
            // zero octets), which is a malformed JWK.
            CHECK_ERRC(jwt::public_key::from_jwk(jwk), errc::invalid_jwk);
            continue;
        }
        const pkey_handle key = rsa_public_with(n.get(), c.e);
        const std::string pem = spki_pem_of(key.get());
        if (c.accepted) {
            CHECK_NOTHROW(jwt::public_key::from_evp_pkey(key.get()));
            CHECK_NOTHROW(jwt::verifier<jwt::rs256>::from_pem(pem));
            CHECK_NOTHROW(jwt::public_key::from_jwk(jwk));
            CHECK_NOTHROW(jwt::jwks_verifier<>::from_jwks(R"({"keys":[)" + jwk + "]}"));
        } else {
            CHECK_ERRC(jwt::public_key::from_evp_pkey(key.get()), errc::invalid_key);
            CHECK_ERRC(jwt::public_key::from_pem(pem), errc::invalid_key);
            CHECK_ERRC(jwt::verifier<jwt::ps256>::from_pem(pem), errc::invalid_key);
            CHECK_ERRC(jwt::public_key::from_jwk(jwk), errc::invalid_key);
            CHECK_ERRC(jwt::jwks_verifier<>::from_jwks(R"({"keys":[)" + jwk + "]}"), errc::invalid_key);
        }
    }
    SECTION("an even modulus") {
        bn_handle even_n{BN_dup(n.get())};
        REQUIRE(BN_sub_word(even_n.get(), 1) == 1);
        const pkey_handle key = rsa_public_with(even_n.get(), e65537.get());
        CHECK_ERRC(jwt::public_key::from_evp_pkey(key.get()), errc::invalid_key);
        CHECK_ERRC(jwt::public_key::from_jwk(rsa_jwk(even_n.get(), e65537.get())), errc::invalid_key);
    }
    SECTION("an RSA-PSS-typed key gets the same checks") {
        const pkey_handle key = rsa_public_with(n.get(), e3.get(), "RSA-PSS");
        CHECK_ERRC(jwt::public_key::from_evp_pkey(key.get()), errc::invalid_key);
    }
}

TEST_CASE("RSA: a private key with e = 3 is refused for signing, from PEM and from EVP_PKEY",
          "[key][load-checks][rsa]") {
    const std::string pem = jwtmint_test::openssl_key(
        "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3");
    CHECK_ERRC(jwt::private_key::from_pem(pem), errc::invalid_key);
    CHECK_ERRC(jwt::rs256::from_pem(pem), errc::invalid_key);
    CHECK_ERRC(jwt::public_key::from_pem(pem), errc::invalid_key);
    const auto evp = jwtmint_test::load_private_evp(pem);
    CHECK_ERRC(jwt::private_key::from_evp_pkey(evp.get()), errc::invalid_key);
    CHECK_ERRC(jwt::ps256::from_evp_pkey(evp.get()), errc::invalid_key);
    std::error_code ec;
    CHECK_FALSE(jwt::rs256::from_pem(pem, {}, ec).has_value());
    CHECK_EC(ec, errc::invalid_key);
}

namespace {
const std::string& other_ec_private_pem() {
    static const std::string pem = jwtmint_test::openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    return pem;
}
}  // namespace

TEST_CASE("a key file holds exactly one key", "[key][load-checks][pem]") {
    const std::string pub = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());
    const std::string& priv = other_ec_private_pem();

    SECTION("a public key and then a private key: neither loader picks one") {
        const std::string both = pub + priv;
        CHECK_ERRC(jwt::public_key::from_pem(both), errc::invalid_key);
        CHECK_ERRC(jwt::verifier<jwt::es256>::from_pem(both), errc::invalid_key);
        CHECK_ERRC(jwt::private_key::from_pem(both), errc::invalid_key);
        CHECK_ERRC(jwt::es256::from_pem(both), errc::invalid_key);
        const auto r = jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_pem(both); });
        CHECK(r.message.find("a PUBLIC KEY block (line 1), then a PRIVATE KEY block") != std::string::npos);
        CHECK(r.message.find("exactly one key") != std::string::npos);
    }
    SECTION("two public keys") {
        const std::string other = jwtmint_test::openssl_public_pem(priv);
        CHECK_ERRC(jwt::public_key::from_pem(pub + other), errc::invalid_key);
        CHECK_ERRC(jwt::public_key::from_pem(pub + "\n" + pub), errc::invalid_key);
    }
    SECTION("two private keys, or a certificate beside the key") {
        CHECK_ERRC(jwt::private_key::from_pem(jwtmint_test::p256_pem() + priv), errc::invalid_key);
        jwtmint_test::temp_dir dir;
        jwtmint_test::write_file(dir / "key.pem", priv);
        jwtmint_test::openssl_ok(dir, "req -new -x509 -key key.pem -subj /CN=x -days 1 -out cert.pem");
        const std::string cert = jwtmint_test::read_text(dir / "cert.pem");
        CHECK_ERRC(jwt::private_key::from_pem(cert + priv), errc::invalid_key);
        const auto r = jwtmint_test::outcome_of([&] { (void)jwt::private_key::from_pem(cert + priv); });
        CHECK(r.message.find("openssl pkey -in bundle.pem -out private_key.pem") != std::string::npos);
        CHECK_ERRC(jwt::public_key::from_pem(cert + pub), errc::invalid_key);
    }
    SECTION("text before or after the block") {
        for (const std::string& text : {"garbage\n" + pub, pub + "garbage\n", pub + "garbage",
                                        "Bag Attributes\n" + priv, priv + "-----END PRIVATE KEY-----\n"}) {
            INFO(text);
            CHECK_ERRC(jwt::public_key::from_pem(text), errc::invalid_key);
        }
        const auto r = jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_pem(pub + "garbage\n"); });
        CHECK(r.message.find("text outside its PEM block (line 5)") != std::string::npos);
    }
    SECTION("extra octets after the DER inside the block") {
        const auto evp = jwtmint_test::load_public_evp(pub);
        unsigned char* der = nullptr;
        const int len = i2d_PUBKEY(evp.get(), &der);
        REQUIRE(len > 0);
        std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
        CHECK_NOTHROW(jwt::public_key::from_pem(pem_of_der("PUBLIC KEY", bytes)));  // the control
        const auto r = jwtmint_test::outcome_of([&] {
            (void)jwt::public_key::from_pem(pem_of_der("PUBLIC KEY", bytes + std::string("\x05\x00", 2)));
        });
        CHECK(r.code == jwtmint_test::describe_code(errc::invalid_key));
        CHECK(r.message.find("2 octets of extra data after the key's DER encoding") != std::string::npos);
        CHECK_ERRC(jwt::public_key::from_pem(pem_of_der("PUBLIC KEY", bytes.substr(0, bytes.size() - 1))),
                   errc::invalid_key);
    }
    SECTION("damaged framing: no END line, another END label, a body line that is not base64") {
        CHECK_ERRC(jwt::public_key::from_pem(pub.substr(0, pub.find("-----END"))), errc::invalid_key);
        std::string other_end = pub;
        other_end.replace(other_end.find("END PUBLIC KEY"), 14, "END PRIVATE KEY");
        CHECK_ERRC(jwt::public_key::from_pem(other_end), errc::invalid_key);
        std::string bad_char = pub;
        bad_char[bad_char.find('\n') + 5] = '*';
        CHECK_ERRC(jwt::public_key::from_pem(bad_char), errc::invalid_key);
    }
    SECTION("what stays accepted: CRLF, blank lines around, EC PARAMETERS before an EC key") {
        std::string crlf;
        for (const char c : pub) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        CHECK_NOTHROW(jwt::public_key::from_pem(crlf));
        CHECK_NOTHROW(jwt::public_key::from_pem("\n\n" + pub + "\n  \n"));
        CHECK_NOTHROW(jwt::public_key::from_pem("\xEF\xBB\xBF" + pub));  // saved by a Windows editor
        jwtmint_test::temp_dir dir;
        jwtmint_test::openssl_ok(dir, "ecparam -name prime256v1 -genkey -out key.pem");
        const std::string ecparam_output = jwtmint_test::read_text(dir / "key.pem");
        REQUIRE(ecparam_output.find("EC PARAMETERS") != std::string::npos);
        CHECK_NOTHROW(jwt::es256::from_pem(ecparam_output));
    }
}

TEST_CASE("key material is refused as an HMAC secret in every encoding OpenSSL reads", "[key][load-checks][hmac]") {
    const std::string pub_pem = jwtmint_test::openssl_public_pem(jwtmint_test::rsa2048_pem());
    const auto evp = jwtmint_test::load_public_evp(pub_pem);
    auto der_of = [](auto&& encode) {
        unsigned char* der = nullptr;
        const int len = encode(&der);
        REQUIRE(len > 0);
        std::string s(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
        return s;
    };
    const std::string spki_der = der_of([&](unsigned char** out) { return i2d_PUBKEY(evp.get(), out); });
    const auto priv_evp = jwtmint_test::load_private_evp(jwtmint_test::p256_pem());
    const std::string pkcs8_der = der_of([&](unsigned char** out) { return i2d_PrivateKey(priv_evp.get(), out); });
    const std::string ec_pub_pem = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());

    auto body_of = [](const std::string& pem) {  // the base64 lines without BEGIN and END
        const std::size_t start = pem.find('\n') + 1;
        return pem.substr(start, pem.find("-----END") - start);
    };
    std::string one_line = body_of(pub_pem);
    one_line.erase(std::remove(one_line.begin(), one_line.end(), '\n'), one_line.end());

    for (const std::string& secret : {pub_pem, spki_der, pkcs8_der, body_of(pub_pem), one_line, body_of(ec_pub_pem),
                                      body_of(jwtmint_test::p256_pem())}) {
        INFO(jwtmint_test::to_hex(secret.substr(0, 16)));
        CHECK_ERRC(jwt::hs256::from_secret(secret), errc::key_algorithm_mismatch);
        CHECK_ERRC(jwt::hs512::from_secret(secret), errc::key_algorithm_mismatch);
        CHECK_ERRC(jwt::verifier<jwt::hs256>::from_secret(secret), errc::key_algorithm_mismatch);
    }
    const auto r = jwtmint_test::outcome_of([&] { (void)jwt::hs256::from_secret(body_of(pub_pem)); });
    CHECK(r.message.find("base64 body of a PEM key") != std::string::npos);

    SECTION("real secrets still load: random octets, their base64 and hex text") {
        for (int i = 0; i < 500; ++i) {
            std::string secret(64, '\0');
            REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 64) == 1);
            if (i % 2 == 1) secret[0] = '\x30';  // the DER SEQUENCE tag: still no key
            CHECK_NOTHROW(jwt::hs256::from_secret(secret));
        }
        const std::string b64 = jwtmint_test::run(jwtmint_test::temp_dir{}, "openssl rand -base64 48").output;
        CHECK_NOTHROW(jwt::hs256::from_secret(b64));
        CHECK_NOTHROW(jwt::hs256::from_secret(std::string(64, 'a')));
        CHECK_NOTHROW(jwt::hs256::from_secret("0123456789abcdef0123456789abcdef0123456789abcdef"));
    }
}

TEST_CASE("key text and key files have a size limit, applied before they are read or scanned",
          "[key][load-checks][limits]") {
    const std::string pub = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());
    std::string padded = pub + std::string(jwt::max_key_text_size, '\n');  // valid but for its size
    const auto r = jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_pem(padded); });
    CHECK(r.code == jwtmint_test::describe_code(errc::invalid_key));
    CHECK(r.message.find("jwt::max_key_text_size") != std::string::npos);
    CHECK_ERRC(jwt::private_key::from_pem(jwtmint_test::p256_pem() + std::string(jwt::max_key_text_size, ' ')),
               errc::invalid_key);
    CHECK_NOTHROW(jwt::public_key::from_pem(pub + std::string(jwt::max_key_text_size - pub.size(), '\n')));

    jwtmint_test::temp_dir dir;
    jwtmint_test::write_file(dir / "big.pem", padded);
    CHECK_ERRC(jwt::public_key::from_pem_file(dir / "big.pem"), errc::key_file_error);
    CHECK_ERRC(jwt::es256::from_pem_file(dir / "big.pem"), errc::key_file_error);
    CHECK_ERRC(jwt::hs256::from_secret_file(dir / "big.pem"), errc::key_file_error);
    const auto f = jwtmint_test::outcome_of([&] { (void)jwt::public_key::from_pem_file(dir / "big.pem"); });
    CHECK(f.message.find("is at most 65536") != std::string::npos);
}
