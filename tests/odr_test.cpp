// SPDX-License-Identifier: MIT
// Two translation units include the umbrella header and are linked into one executable: no
// multiple definitions, and the inline/static objects (the error category, the builder's
// per-thread buffer) are one per program.
#include <jwtmint/jwtmint.hpp>

#include "core_helpers.hpp"
#include "odr_test_second_tu.hpp"

#include <string>
#include <string_view>
#include <type_traits>

namespace odr_other_library {
std::string encode(std::string_view data);
}

TEST_CASE("both translation units use the same jwtmint", "[odr]") {
    CHECK(&jwt::category() == odr_second_tu::category_address());
    CHECK(odr_second_tu::weak_key_code() == jwt::errc::weak_key);

    const std::string secret = "odr-test-secret-0123456789abcdefghij";
    const auto signer = jwt::hs256::from_secret(secret);
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1764000000}};
    const std::string here = jwt::builder{signer}.roles({"A", "B"}).email("ada@example.com").sign_at(now);
    CHECK(odr_second_tu::mint(secret) == here);
    CHECK(jwt::base64url_encode("foobar") == odr_second_tu::encode("foobar"));
    CHECK(std::string(JWTMINT_VERSION_STRING) == odr_second_tu::version());
}

TEST_CASE("an error thrown in one translation unit is caught as jwt::error in the other", "[odr]") {
    CHECK_ERRC(odr_second_tu::throw_weak_key(), jwt::errc::weak_key);
}

TEST_CASE("another library's jwt:: names do not replace jwtmint's (the inline namespace jwt::v1)", "[odr]") {
    STATIC_REQUIRE(std::is_same_v<jwt::rs256, jwt::v1::rs256>);
    // Through a function pointer, so that each call goes to the definition the linker kept.
    std::string (*volatile ours)(std::string_view) = &jwt::base64url_encode;
    CHECK(ours("hi") == "aGk");
    CHECK(odr_other_library::encode("hi") == "another library's base64url_encode of hi");
}
