// SPDX-License-Identifier: MIT
// The PKCS#11 signers against a SoftHSM token that hsm_test.py prepared: tokens minted by
// jwt::builder with keys that stay in the token, verified with public keys pkcs11-tool exported;
// every error path down to its errc; one signer on four threads.
//
// Needs JWTMINT_HSM_MODULE, _TOKEN, _PIN, _RSA_KEY, _EC_KEY, _WEAK_RSA_KEY, _RSA_PUB, _EC_PUB (set
// by hsm_test.py, which runs each test case in a process of its own: PKCS#11 logins are per
// process).
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#include "catch.hpp"
#include "pkcs11_signer.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;

// The point of the example: user-written types that meet jwtmint's signer requirements.
static_assert(jwt::is_signer_v<hsm::pkcs11_rs256>);
static_assert(jwt::is_signer_v<hsm::pkcs11_es256>);

std::string env(const char* name) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): only the main thread reads it
    INFO("environment variable " << name << " (set by hsm_test.py)");
    REQUIRE(v != nullptr);
    return v;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

hsm::pkcs11_token open_token() {
    return hsm::pkcs11_token::open(env("JWTMINT_HSM_MODULE"), env("JWTMINT_HSM_TOKEN"), env("JWTMINT_HSM_PIN"));
}

/// The third segment of a compact token, decoded.
std::string signature_of(const std::string& token) { return jwt::base64url_decode(token.substr(token.rfind('.') + 1)); }

template <class Code>
void check_error(const jwt::error& e, Code expected, const std::string& must_mention) {
    INFO(e.what());
    CHECK(e.code() == expected);
    CHECK(std::string(e.what()).find(must_mention) != std::string::npos);
}

}  // namespace

TEST_CASE("RS256 in the token: jwt::builder takes the signer unchanged", "[hsm]") {
    const auto token = open_token();
    const auto signer = hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));

    const std::string jwt_text = jwt::builder{signer}
                                     .roles({"Accounting Team", "Support Team"})
                                     .email("ada@example.com")
                                     .expires_in(10min)
                                     .sign();
    CHECK(signature_of(jwt_text).size() == 256);

    // Verified with the public key pkcs11-tool read from the token, not with the signer's own.
    const std::string exported = read_file(env("JWTMINT_HSM_RSA_PUB"));
    const auto verified = jwt::verifier<jwt::rs256>::from_pem(exported).verify(jwt_text);
    CHECK(verified.header().at("alg") == "RS256");
    CHECK(verified.roles() == std::vector<std::string>{"Accounting Team", "Support Team"});
    CHECK(verified.identity() == "ada@example.com");
    CHECK(verified.lifetime() == std::chrono::seconds(600));

    // The signer's public key (libp11 → jwt::public_key → SPKI PEM) is the one in the token.
    CHECK(signer.public_key().to_pem() == jwt::public_key::from_pem(exported).to_pem());
    CHECK(signer.public_key().info().bits == 2048);
}

TEST_CASE("ES256 in the token: raw R||S that jwtmint's verifier accepts", "[hsm]") {
    const auto token = open_token();
    const auto signer = hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
    const std::string jwt_text = jwt::builder{signer}.roles({"Support Team"}).email("ada@example.com").sign();
    CHECK(signature_of(jwt_text).size() == 64);  // RFC 7518 §3.4, not DER

    const std::string exported = read_file(env("JWTMINT_HSM_EC_PUB"));
    const auto verified = jwt::verifier<jwt::es256>::from_pem(exported).verify(jwt_text);
    CHECK(verified.header().at("alg") == "ES256");
    CHECK(verified.roles() == std::vector<std::string>{"Support Team"});
    CHECK(signer.public_key().to_pem() == jwt::public_key::from_pem(exported).to_pem());

    // A signature from this key does not verify under another key: the verifier is not a rubber
    // stamp.
    const auto other = jwt::verifier<jwt::es256>::from_key(
        jwt::public_key::from_private(jwt::private_key::generate_ec_p256()));
    std::error_code ec;
    CHECK_FALSE(other.verify(jwt_text, ec).has_value());
    CHECK(ec == jwt::errc::invalid_signature);
}

TEST_CASE("a wrong PIN is refused as bad_passphrase", "[hsm][errors]") {
    try {
        (void)hsm::pkcs11_token::open(env("JWTMINT_HSM_MODULE"), env("JWTMINT_HSM_TOKEN"), "000000");
        FAIL("a wrong PIN was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::bad_passphrase, "refused the user PIN");
    }
}

TEST_CASE("the error_code overload reports a wrong PIN without throwing", "[hsm][errors]") {
    std::error_code ec;
    const auto token = hsm::pkcs11_token::open(env("JWTMINT_HSM_MODULE"), env("JWTMINT_HSM_TOKEN"), "999999", ec);
    CHECK_FALSE(token.has_value());
    CHECK(ec == jwt::errc::bad_passphrase);
}

TEST_CASE("a key label that is not on the token is refused as invalid_key", "[hsm][errors]") {
    const auto token = open_token();
    try {
        (void)hsm::pkcs11_rs256::from_token(token, "no-such-key");
        FAIL("a missing key was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::invalid_key, "no private key labelled 'no-such-key'");
        // and it lists what is there
        CHECK(std::string(e.what()).find("'" + env("JWTMINT_HSM_RSA_KEY") + "'") != std::string::npos);
    }
    std::error_code ec;
    CHECK_FALSE(hsm::pkcs11_es256::from_token(token, "no-such-key", ec).has_value());
    CHECK(ec == jwt::errc::invalid_key);
}

TEST_CASE("a token label that is not in the module is refused as invalid_key", "[hsm][errors]") {
    try {
        (void)hsm::pkcs11_token::open(env("JWTMINT_HSM_MODULE"), "no-such-token", env("JWTMINT_HSM_PIN"));
        FAIL("a missing token was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::invalid_key, "no initialised token labelled 'no-such-token'");
        CHECK(std::string(e.what()).find("'" + env("JWTMINT_HSM_TOKEN") + "'") != std::string::npos);
    }
}

TEST_CASE("a module path that is no PKCS#11 module is refused as key_file_error", "[hsm][errors]") {
    try {
        (void)hsm::pkcs11_token::open("/nonexistent/libpkcs11.so", env("JWTMINT_HSM_TOKEN"), env("JWTMINT_HSM_PIN"));
        FAIL("a missing module was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::key_file_error, "check the module path");
    }
}

TEST_CASE("a key of the wrong type or size for the algorithm is refused", "[hsm][errors]") {
    const auto token = open_token();
    try {
        (void)hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
        FAIL("an EC key was accepted for RS256");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::key_algorithm_mismatch, "RS256 needs RSA");
    }
    try {
        (void)hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));
        FAIL("an RSA key was accepted for ES256");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::key_algorithm_mismatch, "ES256 needs EC on P-256");
    }
    try {
        (void)hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_WEAK_RSA_KEY"));
        FAIL("a 1024-bit RSA key was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::weak_key, "1024 bits");
    }
}

TEST_CASE("opening a token that is already open in the process is refused", "[hsm][errors]") {
    const auto token = open_token();
    try {
        (void)open_token();
        FAIL("a second login on the same token was allowed");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::invalid_key, "already open in this process");
    }
    // The first one is untouched: it still signs.
    // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what is tested
    const auto copy = token;  // copies share the login
    const auto signer = hsm::pkcs11_es256::from_token(copy, env("JWTMINT_HSM_EC_KEY"));
    CHECK(signer.sign("x").size() == 64);
}

namespace {
constexpr int thread_count = 4;
constexpr int tokens_per_thread = 50;

/// What one thread minted; Catch's assertions are not thread-safe, so threads only record.
struct thread_result {
    std::vector<std::string> tokens;
    std::string failure;
};

/// Starts thread_count threads that each mint tokens_per_thread tokens with the one signer,
/// each with its own jti, prefixed by tag.
template <class Signer>
void start_minting(const Signer& signer, const std::string& tag, std::vector<thread_result>& results,
                   std::vector<std::thread>& pool) {
    for (int t = 0; t < thread_count; ++t) {
        pool.emplace_back([&signer, &results, tag, t] {
            auto& mine = results[static_cast<std::size_t>(t)];
            try {
                for (int i = 0; i < tokens_per_thread; ++i) {
                    mine.tokens.push_back(jwt::builder{signer}
                                              .roles({"Support Team"})
                                              .email("ada@example.com")
                                              .jwt_id(tag + "-" + std::to_string(t) + "-" + std::to_string(i))
                                              .sign());
                }
            } catch (const std::exception& e) {
                mine.failure = e.what();
            }
        });
    }
}

/// On the main thread: every token verifies under the exported key and all jti are distinct.
template <class Algorithm>
void check_minted(const std::vector<thread_result>& results, const std::string& public_pem) {
    const auto verifier = jwt::verifier<Algorithm>::from_pem(public_pem);
    std::set<std::string> jtis;
    for (std::size_t t = 0; t < results.size(); ++t) {
        INFO(Algorithm::alg << " thread " << t);
        CHECK(results[t].failure.empty());
        CHECK(results[t].tokens.size() == static_cast<std::size_t>(tokens_per_thread));
        for (const auto& text : results[t].tokens) {
            std::error_code ec;
            const auto v = verifier.verify(text, ec);
            INFO(ec.message());
            REQUIRE(v.has_value());
            jtis.insert(v->jwt_id().value_or(""));
        }
    }
    CHECK(jtis.size() == static_cast<std::size_t>(thread_count * tokens_per_thread));
}
}  // namespace

TEST_CASE("one signer of each kind shared by 4 threads minting 50 tokens each and all at once", "[hsm][concurrency]") {
    const auto token = open_token();
    const auto rs = hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));
    const auto es = hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
    const std::string rs_pub = read_file(env("JWTMINT_HSM_RSA_PUB"));
    const std::string es_pub = read_file(env("JWTMINT_HSM_EC_PUB"));

    // Eight threads on two keys that share the token's one session.
    std::vector<thread_result> rs_results(thread_count), es_results(thread_count);
    std::vector<std::thread> pool;
    start_minting(rs, "rs", rs_results, pool);
    start_minting(es, "es", es_results, pool);
    for (auto& th : pool) th.join();

    check_minted<jwt::rs256>(rs_results, rs_pub);
    check_minted<jwt::es256>(es_results, es_pub);
}
