// SPDX-License-Identifier: MIT
// builder.hpp: exact header and payload JSON with a pinned clock, exact HS256 tokens computed
// independently (OpenSSL's one-shot HMAC and base64), claim forms, the lifetime policy, error
// reporting, and the lowest-level entry point sign_compact; then the builder bound to a
// jwt::login_policy: each refusal the policy adds (its own error, an algorithm it does not allow,
// no roles, an unknown role with the nearest team role, ',' in the comma form, its lifetime
// ceiling), and the role claim's name and form taken from it.
#include <jwtmint/builder.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/signers.hpp>

#include "core_helpers.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using jwtmint_test::fixed_clock;
using hs_builder = jwt::builder<jwt::hs256, fixed_clock>;

static_assert(!std::is_constructible_v<hs_builder, jwt::hs256&&>,
              "a builder refers to its signer, so it must not bind to a temporary");
static_assert(std::is_constructible_v<hs_builder, const jwt::hs256&>);
// The builder refers to the policy, like the signer: a temporary policy does not bind.
static_assert(std::is_constructible_v<hs_builder, const jwt::hs256&, const jwt::login_policy&>);
static_assert(!std::is_constructible_v<hs_builder, const jwt::hs256&, jwt::login_policy&&>);

namespace {

constexpr std::int64_t t0 = 1764000000;                                       // the pinned "now"
constexpr std::string_view secret = "widget-login-secret-0123456789-abcdef";  // 37 bytes
constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";

const jwt::hs256& signer() {
    static const jwt::hs256 s = jwt::hs256::from_secret(secret);
    return s;
}

/// Resets the pinned clock to t0 and returns a builder on the shared HS256 signer.
hs_builder make() {
    fixed_clock::set(t0);
    return hs_builder{signer()};
}

/// The compact HS256 token for these exact octets, computed without jwtmint.
std::string expected_token(std::string_view header, std::string_view payload) {
    const std::string input = jwtmint_test::b64url_encode(header) + "." + jwtmint_test::b64url_encode(payload);
    return input + "." + jwtmint_test::b64url_encode(jwtmint_test::hmac_sha256(secret, input));
}

std::string iat_exp(std::int64_t lifetime) {
    return R"("iat":)" + std::to_string(t0) + R"(,"exp":)" + std::to_string(t0 + lifetime);
}

/// Signs, checks the whole token against the independent computation, and returns the payload.
std::string signed_payload(const hs_builder& b) {
    const std::string token = b.sign();
    const auto parts = jwtmint_test::split_token(token);
    CHECK(parts.header == hs256_header);
    CHECK(token == expected_token(parts.header, parts.payload));
    return parts.payload;
}

std::int64_t lifetime_of(const std::string& payload) {
    const auto j = nlohmann::json::parse(payload);
    return j.at("exp").get<std::int64_t>() - j.at("iat").get<std::int64_t>();
}

}  // namespace

TEST_CASE("the README's claims, exactly, and the exact HS256 token", "[builder]") {
    auto b = make();
    b.roles({"Accounting Team", "Support Team"}).email("ada@example.com").expires_in(10min);
    const std::string payload = R"({"email":"ada@example.com","roles":["Accounting Team","Support Team"],)" +
                                iat_exp(600) + "}";
    CHECK(b.payload_json(fixed_clock::now()) == payload);
    CHECK(b.header_json() == hs256_header);
    CHECK(b.sign() == expected_token(hs256_header, payload));
    CHECK(signed_payload(b) == payload);
    CHECK(b.sign() == b.sign());  // a builder can sign again; HS256 is deterministic
}

TEST_CASE("iat comes from the Clock and sign_at takes an explicit time", "[builder]") {
    auto b = make();
    b.roles({"A"});
    fixed_clock::set(t0 + 1000);
    const auto j = nlohmann::json::parse(jwtmint_test::split_token(b.sign()).payload);
    CHECK(j.at("iat") == t0 + 1000);
    CHECK(j.at("exp") == t0 + 1000 + jwt::default_lifetime.count());
    // sub-second parts of the clock are dropped, never rounded up
    const auto at = fixed_clock::time_point{std::chrono::seconds{t0}} + 999ms;
    CHECK(nlohmann::json::parse(jwtmint_test::split_token(b.sign_at(at)).payload).at("iat") == t0);
}

TEST_CASE("the JSON has no whitespace and keeps its member order", "[builder]") {
    auto b = make();
    b.roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .subject("user 42")
        .issuer("https://host.example")
        .audience({"widget", "admin"})
        .jwt_id("id 1")
        .key_id("key 1")
        .claim("tenant", nlohmann::json{{"name", "Acme Corp"}, {"seats", {1, 2, 3}}});
    const std::string token = b.sign();
    const auto parts = jwtmint_test::split_token(token);
    // ordered_json keeps member order; its compact dump has no whitespace at all
    CHECK(nlohmann::ordered_json::parse(parts.header).dump() == parts.header);
    CHECK(nlohmann::ordered_json::parse(parts.payload).dump() == parts.payload);
    CHECK(parts.header == R"({"alg":"HS256","typ":"JWT","kid":"key 1"})");
    CHECK(token.find('=') == std::string::npos);
    CHECK(token == expected_token(parts.header, parts.payload));
}

TEST_CASE("role claim forms", "[builder]") {
    const std::string tail = "," + iat_exp(jwt::default_lifetime.count()) + "}";
    SECTION("a JSON array by default") {
        auto b = make();
        b.roles({"Accounting Team", "Support Team"});
        CHECK(signed_payload(b) == R"({"roles":["Accounting Team","Support Team"])" + tail);
    }
    SECTION("one comma-separated string") {
        auto b = make();
        b.roles({"Accounting Team", "Support Team"}).role_format(jwt::role_format::comma_separated);
        CHECK(signed_payload(b) == R"({"roles":"Accounting Team, Support Team")" + tail);
    }
    SECTION("a configurable claim name") {
        auto b = make();
        b.role_claim("groups").roles({"Admin"});
        CHECK(signed_payload(b) == R"({"groups":["Admin"])" + tail);
    }
    SECTION("roles from containers of strings") {
        const std::vector<std::string> v{"Accounting Team", "Support Team"};
        const std::vector<std::string_view> sv{"Accounting Team", "Support Team"};
        const std::array<const char*, 2> a{"Accounting Team", "Support Team"};
        const std::string expected = R"({"roles":["Accounting Team","Support Team"])" + tail;
        CHECK(signed_payload(make().roles(v)) == expected);
        CHECK(signed_payload(make().roles(sv)) == expected);
        CHECK(signed_payload(make().roles(a)) == expected);
    }
    SECTION("one string is split on commas as the vendor reads it") {
        CHECK(signed_payload(make().roles("Accounting Team, Support Team")) ==
              R"({"roles":["Accounting Team","Support Team"])" + tail);
        CHECK(signed_payload(make().roles("Admin")) == R"({"roles":["Admin"])" + tail);
        CHECK(signed_payload(make().roles(std::string("A,B"))) == R"({"roles":["A","B"])" + tail);
    }
    SECTION("add_role appends one name as given") {
        CHECK(signed_payload(make().roles({"A"}).add_role("B").add_role("Sales, EMEA")) ==
              R"({"roles":["A","B","Sales, EMEA"])" + tail);
        auto b = make();
        b.add_role("Sales, EMEA").role_format(jwt::role_format::comma_separated);
        CHECK_ERRC(b.sign(), jwt::errc::invalid_claim);  // the string form would split it in two
    }
    SECTION("a later roles() replaces the earlier list") {
        CHECK(signed_payload(make().roles({"A", "B"}).roles({"C"})) == R"({"roles":["C"])" + tail);
    }
    SECTION("names are trimmed") {
        CHECK(signed_payload(make().roles({"  A ", "\tB"})) == R"({"roles":["A","B"])" + tail);
    }
    SECTION("names that need escaping, and UTF-8") {
        CHECK(signed_payload(make().roles({"R&D \"West\"", "Équipe"})) ==
              R"({"roles":["R&D \"West\"","Équipe"])" + tail);
    }
    SECTION("refused names") {
        CHECK_ERRC(make().roles({"Admin", "admin"}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"Admin", ""}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles("A,,B").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"Line\nbreak"}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"\xff"}).sign(), jwt::errc::invalid_claim);
    }
    SECTION("refused claim names") {
        CHECK_ERRC(make().role_claim("").roles({"A"}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().role_claim("email").roles({"A"}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().role_claim("exp").roles({"A"}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().role_claim("a\nb").roles({"A"}).sign(), jwt::errc::invalid_claim);
        // a custom claim may not shadow the role claim, whatever its name
        CHECK_ERRC(make().roles({"A"}).claim("roles", "Admin").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().role_claim("groups").roles({"A"}).claim("groups", 1).sign(), jwt::errc::invalid_claim);
    }
}

TEST_CASE("identity claims", "[builder]") {
    const std::string tail = "," + iat_exp(jwt::default_lifetime.count()) + "}";
    SECTION("all of them, in a fixed order") {
        auto b = make();
        b.preferred_username("ada").upn("ada@corp.example").email("ada@example.com").subject("user-42").roles({"A"});
        CHECK(signed_payload(b) ==
              R"({"sub":"user-42","email":"ada@example.com","upn":"ada@corp.example","preferred_username":"ada",)"
              R"("roles":["A"])" +
                  tail);
    }
    SECTION("each alone") {
        CHECK(signed_payload(make().upn("ada@corp.example").roles({"A"})) ==
              R"({"upn":"ada@corp.example","roles":["A"])" + tail);
        CHECK(signed_payload(make().preferred_username("Ada L.").roles({"A"})) ==
              R"({"preferred_username":"Ada L.","roles":["A"])" + tail);
        CHECK(signed_payload(make().subject("42").roles({"A"})) == R"({"sub":"42","roles":["A"])" + tail);
        CHECK(signed_payload(make().email("élodie@exämple.fr").roles({"A"})) ==
              R"({"email":"élodie@exämple.fr","roles":["A"])" + tail);
    }
    SECTION("an invalid email is invalid_claim") {
        for (const char* bad : {"ada", "ada@example", "ada @example.com", "", "ada@@example.com"}) {
            INFO(bad);
            CHECK_ERRC(make().roles({"A"}).email(bad).sign(), jwt::errc::invalid_claim);
        }
    }
    SECTION("empty, blank or control-character values are invalid_claim") {
        CHECK_ERRC(make().roles({"A"}).upn("").sign(), jwt::errc::invalid_claim);
        // The verifier refuses an identity claim that is present but names no one.
        CHECK_ERRC(make().roles({"A"}).upn(" ").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).preferred_username("   ").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).email(" ").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).upn(std::string("ada\0", 4)).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).key_id(std::string("k1\0", 3)).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).preferred_username("a\tb").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).subject("").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).subject("\xc0\x80").sign(), jwt::errc::invalid_claim);
    }
}

TEST_CASE("registered claims iss, aud, nbf, jti and the kid header", "[builder]") {
    const std::int64_t lt = jwt::default_lifetime.count();
    SECTION("iss, aud as a string, jti, nbf") {
        auto b = make();
        b.roles({"A"})
            .issuer("https://host.example")
            .audience("customgpt")
            .jwt_id("7f3c")
            .not_before(fixed_clock::time_point{std::chrono::seconds{t0 - 5}});
        CHECK(signed_payload(b) == R"({"iss":"https://host.example","aud":"customgpt","roles":["A"],"jti":"7f3c",)"
                                   R"("iat":)" +
                                       std::to_string(t0) + R"(,"nbf":)" + std::to_string(t0 - 5) + R"(,"exp":)" +
                                       std::to_string(t0 + lt) + "}");
    }
    SECTION("aud as an array, even of one") {
        CHECK(signed_payload(make().roles({"A"}).audience({"a", "b"})) ==
              R"({"aud":["a","b"],"roles":["A"],)" + iat_exp(lt) + "}");
        CHECK(signed_payload(make().roles({"A"}).audience({"a"})) ==
              R"({"aud":["a"],"roles":["A"],)" + iat_exp(lt) + "}");
        CHECK(signed_payload(make().roles({"A"}).audience({"a", "b"}).audience("c")) ==
              R"({"aud":"c","roles":["A"],)" + iat_exp(lt) + "}");
    }
    SECTION("aud from a runtime range") {
        const std::vector<std::string> from_config{"widget", "gateway"};
        CHECK(signed_payload(make().roles({"A"}).audience(from_config)) ==
              R"({"aud":["widget","gateway"],"roles":["A"],)" + iat_exp(lt) + "}");
        const std::vector<std::string> none;
        CHECK(signed_payload(make().roles({"A"}).audience("x").audience(none)) ==
              R"({"roles":["A"],)" + iat_exp(lt) + "}");  // an empty list leaves aud out
        const std::vector<std::string> with_empty{"a", ""};
        CHECK_ERRC(make().roles({"A"}).audience(with_empty).sign(), jwt::errc::invalid_claim);
    }
    SECTION("empty values are refused") {
        CHECK_ERRC(make().roles({"A"}).audience("").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).audience({"a", ""}).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).issuer("").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).jwt_id("").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).key_id("").sign(), jwt::errc::invalid_claim);
    }
    SECTION("kid goes in the header") {
        auto b = make();
        b.roles({"A"}).key_id("2025-06");
        const std::string header = R"({"alg":"HS256","typ":"JWT","kid":"2025-06"})";
        CHECK(b.header_json() == header);
        const std::string payload = R"({"roles":["A"],)" + iat_exp(lt) + "}";
        CHECK(b.sign() == expected_token(header, payload));
    }
}

TEST_CASE("custom claims via nlohmann::json", "[builder]") {
    const std::string tail = iat_exp(jwt::default_lifetime.count()) + "}";
    SECTION("any JSON value, compact, in the order given") {
        auto b = make();
        b.roles({"A"})
            .claim("tenant", "acme")
            .claim("seats", 42)
            .claim("beta", true)
            .claim("ratio", 0.5)
            .claim("none", nullptr)
            .claim("plan", nlohmann::json{{"tier", "gold"}, {"ids", {1, 2}}})
            .claim("quote\"d", "a\"b\\c\n");
        CHECK(signed_payload(b) == R"({"roles":["A"],"tenant":"acme","seats":42,"beta":true,"ratio":0.5,"none":null,)"
                                   R"("plan":{"ids":[1,2],"tier":"gold"},"quote\"d":"a\"b\\c\n",)" +
                                       tail);
    }
    SECTION("setting a claim again replaces its value in place") {
        CHECK(signed_payload(make().roles({"A"}).claim("x", 1).claim("y", 2).claim("x", 3)) ==
              R"({"roles":["A"],"x":3,"y":2,)" + tail);
    }
    SECTION("the names the builder manages are refused") {
        for (const char* name :
             {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "upn", "preferred_username"}) {
            INFO(name);
            CHECK_ERRC(make().roles({"A"}).claim(name, "x").sign(), jwt::errc::invalid_claim);
        }
    }
    SECTION("an empty name or invalid UTF-8 is refused") {
        CHECK_ERRC(make().roles({"A"}).claim("", 1).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).claim("\xff", 1).sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).claim("name", "\xff").sign(), jwt::errc::invalid_claim);
        CHECK_ERRC(make().roles({"A"}).claim("name", nlohmann::json::array({"ok", "\xc0\x80"})).sign(),
                   jwt::errc::invalid_claim);
    }
    SECTION("invalid UTF-8 anywhere inside the value is found before serialising it (no exception inside)") {
        // A member name, deep in an object, deep in an array: each found by walking the value.
        const nlohmann::json bad_key = {{"outer", {{"ok", 1}, {"\xfe", 2}}}};
        const nlohmann::json bad_deep = {
            {"a", nlohmann::json::array({1, nlohmann::json::array({"x", "y\xed\xa0\x80"})})}};
        const nlohmann::json bad_last = nlohmann::json::array({"fine", {{"k", "v"}}, "trunc\xe2\x82"});
        for (const auto* value : {&bad_key, &bad_deep, &bad_last}) {
            const auto r = make().roles({"A"}).claim("x", *value).try_sign();
            REQUIRE_FALSE(r);
            CHECK_EC(r.error_code(), jwt::errc::invalid_claim);
            CHECK(std::string(r.error().what()) ==
                  "claim 'x' cannot be serialised: its value holds text that is not valid UTF-8 (a string or a "
                  "member name)");
        }
        // valid multi-byte text everywhere is kept as it is
        const nlohmann::json good = {{"n\xc3\xa4me", nlohmann::json::array({"\xe2\x82\xac", "\xf0\x9f\x98\x80"})}};
        CHECK(signed_payload(make().roles({"A"}).claim("x", good)) ==
              "{\"roles\":[\"A\"],\"x\":{\"n\xc3\xa4me\":[\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\"]}," + tail);
    }
    SECTION("a name holding U+0000 is refused (the verifier refuses it); a value may hold it") {
        using namespace std::string_literals;
        for (const std::string& name : {"\0"s, "email\0"s, "roles\0x"s, "a\0b"s}) {
            INFO(nlohmann::json(name).dump());
            CHECK_ERRC(make().roles({"A"}).claim(name, "x").sign(), jwt::errc::invalid_claim);
        }
        CHECK(signed_payload(make().roles({"A"}).claim("note", "a\0b"s).claim("o", nlohmann::json{{"k\0"s, 1}})) ==
              R"({"roles":["A"],"note":"a\u0000b","o":{"k\u0000":1},)" + tail);
    }
}

TEST_CASE("the lifetime policy, with a pinned clock", "[builder]") {
    SECTION("the default lifetime is within the 10 minute ceiling") {
        static_assert(jwt::default_max_lifetime == 10min);
        static_assert(jwt::default_lifetime > 0s && jwt::default_lifetime <= jwt::default_max_lifetime);
        CHECK(lifetime_of(signed_payload(make().roles({"A"}))) == jwt::default_lifetime.count());
    }
    SECTION("expires_in(10min) is the ceiling and allowed: exp - iat == 600") {
        const std::string payload = signed_payload(make().roles({"A"}).expires_in(10min));
        CHECK(lifetime_of(payload) == 600);
        CHECK(nlohmann::json::parse(payload).at("iat") == t0);
        CHECK(lifetime_of(signed_payload(make().roles({"A"}).expires_in(1s))) == 1);
        CHECK(lifetime_of(signed_payload(make().roles({"A"}).expires_in(90s))) == 90);
    }
    SECTION("601 s is invalid_lifetime") {
        CHECK_ERRC(make().roles({"A"}).expires_in(601s).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(11min).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(24h).sign(), jwt::errc::invalid_lifetime);
    }
    SECTION("zero, negative and sub-second lifetimes are invalid_lifetime") {
        CHECK_ERRC(make().roles({"A"}).expires_in(0s).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(-1s).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(-10min).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(500ms).sign(), jwt::errc::invalid_lifetime);
    }
    SECTION("a raised ceiling: max_lifetime(1h) then expires_in(30min)") {
        CHECK(lifetime_of(signed_payload(make().roles({"A"}).max_lifetime(1h).expires_in(30min))) == 1800);
        CHECK(lifetime_of(signed_payload(make().roles({"A"}).expires_in(30min).max_lifetime(1h))) == 1800);
        CHECK(lifetime_of(signed_payload(make().roles({"A"}).max_lifetime(1h).expires_in(1h))) == 3600);
        CHECK_ERRC(make().roles({"A"}).max_lifetime(1h).expires_in(3601s).sign(), jwt::errc::invalid_lifetime);
    }
    SECTION("a lowered ceiling applies to the default lifetime too") {
        CHECK_ERRC(make().roles({"A"}).max_lifetime(jwt::default_lifetime - 1s).sign(), jwt::errc::invalid_lifetime);
    }
    SECTION("a ceiling of zero or less is invalid_lifetime") {
        CHECK_ERRC(make().roles({"A"}).max_lifetime(0s).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).max_lifetime(-1h).sign(), jwt::errc::invalid_lifetime);
    }
    SECTION("nbf at or after exp is invalid_lifetime") {
        const auto now = fixed_clock::time_point{std::chrono::seconds{t0}};
        CHECK_ERRC(make().roles({"A"}).expires_in(60s).not_before(now + 60s).sign(), jwt::errc::invalid_lifetime);
        CHECK_ERRC(make().roles({"A"}).expires_in(60s).not_before(now + 1h).sign(), jwt::errc::invalid_lifetime);
        const auto j = nlohmann::json::parse(signed_payload(make().roles({"A"}).expires_in(60s).not_before(now + 59s)));
        CHECK(j.at("nbf") == t0 + 59);
        CHECK(j.at("exp") == t0 + 60);
    }
}

TEST_CASE("roles are required unless explicitly allowed", "[builder]") {
    CHECK_ERRC(make().email("ada@example.com").sign(), jwt::errc::missing_roles);
    CHECK_ERRC(make().sign(), jwt::errc::missing_roles);
    CHECK_ERRC(make().roles(std::vector<std::string>{}).sign(), jwt::errc::missing_roles);
    CHECK_ERRC(make().roles({}).sign(), jwt::errc::missing_roles);
    const std::int64_t lt = jwt::default_lifetime.count();
    CHECK(signed_payload(make().email("ada@example.com").allow_missing_roles()) ==
          R"({"email":"ada@example.com",)" + iat_exp(lt) + "}");
    CHECK(signed_payload(make().allow_missing_roles()) == "{" + iat_exp(lt) + "}");
    CHECK_ERRC(make().allow_missing_roles().allow_missing_roles(false).sign(), jwt::errc::missing_roles);
}

TEST_CASE("the first error wins and sign(error_code&) reports it without a token", "[builder]") {
    CHECK_ERRC(make().roles({"A"}).email("bad").expires_in(-1s).sign(), jwt::errc::invalid_claim);
    CHECK_ERRC(make().roles({"A"}).expires_in(-1s).email("bad").sign(), jwt::errc::invalid_lifetime);
    // a setter error comes before what sign() itself checks (no roles here)
    CHECK_ERRC(make().email("bad").sign(), jwt::errc::invalid_claim);
    // a later valid value does not clear an earlier error
    CHECK_ERRC(make().roles({"A"}).email("bad").email("ada@example.com").sign(), jwt::errc::invalid_claim);

    SECTION("error_code overload") {
        std::error_code ec = jwt::errc::weak_key;
        auto b = make();
        CHECK_FALSE(b.roles({"A"}).sign(ec).empty());
        CHECK_FALSE(ec);  // cleared on success

        b.email("not-an-email").expires_in(1h);
        std::string token = "untouched";
        CHECK_NOTHROW(token = b.sign(ec));
        CHECK(token.empty());
        CHECK_EC(ec, jwt::errc::invalid_claim);

        CHECK(make().sign(ec).empty());
        CHECK_EC(ec, jwt::errc::missing_roles);
        CHECK(make().roles({"A"}).expires_in(11min).sign(ec).empty());
        CHECK_EC(ec, jwt::errc::invalid_lifetime);
    }
}

TEST_CASE("try_sign returns the error sign() throws, with the same code and message", "[builder]") {
    struct failing_case {
        const char* name;
        hs_builder builder;
        jwt::errc code;
    };
    const std::vector<failing_case> cases = {
        {"a setter error", make().roles({"A"}).email("bad"), jwt::errc::invalid_claim},
        {"no roles", make(), jwt::errc::missing_roles},
        {"over the ceiling", make().roles({"A"}).expires_in(11min), jwt::errc::invalid_lifetime},
        {"nbf after exp", make().roles({"A"}).not_before(fixed_clock::time_point{std::chrono::seconds{t0 + 3600}}),
         jwt::errc::invalid_lifetime},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const auto r = c.builder.try_sign();
        REQUIRE_FALSE(r);
        CHECK_EC(r.error_code(), c.code);
        const auto thrown = jwtmint_test::outcome_of([&] { static_cast<void>(c.builder.sign()); });
        CHECK(thrown.code == jwtmint_test::describe_code(c.code));
        CHECK(thrown.message == r.error().what());
        const auto at = c.builder.try_sign_at(fixed_clock::now());
        REQUIRE_FALSE(at);
        CHECK(std::string(at.error().what()) == r.error().what());
        const auto payload = c.builder.try_payload_json(fixed_clock::now());
        REQUIRE_FALSE(payload);
        CHECK(std::string(payload.error().what()) == r.error().what());
        std::error_code ec;
        CHECK(c.builder.sign_at(fixed_clock::now(), ec).empty());
        CHECK_EC(ec, c.code);
    }
    const auto ok = make().roles({"A"}).try_sign();
    REQUIRE(ok);
    CHECK(*ok == make().roles({"A"}).sign());
    const auto payload = make().roles({"A"}).try_payload_json(fixed_clock::now());
    REQUIRE(payload);
    CHECK(*payload == R"({"roles":["A"],)" + iat_exp(300) + "}");
}

TEST_CASE("sign_compact signs header and payload octets exactly as given", "[builder]") {
    const std::string header = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    const std::string payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380}";
    CHECK(jwt::sign_compact(signer(), header, payload) == expected_token(header, payload));
    CHECK(jwt::sign_compact(signer(), "", "") == expected_token("", ""));
    const std::string binary("\0\xff\x01 \n", 5);
    CHECK(jwt::sign_compact(signer(), binary, binary) == expected_token(binary, binary));
    const auto r = jwt::try_sign_compact(signer(), header, payload);
    REQUIRE(r);
    CHECK(*r == expected_token(header, payload));
    std::error_code ec = jwt::errc::weak_key;
    CHECK(jwt::sign_compact(signer(), header, payload, ec) == expected_token(header, payload));
    CHECK_FALSE(ec);
}

TEST_CASE("ES256 and RS256 through the builder", "[builder]") {
    fixed_clock::set(t0);
    const auto es = jwt::es256::from_pem(jwtmint_test::p256_pem());
    auto pub = jwtmint_test::load_public_evp(jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem()));
    const std::string token = jwt::builder<jwt::es256, fixed_clock>{es}.roles({"A"}).email("ada@example.com").sign();
    const auto parts = jwtmint_test::split_token(token);
    CHECK(parts.header == R"({"alg":"ES256","typ":"JWT"})");
    CHECK(parts.payload ==
          R"({"email":"ada@example.com","roles":["A"],)" + iat_exp(jwt::default_lifetime.count()) + "}");
    CHECK(parts.signature.size() == 64);
    CHECK(jwtmint_test::verify_jws_signature(pub.get(), "ES256", parts.signing_input, parts.signature));

    const auto rs = jwt::rs256::from_pem(jwtmint_test::rsa2048_pem());
    const std::string rs_token = jwt::builder<jwt::rs256, fixed_clock>{rs}.roles({"A"}).sign();
    const auto rs_parts = jwtmint_test::split_token(rs_token);
    CHECK(rs_parts.header == R"({"alg":"RS256","typ":"JWT"})");
    CHECK(rs_parts.signature.size() == 256);
    auto rs_pub = jwtmint_test::load_public_evp(jwtmint_test::openssl_public_pem(jwtmint_test::rsa2048_pem()));
    CHECK(jwtmint_test::verify_jws_signature(rs_pub.get(), "RS256", rs_parts.signing_input, rs_parts.signature));
}

TEST_CASE("the README example with the system clock", "[builder]") {
    const auto s = jwt::hs256::from_secret(secret);
    const auto before = std::chrono::system_clock::now();
    const std::string token =
        jwt::builder{s}.roles({"Accounting Team", "Support Team"}).email("ada@example.com").expires_in(10min).sign();
    const auto after = std::chrono::system_clock::now();
    const auto j = nlohmann::json::parse(jwtmint_test::split_token(token).payload);
    const auto iat = j.at("iat").get<std::int64_t>();
    CHECK(iat >= std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count());
    CHECK(iat <= std::chrono::duration_cast<std::chrono::seconds>(after.time_since_epoch()).count());
    CHECK(j.at("exp").get<std::int64_t>() - iat == 600);
}

// The builder bound to a login policy. These cases sign through try_sign and take the policy as
// an argument, so their helpers (make, signed_payload) differ from the ones above: they and the
// cases live in a namespace of their own, where their names hide those above.
namespace with_policy {
namespace {

hs_builder make(const jwt::login_policy& policy) {
    fixed_clock::set(t0);
    return hs_builder{signer(), policy};
}

/// The payload of a token that must sign, checked against an HMAC computed without jwtmint.
std::string signed_payload(const hs_builder& b) {
    const auto token = b.try_sign();
    INFO((token ? std::string() : std::string(token.error().what())));
    REQUIRE(token);
    const auto parts = jwtmint_test::split_token(*token);
    CHECK(parts.signature == jwtmint_test::hmac_sha256(secret, parts.signing_input));
    return parts.payload;
}

/// The error of a builder that must not sign; the throwing form throws the same.
jwt::error refusal(const hs_builder& b) {
    const auto token = b.try_sign();
    REQUIRE_FALSE(token);
    const auto thrown = jwtmint_test::outcome_of([&] { static_cast<void>(b.sign()); });
    CHECK(thrown.message == token.error().what());
    return token.error();
}

jwt::login_policy team_policy() {
    jwt::login_policy p;
    p.team_roles({"Accounting Team", "Support Team"});
    return p;
}

}  // namespace

TEST_CASE("with the default policy the builder mints what it minted without one", "[builder][policy]") {
    const jwt::login_policy policy;
    const std::string payload = R"({"email":"ada@example.com","roles":["Support Team"],)" + iat_exp(300) + "}";
    CHECK(signed_payload(make(policy).roles({"Support Team"}).email("ada@example.com")) == payload);
    fixed_clock::set(t0);
    CHECK(hs_builder{signer()}.roles({"Support Team"}).email("ada@example.com").payload_json(fixed_clock::now()) ==
          payload);
}

TEST_CASE("the policy's own error is reported by sign()", "[builder][policy]") {
    jwt::login_policy policy;
    policy.role_claim("");  // refused by the policy, remembered
    const auto e = refusal(make(policy).roles({"A"}));
    CHECK(e.value() == jwt::errc::invalid_policy);
    CHECK(std::string(e.what()) == std::string(policy.check().error().what()));
}

TEST_CASE("an algorithm the policy does not allow is algorithm_not_allowed", "[builder][policy]") {
    jwt::login_policy policy;
    policy.algorithms({"RS256", "ES256"});
    const auto e = refusal(make(policy).roles({"A"}));
    CHECK(e.value() == jwt::errc::algorithm_not_allowed);
    const std::string msg = e.what();
    CHECK(msg.find("'HS256'") != std::string::npos);
    CHECK(msg.find("RS256, ES256") != std::string::npos);
    CHECK(msg.find("jwtmint keygen rs256") != std::string::npos);

    SECTION("a signer the widget never accepts, bound at run time with .policy()") {
        const auto rs384 = jwt::rs384::from_pem(jwtmint_test::rsa2048_pem());
        const jwt::login_policy widget;
        const auto token = jwt::builder{rs384}.policy(widget).roles({"A"}).try_sign();
        REQUIRE_FALSE(token);
        CHECK_EC(token.error_code(), jwt::errc::algorithm_not_allowed);
        // without the policy it signs as before
        CHECK(jwt::builder{rs384}.roles({"A"}).try_sign());
    }
}

TEST_CASE("with a policy roles are required, even with allow_missing_roles", "[builder][policy]") {
    const auto policy = team_policy();
    CHECK(refusal(make(policy).email("ada@example.com")).value() == jwt::errc::missing_roles);
    CHECK(refusal(make(policy).allow_missing_roles().email("ada@example.com")).value() == jwt::errc::missing_roles);
    const std::string msg = refusal(make(policy)).what();
    CHECK(msg.find("'roles'") != std::string::npos);
    CHECK(msg.find("Accounting Team, Support Team") != std::string::npos);
}

TEST_CASE("a role that is not a team role is unknown_role, naming the nearest one", "[builder][policy]") {
    const auto policy = team_policy();
    const auto e = refusal(make(policy).roles({"Support Team", "Acounting Team"}));
    CHECK(e.value() == jwt::errc::unknown_role);
    CHECK(std::string(e.what()) ==
          "role 'Acounting Team' is not one of the team roles (did you mean 'Accounting Team'?); "
          "team roles: Accounting Team, Support Team");
    // nothing close: no suggestion, but the list
    const std::string far = refusal(make(policy).roles({"Marketing"})).what();
    CHECK(far.find("did you mean") == std::string::npos);
    CHECK(far.find("team roles: Accounting Team, Support Team") != std::string::npos);
    // team roles match case-insensitively, as the vendor matches them; the name is written as given
    CHECK(signed_payload(make(policy).roles({"support team"})) == R"({"roles":["support team"],)" + iat_exp(300) + "}");
}

TEST_CASE("the role claim's name and form come from the policy", "[builder][policy]") {
    jwt::login_policy policy;
    policy.role_claim("groups").role_format(jwt::role_format::comma_separated);
    CHECK(signed_payload(make(policy).roles({"Accounting Team", "Support Team"})) ==
          R"({"groups":"Accounting Team, Support Team",)" + iat_exp(300) + "}");

    SECTION("a role holding ',' in the comma form is refused") {
        const auto e = refusal(make(policy).add_role("Sales, EMEA"));
        CHECK(e.value() == jwt::errc::invalid_claim);
        CHECK(std::string(e.what()).find("comma") != std::string::npos);
        // the array form carries it
        jwt::login_policy array_policy;
        CHECK(signed_payload(make(array_policy).add_role("Sales, EMEA")) ==
              R"({"roles":["Sales, EMEA"],)" + iat_exp(300) + "}");
    }
    SECTION("a different name or form set on the builder is refused, the same one is fine") {
        CHECK(refusal(make(policy).role_claim("roles").roles({"A"})).value() == jwt::errc::invalid_policy);
        CHECK(refusal(make(policy).role_format(jwt::role_format::array).roles({"A"})).value() ==
              jwt::errc::invalid_policy);
        CHECK(signed_payload(
                  make(policy).role_claim("groups").role_format(jwt::role_format::comma_separated).roles({"A"})) ==
              R"({"groups":"A",)" + iat_exp(300) + "}");
    }
    SECTION("a custom claim named like the policy's role claim is refused") {
        CHECK(refusal(make(policy).roles({"A"}).claim("groups", "x")).value() == jwt::errc::invalid_claim);
    }
}

TEST_CASE("the lifetime ceiling is the policy's", "[builder][policy]") {
    jwt::login_policy policy;
    policy.max_lifetime(2min);
    const auto e = refusal(make(policy).roles({"A"}).expires_in(121s));
    CHECK(e.value() == jwt::errc::invalid_lifetime);
    CHECK(std::string(e.what()) == "lifetime of 121 s exceeds the ceiling of 120 s of the login policy (max_lifetime)");
    CHECK(signed_payload(make(policy).roles({"A"}).expires_in(2min)) == R"({"roles":["A"],)" + iat_exp(120) + "}");

    SECTION("a policy may raise it above the builder's own default of 10 minutes") {
        jwt::login_policy long_policy;
        long_policy.max_lifetime(30min);
        CHECK(signed_payload(make(long_policy).roles({"A"}).expires_in(20min)) ==
              R"({"roles":["A"],)" + iat_exp(1200) + "}");
        fixed_clock::set(t0);
        CHECK_FALSE(hs_builder{signer()}.roles({"A"}).expires_in(20min).try_sign());  // no policy: 10 min
    }
    SECTION("the builder's max_lifetime may only lower it") {
        CHECK(std::string(refusal(make(policy).roles({"A"}).max_lifetime(1min).expires_in(90s)).what()) ==
              "lifetime of 90 s exceeds the ceiling of 60 s set with .max_lifetime()");
        CHECK(refusal(make(policy).roles({"A"}).max_lifetime(1h).expires_in(3min)).value() ==
              jwt::errc::invalid_lifetime);
    }
}

TEST_CASE("the builder refers to the policy: a later change to it applies", "[builder][policy]") {
    jwt::login_policy policy;
    auto b = make(policy);
    b.roles({"Marketing"});
    CHECK(signed_payload(b) == R"({"roles":["Marketing"],)" + iat_exp(300) + "}");
    policy.team_roles({"Accounting Team", "Support Team"});
    CHECK(refusal(b).value() == jwt::errc::unknown_role);
}

TEST_CASE("the setter error still comes first, and sign(ec) reports the policy's refusals", "[builder][policy]") {
    const auto policy = team_policy();
    CHECK(refusal(make(policy).email("bad").roles({"Nobody"})).value() == jwt::errc::invalid_claim);
    std::error_code ec;
    CHECK(make(policy).roles({"Nobody"}).sign(ec).empty());
    CHECK_EC(ec, jwt::errc::unknown_role);
    CHECK_FALSE(make(policy).roles({"Support Team"}).sign(ec).empty());
    CHECK_FALSE(ec);
}

}  // namespace with_policy
