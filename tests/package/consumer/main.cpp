// SPDX-License-Identifier: MIT
// A downstream program: the README's first example, built by each way of getting jwtmint that the
// README's Install section shows (tests/package/run_consumer.cmake) and against the Debian packages
// (.ci/packages.sh). The lines between the markers must be the README's, character for character
// ("package: README example" checks it), so they are kept as the README has them.
//
//   consumer [PRIVATE_KEY.pem]   prints a token signed with that RSA key (else a new one)
// clang-format off
// README example begin
#include <jwtmint/jwtmint.hpp>
#include <chrono>
#include <string>

std::string mint(const std::string& private_key_pem) {
    using namespace std::chrono_literals;
    static const auto signer = jwt::rs256::from_pem(private_key_pem);   // also es256, hs256
    return jwt::builder{signer}
        .roles({"Accounting Team", "Support Team"})
        .email("ada@example.com")
        .expires_in(10min)
        .sign();
}
// README example end
// clang-format on

#include <cstdio>
#include <fstream>
#include <iterator>

int main(int argc, char** argv) {
    std::string pem;
    if (argc > 1) {
        std::ifstream in(argv[1], std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "cannot open %s\n", argv[1]);
            return 2;
        }
        pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
        pem = jwt::private_key::generate_rsa().to_pem();
    }
    try {
        const std::string token = mint(pem);
        std::printf("%s\n", token.c_str());
        return token.rfind("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0 ? 0 : 1;
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
