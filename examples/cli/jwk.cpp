// SPDX-License-Identifier: MIT
#include "jwk.hpp"

#include <openssl/core_names.h>

#include <array>
#include <jwtmint/base64url.hpp>
#include <jwtmint/error.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "openssl_util.hpp"

namespace cli {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
    throw jwt::error(jwt::errc::invalid_key, "JWK: " + message);
}

/// A required base64url member, decoded into wiped memory.
secret_buffer member_bytes(const json& jwk, const char* name) {
    const auto it = jwk.find(name);
    if (it == jwk.end()) fail(std::string("the key has no \"") + name + "\" member");
    if (!it->is_string()) fail(std::string("\"") + name + "\" must be a base64url string");
    std::error_code ec;
    std::string decoded = jwt::base64url_decode(it->get_ref<const std::string&>(), ec);
    secret_buffer out(decoded);
    OPENSSL_cleanse(decoded.data(), decoded.size());
    if (ec) fail(std::string("\"") + name + "\" is not unpadded base64url");
    if (out.empty()) fail(std::string("\"") + name + "\" is empty");
    return out;
}

bignum_ptr member_bignum(const json& jwk, const char* name) {
    const secret_buffer bytes = member_bytes(jwk, name);
    bignum_ptr bn{BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.view().data()),
                            static_cast<int>(bytes.size()), nullptr)};
    if (!bn) throw jwt::error(jwt::errc::openssl_error, "BN_bin2bn failed" + openssl_reason());
    return bn;
}

void push_bignum(OSSL_PARAM_BLD* bld, const char* key, const BIGNUM* bn) {
    if (OSSL_PARAM_BLD_push_BN(bld, key, bn) != 1) {
        throw jwt::error(jwt::errc::openssl_error,
                         "OSSL_PARAM_BLD_push_BN failed" + openssl_reason());
    }
}

/// EVP_PKEY_fromdata over the parameters collected in bld.
evp_pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld, int selection) {
    params_ptr params{OSSL_PARAM_BLD_to_param(bld)};
    evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        throw jwt::error(jwt::errc::openssl_error,
                         std::string("cannot prepare an ") + type + " key" + openssl_reason());
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1 || raw == nullptr) {
        EVP_PKEY_free(raw);
        fail(std::string("OpenSSL refused the ") + type + " key parameters" + openssl_reason());
    }
    return evp_pkey_ptr{raw};
}

bool has_any(const json& jwk, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        if (jwk.contains(n)) return true;
    }
    return false;
}

evp_pkey_ptr rsa_from_jwk(const json& jwk, bool& is_private) {
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld)
        throw jwt::error(jwt::errc::openssl_error, "OSSL_PARAM_BLD_new failed" + openssl_reason());
    const bignum_ptr n = member_bignum(jwk, "n");
    const bignum_ptr e = member_bignum(jwk, "e");
    push_bignum(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    push_bignum(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    is_private = jwk.contains("d");
    std::vector<bignum_ptr> keep;  // OSSL_PARAM_BLD refers to the BIGNUMs until to_param
    if (is_private) {
        keep.push_back(member_bignum(jwk, "d"));
        push_bignum(bld.get(), OSSL_PKEY_PARAM_RSA_D, keep.back().get());
        // RFC 7518 section 6.3.2: the CRT members come all together or not at all.
        if (has_any(jwk, {"p", "q", "dp", "dq", "qi"})) {
            const std::array<std::pair<const char*, const char*>, 5> crt = {
                {{"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
                 {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
                 {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
                 {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
                 {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}}};
            for (const auto& [member, param] : crt) {
                keep.push_back(member_bignum(jwk, member));
                push_bignum(bld.get(), param, keep.back().get());
            }
        }
    }
    return from_params("RSA", bld.get(), is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
}

evp_pkey_ptr ec_from_jwk(const json& jwk, bool& is_private) {
    const auto crv = jwk.find("crv");
    if (crv == jwk.end() || !crv->is_string())
        fail("an EC key needs a \"crv\" string such as \"P-256\"");
    const std::string& curve = crv->get_ref<const std::string&>();
    const char* group = nullptr;
    std::size_t field = 0;
    if (curve == "P-256") {
        group = "prime256v1";
        field = 32;
    } else if (curve == "P-384") {
        group = "secp384r1";
        field = 48;
    } else if (curve == "P-521") {
        group = "secp521r1";
        field = 66;
    } else {
        fail("unsupported curve \"" + curve + "\" (ES256 uses P-256)");
    }
    const secret_buffer x = member_bytes(jwk, "x");
    const secret_buffer y = member_bytes(jwk, "y");
    // RFC 7518 section 6.2.1.2: each coordinate is exactly the field size, leading zeros kept.
    if (x.size() != field || y.size() != field) {
        fail("\"x\" and \"y\" of a " + curve + " key must each decode to " + std::to_string(field) +
             " octets");
    }
    std::vector<unsigned char> point;
    point.reserve(1 + 2 * field);
    point.push_back(0x04);  // uncompressed point: 04 || x || y
    point.insert(point.end(), x.view().begin(), x.view().end());
    point.insert(point.end(), y.view().begin(), y.view().end());

    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        throw jwt::error(jwt::errc::openssl_error,
                         "cannot collect the EC key parameters" + openssl_reason());
    }
    is_private = jwk.contains("d");
    bignum_ptr d;
    if (is_private) {
        d = member_bignum(jwk, "d");
        push_bignum(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    }
    evp_pkey_ptr key =
        from_params("EC", bld.get(), is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
    // The point must lie on the curve (and d must match it): an invalid-curve key is refused here.
    evp_pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    const int ok = !check       ? 0
                   : is_private ? EVP_PKEY_pairwise_check(check.get())
                                : EVP_PKEY_public_check(check.get());
    if (ok != 1)
        fail("the EC key is not valid: the point is not on " + curve +
             " or \"d\" does not match it" + openssl_reason());
    return key;
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

std::string encode_bignum(const EVP_PKEY* key, const char* param, std::size_t pad_to) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
        throw jwt::error(jwt::errc::openssl_error,
                         std::string("cannot read the key's ") + param + openssl_reason());
    }
    const bignum_ptr bn{raw};
    const std::size_t size =
        pad_to != 0 ? pad_to : static_cast<std::size_t>(BN_num_bytes(bn.get()));
    std::vector<unsigned char> bytes(size);
    if (BN_bn2binpad(bn.get(), bytes.data(), static_cast<int>(size)) < 0) {
        throw jwt::error(jwt::errc::openssl_error, "BN_bn2binpad failed" + openssl_reason());
    }
    return jwt::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

/// The required members of the public JWK in lexicographic order (RFC 7638 section 3.2).
json required_members(const jwt::public_key& key) {
    const jwt::key_info info = key.info();
    const EVP_PKEY* pkey = key.native_handle();
    if (info.type == "RSA") {
        return json{{"e", encode_bignum(pkey, OSSL_PKEY_PARAM_RSA_E, 0)},
                    {"kty", "RSA"},
                    {"n", encode_bignum(pkey, OSSL_PKEY_PARAM_RSA_N, 0)}};
    }
    if (info.type == "EC" &&
        (info.curve == "P-256" || info.curve == "P-384" || info.curve == "P-521")) {
        const std::size_t field = info.curve == "P-256" ? 32 : info.curve == "P-384" ? 48 : 66;
        return json{{"crv", info.curve},
                    {"kty", "EC"},
                    {"x", encode_bignum(pkey, OSSL_PKEY_PARAM_EC_PUB_X, field)},
                    {"y", encode_bignum(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, field)}};
    }
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     "only RSA and EC (P-256, P-384, P-521) keys have a JWK form here; this is a " +
                         info.type + " key");
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

    bool is_private = false;
    evp_pkey_ptr key;
    if (out.kty == "RSA") {
        key = rsa_from_jwk(jwk, is_private);
    } else if (out.kty == "EC") {
        key = ec_from_jwk(jwk, is_private);
    } else if (out.kty == "oct") {
        out.secret = member_bytes(jwk, "k");
        return out;
    } else if (out.kty.empty()) {
        fail("the key has no \"kty\" (expected \"RSA\", \"EC\" or \"oct\")");
    } else {
        fail("unsupported \"kty\": \"" + out.kty + "\" (expected \"RSA\", \"EC\" or \"oct\")");
    }
    if (is_private) {
        out.private_key = jwt::private_key::from_evp_pkey(key.get());
    } else {
        out.public_key = jwt::public_key::from_evp_pkey(key.get());
    }
    return out;
}

std::string public_jwk(const jwt::public_key& key, std::string_view alg_name) {
    json jwk = required_members(key);
    jwk["kid"] = jwk_thumbprint(key);
    jwk["use"] = "sig";
    if (!alg_name.empty()) jwk["alg"] = std::string(alg_name);
    return jwk.dump();
}

std::string jwk_thumbprint(const jwt::public_key& key) {
    const std::string canonical = required_members(key).dump();  // sorted keys, no whitespace
    std::array<unsigned char, 32> digest{};
    std::size_t len = 0;
    if (EVP_Q_digest(nullptr, "SHA256", nullptr, canonical.data(), canonical.size(), digest.data(),
                     &len) != 1) {
        throw jwt::error(jwt::errc::openssl_error, "SHA-256 failed" + openssl_reason());
    }
    return jwt::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), len));
}

}  // namespace cli
