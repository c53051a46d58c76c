// SPDX-License-Identifier: MIT
// jwt::kms_signer driven by a stand-in KMS: a key made by the openssl command line, signing with
// plain EVP and returning what AWS KMS and Google Cloud KMS return (DER for ECDSA, the PKCS#1
// octet string for RSA) or what Azure Key Vault returns (R||S). Every DER length of R and S, a
// KMS key that is not the public key's, a failing or misbehaving service, message mode, RSA
// PKCS#1 and PSS, threads; tokens checked by jwt::verifier, plain EVP and PyJWT.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>
#include <jwtmint/kms_signer.hpp>

#include "catch.hpp"
#include "core_helpers.hpp"

#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

using jwtmint_test::free_with;
using jwtmint_test::pkey_handle;

/// A stand-in for a cloud KMS key: signs with plain EVP (not jwtmint's signers) and returns the
/// octets a service returns.
class fake_kms {
public:
    fake_kms(const std::string& pem, const char* digest, bool pss = false)
        : key_(jwtmint_test::load_private_evp(pem)), digest_(digest), pss_(pss) {}

    /// Signs a digest the caller computed (AWS MessageType DIGEST, Google Cloud's digest field).
    [[nodiscard]] std::string sign_digest(std::string_view digest) const {
        return sign_digest_until(
            digest, [](const std::string&) { return true; }, 1);
    }

    /// Signs digest afresh (ECDSA is randomised) until wanted(signature), at most tries times;
    /// "" if none was wanted.
    template <class Wanted>
    [[nodiscard]] std::string sign_digest_until(std::string_view digest, Wanted wanted, int tries) const {
        std::unique_ptr<EVP_PKEY_CTX, free_with<&EVP_PKEY_CTX_free>> ctx{
            EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr)};
        REQUIRE(ctx);
        REQUIRE(EVP_PKEY_sign_init(ctx.get()) == 1);
        REQUIRE(EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_get_digestbyname(digest_)) == 1);
        if (EVP_PKEY_is_a(key_.get(), "RSA") != 0) {
            REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss_ ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1);
            if (pss_) {
                REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1);
                REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_get_digestbyname(digest_)) == 1);
            }
        }
        const auto* in = reinterpret_cast<const unsigned char*>(digest.data());
        std::size_t max = 0;
        REQUIRE(EVP_PKEY_sign(ctx.get(), nullptr, &max, in, digest.size()) == 1);
        ++calls;
        std::string out;
        for (int i = 0; i < tries; ++i) {
            out.assign(max, '\0');
            std::size_t len = max;
            if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, digest.size()) != 1) {
                FAIL("EVP_PKEY_sign failed");
            }
            out.resize(len);
            if (wanted(out)) return out;
        }
        return {};
    }

    /// Hashes and signs a message itself (AWS MessageType RAW, Google Cloud's data field).
    [[nodiscard]] std::string sign_message(std::string_view message) const {
        std::unique_ptr<EVP_MD_CTX, free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
        REQUIRE(ctx);
        REQUIRE(EVP_DigestSignInit_ex(ctx.get(), nullptr, digest_, nullptr, nullptr, key_.get(), nullptr) == 1);
        std::size_t len = 0;
        const auto* in = reinterpret_cast<const unsigned char*>(message.data());
        REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, in, message.size()) == 1);
        std::string out(len, '\0');
        REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, message.size()) == 1);
        out.resize(len);
        ++calls;
        return out;
    }

    /// The service's reply to a request: the request must be what the adapter promises.
    [[nodiscard]] std::string answer(const jwt::kms_sign_request& r) const {
        CHECK(r.digest == digest_name());
        if (r.input == jwt::kms_input::message) return sign_message(r.data);
        CHECK(r.data.size() == digest_size());
        return sign_digest(r.data);
    }

    [[nodiscard]] std::string digest_name() const {
        const std::string d = digest_;
        return d == "SHA384" ? "SHA-384" : d == "SHA512" ? "SHA-512" : "SHA-256";
    }
    [[nodiscard]] std::size_t digest_size() const {
        return static_cast<std::size_t>(EVP_MD_get_size(EVP_get_digestbyname(digest_)));
    }

    mutable std::atomic<int> calls{0};

private:
    pkey_handle key_;
    const char* digest_;
    bool pss_;
};

/// Options whose sign function is kms's.
jwt::kms_signer_options options_for(const fake_kms& kms, std::string key_name = "projects/p/keyRings/r/k/1") {
    jwt::kms_signer_options o;
    o.sign = [&kms](const jwt::kms_sign_request& r) -> jwt::result<std::string> { return kms.answer(r); };
    o.key_name = std::move(key_name);
    return o;
}

jwt::public_key public_of(const std::string& private_pem) {
    return jwt::public_key::from_pem(jwtmint_test::openssl_public_pem(private_pem));
}

bool mentions(const jwt::error& e, const std::string& text) {
    return std::string(e.what()).find(text) != std::string::npos;
}

/// A widget token minted through signer.
template <class Signer>
std::string mint(const Signer& signer, const std::string& email = "ada@example.com") {
    return jwt::builder{signer}.roles({"Accounting Team"}).email(email).expires_in(10min).sign();
}

/// The token verifies with jwt::verifier pinned to pub, and its signature with plain EVP.
template <class Alg>
void check_verifies(const std::string& token, const jwt::public_key& pub) {
    INFO(token);
    auto v = jwt::verifier<Alg>::from_key(pub);
    auto verified = v.try_verify(token);
    INFO((verified ? std::string() : std::string(verified.error().what())));
    CHECK(verified);
    if (Alg::alg == "ES256" || Alg::alg == "RS256") {
        const auto parts = jwtmint_test::split_token(token);
        CHECK(jwtmint_test::verify_jws_signature(pub.native_handle(), Alg::alg, parts.signing_input, parts.signature));
    }
}

/// The content lengths of the two INTEGERs of a DER ECDSA-Sig-Value (read here, not by jwtmint).
std::pair<std::size_t, std::size_t> der_integer_lengths(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const std::size_t pos = p[1] == 0x81 ? 3 : 2;
    const std::size_t r = p[pos + 1];
    const std::size_t s_at = pos + 2 + r;
    const std::size_t s = p[s_at + 1];
    const bool well_formed = der.size() > 8 && p[0] == 0x30 && p[pos] == 0x02 && p[s_at] == 0x02 &&
                             s_at + 2 + s == der.size();
    if (!well_formed) throw std::runtime_error("OpenSSL's DER has another shape than this test reads");
    return {r, s};
}

/// The parts, one after the other.
std::string join(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (const std::string_view p : parts) out.append(p);
    return out;
}

/// DER -> R||S with OpenSSL's d2i_ECDSA_SIG (not jwtmint's parser).
std::string openssl_der_to_raw(const std::string& der, int half) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, free_with<&ECDSA_SIG_free>> sig{
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()))};
    REQUIRE(sig);
    std::string raw(static_cast<std::size_t>(2 * half), '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, half) == half);
    REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + half, half) == half);
    return raw;
}

}  // namespace

TEST_CASE("kms_signer<es256> mints tokens that jwt::verifier and plain EVP verify", "[kms]") {
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    const auto pub = public_of(jwtmint_test::p256_pem());
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, options_for(kms));
    CHECK(kms.calls == 1);  // the start-up probe
    static_assert(jwt::is_signer_v<jwt::kms_signer<jwt::es256>>);
    static_assert(jwt::kms_signer<jwt::es256>::alg == "ES256");
    CHECK(signer.signature_size() == 64);
    CHECK(signer.public_key_pem() == jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem()));
    for (int i = 0; i < 4; ++i) check_verifies<jwt::es256>(mint(signer), pub);
    CHECK(kms.calls == 5);
}

TEST_CASE("kms_signer converts every DER length of R and S a KMS returns", "[kms][der]") {
    // The fake KMS signs each request afresh until its DER has the INTEGER lengths asked for:
    // 33 (a 0x00 before a high bit), 32, 31 and 30 octets, for R and for S. Real signatures of
    // the real key, found by search; nothing is built by hand or by jwtmint.
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    const auto pub = public_of(jwtmint_test::p256_pem());
    std::size_t want_r = 0;  // 0: any
    std::size_t want_s = 0;
    bool either = false;  // R or S of the wanted length (30 octets: 1 signature in 32768)
    std::map<std::pair<std::size_t, std::size_t>, int> seen;
    jwt::kms_signer_options o;
    o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
        std::string der = kms.sign_digest_until(
            r.data,
            [&](const std::string& sig) {
                const auto lengths = der_integer_lengths(sig);
                if (either) return lengths.first == want_r || lengths.second == want_r;
                return (want_r == 0 || lengths.first == want_r) && (want_s == 0 || lengths.second == want_s);
            },
            2000000);
        if (der.empty()) throw std::runtime_error("no signature of the wanted lengths");
        ++seen[der_integer_lengths(der)];
        return der;
    };
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, std::move(o));
    const std::vector<std::pair<std::size_t, std::size_t>> cases = {{33, 33}, {33, 32}, {32, 33}, {32, 32}, {31, 33},
                                                                    {33, 31}, {31, 32}, {32, 31}, {30, 30}};
    for (const auto& [r, s] : cases) {
        want_r = r;
        want_s = s;
        either = r == 30;
        INFO("R " << r << " octets, S " << s << " octets" << (either ? " (either)" : ""));
        const std::string token = mint(signer);
        check_verifies<jwt::es256>(token, pub);
        CHECK(jwtmint_test::split_token(token).signature.size() == 64);
    }
    for (const auto& [r, s] : cases) {
        bool found = false;
        for (const auto& [lengths, n] : seen) {
            found = found || (r == 30 ? (lengths.first == 30 || lengths.second == 30)
                                      : (lengths.first == r && lengths.second == s));
        }
        INFO("R " << r << ", S " << s);
        CHECK(found);
    }
    // Shorter lengths than 30 (1 signature in 2^23 or rarer) are checked with hand-built DER below.
}

TEST_CASE("kms_signer's DER reader takes every INTEGER length 1..33 and refuses what is not DER", "[kms][der]") {
    // Hand-built DER of each length, its expected R||S written independently (zeros, then the value).
    auto der_of = [](const std::string& r, const std::string& s) {
        std::string body;
        for (const std::string* v : {&r, &s}) {
            body += '\x02';
            body += static_cast<char>(v->size());
            body += *v;
        }
        std::string out(1, '\x30');
        if (body.size() >= 0x80) out += '\x81';
        out += static_cast<char>(body.size());
        return out + body;
    };
    auto convert = [](const std::string& der, std::string& raw) {
        raw.assign(64, '\x55');
        return jwt::detail::ecdsa_der_to_raw_strict(reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                                                    reinterpret_cast<unsigned char*>(raw.data()), 32);
    };
    using st = jwt::detail::ecdsa_der_status;
    std::string raw;
    for (std::size_t n = 1; n <= 32; ++n) {
        std::string value(n, '\x11');
        value[0] = '\x7f';  // high bit clear: no sign octet
        const std::string s(32, '\x22');
        INFO("R of " << n << " octets");
        REQUIRE(convert(der_of(value, s), raw) == st::ok);
        CHECK(raw == join({std::string(32 - n, '\0'), value, s}));
        REQUIRE(convert(der_of(s, value), raw) == st::ok);
        CHECK(raw == join({s, std::string(32 - n, '\0'), value}));
        // with the high bit set, DER needs the 0x00 sign octet (n + 1 octets, 33 at most)
        std::string high = value;
        high[0] = '\x80';
        REQUIRE(convert(der_of('\0' + high, s), raw) == st::ok);
        CHECK(raw == join({std::string(32 - n, '\0'), high, s}));
        CHECK(convert(der_of(high, s), raw) == st::negative);
        CHECK(convert(der_of(std::string(1, '\0') + value, s), raw) == st::not_minimal);
    }
    const std::string v32(32, '\x22');
    CHECK(convert(der_of(std::string("\x00\x80", 2) + v32.substr(1) + "\x01", v32), raw) == st::too_long);  // 33
    CHECK(convert(der_of(std::string(1, '\x01') + v32, v32), raw) == st::too_long);
    CHECK(convert(der_of(std::string(1, '\0'), v32), raw) ==
          st::ok);  // zero: DER's one octet (the range check refuses it)
    CHECK(convert(der_of("", v32), raw) == st::not_der);
    const std::string good = der_of(v32, v32);
    CHECK(convert(good + std::string(1, '\0'), raw) == st::not_der);                      // trailing data
    CHECK(convert(good.substr(0, good.size() - 1), raw) == st::not_der);                  // truncated
    CHECK(convert("\x31" + good.substr(1), raw) == st::not_der);                          // SET, not SEQUENCE
    CHECK(convert(std::string("\x30\x81\x44", 3) + good.substr(2), raw) == st::not_der);  // long form for 68
    CHECK(convert(std::string(), raw) == st::not_der);
}

TEST_CASE("a KMS key that is not the public key's is refused at construction", "[kms][key_mismatch]") {
    SECTION("another P-256 key") {
        const fake_kms kms(jwtmint_test::p256_other_pem(), "SHA256");
        auto made = jwt::kms_signer<jwt::es256>::try_create(public_of(jwtmint_test::p256_pem()), options_for(kms));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::key_mismatch);
        CHECK(mentions(made.error(), "do not belong together"));
        CHECK(mentions(made.error(), "projects/p/keyRings/r/k/1"));  // the key name
        CHECK(mentions(made.error(), "GetPublicKey"));
    }
    SECTION("a P-384 KMS key for ES256 (R and S too long for P-256)") {
        const fake_kms kms(jwtmint_test::p384_pem(), "SHA256");
        auto made = jwt::kms_signer<jwt::es256>::try_create(public_of(jwtmint_test::p256_pem()), options_for(kms));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::key_mismatch);
    }
    SECTION("another RSA key") {
        const fake_kms kms(jwtmint_test::rsa2048_other_pem(), "SHA256");
        auto made = jwt::kms_signer<jwt::rs256>::try_create(public_of(jwtmint_test::rsa2048_pem()), options_for(kms));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::key_mismatch);
    }
    SECTION("an RSA KMS key that signs PKCS#1 v1.5 given as PS256") {
        const fake_kms kms(jwtmint_test::rsa2048_pem(), "SHA256", /*pss=*/false);
        auto made = jwt::kms_signer<jwt::ps256>::try_create(public_of(jwtmint_test::rsa2048_pem()), options_for(kms));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::key_mismatch);
    }
    SECTION("the error_code overload") {
        const fake_kms kms(jwtmint_test::p256_other_pem(), "SHA256");
        std::error_code ec;
        auto made = jwt::kms_signer<jwt::es256>::create(public_of(jwtmint_test::p256_pem()), options_for(kms), ec);
        CHECK_FALSE(made.has_value());
        CHECK_EC(ec, jwt::errc::key_mismatch);
    }
    SECTION("the throwing form") {
        const fake_kms kms(jwtmint_test::p256_other_pem(), "SHA256");
        CHECK_ERRC(jwt::kms_signer<jwt::es256>::create(public_of(jwtmint_test::p256_pem()), options_for(kms)),
                   jwt::errc::key_mismatch);
    }
}

TEST_CASE("a public key that does not fit the algorithm is refused before the KMS is called", "[kms][keys]") {
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    auto rsa_for_es = jwt::kms_signer<jwt::es256>::try_create(public_of(jwtmint_test::rsa2048_pem()), options_for(kms));
    REQUIRE_FALSE(rsa_for_es);
    CHECK(rsa_for_es.error().value() == jwt::errc::key_algorithm_mismatch);
    CHECK(mentions(rsa_for_es.error(), "a KMS key on P-256"));
    auto p384_for_es256 = jwt::kms_signer<jwt::es256>::try_create(public_of(jwtmint_test::p384_pem()),
                                                                  options_for(kms));
    REQUIRE_FALSE(p384_for_es256);
    CHECK(p384_for_es256.error().value() == jwt::errc::key_algorithm_mismatch);
    auto weak = jwt::kms_signer<jwt::rs256>::try_create(public_of(jwtmint_test::rsa1024_pem()), options_for(kms));
    REQUIRE_FALSE(weak);
    CHECK(weak.error().value() == jwt::errc::weak_key);
    const std::string k1 = jwtmint_test::openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1");
    auto secp256k1 = jwt::kms_signer<jwt::es256>::try_create(public_of(k1), options_for(kms));  // ES256K keys
    REQUIRE_FALSE(secp256k1);
    CHECK(secp256k1.error().value() == jwt::errc::key_algorithm_mismatch);
    CHECK(kms.calls == 0);

    jwt::kms_signer_options none;
    auto no_function = jwt::kms_signer<jwt::es256>::try_create(public_of(jwtmint_test::p256_pem()), none);
    REQUIRE_FALSE(no_function);
    CHECK(no_function.error().value() == jwt::errc::invalid_setting);
}

TEST_CASE("a failing service is signing_failed with the service's message", "[kms][service]") {
    const auto pub = public_of(jwtmint_test::p256_pem());
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    const std::string denied =
        "AccessDeniedException: User arn:aws:iam::111122223333:user/app is not authorized to perform kms:Sign";

    SECTION("at construction: a std::exception") {
        jwt::kms_signer_options o;
        o.sign = [&](const jwt::kms_sign_request&) -> jwt::result<std::string> { throw std::runtime_error(denied); };
        auto made = jwt::kms_signer<jwt::es256>::try_create(pub, std::move(o));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::signing_failed);
        CHECK(mentions(made.error(), denied));
    }
    SECTION("at construction: a returned jwt::error") {
        jwt::kms_signer_options o;
        o.sign = [&](const jwt::kms_sign_request&) -> jwt::result<std::string> {
            return jwt::error(jwt::errc::key_set_unavailable, "HTTP 503 from cloudkms.googleapis.com");
        };
        auto made = jwt::kms_signer<jwt::es256>::try_create(pub, std::move(o));
        REQUIRE_FALSE(made);
        CHECK(made.error().value() == jwt::errc::signing_failed);
        CHECK(mentions(made.error(), "HTTP 503 from cloudkms.googleapis.com"));
    }
    SECTION("after construction: thrown through the builder, no token") {
        std::atomic<int> mode{0};
        jwt::kms_signer_options o;
        o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
            if (mode == 1) throw std::runtime_error(denied);
            if (mode == 2) throw 42;  // NOLINT(hicpp-exception-baseclass): a service that throws no std::exception
            return kms.answer(r);
        };
        const auto signer = jwt::kms_signer<jwt::es256>::create(pub, std::move(o));
        mode = 1;
        jwt::builder b{signer};
        b.roles({"Accounting Team"}).email("ada@example.com").expires_in(10min);
        auto token = b.try_sign();
        REQUIRE_FALSE(token);
        CHECK(token.error().value() == jwt::errc::signing_failed);
        CHECK(mentions(token.error(), denied));
        CHECK_ERRC(mint(signer), jwt::errc::signing_failed);
        std::error_code ec;
        CHECK(signer.sign("input", ec).empty());
        CHECK_EC(ec, jwt::errc::signing_failed);
        mode = 2;
        auto odd = signer.try_sign("input");
        REQUIRE_FALSE(odd);
        CHECK(odd.error().value() == jwt::errc::signing_failed);
        mode = 0;
        check_verifies<jwt::es256>(mint(signer), pub);  // the service is back
    }
}

TEST_CASE("a service whose replies go wrong after start-up: signing_failed, nothing returned", "[kms][service]") {
    const auto pub = public_of(jwtmint_test::p256_pem());
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    const fake_kms other(jwtmint_test::p256_other_pem(), "SHA256");
    std::atomic<int> mode{0};
    jwt::kms_signer_options o;
    o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
        switch (mode.load()) {
            case 1: return std::string();                               // empty
            case 2: return std::string(70, '\x5a');                     // garbage
            case 3: return kms.sign_digest(std::string(32, '\x01'));    // a signature of something else
            case 4: return other.answer(r);                             // the key was swapped
            case 5: return jwtmint_test::b64url_encode(kms.answer(r));  // base64 text, not octets
            case 6: return openssl_der_to_raw(kms.answer(r), 32);       // R||S where DER is configured
            default: return kms.answer(r);
        }
    };
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, std::move(o));
    const std::map<int, std::string> expected = {{1, "empty"},
                                                 {2, "not a DER ECDSA signature"},
                                                 {3, "does not verify with the configured public key"},
                                                 {4, "does not verify with the configured public key"},
                                                 {5, "base64"},
                                                 {6, "kms_signature_format::raw"}};
    for (const auto& [m, text] : expected) {
        mode = m;
        INFO("mode " << m);
        auto sig = signer.try_sign("header.payload");
        REQUIRE_FALSE(sig);
        CHECK(sig.error().value() == jwt::errc::signing_failed);
        INFO(sig.error().what());
        CHECK(mentions(sig.error(), text));
        jwt::builder b{signer};
        b.allow_missing_roles();
        CHECK_FALSE(b.try_sign());
    }
    mode = 0;
    check_verifies<jwt::es256>(mint(signer), pub);
}

TEST_CASE("Azure Key Vault's R||S form, and a format mismatch named at start-up", "[kms][raw]") {
    const auto pub = public_of(jwtmint_test::p256_pem());
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    auto raw_options = [&](bool raw_reply) {
        jwt::kms_signer_options o;
        o.signature_format = jwt::kms_signature_format::raw;
        o.sign = [&kms, raw_reply](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
            const std::string der = kms.answer(r);
            return raw_reply ? openssl_der_to_raw(der, 32) : der;
        };
        return o;
    };
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, raw_options(true));
    for (int i = 0; i < 4; ++i) check_verifies<jwt::es256>(mint(signer), pub);

    auto der_to_raw_signer = jwt::kms_signer<jwt::es256>::try_create(pub, raw_options(false));
    REQUIRE_FALSE(der_to_raw_signer);
    CHECK(der_to_raw_signer.error().value() == jwt::errc::signing_failed);
    CHECK(mentions(der_to_raw_signer.error(), "kms_signature_format::der"));

    jwt::kms_signer_options der_options;  // DER configured, R||S returned
    der_options.sign = raw_options(true).sign;
    auto raw_to_der_signer = jwt::kms_signer<jwt::es256>::try_create(pub, std::move(der_options));
    REQUIRE_FALSE(raw_to_der_signer);
    CHECK(raw_to_der_signer.error().value() == jwt::errc::signing_failed);
    CHECK(mentions(raw_to_der_signer.error(), "kms_signature_format::raw"));
}

TEST_CASE("message mode hands the KMS the signing input, which it hashes itself", "[kms][message]") {
    const auto pub = public_of(jwtmint_test::p256_pem());
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    std::mutex m;
    std::string last;
    jwt::kms_signer_options o = options_for(kms);
    o.input = jwt::kms_input::message;
    o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
        CHECK(r.input == jwt::kms_input::message);
        CHECK(r.alg == "ES256");
        const std::lock_guard<std::mutex> lock(m);
        last = std::string(r.data);
        return kms.answer(r);
    };
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, std::move(o));
    const std::string token = mint(signer);
    check_verifies<jwt::es256>(token, pub);
    CHECK(last == jwtmint_test::split_token(token).signing_input);
}

TEST_CASE("RSA PKCS#1 v1.5 and PSS through a KMS, a reply without its leading zero octets", "[kms][rsa]") {
    const auto pub = public_of(jwtmint_test::rsa2048_pem());
    SECTION("RS256, RS384, RS512") {
        const fake_kms k256(jwtmint_test::rsa2048_pem(), "SHA256");
        const fake_kms k384(jwtmint_test::rsa2048_pem(), "SHA384");
        const fake_kms k512(jwtmint_test::rsa2048_pem(), "SHA512");
        check_verifies<jwt::rs256>(mint(jwt::kms_signer<jwt::rs256>::create(pub, options_for(k256))), pub);
        check_verifies<jwt::rs384>(mint(jwt::kms_signer<jwt::rs384>::create(pub, options_for(k384))), pub);
        check_verifies<jwt::rs512>(mint(jwt::kms_signer<jwt::rs512>::create(pub, options_for(k512))), pub);
        // RS256 is deterministic: the KMS's signature equals jwtmint's own signer's.
        const auto own = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
        const auto kms_signer = jwt::kms_signer<jwt::rs256>::create(pub, options_for(k256));
        CHECK(kms_signer.sign("a.b") == own.sign("a.b"));
    }
    SECTION("PS256, PS384, PS512") {
        const fake_kms k256(jwtmint_test::rsa2048_pem(), "SHA256", true);
        const fake_kms k384(jwtmint_test::rsa2048_pem(), "SHA384", true);
        const fake_kms k512(jwtmint_test::rsa2048_pem(), "SHA512", true);
        check_verifies<jwt::ps256>(mint(jwt::kms_signer<jwt::ps256>::create(pub, options_for(k256))), pub);
        check_verifies<jwt::ps384>(mint(jwt::kms_signer<jwt::ps384>::create(pub, options_for(k384))), pub);
        check_verifies<jwt::ps512>(mint(jwt::kms_signer<jwt::ps512>::create(pub, options_for(k512))), pub);
    }
    SECTION("a service that drops leading zero octets: the signature is made whole again") {
        const fake_kms kms(jwtmint_test::rsa2048_pem(), "SHA256");
        std::atomic<int> stripped{0};
        jwt::kms_signer_options o;
        o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
            std::string sig = kms.answer(r);
            const auto first = sig.find_first_not_of('\0');
            if (first > 0) ++stripped;
            return sig.substr(first);
        };
        const auto signer = jwt::kms_signer<jwt::rs256>::create(pub, std::move(o));
        std::string token;
        for (int i = 0; i < 4000 && stripped == 0; ++i)
            token = mint(signer, "user" + std::to_string(i) + "@example.com");
        REQUIRE(stripped > 0);  // about 1 signature in 256 starts with 0x00
        const auto parts = jwtmint_test::split_token(token);
        CHECK(parts.signature.size() == 256);
        CHECK(parts.signature[0] == '\0');
        check_verifies<jwt::rs256>(token, pub);
    }
    SECTION("a reply longer than the modulus") {
        const fake_kms kms(jwtmint_test::rsa2048_pem(), "SHA256");
        std::atomic<bool> longer{false};
        jwt::kms_signer_options o;
        o.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
            return longer ? std::string(1, '\0') + kms.answer(r) : kms.answer(r);
        };
        const auto signer = jwt::kms_signer<jwt::rs256>::create(pub, std::move(o));
        longer = true;
        auto sig = signer.try_sign("a.b");
        REQUIRE_FALSE(sig);
        CHECK(sig.error().value() == jwt::errc::signing_failed);
        CHECK(mentions(sig.error(), "257 octets"));
    }
}

TEST_CASE("ES384 and ES512 through a KMS (P-521's DER has a long-form length)", "[kms][curves]") {
    const auto p384 = public_of(jwtmint_test::p384_pem());
    const auto p521 = public_of(jwtmint_test::p521_pem());
    const fake_kms k384(jwtmint_test::p384_pem(), "SHA384");
    const fake_kms k521(jwtmint_test::p521_pem(), "SHA512");
    const auto s384 = jwt::kms_signer<jwt::es384>::create(p384, options_for(k384));
    const auto s521 = jwt::kms_signer<jwt::es512>::create(p521, options_for(k521));
    for (int i = 0; i < 8; ++i) {
        check_verifies<jwt::es384>(mint(s384), p384);
        check_verifies<jwt::es512>(mint(s521), p521);
    }
}

TEST_CASE("PyJWT verifies tokens minted through a KMS", "[kms][interop]") {
    const std::string p256_pub = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());
    const std::string p384_pub = jwtmint_test::openssl_public_pem(jwtmint_test::p384_pem());
    const std::string p521_pub = jwtmint_test::openssl_public_pem(jwtmint_test::p521_pem());
    const std::string rsa_pub = jwtmint_test::openssl_public_pem(jwtmint_test::rsa2048_pem());
    const fake_kms es(jwtmint_test::p256_pem(), "SHA256");
    const fake_kms es384(jwtmint_test::p384_pem(), "SHA384");
    const fake_kms es512(jwtmint_test::p521_pem(), "SHA512");
    const fake_kms rs(jwtmint_test::rsa2048_pem(), "SHA256");
    const fake_kms ps(jwtmint_test::rsa2048_pem(), "SHA256", true);

    nlohmann::json manifest = nlohmann::json::array();
    auto add = [&](const std::string& alg, const std::string& token, const std::string& key) {
        manifest.push_back({{"alg", alg}, {"token", token}, {"key", key}});
    };
    for (int i = 0; i < 3; ++i) {
        add("ES256", mint(jwt::kms_signer<jwt::es256>::create(jwt::public_key::from_pem(p256_pub), options_for(es))),
            p256_pub);
    }
    add("ES384", mint(jwt::kms_signer<jwt::es384>::create(jwt::public_key::from_pem(p384_pub), options_for(es384))),
        p384_pub);
    add("ES512", mint(jwt::kms_signer<jwt::es512>::create(jwt::public_key::from_pem(p521_pub), options_for(es512))),
        p521_pub);
    add("RS256", mint(jwt::kms_signer<jwt::rs256>::create(jwt::public_key::from_pem(rsa_pub), options_for(rs))),
        rsa_pub);
    add("PS256", mint(jwt::kms_signer<jwt::ps256>::create(jwt::public_key::from_pem(rsa_pub), options_for(ps))),
        rsa_pub);
    jwt::kms_signer_options azure;
    azure.signature_format = jwt::kms_signature_format::raw;
    azure.sign = [&](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
        return openssl_der_to_raw(es.answer(r), 32);
    };
    add("ES256", mint(jwt::kms_signer<jwt::es256>::create(jwt::public_key::from_pem(p256_pub), std::move(azure))),
        p256_pub);

    jwtmint_test::check_with_pyjwt(JWTMINT_PYJWT_SCRIPT, manifest.dump(2), manifest.size());
}

TEST_CASE("one kms_signer shared by threads; a key ring publishes its public key", "[kms][threads]") {
    const auto pub = public_of(jwtmint_test::p256_pem());
    const fake_kms kms(jwtmint_test::p256_pem(), "SHA256");
    const auto signer = jwt::kms_signer<jwt::es256>::create(pub, options_for(kms));
    constexpr int threads = 4;
    constexpr int per_thread = 40;
    std::vector<std::vector<std::string>> tokens(threads);
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&signer, &tokens, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto token = jwt::builder{signer}
                                 .roles({"Accounting Team"})
                                 .email("t" + std::to_string(t) + "@example.com")
                                 .expires_in(10min)
                                 .try_sign();
                tokens[static_cast<std::size_t>(t)].push_back(token ? *token : std::string());
            }
        });
    }
    for (auto& th : pool) th.join();
    const auto v = jwt::verifier<jwt::es256>::from_key(pub);
    int verified = 0;
    for (const auto& list : tokens) {
        for (const auto& token : list) verified += v.try_verify(token) ? 1 : 0;
    }
    CHECK(verified == threads * per_thread);
    CHECK(kms.calls == 1 + threads * per_thread);

    // The ring takes the KMS signer's public key itself (no separate public key to give).
    const auto ring = jwt::key_ring<jwt::kms_signer<jwt::es256>>::create(signer);
    const auto set = jwt::jwks_verifier<>::from_jwks(ring.public_jwks());
    const std::string token = jwt::builder{ring}.roles({"Accounting Team"}).expires_in(10min).sign();
    CHECK(set.try_verify(token));
    CHECK(ring.current_key().key_id() == jwt::jwk_thumbprint(pub));
}
