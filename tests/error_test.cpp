// SPDX-License-Identifier: MIT
// error.hpp: the jwt::errc codes, their category, errc_name and jwt::error.
#include <jwtmint/error.hpp>

#include "catch.hpp"

#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

// The codes and their names as the issue and the CLI spell them; written out here, not
// derived from the header, so a renamed or re-numbered code fails this test.
const std::vector<std::pair<jwt::errc, std::string>>& all_codes() {
    static const std::vector<std::pair<jwt::errc, std::string>> codes = {
        {jwt::errc::invalid_key, "invalid_key"},
        {jwt::errc::key_algorithm_mismatch, "key_algorithm_mismatch"},
        {jwt::errc::weak_key, "weak_key"},
        {jwt::errc::private_key_required, "private_key_required"},
        {jwt::errc::passphrase_required, "passphrase_required"},
        {jwt::errc::bad_passphrase, "bad_passphrase"},
        {jwt::errc::key_file_error, "key_file_error"},
        {jwt::errc::key_mismatch, "key_mismatch"},
        {jwt::errc::invalid_claim, "invalid_claim"},
        {jwt::errc::missing_roles, "missing_roles"},
        {jwt::errc::invalid_lifetime, "invalid_lifetime"},
        {jwt::errc::signing_failed, "signing_failed"},
        {jwt::errc::invalid_base64url, "invalid_base64url"},
        {jwt::errc::malformed_token, "malformed_token"},
        {jwt::errc::token_too_large, "token_too_large"},
        {jwt::errc::invalid_signature, "invalid_signature"},
        {jwt::errc::algorithm_mismatch, "algorithm_mismatch"},
        {jwt::errc::unsupported_header, "unsupported_header"},
        {jwt::errc::token_expired, "token_expired"},
        {jwt::errc::token_not_yet_valid, "token_not_yet_valid"},
        {jwt::errc::missing_claim, "missing_claim"},
        {jwt::errc::claim_mismatch, "claim_mismatch"},
        {jwt::errc::unknown_role, "unknown_role"},
        {jwt::errc::lifetime_too_long, "lifetime_too_long"},
        {jwt::errc::openssl_error, "openssl_error"},
        {jwt::errc::invalid_jwk, "invalid_jwk"},
        {jwt::errc::unknown_key_id, "unknown_key_id"},
        {jwt::errc::algorithm_not_allowed, "algorithm_not_allowed"},
        {jwt::errc::invalid_policy, "invalid_policy"},
        {jwt::errc::invalid_setting, "invalid_setting"},
        {jwt::errc::key_set_unavailable, "key_set_unavailable"},
    };
    return codes;
}

}  // namespace

static_assert(std::is_error_code_enum<jwt::errc>::value, "jwt::errc converts to std::error_code");
static_assert(std::is_base_of<std::system_error, jwt::error>::value, "jwt::error is a std::system_error");
static_assert(static_cast<int>(jwt::errc::invalid_key) == 1, "no code is 0, which std::error_code reads as success");

TEST_CASE("the category is named jwtmint and is one object", "[error]") {
    CHECK(std::string(jwt::category().name()) == "jwtmint");
    CHECK(&jwt::category() == &jwt::category());
    CHECK(jwt::category() != std::generic_category());
}

TEST_CASE("the codes are numbered 1, 2, 3, ... in declaration order", "[error]") {
    int expected = 1;
    for (const auto& [code, name] : all_codes()) {
        INFO(name);
        CHECK(static_cast<int>(code) == expected);
        ++expected;
    }
}

TEST_CASE("errc_name gives the source name of every code", "[error]") {
    std::set<std::string> seen;
    for (const auto& [code, name] : all_codes()) {
        CHECK(std::string(jwt::errc_name(code)) == name);
        seen.insert(jwt::errc_name(code));
    }
    CHECK(seen.size() == all_codes().size());
    CHECK(std::string(jwt::errc_name(static_cast<jwt::errc>(0))) == "unknown");
    CHECK(std::string(jwt::errc_name(static_cast<jwt::errc>(9999))) == "unknown");
}

TEST_CASE("every code has its own message", "[error]") {
    const std::string unknown = jwt::category().message(9999);
    CHECK(unknown == jwt::category().message(0));
    std::set<std::string> seen;
    for (const auto& [code, name] : all_codes()) {
        INFO(name);
        const std::string message = jwt::category().message(static_cast<int>(code));
        CHECK_FALSE(message.empty());
        CHECK(message != unknown);
        CHECK(std::error_code(code).message() == message);
        seen.insert(message);
    }
    CHECK(seen.size() == all_codes().size());
}

TEST_CASE("make_error_code and the implicit conversion to std::error_code", "[error]") {
    for (const auto& [code, name] : all_codes()) {
        INFO(name);
        const std::error_code made = jwt::make_error_code(code);
        CHECK(made.value() == static_cast<int>(code));
        CHECK(&made.category() == &jwt::category());
        CHECK(made);  // a failure, never "success"

        const std::error_code implicit = code;  // via is_error_code_enum
        CHECK(implicit == made);
        CHECK(implicit == code);
    }
    const std::error_code weak = jwt::errc::weak_key;
    CHECK(weak != jwt::errc::invalid_key);
    CHECK(weak != std::make_error_code(std::errc::invalid_argument));
}

TEST_CASE("jwt::error: what() is the specific message, code() the errc", "[error]") {
    const std::string message = "RSA key has 1024 bits; RS256 needs at least 2048";
    const jwt::error e(jwt::errc::weak_key, message);
    CHECK(std::string(e.what()) == message);
    CHECK(e.code() == jwt::errc::weak_key);
    CHECK(&e.code().category() == &jwt::category());
    CHECK(e.value() == jwt::errc::weak_key);

    SECTION("a copy keeps both") {
        const jwt::error copy = e;  // NOLINT(performance-unnecessary-copy-initialization)
        CHECK(std::string(copy.what()) == message);
        CHECK(copy.value() == jwt::errc::weak_key);
    }
    SECTION("catchable as std::system_error and std::exception, and as itself") {
        try {
            throw jwt::error(jwt::errc::bad_passphrase, "wrong passphrase");
        } catch (const std::system_error& se) {
            CHECK(se.code() == jwt::errc::bad_passphrase);
            CHECK(std::string(se.what()) == "wrong passphrase");
        }
        try {
            throw jwt::error(jwt::errc::key_file_error, "no such file");
        } catch (const std::exception& ex) {
            CHECK(std::string(ex.what()) == "no such file");
        }
        CHECK_THROWS_AS(throw jwt::error(jwt::errc::invalid_claim, "x"), jwt::error);
    }
}
