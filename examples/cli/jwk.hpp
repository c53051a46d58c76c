// SPDX-License-Identifier: MIT
// JSON Web Keys (RFC 7517, RFC 7518 section 6) in and out, through the library's <jwtmint/jwk.hpp>:
// RSA, EC and OKP keys, and "oct" keys as HMAC secrets.
#pragma once

#include <jwtmint/key.hpp>

#include "secret_buffer.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cli {

/// One key read from a JWK. Exactly one of private_key, public_key, secret is set.
struct jwk_key {
    std::optional<jwt::private_key> private_key;  ///< RSA with "d", EC with "d"
    std::optional<jwt::public_key> public_key;    ///< RSA n/e, EC crv/x/y
    std::optional<secret_buffer> secret;          ///< "oct": the decoded "k"
    std::string kty, kid, alg;
};

/// Parses a JWK, or a JWK Set ({"keys": [...]}) from which the key whose "kid" is kid_hint is
/// taken (with no kid_hint, its only key), with jwt::select_jwk. Refuses a key whose "use" is not
/// "sig", a member named twice and a set whose keys share a kid.
/// @throws jwt::error invalid_key with what is wrong and where (the library's code in brackets)
[[nodiscard]] jwk_key parse_jwk(std::string_view json_text, std::string_view kid_hint);

/// The public JWK of an RSA or EC P-256/P-384/P-521 key, with "kid" set to its RFC 7638
/// thumbprint, "use": "sig" and alg_name as "alg" (when not empty), as compact JSON.
/// @throws jwt::error key_algorithm_mismatch for other key types
[[nodiscard]] std::string public_jwk(const jwt::public_key& key, std::string_view alg_name);

/// The RFC 7638 thumbprint of an RSA or EC public key: base64url(SHA-256(canonical JWK)).
[[nodiscard]] std::string jwk_thumbprint(const jwt::public_key& key);

}  // namespace cli
