// SPDX-License-Identifier: MIT
// Signature verification states: the prepared public key (RS*, PS*, ES*, EdDSA, with ECDSA's r/s
// range check) or the keyed HMAC (HS*), immutable and shared by a verifier's copies.
#pragma once

#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The order n of the P-256 group, big-endian (FIPS 186-4 D.1.2.3).
inline constexpr std::array<unsigned char, 32> p256_order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

/// The order n of the P-384 group, big-endian (FIPS 186-4 D.1.2.4).
inline constexpr std::array<unsigned char, 48> p384_order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF,
    0x58, 0x1A, 0x0D, 0xB2, 0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73};

/// The order n of the P-521 group, big-endian in 66 octets (FIPS 186-4 D.1.2.5).
inline constexpr std::array<unsigned char, 66> p521_order = {
    0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFA,
    0x51, 0x86, 0x87, 0x83, 0xBF, 0x2F, 0x96, 0x6B, 0x7F, 0xCC, 0x01, 0x48, 0xF7, 0x09, 0xA5, 0xD0, 0x3B,
    0xB5, 0xC9, 0xB8, 0x89, 0x9C, 0x47, 0xAE, 0xBB, 0x6F, 0xB7, 0x1E, 0x91, 0x38, 0x64, 0x09};

/// A group order: big-endian octets.
struct group_order {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};

/// The group order of a JOSE curve name, or an empty one for another curve.
inline group_order ecdsa_order(std::string_view curve) noexcept {
    if (curve == "P-256") return {p256_order.data(), p256_order.size()};
    if (curve == "P-384") return {p384_order.data(), p384_order.size()};
    if (curve == "P-521") return {p521_order.data(), p521_order.size()};
    return {};
}

/// Whether the big-endian integer v (order.size() octets) lies in [1, n-1]. ECDSA verification
/// requires it (SEC 1 4.1.4 step 1); CVE-2022-21449 accepted r = s = 0.
inline bool ecdsa_scalar_in_range(const unsigned char* v, group_order order) noexcept {
    bool nonzero = false;
    for (std::size_t i = 0; i < order.size; ++i) nonzero = nonzero || v[i] != 0;
    if (!nonzero) return false;
    for (std::size_t i = 0; i < order.size; ++i) {
        if (v[i] != order.data[i]) return v[i] < order.data[i];
    }
    return false;  // equal to n
}

/// Encodes R||S (two half-octet big-endian integers) as a DER ECDSA-Sig-Value; returns its length.
inline std::size_t ecdsa_raw_to_der(const unsigned char* raw, std::size_t half, unsigned char* out) noexcept {
    std::size_t body = 0;
    std::array<std::size_t, 2> skip{};
    std::array<bool, 2> pad{};
    for (std::size_t i = 0; i < 2; ++i) {
        const unsigned char* v = raw + i * half;
        while (skip[i] + 1 < half && v[skip[i]] == 0) ++skip[i];
        pad[i] = (v[skip[i]] & 0x80) != 0;
        body += 2 + (half - skip[i]) + (pad[i] ? 1 : 0);
    }
    std::size_t pos = 0;
    out[pos++] = 0x30;
    if (body >= 0x80) out[pos++] = 0x81;
    out[pos++] = static_cast<unsigned char>(body);
    for (std::size_t i = 0; i < 2; ++i) {
        const std::size_t n = half - skip[i];
        out[pos++] = 0x02;
        out[pos++] = static_cast<unsigned char>(n + (pad[i] ? 1 : 0));
        if (pad[i]) out[pos++] = 0;
        for (std::size_t k = 0; k < n; ++k) out[pos++] = raw[i * half + skip[i] + k];
    }
    return pos;
}

/// The outcome of checking one signature.
enum class signature_check { ok, wrong_length, out_of_range, mismatch, failure };

/// The immutable state of an RS*/PS*/ES*/EdDSA verifier: the public key and a digest-verify context
/// already through EVP_DigestVerifyInit_ex, copied per token and never mutated.
class pkey_verify_state {
public:
    /// The state for key (only its public half is kept), or why key cannot verify spec's algorithm.
    [[nodiscard]] static result<std::shared_ptr<const pkey_verify_state>> make(const public_key& key,
                                                                              const pkey_alg_spec& spec) {
        auto pub = public_only(key);
        if (!pub) return std::move(pub).error();
        std::shared_ptr<pkey_verify_state> state(new pkey_verify_state(std::move(*pub), spec));
        if (auto ready = state->init(); !ready) return std::move(ready).error();
        return std::shared_ptr<const pkey_verify_state>(std::move(state));
    }

    [[nodiscard]] signature_check check(std::string_view input, std::string_view signature) const noexcept {
        if (signature.size() != sig_size_) return signature_check::wrong_length;
        const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
        std::size_t sig_len = signature.size();
        std::array<unsigned char, 160> der{};  // the DER of two 66-octet integers takes at most 141
        if (spec_.raw_half != 0) {
            if (!ecdsa_scalar_in_range(sig, order_) || !ecdsa_scalar_in_range(sig + spec_.raw_half, order_)) {
                return signature_check::out_of_range;
            }
            sig_len = ecdsa_raw_to_der(sig, spec_.raw_half, der.data());
            sig = der.data();
        }
        md_ctx_ptr ctx{EVP_MD_CTX_new()};
        if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) != 1) {
            ERR_clear_error();
            return signature_check::failure;
        }
        static constexpr unsigned char empty = 0;
        const auto* in = input.empty() ? &empty : reinterpret_cast<const unsigned char*>(input.data());
        if (EVP_DigestVerify(ctx.get(), sig, sig_len, in, input.size()) == 1) return signature_check::ok;
        ERR_clear_error();  // a bad signature leaves notes on the queue; the next call starts clean
        return signature_check::mismatch;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return sig_size_; }
    [[nodiscard]] const public_key& key() const noexcept { return key_; }

private:
    pkey_verify_state(public_key key, const pkey_alg_spec& spec) : key_(std::move(key)), spec_(spec) {}

    status init() {
        EVP_PKEY* pkey = key_.native_handle();
        if (auto fits = check_key_fits(pkey, describe(pkey), spec_, /*verifying=*/true); !fits) return fits;
        template_.reset(EVP_MD_CTX_new());
        if (!template_) return fail_openssl(errc::openssl_error, "EVP_MD_CTX_new failed");
        // The padding is said explicitly (PKCS#1 v1.5 or PSS with its salt length) rather than
        // left to the key's defaults.
        std::array<OSSL_PARAM, 4> params{};
        ERR_clear_error();
        if (EVP_DigestVerifyInit_ex(template_.get(), nullptr, spec_.digest, nullptr, nullptr, pkey,
                                    signature_params(spec_, params)) != 1) {
            return fail_openssl(EVP_PKEY_is_a(pkey, "RSA-PSS") ? errc::key_algorithm_mismatch : errc::invalid_key,
                                "cannot initialise " + std::string(spec_.alg) + " verification with this key" +
                                    (EVP_PKEY_is_a(pkey, "RSA-PSS") ? " (an RSA-PSS key restricted to other parameters)"
                                                                    : ""));
        }
        sig_size_ = spec_.raw_half != 0 ? 2 * spec_.raw_half : static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        if (spec_.raw_half != 0) {
            order_ = ecdsa_order(spec_.curve);
            if (order_.size != spec_.raw_half) {
                return fail(errc::key_algorithm_mismatch, "the r/s range check knows P-256, P-384 and P-521 only");
            }
        }
        return {};
    }

    // A private key PEM yields the whole key; a verifier keeps only the public half.
    static result<public_key> public_only(const public_key& key) {
        if (!has_private_part(key.native_handle())) return key;
        auto pem = key.try_to_pem();
        if (!pem) return std::move(pem).error();
        return public_key::try_from_pem(*pem);
    }

    public_key key_;
    pkey_alg_spec spec_;
    md_ctx_ptr template_;
    std::size_t sig_size_ = 0;
    group_order order_;  // ECDSA: the group order, for the r/s range check
};

/// The immutable state of an HS256/384/512 verifier: the HMAC signer (a pre-keyed EVP_MAC_CTX,
/// reused per token) whose MAC is compared in constant time.
template <class Mac>
class hmac_verify_state {
public:
    explicit hmac_verify_state(Mac mac) : mac_(std::move(mac)) {}

    [[nodiscard]] signature_check check(std::string_view input, std::string_view signature) const noexcept {
        // RFC 7518 section 3.2: the whole HMAC, never a truncated one.
        if (signature.size() != mac_.signature_size()) return signature_check::wrong_length;
        std::array<unsigned char, 64> expected{};
        const auto signed_to = mac_.try_sign_to(input, expected.data());
        if (!signed_to) {
            ERR_clear_error();
            return signature_check::failure;
        }
        const std::size_t n = *signed_to;
        const bool same = n == signature.size() && CRYPTO_memcmp(expected.data(), signature.data(), n) == 0;
        OPENSSL_cleanse(expected.data(), expected.size());
        return same ? signature_check::ok : signature_check::mismatch;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return mac_.signature_size(); }

private:
    Mac mac_;
};

template <class Algorithm>
inline constexpr bool is_verifiable_algorithm = is_hmac_algorithm_v<Algorithm> || is_pkey_algorithm_v<Algorithm>;

/// The verification state of Algorithm: pkey_verify_state, or hmac_verify_state for HS*.
template <class Algorithm, bool Hmac = is_hmac_algorithm_v<Algorithm>>
struct verify_engine {
    using type = pkey_verify_state;
};
template <class Algorithm>
struct verify_engine<Algorithm, true> {
    using type = hmac_verify_state<Algorithm>;
};


}  // namespace detail
}  // inline namespace v1
}  // namespace jwt
