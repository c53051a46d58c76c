// SPDX-License-Identifier: MIT
// libFuzzer target: token parsing and verification by jwt::verifier for RS256, ES256 and HS256,
// with the fixed test keys of test_keys.hpp and a clock pinned to fixed_now.
//
// The first input octet picks the mode; the rest is:
//   mode 0  a compact token as given, verified by the RS256, ES256 and HS256 verifiers
//   mode 1  header JSON '\n' payload JSON (or only the payload, under a plain HS256 header),
//           signed with the HS256 test key, then verified: a valid signature takes the fuzzer
//           past the signature check into the payload, time and claim rules
//   mode 2  the same with the ES256 test key
// Properties: the error_code and throwing forms of verify agree and never throw anything but
// jwt::error; the OpenSSL error queue is empty afterwards; a verified token has what the
// verifier promises (roles, an exp after now, printable roles); a token signed here is never
// refused for its signature or its base64url, and verify_jws returns exactly the payload signed.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#include "fuzz_common.hpp"
#include "test_keys.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using jwtmint_fuzz::expect;
using namespace std::chrono_literals;

struct fixed_clock {
    using duration = std::chrono::system_clock::duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::system_clock::time_point;
    [[maybe_unused]] static constexpr bool is_steady = false;
    static time_point now() { return time_point{std::chrono::seconds{jwtmint_fuzz::fixed_now}}; }
};

template <class Alg>
using verifier = jwt::verifier<Alg, fixed_clock>;

struct fixture {
    jwt::hs256 hs = jwt::hs256::from_secret(jwtmint_fuzz::hs_secret);
    jwt::es256 es = jwt::es256::from_pem(jwtmint_fuzz::ec_private_pem);
    verifier<jwt::rs256> rs_v = verifier<jwt::rs256>::from_pem(jwtmint_fuzz::rs_public_pem);
    verifier<jwt::es256> es_v = verifier<jwt::es256>::from_pem(jwtmint_fuzz::ec_public_pem);
    verifier<jwt::hs256> hs_v = verifier<jwt::hs256>::from_secret(jwtmint_fuzz::hs_secret);
    // Every optional rule switched on, so that the claim checks run too.
    verifier<jwt::hs256> hs_strict = strict(verifier<jwt::hs256>::from_secret(jwtmint_fuzz::hs_secret));
    verifier<jwt::es256> es_strict = strict(verifier<jwt::es256>::from_pem(jwtmint_fuzz::ec_public_pem));

    template <class V>
    static V strict(V v) {
        v.issuer("https://host.example")
            .audience({"customgpt", "other"})
            .subject("user-1")
            .require_claim("jti")
            .policy(jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"}))
            .max_lifetime(10min)
            .leeway(30s);
        return v;
    }
};

const fixture& keys() {
    static const fixture f;
    return f;
}

bool printable(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return false;
    }
    return true;
}

/// Runs every form of verify and verify_jws; checks that they agree and what a success promises
/// (roles only where the verifier has a login policy, which requires them).
template <class V>
std::error_code verdict(const V& v, std::string_view token, bool roles_required = false) {
    std::error_code ec;
    const std::optional<jwt::verified_token> result = v.verify(token, ec);
    expect(result.has_value() == !ec, "verify(token, ec) returned a value and an error, or neither");
    std::error_code thrown;
    try {
        (void)v.verify(token);
    } catch (const jwt::error& e) {
        thrown = e.code();
        expect(std::strlen(e.what()) > 0, "a jwt::error without a message");
    }
    expect(thrown == ec, "the throwing and error_code forms of verify disagree");
    const auto tried = v.try_verify(token);
    expect(tried.error_code() == ec, "try_verify and verify(token, ec) disagree");
    jwtmint_fuzz::expect_clean_error_queue("verify");

    std::error_code jws_ec;
    const auto jws = v.verify_jws(token, jws_ec);
    expect(jws.has_value() == !jws_ec, "verify_jws(token, ec) returned a value and an error, or neither");
    jwtmint_fuzz::expect_clean_error_queue("verify_jws");

    if (result) {
        expect(jws.has_value(), "a token passed verify but not verify_jws");
        expect(result->claims().is_object(), "verified claims are not a JSON object");
        if (roles_required)
            expect(!result->roles().empty(), "a verified token without roles (the policy requires them)");
        for (const auto& r : result->roles()) {
            expect(!r.empty() && printable(r) && jwt::detail::is_valid_utf8(r),
                   "a verified role name is empty or not printable UTF-8");
        }
        expect(result->expires_at().has_value(), "a verified token without exp (exp is required)");
        // In seconds: exp may lie past 2262, beyond what system_clock's nanoseconds can hold.
        expect(result->expires_at()->time_since_epoch().count() > jwtmint_fuzz::fixed_now - 30,
               "a verified token that expired before now - leeway");
        if (result->identity()) expect(!result->identity()->empty(), "an empty session identity");
    }
    return ec;
}

/// Signs header and payload with signer and checks what verifying that token must give.
template <class Signer, class V>
void signed_round(const Signer& signer, const V& plain, const V& strict_v, std::string_view header,
                  std::string_view payload) {
    const std::string token = jwt::sign_compact(signer, header, payload);
    const std::error_code ec = verdict(plain, token);
    (void)verdict(strict_v, token, /*roles_required=*/true);
    if (token.size() > jwt::default_max_token_size) {
        expect(ec == jwt::errc::token_too_large, "an oversized token was not refused as token_too_large");
        return;
    }
    expect(ec != jwt::errc::invalid_signature, "a token signed with the verifier's own key failed its signature");
    expect(ec != jwt::errc::invalid_base64url, "a token encoded by jwtmint failed base64url decoding");
    std::error_code jws_ec;
    const auto jws = plain.verify_jws(token, jws_ec);
    if (jws) expect(jws->payload() == payload, "verify_jws returned other octets than those signed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto& k = keys();
    const std::string_view in = jwtmint_fuzz::as_text(data + 1, size - 1);
    const int mode = data[0] % 3;
    if (mode == 0) {
        (void)verdict(k.rs_v, in);
        (void)verdict(k.es_v, in);
        (void)verdict(k.hs_v, in);
        (void)verdict(k.hs_strict, in, /*roles_required=*/true);
        return 0;
    }
    std::string_view header = mode == 1 ? R"({"alg":"HS256","typ":"JWT"})" : R"({"alg":"ES256","typ":"JWT"})";
    std::string_view payload = in;
    if (const std::size_t nl = in.find('\n'); nl != std::string_view::npos) {
        header = in.substr(0, nl);
        payload = in.substr(nl + 1);
    }
    if (mode == 1) {
        signed_round(k.hs, k.hs_v, k.hs_strict, header, payload);
    } else {
        signed_round(k.es, k.es_v, k.es_strict, header, payload);
    }
    return 0;
}
