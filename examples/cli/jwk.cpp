// SPDX-License-Identifier: MIT
// The CLI's JWK front end: picks one key from a JWK or JWK Set and hands it to the library's
// JWK support (<jwtmint/jwk.hpp>), which does the parsing, checking and RFC 7638 thumbprints.
#include "jwk.hpp"

#include <jwtmint/error.hpp>
#include <jwtmint/jwk.hpp>
#include <nlohmann/json.hpp>

namespace cli {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
    throw jwt::error(jwt::errc::invalid_key, "JWK: " + message);
}

const json& select_key(const json& doc, std::string_view kid_hint) {
    const auto keys = doc.find("keys");
    if (keys == doc.end()) return doc;
    if (!keys->is_array() || keys->empty()) fail("\"keys\" must be a non-empty array of JWKs");
    if (keys->size() == 1) return keys->front();
    std::string kids;
    for (const auto& k : *keys) {
        const auto kid = k.find("kid");
        if (kid == k.end() || !kid->is_string()) continue;
        if (!kid_hint.empty() && kid->get_ref<const std::string&>() == kid_hint) return k;
        kids += (kids.empty() ? "" : ", ") + kid->get<std::string>();
    }
    if (kid_hint.empty()) {
        fail("the JWK Set holds " + std::to_string(keys->size()) +
             " keys and the token names none (no \"kid\" header); keep only the right key in the "
             "file");
    }
    fail("the JWK Set has no key with kid \"" + std::string(kid_hint) + "\" (its kids: " + kids +
         ")");
}

std::string optional_string(const json& jwk, const char* name) {
    const auto it = jwk.find(name);
    if (it == jwk.end()) return {};
    if (!it->is_string()) fail(std::string("\"") + name + "\" must be a string");
    return it->get<std::string>();
}

/// The CLI reports every malformed key file as invalid_key (its documented exit contract); the
/// library's finer code (invalid_jwk, invalid_base64url) is kept in the message.
template <class F>
auto as_cli_error(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const jwt::error& e) {
        if (e.value() == jwt::errc::invalid_jwk || e.value() == jwt::errc::invalid_base64url) {
            throw jwt::error(jwt::errc::invalid_key,
                             std::string(e.what()) + " [" + jwt::errc_name(e.value()) + "]");
        }
        throw;
    }
}

}  // namespace

jwk_key parse_jwk(std::string_view json_text, std::string_view kid_hint) {
    const json doc =
        json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
        fail("the file starts with '{' but is not a JSON object");
    const json& jwk = select_key(doc, kid_hint);
    if (!jwk.is_object()) fail("a key in \"keys\" is not a JSON object");

    jwk_key out;
    out.kty = optional_string(jwk, "kty");
    out.kid = optional_string(jwk, "kid");
    out.alg = optional_string(jwk, "alg");
    const std::string use = optional_string(jwk, "use");
    if (!use.empty() && use != "sig")
        fail("the key's \"use\" is \"" + use + "\"; a token signing key has \"sig\"");
    if (out.kty.empty()) fail("the key has no \"kty\" (expected \"RSA\", \"EC\", \"OKP\" or \"oct\")");
    if (out.kty == "oct") {
        const auto k = jwk.find("k");
        if (k == jwk.end() || !k->is_string()) fail("the key has no \"k\" member");
        std::error_code ec;
        std::string decoded = jwt::base64url_decode(k->get_ref<const std::string&>(), ec);
        out.secret = secret_buffer(decoded);
        OPENSSL_cleanse(decoded.data(), decoded.size());
        if (ec) fail("\"k\" is not unpadded base64url");
        if (out.secret->empty()) fail("\"k\" is empty");
        return out;
    }
    const std::string text = jwk.dump();
    if (jwk.contains("d")) {
        out.private_key = as_cli_error([&] { return jwt::private_key_from_jwk(text); });
    } else {
        out.public_key = as_cli_error([&] { return jwt::public_key_from_jwk(text); });
    }
    return out;
}

std::string public_jwk(const jwt::public_key& key, std::string_view alg_name) {
    return jwt::public_jwk(key, alg_name);
}

std::string jwk_thumbprint(const jwt::public_key& key) { return jwt::jwk_thumbprint(key); }

}  // namespace cli
