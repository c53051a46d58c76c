// SPDX-License-Identifier: MIT
// builder.hpp with a jwt::login_policy: each refusal the policy adds (its own error, an algorithm
// it does not allow, no roles, an unknown role with the nearest team role, ',' in the comma form,
// its lifetime ceiling), and the role claim's name and form taken from it; exact payloads with a
// pinned clock.
#include <jwtmint/builder.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/signers.hpp>

#include "core_helpers.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

using namespace std::chrono_literals;
using jwtmint_test::fixed_clock;
using hs_builder = jwt::builder<jwt::hs256, fixed_clock>;

// The builder refers to the policy, like the signer: a temporary policy does not bind.
static_assert(std::is_constructible_v<hs_builder, const jwt::hs256&, const jwt::login_policy&>);
static_assert(!std::is_constructible_v<hs_builder, const jwt::hs256&, jwt::login_policy&&>);

namespace {

constexpr std::int64_t t0 = 1764000000;
const std::string secret = "widget-login-secret-0123456789-abcdef";

const jwt::hs256& signer() {
    static const jwt::hs256 s = jwt::hs256::from_secret(secret);
    return s;
}

hs_builder make(const jwt::login_policy& policy) {
    fixed_clock::set(t0);
    return hs_builder{signer(), policy};
}

std::string iat_exp(std::int64_t lifetime) {
    return R"("iat":)" + std::to_string(t0) + R"(,"exp":)" + std::to_string(t0 + lifetime);
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
        CHECK(signed_payload(make(policy).role_claim("groups").role_format(jwt::role_format::comma_separated).roles(
                  {"A"})) == R"({"groups":"A",)" + iat_exp(300) + "}");
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
