// SPDX-License-Identifier: MIT
// jwtmint pubkey --key FILE [--key FILE ...] [--format pem|jwk|jwks]: the public key to paste
// into the vendor's settings, or the JWK Set to publish (several keys: current, next, retired).
#include <jwtmint/jwk.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "jwk.hpp"
#include "key_io.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {

namespace {

/// The public JWK of key with its thumbprint as kid, "use": "sig" and its algorithm as "alg"
/// (none for a key jwtmint does not sign with, EC P-384 say: it still has a JWK).
std::string jwk_of(const key_material& key, const jwt::public_key& pub) {
    std::string alg;
    try {
        alg = algorithm_name(default_algorithm(key));
    } catch (const jwt::error&) {
        // no "alg" member
    }
    return cli::public_jwk(pub, alg);
}

/// The refusal of a key given twice (file holds the key first already held).
jwt::error duplicate_key(const std::string& file, const std::string& first, const std::string& kid) {
    return jwt::error(jwt::errc::invalid_key, "'" + file + "' holds the same public key as '" + first + "' (kid " +
                                                  kid +
                                                  "); a JWK Set lists each key once: give each key file once (the "
                                                  "current key, the next one, ...)");
}

}  // namespace

int run_pubkey(const pubkey_options& o) {
    std::vector<std::string> keys = o.keys;
    keys.insert(keys.end(), o.positional_keys.begin(), o.positional_keys.end());
    if (keys.empty()) {
        throw usage_error(
            "pubkey needs a key: --key FILE (or the file as the argument), e.g. jwtmint pubkey --key "
            "private_key.pem");
    }
    if (keys.size() > 1 && o.format != "jwks") {
        throw usage_error("--format " + o.format + " prints one key, and " + std::to_string(keys.size()) +
                          " were given; use --format jwks for one JWK Set of them all, or run pubkey once per key");
    }
    const secret_buffer passphrase = passphrase_for(o.passphrase_file);
    std::vector<std::string> jwks;
    std::vector<std::string> kids;  // each key's thumbprint, to refuse a key given twice
    for (const std::string& file : keys) {
        const key_material key = load_key(file, passphrase.view());
        const jwt::public_key pub = key.public_half();  // refuses an HS256 secret with an explanation
        if (o.format == "pem") {
            std::fputs(pub.to_pem().c_str(), stdout);
            return exit_ok;
        }
        const std::string kid = cli::jwk_thumbprint(pub);
        for (std::size_t i = 0; i < kids.size(); ++i) {
            if (kids[i] == kid) {
                throw duplicate_key(file, keys[i], kid);
            }
        }
        kids.push_back(kid);
        jwks.push_back(jwk_of(key, pub));
    }
    if (o.format == "jwk") {
        std::printf("%s\n", jwks.front().c_str());
    } else {
        std::printf("%s\n", jwt::jwks_document(jwks).c_str());
    }
    return exit_ok;
}

}  // namespace cli
