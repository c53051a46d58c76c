// SPDX-License-Identifier: MIT
// The CLI's JWK front end: the key file's text goes whole to the library's JWK support
// (<jwtmint/jwk.hpp>, jwt::select_jwk), which parses it once, picks the key and checks it.
#include "jwk.hpp"

#include <jwtmint/error.hpp>
#include <jwtmint/jwk.hpp>

namespace cli {

namespace {

/// The CLI reports every malformed key file as invalid_key (its documented exit contract); the
/// library's finer code (invalid_jwk, invalid_base64url, unknown_key_id) is kept in the message.
jwt::error as_cli_error(const jwt::error& e) {
    if (e.value() == jwt::errc::invalid_jwk || e.value() == jwt::errc::invalid_base64url ||
        e.value() == jwt::errc::unknown_key_id) {
        return jwt::error(jwt::errc::invalid_key, std::string(e.what()) + " [" + jwt::errc_name(e.value()) + "]");
    }
    return e;
}

}  // namespace

jwk_key parse_jwk(std::string_view json_text, std::string_view kid_hint) {
    // One strict parse, the library's: duplicate members and kids are refused, secret members
    // go straight into wiped memory, and "use"/"key_ops" must allow signatures.
    auto selected = jwt::try_select_jwk(json_text, kid_hint);
    if (!selected) throw as_cli_error(selected.error());
    jwt::jwk_key& key = *selected;
    jwk_key out;
    out.kty = std::move(key.kty);
    out.kid = std::move(key.kid);
    out.alg = std::move(key.alg);
    out.private_key = std::move(key.private_key);
    out.public_key = std::move(key.public_key);
    if (key.secret) {
        out.secret = secret_buffer(std::string_view(reinterpret_cast<const char*>(key.secret->data()),
                                                    key.secret->size()));
    }
    return out;
}

std::string public_jwk(const jwt::public_key& key, std::string_view alg_name) { return jwt::public_jwk(key, alg_name); }

std::string jwk_thumbprint(const jwt::public_key& key) { return jwt::jwk_thumbprint(key); }

}  // namespace cli
