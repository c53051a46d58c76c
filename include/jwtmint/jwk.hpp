// SPDX-License-Identifier: MIT
// JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037): keys in and out, RFC 7638 thumbprints,
// JWKS documents, and a verifier set that picks the key by the token's kid.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

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

/// The longest JWK text read, in octets; longer text is refused before it is scanned. A 16384-bit
/// RSA private JWK with its CRT members takes about 13 KiB; a public JWK, well under 1 KiB.
inline constexpr std::size_t max_jwk_size = 64 * 1024;

/// The longest JWK Set document read, in octets; a longer one is refused before it is scanned. A
/// real set of a few keys takes a few KiB.
inline constexpr std::size_t max_jwks_size = 1024 * 1024;

/// The most keys a JWK Set may hold; counted before any key of the set is read.
inline constexpr std::size_t max_jwks_keys = 100;

// JWKs and JWK Sets nest no deeper than tokens do: jwt::max_json_depth (verifier.hpp).

namespace detail {

using bn_ptr = std::unique_ptr<BIGNUM, ossl_deleter<&BN_clear_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, ossl_deleter<&OSSL_PARAM_BLD_free>>;
// OpenSSL 3.0 has no OSSL_PARAM_clear_free: OSSL_PARAM_free wipes the block that holds the
// parameters of BN_FLG_SECURE numbers (BN_secure_new, as to_bignum makes them) before freeing it.
using params_ptr = std::unique_ptr<OSSL_PARAM, ossl_deleter<&OSSL_PARAM_free>>;

[[noreturn]] inline void bad_jwk(const std::string& message) { fail(errc::invalid_jwk, "JWK: " + message); }

/// Whether j is the JSON string text. (Not j == text: nlohmann's operator== instantiates its
/// comparison of every JSON type, which cost a translation unit about a tenth of a second.)
[[nodiscard]] inline bool json_is_string(const nlohmann::json& j, std::string_view text) {
    return j.is_string() && j.get_ref<const std::string&>() == text;
}

/// Members whose text is key material, whatever the kty ("oth", refused, holds RSA primes too).
/// They are never given to nlohmann::json, whose strings are released unwiped.
inline constexpr std::array<std::string_view, 8> jwk_secret_names = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"};

/// A JWK's members: the public ones parsed by nlohmann::json, the secret ones as spans of the
/// caller's text (which must outlive this), to be decoded straight into wiped memory.
struct jwk_members {
    nlohmann::json pub = nlohmann::json::object();
    std::array<std::optional<json_member>, jwk_secret_names.size()> secret{};

    [[nodiscard]] const json_member* find_secret(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < jwk_secret_names.size(); ++i) {
            if (jwk_secret_names[i] == name) return secret[i] ? &*secret[i] : nullptr;
        }
        return nullptr;
    }
    [[nodiscard]] bool contains(const char* name) const { return find_secret(name) != nullptr || pub.contains(name); }
};

/// Refuses text longer than limit (named by its constant) before anything reads it.
inline void check_jwk_size(std::string_view text, std::size_t limit, const char* what, const char* constant) {
    if (text.size() > limit) {
        bad_jwk("the " + std::string(what) + " has " + std::to_string(text.size()) + " octets; at most " +
                std::to_string(limit) + " are read (" + constant + ")");
    }
}

/// Refuses JSON text that a scan of a JWK or JWK Set (what) did not accept, naming the fault.
[[noreturn]] inline void bad_jwk_json(json_fault fault, const json_object_scan& scan, const char* what) {
    switch (fault) {
        case json_fault::duplicate_name:
            bad_jwk("the member " + quote(scan.duplicate()) + " appears more than once; a " + what +
                    " names each member once (RFC 7517 section 4)");
        case json_fault::too_deep:
            bad_jwk("the " + std::string(what) + " nests deeper than " + std::to_string(max_json_depth) +
                    " levels of arrays and objects (jwt::max_json_depth)");
        case json_fault::number_too_large:
            bad_jwk("the " + std::string(what) + " holds the number " + quote(scan.too_large()) +
                    ", whose magnitude no double holds; JSON parsers disagree on such numbers");
        case json_fault::not_object: bad_jwk("the text is JSON but not a JSON object, as a " + std::string(what) + " is");
        default: bad_jwk("the text is not valid JSON (or not valid UTF-8)");
    }
}

/// The JWK as a JSON object, with our own error codes for text that is not one: no longer than
/// max_jwk_size (checked first), validated by json_object_scan, which also refuses duplicate
/// member names at any depth (RFC 7517 section 4 allows a parser to refuse them; nlohmann::json
/// would keep the last) and nesting deeper than max_json_depth; a UTF-8 byte order mark is
/// skipped, as nlohmann::json skips it.
inline jwk_members parse_jwk_object(std::string_view text) {
    check_jwk_size(text, max_jwk_size, "JWK", "jwt::max_jwk_size");
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    json_object_scan scan;
    const json_fault fault = scan.scan(text, max_json_depth);
    if (fault != json_fault::none) bad_jwk_json(fault, scan, "JWK");
    jwk_members out;
    for (const json_member& m : scan) {
        std::string name = json_unescape(m.name, m.name_escaped);
        bool secret = false;
        for (std::size_t i = 0; i < jwk_secret_names.size(); ++i) {
            if (name == jwk_secret_names[i]) {
                out.secret[i] = m;
                secret = true;
            }
        }
        if (secret) continue;
        nlohmann::json value = nlohmann::json::parse(m.value.begin(), m.value.end(), nullptr, /*allow_exceptions=*/false);
        if (value.is_discarded()) bad_jwk("the text is not valid JSON");  // the scan accepted it: not expected
        out.pub[std::move(name)] = std::move(value);
    }
    return out;
}

inline const std::string& jwk_string(const jwk_members& jwk, const char* name) {
    const auto it = jwk.pub.find(name);
    if (it == jwk.pub.end()) bad_jwk(std::string("the key has no \"") + name + "\" member");
    if (!it->is_string()) bad_jwk(std::string("\"") + name + "\" must be a string");
    return it->get_ref<const std::string&>();
}

[[noreturn]] inline void bad_base64url_member(const char* name) {
    fail(errc::invalid_base64url,
         std::string("JWK: \"") + name + "\" is not strict unpadded base64url (RFC 7515 section 2)");
}

/// A secret member's octets, decoded from its span of the caller's text into wiped memory. A
/// JSON escape (which base64url never needs) is first undone in a wiped buffer.
inline secure_bytes jwk_secret_bytes(const json_member& m, const char* name) {
    if (m.type != json_type::string) bad_jwk(std::string("\"") + name + "\" must be a string");
    std::string_view body = m.value.substr(1, m.value.size() - 2);
    secure_bytes unescaped;
    if (m.value_escaped) {
        unescaped.reserve(body.size());  // escapes only shrink the text
        json_decode_string(body, [&](std::string_view part) { unescaped.insert(unescaped.end(), part.begin(), part.end()); });
        body = std::string_view(reinterpret_cast<const char*>(unescaped.data()), unescaped.size());
    }
    secure_bytes out(base64url_decoded_size(body.size()));
    std::error_code ec;
    out.resize(base64url_decode(body, out.data(), out.size(), ec));
    if (ec) bad_base64url_member(name);
    if (out.empty()) bad_jwk(std::string("\"") + name + "\" is empty");
    return out;
}

/// A required base64url member, decoded into memory that is wiped when freed. Non-canonical
/// base64url (padding, foreign characters, stray trailing bits) is errc::invalid_base64url.
inline secure_bytes jwk_bytes(const jwk_members& jwk, const char* name) {
    if (const json_member* m = jwk.find_secret(name)) return jwk_secret_bytes(*m, name);
    const std::string& text = jwk_string(jwk, name);
    std::error_code ec;
    std::string decoded = base64url_decode(text, ec);
    const wipe_on_exit wipe(decoded);
    if (ec) bad_base64url_member(name);
    if (decoded.empty()) bad_jwk(std::string("\"") + name + "\" is empty");
    return to_secure_bytes(decoded);
}

inline bn_ptr to_bignum(const secure_bytes& bytes) {
    bn_ptr bn{BN_secure_new()};
    if (!bn || BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), bn.get()) == nullptr) {
        fail_openssl(errc::openssl_error, "BN_bin2bn failed");
    }
    return bn;
}

/// An RSA integer member: no leading zero octet (RFC 7518 section 6.3.1.1 / 2.3.4 "minimum octets").
inline bn_ptr jwk_uint(const jwk_members& jwk, const char* name) {
    const secure_bytes bytes = jwk_bytes(jwk, name);
    if (bytes.size() > 1 && bytes[0] == 0) {
        bad_jwk(std::string("\"") + name + "\" has a leading zero octet; RFC 7518 section 2 requires the minimal encoding");
    }
    return to_bignum(bytes);
}

inline pkey_ptr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld, bool is_private) {
    params_ptr params{OSSL_PARAM_BLD_to_param(bld)};
    pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        fail_openssl(errc::openssl_error, std::string("cannot prepare an ") + type + " key");
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1 ||
        raw == nullptr) {
        EVP_PKEY_free(raw);
        fail_openssl(errc::invalid_jwk, std::string("JWK: OpenSSL refused the ") + type + " key parameters");
    }
    return pkey_ptr{raw};
}

inline void push_bn(OSSL_PARAM_BLD* bld, const char* key, const BIGNUM* bn) {
    if (OSSL_PARAM_BLD_push_BN(bld, key, bn) != 1) fail_openssl(errc::openssl_error, "OSSL_PARAM_BLD_push_BN failed");
}

inline constexpr std::array<const char*, 6> rsa_private_members = {"d", "p", "q", "dp", "dq", "qi"};

inline pkey_ptr rsa_from_jwk(const jwk_members& jwk, bool want_private) {
    if (jwk.contains("oth")) bad_jwk("multi-prime RSA keys (\"oth\") are not supported");
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld) fail_openssl(errc::openssl_error, "OSSL_PARAM_BLD_new failed");
    std::vector<bn_ptr> held;
    held.push_back(jwk_uint(jwk, "n"));
    push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, held.back().get());
    held.push_back(jwk_uint(jwk, "e"));
    push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, held.back().get());
    if (want_private) {
        held.push_back(jwk_uint(jwk, "d"));
        push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_D, held.back().get());
        // The CRT members come together or not at all (RFC 7518 section 6.3.2).
        std::size_t crt = 0;
        for (std::size_t i = 1; i < rsa_private_members.size(); ++i) {
            if (jwk.contains(rsa_private_members[i])) ++crt;
        }
        if (crt != 0 && crt != 5) bad_jwk("an RSA private key needs all of p, q, dp, dq, qi or none of them");
        if (crt == 5) {
            const std::array<const char*, 5> names = {OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                                                      OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                                      OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
            for (std::size_t i = 0; i < names.size(); ++i) {
                held.push_back(jwk_uint(jwk, rsa_private_members[i + 1]));
                push_bn(bld.get(), names[i], held.back().get());
            }
        }
    }
    return pkey_from_params("RSA", bld.get(), want_private);
}

struct jwk_curve {
    std::string_view crv;
    const char* group;
    std::size_t size;
};
inline constexpr std::array<jwk_curve, 3> jwk_ec_curves = {
    {{"P-256", "prime256v1", 32}, {"P-384", "secp384r1", 48}, {"P-521", "secp521r1", 66}}};

/// The curves the JOSE ES* algorithms use (RFC 7518 section 3.4), for a message about another one.
inline constexpr const char* jose_ec_curves = "P-256 for ES256, P-384 for ES384, P-521 for ES512";

inline const jwk_curve& ec_curve_of(const jwk_members& jwk) {
    const std::string& crv = jwk_string(jwk, "crv");
    for (const auto& c : jwk_ec_curves) {
        if (c.crv == crv) return c;
    }
    fail(errc::key_algorithm_mismatch, "JWK: EC curve " + quote(crv) +
                                           " is not one a JOSE ES* algorithm uses here (" + jose_ec_curves + ")");
}

inline secure_bytes jwk_fixed(const jwk_members& jwk, const char* name, std::size_t size, std::string_view crv) {
    secure_bytes b = jwk_bytes(jwk, name);
    if (b.size() != size) {
        bad_jwk(std::string("\"") + name + "\" has " + std::to_string(b.size()) + " octets; " + std::string(crv) +
                " needs exactly " + std::to_string(size) + " (RFC 7518 section 6.2.1.2, RFC 8037 section 2)");
    }
    return b;
}

inline pkey_ptr ec_from_jwk(const jwk_members& jwk, bool want_private) {
    const jwk_curve& c = ec_curve_of(jwk);
    const secure_bytes x = jwk_fixed(jwk, "x", c.size, c.crv);
    const secure_bytes y = jwk_fixed(jwk, "y", c.size, c.crv);
    secure_bytes point;
    point.reserve(1 + 2 * c.size);
    point.push_back(0x04);
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        fail_openssl(errc::openssl_error, "cannot collect the EC key parameters");
    }
    bn_ptr d;
    if (want_private) {
        d = to_bignum(jwk_fixed(jwk, "d", c.size, c.crv));
        push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    }
    pkey_ptr key = pkey_from_params("EC", bld.get(), want_private);
    if (want_private) {
        // "d" must belong to (x, y): EVP_PKEY_fromdata takes both as given.
        pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
        if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
            fail_openssl(errc::key_mismatch, "JWK: \"d\" is not the private key of the point (x, y)");
        }
    }
    return key;
}

inline pkey_ptr okp_from_jwk(const jwk_members& jwk, bool want_private) {
    const std::string& crv = jwk_string(jwk, "crv");
    if (crv != "Ed25519") {
        fail(errc::key_algorithm_mismatch, "JWK: OKP curve \"" + crv + "\" is not supported (Ed25519 only)");
    }
    const secure_bytes x = jwk_fixed(jwk, "x", 32, crv);
    if (want_private) {
        // From "d" alone, so that OpenSSL derives the public key; a stated "x" that differs is a
        // damaged JWK (given both, OpenSSL would take both as they are).
        const secure_bytes d = jwk_fixed(jwk, "d", 32, crv);
        pkey_ptr key{EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, d.data(), d.size())};
        if (!key) fail_openssl(errc::invalid_jwk, "JWK: OpenSSL refused the Ed25519 private key");
        std::array<unsigned char, 32> derived{};
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, derived.data(), derived.size(), &len) !=
                1 ||
            len != 32 || CRYPTO_memcmp(derived.data(), x.data(), 32) != 0) {
            ERR_clear_error();
            fail(errc::key_mismatch, "JWK: \"x\" is not the public key of \"d\"");
        }
        return key;
    }
    param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x.data(), x.size()) != 1) {
        fail_openssl(errc::openssl_error, "cannot collect the Ed25519 key parameters");
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
inline void check_use(const jwk_members& jwk, const char* op) {
    if (const auto it = jwk.pub.find("use"); it != jwk.pub.end() && !json_is_string(*it, "sig")) {
        fail(errc::key_algorithm_mismatch, "JWK: \"use\" is " + it->dump() + "; a signing key has \"use\": \"sig\"");
    }
    if (const auto it = jwk.pub.find("key_ops"); it != jwk.pub.end()) {
        if (!it->is_array()) bad_jwk("\"key_ops\" must be an array");
        bool found = false;
        for (const auto& o : *it) {
            found = found || (op != nullptr ? json_is_string(o, op) : json_is_string(o, "sign") || json_is_string(o, "verify"));
        }
        if (!found) {
            fail(errc::key_algorithm_mismatch, std::string("JWK: \"key_ops\" does not include \"") +
                                                   (op != nullptr ? op : "sign\" or \"verify") + "\"");
        }
    }
}

inline pkey_ptr pkey_from_jwk(const jwk_members& jwk, bool want_private) {
    const std::string& kty = jwk_string(jwk, "kty");
    const bool has_private = has_private_members(jwk, kty);
    if (!want_private && has_private) {
        bad_jwk("a public JWK carries private members (" + std::string(kty == "RSA" ? "d, p, q..." : "d") +
                "); publish only the public half (jwt::public_jwk)");
    }
    if (want_private && !has_private) {
        fail(errc::private_key_required, "JWK: this " + kty + " JWK is a public key; signing needs the private key (\"d\")");
    }
    check_use(jwk, want_private ? "sign" : "verify");
    if (kty == "RSA") return rsa_from_jwk(jwk, want_private);
    if (kty == "EC") return ec_from_jwk(jwk, want_private);
    if (kty == "OKP") return okp_from_jwk(jwk, want_private);
    if (kty == "oct") {
        fail(errc::key_algorithm_mismatch, "JWK: an \"oct\" key is an HMAC secret, not a key pair; load it with "
                                           "jwt::signer_from_jwk<jwt::hs256>() or jwt::verifier_from_jwk<jwt::hs256>()");
    }
    bad_jwk("unknown \"kty\" \"" + kty + "\" (RSA, EC, OKP, oct)");
}

/// The base64url of a BIGNUM parameter, minimal octets.
inline std::string bn_param_b64(const EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) fail_openssl(errc::openssl_error, "cannot read the RSA key");
    const bn_ptr bn{raw};
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
    return base64url_encode(bytes);
}

/// The required members of a public JWK in lexicographic order (RFC 7638 section 3.2).
inline nlohmann::json required_public_members(const EVP_PKEY* key) {
    nlohmann::json j = nlohmann::json::object();
    const key_info info = describe(key);
    if (info.type == "RSA") {
        j["e"] = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E);
        j["kty"] = "RSA";
        j["n"] = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N);
    } else if (info.type == "EC") {
        const jwk_curve* c = nullptr;
        for (const auto& k : jwk_ec_curves) c = k.crv == info.curve ? &k : c;
        if (c == nullptr) fail(errc::key_algorithm_mismatch, "JWK export supports EC P-256, P-384 and P-521 only");
        BIGNUM* x = nullptr;
        BIGNUM* y = nullptr;
        const bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
        const bn_ptr bx{x}, by{y};
        if (!ok) fail_openssl(errc::openssl_error, "cannot read the EC point");
        std::string xs(c->size, '\0'), ys(c->size, '\0');
        BN_bn2binpad(bx.get(), reinterpret_cast<unsigned char*>(xs.data()), static_cast<int>(c->size));
        BN_bn2binpad(by.get(), reinterpret_cast<unsigned char*>(ys.data()), static_cast<int>(c->size));
        j["crv"] = std::string(c->crv);
        j["kty"] = "EC";
        j["x"] = base64url_encode(xs);
        j["y"] = base64url_encode(ys);
    } else if (info.type == "ED25519") {
        std::string x(32, '\0');
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(x.data()),
                                            x.size(), &len) != 1 ||
            len != 32) {
            fail_openssl(errc::openssl_error, "cannot read the Ed25519 public key");
        }
        j["crv"] = "Ed25519";
        j["kty"] = "OKP";
        j["x"] = base64url_encode(x);
    } else {
        fail(errc::key_algorithm_mismatch, "JWK export supports RSA, EC and Ed25519 keys, not " + info.type);
    }
    return j;
}

/// The JOSE algorithm a JWK's "alg" must name for Alg, and whether its kty fits.
template <class Alg>
void check_jwk_alg(const jwk_members& jwk) {
    const std::string& kty = jwk_string(jwk, "kty");
    bool kty_fits = false;
    if constexpr (is_hmac_algorithm_v<Alg>) {
        kty_fits = kty == "oct";
    } else {
        switch (Alg::spec.scheme) {
            case pkey_scheme::ecdsa: kty_fits = kty == "EC"; break;
            case pkey_scheme::eddsa: kty_fits = kty == "OKP"; break;
            case pkey_scheme::rsa_pkcs1:
            case pkey_scheme::rsa_pss: kty_fits = kty == "RSA"; break;
        }
    }
    if (!kty_fits) {
        fail(errc::key_algorithm_mismatch, "JWK: a \"" + kty + "\" key cannot be used for " + std::string(Alg::alg));
    }
    if (const auto it = jwk.pub.find("alg"); it != jwk.pub.end() && !json_is_string(*it, Alg::alg)) {
        fail(errc::key_algorithm_mismatch,
             "JWK: the key is for alg " + it->dump() + ", not " + std::string(Alg::alg) + " (RFC 7517 section 4.4)");
    }
}

/// As for_each_jwks_key, from the scan of a document already checked for size and JSON.
template <class F>
void for_each_jwks_key_in(const json_object_scan& doc, F&& f) {
    const json_member* keys = doc.find("keys");
    if (keys == nullptr || keys->type != json_type::array) bad_jwk("a JWK Set needs a \"keys\" array (RFC 7517 section 5)");
    std::size_t count = 0;
    json_for_each_element(keys->value, [&](std::string_view) { ++count; });
    if (count == 0) bad_jwk("the JWK Set has no keys");
    if (count > max_jwks_keys) {
        bad_jwk("the JWK Set has " + std::to_string(count) + " keys; at most " + std::to_string(max_jwks_keys) +
                " are read (jwt::max_jwks_keys)");
    }
    json_for_each_element(keys->value, [&](std::string_view text) {
        if (json_type_of(text[0]) != json_type::object) bad_jwk("every member of \"keys\" must be a JSON object");
        f(parse_jwk_object(text), text);
    });
}

/// Reads a JWK Set document (RFC 7517 section 5) as every reader of sets here does, each limit
/// before the work it bounds: its length (max_jwks_size), then the JSON (duplicates refused at any
/// depth, max_json_depth), the "keys" array, the number of keys (max_jwks_keys), and only then
/// each key, parsed by parse_jwk_object and handed to f(const jwk_members&, std::string_view text)
/// in document order. Each key's text goes to parse_jwk_object on its own, so that no key's secret
/// members reach nlohmann::json.
template <class F>
void for_each_jwks_key(std::string_view jwks_json, F&& f) {
    check_jwk_size(jwks_json, max_jwks_size, "JWK Set", "jwt::max_jwks_size");
    if (jwks_json.substr(0, 3) == "\xEF\xBB\xBF") jwks_json.remove_prefix(3);
    json_object_scan doc;
    const json_fault fault = doc.scan(jwks_json, max_json_depth);
    if (fault != json_fault::none) bad_jwk_json(fault, doc, "JWK Set");
    for_each_jwks_key_in(doc, f);
}

/// A JWK's "kid", or "" when it has none. @throws jwt::error invalid_jwk for a kid that is not a string
inline std::string jwk_kid(const jwk_members& jwk) {
    return jwk.pub.contains("kid") ? jwk_string(jwk, "kid") : std::string();
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

inline jwk_key jwk_key_of(const jwk_members& jwk) {
    jwk_key out;
    out.kty = jwk_string(jwk, "kty");
    out.kid = jwk_kid(jwk);
    if (jwk.pub.contains("alg")) out.alg = jwk_string(jwk, "alg");
    if (out.kty == "oct") {
        check_use(jwk, nullptr);
        out.secret = jwk_bytes(jwk, "k");
    } else if (has_private_members(jwk, out.kty)) {
        out.private_key = private_key::from_evp_pkey(pkey_from_jwk(jwk, true).get());
    } else {
        out.public_key = public_key::from_evp_pkey(pkey_from_jwk(jwk, false).get());
    }
    return out;
}

}  // namespace detail

/// A private key from a private JWK (RSA, EC P-256/384/521, OKP Ed25519).
/// @throws jwt::error invalid_jwk, invalid_base64url, private_key_required, key_algorithm_mismatch,
///         key_mismatch (a "d" that does not belong to the public members)
[[nodiscard]] inline private_key private_key_from_jwk(std::string_view jwk_json) {
    const detail::pkey_ptr key = detail::pkey_from_jwk(detail::parse_jwk_object(jwk_json), true);
    return private_key::from_evp_pkey(key.get());
}
[[nodiscard]] inline std::optional<private_key> private_key_from_jwk(std::string_view jwk_json, std::error_code& ec) {
    return detail::capture(ec, [&] { return std::optional<private_key>(private_key_from_jwk(jwk_json)); });
}

/// A public key from a public JWK; private members are refused (a JWK meant to be published
/// must not carry them). @throws jwt::error invalid_jwk, invalid_base64url, key_algorithm_mismatch
[[nodiscard]] inline public_key public_key_from_jwk(std::string_view jwk_json) {
    const detail::pkey_ptr key = detail::pkey_from_jwk(detail::parse_jwk_object(jwk_json), false);
    return public_key::from_evp_pkey(key.get());
}
[[nodiscard]] inline std::optional<public_key> public_key_from_jwk(std::string_view jwk_json, std::error_code& ec) {
    return detail::capture(ec, [&] { return std::optional<public_key>(public_key_from_jwk(jwk_json)); });
}

/// The key a key file holds, parsed once: from a JWK, the JWK itself (kid is not consulted); from a
/// JWK Set ({"keys": [...]}), the key whose "kid" is kid, or with kid empty the set's only key.
/// Private, public and "oct" JWKs alike; "use" and "key_ops", when present, must allow signatures.
/// The set is read as jwks_verifier::from_jwks reads it (limits, duplicate members refused), and
/// two of its keys may not share a kid. The text is refused over max_jwks_size before it is
/// scanned; a JWK (no "keys") over max_jwk_size once it is seen to be one.
/// @throws jwt::error unknown_key_id (no key of the set has kid, or kid is empty and the set has
///         several keys; the message lists the set's kids), invalid_jwk, invalid_base64url,
///         key_algorithm_mismatch, key_mismatch
[[nodiscard]] inline jwk_key select_jwk(std::string_view jwk_or_jwks_json, std::string_view kid = {}) {
    std::string_view text = jwk_or_jwks_json;
    detail::check_jwk_size(text, max_jwks_size, "JWK Set", "jwt::max_jwks_size");
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    detail::json_object_scan doc;
    const detail::json_fault fault = doc.scan(text, max_json_depth);
    if (fault != detail::json_fault::none) {
        // A member named twice is a JWK's (at any depth of a set too), unless it is "keys".
        const bool jwk = fault == detail::json_fault::duplicate_name && doc.duplicate() != "keys";
        detail::bad_jwk_json(fault, doc, jwk ? "JWK" : "JWK or JWK Set");
    }
    if (doc.find("keys") == nullptr) return detail::jwk_key_of(detail::parse_jwk_object(jwk_or_jwks_json));
    std::vector<std::string> kids;
    std::size_t keys = 0;
    std::optional<detail::jwk_members> chosen;  // its secret members are spans of the caller's text
    std::optional<detail::jwk_members> first;
    detail::for_each_jwks_key_in(doc, [&](const detail::jwk_members& jwk, std::string_view) {
        if (++keys == 1) first = jwk;
        std::string k = detail::jwk_kid(jwk);
        if (k.empty()) return;
        for (const auto& other : kids) {
            if (other == k) detail::bad_jwk("two keys in the set share the kid " + detail::quote(k));
        }
        if (!kid.empty() && k == kid) chosen = jwk;
        kids.push_back(std::move(k));
    });
    if (kid.empty() && keys == 1) chosen = std::move(first);
    if (chosen) return detail::jwk_key_of(*chosen);
    std::string listed;
    for (const auto& k : kids) listed += (listed.empty() ? "" : ", ") + detail::quote(k);
    if (listed.empty()) listed = "none";
    if (kid.empty()) {
        detail::fail(errc::unknown_key_id, "the JWK Set holds " + std::to_string(keys) +
                                               " keys and no kid was given to choose one (a token names its key "
                                               "in its \"kid\" header); the set's kids: " + listed);
    }
    detail::fail(errc::unknown_key_id, "no key in the JWK Set has kid " + detail::quote(kid) + "; the set's kids: " + listed);
}
[[nodiscard]] inline std::optional<jwk_key> select_jwk(std::string_view jwk_or_jwks_json, std::string_view kid,
                                                       std::error_code& ec) {
    return detail::capture(ec, [&] { return std::optional<jwk_key>(select_jwk(jwk_or_jwks_json, kid)); });
}

/// A signer from a private JWK ("oct" for HS*, RSA for RS*/PS*, EC for ES*, OKP for EdDSA);
/// the JWK's "alg", when present, must be Signer's. @throws jwt::error as private_key_from_jwk,
/// and any key check of Signer
template <class Signer>
[[nodiscard]] Signer signer_from_jwk(std::string_view jwk_json) {
    const detail::jwk_members jwk = detail::parse_jwk_object(jwk_json);
    detail::check_jwk_alg<Signer>(jwk);
    if constexpr (is_hmac_algorithm_v<Signer>) {
        detail::check_use(jwk, "sign");
        const detail::secure_bytes k = detail::jwk_bytes(jwk, "k");
        return Signer::from_secret(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    } else {
        const detail::pkey_ptr key = detail::pkey_from_jwk(jwk, true);
        return Signer::from_evp_pkey(key.get());
    }
}

/// A verifier from a public JWK (or, for HS*, the "oct" JWK of the shared secret), pinned to
/// Algorithm. @throws jwt::error as public_key_from_jwk, and any key check of the verifier
template <class Algorithm, class Clock = std::chrono::system_clock>
[[nodiscard]] verifier<Algorithm, Clock> verifier_from_jwk(std::string_view jwk_json) {
    const detail::jwk_members jwk = detail::parse_jwk_object(jwk_json);
    detail::check_jwk_alg<Algorithm>(jwk);
    if constexpr (is_hmac_algorithm_v<Algorithm>) {
        detail::check_use(jwk, "verify");
        const detail::secure_bytes k = detail::jwk_bytes(jwk, "k");
        return verifier<Algorithm, Clock>::from_secret(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    } else {
        const detail::pkey_ptr key = detail::pkey_from_jwk(jwk, false);
        return verifier<Algorithm, Clock>::from_evp_pkey(key.get());
    }
}

/// The RFC 7638 thumbprint of a public key: base64url(SHA-256 of its required members, sorted,
/// without whitespace). RSA, EC P-256/384/521 and Ed25519 (RFC 8037 section 2).
[[nodiscard]] inline std::string jwk_thumbprint(const public_key& key) {
    const std::string canonical = detail::required_public_members(key.native_handle()).dump();
    std::array<unsigned char, 32> digest{};
    std::size_t len = 0;
    if (EVP_Q_digest(nullptr, "SHA256", nullptr, canonical.data(), canonical.size(), digest.data(), &len) != 1) {
        detail::fail_openssl(errc::openssl_error, "SHA-256 failed");
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), len));
}

/// The RFC 7638 thumbprint of a signer's public key: the `kid` public_jwk(signer) gives it, to
/// pass to builder::key_id so a JWKS consumer finds the key.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] std::string jwk_thumbprint(const Signer& signer) {
    return jwk_thumbprint(public_key::from_private(signer.key()));
}

/// The public JWK of key as compact JSON: its required members, "kid" set to its RFC 7638
/// thumbprint, "use": "sig", and "alg" when alg is given (pin it: a JWKS consumer then knows
/// which algorithm the key is for). @throws jwt::error key_algorithm_mismatch for other key types
[[nodiscard]] inline std::string public_jwk(const public_key& key, std::string_view alg = {}) {
    nlohmann::json j = detail::required_public_members(key.native_handle());
    if (!alg.empty()) j["alg"] = std::string(alg);
    j["kid"] = jwk_thumbprint(key);
    j["use"] = "sig";
    return j.dump();
}
/// The public JWK of a signer's key, with its algorithm.
template <class Signer, class = std::enable_if_t<is_pkey_algorithm_v<Signer>>>
[[nodiscard]] std::string public_jwk(const Signer& signer) {
    return public_jwk(public_key::from_private(signer.key()), Signer::alg);
}

/// A JWK Set document ({"keys": [...]}, RFC 7517 section 5) of public JWKs, e.g. from
/// public_jwk(). @throws jwt::error invalid_jwk for a JWK that is not public or repeats a kid, or
/// for more than max_jwks_keys keys (a set no reader here would take)
[[nodiscard]] inline std::string jwks_document(const std::vector<std::string>& public_jwks) {
    if (public_jwks.size() > max_jwks_keys) {
        detail::bad_jwk("a JWK Set of " + std::to_string(public_jwks.size()) + " keys; at most " +
                        std::to_string(max_jwks_keys) + " are read (jwt::max_jwks_keys)");
    }
    nlohmann::json keys = nlohmann::json::array();
    std::vector<std::string> kids;
    for (const auto& text : public_jwks) {
        (void)public_key_from_jwk(text);  // well-formed and public, before nlohmann::json sees the text
        nlohmann::json jwk = nlohmann::json::parse(text.data(), text.data() + text.size());
        if (const auto it = jwk.find("kid"); it != jwk.end()) {
            if (!it->is_string()) detail::bad_jwk("\"kid\" must be a string");
            for (const auto& k : kids) {
                if (k == it->get_ref<const std::string&>()) detail::bad_jwk("two keys in the set share the kid " + it->dump());
            }
            kids.push_back(it->get_ref<const std::string&>());
        }
        keys.push_back(std::move(jwk));
    }
    return nlohmann::json{{"keys", std::move(keys)}}.dump();
}

/// Verifies tokens against a JWK Set: the token's "kid" picks the key, and the algorithm is the
/// one that key is pinned to (its JWK's "alg", or for EC and OKP keys, their curve's only
/// algorithm); a token whose alg differs is refused as by jwt::verifier. Keys of the set must
/// carry a kid. Configure the claim policy of every key's verifier with configure(). A token is
/// judged as jwt::verifier judges it, limits first: its length before anything is decoded (the
/// longest any key's verifier accepts), its shape, then its header (duplicates and nesting
/// refused), and only then the kid. Thread-safe for verify() once configured.
template <class Clock = std::chrono::system_clock>
class jwks_verifier {
public:
    using any_verifier =
        std::variant<verifier<rs256, Clock>, verifier<rs384, Clock>, verifier<rs512, Clock>, verifier<ps256, Clock>,
                     verifier<ps384, Clock>, verifier<ps512, Clock>, verifier<es256, Clock>, verifier<es384, Clock>,
                     verifier<es512, Clock>, verifier<eddsa, Clock>>;

    /// From a JWKS document ({"keys": [...]}) of public keys: at most max_jwks_size octets and
    /// max_jwks_keys keys, each checked before the work it bounds.
    /// @throws jwt::error invalid_jwk, key_algorithm_mismatch, weak_key, ...
    [[nodiscard]] static jwks_verifier from_jwks(std::string_view jwks_json) {
        jwks_verifier out;
        detail::for_each_jwks_key(jwks_json, [&](const detail::jwk_members& jwk, std::string_view text) {
            if (!jwk.pub.contains("kid")) {
                detail::bad_jwk("a key of the set has no \"kid\"; jwks_verifier picks the key by the token's kid, so "
                                "every key needs one");
            }
            const std::string kid = detail::jwk_string(jwk, "kid");
            // The verifier refuses a token whose kid holds a control character (U+0000 above all),
            // so a key under such a kid could never be chosen: say so at load instead.
            for (const char c : kid) {
                if (static_cast<unsigned char>(c) < 0x20 || c == '\x7F') {
                    detail::bad_jwk("the kid " + detail::quote(kid) +
                                    " holds a control character; tokens with such a kid are refused, so this key "
                                    "could never be chosen: give it a printable kid");
                }
            }
            if (out.keys_.count(kid) != 0) detail::bad_jwk("two keys in the set share the kid " + detail::quote(kid));
            out.keys_.emplace(kid, make(jwk, kid, text));
        });
        return out;
    }
    [[nodiscard]] static std::optional<jwks_verifier> from_jwks(std::string_view jwks_json, std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<jwks_verifier>(from_jwks(jwks_json)); });
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

    /// Refuses tokens longer than max_octets before decoding anything, for every key (default 8 KiB).
    jwks_verifier& max_token_size(std::size_t max_octets) {
        return configure([max_octets](auto& v) { v.max_token_size(max_octets); });
    }

    /// The key ids in the set.
    [[nodiscard]] std::vector<std::string> key_ids() const {
        std::vector<std::string> out;
        for (const auto& entry : keys_) out.push_back(entry.first);
        return out;
    }

    /// Verifies with the key the token's kid names. @throws jwt::error unknown_key_id, or as verifier::verify
    [[nodiscard]] verified_token verify(std::string_view token) const {
        detail::rejection why;
        const any_verifier* v = select(token, why);
        if (v == nullptr) throw error(why.code, why.message);
        return std::visit([&](const auto& one) { return one.verify(token); }, *v);
    }
    /// As verify(), reporting failure through ec; never throws jwt::error.
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
    static any_verifier one(std::string_view jwk_text) {
        return verifier_from_jwk<Alg, Clock>(jwk_text);
    }

    /// The verifier of one key of the set: jwk is parsed from jwk_text.
    static any_verifier make(const detail::jwk_members& jwk, const std::string& kid, std::string_view jwk_text) {
        const std::string& kty = detail::jwk_string(jwk, "kty");
        std::string alg = jwk.pub.contains("alg") ? detail::jwk_string(jwk, "alg") : std::string();
        if (alg.empty()) {
            // The algorithm a key without "alg" is pinned to, where its kty and curve fix one.
            const std::string key = "the " + kty + " key " + detail::quote(kid);
            if (kty == "EC") {
                const std::string& crv = detail::jwk_string(jwk, "crv");
                alg = crv == "P-256" ? "ES256" : crv == "P-384" ? "ES384" : crv == "P-521" ? "ES512" : "";
                if (alg.empty()) {
                    detail::fail(errc::key_algorithm_mismatch,
                                 "JWK: " + key + " is on the curve " + detail::quote(crv) +
                                     ", which is not one a JOSE ES* algorithm uses here (" + detail::jose_ec_curves +
                                     ")");
                }
            } else if (kty == "OKP") {
                alg = "EdDSA";
            } else if (kty == "RSA") {
                detail::bad_jwk(key + " has no \"alg\"; one RSA key serves RS256 to PS512 and a verifier pins one "
                                      "algorithm per key, so RSA keys in a set must name theirs");
            } else if (kty == "oct") {
                detail::fail(errc::key_algorithm_mismatch, "JWK: " + key + " is an HMAC secret, which does not belong "
                                                                          "in a published JWK Set (only public keys "
                                                                          "verify here)");
            } else {
                detail::bad_jwk(key + " has an unknown \"kty\" (a JWK Set here holds RSA, EC and OKP keys)");
            }
        }
        std::optional<any_verifier> made;
        with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (is_pkey_algorithm_v<Alg>) made.emplace(one<Alg>(jwk_text));
        });
        if (!made) fail_alg(alg);
        return std::move(*made);
    }

    [[noreturn]] static void fail_alg(const std::string& alg) {
        bool hmac = false;
        with_algorithm(alg, [&](auto tag) { hmac = is_hmac_algorithm_v<typename decltype(tag)::type>; });
        if (hmac) {
            detail::fail(errc::key_algorithm_mismatch, "JWK: alg " + detail::quote(alg) +
                                                           " is an HMAC algorithm, whose secret does not belong in a "
                                                           "published JWK Set (only public keys verify here)");
        }
        detail::fail(errc::key_algorithm_mismatch,
                     "JWK: alg " + detail::quote(alg) + " is not a JWS algorithm this verifier accepts (RS256, RS384, "
                                                        "RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)");
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
            detail::reject(why, errc::unknown_key_id,
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

}  // namespace jwt
