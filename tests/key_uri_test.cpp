// SPDX-License-Identifier: MIT
// key_uri.hpp: keys by URI through OSSL_STORE with OpenSSL's own file loader (the TPM cases, which
// need a provider, are tests/custody/tpm_test.py): paths and file: URIs, passphrases, public keys,
// refusals and their messages, a library context and property query carried to signing.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"

#include <openssl/provider.h>

#include <chrono>
#include <string>
#include <system_error>

using jwtmint_test::openssl_ok;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::p256_pem;
using jwtmint_test::rsa1024_pem;
using jwtmint_test::rsa2048_other_pem;
using jwtmint_test::rsa2048_pem;
using jwtmint_test::temp_dir;
using jwtmint_test::write_file;

namespace {

using namespace std::chrono_literals;

constexpr const char* passphrase = "correct horse battery staple";

std::string message_of(const jwt::error& e) { return e.what(); }

template <class F>
std::string error_message(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const jwt::error& e) {
        return message_of(e);
    }
    return "no error";
}

}  // namespace

TEST_CASE("a key file by path and by file: URI is the key openssl reads") {
    temp_dir dir;
    write_file(dir / "rsa.pem", rsa2048_pem());
    write_file(dir / "ec.pem", p256_pem());
    for (const std::string& uri : {(dir / "rsa.pem").string(), "file:" + (dir / "rsa.pem").string()}) {
        INFO(uri);
        const auto key = jwt::private_key::from_uri(uri);
        CHECK(key.public_key_pem() == openssl_public_pem(rsa2048_pem()));
        CHECK(key.provider() == "default");
        CHECK(key.context().library_context == nullptr);
        CHECK(jwt::public_key::from_uri(uri).to_pem() == openssl_public_pem(rsa2048_pem()));
        // A key jwtmint parsed itself is exported as before.
        CHECK(key.to_pem().find("BEGIN PRIVATE KEY") != std::string::npos);
    }
    // Signers from the URI mint tokens the key's public half verifies.
    const auto es = jwt::es256::from_uri("file:" + (dir / "ec.pem").string());
    const auto token = jwt::builder{es}.roles({"Support"}).expires_in(5min).sign();
    const auto v = jwt::verifier<jwt::es256>::from_pem(openssl_public_pem(p256_pem()));
    CHECK(v.verify(token).roles() == std::vector<std::string>{"Support"});
}

TEST_CASE("a DER key file by URI (OSSL_STORE reads DER as well as PEM)") {
    temp_dir dir;
    write_file(dir / "key.pem", rsa2048_pem());
    openssl_ok(dir, "pkey -in key.pem -outform DER -out key.der");
    const auto key = jwt::private_key::from_uri((dir / "key.der").string());
    CHECK(key.public_key_pem() == openssl_public_pem(rsa2048_pem()));
}

TEST_CASE("an encrypted key by URI: passphrase required, wrong, right") {
    temp_dir dir;
    write_file(dir / "key.pem", rsa2048_pem());
    openssl_ok(dir, std::string("pkey -in key.pem -aes-256-cbc -passout pass:'") + passphrase + "' -out enc.pem");
    const std::string uri = (dir / "enc.pem").string();
    CHECK_ERRC(jwt::private_key::from_uri(uri), jwt::errc::passphrase_required);
    CHECK_ERRC(jwt::private_key::from_uri(uri, "not it"), jwt::errc::bad_passphrase);
    CHECK(jwt::private_key::from_uri(uri, passphrase).public_key_pem() == openssl_public_pem(rsa2048_pem()));
}

TEST_CASE("refusals by URI name the fix and change nothing") {
    temp_dir dir;
    write_file(dir / "pub.pem", openssl_public_pem(rsa2048_pem()));
    write_file(dir / "two.pem", rsa2048_pem() + rsa2048_other_pem());
    write_file(dir / "weak.pem", rsa1024_pem());
    openssl_ok(dir, "req -x509 -newkey rsa:2048 -nodes -keyout ck.pem -subj /CN=x -days 1 -out cert.pem");

    // A public key cannot sign, but is a public key.
    CHECK_ERRC(jwt::private_key::from_uri((dir / "pub.pem").string()), jwt::errc::private_key_required);
    CHECK(jwt::public_key::from_uri((dir / "pub.pem").string()).to_pem() == openssl_public_pem(rsa2048_pem()));
    // Two keys behind one URI.
    const std::string two = error_message([&] { (void)jwt::private_key::from_uri((dir / "two.pem").string()); });
    CHECK(two.find("names 2 keys") != std::string::npos);
    // A certificate is not a key.
    CHECK_ERRC(jwt::public_key::from_uri((dir / "cert.pem").string()), jwt::errc::invalid_key);
    CHECK(error_message([&] {
              (void)jwt::public_key::from_uri((dir / "cert.pem").string());
          }).find("openssl x509 -in cert.pem -pubkey -noout") != std::string::npos);
    // The algorithm's key checks apply as to any key.
    CHECK_ERRC(jwt::rs256::from_uri((dir / "weak.pem").string()), jwt::errc::weak_key);
    CHECK_ERRC(jwt::es256::from_uri(("file:" + (dir / "weak.pem").string())), jwt::errc::key_algorithm_mismatch);
    // No file, no loader for the scheme, no text.
    CHECK_ERRC(jwt::private_key::from_uri((dir / "missing.pem").string()), jwt::errc::key_file_error);
    const std::string scheme = error_message([] { (void)jwt::private_key::from_uri("nosuchscheme:key-7"); });
    CHECK(scheme.find("no OpenSSL store loader took it") != std::string::npos);
    CHECK(scheme.find("OPENSSL_CONF") != std::string::npos);
    CHECK_ERRC(jwt::private_key::from_uri(""), jwt::errc::key_file_error);
    CHECK_ERRC(jwt::private_key::from_uri("file:/tmp/a\nb"), jwt::errc::key_file_error);
    // The non-throwing forms report the same codes.
    std::error_code ec;
    CHECK_FALSE(jwt::rs256::from_uri((dir / "weak.pem").string(), {}, {}, ec).has_value());
    CHECK_EC(ec, jwt::errc::weak_key);
    const auto r = jwt::public_key::try_from_uri("nosuchscheme:x");
    REQUIRE_FALSE(r);
    CHECK(r.error().value() == jwt::errc::key_file_error);
}

TEST_CASE("a provider's own key block loads only through its provider, and says so") {
    // A TSS2 key block with no tpm2 provider loaded (OpenSSL's configuration here loads none):
    // refused with the provider and OPENSSL_CONF named, by PEM text and by URI.
    // A P-256 key made by `openssl genpkey -provider tpm2` in a software TPM since discarded: its
    // private part is wrapped by that TPM's storage key, so it is data and nothing more here.
    const std::string tss2 =
        "-----BEGIN TSS2 PRIVATE KEY-----\n"
        "MIHwBgZngQUKAQOgAwEBAQIEQAAAAQRYAFYAIwALAAYAcgAAABAAEAADABAAINxL\n"
        "8KG4uNBLnWqC8eMPY3M3s4x2zZwGRHYir+9KBWUDACBhJm9rtdHghoZT2aliXSPX\n"
        "JOVexNMCz6KqJ0uNkTjm3wSBgAB+ACC3y68gWYB+6C0eh3Qsy3smha11T96Kw8zq\n"
        "F2m+sNlGIQAQKXMlwFZACWM5rPhhGoMxm3+CIsDhcsmiroiC1NW0GFbDPkkiWyPv\n"
        "z755QjXm3ZB6fQGw6wW97qXFp54gx1XoMJNNohf0/fU4CG9xrDt3crAzcE5RnrVL\n"
        "pQkB\n"
        "-----END TSS2 PRIVATE KEY-----\n";
    const std::string by_text = error_message([&] { (void)jwt::private_key::from_pem(tss2); });
    CHECK(by_text.find("'TSS2 PRIVATE KEY' block") != std::string::npos);
    CHECK(by_text.find("OPENSSL_CONF") != std::string::npos);
    temp_dir dir;
    write_file(dir / "tpm.pem", tss2);
    const std::string by_uri = error_message([&] { (void)jwt::rs256::from_uri((dir / "tpm.pem").string()); });
    CHECK(by_uri.find("'TSS2 PRIVATE KEY' block") != std::string::npos);
    CHECK_ERRC(jwt::public_key::from_pem(tss2), jwt::errc::invalid_key);
}

TEST_CASE("a library context and property query are carried from loading to signing") {
    OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
    REQUIRE(libctx != nullptr);
    OSSL_PROVIDER* provider = OSSL_PROVIDER_load(libctx, "default");
    REQUIRE(provider != nullptr);
    {
        temp_dir dir;
        write_file(dir / "key.pem", rsa2048_pem());
        jwt::openssl_context ctx;
        ctx.library_context = libctx;
        ctx.property_query = "provider=default";
        const auto key = jwt::private_key::from_uri((dir / "key.pem").string(), {}, ctx);
        CHECK(key.context().library_context == libctx);
        CHECK(key.context().property_query == "provider=default");
        CHECK(EVP_PKEY_get0_provider(key.native_handle()) == provider);  // loaded in that context
        const auto signer = jwt::rs256::from_key(key);
        const auto token = jwt::builder{signer}.roles({"Support"}).expires_in(5min).sign();
        const auto pub = jwt::public_key::from_uri((dir / "key.pem").string(), ctx);
        CHECK(pub.context().library_context == libctx);
        CHECK(jwt::verifier<jwt::rs256>::from_key(pub).verify(token).roles() == std::vector<std::string>{"Support"});
        // The same PEM text in that context, through from_pem.
        CHECK(EVP_PKEY_get0_provider(jwt::private_key::from_pem(rsa2048_pem(), {}, ctx).native_handle()) == provider);

        // A property query no provider satisfies: nothing loads, and it says why.
        jwt::openssl_context none;
        none.library_context = libctx;
        none.property_query = "provider=no-such-provider";
        CHECK_THROWS_AS(jwt::rs256::from_uri((dir / "key.pem").string(), {}, none), jwt::error);
    }
    OSSL_PROVIDER_unload(provider);
    OSSL_LIB_CTX_free(libctx);
}

TEST_CASE("looks_like_key_uri tells a URI from a file name") {
    CHECK(jwt::looks_like_key_uri("handle:0x81000001"));
    CHECK(jwt::looks_like_key_uri("pkcs11:token=hsm;object=widget"));
    CHECK(jwt::looks_like_key_uri("file:/etc/jwtmint/key.pem"));
    CHECK(jwt::looks_like_key_uri("object:key.ctx"));
    CHECK_FALSE(jwt::looks_like_key_uri("/etc/jwtmint/key.pem"));
    CHECK_FALSE(jwt::looks_like_key_uri("key.pem"));
    CHECK_FALSE(jwt::looks_like_key_uri("C:key.pem"));  // one letter: a drive, not a scheme
    CHECK_FALSE(jwt::looks_like_key_uri("1abc:x"));
    CHECK_FALSE(jwt::looks_like_key_uri("a b:x"));
    CHECK_FALSE(jwt::looks_like_key_uri(":x"));
}
