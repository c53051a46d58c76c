// SPDX-License-Identifier: MIT
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"

TEST_CASE("the README's first example mints an RS256 token", "[smoke]") {
    using namespace std::chrono_literals;
    const auto key = jwt::private_key::generate_rsa();
    const auto signer = jwt::rs256::from_pem(key.to_pem());
    const std::string token = jwt::builder{signer}
                                  .roles({"Accounting Team", "Support Team"})
                                  .email("ada@example.com")
                                  .expires_in(10min)
                                  .sign();
    CHECK(token.rfind("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0);
}
