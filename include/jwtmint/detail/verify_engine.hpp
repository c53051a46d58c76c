// SPDX-License-Identifier: MIT
// Signature verification states: the prepared public key (RS*, PS*, ES*, EdDSA, with ECDSA's r/s
// range check) or the keyed HMAC (HS*), immutable and shared by a verifier's copies.
#pragma once

#include <jwtmint/detail/ecdsa.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/shared_const.hpp>
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
#include <string>
#include <string_view>
#include <utility>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The outcome of checking one signature.
enum class signature_check { ok, wrong_length, out_of_range, mismatch, failure };

/// The immutable state of an RS*/PS*/ES*/EdDSA verifier: the public key and a digest-verify context
/// already through EVP_DigestVerifyInit_ex, copied per token and never mutated.
class pkey_verify_state {
    struct make_tag {};  // only make() makes one

public:
    pkey_verify_state(make_tag /*unused*/, public_key key, const pkey_alg_spec& spec)
        : key_(std::move(key)), spec_(spec) {}

    /// The state for key (only its public half is kept), or why key cannot verify spec's algorithm.
    [[nodiscard]] static result<shared_const<pkey_verify_state>> make(const public_key& key,
                                                                      const pkey_alg_spec& spec) {
        auto pub = public_only(key);
        if (!pub) return std::move(pub).error();
        auto state = shared_const<pkey_verify_state>::make(make_tag{}, std::move(*pub), spec);
        if (auto ready = state.unshared().init(); !ready) return std::move(ready).error();
        return state;
    }

    [[nodiscard]] signature_check check(std::string_view input, std::string_view signature) const noexcept {
        if (signature.size() != sig_size_) return signature_check::wrong_length;
        const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
        std::size_t sig_len = signature.size();
        std::array<unsigned char, max_ecdsa_der_size> der{};
        if (curve_ != nullptr) {
            if (!ecdsa_scalar_in_range(sig, *curve_) || !ecdsa_scalar_in_range(sig + curve_->size, *curve_)) {
                return signature_check::out_of_range;
            }
            sig_len = ecdsa_raw_to_der(sig, curve_->size, der.data());
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
    status init() {
        EVP_PKEY* pkey = key_.native_handle();
        if (auto fits = check_key_fits(pkey, describe(pkey), spec_, /*verifying=*/true); !fits) return fits;
        template_.reset(EVP_MD_CTX_new());
        if (!template_) return fail_openssl(errc::openssl_error, "EVP_MD_CTX_new failed");
        // The padding is said explicitly (PKCS#1 v1.5 or PSS with its salt length) rather than
        // left to the key's defaults.
        std::array<OSSL_PARAM, 4> params{};
        ERR_clear_error();
        if (EVP_DigestVerifyInit_ex(template_.get(), nullptr, spec_.digest, key_.context().library_context,
                                    query_or_null(key_.context().property_query), pkey,
                                    signature_params(spec_, params)) != 1) {
            return fail_openssl(EVP_PKEY_is_a(pkey, "RSA-PSS") ? errc::key_algorithm_mismatch : errc::invalid_key,
                                "cannot initialise " + std::string(spec_.alg) + " verification with this key" +
                                    (EVP_PKEY_is_a(pkey, "RSA-PSS") ? " (an RSA-PSS key restricted to other parameters)"
                                                                    : ""));
        }
        sig_size_ = spec_.raw_half != 0 ? 2 * spec_.raw_half : static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        if (spec_.raw_half != 0) {
            curve_ = find_jose_curve(spec_.curve);
            if (curve_ == nullptr || curve_->size != spec_.raw_half) {
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
    const jose_curve* curve_ = nullptr;  // ECDSA: the curve, whose group order bounds r and s
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
}  // namespace v1
}  // namespace jwt
