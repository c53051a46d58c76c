// SPDX-License-Identifier: MIT
// RFC 7515 Appendix A / E and RFC 7519 examples (tests/vectors) through jwt::verifier.
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"

#include <chrono>
#include <filesystem>
#include <string>

using jwt::errc;
using jwtmint_test::fixed_clock;
using jwtmint_test::read_json;
using jwtmint_test::read_text;
using json = nlohmann::json;

namespace {

/// Before the examples' exp (1300819380, 2011-03-22T18:43:00Z), as the vectors' notes advise.
constexpr std::int64_t rfc_now = 1300819000;

json find_case(const std::filesystem::path& file, const std::string& id) {
    const json all = read_json(file);
    for (const auto& c : all.at("cases")) {
        if (c.at("id") == id) return c;
    }
    FAIL("no case " << id << " in " << file);
    return {};
}

std::string oct_secret(const std::filesystem::path& dir, const std::string& key_id) {
    const json jwk = read_json(dir / "rfc" / "keys" / (key_id + ".jwk.json"));
    return jwt::base64url_decode(jwk.at("k").get<std::string>());
}

std::string spki(const std::filesystem::path& dir, const std::string& key_id) {
    return read_text(dir / "rfc" / "keys" / (key_id + ".spki.pem"));
}

/// The RFC examples carry no role claim, which a verifier without a login policy does not ask
/// for; everything else stays strict (exp required, iss pinned).
template <class V>
V rfc_policy(V v) {
    v.issuer("joe");
    return v;
}

template <class V>
void check_accepted(const V& v, const json& c) {
    INFO(c.at("id").get<std::string>());
    fixed_clock::set(rfc_now);
    const auto t = v.verify(c.at("compact").get<std::string>());
    CHECK(t.issuer() == std::optional<std::string>("joe"));
    CHECK(t.expires_at() == jwt::sys_seconds{std::chrono::seconds{1300819380}});
    CHECK(t.claims().at("http://example.com/is_root") == true);
    CHECK(t.header().at("alg") == c.at("alg"));
    CHECK(v.verify_signature(c.at("signing_input").get<std::string>(),
                             jwtmint_test::hex_decode(c.at("signature_hex").get<std::string>())));
}

template <class V>
errc code_of(const V& v, const std::string& token) {
    std::error_code ec;
    CHECK(!v.verify(token, ec).has_value());
    return static_cast<errc>(ec.value());
}

}  // namespace

TEST_CASE("RFC 7515 A.1 (HS256), A.2 (RS256), A.3 (ES256) verify with their keys", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const auto file = dir / "rfc" / "rfc7515_appendix_a.json";
    const json a1 = find_case(file, "rfc7515-A.1");
    const json a2 = find_case(file, "rfc7515-A.2");
    const json a3 = find_case(file, "rfc7515-A.3");
    check_accepted(rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, a1.at("key_id")))), a1);
    check_accepted(rfc_policy(jwt::verifier<jwt::rs256, fixed_clock>::from_pem(spki(dir, a2.at("key_id")))), a2);
    check_accepted(rfc_policy(jwt::verifier<jwt::es256, fixed_clock>::from_pem(spki(dir, a3.at("key_id")))), a3);
    jwtmint_test::print_vector_count("RFC 7515 A.1-A.3 verified", 3);
}

TEST_CASE("RFC 7519 section 3.1 at, before and after its exp", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json c = find_case(dir / "rfc" / "rfc7519_examples.json", "rfc7519-3.1");
    const auto v = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, c.at("key_id"))));
    check_accepted(v, c);
    const std::string token = c.at("compact");
    for (const auto& [name, check] : c.at("claims_checks").items()) {
        INFO(name);
        fixed_clock::set(check.at("now").get<std::int64_t>());
        std::error_code ec;
        const bool ok = v.verify(token, ec).has_value();
        if (check.at("expected") == "valid") {
            CHECK(ok);
        } else {
            CHECK(!ok);
            CHECK(ec == errc::token_expired);
        }
    }
    jwtmint_test::print_vector_count("RFC 7519 3.1 verified, and its claims checks",
                                     1 + c.at("claims_checks").size());
}

TEST_CASE("RFC 7515 A.5 and RFC 7519 section 6.1 (alg none) are refused", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    fixed_clock::set(rfc_now);
    const json a5 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.5");
    const json s61 = find_case(dir / "rfc" / "rfc7519_examples.json", "rfc7519-6.1");
    const auto hs = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(oct_secret(dir, "rfc7515-A.1-oct")));
    const auto rs = rfc_policy(jwt::verifier<jwt::rs256, fixed_clock>::from_pem(spki(dir, "rfc7515-A.2-rsa2048")));
    for (const json* c : {&a5, &s61}) {
        INFO(c->at("id").get<std::string>());
        CHECK(code_of(hs, c->at("compact").get<std::string>()) == errc::algorithm_mismatch);
        CHECK(code_of(rs, c->at("compact").get<std::string>()) == errc::algorithm_mismatch);
        std::error_code ec;
        CHECK(!hs.verify_jws(c->at("compact").get<std::string>(), ec).has_value());
        CHECK(ec == errc::algorithm_mismatch);
    }
    jwtmint_test::print_vector_count("RFC 7515 A.5 and RFC 7519 6.1 (alg none) refused", 2);
}

TEST_CASE("RFC 7515 Appendix E (crit) is refused", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    fixed_clock::set(rfc_now);
    const json e = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-E");
    const std::string secret = oct_secret(dir, "rfc7515-A.1-oct");
    const auto hs = rfc_policy(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(secret));
    // crit is judged before alg: a header with an extension we do not understand cannot be read.
    CHECK(code_of(hs, e.at("compact").get<std::string>()) == errc::unsupported_header);
    // The same header with a real alg, correctly MACed: still refused for crit alone.
    std::string header = e.at("protected_header");
    const std::string none = "\"alg\":\"none\"";
    REQUIRE(header.find(none) != std::string::npos);
    header.replace(header.find(none), none.size(), "\"alg\":\"HS256\"");
    const json a1 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.1");
    const std::string token = jwt::sign_compact(jwt::hs256::from_secret(secret), header, a1.at("payload_utf8").get<std::string>());
    CHECK(code_of(hs, token) == errc::unsupported_header);
    jwtmint_test::print_vector_count("RFC 7515 Appendix E (crit) refused", 1);
}

TEST_CASE("RFC 7515 A.4 (ES512) is not an ES256 token", "[rfc][verifier]") {
    const auto dir = jwtmint_test::vectors_dir();
    const json a4 = find_case(dir / "rfc" / "rfc7515_appendix_a.json", "rfc7515-A.4");
    std::error_code ec;
    CHECK(!jwt::verifier<jwt::es256>::from_pem(spki(dir, a4.at("key_id")), ec).has_value());
    CHECK(ec == errc::key_algorithm_mismatch);
    const auto es = jwt::verifier<jwt::es256>::from_pem(spki(dir, "rfc7515-A.3-p256"));
    CHECK(!es.verify_jws(a4.at("compact").get<std::string>(), ec).has_value());
    CHECK(ec == errc::algorithm_mismatch);
    jwtmint_test::print_vector_count("RFC 7515 A.4 (ES512) refused as ES256", 1);
}
