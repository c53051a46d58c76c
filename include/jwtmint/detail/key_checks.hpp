// SPDX-License-Identifier: MIT
// Internal: the checks every key gets when it is loaded, whatever its source (PEM, file, JWK, key
// set, EVP_PKEY*), and the recognition of key material offered as an HMAC secret.
#pragma once

#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/pem.hpp>
#include <jwtmint/error.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/provider.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace jwt {
inline namespace v1 {
namespace detail {

/// Whether OpenSSL's own providers hold the key (so its parameters can be read). Keys that live in
/// another provider (an HSM, a TPM) may keep them to themselves; their provider answers for them.
inline bool held_by_builtin_provider(const EVP_PKEY* key) {
    const OSSL_PROVIDER* prov = EVP_PKEY_get0_provider(key);
    if (prov == nullptr) return true;  // a legacy key: its parameters are in memory
    const std::string_view name = OSSL_PROVIDER_get0_name(prov);
    return name == "default" || name == "fips" || name == "base";
}

inline constexpr unsigned int rsa_max_modulus_bits = 16384;  // OpenSSL refuses to verify above this

/// RSA: the public exponent must be odd and lie in [65537, 2^256 - 1] (NIST SP 800-56B rev. 2
/// section 6.2, FIPS 186-5 section A.1.1). e = 1 makes every signature equal to its padded
/// message, so anyone can forge; small exponents invite the e-th-root forgeries of lax PKCS#1
/// v1.5 verifiers (Bleichenbacher 2006); an even e is no RSA key at all. The modulus must be odd
/// (an even one is factored by dividing by 2) and at most 16384 bits (OpenSSL's own ceiling, which
/// also bounds the work a huge published key could cause). Whether n is a product of two large
/// primes is not tested: OpenSSL's test (EVP_PKEY_public_check) costs 5.6 ms per 2048-bit and
/// 33 ms per 4096-bit key, and no key generator makes a prime modulus by accident.
inline status check_rsa_key(const EVP_PKEY* key) {
    BIGNUM* raw_n = nullptr;
    BIGNUM* raw_e = nullptr;
    const bool have_n = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &raw_n) == 1;
    const bool have_e = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw_e) == 1;
    const bn_ptr n{raw_n};
    const bn_ptr e{raw_e};
    if (!have_n || !have_e) {
        if (!held_by_builtin_provider(key)) {
            ERR_clear_error();
            return {};
        }
        return fail_openssl(errc::invalid_key, "cannot read the RSA key's modulus and public exponent");
    }
    ERR_clear_error();
    const std::string fix = "; generate a new key with: jwtmint keygen rs256 (which, like OpenSSL, uses e = 65537)";
    const int e_bits = BN_num_bits(e.get());
    std::string e_text;
    if (e_bits <= 64) {
        char* dec = BN_bn2dec(e.get());
        e_text = dec != nullptr ? dec : "?";
        OPENSSL_free(dec);
    } else {
        e_text = "a " + std::to_string(e_bits) + "-bit number";
    }
    const std::string range =
        "jwtmint accepts only odd exponents from 65537 to 2^256 - 1 (NIST SP 800-56B, FIPS 186-5)";
    if (BN_is_one(e.get()) || BN_is_zero(e.get())) {
        return fail(errc::invalid_key, "the RSA public exponent is " + e_text +
                                           ": every signature would equal its padded message, so anyone could forge "
                                           "tokens; " +
                                           range + fix);
    }
    if (!BN_is_odd(e.get())) {
        return fail(errc::invalid_key, "the RSA public exponent is " + e_text +
                                           ", an even number, which no valid RSA key has; " + range + fix);
    }
    if (e_bits < 17) {  // below 65537 = 2^16 + 1
        return fail(errc::invalid_key, "the RSA public exponent is " + e_text +
                                           ", too small: small exponents let lax verifiers accept forged signatures; " +
                                           range + fix);
    }
    if (e_bits > 256) {
        return fail(errc::invalid_key, "the RSA public exponent is " + e_text + ", above 2^256 - 1; " + range + fix);
    }
    if (!BN_is_odd(n.get())) {
        return fail(errc::invalid_key,
                    "the RSA modulus is even, so anyone can factor it and forge tokens; the key is "
                    "damaged or forged" +
                        fix);
    }
    if (BN_num_bits(n.get()) > static_cast<int>(rsa_max_modulus_bits)) {
        return fail(errc::invalid_key, "the RSA modulus has " + std::to_string(BN_num_bits(n.get())) +
                                           " bits; OpenSSL verifies with at most " +
                                           std::to_string(rsa_max_modulus_bits) + " (use 2048 to 4096 bits)" + fix);
    }
    return {};
}

/// EC: SEC 1 section 3.2.2.1 public-key validation (not the point at infinity, on the curve, of the
/// group's order). OpenSSL's decoders accept the point at infinity, and with that as the public key
/// anyone can make ECDSA signatures that verify. A provider that cannot check its own key type
/// (EVP_PKEY_public_check returns -2) answers for it.
inline status check_ec_key(const EVP_PKEY* key) {
    pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr)};
    if (!ctx) return fail_openssl(errc::openssl_error, "EVP_PKEY_CTX_new_from_pkey failed");
    if (EVP_PKEY_public_check(ctx.get()) == 0) {
        return fail_openssl(
            errc::invalid_key,
            "the EC public key is not a valid point of its curve (it is the point at infinity, or not of "
            "the group's order); the key text is damaged or forged: export it again from the private key "
            "(jwtmint pubkey private_key.pem)");
    }
    ERR_clear_error();
    return {};
}

/// An Edwards curve as RFC 8032 encodes its points: -x^2 + y^2 = 1 + d x^2 y^2 (a = -1, Ed25519)
/// or x^2 + y^2 = 1 + d x^2 y^2 (a = 1, Ed448), y little-endian, x's low bit in the top bit of
/// the last octet.
struct edwards_curve {
    const char* name;
    std::size_t size;  // encoded point octets
    int a;
};
inline constexpr edwards_curve ed25519_curve{"Ed25519", 32, -1};
inline constexpr edwards_curve ed448_curve{"Ed448", 57, 1};

/// Ed25519 and Ed448 public keys (RFC 8032 sections 5.1.3 and 5.2.3): the encoding must be
/// canonical (y < p; for Ed448 the last octet's low seven bits zero), the point must lie on the
/// curve, and it must not be of small order. OpenSSL checks none of this when it loads a key
/// (EVP_PKEY_public_check accepts any 32 octets), and with a small-order key, the identity above
/// all, the signature R = identity, S = 0 verifies for any message: anyone could forge.
///
/// The small-order points are those whose y is 1 (the identity), p - 1 (order 2), 0 (order 4) and,
/// on Ed25519 only, +-c (order 8, where c is the y of the order-8 points below): each y gives at most
/// two points (x and -x), eight in all on Ed25519 and four on Ed448. Refusing every non-canonical
/// encoding also refuses the other spellings of the same points.
inline status check_edwards_key(const EVP_PKEY* key, const edwards_curve& curve) {
    std::array<unsigned char, 57> enc{};
    std::size_t len = enc.size();
    if (EVP_PKEY_get_raw_public_key(key, enc.data(), &len) != 1 || len != curve.size) {
        if (!held_by_builtin_provider(key)) {
            ERR_clear_error();
            return {};
        }
        return fail_openssl(errc::invalid_key, std::string("cannot read the ") + curve.name + " public key");
    }
    const std::string fix =
        "; the key text is damaged or forged: export it again from the private key (jwtmint "
        "pubkey private_key.pem)";
    const std::string subject = std::string("the ") + curve.name + " public key";
    const bool ed448 = curve.size == 57;
    std::array<unsigned char, 57> y_le{};
    std::memcpy(y_le.data(), enc.data(), len);
    if (ed448) {
        if ((y_le[56] & 0x7F) != 0) {
            return fail(errc::invalid_key, subject +
                                               " is not a canonical RFC 8032 encoding (the last octet must be 0x00 or "
                                               "0x80)" +
                                               fix);
        }
        y_le[56] = 0;
    } else {
        y_le[31] &= 0x7F;
    }

    bn_ctx_ptr ctx{BN_CTX_new()};
    bn_ptr p{BN_new()}, y{BN_lebin2bn(y_le.data(), static_cast<int>(len), nullptr)}, d{BN_new()}, t{BN_new()},
        u{BN_new()}, v{BN_new()}, c{BN_new()};
    if (!ctx || !p || !y || !d || !t || !u || !v || !c)
        return fail_openssl(errc::openssl_error, "BN allocation failed");
    bool ok = true;
    // p = 2^255 - 19 (Ed25519) or 2^448 - 2^224 - 1 (Ed448)
    if (ed448) {
        ok = BN_set_bit(p.get(), 448) == 1 && BN_set_bit(t.get(), 224) == 1 && BN_sub(p.get(), p.get(), t.get()) == 1 &&
             BN_sub_word(p.get(), 1) == 1;
        // d = -39081
        ok = ok && BN_set_word(d.get(), 39081) == 1 && BN_sub(d.get(), p.get(), d.get()) == 1;
    } else {
        ok = BN_set_bit(p.get(), 255) == 1 && BN_sub_word(p.get(), 19) == 1;
        // d = -121665 / 121666
        ok = ok && BN_set_word(t.get(), 121666) == 1 &&
             BN_mod_inverse(t.get(), t.get(), p.get(), ctx.get()) != nullptr && BN_set_word(d.get(), 121665) == 1 &&
             BN_mod_mul(d.get(), d.get(), t.get(), p.get(), ctx.get()) == 1 && BN_sub(d.get(), p.get(), d.get()) == 1;
    }
    if (!ok) return fail_openssl(errc::openssl_error, "BN arithmetic failed");

    if (BN_cmp(y.get(), p.get()) >= 0) {
        return fail(errc::invalid_key, subject +
                                           " is not a canonical RFC 8032 encoding (its y is not below the field "
                                           "prime)" +
                                           fix);
    }
    // y of the small-order points: 1, p - 1, 0, and on Ed25519 +-c. c is the y of the order-8
    // points, sqrt((sqrt(d + 1) + 1) / d): written out here as the little-endian encoding that
    // Bernstein et al. list among the small-order points of Ed25519.
    bool small = BN_is_one(y.get()) != 0 || BN_is_zero(y.get()) != 0;
    ok = BN_sub(t.get(), p.get(), y.get()) == 1;
    small = small || BN_is_one(t.get()) != 0;
    if (!ed448 && ok) {
        static constexpr std::array<unsigned char, 32> order8_y = {
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
            0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
        ok = BN_lebin2bn(order8_y.data(), static_cast<int>(order8_y.size()), c.get()) != nullptr;
        small = small || BN_cmp(y.get(), c.get()) == 0 || BN_cmp(t.get(), c.get()) == 0;
    }
    if (!ok) return fail_openssl(errc::openssl_error, "BN arithmetic failed");
    if (small) {
        return fail(errc::invalid_key, subject + " is a point of small order" +
                                           (BN_is_one(y.get()) ? std::string(" (the identity)") : std::string()) +
                                           ", with which anyone can make signatures that verify for any token" + fix);
    }
    // On the curve: x^2 = (y^2 - 1) / (d y^2 - a) must be a square mod p (Euler's criterion).
    ok = BN_mod_sqr(t.get(), y.get(), p.get(), ctx.get()) == 1 &&                  // t = y^2
         BN_mod_sub(u.get(), t.get(), BN_value_one(), p.get(), ctx.get()) == 1 &&  // u = y^2 - 1
         BN_mod_mul(v.get(), d.get(), t.get(), p.get(), ctx.get()) == 1;           // v = d y^2
    ok = ok && (curve.a < 0 ? BN_mod_add(v.get(), v.get(), BN_value_one(), p.get(), ctx.get())
                            : BN_mod_sub(v.get(), v.get(), BN_value_one(), p.get(), ctx.get())) == 1;
    ok = ok && BN_mod_inverse(v.get(), v.get(), p.get(), ctx.get()) != nullptr &&  // d is no square: v != 0
         BN_mod_mul(u.get(), u.get(), v.get(), p.get(), ctx.get()) == 1 &&         // u = x^2
         BN_sub(t.get(), p.get(), BN_value_one()) == 1 && BN_rshift1(t.get(), t.get()) == 1 &&
         BN_mod_exp(v.get(), u.get(), t.get(), p.get(), ctx.get()) == 1;  // v = (x^2)^((p-1)/2)
    if (!ok) return fail_openssl(errc::openssl_error, "BN arithmetic failed");
    if (!BN_is_one(v.get()) && !BN_is_zero(u.get())) {
        return fail(errc::invalid_key, subject + " is not a point of the curve" + fix);
    }
    return {};
}

/// The checks by key type (the RSA exponent and modulus, the EC point, the Edwards point). Keys of
/// other types (DSA, DH, X25519, ...) are no JOSE signing keys; the signers' and verifier's
/// key-fit check refuses them by type.
inline status check_key_parameters(const EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) return check_rsa_key(key);
    if (EVP_PKEY_is_a(key, "EC")) return check_ec_key(key);
    if (EVP_PKEY_is_a(key, "ED25519")) return check_edwards_key(key, ed25519_curve);
    if (EVP_PKEY_is_a(key, "ED448")) return check_edwards_key(key, ed448_curve);
    return {};
}

/// A key held by another provider than OpenSSL's own is checked as its public half, decoded from
/// the SubjectPublicKeyInfo the provider exports: that is what verifiers (and the vendor) get, and
/// a device may report its parameters in its own conventions (a TPM's RSA exponent 0 means 65537).
/// false when the provider exports no public key (its own parameters are checked then).
inline bool check_exported_public_half(const EVP_PKEY* key, status& out) {
    unsigned char* der = nullptr;
    std::size_t len = 0;
    const ossl_handle<OSSL_ENCODER_CTX, &OSSL_ENCODER_CTX_free> ectx{
        OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo", nullptr)};
    if (!ectx || OSSL_ENCODER_to_data(ectx.get(), &der, &len) != 1 || der == nullptr) {
        ERR_clear_error();
        return false;
    }
    EVP_PKEY* raw = nullptr;
    const unsigned char* data = der;
    std::size_t left = len;
    {
        const ossl_handle<OSSL_DECODER_CTX, &OSSL_DECODER_CTX_free> dctx{OSSL_DECODER_CTX_new_for_pkey(
            &raw, "DER", "SubjectPublicKeyInfo", nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr)};
        if (!dctx || OSSL_DECODER_from_data(dctx.get(), &data, &left) != 1) {
            EVP_PKEY_free(raw);
            raw = nullptr;
        }
    }
    OPENSSL_free(der);
    const pkey_ptr pub{raw};
    ERR_clear_error();
    if (!pub) return false;
    out = check_key_parameters(pub.get());
    return true;
}

/// Every load-time check of a key, whatever its source (a provider's key through its exported
/// public half).
inline status check_loaded_key(const EVP_PKEY* key) {
    if (status exported; !held_by_builtin_provider(key) && check_exported_public_half(key, exported)) {
        return exported;
    }
    return check_key_parameters(key);
}

/// Whether der decodes, in any key structure OpenSSL knows, as a public or private key.
inline bool der_is_key(const unsigned char* der, std::size_t size) {
    if (!is_one_der_sequence(der, size)) return false;  // random secrets stop here (all but 1 in 65536)
    for (const int selection : {EVP_PKEY_PUBLIC_KEY, EVP_PKEY_KEYPAIR}) {
        EVP_PKEY* raw = nullptr;
        ossl_handle<OSSL_DECODER_CTX, &OSSL_DECODER_CTX_free> dctx{
            OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", nullptr, nullptr, selection, nullptr, nullptr)};
        if (!dctx) continue;
        const unsigned char* data = der;
        std::size_t left = size;
        const bool decoded = OSSL_DECODER_from_data(dctx.get(), &data, &left) == 1 && raw != nullptr;
        EVP_PKEY_free(raw);
        if (decoded) {
            ERR_clear_error();
            return true;
        }
    }
    ERR_clear_error();
    return false;
}

/// What key material, if any, secret is: a PEM block, a DER key, or the base64 body of a PEM block
/// without its BEGIN and END lines. An HMAC keyed with a public key lets anyone who has the public
/// key sign (the RS256 -> HS256 confusion), so such a secret is refused in every encoding. Returns
/// a description for the message, or "" for a secret that is no key.
inline std::string key_material_in_secret(std::string_view secret) {
    if (secret.find("-----BEGIN") != std::string_view::npos) return "PEM key text";
    const auto* bytes = reinterpret_cast<const unsigned char*>(secret.data());
    if (der_is_key(bytes, secret.size())) return "a DER-encoded key";
    // Base64 text (a PEM body pasted without its BEGIN/END lines, line breaks and all).
    secure_bytes text;
    text.reserve(secret.size());
    for (const char ch : secret) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                         c == '/' || c == '=';
        if (!b64) return {};
        text.push_back(c);
    }
    secure_bytes der;
    if (text.size() >= 4 && pem_base64_decode(text, der) && der_is_key(der.data(), der.size())) {
        return "the base64 body of a PEM key (its BEGIN and END lines removed)";
    }
    return {};
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
