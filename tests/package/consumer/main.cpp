// The README's first example, compiled by a project that only knows jwtmint::jwtmint.
#include <jwtmint/jwtmint.hpp>

#include <chrono>
#include <cstdio>
#include <string>

std::string mint(const std::string& private_key_pem) {
    using namespace std::chrono_literals;
    static const auto signer = jwt::rs256::from_pem(private_key_pem);  // also es256, hs256
    return jwt::builder{signer}
        .roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .expires_in(10min)
        .sign();
}

int main() {
    const std::string token = mint(jwt::private_key::generate_rsa().to_pem());
    std::printf("%s\n", token.c_str());
    return token.rfind("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0 ? 0 : 1;
}
