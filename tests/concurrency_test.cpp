// SPDX-License-Identifier: MIT
// One signer shared by 8 threads minting 10,000 tokens in all, for each of RS256, ES256 and HS256;
// every token checked with plain OpenSSL EVP (no jwtmint code) and against the claims its thread
// asked for. Tagged [concurrency] so that it can be run alone under ThreadSanitizer.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr int thread_count = 8;
constexpr int token_count = 10000;
constexpr std::int64_t t0 = 1764000000;

/// What one thread saw; Catch's assertions are not thread-safe, so threads only record.
struct thread_result {
    std::vector<std::string> tokens;
    int failures = 0;
    std::string first_failure;
    void fail(const std::string& why) {
        if (failures++ == 0) first_failure = why;
    }
};

/// R||S -> DER with OpenSSL's ECDSA_SIG, returning "" on failure (no Catch macros: runs on threads).
std::string der_of(std::string_view raw) {
    if (raw.size() != 64) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    std::unique_ptr<ECDSA_SIG, jwtmint_test::free_with<&ECDSA_SIG_free>> sig{ECDSA_SIG_new()};
    BIGNUM* r = BN_bin2bn(p, 32, nullptr);
    BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return {};
    }
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(sig.get(), &der);
    if (n <= 0) return {};
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

/// HMAC-SHA-256 with EVP_Q_mac; "" on failure.
std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &len) == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

struct independent_verifier {
    std::string alg;
    EVP_PKEY* pub = nullptr;  // RS256 / ES256
    std::string secret;       // HS256

    /// Checks one token: the header, the exact payload, and the signature.
    bool check(const std::string& token, const std::string& expected_payload, std::string& why) const {
        const auto d1 = token.find('.');
        const auto d2 = token.find('.', d1 + 1);
        if (d1 == std::string::npos || d2 == std::string::npos || token.find('.', d2 + 1) != std::string::npos) {
            why = "not three segments: " + token;
            return false;
        }
        try {
            const std::string header = jwtmint_test::b64url_decode(std::string_view(token).substr(0, d1));
            const std::string payload = jwtmint_test::b64url_decode(std::string_view(token).substr(d1 + 1,
                                                                                                   d2 - d1 - 1));
            const std::string sig = jwtmint_test::b64url_decode(std::string_view(token).substr(d2 + 1));
            const std::string input = token.substr(0, d2);
            if (header != R"({"alg":")" + alg + R"(","typ":"JWT"})") {
                why = "header " + header;
                return false;
            }
            if (payload != expected_payload) {
                why = "payload " + payload + " instead of " + expected_payload;
                return false;
            }
            bool ok = false;
            if (alg == "HS256") {
                ok = sig == hmac(secret, input);
            } else {
                const std::string checked = alg == "ES256" ? der_of(sig) : sig;
                ok = !checked.empty() && jwtmint_test::evp_verify_sha256(pub, input, checked);
            }
            if (!ok) why = "signature does not verify: " + token;
            return ok;
        } catch (const std::exception& e) {
            why = std::string("undecodable token: ") + e.what();
            return false;
        }
    }
};

std::string expected_payload(int thread, int i) {
    const std::string t = std::to_string(thread);
    return R"({"email":"user)" + t + R"(@example.com","roles":["Team )" + t + R"(","Support"],"jti":")" + t + "-" +
           std::to_string(i) + R"(","iat":)" + std::to_string(t0) + R"(,"exp":)" + std::to_string(t0 + 600) + "}";
}

template <class Signer>
void mint_in_threads(const Signer& signer, const independent_verifier& verifier) {
    using namespace std::chrono_literals;
    jwtmint_test::fixed_clock::set(t0);  // written before the threads start, only read by them
    std::vector<thread_result> results(thread_count);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(thread_count));
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            thread_result& out = results[static_cast<std::size_t>(t)];
            const int n = token_count / thread_count + (t < token_count % thread_count ? 1 : 0);
            out.tokens.reserve(static_cast<std::size_t>(n));
            ready.fetch_add(1);
            while (ready.load() < thread_count) std::this_thread::yield();  // start together
            const std::string ts = std::to_string(t);
            for (int i = 0; i < n; ++i) {
                try {
                    out.tokens.push_back(jwt::builder<Signer, jwtmint_test::fixed_clock>{signer}
                                             .roles({"Team " + ts, std::string("Support")})
                                             .email("user" + ts + "@example.com")
                                             .jwt_id(ts + "-" + std::to_string(i))
                                             .expires_in(10min)
                                             .sign());
                } catch (const std::exception& e) {
                    out.fail(std::string("sign threw: ") + e.what());
                    out.tokens.emplace_back();
                }
            }
            // verify on the same thread, concurrently with the others still signing
            for (int i = 0; i < n; ++i) {
                std::string why;
                if (!verifier.check(out.tokens[static_cast<std::size_t>(i)], expected_payload(t, i), why))
                    out.fail(why);
            }
        });
    }
    for (auto& th : threads) th.join();

    std::set<std::string> distinct;
    std::size_t total = 0;
    for (int t = 0; t < thread_count; ++t) {
        const auto& r = results[static_cast<std::size_t>(t)];
        INFO("thread " << t << ": " << r.first_failure);
        CHECK(r.failures == 0);
        total += r.tokens.size();
        distinct.insert(r.tokens.begin(), r.tokens.end());
    }
    CHECK(total == static_cast<std::size_t>(token_count));
    CHECK(distinct.size() == static_cast<std::size_t>(token_count));  // every jti differs, so every token does
}

}  // namespace

TEST_CASE("RS256: one signer, 8 threads, 10,000 tokens, each verified", "[concurrency]") {
    const auto signer = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    auto pub = jwtmint_test::load_public_evp(jwtmint_test::openssl_public_pem(jwtmint_test::rsa2048_pem()));
    mint_in_threads(signer, independent_verifier{"RS256", pub.get(), {}});
}

TEST_CASE("ES256: one signer, 8 threads, 10,000 tokens, each verified", "[concurrency]") {
    const auto signer = jwt::es256::from_pem(jwtmint_test::p256_pem());
    auto pub = jwtmint_test::load_public_evp(jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem()));
    mint_in_threads(signer, independent_verifier{"ES256", pub.get(), {}});
}

TEST_CASE("HS256: one signer, 8 threads, 10,000 tokens, each verified", "[concurrency]") {
    const std::string secret = "concurrency-test-secret-0123456789abcdef";
    const auto signer = jwt::hs256::from_secret(secret);
    mint_in_threads(signer, independent_verifier{"HS256", nullptr, secret});
}

namespace {
// Counts the objects alive, so a test can see the shared one destroyed exactly once.
struct counted {
    explicit counted(std::atomic<int>& alive, int value) : alive_(alive), value_(value) { ++alive_; }
    counted(const counted&) = delete;
    counted& operator=(const counted&) = delete;
    ~counted() { --alive_; }
    [[nodiscard]] int value() const { return value_; }

private:
    std::atomic<int>& alive_;
    int value_;
};
}  // namespace

TEST_CASE("signer state shared by copies made and dropped on 8 threads is destroyed once, by the last",
          "[concurrency]") {
    std::atomic<int> alive{0};
    {
        auto shared = jwt::detail::shared_const<counted>::make(alive, 42);
        CHECK(alive == 1);
        std::vector<std::thread> threads;
        std::atomic<int> wrong{0};
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&shared, &wrong] {
                for (int i = 0; i < 20000; ++i) {
                    jwt::detail::shared_const<counted> copy = shared;  // copy, then move, then drop
                    jwt::detail::shared_const<counted> moved = std::move(copy);
                    // A moved-from reference is empty: that is what this checks.
                    if (copy || !moved || moved->value() != 42) ++wrong;  // NOLINT(bugprone-use-after-move)
                }
            });
        }
        for (auto& th : threads) th.join();
        CHECK(wrong == 0);
        CHECK(alive == 1);
        auto other = jwt::detail::shared_const<counted>::make(alive, 7);
        CHECK(alive == 2);
        other = shared;  // the 7 is released, the 42 now has two owners
        CHECK(alive == 1);
        CHECK(other->value() == 42);
        const auto& same = other;
        other = same;  // assignment to itself keeps it
        CHECK(other.get() == shared.get());
        CHECK(alive == 1);
    }
    CHECK(alive == 0);
}
