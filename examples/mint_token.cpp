// SPDX-License-Identifier: MIT
// Mints one widget-login token and prints it, with the public key to paste into the vendor's settings.
//
//   mint_token [PRIVATE_KEY.pem]     (without an argument, a fresh RS256 key is generated)
#include <jwtmint/jwtmint.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    try {
        // Once, at start-up: the key is parsed and checked here, never per token.
        const auto signer = argc > 1 ? jwt::rs256::from_pem_file(argv[1])
                                     : jwt::rs256::from_key(jwt::private_key::generate_rsa());

        // Per request, after the host's own auth middleware has identified the user.
        const std::string token = jwt::builder{signer}
                                      .roles({"Accounting Team", "Support Team"})
                                      .email("ada@example.com")
                                      .expires_in(10min)
                                      .sign();

        std::printf("Public key (paste into the vendor's JWT settings):\n%s\nToken:\n%s\n",
                    signer.public_key_pem().c_str(), token.c_str());
        return 0;
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "error: %s: %s\n", jwt::errc_name(e.value()), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
