// SPDX-License-Identifier: MIT
// The PKCS#11 signers against a SoftHSM token that hsm_test.py prepared: tokens minted by
// jwt::builder with keys that stay in the token, verified with public keys pkcs11-tool exported;
// every error path down to its errc; more threads than the token has pooled sessions; sessions
// closed under the signer; a token without the preferred mechanisms.
//
// Needs JWTMINT_HSM_MODULE, _TOKEN, _PIN, _RSA_KEY, _EC_KEY, _WEAK_RSA_KEY, _RSA_PUB, _EC_PUB,
// _MISMATCH_KEY, _ORPHAN_KEY, _CONF_WITHOUT_MECHANISMS (set by hsm_test.py, which runs each test
// case in a process of its own: PKCS#11 logins are per process).
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#include "catch.hpp"
#include "pkcs11_signer.hpp"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
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

/// The pool bound pkcs11_signer.hpp documents: at most 4 signing sessions per token.
constexpr std::size_t documented_pool_bound = 4;

/// The PKCS#11 module called directly, not through the signer: dlopen gives this process's one
/// copy of the library, so this sees (and can close) the signer's sessions, as an operator's tool
/// or a token removal would.
class module_peek {
public:
    explicit module_peek(const std::string& path) : library_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        REQUIRE(library_ != nullptr);
        CK_C_GetFunctionList get_list = nullptr;
        void* symbol = dlsym(library_, "C_GetFunctionList");
        static_assert(sizeof symbol == sizeof get_list);
        std::memcpy(&get_list, &symbol, sizeof get_list);  // object to function pointer, as POSIX allows
        REQUIRE(get_list != nullptr);
        REQUIRE(get_list(&f_) == CKR_OK);
        CK_C_INITIALIZE_ARGS init{};
        init.flags = CKF_OS_LOCKING_OK;
        const CK_RV rv = f_->C_Initialize(&init);
        REQUIRE((rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED));
        finalize_ = rv == CKR_OK;
    }
    module_peek(const module_peek&) = delete;
    module_peek& operator=(const module_peek&) = delete;
    module_peek(module_peek&&) = delete;
    module_peek& operator=(module_peek&&) = delete;
    ~module_peek() {
        if (finalize_) static_cast<void>(f_->C_Finalize(nullptr));
        static_cast<void>(dlclose(library_));
    }

    [[nodiscard]] CK_FUNCTION_LIST_PTR f() const noexcept { return f_; }
    /// Whether this peek initialised the module (it was not initialised before).
    [[nodiscard]] bool initialised_here() const noexcept { return finalize_; }

    [[nodiscard]] CK_SLOT_ID slot_of(const std::string& label) const {
        CK_ULONG count = 0;
        REQUIRE(f_->C_GetSlotList(CK_TRUE, nullptr, &count) == CKR_OK);
        std::vector<CK_SLOT_ID> slots(count);
        REQUIRE(f_->C_GetSlotList(CK_TRUE, slots.data(), &count) == CKR_OK);
        for (CK_ULONG i = 0; i < count; ++i) {
            CK_TOKEN_INFO info{};
            if (f_->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
            std::string text(reinterpret_cast<const char*>(info.label), sizeof info.label);
            text.erase(text.find_last_not_of(' ') + 1);
            if (text == label) return slots[i];
        }
        FAIL("no token labelled " << label);
        return 0;
    }

    /// The sessions open on slot. PKCS#11 cannot list them; SoftHSM numbers sessions and objects
    /// from one counter starting at 1 and never reuses a number, so every handle up to a bound
    /// far above what these tests make is asked about.
    [[nodiscard]] std::vector<CK_SESSION_HANDLE> sessions_on(CK_SLOT_ID slot) const {
        std::vector<CK_SESSION_HANDLE> out;
        for (CK_SESSION_HANDLE h = 1; h <= 20000; ++h) {
            CK_SESSION_INFO info{};
            if (f_->C_GetSessionInfo(h, &info) == CKR_OK && info.slotID == slot) out.push_back(h);
        }
        return out;
    }

    /// Whether the token lists the mechanism (C_GetMechanismList) as one it offers.
    [[nodiscard]] bool offers(CK_SLOT_ID slot, CK_MECHANISM_TYPE mechanism) const {
        CK_ULONG count = 0;
        REQUIRE(f_->C_GetMechanismList(slot, nullptr, &count) == CKR_OK);
        std::vector<CK_MECHANISM_TYPE> list(count);
        REQUIRE(f_->C_GetMechanismList(slot, list.data(), &count) == CKR_OK);
        return std::find(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(count), mechanism) !=
               list.begin() + static_cast<std::ptrdiff_t>(count);
    }

private:
    void* library_;
    CK_FUNCTION_LIST_PTR f_ = nullptr;
    bool finalize_ = false;
};

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

    // The signer's public key (token numbers → jwt::public_key → SPKI PEM) is the one in the token.
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
        check_error(e, jwt::errc::bad_passphrase, "CKR_PIN_INCORRECT");  // the module's own word for it
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
// More threads than the token's pool has sessions, so that threads wait for one to come back.
constexpr int thread_count = 10;
constexpr int tokens_per_thread = 20;
static_assert(thread_count > static_cast<int>(documented_pool_bound));

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

TEST_CASE("one signer of each kind shared by 10 threads minting 20 tokens each and all at once", "[hsm][concurrency]") {
    const auto token = open_token();
    const auto rs = hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));
    const auto es = hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
    const std::string rs_pub = read_file(env("JWTMINT_HSM_RSA_PUB"));
    const std::string es_pub = read_file(env("JWTMINT_HSM_EC_PUB"));

    // Twenty threads on two keys that share the token's pool of sessions.
    std::vector<thread_result> rs_results(thread_count), es_results(thread_count);
    std::vector<std::thread> pool;
    start_minting(rs, "rs", rs_results, pool);
    start_minting(es, "es", es_results, pool);
    for (auto& th : pool) th.join();

    check_minted<jwt::rs256>(rs_results, rs_pub);
    check_minted<jwt::es256>(es_results, es_pub);

    // Seen from the module: the signatures ran on more than one session, and never more than the
    // pool's bound (plus the session that holds the login).
    const module_peek peek(env("JWTMINT_HSM_MODULE"));
    REQUIRE_FALSE(peek.initialised_here());
    const auto sessions = peek.sessions_on(peek.slot_of(env("JWTMINT_HSM_TOKEN")));
    INFO(sessions.size() << " sessions open on the token");
    CHECK(sessions.size() > 2);
    CHECK(sessions.size() <= documented_pool_bound + 1);
}

TEST_CASE("a signer whose sessions were closed under it signs on a new session", "[hsm][sessions]") {
    const auto token = open_token();
    const auto signer = hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
    const auto verifier = jwt::verifier<jwt::es256>::from_pem(read_file(env("JWTMINT_HSM_EC_PUB")));
    CHECK(verifier.verify_signature("before", signer.sign("before")));

    const module_peek peek(env("JWTMINT_HSM_MODULE"));
    REQUIRE_FALSE(peek.initialised_here());
    const CK_SLOT_ID slot = peek.slot_of(env("JWTMINT_HSM_TOKEN"));
    const auto signers_sessions = peek.sessions_on(slot);
    REQUIRE(signers_sessions.size() >= 2);  // the login's and the one that signed
    // A session of our own keeps the user logged in (a login belongs to all of a process's
    // sessions on the token) while every one of the signer's is closed.
    CK_SESSION_HANDLE ours = CK_INVALID_HANDLE;
    REQUIRE(peek.f()->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &ours) == CKR_OK);
    for (const CK_SESSION_HANDLE h : signers_sessions) REQUIRE(peek.f()->C_CloseSession(h) == CKR_OK);
    REQUIRE(peek.sessions_on(slot) == std::vector<CK_SESSION_HANDLE>{ours});

    // The pooled session is gone: the signature is made again on a new one, and verifies.
    for (int i = 0; i < 3; ++i) {
        const std::string sig = signer.sign("after " + std::to_string(i));
        CHECK(verifier.verify_signature("after " + std::to_string(i), sig));
    }
    const auto now = peek.sessions_on(slot);
    CHECK(now.size() == 2);  // ours and the signer's new one
    CHECK(std::set<CK_SESSION_HANDLE>(now.begin(), now.end()).count(ours) == 1);
    CHECK(peek.f()->C_CloseSession(ours) == CKR_OK);
}

TEST_CASE("a signer whose token logged out fails with signing_failed naming the CKR_ code", "[hsm][sessions]") {
    const auto token = open_token();
    const auto signer = hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));
    CHECK(signer.sign("before").size() == 256);

    const module_peek peek(env("JWTMINT_HSM_MODULE"));
    REQUIRE_FALSE(peek.initialised_here());
    const CK_SLOT_ID slot = peek.slot_of(env("JWTMINT_HSM_TOKEN"));
    // Every session of the process on the token, the login's too: PKCS#11 logs the user out.
    REQUIRE(peek.f()->C_CloseAllSessions(slot) == CKR_OK);
    REQUIRE(peek.sessions_on(slot).empty());

    // Twice: the first finds its pooled session gone, the second starts on a new one; both fail
    // cleanly, with the module's code and what to do.
    for (int i = 0; i < 2; ++i) {
        try {
            (void)signer.sign("after");
            FAIL("a token without a login signed");
        } catch (const jwt::error& e) {
            check_error(e, jwt::errc::signing_failed, "open it again");
            const std::string what = e.what();
            std::smatch code;
            INFO(what);
            REQUIRE(std::regex_search(what, code, std::regex(R"(\((CKR_[A-Z_]+)\))")));
            CHECK(code[1] != "CKR_OK");
        }
    }
    // No session was left behind by the failures but the ones the pool keeps.
    CHECK(peek.sessions_on(slot).size() <= documented_pool_bound);
}

TEST_CASE("a public key object that belongs to another key is refused as key_mismatch", "[hsm][errors]") {
    const auto token = open_token();
    try {
        (void)hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_MISMATCH_KEY"));
        FAIL("a private key was paired with another key's public key object");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::key_mismatch, "does not verify under the public key read from the token");
    }
}

TEST_CASE("an EC key without its public key object is refused as invalid_key", "[hsm][errors]") {
    const auto token = open_token();
    std::error_code ec;
    CHECK_FALSE(hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_ORPHAN_KEY"), ec).has_value());
    CHECK(ec == jwt::errc::invalid_key);
    try {
        (void)hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_ORPHAN_KEY"));
        FAIL("a key without a public half was accepted");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::invalid_key, "no public key object with the same CKA_ID");
    }
}

TEST_CASE("without CKM_SHA256_RSA_PKCS RS256 signs with CKM_RSA_PKCS and without CKM_ECDSA ES256 is refused",
          "[hsm][mechanisms]") {
    // The same token store through a SoftHSM configured without those mechanisms; read when the
    // module initialises, so set before the token is opened (this process runs this case alone).
    const std::string conf = env("JWTMINT_HSM_CONF_WITHOUT_MECHANISMS");
    REQUIRE(setenv("SOFTHSM2_CONF", conf.c_str(), 1) == 0);  // NOLINT(concurrency-mt-unsafe): one thread yet
    const auto token = open_token();
    {
        const module_peek peek(env("JWTMINT_HSM_MODULE"));
        REQUIRE_FALSE(peek.initialised_here());
        const CK_SLOT_ID slot = peek.slot_of(env("JWTMINT_HSM_TOKEN"));
        REQUIRE_FALSE(peek.offers(slot, CKM_SHA256_RSA_PKCS));
        REQUIRE_FALSE(peek.offers(slot, CKM_ECDSA));
        REQUIRE(peek.offers(slot, CKM_RSA_PKCS));
    }

    const auto signer = hsm::pkcs11_rs256::from_token(token, env("JWTMINT_HSM_RSA_KEY"));
    const std::string jwt_text = jwt::builder{signer}.roles({"Support Team"}).email("ada@example.com").sign();
    const auto verified = jwt::verifier<jwt::rs256>::from_pem(read_file(env("JWTMINT_HSM_RSA_PUB"))).verify(jwt_text);
    CHECK(verified.identity() == "ada@example.com");

    try {
        (void)hsm::pkcs11_es256::from_token(token, env("JWTMINT_HSM_EC_KEY"));
        FAIL("an ES256 signer was made on a token without CKM_ECDSA");
    } catch (const jwt::error& e) {
        check_error(e, jwt::errc::signing_failed, "CKM_ECDSA");
    }
}
