// SPDX-License-Identifier: MIT
// The jwtmint commands: one options struct (filled by CLI11 in main.cpp) and one run function
// each. A run function returns the exit status, or throws usage_error / jwt::error, which
// main.cpp turns into one line on stderr and exit status 2.
#pragma once

#include "policy.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cli {

struct keygen_options {
    std::string algorithm;   ///< a name from the table in common.hpp, any case
    std::string out;         ///< the new key or secret file
    std::string public_out;  ///< --public-out: the public key PEM goes here, not to stdout (not for hs*)
    unsigned bits = 2048;    ///< RSA modulus size
    bool bits_given = false;
    std::size_t bytes = 0;  ///< HMAC secret size (when not given: the hash length)
    bool bytes_given = false;
    std::string format = "raw";  ///< HMAC secret file format: raw | base64url
    bool format_given = false;
    bool force = false;
    std::string passphrase_file;  ///< encrypt the PEM with this passphrase
    bool next = false;            ///< out names the current key; write the next key beside it
};
int run_keygen(const keygen_options& o);

struct pubkey_options {
    std::vector<std::string> keys;             ///< key files from --key (repeatable)
    std::vector<std::string> positional_keys;  ///< key files given without --key; appended to keys
    std::string format = "pem";                ///< pem | jwk | jwks
    std::string passphrase_file;
};
int run_pubkey(const pubkey_options& o);

struct sign_options {
    std::string key;
    std::string alg;
    std::vector<std::string> roles;  ///< each split at commas: --role "A,B" is two roles
    std::string email, upn, preferred_username, sub, iss, aud, kid, jti;
    policy_options policy;   ///< --policy, --general, --known-roles, --role-claim, --role-format, --max-lifetime
    std::string ttl;         ///< main.cpp sets the default from jwt::default_lifetime
    bool ttl_given = false;  ///< without --ttl, a ceiling below the default lifetime is the lifetime
    std::vector<std::string> claims;  ///< NAME=JSON
    std::optional<std::int64_t> now;
    std::string passphrase_file;
};
int run_sign(const sign_options& o);

struct verify_options {
    std::string key;
    std::string alg;
    std::optional<std::int64_t> now;
    std::string leeway = "0";
    policy_options policy;
    std::string iss, aud, sub;
    std::string token;
    std::string passphrase_file;
    std::string jwks_url;     ///< --jwks-url: verify against the JWK Set there instead of --key
    std::string cacert;       ///< --cacert: the CAs to trust for --jwks-url
    bool allow_http = false;  ///< --allow-http: accept an http:// --jwks-url (tests on loopback)
};
int run_verify(const verify_options& o);

struct inspect_options {
    std::string token;
    std::optional<std::int64_t> now;
    std::string role_claim = "roles";
    std::string max_ttl = "10m";
    bool json = false;
};
int run_inspect(const inspect_options& o);

struct doctor_options {
    std::string key;
    std::string public_key;
    std::string next_key;  ///< "" = the next key file beside key, when there is one
    std::string token;
    policy_options policy;
    std::string alg;
    std::optional<std::int64_t> now;
    std::string passphrase_file;
    bool allow_warnings = false;  ///< exit 0 when checks only warn
    bool json = false;            ///< --json: one JSON object on stdout instead of lines
};
int run_doctor(const doctor_options& o);

}  // namespace cli
