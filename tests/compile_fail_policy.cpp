// SPDX-License-Identifier: MIT
// Must NOT compile: a builder bound to the widget's login policy with a signer whose algorithm the
// widget does not accept (RS384). ctest builds this target and checks that the compiler reports
// the one static_assert naming the widget's algorithms, and nothing else.
#include <jwtmint/builder.hpp>
#include <jwtmint/signers.hpp>

#include <string>

int main() {
    const auto signer = jwt::rs384::from_pem("");
    const jwt::login_policy policy;
    const std::string token = jwt::builder{signer, policy}.roles({"A"}).sign();
    return static_cast<int>(token.size());
}
