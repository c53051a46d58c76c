// SPDX-License-Identifier: MIT
// Built with -fno-exceptions (tests/CMakeLists.txt): the whole library compiles without
// exceptions, and its non-throwing API (the try_* calls returning jwt::result) mints and verifies
// with every algorithm, and reports each failure with its jwt::errc and the full message.
// No test framework: Catch2 itself needs exceptions.

#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#if JWTMINT_EXCEPTIONS
#error "no_exceptions_test must be compiled with -fno-exceptions"
#endif

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const char* what, int line) {
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAILED line %d: %s\n", line, what);
    }
}
#define CHECK(expr) check(static_cast<bool>(expr), #expr, __LINE__)

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// The error a result holds must carry code e and a message holding `part`, the text that
/// names the fix (the throwing API's message, not the category's generic one).
template <class R>
void check_error(const R& r, jwt::errc e, std::string_view part, int line) {
    check(!r.has_value(), "the call fails", line);
    if (r.has_value()) return;
    check(r.error().value() == e, "the errc", line);
    if (r.error().value() != e) std::printf("  got %s: %s\n", jwt::errc_name(r.error().value()), r.error().what());
    check(contains(r.error().what(), part), "the message names the fix", line);
    if (!contains(r.error().what(), part))
        std::printf("  message: %s\n  expected part: %.*s\n", r.error().what(), static_cast<int>(part.size()),
                    part.data());
    check(r.error_code() == jwt::make_error_code(e), "the std::error_code", line);
}
#define CHECK_ERROR(r, e, part) check_error((r), (e), (part), __LINE__)

/// A private key able to sign with Alg, made without exceptions.
template <class Alg>
jwt::result<jwt::private_key> key_for() {
    constexpr std::string_view alg = Alg::alg;
    if (alg.substr(0, 2) == "RS" || alg.substr(0, 2) == "PS") return jwt::private_key::try_generate_rsa(2048);
    if (alg == "ES256") return jwt::private_key::try_generate_ec("P-256");
    if (alg == "ES384") return jwt::private_key::try_generate_ec("P-384");
    if (alg == "ES512") return jwt::private_key::try_generate_ec("P-521");
    return jwt::private_key::try_generate_ed25519();
}

/// Mints with Alg through the builder and verifies through the verifier, all with try_* calls.
template <class Alg>
void round_trip() {
    const std::string name(Alg::alg);
    jwt::result<Alg> signer = jwt::error(jwt::errc::openssl_error, "not made");
    jwt::result<jwt::verifier<Alg>> verifier = jwt::error(jwt::errc::openssl_error, "not made");
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        const std::string secret(64, 'k');
        signer = Alg::try_from_secret(secret);
        verifier = jwt::verifier<Alg>::try_from_secret(secret);
    } else {
        auto key = key_for<Alg>();
        CHECK(key.has_value());
        if (!key) return;
        auto pem = key->try_to_pem();
        CHECK(pem.has_value());
        if (!pem) return;
        signer = Alg::try_from_pem(*pem);
        verifier = jwt::verifier<Alg>::try_from_pem(key->public_key_pem());
    }
    check(signer.has_value(), ("signer " + name).c_str(), __LINE__);
    check(verifier.has_value(), ("verifier " + name).c_str(), __LINE__);
    if (!signer || !verifier) return;

    const jwt::result<std::string> token = jwt::builder{*signer}
                                               .roles({"Accounting Team", "Support Team"})
                                               .email("ada@example.com")
                                               .expires_in(std::chrono::minutes(10))
                                               .try_sign();
    check(token.has_value(), ("mint " + name).c_str(), __LINE__);
    if (!token) return;
    const auto verified = verifier->try_verify(*token);
    check(verified.has_value(), ("verify " + name).c_str(), __LINE__);
    if (verified) {
        CHECK(verified->roles().size() == 2);
        CHECK(verified->identity() == std::optional<std::string>("ada@example.com"));
    }
    CHECK(jwt::try_check_key_pair(*signer, *verifier).has_value());

    // One altered signature character: refused with the code and the message, no exception.
    std::string forged = *token;
    forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
    CHECK_ERROR(verifier->try_verify(forged), jwt::errc::invalid_signature, "");
}

template <class... Algs>
void round_trip_all(jwt::algorithm_list<Algs...>) {
    (round_trip<Algs>(), ...);
}

void errors_keep_their_message() {
    CHECK_ERROR(jwt::rs256::try_from_pem("not a key"), jwt::errc::invalid_key, "PEM");
    CHECK_ERROR(jwt::private_key::try_from_pem("not a key"), jwt::errc::invalid_key, "PEM");
    CHECK_ERROR(jwt::hs256::try_from_secret("short"), jwt::errc::weak_key, "32");
    CHECK_ERROR(jwt::private_key::try_generate_rsa(1024), jwt::errc::weak_key, "2048");
    CHECK_ERROR(jwt::rs256::try_from_pem_file("/nonexistent/private_key.pem"), jwt::errc::key_file_error,
                "/nonexistent/private_key.pem");

    // The message the throwing call carries, not the category's "the key does not fit the algorithm".
    const auto ec_key = jwt::private_key::try_generate_ec("P-256");
    CHECK(ec_key.has_value());
    if (ec_key) {
        const auto pem = ec_key->try_to_pem();
        CHECK(pem.has_value());
        if (pem) CHECK_ERROR(jwt::rs256::try_from_pem(*pem), jwt::errc::key_algorithm_mismatch, "jwtmint keygen");
    }

    const std::string secret(32, 's');
    const auto signer = jwt::hs256::try_from_secret(secret);
    const auto verifier = jwt::verifier<jwt::hs256>::try_from_secret(secret);
    CHECK(signer.has_value() && verifier.has_value());
    if (!signer || !verifier) return;

    // Builder: a setter's bad value, a lifetime over the ceiling.
    CHECK_ERROR(jwt::builder{*signer}.roles({"Support"}).email("not an email").try_sign(), jwt::errc::invalid_claim,
                "email");
    CHECK_ERROR(jwt::builder{*signer}.roles({"Support"}).expires_in(std::chrono::hours(1)).try_sign(),
                jwt::errc::invalid_lifetime, "max_lifetime");

    // Verifier: malformed, expired, and bad claims after a valid signature.
    CHECK_ERROR(verifier->try_verify("abc"), jwt::errc::malformed_token, "");
    const auto old = std::chrono::system_clock::now() - std::chrono::hours(2);
    const auto expired = jwt::builder{*signer}.roles({"Support"}).try_sign_at(old);
    CHECK(expired.has_value());
    if (expired) CHECK_ERROR(verifier->try_verify(*expired), jwt::errc::token_expired, "");
    // A valid signature over claims a policy refuses: a role claim that is a number.
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string payload = R"({"roles":5,"iat":)" + std::to_string(now) + R"(,"exp":)" + std::to_string(now + 60) +
                                "}";
    const auto numeric_roles = jwt::try_sign_compact(*signer, R"({"alg":"HS256","typ":"JWT"})", payload);
    CHECK(numeric_roles.has_value());
    if (numeric_roles) {
        auto widget = *verifier;
        widget.policy(jwt::login_policy{});
        CHECK_ERROR(widget.try_verify(*numeric_roles), jwt::errc::invalid_claim, "role claim");
    }

    // The login policy: unknown role with the suggestion, at mint and at verify.
    jwt::login_policy policy;
    policy.team_roles({"Accounting Team", "Support Team"});
    CHECK_ERROR(jwt::builder(*signer, policy).roles({"Acounting Team"}).try_sign(), jwt::errc::unknown_role,
                "did you mean 'Accounting Team'");
    const auto plain = jwt::builder{*signer}.roles({"Acounting Team"}).try_sign();
    CHECK(plain.has_value());
    if (plain) {
        auto strict = *verifier;
        strict.policy(policy);
        CHECK_ERROR(strict.try_verify(*plain), jwt::errc::unknown_role, "did you mean 'Accounting Team'");
        CHECK(verifier->try_verify(*plain).has_value());  // the general verifier has no role rules
    }
    CHECK_ERROR(jwt::login_policy::try_from_json("{\"algorithms\": [\"ES384\"]}"), jwt::errc::invalid_policy, "ES384");

    // JWK: a key from JSON text without exceptions, and a malformed one.
    CHECK_ERROR(jwt::public_key::try_from_jwk("{\"kty\":\"RSA\"}"), jwt::errc::invalid_jwk, "");
    CHECK_ERROR(jwt::public_key::try_from_jwk("not json"), jwt::errc::invalid_jwk, "");
}

}  // namespace

int main() {
    round_trip_all(jwt::all_algorithms{});
    errors_keep_their_message();
    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 && checks > 100 ? 0 : 1;
}
