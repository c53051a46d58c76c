// SPDX-License-Identifier: MIT
// signers.hpp, the signing side of every algorithm: the keys each signer refuses, down to their
// errc; signature formats checked against plain OpenSSL with its exact parameters (PKCS#1 v1.5,
// PSS salt and MGF1, ECDSA R||S widths, pure Ed25519, the full HMAC); copy semantics, key export,
// and the signer concept with user-written signers.
#include <jwtmint/builder.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>  // jwt::detail::ecdsa_raw_to_der, to hand R||S to plain OpenSSL

#include "core_helpers.hpp"

#include <openssl/rsa.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

using jwt::errc;
using jwtmint_test::hmac_secret_64;
using jwtmint_test::openssl_public_pem;
using jwtmint_test::p521_pem;
using jwtmint_test::temp_dir;

namespace {

// The types below stand for users' signers (and non-signers): a signer's sign, sign_to and
// signature_size are const member functions, which is what is_signer_v checks, so none is made static.
// NOLINTBEGIN(readability-convert-member-functions-to-static)

// A user-written signer: wraps an EVP_PKEY the host obtained elsewhere and signs with plain EVP.
struct evp_rs256_signer {
    static constexpr std::string_view alg = "RS256";
    EVP_PKEY* key;  // not owned
    [[nodiscard]] std::string sign(std::string_view input) const {
        std::unique_ptr<EVP_MD_CTX, jwtmint_test::free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
        std::size_t len = 0;
        if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &len, nullptr, 0) != 1) {
            throw std::runtime_error("EVP_DigestSignInit failed");
        }
        std::string sig(len, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
            throw std::runtime_error("EVP_DigestSign failed");
        }
        sig.resize(len);
        return sig;
    }
};

struct throwing_signer {
    static constexpr std::string_view alg = "RS256";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const {
        throw std::runtime_error("the HSM is unreachable");
    }
};

struct empty_signer {
    static constexpr std::string_view alg = "RS256";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return {}; }
};

// A wrapper that also offers the allocation-free fast path (sign_to + signature_size), e.g. a
// signer that forwards to a remote service through a fixed buffer.
struct throwing_fast_signer {
    static constexpr std::string_view alg = "HS256";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { throw std::runtime_error("KMS quota exceeded"); }
    std::size_t sign_to(std::string_view /*input*/, unsigned char* /*out*/) const {
        throw std::runtime_error("KMS quota exceeded");
    }
    [[nodiscard]] std::size_t signature_size() const noexcept { return 32; }
};

struct empty_fast_signer {
    static constexpr std::string_view alg = "HS256";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return {}; }
    std::size_t sign_to(std::string_view /*input*/, unsigned char* /*out*/) const { return 0; }
    [[nodiscard]] std::size_t signature_size() const noexcept { return 32; }
};

// A user's signer that reports failure by returning it (no exceptions needed), and one that
// succeeds the same way.
struct result_failing_signer {
    static constexpr std::string_view alg = "RS256";
    jwt::result<std::string> sign(std::string_view /*input*/) const {
        return jwt::error(jwt::errc::signing_failed, "the HSM session expired; log in to the token again");
    }
};
struct result_hmac_signer {
    static constexpr std::string_view alg = "HS256";
    std::string secret;
    jwt::result<std::string> sign(std::string_view input) const { return jwtmint_test::hmac_sha256(secret, input); }
};
// A fast path that reports failure by returning it.
struct result_failing_fast_signer {
    static constexpr std::string_view alg = "HS256";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return "unused"; }
    jwt::result<std::size_t> sign_to(std::string_view /*input*/, unsigned char* /*out*/) const {
        return jwt::error(jwt::errc::signing_failed, "the KMS refused: quota exceeded");
    }
    [[nodiscard]] std::size_t signature_size() const noexcept { return 32; }
};

struct none_signer {
    static constexpr std::string_view alg = "none";
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return "x"; }
};

// Types that are not signers.
struct no_alg {
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return "x"; }
};
struct no_sign {
    static constexpr std::string_view alg = "RS256";
};
struct non_const_sign {
    static constexpr std::string_view alg = "RS256";
    std::string sign(std::string_view /*input*/) { return "x"; }
};
struct int_sign {
    static constexpr std::string_view alg = "RS256";
    [[nodiscard]] int sign(std::string_view /*input*/) const { return 0; }
};
struct int_alg {
    static constexpr int alg = 256;
    [[nodiscard]] std::string sign(std::string_view /*input*/) const { return "x"; }
};
// NOLINTEND(readability-convert-member-functions-to-static)

static_assert(jwt::is_signer_v<jwt::rs256>);
static_assert(jwt::is_signer_v<jwt::es256>);
static_assert(jwt::is_signer_v<jwt::hs256>);
static_assert(jwt::is_signer_v<evp_rs256_signer>);
static_assert(jwt::is_signer_v<throwing_fast_signer>);
static_assert(jwt::is_signer_v<result_failing_signer>);
static_assert(jwt::is_signer_v<result_hmac_signer>);
static_assert(jwt::is_signer_v<result_failing_fast_signer>);
static_assert(!jwt::is_signer_v<no_alg>);
static_assert(!jwt::is_signer_v<no_sign>);
static_assert(!jwt::is_signer_v<non_const_sign>);
static_assert(!jwt::is_signer_v<int_sign>);
static_assert(!jwt::is_signer_v<int_alg>);
static_assert(!jwt::is_signer_v<int>);
#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
static_assert(jwt::signer<jwt::rs256>);
static_assert(!jwt::signer<no_sign>);
#endif

static_assert(std::is_copy_constructible_v<jwt::rs256> && std::is_copy_assignable_v<jwt::rs256>);
static_assert(std::is_copy_constructible_v<jwt::es256> && std::is_copy_assignable_v<jwt::es256>);
static_assert(std::is_copy_constructible_v<jwt::hs256> && std::is_copy_assignable_v<jwt::hs256>);
static_assert(!std::is_default_constructible_v<jwt::rs256>);
static_assert(!std::is_default_constructible_v<jwt::hs256>);

constexpr std::string_view secret32 = "0123456789abcdef0123456789abcdef";

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const jwt::error& e) {
        return e.what();
    }
    return {};
}

const std::string& rsa_pss_unrestricted_pem() {
    static const std::string pem = jwtmint_test::openssl_key(
        "genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048");
    return pem;
}

/// Verifies sig over input with plain OpenSSL EVP and explicit parameters (independent of jwtmint).
/// digest nullptr: EdDSA. pss_salt >= 0: RSASSA-PSS with MGF1 over digest and exactly that salt.
bool evp_verify(const std::string& public_pem, const char* digest, int pss_salt, std::string_view input,
                std::string_view sig) {
    const auto key = jwtmint_test::load_public_evp(public_pem);
    std::unique_ptr<EVP_MD_CTX, jwtmint_test::free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, key.get(), nullptr) == 1);
    if (pss_salt >= 0) {
        REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest, nullptr) == 1);
    }
    const int r = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    ERR_clear_error();
    return r == 1;
}

}  // namespace

TEST_CASE("rs256 refuses what RS256 cannot use, each with its own errc", "[signers]") {
    SECTION("an RSA key of 1024 bits is weak_key, and the message names 2048") {
        CHECK_ERRC(jwt::rs256::from_pem(jwtmint_test::rsa1024_pem()), jwt::errc::weak_key);
        const std::string msg = message_of([] {
            static_cast<void>(jwt::rs256::from_pem(jwtmint_test::rsa1024_pem()));
        });
        CHECK(msg.find("1024") != std::string::npos);
        CHECK(msg.find("2048") != std::string::npos);
    }
    SECTION("an EC key is key_algorithm_mismatch") {
        CHECK_ERRC(jwt::rs256::from_pem(jwtmint_test::p256_pem()), jwt::errc::key_algorithm_mismatch);
    }
    SECTION("an Ed25519 key is key_algorithm_mismatch") {
        CHECK_ERRC(jwt::rs256::from_pem(jwtmint_test::ed25519_pem()), jwt::errc::key_algorithm_mismatch);
    }
    SECTION("an RSA-PSS key (restricted to PSS, which RS256 is not) is key_algorithm_mismatch") {
        const std::string pss = jwtmint_test::openssl_key("genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048");
        CHECK_ERRC(jwt::rs256::from_pem(pss), jwt::errc::key_algorithm_mismatch);
    }
    SECTION("a public key is private_key_required") {
        CHECK_ERRC(jwt::rs256::from_pem(openssl_public_pem(jwtmint_test::rsa2048_pem())),
                   jwt::errc::private_key_required);
    }
    SECTION("garbage is invalid_key") { CHECK_ERRC(jwt::rs256::from_pem("garbage"), jwt::errc::invalid_key); }
    SECTION("a public-only EVP_PKEY is private_key_required") {
        auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::rsa2048_pem()));
        CHECK_ERRC(jwt::rs256::from_evp_pkey(pub.get()), jwt::errc::private_key_required);
    }
    SECTION("a missing file is key_file_error") {
        temp_dir dir;
        CHECK_ERRC(jwt::rs256::from_pem_file(dir / "missing.pem"), jwt::errc::key_file_error);
    }
}

TEST_CASE("es256 refuses what ES256 cannot use, each with its own errc", "[signers]") {
    SECTION("a P-384 key is key_algorithm_mismatch, and the message names P-256") {
        CHECK_ERRC(jwt::es256::from_pem(jwtmint_test::p384_pem()), jwt::errc::key_algorithm_mismatch);
        const std::string msg = message_of([] { static_cast<void>(jwt::es256::from_pem(jwtmint_test::p384_pem())); });
        CHECK(msg.find("P-256") != std::string::npos);
        CHECK(msg.find("P-384") != std::string::npos);
    }
    SECTION("an RSA key is key_algorithm_mismatch") {
        CHECK_ERRC(jwt::es256::from_pem(jwtmint_test::rsa2048_pem()), jwt::errc::key_algorithm_mismatch);
    }
    SECTION("an Ed25519 key is key_algorithm_mismatch") {
        CHECK_ERRC(jwt::es256::from_pem(jwtmint_test::ed25519_pem()), jwt::errc::key_algorithm_mismatch);
    }
    SECTION("a public key is private_key_required") {
        CHECK_ERRC(jwt::es256::from_pem(openssl_public_pem(jwtmint_test::p256_pem())), jwt::errc::private_key_required);
    }
    SECTION("garbage is invalid_key") {
        CHECK_ERRC(jwt::es256::from_pem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
                   jwt::errc::invalid_key);
    }
    SECTION("a public-only EVP_PKEY is private_key_required") {
        auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
        CHECK_ERRC(jwt::es256::from_evp_pkey(pub.get()), jwt::errc::private_key_required);
    }
    SECTION("a null EVP_PKEY is invalid_key") {
        CHECK_ERRC(jwt::es256::from_evp_pkey(nullptr), jwt::errc::invalid_key);
    }
}

TEST_CASE("hs256 refuses what HS256 cannot use, each with its own errc", "[signers]") {
    SECTION("a secret of 31 bytes is weak_key (RFC 7518 section 3.2), 32 is fine") {
        CHECK_ERRC(jwt::hs256::from_secret(secret32.substr(0, 31)), jwt::errc::weak_key);
        CHECK_ERRC(jwt::hs256::from_secret(""), jwt::errc::weak_key);
        CHECK(jwt::hs256::from_secret(secret32).signature_size() == 32);
    }
    SECTION("PEM text as the secret is key_algorithm_mismatch") {
        CHECK_ERRC(jwt::hs256::from_secret(jwtmint_test::p256_pem()), jwt::errc::key_algorithm_mismatch);
        CHECK_ERRC(jwt::hs256::from_secret(openssl_public_pem(jwtmint_test::p256_pem())),
                   jwt::errc::key_algorithm_mismatch);
    }
    SECTION("a missing secret file is key_file_error") {
        temp_dir dir;
        CHECK_ERRC(jwt::hs256::from_secret_file(dir / "missing.key"), jwt::errc::key_file_error);
    }
    SECTION("a secret file's exact bytes are the secret, a trailing newline included") {
        temp_dir dir;
        const std::string bytes = std::string(secret32) + "\n";
        jwtmint_test::write_file(dir / "hs.key", bytes);
        const auto signer = jwt::hs256::from_secret_file(dir / "hs.key");
        CHECK(signer.sign("input") == jwtmint_test::hmac_sha256(bytes, "input"));
        CHECK(signer.matches_secret(bytes));
        CHECK_FALSE(signer.matches_secret(secret32));
    }
}

TEST_CASE(
    "the HS384/512, RS384/512, PS256/384/512, ES384/512 and EdDSA signers refuse keys their algorithm cannot use, each "
    "with its own errc",
    "[algorithms][keys]") {
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string& p256 = jwtmint_test::p256_pem();
    const std::string& p384 = jwtmint_test::p384_pem();
    const std::string& ed = jwtmint_test::ed25519_pem();

    CHECK_ERRC(jwt::hs384::from_secret(hmac_secret_64.substr(0, 47)), errc::weak_key);
    CHECK_ERRC(jwt::hs512::from_secret(hmac_secret_64.substr(0, 63)), errc::weak_key);
    CHECK_ERRC(jwt::hs512::from_secret(jwtmint_test::rsa2048_pem()), errc::key_algorithm_mismatch);
    CHECK_NOTHROW(jwt::hs384::from_secret(hmac_secret_64.substr(0, 48)));

    for (const auto* weak : {&jwtmint_test::rsa1024_pem()}) {
        CHECK_ERRC(jwt::rs384::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::rs512::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::ps256::from_pem(*weak), errc::weak_key);
        CHECK_ERRC(jwt::ps512::from_pem(*weak), errc::weak_key);
    }
    CHECK_ERRC(jwt::rs384::from_pem(p384), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::ps256::from_pem(ed), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es384::from_pem(p256), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es384::from_pem(p521_pem()), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es512::from_pem(p384), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es512::from_pem(rsa), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::es256::from_pem(ed), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(rsa), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(p256), errc::key_algorithm_mismatch);
    CHECK_ERRC(jwt::eddsa::from_pem(openssl_public_pem(ed)), errc::private_key_required);
    CHECK_ERRC(jwt::es512::from_pem(openssl_public_pem(p521_pem())), errc::private_key_required);
    CHECK_ERRC(jwt::ps384::from_pem(openssl_public_pem(rsa)), errc::private_key_required);
    // RS* is PKCS#1 v1.5: a key typed RSA-PSS (id-RSASSA-PSS) may not be used for it.
    CHECK_ERRC(jwt::rs256::from_pem(rsa_pss_unrestricted_pem()), errc::key_algorithm_mismatch);

    std::error_code ec;
    CHECK_FALSE(jwt::es512::from_pem(p384, {}, ec).has_value());
    CHECK(ec == errc::key_algorithm_mismatch);
    CHECK_FALSE(jwt::hs512::from_secret("short", ec).has_value());
    CHECK(ec == errc::weak_key);

    const auto e = jwtmint_test::outcome_of([&] { (void)jwt::es512::from_pem(p384); });
    CHECK(e.message.find("P-521") != std::string::npos);
    CHECK(e.message.find("P-384") != std::string::npos);
}

TEST_CASE("signers load encrypted PEM with a passphrase", "[signers]") {
    const std::string enc = jwt::private_key::from_pem(jwtmint_test::p256_pem()).to_pem("s3cret passphrase");
    const auto signer = jwt::es256::from_pem(enc, "s3cret passphrase");
    CHECK(signer.public_key_pem() == openssl_public_pem(jwtmint_test::p256_pem()));
    CHECK_ERRC(jwt::es256::from_pem(enc), jwt::errc::passphrase_required);
    CHECK_ERRC(jwt::es256::from_pem(enc, "wrong"), jwt::errc::bad_passphrase);
    CHECK_ERRC(jwt::rs256::from_pem(enc, "s3cret passphrase"), jwt::errc::key_algorithm_mismatch);
}

TEST_CASE("signer factories' error_code overloads set the code and do not throw", "[signers]") {
    std::error_code ec;
    CHECK_FALSE(jwt::rs256::from_pem(jwtmint_test::rsa1024_pem(), {}, ec).has_value());
    CHECK_EC(ec, jwt::errc::weak_key);
    CHECK_FALSE(jwt::es256::from_pem(jwtmint_test::p384_pem(), {}, ec).has_value());
    CHECK_EC(ec, jwt::errc::key_algorithm_mismatch);
    CHECK_FALSE(jwt::es256::from_pem("garbage", {}, ec).has_value());
    CHECK_EC(ec, jwt::errc::invalid_key);
    CHECK_FALSE(jwt::hs256::from_secret("short", ec).has_value());
    CHECK_EC(ec, jwt::errc::weak_key);
    temp_dir dir;
    CHECK_FALSE(jwt::es256::from_pem_file(dir / "missing.pem", {}, ec).has_value());
    CHECK_EC(ec, jwt::errc::key_file_error);
    CHECK_FALSE(jwt::hs256::from_secret_file(dir / "missing.key", ec).has_value());
    CHECK_EC(ec, jwt::errc::key_file_error);
    auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
    CHECK_FALSE(jwt::es256::from_evp_pkey(pub.get(), ec).has_value());
    CHECK_EC(ec, jwt::errc::private_key_required);

    CHECK(jwt::es256::from_pem(jwtmint_test::p256_pem(), {}, ec).has_value());
    CHECK_FALSE(ec);
    CHECK(jwt::hs256::from_secret(secret32, ec).has_value());
    CHECK_FALSE(ec);
}

TEST_CASE("signer try_ factories return the error the throwing ones throw, code and message", "[signers]") {
    temp_dir dir;
    auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
    const auto same = [](const auto& r, auto&& throwing, jwt::errc code) {
        REQUIRE_FALSE(r);
        CHECK_EC(r.error_code(), code);
        CHECK(message_of(throwing) == r.error().what());
        CHECK_FALSE(std::string(r.error().what()).empty());
    };
    same(
        jwt::rs256::try_from_pem(jwtmint_test::rsa1024_pem()),
        [] { static_cast<void>(jwt::rs256::from_pem(jwtmint_test::rsa1024_pem())); }, jwt::errc::weak_key);
    same(
        jwt::es256::try_from_pem(jwtmint_test::p384_pem()),
        [] { static_cast<void>(jwt::es256::from_pem(jwtmint_test::p384_pem())); }, jwt::errc::key_algorithm_mismatch);
    same(
        jwt::es256::try_from_pem_file(dir / "missing.pem"),
        [&] { static_cast<void>(jwt::es256::from_pem_file(dir / "missing.pem")); }, jwt::errc::key_file_error);
    same(
        jwt::es256::try_from_evp_pkey(pub.get()), [&] { static_cast<void>(jwt::es256::from_evp_pkey(pub.get())); },
        jwt::errc::private_key_required);
    const auto p384 = jwt::private_key::from_pem(jwtmint_test::p384_pem());
    same(
        jwt::es256::try_from_key(p384), [&] { static_cast<void>(jwt::es256::from_key(p384)); },
        jwt::errc::key_algorithm_mismatch);
    same(
        jwt::hs256::try_from_secret("short"), [] { static_cast<void>(jwt::hs256::from_secret("short")); },
        jwt::errc::weak_key);
    same(
        jwt::hs256::try_from_secret_file(dir / "missing.key"),
        [&] { static_cast<void>(jwt::hs256::from_secret_file(dir / "missing.key")); }, jwt::errc::key_file_error);

    const auto es = jwt::es256::try_from_pem(jwtmint_test::p256_pem());
    REQUIRE(es);
    CHECK(es->public_key_pem() == openssl_public_pem(jwtmint_test::p256_pem()));
    const auto hs = jwt::hs256::try_from_secret(secret32);
    REQUIRE(hs);
    const auto mac = hs->try_sign("abc");
    REQUIRE(mac);
    CHECK(*mac == jwtmint_test::hmac_sha256(secret32, "abc"));
    unsigned char buf[32];
    const auto n = hs->try_sign_to("abc", buf);
    REQUIRE(n);
    CHECK(std::string(reinterpret_cast<const char*>(buf), *n) == jwtmint_test::hmac_sha256(secret32, "abc"));
    std::error_code ec = jwt::errc::weak_key;
    CHECK(hs->sign("abc", ec) == *mac);
    CHECK_FALSE(ec);
    ec = jwt::errc::weak_key;
    CHECK(hs->sign_to("abc", buf, ec) == 32);
    CHECK_FALSE(ec);
}

TEST_CASE("ES256 signatures are 64 octets of R||S that verify after conversion to DER", "[signers]") {
    const auto signer = jwt::es256::from_pem(jwtmint_test::p256_pem());
    CHECK(signer.signature_size() == 64);
    auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
    // Enough signatures that some R or S almost surely has a leading zero octet (about 1 in 128
    // per signature), which the fixed-width encoding must keep.
    for (int i = 0; i < 1500; ++i) {
        const std::string input = "eyJhbGciOiJFUzI1NiJ9.message-" + std::to_string(i);
        const std::string sig = signer.sign(input);
        REQUIRE(sig.size() == 64);
        INFO("signature " << i << ": " << jwtmint_test::to_hex(sig));
        REQUIRE(jwtmint_test::evp_verify_sha256(pub.get(), input, jwtmint_test::raw_to_der(sig)));
        // and not over a different input
        REQUIRE_FALSE(jwtmint_test::evp_verify_sha256(pub.get(), input + "x", jwtmint_test::raw_to_der(sig)));
    }
    SECTION("sign_to writes the same form") {
        unsigned char buf[64];
        CHECK(signer.sign_to("abc", buf) == 64);
        const std::string sig(reinterpret_cast<const char*>(buf), 64);
        CHECK(jwtmint_test::evp_verify_sha256(pub.get(), "abc", jwtmint_test::raw_to_der(sig)));
    }
    SECTION("ECDSA is randomised: two signatures of one input differ") {
        CHECK(signer.sign("abc") != signer.sign("abc"));
    }
}

TEST_CASE("RS256 signatures are modulus-sized and equal openssl's own", "[signers]") {
    temp_dir dir;
    jwtmint_test::write_file(dir / "key.pem", jwtmint_test::rsa2048_pem());
    jwtmint_test::openssl_ok(dir, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out key3072.pem");
    for (const char* file : {"key.pem", "key3072.pem"}) {
        INFO(file);
        const auto signer = jwt::rs256::from_pem_file(dir / file);
        const std::size_t modulus_bytes = static_cast<std::size_t>(signer.key().info().bits) / 8;
        CHECK(signer.signature_size() == modulus_bytes);
        const std::string input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0";
        const std::string sig = signer.sign(input);
        CHECK(sig.size() == modulus_bytes);
        // RSASSA-PKCS1-v1_5 is deterministic: openssl dgst must produce the same octets.
        jwtmint_test::write_file(dir / "input", input);
        jwtmint_test::openssl_ok(dir, std::string("dgst -sha256 -sign ") + file + " -out sig.bin input");
        CHECK(jwtmint_test::read_text(dir / "sig.bin") == sig);
    }
}

TEST_CASE("HS256 signatures equal a one-shot HMAC-SHA-256", "[signers]") {
    const auto signer = jwt::hs256::from_secret(secret32);
    for (const std::string& input :
         std::vector<std::string>{"", "a", "eyJhbGciOiJIUzI1NiJ9.e30", std::string(5000, 'z')}) {
        const std::string sig = signer.sign(input);
        CHECK(sig.size() == 32);
        CHECK(sig == jwtmint_test::hmac_sha256(secret32, input));
    }
    const std::string long_secret(100, '\x7f');
    CHECK(jwt::hs256::from_secret(long_secret).sign("x") == jwtmint_test::hmac_sha256(long_secret, "x"));
    CHECK(signer.matches_secret(secret32));
    CHECK_FALSE(signer.matches_secret(long_secret));
}

TEST_CASE(
    "RS384/512, PS256/384/512, ES384/512, EdDSA and HS384/512 signatures verify with plain OpenSSL and its exact "
    "parameters",
    "[algorithms][signers]") {
    constexpr std::string_view input = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0";
    const std::string& rsa = jwtmint_test::rsa2048_pem();
    const std::string rsa_pub = openssl_public_pem(rsa);

    SECTION("RS384 and RS512 are deterministic and equal OpenSSL's PKCS#1 v1.5") {
        const std::string s384 = jwt::rs384::from_pem(rsa).sign(input);
        const std::string s512 = jwt::rs512::from_pem(rsa).sign(input);
        CHECK(s384.size() == 256);
        CHECK(s384 == jwt::rs384::from_pem(rsa).sign(input));
        CHECK(evp_verify(rsa_pub, "SHA384", -1, input, s384));
        CHECK(evp_verify(rsa_pub, "SHA512", -1, input, s512));
        CHECK_FALSE(evp_verify(rsa_pub, "SHA256", -1, input, s384));
    }
    SECTION("PS256/384/512 use MGF1 with the same hash and a salt exactly as long as the hash") {
        const std::string s256 = jwt::ps256::from_pem(rsa).sign(input);
        const std::string s384 = jwt::ps384::from_pem(rsa).sign(input);
        const std::string s512 = jwt::ps512::from_pem(rsa).sign(input);
        CHECK(s256 != jwt::ps256::from_pem(rsa).sign(input));  // randomised
        CHECK(evp_verify(rsa_pub, "SHA256", 32, input, s256));
        CHECK(evp_verify(rsa_pub, "SHA384", 48, input, s384));
        CHECK(evp_verify(rsa_pub, "SHA512", 64, input, s512));
        CHECK_FALSE(evp_verify(rsa_pub, "SHA256", 20, input, s256));  // the salt length is checked
        CHECK_FALSE(evp_verify(rsa_pub, "SHA384", 32, input, s384));
    }
    SECTION("ES384 is 96 octets of R||S, ES512 132, both verifying after conversion to DER") {
        const std::string p384_pub = openssl_public_pem(jwtmint_test::p384_pem());
        const std::string p521_pub = openssl_public_pem(p521_pem());
        for (int i = 0; i < 16; ++i) {  // short R or S (leading zero octets) must keep their width
            const std::string s384 = jwt::es384::from_pem(jwtmint_test::p384_pem()).sign(input);
            const std::string s512 = jwt::es512::from_pem(p521_pem()).sign(input);
            REQUIRE(s384.size() == 96);
            REQUIRE(s512.size() == 132);
            std::array<unsigned char, 160> der{};
            std::size_t n = jwt::detail::ecdsa_raw_to_der(reinterpret_cast<const unsigned char*>(s384.data()), 48,
                                                          der.data());
            CHECK(evp_verify(p384_pub, "SHA384", -1, input, std::string_view(reinterpret_cast<char*>(der.data()), n)));
            n = jwt::detail::ecdsa_raw_to_der(reinterpret_cast<const unsigned char*>(s512.data()), 66, der.data());
            CHECK(evp_verify(p521_pub, "SHA512", -1, input, std::string_view(reinterpret_cast<char*>(der.data()), n)));
        }
    }
    SECTION("EdDSA is pure Ed25519 over the signing input: 64 octets, deterministic") {
        const auto signer = jwt::eddsa::from_pem(jwtmint_test::ed25519_pem());
        const std::string sig = signer.sign(input);
        CHECK(sig.size() == 64);
        CHECK(sig == signer.sign(input));
        CHECK(evp_verify(openssl_public_pem(jwtmint_test::ed25519_pem()), nullptr, -1, input, sig));
    }
    SECTION("HS384 and HS512 are the full HMAC") {
        const auto one_shot = [&](const char* digest) {
            unsigned char mac[64];
            std::size_t len = 0;
            REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, hmac_secret_64.data(), hmac_secret_64.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                              &len) != nullptr);
            return std::string(reinterpret_cast<char*>(mac), len);
        };
        CHECK(jwt::hs384::from_secret(hmac_secret_64).sign(input) == one_shot("SHA384"));
        CHECK(jwt::hs512::from_secret(hmac_secret_64).sign(input) == one_shot("SHA512"));
        CHECK(one_shot("SHA384").size() == 48);
    }
}

TEST_CASE("signers are copyable and copies share their state", "[signers]") {
    SECTION("rs256") {
        std::optional<jwt::rs256> original = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
        const jwt::rs256 copy = *original;       // NOLINT(performance-unnecessary-copy-initialization)
        CHECK(&copy.key() == &original->key());  // one parsed key, not two
        const std::string expected = original->sign("abc");
        original.reset();
        CHECK(copy.sign("abc") == expected);  // deterministic, and alive after the original is gone
    }
    SECTION("es256, by assignment") {
        auto a = jwt::es256::from_pem(jwtmint_test::p256_pem());
        auto b = jwt::es256::from_pem(jwtmint_test::p256_other_pem());
        CHECK(&a.key() != &b.key());
        b = a;
        CHECK(&a.key() == &b.key());
        CHECK(jwt::try_check_key_pair(b.key(),
                                      jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p256_pem()))));
        CHECK_FALSE(jwt::try_check_key_pair(
            b.key(), jwt::public_key::from_pem(openssl_public_pem(jwtmint_test::p256_other_pem()))));
    }
    SECTION("hs256") {
        std::optional<jwt::hs256> original = jwt::hs256::from_secret(secret32);
        const jwt::hs256 copy = *original;  // NOLINT(performance-unnecessary-copy-initialization)
        original.reset();
        CHECK(copy.sign("abc") == jwtmint_test::hmac_sha256(secret32, "abc"));
    }
}

TEST_CASE("signers export their public key, which check_key_pair pairs with their key", "[signers]") {
    const auto rs = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    CHECK(rs.public_key_pem() == openssl_public_pem(jwtmint_test::rsa2048_pem()));
    CHECK(es.public_key_pem() == openssl_public_pem(jwtmint_test::p256_pem()));
    const auto pair_with = [&](const std::string& private_pem) {
        return jwt::try_check_key_pair(rs.key(), jwt::public_key::from_pem(openssl_public_pem(private_pem)));
    };
    CHECK(pair_with(jwtmint_test::rsa2048_pem()));
    const auto other = pair_with(jwtmint_test::rsa2048_other_pem());
    REQUIRE_FALSE(other);
    CHECK_EC(other.error_code(), jwt::errc::key_mismatch);
    CHECK_FALSE(pair_with(jwtmint_test::p256_pem()));
}

TEST_CASE("from_evp_pkey: a key the host already holds", "[signers]") {
    EVP_PKEY* raw = jwtmint_test::load_private_evp(jwtmint_test::p256_pem()).release();
    const auto signer = jwt::es256::from_evp_pkey(raw);
    EVP_PKEY_free(raw);  // the host drops its reference; the signer keeps its own
    auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::p256_pem()));
    const std::string sig = signer.sign("abc");
    CHECK(jwtmint_test::evp_verify_sha256(pub.get(), "abc", jwtmint_test::raw_to_der(sig)));
}

TEST_CASE("a user-written signer plugs into jwt::builder unchanged", "[signers][builder]") {
    using namespace std::chrono_literals;
    auto key = jwtmint_test::load_private_evp(jwtmint_test::rsa2048_pem());
    const evp_rs256_signer mine{key.get()};
    const auto ours = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1764000000}};

    const std::string token = jwt::builder{mine}.roles({"Support Team"}).email("ada@example.com").sign_at(now);
    const auto parts = jwtmint_test::split_token(token);
    CHECK(parts.header == R"({"alg":"RS256","typ":"JWT"})");
    auto pub = jwtmint_test::load_public_evp(openssl_public_pem(jwtmint_test::rsa2048_pem()));
    CHECK(jwtmint_test::evp_verify_sha256(pub.get(), parts.signing_input, parts.signature));
    // RS256 is deterministic: the library's own signer over the same key and claims agrees.
    CHECK(jwt::builder{ours}.roles({"Support Team"}).email("ada@example.com").sign_at(now) == token);
    CHECK(jwt::sign_compact(mine, "{}", "{}") == jwt::sign_compact(ours, "{}", "{}"));
}

TEST_CASE("a user signer whose sign returns jwt::result<std::string> signs", "[signers][builder]") {
    const std::string secret(32, 'k');
    const result_hmac_signer mine{secret};
    const auto ours = jwt::hs256::from_secret(secret);
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1764000000}};
    const auto token = jwt::builder{mine}.roles({"A"}).try_sign_at(now);
    REQUIRE(token);
    CHECK(*token == jwt::builder{ours}.roles({"A"}).sign_at(now));
    const auto parts = jwtmint_test::split_token(*token);
    CHECK(parts.signature == jwtmint_test::hmac_sha256(secret, parts.signing_input));
}

TEST_CASE("a user signer's failure becomes jwt::error signing_failed", "[signers][builder]") {
    SECTION("one that throws std::runtime_error") {
        const throwing_signer s;
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
        CHECK_ERRC(jwt::sign_compact(s, "{}", "{}"), jwt::errc::signing_failed);
        const std::string msg = message_of([&] { static_cast<void>(jwt::sign_compact(s, "{}", "{}")); });
        CHECK(msg.find("the HSM is unreachable") != std::string::npos);
        std::error_code ec;
        CHECK(jwt::builder{s}.roles({"A"}).sign(ec).empty());
        CHECK_EC(ec, jwt::errc::signing_failed);
    }
    SECTION("one that returns an empty signature") {
        const empty_signer s;
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
        CHECK_ERRC(jwt::sign_compact(s, "{}", "{}"), jwt::errc::signing_failed);
    }
    SECTION("one with the sign_to fast path that throws") {
        const throwing_fast_signer s;
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
        CHECK_ERRC(jwt::sign_compact(s, "{}", "{}"), jwt::errc::signing_failed);
        std::error_code ec;
        CHECK(jwt::builder{s}.roles({"A"}).sign(ec).empty());
        CHECK_EC(ec, jwt::errc::signing_failed);
    }
    SECTION("one with the sign_to fast path that writes nothing") {
        const empty_fast_signer s;
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
        CHECK_ERRC(jwt::sign_compact(s, "{}", "{}"), jwt::errc::signing_failed);
    }
    SECTION("one whose sign returns jwt::result: its error, code and message as it is") {
        const result_failing_signer s;
        const auto r = jwt::builder{s}.roles({"A"}).try_sign();
        REQUIRE_FALSE(r);
        CHECK_EC(r.error_code(), jwt::errc::signing_failed);
        CHECK(std::string(r.error().what()) == "the HSM session expired; log in to the token again");
        const auto c = jwt::try_sign_compact(s, "{}", "{}");
        REQUIRE_FALSE(c);
        CHECK(std::string(c.error().what()) == "the HSM session expired; log in to the token again");
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
    }
    SECTION("one whose sign_to fast path returns jwt::result") {
        const result_failing_fast_signer s;
        const auto r = jwt::builder{s}.roles({"A"}).try_sign();
        REQUIRE_FALSE(r);
        CHECK(std::string(r.error().what()) == "the KMS refused: quota exceeded");
    }
    SECTION("the thrown message reaches try_sign too") {
        const throwing_signer s;
        const auto r = jwt::builder{s}.roles({"A"}).try_sign();
        REQUIRE_FALSE(r);
        CHECK_EC(r.error_code(), jwt::errc::signing_failed);
        CHECK(std::string(r.error().what()) == "RS256 signer failed: the HSM is unreachable");
    }
    SECTION("a signer that calls itself 'none' is refused") {
        const none_signer s;
        CHECK_ERRC(jwt::builder{s}.roles({"A"}).sign(), jwt::errc::signing_failed);
    }
}
