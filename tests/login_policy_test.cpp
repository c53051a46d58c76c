// SPDX-License-Identifier: MIT
// login_policy.hpp: the widget's defaults, every setter's refusal, the algorithm and role checks,
// the "did you mean" suggestion, the policy file (round trip and every kind of bad file), and the
// compile-time algorithm trait.
#include <jwtmint/json.hpp>
#include <jwtmint/login_policy.hpp>

#include "core_helpers.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <list>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

namespace {

/// The message of a failed result, after checking that it failed with the expected code.
template <class R>
std::string failure(const R& r, jwt::errc expected) {
    REQUIRE_FALSE(r.has_value());
    CHECK(jwtmint_test::describe_code(r.error_code()) == jwtmint_test::describe_code(expected));
    return r.error().what();
}

/// The message check() gives for a policy whose setter refused a value.
std::string refusal(const jwt::login_policy& p) { return failure(p.check(), jwt::errc::invalid_policy); }

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

// The trait reads only a signer's `static constexpr std::string_view alg`, declared as jwt::rs256,
// jwt::es384 and a user's own signer declare it (local types: signers.hpp is not needed for it).
struct rs256_like {
    static constexpr std::string_view alg = "RS256";
};
struct es256_like {
    static constexpr std::string_view alg = "ES256";
};
struct hs256_like {
    static constexpr std::string_view alg = "HS256";
};
struct es384_like {
    static constexpr std::string_view alg = "ES384";
};
struct rs512_like {
    static constexpr std::string_view alg = "RS512";
};
struct lower_case_hs256 {
    static constexpr std::string_view alg = "hs256";  // JOSE names are case-sensitive
};
struct not_a_signer {};

static_assert(jwt::is_widget_algorithm_v<rs256_like>);
static_assert(jwt::is_widget_algorithm_v<es256_like>);
static_assert(jwt::is_widget_algorithm_v<hs256_like>);
static_assert(!jwt::is_widget_algorithm_v<es384_like>);
static_assert(!jwt::is_widget_algorithm_v<rs512_like>);
static_assert(!jwt::is_widget_algorithm_v<lower_case_hs256>);
static_assert(!jwt::is_widget_algorithm_v<not_a_signer>);
static_assert(std::size(jwt::widget_algorithms) == 3);
static_assert(jwt::widget_algorithms[0] == "RS256" && jwt::widget_algorithms[1] == "ES256" &&
              jwt::widget_algorithms[2] == "HS256");

TEST_CASE("the default policy is the widget's defaults", "[login_policy]") {
    const jwt::login_policy p;
    CHECK(p.check());
    CHECK(p.role_claim() == "roles");
    CHECK(p.role_format() == jwt::role_format::array);
    CHECK(p.team_roles().empty());
    CHECK(p.algorithms() == strings{"RS256", "ES256", "HS256"});
    CHECK(p.max_lifetime() == 600s);
    CHECK(p.identity_claims() == strings{"email", "upn", "preferred_username"});
    // No team roles listed: any role name is accepted, and nothing is suggested.
    CHECK(p.check_role("Whatever Team"));
    CHECK_FALSE(p.nearest_team_role("Whatever Team").has_value());
}

TEST_CASE("setters store valid values and chain", "[login_policy]") {
    jwt::login_policy p;
    p.role_claim("groups")
        .role_format(jwt::role_format::comma_separated)
        .team_roles({"  Accounting Team ", "Support Team\t"})
        .algorithms({"es256", "Rs256"})
        .max_lifetime(5min)
        .identity_claims({"upn", "email"});
    CHECK(p.check());
    CHECK(p.role_claim() == "groups");
    CHECK(p.role_format() == jwt::role_format::comma_separated);
    CHECK(p.team_roles() == strings{"Accounting Team", "Support Team"});  // trimmed, order kept
    CHECK(p.algorithms() == strings{"ES256", "RS256"});                   // upper case, order kept
    CHECK(p.max_lifetime() == 300s);
    CHECK(p.identity_claims() == strings{"upn", "email"});

    SECTION("ranges of any string type") {
        const std::list<std::string> roles{"A Team", "B Team"};
        const std::array<const char*, 1> algs{"hs256"};
        p.team_roles(roles).algorithms(algs);
        CHECK(p.check());
        CHECK(p.team_roles() == strings{"A Team", "B Team"});
        CHECK(p.algorithms() == strings{"HS256"});
        p.team_roles(std::vector<std::string_view>{});  // an empty list: any role again
        CHECK(p.team_roles().empty());
    }
    SECTION("lifetime bounds and other duration types") {
        CHECK(jwt::login_policy{}.max_lifetime(1s).max_lifetime() == 1s);
        CHECK(jwt::login_policy{}.max_lifetime(24h).max_lifetime() == 86400s);
        CHECK(jwt::login_policy{}.max_lifetime(2000ms).max_lifetime() == 2s);
        CHECK(jwt::login_policy{}.max_lifetime(std::chrono::duration<double>(90.0)).max_lifetime() == 90s);
        CHECK(jwt::login_policy{}.max_lifetime(24h).check());
    }
}

TEST_CASE("every setter refuses a bad value, keeps the old one and says what to do", "[login_policy]") {
    SECTION("role_claim") {
        for (const std::string_view bad :
             {std::string_view(""), std::string_view(" roles"), std::string_view("roles "), std::string_view("ro\nles"),
              std::string_view("r\xC3", 2), std::string_view("exp"), std::string_view("iat"), std::string_view("sub"),
              std::string_view("email"), std::string_view("preferred_username")}) {
            INFO("role_claim: '" << bad << "'");
            jwt::login_policy p;
            p.role_claim(bad);
            CHECK(p.role_claim() == "roles");
            const auto message = refusal(p);
            CHECK(contains(message, "role claim name"));
        }
        jwt::login_policy p;
        p.role_claim("exp");
        CHECK(contains(refusal(p), "Attribute name"));
    }
    SECTION("role_format") {
        jwt::login_policy p;
        p.role_format(static_cast<jwt::role_format>(7));
        CHECK(p.role_format() == jwt::role_format::array);
        CHECK(contains(refusal(p), "role_format::comma_separated"));
    }
    SECTION("team_roles") {
        const std::vector<strings> bad_lists{{"Accounting Team", ""},
                                             {"  "},
                                             {"Support\nTeam"},
                                             {"Support Team", "support team"},
                                             {std::string("\xFF")}};
        for (const auto& bad : bad_lists) {
            jwt::login_policy p;
            p.team_roles({"Kept Team"});
            p.team_roles(bad);
            CHECK(p.team_roles() == strings{"Kept Team"});
            const auto message = refusal(p);
            INFO(message);
            CHECK(contains(message, "team role"));
        }
        jwt::login_policy p;
        p.team_roles({"Support Team", "SUPPORT TEAM"});
        CHECK(contains(refusal(p), "list it once"));
    }
    SECTION("algorithms") {
        for (const strings& bad : {strings{"ES384"}, strings{"RS256", "none"}, strings{"PS256"}, strings{},
                                   strings{"RS256", "rs256"}, strings{" RS256"}}) {
            jwt::login_policy p;
            p.algorithms(bad);
            CHECK(p.algorithms() == strings{"RS256", "ES256", "HS256"});
            const auto message = refusal(p);
            INFO(message);
            CHECK((contains(message, "RS256") && contains(message, "algorithm")));
        }
        jwt::login_policy p;
        p.algorithms({"ES384"});
        CHECK(refusal(p) == "algorithm 'ES384' is not one the widget accepts; use RS256 (recommended), ES256 or HS256");
    }
    SECTION("max_lifetime") {
        jwt::login_policy p;
        p.max_lifetime(0s);
        CHECK(p.max_lifetime() == 600s);
        CHECK(contains(refusal(p), "give 1 s to 86400 s"));
        for (const jwt::login_policy& q :
             {jwt::login_policy{}.max_lifetime(-1s), jwt::login_policy{}.max_lifetime(24h + 1s),
              jwt::login_policy{}.max_lifetime(999ms),
              jwt::login_policy{}.max_lifetime(std::chrono::duration<double>(std::nan(""))),
              jwt::login_policy{}.max_lifetime(std::chrono::hours(std::numeric_limits<long long>::max())),
              jwt::login_policy{}.max_lifetime(std::chrono::hours(std::numeric_limits<long long>::min()))}) {
            CHECK(q.max_lifetime() == 600s);
            CHECK(contains(refusal(q), "out of range"));
        }
        jwt::login_policy fraction;
        fraction.max_lifetime(1500ms);
        CHECK(fraction.max_lifetime() == 600s);
        CHECK(contains(refusal(fraction), "whole number of seconds"));
    }
    SECTION("identity_claims") {
        for (const auto& bad :
             {std::initializer_list<std::string_view>{"Email"}, std::initializer_list<std::string_view>{"email", "sub"},
              std::initializer_list<std::string_view>{"upn", "upn"}, std::initializer_list<std::string_view>{}}) {
            jwt::login_policy p;
            p.identity_claims(bad);
            CHECK(p.identity_claims() == strings{"email", "upn", "preferred_username"});
            const auto message = refusal(p);
            INFO(message);
            CHECK(contains(message, "identity claim"));
        }
    }
    SECTION("the first refusal wins, and a later valid value does not clear it") {
        jwt::login_policy p;
        p.algorithms({"ES384"}).role_claim("").team_roles({"Support Team"});
        CHECK(p.team_roles() == strings{"Support Team"});
        CHECK(contains(refusal(p), "ES384"));
        const jwt::login_policy copy = p;  // the refusal travels with a copy (a verifier copies)
        CHECK(contains(refusal(copy), "ES384"));
    }
}

TEST_CASE("check() refuses team roles the comma-separated form cannot carry", "[login_policy]") {
    jwt::login_policy p;
    p.team_roles({"R&D, West", "Support Team"});
    CHECK(p.check());  // an array carries a comma in a name
    p.role_format(jwt::role_format::comma_separated);
    const auto message = refusal(p);
    CHECK(contains(message, "'R&D, West'"));
    CHECK(contains(message, "role_format array"));
}

TEST_CASE("check_algorithm allows only the policy's algorithms and says which key to make", "[login_policy]") {
    const jwt::login_policy all;
    CHECK(all.check_algorithm("RS256"));
    CHECK(all.check_algorithm("ES256"));
    CHECK(all.check_algorithm("HS256"));
    for (const std::string_view alg : {"ES384", "none", "", "PS256", "HS512"}) {
        const auto message = failure(all.check_algorithm(alg), jwt::errc::algorithm_not_allowed);
        CHECK(contains(message, "RS256, ES256, HS256"));
        CHECK(contains(message, "generate one with: jwtmint keygen rs256"));
    }

    jwt::login_policy es_only;
    es_only.algorithms({"ES256"});
    CHECK(es_only.check_algorithm("ES256"));
    const auto message = failure(es_only.check_algorithm("RS256"), jwt::errc::algorithm_not_allowed);
    CHECK(message ==
          "algorithm 'RS256' is not allowed by the login policy, which allows ES256; sign with one of those "
          "(generate one with: jwtmint keygen es256)");

    // A token's alg is case-sensitive (RFC 7515 §4.1.1): "rs256" is not RS256, and the message says so.
    const auto lower = failure(all.check_algorithm("rs256"), jwt::errc::algorithm_not_allowed);
    CHECK(contains(lower, "case-sensitive: write RS256"));
}

TEST_CASE("check_role: exact, case-insensitive, unknown with and without a suggestion, comma form", "[login_policy]") {
    jwt::login_policy p;
    p.team_roles({"Accounting Team", "Support Team"});

    SECTION("known roles, compared as the vendor compares them") {
        CHECK(p.check_role("Accounting Team"));
        CHECK(p.check_role("accounting team"));
        CHECK(p.check_role("SUPPORT TEAM"));
        CHECK(p.check_role("  Support Team "));  // trimmed as the builder trims
    }
    SECTION("an unknown role close to a team role names it") {
        const auto message = failure(p.check_role("Acounting Team"), jwt::errc::unknown_role);
        CHECK(message ==
              "role 'Acounting Team' is not one of the team roles (did you mean 'Accounting Team'?); "
              "team roles: Accounting Team, Support Team");
    }
    SECTION("an unknown role far from every team role lists them and says how to add one") {
        const auto message = failure(p.check_role("Marketing"), jwt::errc::unknown_role);
        CHECK_FALSE(contains(message, "did you mean"));
        CHECK(contains(message,
                       "role 'Marketing' is not one of the team roles; team roles: Accounting Team, Support Team"));
        CHECK(contains(message, "Teams -> Roles"));
    }
    SECTION("empty, blank and unprintable names are invalid claims, team roles or not") {
        for (const jwt::login_policy& q : {p, jwt::login_policy{}}) {
            CHECK(contains(failure(q.check_role(""), jwt::errc::invalid_claim), "empty"));
            CHECK(contains(failure(q.check_role(" \t "), jwt::errc::invalid_claim), "empty"));
            CHECK(contains(failure(q.check_role("Support\nTeam"), jwt::errc::invalid_claim), "control character"));
            CHECK(contains(failure(q.check_role(std::string_view("Support \xC0", 9)), jwt::errc::invalid_claim),
                           "UTF-8"));
        }
    }
    SECTION("a comma in a name is refused only in the comma-separated form") {
        jwt::login_policy any;
        CHECK(any.check_role("R&D, West"));
        any.role_format(jwt::role_format::comma_separated);
        const auto message = failure(any.check_role("R&D, West"), jwt::errc::invalid_claim);
        CHECK(contains(message, "comma"));
        CHECK(contains(message, "role_format array"));
        // The comma is refused before the team-role lookup (it is the builder's error, not the vendor's).
        p.role_format(jwt::role_format::comma_separated);
        failure(p.check_role("Accounting Team,Support Team"), jwt::errc::invalid_claim);
    }
}

TEST_CASE("check_roles: missing_roles when there are none, else every role as check_role", "[login_policy]") {
    jwt::login_policy p;
    p.team_roles({"Accounting Team", "Support Team"});
    CHECK(contains(failure(p.check_roles(strings{}), jwt::errc::missing_roles), "'roles' claim"));
    CHECK(contains(failure(jwt::login_policy{}.role_claim("groups").check_roles(std::vector<std::string_view>{}),
                           jwt::errc::missing_roles),
                   "'groups' claim"));
    CHECK(p.check_roles(strings{"Accounting Team", "support team"}));
    CHECK(p.check_roles(std::array<std::string_view, 1>{"SUPPORT TEAM"}));
    const auto message = failure(p.check_roles(strings{"Support Team", "Suport Team"}), jwt::errc::unknown_role);
    CHECK(contains(message, "did you mean 'Support Team'?"));
    CHECK(contains(failure(p.check_roles(strings{"Support Team", ""}), jwt::errc::invalid_claim), "role name #2"));
}

TEST_CASE("nearest_team_role: case-insensitive edit distance, close enough only, first listed on a tie",
          "[login_policy]") {
    jwt::login_policy p;
    p.team_roles({"Accounting Team", "Support Team", "Sales A", "Sales B"});
    CHECK(p.nearest_team_role("Acounting Team") == std::optional<std::string>("Accounting Team"));
    CHECK(p.nearest_team_role("SUPORT TEAM") == std::optional<std::string>("Support Team"));   // case is free
    CHECK(p.nearest_team_role("support team") == std::optional<std::string>("Support Team"));  // distance 0
    CHECK(p.nearest_team_role("Accounting Tea") == std::optional<std::string>("Accounting Team"));
    CHECK(p.nearest_team_role("Marketing") == std::nullopt);
    CHECK(p.nearest_team_role("") == std::nullopt);  // "Sales A" is 7 edits away, over the limit of 2
    SECTION("ties go to the team role listed first") {
        CHECK(p.nearest_team_role("Sales C") == std::optional<std::string>("Sales A"));
        jwt::login_policy reversed;
        reversed.team_roles({"Sales B", "Sales A"});
        CHECK(reversed.nearest_team_role("Sales C") == std::optional<std::string>("Sales B"));
    }
    SECTION("the limit is max(2, length / 3)") {
        jwt::login_policy q;
        q.team_roles({"abcdefgxy"});  // "abcdefghi" has 9 characters: limit 3
        CHECK(q.nearest_team_role("abcdefghi") == std::optional<std::string>("abcdefgxy"));  // 2 edits
        q.team_roles({"abcdefxyz"});
        CHECK(q.nearest_team_role("abcdefghi") == std::optional<std::string>("abcdefxyz"));  // 3 edits: the limit
        q.team_roles({"abcdewxyz"});
        CHECK(q.nearest_team_role("abcdefghi") == std::nullopt);  // 4 edits
        q.team_roles({"abcdefghijkl"});
        CHECK(q.nearest_team_role("abcdefghi") == std::optional<std::string>("abcdefghijkl"));  // 3 insertions
        q.team_roles({"Team"});
        CHECK(q.nearest_team_role("Teem") == std::optional<std::string>("Team"));  // 1 edit
        CHECK(q.nearest_team_role("Tm") == std::nullopt);  // 2 edits, as many as "Tm" is long: no typo
        CHECK(q.nearest_team_role("T") == std::nullopt);   // 3 insertions
        q.team_roles({"IT", "Sales"});
        CHECK(q.nearest_team_role("HR") == std::nullopt);  // 2 edits: a different name, not a typo of "IT"
        CHECK(q.nearest_team_role("it") == std::optional<std::string>("IT"));
    }
    SECTION("no team roles, no suggestion") {
        CHECK(jwt::login_policy{}.nearest_team_role("Support Team") == std::nullopt);
    }
}

namespace {

/// Levenshtein distance with ASCII letters case-folded: the textbook full table, written apart from
/// the library's banded one so that the two can be compared.
std::size_t reference_distance(const std::string& a, const std::string& b) {
    const auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        }
    }
    return d[a.size()][b.size()];
}

/// The documented rule, by brute force: the first candidate at the smallest distance, if that is
/// at most max(2, length / 3) and below both names' lengths.
std::optional<std::string> reference_nearest(const std::string& name, const strings& candidates) {
    const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = reference_distance(name, c);
        if (d < best_distance && d < std::min(name.size(), c.size())) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

}  // namespace

TEST_CASE("nearest_team_role agrees with a brute-force edit distance on random names", "[login_policy]") {
    // Few distinct letters, both cases and a two-byte character, so that near names are common and
    // the cheap filters (length gap, letter counts) and the band are all exercised.
    const std::array<std::string_view, 8> pieces = {"a", "A", "b", "B", "c", "d", "\xc3\xa9", "-"};
    std::mt19937 rng(20261202);  // fixed: a failure reproduces
    const auto random_name = [&](std::size_t min_length) {
        std::string out;
        const std::size_t n = min_length + rng() % 14;
        for (std::size_t i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
        return out;
    };
    std::size_t suggested = 0;
    for (int round = 0; round < 400; ++round) {
        strings team;
        for (std::size_t i = 0, n = 1 + rng() % 5; i < n; ++i) {
            std::string role = random_name(1);
            const auto same = [&](const std::string& t) {
                return reference_distance(t, role) == 0 && t.size() == role.size();
            };
            if (std::none_of(team.begin(), team.end(), same)) team.push_back(role);  // the policy refuses repeats
        }
        jwt::login_policy p;
        p.team_roles(team);
        REQUIRE(p.check().has_value());
        for (int k = 0; k < 5; ++k) {
            std::string name = random_name(0);
            if (k % 2 == 0) {  // a typo of a team role: near names must be found too
                name = team[rng() % team.size()];
                for (std::size_t e = 0, edits = rng() % 4; e < edits && !name.empty(); ++e) {
                    name[rng() % name.size()] = static_cast<char>(pieces[rng() % 6][0]);
                }
            }
            const auto expected = reference_nearest(name, team);
            INFO("name '" << name << "'");
            CHECK(p.nearest_team_role(name) == expected);
            if (expected) ++suggested;
        }
    }
    CHECK(suggested > 200);  // the comparison covered suggestions, not only refusals to suggest
}

TEST_CASE("to_json and from_json round trip every setting", "[login_policy][policy_file]") {
    jwt::login_policy p;
    p.role_claim("groups")
        .role_format(jwt::role_format::comma_separated)
        .team_roles({"Équipe Ventes", "Support \"Tier 2\" Team"})
        .algorithms({"HS256", "ES256"})
        .max_lifetime(90s)
        .identity_claims({"preferred_username", "email"});
    REQUIRE(p.check());
    const std::string text = p.to_json();

    // The text is the documented format, independently of from_json.
    const auto j = nlohmann::json::parse(text);
    CHECK(j == nlohmann::json{{"role_claim", "groups"},
                              {"role_format", "comma_separated"},
                              {"team_roles", {"Équipe Ventes", "Support \"Tier 2\" Team"}},
                              {"algorithms", {"HS256", "ES256"}},
                              {"max_lifetime_seconds", 90},
                              {"identity_claims", {"preferred_username", "email"}}});
    CHECK(text.rfind("{\n  \"role_claim\": \"groups\",\n  \"role_format\"", 0) == 0);  // 2-space indent, file order

    const auto back = jwt::login_policy::try_from_json(text);
    REQUIRE(back.has_value());
    CHECK(back->role_claim() == "groups");
    CHECK(back->role_format() == jwt::role_format::comma_separated);
    CHECK(back->team_roles() == p.team_roles());
    CHECK(back->algorithms() == strings{"HS256", "ES256"});
    CHECK(back->max_lifetime() == 90s);
    CHECK(back->identity_claims() == strings{"preferred_username", "email"});
    CHECK(back->to_json() == text);

    SECTION("the defaults round trip, and {} is the default policy") {
        const jwt::login_policy d;
        CHECK(jwt::login_policy::from_json(d.to_json()).to_json() == d.to_json());
        CHECK(jwt::login_policy::from_json("{}").to_json() == d.to_json());
    }
    SECTION("a UTF-8 byte order mark and surrounding white space are accepted") {
        const auto with_bom = jwt::login_policy::try_from_json("\xEF\xBB\xBF\n{\"team_roles\": [\"Support Team\"]}\n");
        REQUIRE(with_bom.has_value());
        CHECK(with_bom->team_roles() == strings{"Support Team"});
    }
    SECTION("algorithm names in any case, as the setter takes them") {
        CHECK(jwt::login_policy::from_json(R"({"algorithms": ["rs256"]})").algorithms() == strings{"RS256"});
    }
}

TEST_CASE("a bad policy text is invalid_policy naming the member and the fix", "[login_policy][policy_file]") {
    const auto bad = [](std::string_view text) {
        INFO("policy: " << text);
        return failure(jwt::login_policy::try_from_json(text), jwt::errc::invalid_policy);
    };

    SECTION("an unknown member, with a suggestion when it is a typo") {
        const auto typo = bad(R"({"team_role": ["Support Team"]})");
        CHECK(contains(typo, "unknown member 'team_role' (did you mean 'team_roles'?)"));
        CHECK(contains(typo, "role_claim, role_format, team_roles, algorithms, max_lifetime_seconds, identity_claims"));
        const auto unrelated = bad(R"({"issuer": "https://example.com"})");
        CHECK(contains(unrelated, "unknown member 'issuer'"));
        CHECK_FALSE(contains(unrelated, "did you mean"));
    }
    SECTION("a member given twice") {
        CHECK(contains(bad(R"({"role_claim": "roles", "role_claim": "groups"})"), "member 'role_claim' appears twice"));
        CHECK(contains(bad(R"({"team_roles": [], "x": {"a": 1, "a": 2}})"),
                       "member 'a' appears twice in a nested object"));
    }
    SECTION("wrong types name the member and the type") {
        CHECK(contains(bad(R"({"role_claim": 5})"), "member 'role_claim' must be a string, not a number"));
        CHECK(contains(bad(R"({"role_format": ["array"]})"), "member 'role_format' must be a string, not an array"));
        CHECK(contains(bad(R"({"team_roles": "Support Team"})"),
                       "member 'team_roles' must be an array of strings, not a string"));
        CHECK(contains(bad(R"({"team_roles": ["Support Team", 7]})"), "member 'team_roles' item #2 must be a string"));
        CHECK(contains(bad(R"({"algorithms": null})"), "member 'algorithms' must be an array of strings, not null"));
        CHECK(contains(bad(R"({"identity_claims": [true]})"), "member 'identity_claims' item #1 must be a string"));
        CHECK(contains(bad(R"({"max_lifetime_seconds": "600"})"),
                       "member 'max_lifetime_seconds' must be a whole number of seconds, not a string"));
        CHECK(contains(bad(R"({"max_lifetime_seconds": 600.5})"),
                       "member 'max_lifetime_seconds' must be a whole number"));
    }
    SECTION("bad values name the member and say what the setter says") {
        const auto es384 = bad(R"({"algorithms": ["RS256", "ES384"]})");
        CHECK(es384 ==
              "login policy: member 'algorithms': algorithm 'ES384' is not one the widget accepts; use "
              "RS256 (recommended), ES256 or HS256");
        CHECK(bad(R"({"role_format": "comma"})") ==
              "login policy: member 'role_format' is 'comma'; use \"array\" or \"comma_separated\"");
        CHECK(contains(bad(R"({"max_lifetime_seconds": -5})"),
                       "member 'max_lifetime_seconds': maximum lifetime of -5 s is out of range"));
        CHECK(contains(bad(R"({"max_lifetime_seconds": 0})"), "member 'max_lifetime_seconds'"));
        CHECK(contains(bad(R"({"max_lifetime_seconds": 86401})"), "member 'max_lifetime_seconds'"));
        CHECK(contains(bad(R"({"max_lifetime_seconds": 18446744073709551615})"), "member 'max_lifetime_seconds'"));
        CHECK(contains(bad(R"({"role_claim": "exp"})"), "member 'role_claim': role claim name 'exp'"));
        CHECK(contains(bad(R"({"role_claim": "ro\u0000les"})"), "member 'role_claim'"));
        CHECK(contains(bad(R"({"team_roles": ["Support Team", "support team"]})"), "member 'team_roles': team roles"));
        CHECK(contains(bad(R"({"identity_claims": ["sub"]})"), "member 'identity_claims': identity claim 'sub'"));
        CHECK(contains(bad(R"({"role_format": "comma_separated", "team_roles": ["R&D, West"]})"),
                       "members 'team_roles' and 'role_format'"));
    }
    SECTION("not JSON, not an object, empty, too large") {
        CHECK(contains(bad(R"({"team_roles": ["Support Team"],})"), "is not valid JSON"));
        CHECK(contains(bad("{\n  \"role_claim\": tru\n}"), "line 2"));
        CHECK(contains(bad("role_claim = roles"), "is not valid JSON"));
        CHECK(contains(bad("{} {}"), "is not valid JSON"));
        CHECK(contains(bad("{\"team_roles\": [\"\xFF\"]}"), "is not valid JSON"));  // invalid UTF-8
        // A syntax error quotes nothing of the text: the file named may be a key file by mistake.
        const auto in_string = bad("{\"d\": \"s3cr3t\x01value\"}");
        CHECK(contains(in_string, "is not valid JSON (syntax error at line 1, column 14)"));
        CHECK_FALSE(contains(in_string, "s3cr3t"));
        CHECK(contains(bad("[]"), "must be a JSON object ({...}), not an array"));
        CHECK(contains(bad(""), "is empty"));
        CHECK(contains(bad("\xEF\xBB\xBF  "), "is empty"));
        std::string large = R"({"team_roles": [")" + std::string(70000, 'a') + R"("]})";
        CHECK(contains(bad(large), "64 KiB"));
        // Exactly at the limit is still read.
        std::string at_limit = R"({"team_roles": ["Support Team"]})";
        at_limit.append(std::size_t{64} * 1024 - at_limit.size(), ' ');
        CHECK(jwt::login_policy::try_from_json(at_limit).has_value());
    }
}

TEST_CASE("policy files: read, every bad file names the path, a missing file says why", "[login_policy][policy_file]") {
    const jwtmint_test::temp_dir dir;
    SECTION("a good file") {
        const auto path = dir / "policy.json";
        jwtmint_test::write_file(path, R"({"team_roles": ["Accounting Team"], "max_lifetime_seconds": 300})");
        const auto p = jwt::login_policy::try_from_file(path);
        REQUIRE(p.has_value());
        CHECK(p->team_roles() == strings{"Accounting Team"});
        CHECK(p->max_lifetime() == 300s);
        CHECK(jwt::login_policy::from_file(path).max_lifetime() == 300s);
    }
    SECTION("each bad file's message starts with its path") {
        const std::vector<std::pair<std::string, std::string>> cases{
            {"unknown.json", R"({"roles": ["Support Team"]})"},
            {"wrong-type.json", R"({"team_roles": "Support Team"})"},
            {"es384.json", R"({"algorithms": ["ES384"]})"},
            {"format.json", R"({"role_format": "csv"})"},
            {"negative.json", R"({"max_lifetime_seconds": -1})"},
            {"not-json.json", "team_roles: [Support Team]"},
            {"large.json", std::string(64 * 1024 + 1, ' ')},
        };
        for (const auto& [name, text] : cases) {
            const auto path = dir / name;
            jwtmint_test::write_file(path, text);
            const auto message = failure(jwt::login_policy::try_from_file(path), jwt::errc::invalid_policy);
            INFO(message);
            CHECK(message.rfind("policy file '" + path.string() + "': ", 0) == 0);
        }
    }
    SECTION("a missing file or a directory cannot be read") {
        const auto missing = dir / "missing.json";
        const auto message = failure(jwt::login_policy::try_from_file(missing), jwt::errc::invalid_policy);
        CHECK(message.rfind("cannot read policy file '" + missing.string() + "': ", 0) == 0);
        const auto directory = failure(jwt::login_policy::try_from_file(dir.path()), jwt::errc::invalid_policy);
        CHECK(contains(directory, "cannot read policy file"));
        CHECK(contains(directory, "directory"));
    }
    SECTION("the throwing and error_code forms") {
        const auto missing = dir / "missing.json";
        CHECK_ERRC(jwt::login_policy::from_file(missing), jwt::errc::invalid_policy);
        CHECK_ERRC(jwt::login_policy::from_json("{\"x\": 1}"), jwt::errc::invalid_policy);
        std::error_code ec;
        CHECK_FALSE(jwt::login_policy::from_file(missing, ec).has_value());
        CHECK_EC(ec, jwt::errc::invalid_policy);
        const auto ok = jwt::login_policy::from_json("{}", ec);
        CHECK(ok.has_value());
        CHECK_FALSE(ec);
        CHECK_FALSE(jwt::login_policy::from_json("[", ec).has_value());
        CHECK_EC(ec, jwt::errc::invalid_policy);
    }
}

TEST_CASE("the sample policy file examples/widget-policy.json loads", "[login_policy][policy_file]") {
    const auto p = jwt::login_policy::try_from_file(std::filesystem::path(JWTMINT_EXAMPLES_DIR) / "widget-policy.json");
    INFO((p ? std::string() : std::string(p.error().what())));
    REQUIRE(p.has_value());
    CHECK(p->team_roles() == strings{"Accounting Team", "Support Team", "Engineering"});
    CHECK(p->role_claim() == "roles");
    CHECK(p->check_role("accounting team"));
    failure(p->check_role("Acounting Team"), jwt::errc::unknown_role);
}
