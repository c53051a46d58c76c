// SPDX-License-Identifier: MIT
/// @file
/// JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037): keys in and out, RFC 7638 thumbprints,
/// JWKS documents, and a verifier set that picks the key by the token's kid.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace jwt {
inline namespace v1 {

/// The longest JWK text read, in octets; longer text is refused before it is scanned. A 16384-bit
/// RSA private JWK with its CRT members takes about 13 KiB; a public JWK, well under 1 KiB.
inline constexpr std::size_t max_jwk_size = std::size_t{64} * 1024;

/// The longest JWK Set document read, in octets; a longer one is refused before it is scanned. A
/// real set of a few keys takes a few KiB.
inline constexpr std::size_t max_jwks_size = std::size_t{1024} * 1024;

/// The most keys a JWK Set may hold; counted before any key of the set is read.
inline constexpr std::size_t max_jwks_keys = 100;

// JWKs and JWK Sets nest no deeper than tokens do: jwt::max_json_depth (verifier.hpp).
// Nothing here throws: each fallible call has a try_* form returning jwt::result / jwt::status.

namespace detail {

using param_bld_ptr = ossl_handle<OSSL_PARAM_BLD, &OSSL_PARAM_BLD_free>;
// OpenSSL 3.0 has no OSSL_PARAM_clear_free: OSSL_PARAM_free wipes the block that holds the
// parameters of BN_FLG_SECURE numbers (BN_secure_new, as to_bignum makes them) before freeing it.
using params_ptr = ossl_handle<OSSL_PARAM, &OSSL_PARAM_free>;

/// The error of a JWK that cannot be used: errc::invalid_jwk, its message prefixed "JWK: ".
[[nodiscard]] inline error bad_jwk(const std::string& message) { return fail(errc::invalid_jwk, "JWK: " + message); }

/// Whether value, the text of a JSON value the scan accepted, is the string text.
[[nodiscard]] inline bool json_value_is(std::string_view value, std::string_view text) noexcept {
    if (value.size() < 2 || value[0] != '"') return false;
    const std::string_view body = value.substr(1, value.size() - 2);
    return json_string_equal(body, body.find('\\') != std::string_view::npos, text);
}

/// A JSON value for a message: a string quoted (detail::quote), anything else said by its type.
[[nodiscard]] inline std::string json_value_for_message(std::string_view value) {
    switch (json_type_of(value[0])) {
        case json_type::string: return quote(json_string_copy(value));
        case json_type::number: return "the number " + quote(value);
        case json_type::boolean: return value[0] == 't' ? "true" : "false";
        case json_type::null: return "null";
        case json_type::array: return "an array";
        case json_type::object: return "an object";
    }
    return "a JSON value";
}

/// A JWK's members as spans of the caller's text (which must outlive this). Nothing is copied out
/// of the text until it is asked for: key material ("d", "p", ..., "k") is decoded straight from
/// its span into wiped memory, and no JSON library holds a copy.
struct jwk_members {
    std::vector<json_member> all;

    [[nodiscard]] const json_member* find(std::string_view name) const noexcept {
        return json_find_member(all.data(), all.data() + all.size(), name);
    }
    [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
};

/// Refuses text longer than limit (named by its constant) before anything reads it.
[[nodiscard]] inline status check_jwk_size(std::string_view text, std::size_t limit, const char* what,
                                           const char* constant) {
    if (text.size() > limit) {
        return bad_jwk("the " + std::string(what) + " has " + std::to_string(text.size()) + " octets; at most " +
                       std::to_string(limit) + " are read (" + constant + ")");
    }
    return {};
}

/// The error for JSON text that a scan of a JWK or JWK Set (what) did not accept, naming the fault.
[[nodiscard]] inline error bad_jwk_json(json_fault fault, const json_object_scan& scan, const char* what) {
    switch (fault) {
        case json_fault::duplicate_name:
            return bad_jwk("the member " + quote(scan.duplicate()) + " appears more than once; a " + what +
                           " names each member once (RFC 7517 section 4)");
        case json_fault::too_deep:
            return bad_jwk("the " + std::string(what) + " nests deeper than " + std::to_string(max_json_depth) +
                           " levels of arrays and objects (jwt::max_json_depth)");
        case json_fault::number_too_large:
            return bad_jwk("the " + std::string(what) + " holds the number " + quote(scan.too_large()) +
                           ", whose magnitude no double holds; JSON parsers disagree on such numbers");
        case json_fault::not_object:
            return bad_jwk("the text is JSON but not a JSON object, as a " + std::string(what) + " is");
        default: return bad_jwk("the text is not valid JSON (or not valid UTF-8)");
    }
}

/// The JWK as a JSON object, with our own error codes for text that is not one: no longer than
/// max_jwk_size (checked first), validated by json_object_scan, which also refuses duplicate
/// member names at any depth (RFC 7517 section 4 allows a parser to refuse them; many parsers
/// would keep the last) and nesting deeper than max_json_depth; a UTF-8 byte order mark is
/// skipped, as JSON parsers commonly skip it.
[[nodiscard]] inline result<jwk_members> parse_jwk_object(std::string_view text) {
    if (auto size = check_jwk_size(text, max_jwk_size, "JWK", "jwt::max_jwk_size"); !size)
        return std::move(size).error();
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    json_object_scan scan;
    const json_fault fault = scan.scan(text, max_json_depth);
    if (fault != json_fault::none) return bad_jwk_json(fault, scan, "JWK");
    jwk_members out;
    out.all.assign(scan.begin(), scan.end());
    return out;
}

[[nodiscard]] inline error missing_jwk_member(const char* name) {
    return bad_jwk(std::string("the key has no \"") + name + "\" member");
}

/// A string member's decoded value (a copy: never call this for key material).
[[nodiscard]] inline result<std::string> jwk_string(const jwk_members& jwk, const char* name) {
    const json_member* m = jwk.find(name);
    if (m == nullptr) return missing_jwk_member(name);
    if (m->type != json_type::string) return bad_jwk(std::string("\"") + name + "\" must be a string");
    return json_string_copy(m->value);
}

[[nodiscard]] inline error bad_base64url_member(const char* name) {
    return fail(errc::invalid_base64url,
                std::string("JWK: \"") + name + "\" is not strict unpadded base64url (RFC 7515 section 2)");
}

/// A required base64url member's octets, decoded from its span of the caller's text into memory
/// that is wiped when freed. A JSON escape (which base64url never needs) is first undone in a
/// wiped buffer. Non-canonical base64url (padding, foreign characters, stray trailing bits) is
/// errc::invalid_base64url.
[[nodiscard]] inline result<secure_bytes> jwk_bytes(const jwk_members& jwk, const char* name) {
    const json_member* found = jwk.find(name);
    if (found == nullptr) return missing_jwk_member(name);
    const json_member& m = *found;
    if (m.type != json_type::string) return bad_jwk(std::string("\"") + name + "\" must be a string");
    std::string_view body = m.value.substr(1, m.value.size() - 2);
    secure_bytes unescaped;
    if (m.value_escaped) {
        unescaped.reserve(body.size());  // escapes only shrink the text
        json_decode_string(body,
                           [&](std::string_view part) { unescaped.insert(unescaped.end(), part.begin(), part.end()); });
        body = std::string_view(reinterpret_cast<const char*>(unescaped.data()), unescaped.size());
    }
    secure_bytes out(base64url_decoded_size(body.size()));
    std::error_code ec;
    out.resize(base64url_decode(body, out.data(), out.size(), ec));
    if (ec) return bad_base64url_member(name);
    if (out.empty()) return bad_jwk(std::string("\"") + name + "\" is empty");
    return out;
}

[[nodiscard]] inline result<bn_ptr> to_bignum(const secure_bytes& bytes) {
    bn_ptr bn{BN_secure_new()};
    if (!bn || BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), bn.get()) == nullptr) {
        return fail_openssl(errc::openssl_error, "BN_bin2bn failed");
    }
    return bn;
}

/// An RSA integer member: no leading zero octet (RFC 7518 section 6.3.1.1 / 2.3.4 "minimum octets").
[[nodiscard]] inline result<bn_ptr> jwk_uint(const jwk_members& jwk, const char* name) {
    const auto bytes = jwk_bytes(jwk, name);
    if (!bytes) return bytes.error();
    if (bytes->size() > 1 && (*bytes)[0] == 0) {
        return bad_jwk(std::string("\"") + name +
                       "\" has a leading zero octet; RFC 7518 section 2 requires the minimal encoding");
    }
    return to_bignum(*bytes);
}

[[nodiscard]] inline result<pkey_ptr> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld, bool is_private) {
    params_ptr params{OSSL_PARAM_BLD_to_param(bld)};
    pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        return fail_openssl(errc::openssl_error, std::string("cannot prepare an ") + type + " key");
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1 ||
        raw == nullptr) {
        EVP_PKEY_free(raw);
        return fail_openssl(errc::invalid_jwk, std::string("JWK: OpenSSL refused the ") + type + " key parameters");
    }
    return pkey_ptr{raw};
}

[[nodiscard]] inline status push_bn(OSSL_PARAM_BLD* bld, const char* key, const BIGNUM* bn) {
    if (OSSL_PARAM_BLD_push_BN(bld, key, bn) != 1)
        return fail_openssl(errc::openssl_error, "OSSL_PARAM_BLD_push_BN failed");
    return {};
}

/// Decodes the RSA integer member name and pushes it to bld as key; held keeps the number alive.
[[nodiscard]] inline status push_jwk_uint(OSSL_PARAM_BLD* bld, const char* key, const jwk_members& jwk,
                                          const char* name, std::vector<bn_ptr>& held) {
    auto bn = jwk_uint(jwk, name);
    if (!bn) return std::move(bn).error();
    held.push_back(std::move(*bn));
    return push_bn(bld, key, held.back().get());
}

inline constexpr std::array<const char*, 6> rsa_private_members = {"d", "p", "q", "dp", "dq", "qi"};

[[nodiscard]] inline result<pkey_ptr> rsa_from_jwk(const jwk_members& jwk, bool want_private) {
    if (jwk.contains("oth")) return bad_jwk("multi-prime RSA keys (\"oth\") are not supported");
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld) return fail_openssl(errc::openssl_error, "OSSL_PARAM_BLD_new failed");
    std::vector<bn_ptr> held;
    if (auto s = push_jwk_uint(bld.get(), OSSL_PKEY_PARAM_RSA_N, jwk, "n", held); !s) return std::move(s).error();
    if (auto s = push_jwk_uint(bld.get(), OSSL_PKEY_PARAM_RSA_E, jwk, "e", held); !s) return std::move(s).error();
    if (want_private) {
        if (auto s = push_jwk_uint(bld.get(), OSSL_PKEY_PARAM_RSA_D, jwk, "d", held); !s) return std::move(s).error();
        // The CRT members come together or not at all (RFC 7518 section 6.3.2).
        std::size_t crt = 0;
        for (std::size_t i = 1; i < rsa_private_members.size(); ++i) {
            if (jwk.contains(rsa_private_members[i])) ++crt;
        }
        if (crt != 0 && crt != 5) return bad_jwk("an RSA private key needs all of p, q, dp, dq, qi or none of them");
        if (crt == 5) {
            const std::array<const char*, 5> names = {OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                                                      OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                                      OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (auto s = push_jwk_uint(bld.get(), names[i], jwk, rsa_private_members[i + 1], held); !s) {
                    return std::move(s).error();
                }
            }
        }
    }
    return pkey_from_params("RSA", bld.get(), want_private);
}

/// The JOSE curve a "crv" names exactly (not by OpenSSL's names), or nullptr.
[[nodiscard]] inline const jose_curve* jwk_curve_named(std::string_view crv) noexcept {
    const jose_curve* c = find_jose_curve(crv);
    return c != nullptr && c->name == crv ? c : nullptr;
}

[[nodiscard]] inline result<const jose_curve*> ec_curve_of(const jwk_members& jwk) {
    const auto crv = jwk_string(jwk, "crv");
    if (!crv) return crv.error();
    if (const jose_curve* c = jwk_curve_named(*crv)) return c;
    return fail(errc::key_algorithm_mismatch, "JWK: EC curve " + quote(*crv) +
                                                  " is not one a JOSE ES* algorithm uses here (" + jose_curve_list +
                                                  ")");
}

[[nodiscard]] inline result<secure_bytes> jwk_fixed(const jwk_members& jwk, const char* name, std::size_t size,
                                                    std::string_view crv) {
    auto b = jwk_bytes(jwk, name);
    if (!b) return b;
    if (b->size() != size) {
        return bad_jwk(std::string("\"") + name + "\" has " + std::to_string(b->size()) + " octets; " +
                       std::string(crv) + " needs exactly " + std::to_string(size) +
                       " (RFC 7518 section 6.2.1.2, RFC 8037 section 2)");
    }
    return b;
}

[[nodiscard]] inline result<pkey_ptr> ec_from_jwk(const jwk_members& jwk, bool want_private) {
    const auto curve = ec_curve_of(jwk);
    if (!curve) return curve.error();
    const jose_curve& c = **curve;
    const auto x = jwk_fixed(jwk, "x", c.size, c.name);
    if (!x) return x.error();
    const auto y = jwk_fixed(jwk, "y", c.size, c.name);
    if (!y) return y.error();
    secure_bytes point;
    point.reserve(1 + 2 * c.size);
    point.push_back(0x04);
    point.insert(point.end(), x->begin(), x->end());
    point.insert(point.end(), y->begin(), y->end());
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.openssl_name, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        return fail_openssl(errc::openssl_error, "cannot collect the EC key parameters");
    }
    bn_ptr d;
    if (want_private) {
        const auto d_bytes = jwk_fixed(jwk, "d", c.size, c.name);
        if (!d_bytes) return d_bytes.error();
        auto d_bn = to_bignum(*d_bytes);
        if (!d_bn) return std::move(d_bn).error();
        d = std::move(*d_bn);
        if (auto s = push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()); !s) return std::move(s).error();
    }
    auto key = pkey_from_params("EC", bld.get(), want_private);
    if (!key) return key;
    if (want_private) {
        // "d" must belong to (x, y): EVP_PKEY_fromdata takes both as given.
        pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr)};
        if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
            return fail_openssl(errc::key_mismatch, "JWK: \"d\" is not the private key of the point (x, y)");
        }
    }
    return key;
}

[[nodiscard]] inline result<pkey_ptr> okp_from_jwk(const jwk_members& jwk, bool want_private) {
    const auto crv = jwk_string(jwk, "crv");
    if (!crv) return crv.error();
    if (*crv != "Ed25519") {
        return fail(errc::key_algorithm_mismatch, "JWK: OKP curve \"" + *crv + "\" is not supported (Ed25519 only)");
    }
    const auto x = jwk_fixed(jwk, "x", 32, *crv);
    if (!x) return x.error();
    if (want_private) {
        // From "d" alone, so that OpenSSL derives the public key; a stated "x" that differs is a
        // damaged JWK (given both, OpenSSL would take both as they are).
        const auto d = jwk_fixed(jwk, "d", 32, *crv);
        if (!d) return d.error();
        pkey_ptr key{EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, d->data(), d->size())};
        if (!key) return fail_openssl(errc::invalid_jwk, "JWK: OpenSSL refused the Ed25519 private key");
        std::array<unsigned char, 32> derived{};
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, derived.data(), derived.size(), &len) !=
                1 ||
            len != 32 || CRYPTO_memcmp(derived.data(), x->data(), 32) != 0) {
            ERR_clear_error();
            return fail(errc::key_mismatch, R"(JWK: "x" is not the public key of "d")");
        }
        return key;
    }
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x->data(), x->size()) != 1) {
        return fail_openssl(errc::openssl_error, "cannot collect the Ed25519 key parameters");
    }
    return pkey_from_params("ED25519", bld.get(), false);
}

/// Members that only a private JWK has, per kty.
inline bool has_private_members(const jwk_members& jwk, std::string_view kty) {
    if (kty == "RSA") {
        for (const char* m : rsa_private_members) {
            if (jwk.contains(m)) return true;
        }
        return jwk.contains("oth");
    }
    if (kty == "oct") return jwk.contains("k");
    return jwk.contains("d");
}

/// use and key_ops, when present, must allow signatures (RFC 7517 sections 4.2, 4.3): key_ops must
/// include op, or with op null (a secret that may do either), "sign" or "verify".
[[nodiscard]] inline status check_use(const jwk_members& jwk, const char* op) {
    if (const json_member* use = jwk.find("use"); use != nullptr && !json_value_is(use->value, "sig")) {
        return fail(errc::key_algorithm_mismatch,
                    R"(JWK: "use" is )" + json_value_for_message(use->value) + R"(; a signing key has "use": "sig")");
    }
    if (const json_member* ops = jwk.find("key_ops"); ops != nullptr) {
        if (ops->type != json_type::array) return bad_jwk("\"key_ops\" must be an array");
        bool found = false;
        json_for_each_element(ops->value, [&](std::string_view o) {
            found = found ||
                    (op != nullptr ? json_value_is(o, op) : json_value_is(o, "sign") || json_value_is(o, "verify"));
        });
        if (!found) {
            return fail(errc::key_algorithm_mismatch, std::string(R"(JWK: "key_ops" does not include ")") +
                                                          (op != nullptr ? op : R"(sign" or "verify)") + "\"");
        }
    }
    return {};
}

[[nodiscard]] inline result<pkey_ptr> pkey_from_jwk(const jwk_members& jwk, bool want_private) {
    const auto kty_text = jwk_string(jwk, "kty");
    if (!kty_text) return kty_text.error();
    const std::string& kty = *kty_text;
    const bool has_private = has_private_members(jwk, kty);
    if (!want_private && has_private) {
        return bad_jwk("a public JWK carries private members (" + std::string(kty == "RSA" ? "d, p, q..." : "d") +
                       "); publish only the public half (jwt::public_jwk)");
    }
    if (want_private && !has_private) {
        return fail(errc::private_key_required,
                    "JWK: this " + kty + " JWK is a public key; signing needs the private key (\"d\")");
    }
    if (auto use = check_use(jwk, want_private ? "sign" : "verify"); !use) return std::move(use).error();
    if (kty == "RSA") return rsa_from_jwk(jwk, want_private);
    if (kty == "EC") return ec_from_jwk(jwk, want_private);
    if (kty == "OKP") return okp_from_jwk(jwk, want_private);
    if (kty == "oct") {
        return fail(errc::key_algorithm_mismatch,
                    "JWK: an \"oct\" key is an HMAC secret, not a key pair; load it with "
                    "jwt::hs256::from_jwk() or jwt::verifier<jwt::hs256>::from_jwk()");
    }
    return bad_jwk(R"(unknown "kty" ")" + kty + R"(" (RSA, EC, OKP, oct))");
}

/// The base64url of a BIGNUM parameter, minimal octets.
[[nodiscard]] inline result<std::string> bn_param_b64(const EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1)
        return fail_openssl(errc::openssl_error, "cannot read the RSA key");
    const bn_ptr bn{raw};
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
    return base64url_encode(bytes);
}

/// A JSON object of string members that jwtmint writes (a public JWK). Its text lists them in
/// lexicographic order of their names, as RFC 7638 section 3.2 orders a thumbprint's members;
/// the values are escaped as JSON strings (they must be valid UTF-8).
class json_string_object {
public:
    /// Sets the member name (a string literal) to value, replacing an earlier value.
    json_string_object& operator()(const char* name, std::string value) {
        const std::string_view n(name);
        auto at = members_.begin();
        while (at != members_.end() && std::string_view(at->first) < n) ++at;
        if (at != members_.end() && std::string_view(at->first) == n) {
            at->second = std::move(value);
        } else {
            members_.emplace(at, name, std::move(value));
        }
        return *this;
    }
    /// The compact JSON text: no white space.
    [[nodiscard]] std::string text() const {
        std::string out = "{";
        for (const auto& [name, value] : members_) {
            if (out.size() > 1) out += ',';
            append_json_string(out, name);
            out += ':';
            append_json_string(out, value);
        }
        out += '}';
        return out;
    }

private:
    std::vector<std::pair<const char*, std::string>> members_;
};

/// The required members of a public JWK (RFC 7638 section 3.2).
[[nodiscard]] inline result<json_string_object> required_public_members(const EVP_PKEY* key) {
    json_string_object j;
    const key_info info = describe(key);
    if (info.type == "RSA") {
        auto e = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E);
        if (!e) return std::move(e).error();
        auto n = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N);
        if (!n) return std::move(n).error();
        j("e", std::move(*e))("kty", "RSA")("n", std::move(*n));
    } else if (info.type == "EC") {
        const jose_curve* c = jwk_curve_named(info.curve);
        if (c == nullptr)
            return fail(errc::key_algorithm_mismatch, "JWK export supports EC P-256, P-384 and P-521 only");
        BIGNUM* x = nullptr;
        BIGNUM* y = nullptr;
        const bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
        const bn_ptr bx{x}, by{y};
        if (!ok) return fail_openssl(errc::openssl_error, "cannot read the EC point");
        std::string xs(c->size, '\0'), ys(c->size, '\0');
        BN_bn2binpad(bx.get(), reinterpret_cast<unsigned char*>(xs.data()), static_cast<int>(c->size));
        BN_bn2binpad(by.get(), reinterpret_cast<unsigned char*>(ys.data()), static_cast<int>(c->size));
        j("crv", std::string(c->name))("kty", "EC")("x", base64url_encode(xs))("y", base64url_encode(ys));
    } else if (info.type == "ED25519") {
        std::string x(32, '\0');
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(x.data()),
                                            x.size(), &len) != 1 ||
            len != 32) {
            return fail_openssl(errc::openssl_error, "cannot read the Ed25519 public key");
        }
        j("crv", "Ed25519")("kty", "OKP")("x", base64url_encode(x));
    } else {
        return fail(errc::key_algorithm_mismatch, "JWK export supports RSA, EC and Ed25519 keys, not " + info.type);
    }
    return j;
}

/// The JOSE algorithm a JWK's "alg" must name for Alg, and whether its kty fits.
template <class Alg>
[[nodiscard]] status check_jwk_alg(const jwk_members& jwk) {
    const auto kty = jwk_string(jwk, "kty");
    if (!kty) return kty.error();
    bool kty_fits = false;
    if constexpr (is_hmac_algorithm_v<Alg>) {
        kty_fits = *kty == "oct";
    } else {
        switch (Alg::spec.scheme) {
            case pkey_scheme::ecdsa: kty_fits = *kty == "EC"; break;
            case pkey_scheme::eddsa: kty_fits = *kty == "OKP"; break;
            case pkey_scheme::rsa_pkcs1:
            case pkey_scheme::rsa_pss: kty_fits = *kty == "RSA"; break;
        }
    }
    if (!kty_fits) {
        return fail(errc::key_algorithm_mismatch,
                    "JWK: a \"" + *kty + "\" key cannot be used for " + std::string(Alg::alg));
    }
    if (const json_member* alg = jwk.find("alg"); alg != nullptr && !json_value_is(alg->value, Alg::alg)) {
        return fail(errc::key_algorithm_mismatch, "JWK: the key is for alg " + json_value_for_message(alg->value) +
                                                      ", not " + std::string(Alg::alg) + " (RFC 7517 section 4.4)");
    }
    return {};
}

/// As for_each_jwks_key, from the scan of a document already checked for size and JSON.
template <class F>
[[nodiscard]] status for_each_jwks_key_in(const json_object_scan& doc, F&& f) {
    const json_member* keys = doc.find("keys");
    if (keys == nullptr || keys->type != json_type::array) {
        return bad_jwk("a JWK Set needs a \"keys\" array (RFC 7517 section 5)");
    }
    std::size_t count = 0;
    json_for_each_element(keys->value, [&](std::string_view) { ++count; });
    if (count == 0) return bad_jwk("the JWK Set has no keys");
    if (count > max_jwks_keys) {
        return bad_jwk("the JWK Set has " + std::to_string(count) + " keys; at most " + std::to_string(max_jwks_keys) +
                       " are read (jwt::max_jwks_keys)");
    }
    status outcome;
    json_for_each_element(keys->value, [&](std::string_view text) {
        if (!outcome) return;  // the first failure stands; the rest are skipped
        if (json_type_of(text[0]) != json_type::object) {
            outcome = bad_jwk("every member of \"keys\" must be a JSON object");
            return;
        }
        auto jwk = parse_jwk_object(text);
        if (!jwk) {
            outcome = std::move(jwk).error();
            return;
        }
        outcome = f(*jwk, text);
    });
    return outcome;
}

/// Reads a JWK Set document (RFC 7517 section 5) as every reader of sets here does, each limit
/// before the work it bounds: its length (max_jwks_size), then the JSON (duplicates refused at any
/// depth, max_json_depth), the "keys" array, the number of keys (max_jwks_keys), and only then
/// each key, parsed by parse_jwk_object and handed to f(const jwk_members&, std::string_view text)
/// -> status in document order; the first failure ends the walk. Each key's text goes to
/// parse_jwk_object on its own.
template <class F>
[[nodiscard]] status for_each_jwks_key(std::string_view jwks_json, F&& f) {
    if (auto size = check_jwk_size(jwks_json, max_jwks_size, "JWK Set", "jwt::max_jwks_size"); !size) return size;
    if (jwks_json.substr(0, 3) == "\xEF\xBB\xBF") jwks_json.remove_prefix(3);
    json_object_scan doc;
    const json_fault fault = doc.scan(jwks_json, max_json_depth);
    if (fault != json_fault::none) return bad_jwk_json(fault, doc, "JWK Set");
    return for_each_jwks_key_in(doc, f);
}

/// A JWK's "kid", or "" when it has none; invalid_jwk for a kid that is not a string.
[[nodiscard]] inline result<std::string> jwk_kid(const jwk_members& jwk) {
    if (!jwk.contains("kid")) return std::string();
    return jwk_string(jwk, "kid");
}

}  // namespace detail

/// Octets that are wiped (OPENSSL_cleanse) before their memory is released.
using secret_bytes = detail::secure_bytes;

/// A JWK as read by the strict parser, for a program that takes whatever key a JWK holds (a key
/// file): the key, and the members that say what it is. Exactly one of private_key, public_key
/// and secret is set.
struct jwk_key {
    std::string kty;                              ///< "RSA", "EC", "OKP" or "oct"
    std::string kid;                              ///< "" when the JWK has none
    std::string alg;                              ///< "" when the JWK has none
    std::optional<jwt::private_key> private_key;  ///< a JWK with private members ("d", ...)
    std::optional<jwt::public_key> public_key;    ///< a public RSA, EC or OKP JWK
    std::optional<secret_bytes> secret;           ///< an "oct" JWK's "k"
};

namespace detail {

[[nodiscard]] inline result<jwk_key> jwk_key_of(const jwk_members& jwk) {
    jwk_key out;
    auto kty = jwk_string(jwk, "kty");
    if (!kty) return std::move(kty).error();
    out.kty = std::move(*kty);
    auto kid = jwk_kid(jwk);
    if (!kid) return std::move(kid).error();
    out.kid = std::move(*kid);
    if (jwk.contains("alg")) {
        auto alg = jwk_string(jwk, "alg");
        if (!alg) return std::move(alg).error();
        out.alg = std::move(*alg);
    }
    if (out.kty == "oct") {
        if (auto use = check_use(jwk, nullptr); !use) return std::move(use).error();
        auto k = jwk_bytes(jwk, "k");
        if (!k) return std::move(k).error();
        out.secret = std::move(*k);
    } else if (has_private_members(jwk, out.kty)) {
        const auto pkey = pkey_from_jwk(jwk, true);
        if (!pkey) return pkey.error();
        auto key = private_key::try_from_evp_pkey(pkey->get());
        if (!key) return std::move(key).error();
        out.private_key = std::move(*key);
    } else {
        const auto pkey = pkey_from_jwk(jwk, false);
        if (!pkey) return pkey.error();
        auto key = public_key::try_from_evp_pkey(pkey->get());
        if (!key) return std::move(key).error();
        out.public_key = std::move(*key);
    }
    return out;
}

/// The JWK readers behind private_key::from_jwk, public_key::from_jwk, Signer::from_jwk and
/// verifier<Algorithm>::from_jwk (key.hpp, signers.hpp and verifier.hpp name it without
/// including JSON; this header defines it).
struct jwk_loader {
    /// A private key from a private JWK (RSA, EC P-256/384/521, OKP Ed25519).
    /// Fails with invalid_jwk, invalid_base64url, private_key_required, key_algorithm_mismatch,
    /// key_mismatch (a "d" that does not belong to the public members).
    [[nodiscard]] static result<private_key> private_key_from(std::string_view jwk_json) {
        const auto jwk = parse_jwk_object(jwk_json);
        if (!jwk) return jwk.error();
        const auto key = pkey_from_jwk(*jwk, true);
        if (!key) return key.error();
        return private_key::try_from_evp_pkey(key->get());
    }

    /// A public key from a public JWK; private members are refused (a JWK meant to be published
    /// must not carry them). Fails with invalid_jwk, invalid_base64url, key_algorithm_mismatch.
    [[nodiscard]] static result<public_key> public_key_from(std::string_view jwk_json) {
        const auto jwk = parse_jwk_object(jwk_json);
        if (!jwk) return jwk.error();
        const auto key = pkey_from_jwk(*jwk, false);
        if (!key) return key.error();
        return public_key::try_from_evp_pkey(key->get());
    }

    /// A signer from a private JWK ("oct" for HS*, RSA for RS*/PS*, EC for ES*, OKP for EdDSA);
    /// the JWK's "alg", when present, must be Signer's. Fails as private_key_from, and with any
    /// key check of Signer.
    template <class Signer>
    [[nodiscard]] static result<Signer> signer_from(std::string_view jwk_json) {
        const auto jwk = parse_jwk_object(jwk_json);
        if (!jwk) return jwk.error();
        if (auto alg = check_jwk_alg<Signer>(*jwk); !alg) return std::move(alg).error();
        if constexpr (is_hmac_algorithm_v<Signer>) {
            if (auto use = check_use(*jwk, "sign"); !use) return std::move(use).error();
            const auto k = jwk_bytes(*jwk, "k");
            if (!k) return k.error();
            return Signer::try_from_secret(std::string_view(reinterpret_cast<const char*>(k->data()), k->size()));
        } else {
            const auto key = pkey_from_jwk(*jwk, true);
            if (!key) return key.error();
            return Signer::try_from_evp_pkey(key->get());
        }
    }

    /// A verifier from a public JWK (or, for HS*, the "oct" JWK of the shared secret), pinned to
    /// Algorithm. Fails as public_key_from, and with any key check of the verifier.
    template <class Algorithm, class Clock>
    [[nodiscard]] static result<verifier<Algorithm, Clock>> verifier_from(std::string_view jwk_json) {
        const auto jwk = parse_jwk_object(jwk_json);
        if (!jwk) return jwk.error();
        if (auto alg = check_jwk_alg<Algorithm>(*jwk); !alg) return std::move(alg).error();
        if constexpr (is_hmac_algorithm_v<Algorithm>) {
            if (auto use = check_use(*jwk, "verify"); !use) return std::move(use).error();
            const auto k = jwk_bytes(*jwk, "k");
            if (!k) return k.error();
            return verifier<Algorithm, Clock>::try_from_secret(
                std::string_view(reinterpret_cast<const char*>(k->data()), k->size()));
        } else {
            const auto key = pkey_from_jwk(*jwk, false);
            if (!key) return key.error();
            return verifier<Algorithm, Clock>::try_from_evp_pkey(key->get());
        }
    }
};

}  // namespace detail

/// The key a key file holds, parsed once: from a JWK, the JWK itself (kid is not consulted); from a
/// JWK Set ({"keys": [...]}), the key whose "kid" is kid, or with kid empty the set's only key.
/// Private, public and "oct" JWKs alike; "use" and "key_ops", when present, must allow signatures.
/// The set is read as jwks_verifier::from_jwks reads it (limits, duplicate members refused), and
/// two of its keys may not share a kid. The text is refused over max_jwks_size before it is
/// scanned; a JWK (no "keys") over max_jwk_size once it is seen to be one.
/// Fails with unknown_key_id (no key of the set has kid, or kid is empty and the set has several
/// keys; the message lists the set's kids), invalid_jwk, invalid_base64url,
/// key_algorithm_mismatch, key_mismatch.
[[nodiscard]] inline result<jwk_key> try_select_jwk(std::string_view jwk_or_jwks_json, std::string_view kid = {}) {
    std::string_view text = jwk_or_jwks_json;
    if (auto size = detail::check_jwk_size(text, max_jwks_size, "JWK Set", "jwt::max_jwks_size"); !size) {
        return std::move(size).error();
    }
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    detail::json_object_scan doc;
    const detail::json_fault fault = doc.scan(text, max_json_depth);
    if (fault != detail::json_fault::none) {
        // A member named twice is a JWK's (at any depth of a set too), unless it is "keys".
        const bool jwk = fault == detail::json_fault::duplicate_name && doc.duplicate() != "keys";
        return detail::bad_jwk_json(fault, doc, jwk ? "JWK" : "JWK or JWK Set");
    }
    if (doc.find("keys") == nullptr) {
        const auto jwk = detail::parse_jwk_object(jwk_or_jwks_json);
        if (!jwk) return jwk.error();
        return detail::jwk_key_of(*jwk);
    }
    std::vector<std::string> kids;
    std::size_t keys = 0;
    std::optional<detail::jwk_members> chosen;  // its secret members are spans of the caller's text
    std::optional<detail::jwk_members> first;
    const status walked = detail::for_each_jwks_key_in(
        doc, [&](const detail::jwk_members& jwk, std::string_view) -> status {
            if (++keys == 1) first = jwk;
            auto k = detail::jwk_kid(jwk);
            if (!k) return std::move(k).error();
            if (k->empty()) return {};
            for (const auto& other : kids) {
                if (other == *k) return detail::bad_jwk("two keys in the set share the kid " + detail::quote(*k));
            }
            if (!kid.empty() && *k == kid) chosen = jwk;
            kids.push_back(std::move(*k));
            return {};
        });
    if (!walked) return walked.error();
    if (kid.empty() && keys == 1) chosen = std::move(first);
    if (chosen) return detail::jwk_key_of(*chosen);
    std::string listed;
    for (const auto& k : kids) listed += (listed.empty() ? "" : ", ") + detail::quote(k);
    if (listed.empty()) listed = "none";
    if (kid.empty()) {
        return detail::fail(errc::unknown_key_id, "the JWK Set holds " + std::to_string(keys) +
                                                      " keys and no kid was given to choose one (a token names its key "
                                                      "in its \"kid\" header); the set's kids: " +
                                                      listed);
    }
    return detail::fail(errc::unknown_key_id,
                        "no key in the JWK Set has kid " + detail::quote(kid) + "; the set's kids: " + listed);
}
/// As try_select_jwk, throwing jwt::error.
[[nodiscard]] inline jwk_key select_jwk(std::string_view jwk_or_jwks_json, std::string_view kid = {}) {
    return try_select_jwk(jwk_or_jwks_json, kid).value();
}
/// As try_select_jwk, reporting only the code.
[[nodiscard]] inline std::optional<jwk_key> select_jwk(std::string_view jwk_or_jwks_json, std::string_view kid,
                                                       std::error_code& ec) {
    return detail::to_optional(try_select_jwk(jwk_or_jwks_json, kid), ec);
}

/// The RFC 7638 thumbprint of a public key: base64url(SHA-256 of its required members, sorted,
/// without whitespace). RSA, EC P-256/384/521 and Ed25519 (RFC 8037 section 2).
/// Fails with key_algorithm_mismatch for other key types.
[[nodiscard]] inline result<std::string> try_jwk_thumbprint(const public_key& key) {
    const auto members = detail::required_public_members(key.native_handle());
    if (!members) return members.error();
    const std::string canonical = members->text();  // base64url and names only: ASCII
    std::array<unsigned char, 32> digest{};
    std::size_t len = 0;
    if (EVP_Q_digest(nullptr, "SHA256", nullptr, canonical.data(), canonical.size(), digest.data(), &len) != 1) {
        return detail::fail_openssl(errc::openssl_error, "SHA-256 failed");
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), len));
}
/// As try_jwk_thumbprint, throwing jwt::error.
[[nodiscard]] inline std::string jwk_thumbprint(const public_key& key) { return try_jwk_thumbprint(key).value(); }
/// As try_jwk_thumbprint, reporting only the code.
[[nodiscard]] inline std::optional<std::string> jwk_thumbprint(const public_key& key, std::error_code& ec) {
    return detail::to_optional(try_jwk_thumbprint(key), ec);
}

/// The RFC 7638 thumbprint of a signer's public key: the `kid` public_jwk(signer) gives it, to
/// pass to builder::key_id so a JWKS consumer finds the key.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] result<std::string> try_jwk_thumbprint(const Signer& signer) {
    const auto key = public_key::try_from_private(signer.key());
    if (!key) return key.error();
    return try_jwk_thumbprint(*key);
}
/// As try_jwk_thumbprint, throwing jwt::error.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] std::string jwk_thumbprint(const Signer& signer) {
    return try_jwk_thumbprint(signer).value();
}

/// The public JWK of key as compact JSON: its required members, "kid" set to its RFC 7638
/// thumbprint, "use": "sig", and "alg" when alg is given (pin it: a JWKS consumer then knows
/// which algorithm the key is for). Fails with key_algorithm_mismatch for other key types.
[[nodiscard]] inline result<std::string> try_public_jwk(const public_key& key, std::string_view alg = {}) {
    auto members = detail::required_public_members(key.native_handle());
    if (!members) return std::move(members).error();
    auto kid = try_jwk_thumbprint(key);
    if (!kid) return std::move(kid).error();
    detail::json_string_object& j = *members;
    if (!alg.empty()) {
        if (!detail::is_valid_utf8(alg)) {
            return detail::bad_jwk("the alg to pin the key to is not valid UTF-8 (a JOSE name such as \"ES256\")");
        }
        j("alg", std::string(alg));
    }
    j("kid", std::move(*kid))("use", "sig");
    return j.text();
}
/// As try_public_jwk, throwing jwt::error.
[[nodiscard]] inline std::string public_jwk(const public_key& key, std::string_view alg = {}) {
    return try_public_jwk(key, alg).value();
}
/// As try_public_jwk, reporting only the code.
[[nodiscard]] inline std::optional<std::string> public_jwk(const public_key& key, std::string_view alg,
                                                           std::error_code& ec) {
    return detail::to_optional(try_public_jwk(key, alg), ec);
}
/// The public JWK of a signer's key, with its algorithm.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] result<std::string> try_public_jwk(const Signer& signer) {
    const auto key = public_key::try_from_private(signer.key());
    if (!key) return key.error();
    return try_public_jwk(*key, Signer::alg);
}
/// As try_public_jwk, throwing jwt::error.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] std::string public_jwk(const Signer& signer) {
    return try_public_jwk(signer).value();
}

/// A JWK Set document ({"keys": [...]}, RFC 7517 section 5) of public JWKs, e.g. from
/// public_jwk(). Fails with invalid_jwk for a JWK that is not public or repeats a kid, or for
/// more than max_jwks_keys keys (a set no reader here would take).
[[nodiscard]] inline result<std::string> try_jwks_document(const std::vector<std::string>& public_jwks) {
    if (public_jwks.size() > max_jwks_keys) {
        return detail::bad_jwk("a JWK Set of " + std::to_string(public_jwks.size()) + " keys; at most " +
                               std::to_string(max_jwks_keys) + " are read (jwt::max_jwks_keys)");
    }
    std::string out = "{\"keys\":[";
    std::vector<std::string> kids;
    for (const auto& text : public_jwks) {
        // Well-formed and a public key that loads before any of its text is copied.
        const auto jwk = detail::parse_jwk_object(text);
        if (!jwk) return jwk.error();
        const auto pkey = detail::pkey_from_jwk(*jwk, false);
        if (!pkey) return pkey.error();
        if (auto key = public_key::try_from_evp_pkey(pkey->get()); !key) return std::move(key).error();
        auto kid = detail::jwk_kid(*jwk);
        if (!kid) return std::move(kid).error();
        if (!kid->empty()) {
            for (const auto& k : kids) {
                if (k == *kid) return detail::bad_jwk("two keys in the set share the kid " + detail::quote(*kid));
            }
            kids.push_back(std::move(*kid));
        }
        if (out.back() != '[') out += ',';
        // The JWK as written, members in its order, without the white space between tokens.
        out += '{';
        for (const detail::json_member& m : jwk->all) {
            if (out.back() != '{') out += ',';
            out += '"';
            out += m.name;  // as written: any escape stays one
            out += "\":";
            detail::append_json_minified(out, m.value);
        }
        out += '}';
    }
    out += "]}";
    return out;
}
/// As try_jwks_document, throwing jwt::error.
[[nodiscard]] inline std::string jwks_document(const std::vector<std::string>& public_jwks) {
    return try_jwks_document(public_jwks).value();
}
/// As try_jwks_document, reporting only the code.
[[nodiscard]] inline std::optional<std::string> jwks_document(const std::vector<std::string>& public_jwks,
                                                              std::error_code& ec) {
    return detail::to_optional(try_jwks_document(public_jwks), ec);
}

namespace detail {
/// std::variant of verifier<A, Clock> for each public-key algorithm A of List, in List's order.
template <class Clock, class List, class... Chosen>
struct public_key_verifiers;
template <class Clock, class... Chosen>
struct public_key_verifiers<Clock, algorithm_list<>, Chosen...> {
    using type = std::variant<verifier<Chosen, Clock>...>;
};
template <class Clock, class First, class... Rest, class... Chosen>
struct public_key_verifiers<Clock, algorithm_list<First, Rest...>, Chosen...>
    : std::conditional_t<is_pkey_algorithm_v<First>,
                         public_key_verifiers<Clock, algorithm_list<Rest...>, Chosen..., First>,
                         public_key_verifiers<Clock, algorithm_list<Rest...>, Chosen...>> {};

/// The JOSE names of List's public-key algorithms, for a message: "RS256, RS384, ..., EdDSA".
template <class... Algorithms>
std::string public_key_algorithm_names(algorithm_list<Algorithms...>) {
    std::string out;
    const auto add = [&](bool pkey, std::string_view alg) {
        if (!pkey) return;
        if (!out.empty()) out += ", ";
        out += alg;
    };
    (add(is_pkey_algorithm_v<Algorithms>, Algorithms::alg), ...);
    return out;
}
}  // namespace detail

/// Verifies tokens against a JWK Set: the token's "kid" picks the key, and the algorithm is the
/// one that key is pinned to (its JWK's "alg", or for EC and OKP keys, their curve's only
/// algorithm); a token whose alg differs is refused as by jwt::verifier. Keys of the set must
/// carry a kid; keys marked "use": "enc" (encryption keys) are passed over. Configure every key's verifier with
/// configure() (or policy() for the widget's login rules). A token is judged as jwt::verifier judges it, limits first:
/// its length before anything is decoded (the longest any key's verifier accepts), its shape, then its header
/// (duplicates and nesting refused), and only then the kid. Thread-safe for verify() once
/// configured.
template <class Clock = std::chrono::system_clock>
class jwks_verifier {
public:
    /// A verifier of any public-key algorithm of jwt::all_algorithms (RS256 ... EdDSA).
    using any_verifier = typename detail::public_key_verifiers<Clock, all_algorithms>::type;

    /// From a JWKS document ({"keys": [...]}) of public keys: at most max_jwks_size octets and
    /// max_jwks_keys keys, each checked before the work it bounds.
    /// Fails with invalid_jwk, key_algorithm_mismatch, weak_key, ...
    [[nodiscard]] static result<jwks_verifier> try_from_jwks(std::string_view jwks_json) {
        jwks_verifier out;
        std::size_t encryption_keys = 0;
        const status read = detail::for_each_jwks_key(
            jwks_json, [&](const detail::jwk_members& jwk, std::string_view text) -> status {
                // An identity provider's set often holds its encryption keys too (RFC 7517 section
                // 4.2): they are not for signatures, so they are passed over, not refused.
                if (const detail::json_member* use = jwk.find("use");
                    use != nullptr && detail::json_value_is(use->value, "enc")) {
                    ++encryption_keys;
                    return {};
                }
                if (!jwk.contains("kid")) {
                    return detail::bad_jwk(
                        "a key of the set has no \"kid\"; jwks_verifier picks the key by the token's "
                        "kid, so every key needs one");
                }
                auto kid = detail::jwk_string(jwk, "kid");
                if (!kid) return std::move(kid).error();
                // The verifier refuses a token whose kid holds a control character (U+0000 above all),
                // so a key under such a kid could never be chosen: say so at load instead.
                if (detail::has_control_char(*kid)) {
                    return detail::bad_jwk("the kid " + detail::quote(*kid) +
                                           " holds a control character; tokens with such a kid are refused, so this "
                                           "key could never be chosen: give it a printable kid");
                }
                if (out.keys_.count(*kid) != 0)
                    return detail::bad_jwk("two keys in the set share the kid " + detail::quote(*kid));
                auto v = make(jwk, *kid, text);
                if (!v) return std::move(v).error();
                out.keys_.emplace(std::move(*kid), std::move(*v));
                return {};
            });
        if (!read) return read.error();
        if (out.keys_.empty()) {
            return detail::bad_jwk("the JWK Set has no signature keys: its " + std::to_string(encryption_keys) +
                                   R"( key(s) are all marked "use": "enc")");
        }
        return out;
    }
    /// As try_from_jwks, throwing jwt::error.
    [[nodiscard]] static jwks_verifier from_jwks(std::string_view jwks_json) {
        return try_from_jwks(jwks_json).value();
    }
    /// As try_from_jwks, reporting only the code.
    [[nodiscard]] static std::optional<jwks_verifier> from_jwks(std::string_view jwks_json, std::error_code& ec) {
        return detail::to_optional(try_from_jwks(jwks_json), ec);
    }

    /// Applies f to every key's verifier (a generic lambda: `[](auto& v) { v.issuer("..."); }`).
    template <class F>
    jwks_verifier& configure(F&& f) {
        for (auto& [kid, v] : keys_) std::visit(f, v);
        max_size_ = 0;
        for (const auto& [kid, v] : keys_) {
            max_size_ = std::max(max_size_, std::visit([](const auto& one) { return one.max_token_size(); }, v));
        }
        return *this;
    }

    /// Gives every key's verifier the widget's login rules (verifier::policy): a key whose
    /// algorithm the policy does not accept then refuses every token (errc::algorithm_not_allowed).
    jwks_verifier& policy(const login_policy& rules) {
        return configure([&rules](auto& v) { v.policy(rules); });
    }

    /// Refuses tokens longer than max_octets before decoding anything, for every key (default 8 KiB).
    jwks_verifier& max_token_size(std::size_t max_octets) {
        return configure([max_octets](auto& v) { v.max_token_size(max_octets); });
    }

    /// The key ids in the set.
    [[nodiscard]] std::vector<std::string> key_ids() const {
        std::vector<std::string> out;
        out.reserve(keys_.size());
        for (const auto& entry : keys_) out.push_back(entry.first);
        return out;
    }

    /// Verifies with the key the token's kid names. Fails with unknown_key_id, or as
    /// verifier::try_verify.
    [[nodiscard]] result<verified_token> try_verify(std::string_view token) const {
        detail::rejection why;
        const any_verifier* v = select(token, why);
        if (v == nullptr) return error(why.code, why.message);
        return std::visit([&](const auto& one) { return one.try_verify(token); }, *v);
    }
    /// As try_verify, throwing jwt::error.
    [[nodiscard]] verified_token verify(std::string_view token) const { return try_verify(token).value(); }
    /// As try_verify, reporting only the code.
    [[nodiscard]] std::optional<verified_token> verify(std::string_view token, std::error_code& ec) const {
        ec.clear();
        detail::rejection why;
        const any_verifier* v = select(token, why);
        if (v == nullptr) {
            ec = why.code;
            return std::nullopt;
        }
        return std::visit([&](const auto& one) { return one.verify(token, ec); }, *v);
    }

private:
    jwks_verifier() = default;

    template <class Alg>
    static result<any_verifier> one(std::string_view jwk_text) {
        auto v = detail::jwk_loader::verifier_from<Alg, Clock>(jwk_text);
        if (!v) return std::move(v).error();
        return any_verifier(std::in_place_type<verifier<Alg, Clock>>, std::move(*v));
    }

    /// The verifier of one key of the set: jwk is parsed from jwk_text.
    static result<any_verifier> make(const detail::jwk_members& jwk, const std::string& kid,
                                     std::string_view jwk_text) {
        auto kty_text = detail::jwk_string(jwk, "kty");
        if (!kty_text) return std::move(kty_text).error();
        const std::string& kty = *kty_text;
        std::string alg;
        if (jwk.contains("alg")) {
            auto stated = detail::jwk_string(jwk, "alg");
            if (!stated) return std::move(stated).error();
            alg = std::move(*stated);
        }
        if (alg.empty()) {
            // The algorithm a key without "alg" is pinned to, where its kty and curve fix one.
            const std::string key = "the " + kty + " key " + detail::quote(kid);
            if (kty == "EC") {
                auto crv = detail::jwk_string(jwk, "crv");
                if (!crv) return std::move(crv).error();
                const detail::jose_curve* curve = detail::jwk_curve_named(*crv);
                if (curve == nullptr) {
                    return detail::fail(errc::key_algorithm_mismatch,
                                        "JWK: " + key + " is on the curve " + detail::quote(*crv) +
                                            ", which is not one a JOSE ES* algorithm uses here (" +
                                            detail::jose_curve_list + ")");
                }
                alg = std::string(curve->alg);
            } else if (kty == "OKP") {
                alg = "EdDSA";
            } else if (kty == "RSA") {
                return detail::bad_jwk(key +
                                       " has no \"alg\"; one RSA key serves RS256 to PS512 and a verifier pins "
                                       "one algorithm per key, so RSA keys in a set must name theirs");
            } else if (kty == "oct") {
                return detail::fail(errc::key_algorithm_mismatch, "JWK: " + key +
                                                                      " is an HMAC secret, which does not "
                                                                      "belong in a published JWK Set (only "
                                                                      "public keys verify here)");
            } else {
                return detail::bad_jwk(key + " has an unknown \"kty\" (a JWK Set here holds RSA, EC and OKP keys)");
            }
        }
        std::optional<result<any_verifier>> made;
        with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (is_pkey_algorithm_v<Alg>) made.emplace(one<Alg>(jwk_text));
        });
        if (!made) return fail_alg(alg);
        return std::move(*made);
    }

    [[nodiscard]] static error fail_alg(const std::string& alg) {
        bool hmac = false;
        with_algorithm(alg, [&](auto tag) { hmac = is_hmac_algorithm_v<typename decltype(tag)::type>; });
        if (hmac) {
            return detail::fail(errc::key_algorithm_mismatch,
                                "JWK: alg " + detail::quote(alg) +
                                    " is an HMAC algorithm, whose secret does not belong "
                                    "in a published JWK Set (only public keys verify here)");
        }
        return detail::fail(errc::key_algorithm_mismatch,
                            "JWK: alg " + detail::quote(alg) + " is not a JWS algorithm this verifier accepts (" +
                                detail::public_key_algorithm_names(all_algorithms{}) + ")");
    }

    /// The verifier the token's kid names, or null with why filled. The limits and header rules
    /// are jwt::verifier's own (detail::split_compact, scan_json_object), in its order, so that a
    /// token refused before any key is chosen gets the code and message a verifier gives it.
    const any_verifier* select(std::string_view token, detail::rejection& why) const {
        detail::compact_segments segments;
        if (!detail::split_compact(token, max_size_, segments, why)) return nullptr;
        std::string header_text(base64url_decoded_size(segments.header.size()), '\0');
        if (!detail::base64url_decode_to(segments.header, reinterpret_cast<unsigned char*>(header_text.data()))) {
            detail::bad_base64url_segment(why, "header");
            return nullptr;
        }
        detail::json_object_scan header;
        if (!detail::scan_json_object(header_text, "header", header, why)) return nullptr;
        const detail::json_member* kid = header.find("kid");
        if (kid == nullptr || kid->type != detail::json_type::string) {
            detail::reject(
                why, errc::unknown_key_id,
                "the token has no string \"kid\" header; this verifier picks the key by kid from its JWK Set");
            return nullptr;
        }
        std::string scratch;
        const std::string_view kid_text = detail::json_string_text(*kid, scratch);
        const auto found = keys_.find(kid_text);
        if (found == keys_.end()) {
            detail::reject(why, errc::unknown_key_id,
                           "no key in the JWK Set has kid " + detail::quote(kid_text) +
                               " (the key may have been rotated out; refresh the set)");
            return nullptr;
        }
        return &found->second;
    }

    std::map<std::string, any_verifier, std::less<>> keys_;
    std::size_t max_size_ = default_max_token_size;  // the largest of the keys' verifiers' limits
};

}  // namespace v1
}  // namespace jwt
