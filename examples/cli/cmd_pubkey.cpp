// SPDX-License-Identifier: MIT
// jwtmint pubkey --key FILE [--format pem|jwk|jwks]: the public key to paste into the vendor's
// settings, or to publish as a JWK Set.
#include <jwtmint/jwk.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "jwk.hpp"
#include "key_io.hpp"

#include <cstdio>

namespace cli {

int run_pubkey(const pubkey_options& o) {
    secret_buffer passphrase;
    if (!o.passphrase_file.empty()) passphrase = read_passphrase_file(o.passphrase_file);
    const key_material key = load_key(o.key, passphrase.view());
    const jwt::public_key pub = key.public_half();  // refuses an HS256 secret with an explanation
    if (o.format == "jwk" || o.format == "jwks") {
        std::string alg;
        try {
            alg = algorithm_name(default_algorithm(key));
        } catch (const jwt::error&) {
            // An RSA/EC key jwtmint does not sign with (EC P-384...) still has a JWK; it gets no
            // "alg".
        }
        const std::string jwk = cli::public_jwk(pub, alg);
        std::printf("%s\n", o.format == "jwks" ? jwt::jwks_document({jwk}).c_str() : jwk.c_str());
    } else {
        std::fputs(pub.to_pem().c_str(), stdout);
    }
    return exit_ok;
}

}  // namespace cli
