// SPDX-License-Identifier: MIT
// libFuzzer target: jwt::jwks_verifier over a fixed JWK Set of the test keys (test_keys.hpp: the
// RSA key as RS256 under kid "rs" and as PS256 under kid "ps", the P-256 key as ES256 under kid
// "es"), with a clock pinned to fixed_now; and JWK Set documents read by from_jwks and select_jwk.
//
// The first input octet picks the mode; the rest is:
//   mode 0  a compact token as given, verified through the set
//   mode 1  header JSON '\n' payload JSON (or only the payload, under {"alg":"ES256","kid":"es"}),
//           signed with the ES256 test key, then verified through the set
//   mode 2  the same with the RS256 test key (default header {"alg":"RS256","kid":"rs"})
//   mode 3  a JWK Set document: jwks_verifier::from_jwks, and select_jwk with and without a kid
// Properties: both call styles agree and raise nothing but jwt::error with jwtmint codes; the
// OpenSSL error queue is empty afterwards; a token over the size limit is token_too_large whatever
// it holds (no other rule runs first); and, differentially, every verdict of the set other than
// unknown_key_id (no key chosen) is the verdict, code and message, of one of the plain verifiers of
// the same keys: jwks_verifier adds the choice of key and nothing else.
#include <jwtmint/json.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/jwtmint.hpp>

#include "fuzz_common.hpp"
#include "test_keys.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using jwtmint_fuzz::expect;

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

/// The public JWK of pem for alg, under kid.
std::string jwk_of(std::string_view pem, std::string_view alg, std::string_view kid) {
    nlohmann::json jwk = nlohmann::json::parse(jwt::public_jwk(jwt::public_key::from_pem(pem), alg));
    jwk["kid"] = std::string(kid);
    return jwk.dump();
}

struct fixture {
    jwt::es256 es = jwt::es256::from_pem(jwtmint_fuzz::ec_private_pem);
    jwt::rs256 rs = jwt::rs256::from_pem(jwtmint_fuzz::rs_private_pem);
    std::string document = jwt::jwks_document({jwk_of(jwtmint_fuzz::rs_public_pem, "RS256", "rs"),
                                               jwk_of(jwtmint_fuzz::rs_public_pem, "PS256", "ps"),
                                               jwk_of(jwtmint_fuzz::ec_public_pem, "ES256", "es")});
    jwt::jwks_verifier<fixed_clock> set = jwt::jwks_verifier<fixed_clock>::from_jwks(document);
    verifier<jwt::rs256> rs_v = verifier<jwt::rs256>::from_pem(jwtmint_fuzz::rs_public_pem);
    verifier<jwt::ps256> ps_v = verifier<jwt::ps256>::from_pem(jwtmint_fuzz::rs_public_pem);
    verifier<jwt::es256> es_v = verifier<jwt::es256>::from_pem(jwtmint_fuzz::ec_public_pem);
};

const fixture& keys() {
    static const fixture f;
    return f;
}

bool is_jwtmint_code(const std::error_code& ec) { return !ec || ec.category() == jwt::category(); }

/// A verdict: the code and message of a refusal, or for an accepted token its kid and claims.
struct verdict {
    std::error_code code;
    std::string text;
    bool operator==(const verdict& o) const { return code == o.code && text == o.text; }
};

/// verify(token) by both call styles, which must agree.
template <class V>
verdict verify_both(const V& v, std::string_view token) {
    std::error_code ec;
    const auto result = v.verify(token, ec);
    expect(result.has_value() == !ec, "verify(token, ec) returned a value and an error, or neither");
    expect(is_jwtmint_code(ec), "verify reported a foreign error code");
    jwtmint_fuzz::expect_clean_error_queue("verify");
    verdict out;
    try {
        const jwt::verified_token t = v.verify(token);
        out.text = t.key_id().value_or("") + "\n" + t.claims().dump();
    } catch (const jwt::error& e) {
        out.code = e.code();
        out.text = e.what();
    }
    expect(out.code == ec, "the throwing and error_code forms of verify disagree");
    jwtmint_fuzz::expect_clean_error_queue("verify (throwing)");
    return out;
}

void check_token(std::string_view token) {
    const fixture& k = keys();
    const verdict set = verify_both(k.set, token);
    if (token.size() > jwt::default_max_token_size) {
        expect(set.code == jwt::errc::token_too_large, "an oversized token was judged before its size");
    }
    if (set.code == jwt::errc::unknown_key_id) return;
    const bool same = set == verify_both(k.rs_v, token) || set == verify_both(k.ps_v, token) ||
                      set == verify_both(k.es_v, token);
    expect(same, "jwks_verifier's verdict is no plain verifier's verdict on the same token");
}

template <class Signer>
void check_signed(const Signer& signer, std::string_view default_header, std::string_view in) {
    std::string_view header = default_header;
    std::string_view payload = in;
    if (const std::size_t nl = in.find('\n'); nl != std::string_view::npos) {
        header = in.substr(0, nl);
        payload = in.substr(nl + 1);
    }
    check_token(jwt::sign_compact(signer, header, payload));
}

void check_document(std::string_view text) {
    std::error_code ec;
    const auto set = jwt::jwks_verifier<fixed_clock>::from_jwks(text, ec);
    expect(set.has_value() == !ec && is_jwtmint_code(ec), "jwks_verifier::from_jwks reported inconsistently");
    jwtmint_fuzz::expect_clean_error_queue("jwks_verifier::from_jwks");
    for (const std::string_view kid : {std::string_view(), std::string_view("es")}) {
        std::error_code sec;
        const auto key = jwt::select_jwk(text, kid, sec);
        expect(key.has_value() == !sec && is_jwtmint_code(sec), "select_jwk reported inconsistently");
        jwtmint_fuzz::expect_clean_error_queue("select_jwk");
        if (!key) continue;
        const int held = (key->private_key ? 1 : 0) + (key->public_key ? 1 : 0) + (key->secret ? 1 : 0);
        expect(held == 1, "select_jwk returned other than exactly one of private key, public key, secret");
    }
    if (!set) return;
    // Every key the set holds can be chosen by its kid, by the key-file reader as well.
    for (const std::string& kid : set->key_ids()) {
        std::error_code sec;
        const auto key = jwt::select_jwk(text, kid, sec);
        expect(key.has_value() && key->kid == kid && key->public_key.has_value(),
               "a kid of a set from_jwks accepted is not selectable by select_jwk");
        jwtmint_fuzz::expect_clean_error_queue("select_jwk by kid");
    }
    (void)verify_both(*set, "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzIn0.e30.AAAA");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view in = jwtmint_fuzz::as_text(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0: check_token(in); break;
        case 1: check_signed(keys().es, R"({"alg":"ES256","kid":"es"})", in); break;
        case 2: check_signed(keys().rs, R"({"alg":"RS256","kid":"rs"})", in); break;
        default: check_document(in); break;
    }
    return 0;
}
