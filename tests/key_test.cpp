// SPDX-License-Identifier: MIT
// key.hpp: loading private keys in every PEM form, refusals by errc, EVP_PKEY adoption,
// public key export and matching, key generation, and the error_code overloads.
#include <jwtmint/base64url.hpp>
#include <jwtmint/key.hpp>

#include "core_helpers.hpp"

#include <openssl/core_names.h>

#include <array>
#include <optional>
#include <set>
#include <string>
#include <system_error>

using jwtmint_test::openssl_ok;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::read_text;
using jwtmint_test::temp_dir;
using jwtmint_test::write_file;

namespace {

constexpr const char* passphrase = "correct horse battery staple";

/// Converts a PEM key with an openssl command (input key.pem, output out.pem) and returns out.pem.
std::string convert(const std::string& pem, const std::string& args) {
    temp_dir dir;
    write_file(dir / "key.pem", pem);
    openssl_ok(dir, args);
    return read_text(dir / "out.pem");
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

/// The loaded key is the one in pem: same public half as openssl itself derives.
void check_same_key(const jwt::private_key& key, const std::string& original_pem) {
    CHECK(key.public_key_pem() == openssl_public_pem(original_pem));
}

}  // namespace

TEST_CASE("PKCS#8 PEM, plain", "[key]") {
    SECTION("RSA") {
        const std::string& pem = jwtmint_test::rsa2048_pem();
        REQUIRE(starts_with(pem, "-----BEGIN PRIVATE KEY-----"));
        const auto key = jwt::private_key::from_pem(pem);
        check_same_key(key, pem);
        const auto info = key.info();
        CHECK(info.type == "RSA");
        CHECK(info.bits == 2048);
        CHECK(info.curve.empty());
    }
    SECTION("EC P-256") {
        const std::string& pem = jwtmint_test::p256_pem();
        REQUIRE(starts_with(pem, "-----BEGIN PRIVATE KEY-----"));
        const auto key = jwt::private_key::from_pem(pem);
        check_same_key(key, pem);
        CHECK(key.info().type == "EC");
        CHECK(key.info().curve == "P-256");
        CHECK(key.info().bits == 256);
    }
    SECTION("EC P-384 and Ed25519 load too (the signers refuse them, not the loader)") {
        const auto p384 = jwt::private_key::from_pem(jwtmint_test::p384_pem());
        CHECK(p384.info().curve == "P-384");
        const auto ed = jwt::private_key::from_pem(jwtmint_test::ed25519_pem());
        CHECK(ed.info().type == "ED25519");
        check_same_key(ed, jwtmint_test::ed25519_pem());
    }
}

TEST_CASE("PKCS#8 PEM, encrypted", "[key]") {
    const std::string& plain = jwtmint_test::p256_pem();
    const std::string enc = convert(plain, std::string("pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out out.pem "
                                                       "-passout 'pass:") +
                                               passphrase + "'");
    REQUIRE(starts_with(enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    SECTION("the right passphrase opens it") { check_same_key(jwt::private_key::from_pem(enc, passphrase), plain); }
    SECTION("a wrong passphrase is bad_passphrase") {
        CHECK_ERRC(jwt::private_key::from_pem(enc, "wrong horse"), jwt::errc::bad_passphrase);
    }
    SECTION("no passphrase is passphrase_required") {
        CHECK_ERRC(jwt::private_key::from_pem(enc), jwt::errc::passphrase_required);
    }
}

TEST_CASE("traditional encrypted PEM (Proc-Type: 4,ENCRYPTED)", "[key]") {
    const std::string& plain = jwtmint_test::p256_pem();
    const std::string enc = convert(plain, std::string("ec -in key.pem -aes256 -out out.pem -passout 'pass:") +
                                               passphrase + "'");
    REQUIRE(enc.find("Proc-Type: 4,ENCRYPTED") != std::string::npos);
    check_same_key(jwt::private_key::from_pem(enc, passphrase), plain);
    CHECK_ERRC(jwt::private_key::from_pem(enc, "wrong"), jwt::errc::bad_passphrase);
    CHECK_ERRC(jwt::private_key::from_pem(enc), jwt::errc::passphrase_required);
}

TEST_CASE("PKCS#1 RSA PEM (BEGIN RSA PRIVATE KEY)", "[key]") {
    const std::string& plain = jwtmint_test::rsa2048_pem();
    const std::string pkcs1 = convert(plain, "rsa -traditional -in key.pem -out out.pem");
    REQUIRE(starts_with(pkcs1, "-----BEGIN RSA PRIVATE KEY-----"));
    const auto key = jwt::private_key::from_pem(pkcs1);
    check_same_key(key, plain);
    CHECK(key.info().type == "RSA");
    CHECK(key.info().bits == 2048);
}

TEST_CASE("SEC1 EC PEM (BEGIN EC PRIVATE KEY)", "[key]") {
    SECTION("as openssl ec writes it") {
        const std::string& plain = jwtmint_test::p256_pem();
        const std::string sec1 = convert(plain, "ec -in key.pem -out out.pem");
        REQUIRE(starts_with(sec1, "-----BEGIN EC PRIVATE KEY-----"));
        check_same_key(jwt::private_key::from_pem(sec1), plain);
    }
    SECTION("with the EC PARAMETERS block that openssl ecparam -genkey writes first") {
        temp_dir dir;
        openssl_ok(dir, "ecparam -name prime256v1 -genkey -out out.pem");
        const std::string pem = read_text(dir / "out.pem");
        REQUIRE(starts_with(pem, "-----BEGIN EC PARAMETERS-----"));
        REQUIRE(pem.find("-----BEGIN EC PRIVATE KEY-----") != std::string::npos);
        const auto key = jwt::private_key::from_pem(pem);
        CHECK(key.info().curve == "P-256");
        check_same_key(key, pem);
    }
}

TEST_CASE("PEM with CRLF line endings (a file saved on Windows)", "[key]") {
    std::string crlf;
    for (const char c : jwtmint_test::p256_pem()) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    check_same_key(jwt::private_key::from_pem(crlf), jwtmint_test::p256_pem());
}

TEST_CASE("a public key where a private key is needed is private_key_required", "[key]") {
    SECTION("SPKI (BEGIN PUBLIC KEY)") {
        const std::string pub = openssl_public_pem(jwtmint_test::p256_pem());
        CHECK_ERRC(jwt::private_key::from_pem(pub), jwt::errc::private_key_required);
    }
    SECTION("PKCS#1 (BEGIN RSA PUBLIC KEY)") {
        const std::string pub = convert(jwtmint_test::rsa2048_pem(), "rsa -in key.pem -RSAPublicKey_out -out out.pem");
        REQUIRE(starts_with(pub, "-----BEGIN RSA PUBLIC KEY-----"));
        CHECK_ERRC(jwt::private_key::from_pem(pub), jwt::errc::private_key_required);
    }
}

TEST_CASE("text that is not a key is invalid_key", "[key]") {
    CHECK_ERRC(jwt::private_key::from_pem(""), jwt::errc::invalid_key);
    CHECK_ERRC(jwt::private_key::from_pem("hello, world"), jwt::errc::invalid_key);
    CHECK_ERRC(jwt::private_key::from_pem("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"),
               jwt::errc::invalid_key);
    SECTION("a truncated PEM") {
        const std::string& pem = jwtmint_test::p256_pem();
        CHECK_ERRC(jwt::private_key::from_pem(pem.substr(0, pem.size() / 2)), jwt::errc::invalid_key);
    }
    SECTION("a damaged body") {
        std::string pem = jwtmint_test::p256_pem();
        const auto pos = pem.find('\n') + 20;
        pem[pos] = pem[pos] == 'A' ? 'B' : 'A';
        CHECK_ERRC(jwt::private_key::from_pem(pem), jwt::errc::invalid_key);
    }
}

TEST_CASE("key files", "[key]") {
    temp_dir dir;
    SECTION("a missing file is key_file_error") {
        CHECK_ERRC(jwt::private_key::from_pem_file(dir / "no-such-key.pem"), jwt::errc::key_file_error);
        CHECK_ERRC(jwt::public_key::from_pem_file(dir / "no-such-key.pem"), jwt::errc::key_file_error);
    }
    SECTION("a directory is key_file_error") {
        CHECK_ERRC(jwt::private_key::from_pem_file(dir.path()), jwt::errc::key_file_error);
    }
    SECTION("a PEM file, plain and encrypted") {
        write_file(dir / "key.pem", jwtmint_test::p256_pem());
        check_same_key(jwt::private_key::from_pem_file(dir / "key.pem"), jwtmint_test::p256_pem());
        openssl_ok(dir, std::string("pkcs8 -topk8 -in key.pem -out enc.pem -passout 'pass:") + passphrase + "'");
        check_same_key(jwt::private_key::from_pem_file(dir / "enc.pem", passphrase), jwtmint_test::p256_pem());
        CHECK_ERRC(jwt::private_key::from_pem_file(dir / "enc.pem"), jwt::errc::passphrase_required);
        CHECK_ERRC(jwt::private_key::from_pem_file(dir / "enc.pem", "nope"), jwt::errc::bad_passphrase);
    }
    SECTION("a public key file") {
        write_file(dir / "pub.pem", openssl_public_pem(jwtmint_test::p256_pem()));
        const auto pub = jwt::public_key::from_pem_file(dir / "pub.pem");
        CHECK(jwt::try_check_key_pair(jwt::private_key::from_pem(jwtmint_test::p256_pem()), pub).has_value());
    }
}

TEST_CASE("from_evp_pkey adopts a reference and the caller frees its own", "[key]") {
    SECTION("a private key") {
        EVP_PKEY* raw = jwtmint_test::load_private_evp(jwtmint_test::p256_pem()).release();
        std::optional<jwt::private_key> key = jwt::private_key::from_evp_pkey(raw);
        CHECK(key->native_handle() == raw);
        EVP_PKEY_free(raw);  // the caller's reference; jwtmint holds its own
        check_same_key(*key, jwtmint_test::p256_pem());
        const jwt::private_key copy = *key;
        key.reset();  // the copy keeps the key alive on its own
        check_same_key(copy, jwtmint_test::p256_pem());
    }
    SECTION("a public-only EVP_PKEY is private_key_required") {
        auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
        CHECK_ERRC(jwt::private_key::from_evp_pkey(pub.get()), jwt::errc::private_key_required);
        auto rsa_pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::rsa2048_pem()));
        CHECK_ERRC(jwt::private_key::from_evp_pkey(rsa_pub.get()), jwt::errc::private_key_required);
        auto ed_pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::ed25519_pem()));
        CHECK_ERRC(jwt::private_key::from_evp_pkey(ed_pub.get()), jwt::errc::private_key_required);
        // and the refusal did not take or drop a reference: the caller's key is still usable
        CHECK(EVP_PKEY_get_bits(pub.get()) == 256);
    }
    SECTION("null is invalid_key") {
        CHECK_ERRC(jwt::private_key::from_evp_pkey(nullptr), jwt::errc::invalid_key);
        CHECK_ERRC(jwt::public_key::from_evp_pkey(nullptr), jwt::errc::invalid_key);
    }
    SECTION("a public key from an EVP_PKEY") {
        auto raw = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
        const auto pub = jwt::public_key::from_evp_pkey(raw.get());
        raw.reset();
        CHECK(pub.to_pem() == openssl_public_pem(jwtmint_test::p256_pem()));
    }
}

TEST_CASE("public key export: the SPKI PEM the admin pastes into the vendor's settings", "[key]") {
    for (const std::string* pem : {&jwtmint_test::rsa2048_pem(), &jwtmint_test::p256_pem()}) {
        const auto key = jwt::private_key::from_pem(*pem);
        const std::string exported = key.public_key_pem();
        CHECK(starts_with(exported, "-----BEGIN PUBLIC KEY-----\n"));
        CHECK(exported == openssl_public_pem(*pem));  // byte for byte what openssl pkey -pubout writes
        // round trip through public_key
        const auto pub = jwt::public_key::from_pem(exported);
        CHECK(pub.to_pem() == exported);
        CHECK(jwt::public_key::from_private(key).to_pem() == exported);
        CHECK(pub.info().type == key.info().type);
        CHECK(pub.info().bits == key.info().bits);
    }
    SECTION("PKCS#1 RSA PUBLIC KEY is read too") {
        const std::string pkcs1 = convert(jwtmint_test::rsa2048_pem(),
                                          "rsa -in key.pem -RSAPublicKey_out -out out.pem");
        const auto pub = jwt::public_key::from_pem(pkcs1);
        CHECK(pub.to_pem() == openssl_public_pem(jwtmint_test::rsa2048_pem()));
    }
    SECTION("a certificate is refused with a hint") {
        temp_dir dir;
        write_file(dir / "key.pem", jwtmint_test::p256_pem());
        openssl_ok(dir, "req -new -x509 -key key.pem -subj /CN=jwtmint -days 1 -out cert.pem");
        CHECK_ERRC(jwt::public_key::from_pem(read_text(dir / "cert.pem")), jwt::errc::invalid_key);
    }
    SECTION("garbage is invalid_key") {
        CHECK_ERRC(jwt::public_key::from_pem("not a key"), jwt::errc::invalid_key);
        CHECK_ERRC(jwt::public_key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                   jwt::errc::invalid_key);
    }
}

TEST_CASE("check_key_pair: does this public key belong to this private key?", "[key]") {
    const auto rsa = jwt::private_key::from_pem(jwtmint_test::rsa2048_pem());
    const auto ec = jwt::private_key::from_pem(jwtmint_test::p256_pem());
    const auto rsa_pub = jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::rsa2048_pem()));
    const auto ec_pub = jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p256_pem()));
    const auto other_rsa_pub = jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::rsa2048_other_pem()));
    const auto other_ec_pub = jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p256_other_pem()));

    SECTION("a key pair: success in every form") {
        CHECK(jwt::try_check_key_pair(rsa, rsa_pub).has_value());
        CHECK(jwt::try_check_key_pair(ec, ec_pub).has_value());
        CHECK_NOTHROW(jwt::check_key_pair(rsa, rsa_pub));
        std::error_code code = jwt::errc::invalid_key;
        jwt::check_key_pair(ec, ec_pub, code);
        CHECK_FALSE(code);
    }
    SECTION("another key, or a key of another type: key_mismatch, saying how to get the right public key") {
        for (const auto& pair : {std::pair{&rsa, &other_rsa_pub}, std::pair{&ec, &other_ec_pub},
                                 std::pair{&rsa, &ec_pub}, std::pair{&ec, &rsa_pub}}) {
            const auto* key = pair.first;  // not a structured binding: a lambda in CHECK_ERRC captures it (C++17)
            const auto* pub = pair.second;
            const jwt::status checked = jwt::try_check_key_pair(*key, *pub);
            REQUIRE_FALSE(checked.has_value());
            CHECK(checked.error().value() == jwt::errc::key_mismatch);
            const std::string message = checked.error().what();
            CHECK(message.find("does not belong to the private key") != std::string::npos);
            CHECK(message.find("jwtmint pubkey --key private_key.pem") != std::string::npos);
            CHECK_ERRC(jwt::check_key_pair(*key, *pub), jwt::errc::key_mismatch);
            std::error_code code;
            jwt::check_key_pair(*key, *pub, code);
            CHECK(code == jwt::errc::key_mismatch);
        }
    }
}

TEST_CASE("key generation", "[key]") {
    SECTION("RSA under 2048 bits is weak_key, and the message names 2048") {
        CHECK_ERRC(jwt::private_key::generate_rsa(1024), jwt::errc::weak_key);
        try {
            static_cast<void>(jwt::private_key::generate_rsa(1024));
        } catch (const jwt::error& e) {
            CHECK(std::string(e.what()).find("2048") != std::string::npos);
        }
    }
    SECTION("an HMAC secret under 32 bytes is weak_key") {
        CHECK_ERRC(jwt::generate_hmac_secret(16), jwt::errc::weak_key);
        CHECK_ERRC(jwt::generate_hmac_secret(31), jwt::errc::weak_key);
        const std::string a = jwt::generate_hmac_secret();
        const std::string b = jwt::generate_hmac_secret();
        CHECK(a.size() == 32);
        CHECK(a != b);
        CHECK(jwt::generate_hmac_secret(64).size() == 64);
    }
    SECTION("random token ids: 128 bits as 22 characters of canonical base64url") {
        std::set<std::string> seen;
        std::array<int, 128> ones{};
        constexpr int n = 1000;
        for (int i = 0; i < n; ++i) {
            const std::string id = jwt::random_jwt_id();
            REQUIRE(id.size() == 22);
            const std::string raw = jwt::base64url_decode(id);  // strict: also checks the trailing bits
            REQUIRE(raw.size() == 16);
            CHECK(jwt::base64url_encode(raw) == id);
            seen.insert(id);
            for (std::size_t bit = 0; bit < 128; ++bit) {
                ones[bit] += (static_cast<unsigned char>(raw[bit / 8]) >> (7 - bit % 8)) & 1;
            }
        }
        CHECK(seen.size() == static_cast<std::size_t>(n));
        // Every bit position is random: a stuck bit (say, the last character's) shows as 0 or n.
        for (std::size_t bit = 0; bit < 128; ++bit) {
            INFO("bit " << bit);
            CHECK(ones[bit] > 400);
            CHECK(ones[bit] < 600);
        }
    }
    SECTION("RSA 2048 and EC P-256 keys that openssl accepts") {
        const auto rsa = jwt::private_key::generate_rsa();
        CHECK(rsa.info().type == "RSA");
        CHECK(rsa.info().bits == 2048);
        const auto ec = jwt::private_key::generate_ec_p256();
        CHECK(ec.info().curve == "P-256");
        CHECK(jwt::try_check_key_pair(ec, jwt::public_key::from_private(ec)).has_value());

        temp_dir dir;
        write_file(dir / "rsa.pem", rsa.to_pem());
        write_file(dir / "ec.pem", ec.to_pem());
        openssl_ok(dir, "pkey -in rsa.pem -check -noout");
        openssl_ok(dir, "pkey -in ec.pem -check -noout");
        // the exported public half is what openssl derives from the exported private key
        CHECK(openssl_public_pem(rsa.to_pem()) == rsa.public_key_pem());
        CHECK(openssl_public_pem(ec.to_pem()) == ec.public_key_pem());
    }
    SECTION("EC P-384 and P-521 and Ed25519 keys that openssl accepts and names") {
        struct expected {
            jwt::private_key key;
            const char* openssl_text;  // what `openssl pkey -text` prints for the curve
        };
        const expected cases[] = {{jwt::private_key::generate_ec("P-256"), "ASN1 OID: prime256v1"},
                                  {jwt::private_key::generate_ec("P-384"), "ASN1 OID: secp384r1"},
                                  {jwt::private_key::generate_ec("P-521"), "ASN1 OID: secp521r1"},
                                  {jwt::private_key::generate_ed25519(), "ED25519 Private-Key:"}};
        for (const auto& c : cases) {
            INFO(c.openssl_text);
            temp_dir dir;
            write_file(dir / "key.pem", c.key.to_pem());
            openssl_ok(dir, "pkey -in key.pem -check -noout");
            openssl_ok(dir, "pkey -in key.pem -noout -text -out text.txt");
            CHECK(read_text(dir / "text.txt").find(c.openssl_text) != std::string::npos);
            CHECK(openssl_public_pem(c.key.to_pem()) == c.key.public_key_pem());
        }
        CHECK(jwt::private_key::generate_ec("P-384").public_key_pem() !=
              jwt::private_key::generate_ec("P-384").public_key_pem());
        CHECK_ERRC(jwt::private_key::generate_ec("secp256k1"), jwt::errc::invalid_key);
        CHECK_ERRC(jwt::private_key::generate_ec("p-256"), jwt::errc::invalid_key);
    }
    SECTION("to_pem with a passphrase writes encrypted PKCS#8 that openssl opens") {
        const auto ec = jwt::private_key::from_pem(jwtmint_test::p256_pem());
        const std::string enc = ec.to_pem(passphrase);
        CHECK(starts_with(enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        temp_dir dir;
        write_file(dir / "enc.pem", enc);
        openssl_ok(dir, std::string("pkey -in enc.pem -passin 'pass:") + passphrase + "' -pubout -out pub.pem");
        CHECK(read_text(dir / "pub.pem") == openssl_public_pem(jwtmint_test::p256_pem()));
        CHECK_ERRC(jwt::private_key::from_pem(enc), jwt::errc::passphrase_required);
        check_same_key(jwt::private_key::from_pem(enc, passphrase), jwtmint_test::p256_pem());
    }
}

TEST_CASE("error_code overloads set the code and do not throw", "[key]") {
    const std::string pub = openssl_public_pem(jwtmint_test::p256_pem());
    std::error_code ec;

    SECTION("private_key::from_pem") {
        CHECK_FALSE(jwt::private_key::from_pem("garbage", {}, ec).has_value());
        CHECK_EC(ec, jwt::errc::invalid_key);
        CHECK_FALSE(jwt::private_key::from_pem(pub, {}, ec).has_value());
        CHECK_EC(ec, jwt::errc::private_key_required);
        const auto ok = jwt::private_key::from_pem(jwtmint_test::p256_pem(), {}, ec);
        CHECK_FALSE(ec);
        REQUIRE(ok.has_value());
        check_same_key(*ok, jwtmint_test::p256_pem());
    }
    SECTION("private_key::from_pem, encrypted") {
        const std::string enc = jwt::private_key::from_pem(jwtmint_test::p256_pem()).to_pem(passphrase);
        CHECK_FALSE(jwt::private_key::from_pem(enc, {}, ec).has_value());
        CHECK_EC(ec, jwt::errc::passphrase_required);
        CHECK_FALSE(jwt::private_key::from_pem(enc, "wrong", ec).has_value());
        CHECK_EC(ec, jwt::errc::bad_passphrase);
        CHECK(jwt::private_key::from_pem(enc, passphrase, ec).has_value());
        CHECK_FALSE(ec);
    }
    SECTION("private_key::from_pem_file") {
        temp_dir dir;
        CHECK_FALSE(jwt::private_key::from_pem_file(dir / "missing.pem", {}, ec).has_value());
        CHECK_EC(ec, jwt::errc::key_file_error);
    }
    SECTION("public_key::from_pem and from_pem_file") {
        CHECK_FALSE(jwt::public_key::from_pem("garbage", ec).has_value());
        CHECK_EC(ec, jwt::errc::invalid_key);
        CHECK(jwt::public_key::from_pem(pub, ec).has_value());
        CHECK_FALSE(ec);
        temp_dir dir;
        CHECK_FALSE(jwt::public_key::from_pem_file(dir / "missing.pem", ec).has_value());
        CHECK_EC(ec, jwt::errc::key_file_error);
    }
}

TEST_CASE("a failed load leaves the OpenSSL error queue empty", "[key]") {
    ERR_clear_error();
    CHECK_ERRC(jwt::private_key::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
               jwt::errc::invalid_key);
    CHECK(ERR_peek_error() == 0);
    const std::string enc = jwt::private_key::from_pem(jwtmint_test::p256_pem()).to_pem(passphrase);
    CHECK_ERRC(jwt::private_key::from_pem(enc, "wrong"), jwt::errc::bad_passphrase);
    CHECK(ERR_peek_error() == 0);
    CHECK_ERRC(jwt::public_key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
               jwt::errc::invalid_key);
    CHECK(ERR_peek_error() == 0);
}
