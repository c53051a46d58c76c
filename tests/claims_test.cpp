// SPDX-License-Identifier: MIT
// claims.hpp: role names (split, check, compare, parse), email, session identity, UTF-8 and
// JSON string escaping (checked against nlohmann::json).
#include <jwtmint/claims.hpp>
#include <jwtmint/json.hpp>

#include "core_helpers.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using strings = std::vector<std::string>;

TEST_CASE("split_roles splits on commas and trims, keeping empty names for check_roles", "[claims]") {
    CHECK(jwt::split_roles("Accounting Team, Support Team") == strings{"Accounting Team", "Support Team"});
    CHECK(jwt::split_roles("Support Team") == strings{"Support Team"});
    CHECK(jwt::split_roles("  A ,B,\tC\t ") == strings{"A", "B", "C"});
    CHECK(jwt::split_roles("A,,B") == strings{"A", "", "B"});
    CHECK(jwt::split_roles("A,") == strings{"A", ""});
    CHECK(jwt::split_roles(",A") == strings{"", "A"});
    CHECK(jwt::split_roles("") == strings{""});
    CHECK(jwt::split_roles(" , ") == strings{"", ""});
    CHECK(jwt::split_roles("Équipe Ventes, R&D") == strings{"Équipe Ventes", "R&D"});
}

TEST_CASE("check_roles trims in place and refuses what the vendor could never match", "[claims]") {
    SECTION("trimming") {
        strings roles{"  Accounting Team ", "\tSupport Team\n"};
        jwt::check_roles(roles, jwt::role_format::array);
        CHECK(roles == strings{"Accounting Team", "Support Team"});
    }
    SECTION("accepted") {
        for (const auto format : {jwt::role_format::array, jwt::role_format::comma_separated}) {
            strings roles{"Admin", "Support Team", "Équipe", "R&D \"West\""};
            jwt::check_roles(roles, format);
            CHECK(roles.size() == 4);
            strings none;
            jwt::check_roles(none, format);  // missing roles are the builder's concern, not this one's
            CHECK(none.empty());
        }
    }
    SECTION("empty names") {
        for (const auto& roles : {strings{""}, strings{"A", ""}, strings{"   "}, strings{"A", "\t"}}) {
            auto copy = roles;
            CHECK_ERRC(jwt::check_roles(copy, jwt::role_format::array), jwt::errc::invalid_claim);
        }
    }
    SECTION("a comma inside a name: refused in the comma-separated form only") {
        strings roles{"Sales, EMEA", "Support"};
        CHECK_ERRC(jwt::check_roles(roles, jwt::role_format::comma_separated), jwt::errc::invalid_claim);
        strings as_array{"Sales, EMEA", "Support"};
        jwt::check_roles(as_array, jwt::role_format::array);
        CHECK(as_array == strings{"Sales, EMEA", "Support"});
    }
    SECTION("duplicates, including those that differ only in case or surrounding space") {
        for (const auto& roles : {strings{"Support", "Support"}, strings{"Support Team", "support team"},
                                  strings{"ADMIN", "B", "admin"}, strings{"Support", " SUPPORT "}}) {
            auto copy = roles;
            CHECK_ERRC(jwt::check_roles(copy, jwt::role_format::array), jwt::errc::invalid_claim);
        }
    }
    SECTION("control characters") {
        for (const std::string& bad :
             strings{"Sup\nport", "Sup\tport", "A\rB", std::string("A\0B", 3), "A\x7f", "\x1b[31m"}) {
            strings roles{bad};
            CHECK_ERRC(jwt::check_roles(roles, jwt::role_format::array), jwt::errc::invalid_claim);
        }
    }
    SECTION("invalid UTF-8") {
        for (const std::string bad : {"\xff", "Caf\xe9", "\xc0\xaf", "\xed\xa0\x80"}) {
            strings roles{bad};
            CHECK_ERRC(jwt::check_roles(roles, jwt::role_format::comma_separated), jwt::errc::invalid_claim);
        }
    }
}

TEST_CASE("role_equal compares as the vendor does: ASCII case-insensitively", "[claims]") {
    CHECK(jwt::role_equal("Support Team", "support team"));
    CHECK(jwt::role_equal("ADMIN", "admin"));
    CHECK(jwt::role_equal("", ""));
    CHECK(jwt::role_equal("R&D-2", "r&d-2"));
    CHECK_FALSE(jwt::role_equal("Support", "Support "));
    CHECK_FALSE(jwt::role_equal("Support", "Supporf"));
    CHECK_FALSE(jwt::role_equal("Admin", "Admins"));
    CHECK_FALSE(jwt::role_equal("[", "{"));  // 0x5B and 0x7B differ by 0x20 but are not letters
    CHECK_FALSE(jwt::role_equal("@", "`"));
}

TEST_CASE("check_email: what looks like an email address", "[claims]") {
    const std::string local64(64, 'a');
    for (const std::string& good : strings{"ada@example.com", "a.b+tag@sub.example.co.uk", "x@a.io",
                                           "élodie@exämple.fr", "o'brien@example.ie", local64 + "@example.com"}) {
        INFO(good);
        CHECK_NOTHROW(jwt::check_email(good));
    }
    const std::vector<std::string> bad = {
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "a@b@example.com",
        "ada @example.com",
        "ada@exa mple.com",
        " ada@example.com",
        "ada@.example.com",
        "ada@example.com.",
        "ada@example..com",
        "ada@e.",
        "ada\n@example.com",
        "ada@example.com\r\n",
        "\xff@example.com",
        std::string(65, 'a') + "@example.com",
    };
    for (const auto& email : bad) {
        INFO("'" << email << "'");
        CHECK_ERRC(jwt::check_email(email), jwt::errc::invalid_claim);
    }
}

TEST_CASE("is_managed_claim: the names custom claims may not use", "[claims]") {
    for (const char* name : {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "upn", "preferred_username"}) {
        INFO(name);
        CHECK(jwt::is_managed_claim(name));
    }
    for (const char* name : {"tenant", "Email", "exp ", "", "roles_extra", "name"}) {
        INFO(name);
        CHECK_FALSE(jwt::is_managed_claim(name));
    }
}

TEST_CASE("parse_roles reads both forms", "[claims]") {
    using nlohmann::json;
    CHECK(jwt::parse_roles(json::array({"Accounting Team", " Support Team "})) ==
          strings{"Accounting Team", "Support Team"});
    CHECK(jwt::parse_roles(json("Accounting Team, Support Team")) == strings{"Accounting Team", "Support Team"});
    CHECK(jwt::parse_roles(json("Admin")) == strings{"Admin"});
    CHECK(jwt::parse_roles(json::array({"Sales, EMEA"})) == strings{"Sales, EMEA"});  // an array keeps commas

    SECTION("refusals") {
        for (const json& bad : {json(nullptr), json(42), json(true), json::object({{"a", "b"}}), json::array(),
                                json::array({"A", 1}), json::array({"A", json::array({"B"})}), json(""), json("A,,B"),
                                json("A, "), json::array({"A", ""}), json::array({"  "})}) {
            INFO(bad.dump());
            CHECK_ERRC(jwt::parse_roles(bad), jwt::errc::invalid_claim);
        }
    }
}

TEST_CASE("session_identity: the first of email, upn, preferred_username", "[claims]") {
    using nlohmann::json;
    CHECK(jwt::identity_claims[0] == "email");
    CHECK(jwt::identity_claims[1] == "upn");
    CHECK(jwt::identity_claims[2] == "preferred_username");

    const json all = {{"preferred_username", "ada"}, {"upn", "ada@corp.example"}, {"email", "ada@example.com"}};
    CHECK(jwt::session_identity(all) == std::optional<std::string>("ada@example.com"));
    CHECK(jwt::session_identity(json{{"preferred_username", "ada"}, {"upn", "ada@corp.example"}}) ==
          std::optional<std::string>("ada@corp.example"));
    CHECK(jwt::session_identity(json{{"preferred_username", "ada"}}) == std::optional<std::string>("ada"));
    // The first one present decides: an empty, blank or non-string one is no identity, never a
    // step to the next (the vendor may not skip it; the verifier refuses such a token).
    CHECK_FALSE(jwt::session_identity(json{{"email", ""}, {"upn", "u@corp.example"}}).has_value());
    CHECK_FALSE(jwt::session_identity(json{{"email", "  "}, {"upn", "u@corp.example"}}).has_value());
    CHECK_FALSE(jwt::session_identity(json{{"upn", ""}, {"preferred_username", "ada"}}).has_value());
    CHECK_FALSE(jwt::session_identity(json{{"email", 5}, {"preferred_username", "ada"}}).has_value());
    CHECK_FALSE(jwt::session_identity(json{{"email", nullptr}, {"upn", "u@corp.example"}}).has_value());
    CHECK(jwt::session_identity(json{{"email", "ada@example.com"}, {"upn", ""}}) ==
          std::optional<std::string>("ada@example.com"));
    CHECK_FALSE(jwt::session_identity(json{{"sub", "1234"}}).has_value());
    CHECK_FALSE(jwt::session_identity(json::object()).has_value());
    CHECK_FALSE(jwt::session_identity(json::array({"email"})).has_value());
    CHECK_FALSE(jwt::session_identity(json("ada@example.com")).has_value());
}

namespace {
// nlohmann::json as an independent UTF-8 oracle: dump() throws on invalid UTF-8.
bool nlohmann_accepts_utf8(const std::string& s) {
    try {
        static_cast<void>(nlohmann::json(s).dump());
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}
}  // namespace

TEST_CASE("is_valid_utf8", "[claims]") {
    const std::vector<std::pair<std::string, bool>> table = {
        {"", true},
        {"plain ASCII", true},
        {std::string(1, '\0'), true},
        {"\x7f", true},
        {"\xc2\x80", true},          // U+0080, the first two-octet code point
        {"\xc3\xa9", true},          // é
        {"\xdf\xbf", true},          // U+07FF
        {"\xe0\xa0\x80", true},      // U+0800
        {"\xe2\x82\xac", true},      // €
        {"\xed\x9f\xbf", true},      // U+D7FF, just below the surrogates
        {"\xee\x80\x80", true},      // U+E000, just above
        {"\xef\xbf\xbf", true},      // U+FFFF
        {"\xf0\x90\x80\x80", true},  // U+10000
        {"\xf0\x9d\x84\x9e", true},  // 𝄞
        {"\xf4\x8f\xbf\xbf", true},  // U+10FFFF, the last code point
        // overlong forms
        {"\xc0\x80", false},
        {"\xc0\xaf", false},
        {"\xc1\xbf", false},
        {"\xe0\x80\x80", false},
        {"\xe0\x9f\xbf", false},
        {"\xf0\x80\x80\x80", false},
        {"\xf0\x8f\xbf\xbf", false},
        // UTF-16 surrogates
        {"\xed\xa0\x80", false},
        {"\xed\xbf\xbf", false},
        {"\xed\xa0\xbd\xed\xb2\xa9", false},  // a CESU-8 surrogate pair
        // above U+10FFFF and bytes that never occur
        {"\xf4\x90\x80\x80", false},
        {"\xf5\x80\x80\x80", false},
        {"\xf8\x88\x80\x80\x80", false},
        {"\xfe", false},
        {"\xff", false},
        // truncated sequences
        {"\xc3", false},
        {"\xe2\x82", false},
        {"\xf0\x9d\x84", false},
        {"caf\xc3", false},
        // stray or bad continuation octets
        {"\x80", false},
        {"\xbf", false},
        {"a\x80z", false},
        {"\xc3\x28", false},
        {"\xe2\x28\xa1", false},
        {"\xe2\x82\x28", false},
        {"\xf0\x9d\x28\x9e", false},
        {"\xc3\xa9\xc3", false},
    };
    for (const auto& [text, valid] : table) {
        INFO(jwtmint_test::to_hex(text));
        CHECK(jwt::detail::is_valid_utf8(text) == valid);
        CHECK(nlohmann_accepts_utf8(text) == valid);  // guards the table itself
    }
}

TEST_CASE("append_json_string escapes so that a JSON parser reads the same string back", "[claims]") {
    std::vector<std::string> inputs = {"",      "plain", "quote \" and backslash \\ and slash /", "\b\f\n\r\t",
                                       "é € 𝄞", "\x7f",  "\xe2\x80\xa8 line separator",           "</script>"};
    std::string all_controls;
    for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
    inputs.push_back(all_controls);

    for (const auto& s : inputs) {
        INFO(jwtmint_test::to_hex(s));
        std::string out = "prefix:";
        jwt::detail::append_json_string(out, s);
        REQUIRE(out.rfind("prefix:", 0) == 0);
        const std::string literal = out.substr(7);
        const auto parsed = nlohmann::json::parse(literal);
        REQUIRE(parsed.is_string());
        CHECK(parsed.get<std::string>() == s);
        for (const char ch : literal) CHECK(static_cast<unsigned char>(ch) >= 0x20);  // no raw control characters
    }
}

TEST_CASE("append_json_string's exact escapes", "[claims]") {
    const auto lit = [](std::string_view s) {
        std::string out;
        jwt::detail::append_json_string(out, s);
        return out;
    };
    CHECK(lit("a\"b") == R"("a\"b")");
    CHECK(lit("a\\b") == R"("a\\b")");
    CHECK(lit("\n") == R"("\n")");
    CHECK(lit("\t") == R"("\t")");
    CHECK(lit(std::string_view("\0", 1)) == R"("\u0000")");
    CHECK(lit("\x01") == R"("\u0001")");
    CHECK(lit("\x1f") == R"("\u001f")");
    CHECK(lit("é") == "\"é\"");  // UTF-8 passes through
    CHECK(lit("a/b") == "\"a/b\"");
    // the same as nlohmann::json's own compact serialisation
    for (const std::string s : {"a\"b\\c\n\x01\x1f", "Support Team", "é € 𝄞"}) {
        CHECK(lit(s) == nlohmann::json(s).dump());
    }
}

TEST_CASE("the try_ forms of the claim checks return the error the throwing forms throw", "[claims]") {
    SECTION("check_email") {
        CHECK(jwt::try_check_email("ada@example.com").has_value());
        const jwt::status bad = jwt::try_check_email("ada@@example.com");
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().value() == jwt::errc::invalid_claim);
        CHECK(std::string(bad.error().what()).find("exactly one '@'") != std::string::npos);
        std::error_code ec;
        jwt::check_email("ada@@example.com", ec);
        CHECK(ec == jwt::errc::invalid_claim);
    }
    SECTION("check_roles, which still trims in place") {
        std::vector<std::string> roles{" Support ", "support"};
        const jwt::status dup = jwt::try_check_roles(roles, jwt::role_format::array);
        REQUIRE_FALSE(dup.has_value());
        CHECK(dup.error().value() == jwt::errc::invalid_claim);
        CHECK(roles[0] == "Support");
        std::vector<std::string> ok{"Support", "Sales"};
        std::error_code ec = jwt::errc::invalid_claim;
        jwt::check_roles(ok, jwt::role_format::comma_separated, ec);
        CHECK_FALSE(ec);
    }
    SECTION("parse_roles") {
        const auto roles = jwt::try_parse_roles(nlohmann::json::parse(R"(["a", " b "])"));
        REQUIRE(roles.has_value());
        CHECK(*roles == std::vector<std::string>{"a", "b"});
        const auto bad = jwt::try_parse_roles(nlohmann::json(42));
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().value() == jwt::errc::invalid_claim);
        std::error_code ec;
        CHECK_FALSE(jwt::parse_roles(nlohmann::json::array(), ec).has_value());
        CHECK(ec == jwt::errc::invalid_claim);
    }
}
