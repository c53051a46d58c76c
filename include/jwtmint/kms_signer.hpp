// SPDX-License-Identifier: MIT
/// @file
/// jwt::kms_signer: a signer whose private key lives in a cloud KMS (AWS KMS, Google Cloud KMS, Azure
/// Key Vault) behind a function the application supplies; it hashes, converts the service's ECDSA
/// form to JOSE's R||S, and verifies every signature with the public key before returning it.
#pragma once

#include <jwtmint/detail/ecdsa.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace jwt {
inline namespace v1 {

/// What the KMS is asked to sign: the hash of the signing input (AWS MessageType DIGEST, Google
/// Cloud's `digest` field, Azure Key Vault's sign operation), or the signing input itself, which
/// the service hashes (AWS MessageType RAW, Google Cloud's `data` field).
enum class kms_input { digest, message };

/// How the KMS returns an ECDSA signature: DER (AWS KMS, Google Cloud KMS) or the fixed-width
/// R||S form JOSE uses (Azure Key Vault). RSA signatures have one form, whatever this says.
enum class kms_signature_format { der, raw };

/// One signing request, as the application's sign function receives it.
struct kms_sign_request {
    std::string_view alg;     ///< the JOSE algorithm ("ES256"): the KMS signing algorithm to ask for
    kms_input input;          ///< whether data is a digest or the message
    std::string_view data;    ///< the digest octets, or the message (the JWS signing input)
    std::string_view digest;  ///< the hash of the algorithm: "SHA-256", "SHA-384" or "SHA-512"
};

/// The application's call to the KMS: returns the signature octets as the service returned them
/// (decoded from base64 where the service's JSON holds base64). A failure is reported by throwing
/// (any std::exception: its what() is kept) or by returning a jwt::error; either becomes
/// errc::signing_failed with that message. Called from any thread that signs, possibly several
/// at once, and with no lock held: it must be thread-safe.
using kms_sign_function = std::function<result<std::string>(const kms_sign_request&)>;

/// How a jwt::kms_signer reaches its KMS key.
struct kms_signer_options {
    kms_sign_function sign;                                             ///< calls the service (required)
    kms_input input = kms_input::digest;                                ///< what the service is given
    kms_signature_format signature_format = kms_signature_format::der;  ///< ECDSA: what it returns
    std::string key_name;  ///< how messages name the KMS key (an ARN, a key version's resource name, a key URL)
};

namespace detail {

/// Why a KMS signature was not returned: the service failed, its reply was not a signature of
/// the expected form, or the signature does not verify with the public key.
enum class kms_failure { none, service, reply, mismatch };

/// "SHA256" -> "SHA-256": the hash as the services' documentation names it.
inline std::string_view kms_digest_name(const char* openssl_name) {
    const std::string_view n = openssl_name;
    if (n == "SHA384") return "SHA-384";
    if (n == "SHA512") return "SHA-512";
    return "SHA-256";
}

/// Whether reply is printable base64 or base64url text, as a service's JSON field holds it: the
/// sign function returned the text instead of the octets it encodes. (Binary signature octets
/// are all base64 characters with a probability under 2^-100.)
inline bool looks_like_base64_text(std::string_view reply) {
    if (reply.size() < 16) return false;
    for (const char ch : reply) {
        const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
                        ch == '/' || ch == '-' || ch == '_' || ch == '=';
        if (!ok) return false;
    }
    return true;
}

/// The immutable state of a KMS signer: the public key, the sign function, the digest fetched
/// once and a verification context already through EVP_PKEY_verify_init_ex, duplicated per token.
class kms_state {
    struct make_tag {};  // only create() makes one

public:
    kms_state(make_tag /*unused*/, public_key key, const pkey_alg_spec& spec, kms_signer_options options)
        : key_(std::move(key)), spec_(spec), options_(std::move(options)) {}

    [[nodiscard]] static result<shared_const<kms_state>> create(const public_key& key, const pkey_alg_spec& spec,
                                                                kms_signer_options options) {
        if (!options.sign) {
            return fail(errc::invalid_setting,
                        "kms_signer_options::sign is empty: give the function that calls the KMS's sign operation "
                        "(docs/kms.md shows one for each service)");
        }
        auto state = shared_const<kms_state>::make(make_tag{}, key, spec, std::move(options));
        if (auto ok = state.unshared().init(); !ok) return std::move(ok).error();
        return state;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return sig_size_; }
    [[nodiscard]] const public_key& key() const noexcept { return key_; }

    /// Signs input through the KMS; the JOSE signature, verified. why says what failed.
    [[nodiscard]] result<std::string> sign(std::string_view input, kms_failure& why) const {
        why = kms_failure::service;
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int digest_len = 0;
        if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_len, md_.get(), nullptr) != 1) {
            return fail_openssl(errc::signing_failed, std::string(spec_.alg) + ": hashing the signing input failed");
        }
        const std::string_view digest_view(reinterpret_cast<const char*>(digest.data()), digest_len);
        const kms_sign_request request{spec_.alg, options_.input,
                                       options_.input == kms_input::digest ? digest_view : input,
                                       kms_digest_name(spec_.digest)};
        auto reply = call_service(request);
        if (!reply) return std::move(reply).error();
        if (reply->empty()) {
            return fail(errc::signing_failed, what_ +
                                                  " returned an empty signature; the sign function must return the "
                                                  "signature octets the service returned");
        }
        why = kms_failure::reply;
        std::string sig(sig_size_, '\0');
        auto* out = reinterpret_cast<unsigned char*>(sig.data());
        if (auto converted = to_jose(*reply, out, why); !converted) return std::move(converted).error();
        why = kms_failure::mismatch;
        if (!verifies(sig, digest.data(), digest_len)) {
            return fail(errc::signing_failed,
                        what_ +
                            " returned a signature that does not verify with the configured public key; no "
                            "token was signed (was the KMS key, or its version, changed since start-up?)");
        }
        why = kms_failure::none;
        return sig;
    }

private:
    [[nodiscard]] status init() {
        EVP_PKEY* pkey = key_.native_handle();
        what_ = std::string(spec_.alg) + " KMS signing" +
                (options_.key_name.empty() ? std::string() : " with " + options_.key_name);
        // The key-fit check and its messages are the signers'; the fix it names is a KMS key.
        const std::string advice = (spec_.raw_half != 0 ? "a KMS key on " + std::string(spec_.curve)
                                                        : std::string("an RSA KMS key of 2048 bits or more")) +
                                   "; docs/kms.md lists each service's key specs";
        pkey_alg_spec fit = spec_;
        fit.keygen_cmd = advice;
        if (auto fits = check_key_fits(pkey, describe(pkey), fit, /*verifying=*/false); !fits) return fits;

        md_.reset(EVP_MD_fetch(nullptr, spec_.digest, nullptr));
        if (!md_) return fail_openssl(errc::openssl_error, std::string("EVP_MD_fetch(") + spec_.digest + ") failed");
        verify_template_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
        if (!verify_template_) return fail_openssl(errc::openssl_error, "EVP_PKEY_CTX_new_from_pkey failed");
        // The digest, and for RSA the padding said explicitly, as the verifier does.
        std::array<OSSL_PARAM, 4> scheme{};
        const OSSL_PARAM* extra = signature_params(spec_, scheme);
        std::array<OSSL_PARAM, 5> params{};
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, const_cast<char*>(spec_.digest), 0);
        std::size_t n = 1;
        for (; extra != nullptr && extra->key != nullptr; ++extra) params[n++] = *extra;
        params[n] = OSSL_PARAM_construct_end();
        ERR_clear_error();
        if (EVP_PKEY_verify_init_ex(verify_template_.get(), params.data()) != 1) {
            return fail_openssl(EVP_PKEY_is_a(pkey, "RSA-PSS") ? errc::key_algorithm_mismatch : errc::invalid_key,
                                "cannot initialise " + std::string(spec_.alg) + " verification with this public key");
        }
        if (spec_.raw_half != 0) {
            curve_ = find_jose_curve(spec_.curve);
            if (curve_ == nullptr || curve_->size != spec_.raw_half) {
                return fail(errc::key_algorithm_mismatch, "the r/s range check knows P-256, P-384 and P-521 only");
            }
            sig_size_ = 2 * spec_.raw_half;
        } else {
            sig_size_ = static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        }
        return probe();
    }

    /// One signature through the service at start-up, verified: a KMS key that is not the public
    /// key's, or that signs another algorithm, fails here rather than at the vendor.
    [[nodiscard]] status probe() const {
        kms_failure why = kms_failure::none;
        auto sig = sign("jwtmint KMS key check", why);
        if (sig) return {};
        if (why != kms_failure::mismatch) return std::move(sig).error();
        return fail(errc::key_mismatch,
                    "the KMS key and the public key given do not belong together: a probe signature from " + what_ +
                        " does not verify with the public key (" + sig.error().what() +
                        "). Give the public key of this same KMS key version (AWS KMS: GetPublicKey; Google Cloud "
                        "KMS: cryptoKeyVersions.getPublicKey; Azure Key Vault: the key's JWK), and check that the "
                        "KMS key signs with " +
                        std::string(spec_.alg) + " (docs/kms.md maps each service's algorithms to JOSE's)");
    }

    /// The sign function's reply, its failures (thrown or returned) made signing_failed.
    [[nodiscard]] result<std::string> call_service(const kms_sign_request& request) const {
#if JWTMINT_EXCEPTIONS
        try {
            auto reply = options_.sign(request);
            if (reply) return reply;
            return fail(errc::signing_failed, what_ + " failed: " + reply.error().what());
        } catch (const std::bad_alloc&) {
            throw;  // out of memory is not the service's failure to report
        } catch (const std::exception& e) {
            return fail(errc::signing_failed, what_ + " failed: " + e.what());
        } catch (...) {
            return fail(errc::signing_failed, what_ + " failed: the sign function threw a non-standard exception");
        }
#else
        auto reply = options_.sign(request);
        if (reply) return reply;
        return fail(errc::signing_failed, what_ + " failed: " + reply.error().what());
#endif
    }

    /// The service's reply as the JOSE signature (sig_size_ octets) in out.
    [[nodiscard]] status to_jose(std::string_view reply, unsigned char* out, kms_failure& why) const {
        const std::string got = " returned " + std::to_string(reply.size()) + " octets";
        const std::string b64 = looks_like_base64_text(reply)
                                    ? "; they are base64 text: the sign function must decode the service's base64"
                                    : "";
        if (spec_.raw_half == 0) {
            // RFC 8017 section 8.2.1: the signature is as long as the modulus. A service that drops
            // leading zero octets is made whole again; a longer reply is no signature of this key.
            if (reply.size() > sig_size_) {
                if (b64.empty()) why = kms_failure::mismatch;
                return fail(errc::signing_failed, what_ + got + ", more than the " + std::to_string(sig_size_) +
                                                      " of a signature with this " + std::to_string(sig_size_ * 8) +
                                                      "-bit public key" + b64);
            }
            const std::size_t pad = sig_size_ - reply.size();
            std::memset(out, 0, pad);
            std::memcpy(out + pad, reply.data(), reply.size());
            return {};
        }
        const auto* bytes = reinterpret_cast<const unsigned char*>(reply.data());
        if (options_.signature_format == kms_signature_format::raw) {
            if (reply.size() == sig_size_) {
                std::memcpy(out, bytes, sig_size_);
                return {};
            }
            const bool der = !reply.empty() && bytes[0] == 0x30 &&
                             ecdsa_der_to_raw_strict(bytes, reply.size(), out, spec_.raw_half) == ecdsa_der_status::ok;
            return fail(errc::signing_failed,
                        what_ + got + "; an " + std::string(spec_.alg) + " signature in R||S form has " +
                            std::to_string(sig_size_) +
                            (der ? "; this one is DER (as AWS KMS and Google Cloud KMS return): set "
                                   "kms_signer_options::signature_format to kms_signature_format::der"
                                 : b64));
        }
        switch (ecdsa_der_to_raw_strict(bytes, reply.size(), out, spec_.raw_half)) {
            case ecdsa_der_status::ok: return {};
            case ecdsa_der_status::too_long:
                why = kms_failure::mismatch;
                return fail(errc::signing_failed, what_ + " returned a DER signature whose R or S is longer than the " +
                                                      std::to_string(spec_.raw_half) + " octets of " +
                                                      std::string(spec_.curve) + ": the KMS key is on another curve");
            case ecdsa_der_status::not_minimal:
            case ecdsa_der_status::negative:
                return fail(errc::signing_failed,
                            what_ +
                                " returned a signature in BER, not DER (an INTEGER with a superfluous leading "
                                "zero, or negative), which OpenSSL's verification refuses too");
            case ecdsa_der_status::not_der: break;
        }
        return fail(errc::signing_failed,
                    what_ + got + ", which are not a DER ECDSA signature" +
                        (reply.size() == sig_size_ ? "; they have the length of the R||S form (as Azure Key Vault "
                                                     "returns): set kms_signer_options::signature_format to "
                                                     "kms_signature_format::raw"
                                                   : b64));
    }

    /// Whether sig (the JOSE form) verifies over digest with the public key.
    [[nodiscard]] bool verifies(const std::string& sig, const unsigned char* digest, std::size_t digest_len) const {
        const auto* to_check = reinterpret_cast<const unsigned char*>(sig.data());
        std::size_t check_len = sig.size();
        std::array<unsigned char, max_ecdsa_der_size> der{};
        if (curve_ != nullptr) {
            if (!ecdsa_scalar_in_range(to_check, *curve_) || !ecdsa_scalar_in_range(to_check + curve_->size, *curve_)) {
                return false;
            }
            check_len = ecdsa_raw_to_der(to_check, curve_->size, der.data());
            to_check = der.data();
        }
        pkey_ctx_ptr ctx{EVP_PKEY_CTX_dup(verify_template_.get())};
        const bool ok = ctx && EVP_PKEY_verify(ctx.get(), to_check, check_len, digest, digest_len) == 1;
        ERR_clear_error();  // a bad signature leaves notes on the queue; the next call starts clean
        return ok;
    }

    public_key key_;
    pkey_alg_spec spec_;
    kms_signer_options options_;
    std::string what_;  // "ES256 KMS signing with <key name>": how messages name this signer
    md_ptr md_;
    pkey_ctx_ptr verify_template_;
    std::size_t sig_size_ = 0;
    const jose_curve* curve_ = nullptr;  // ECDSA: the curve, whose group order bounds r and s
};

}  // namespace detail

/// A signer whose private key stays in a cloud KMS: Algorithm (jwt::rs256/384/512,
/// ps256/384/512, es256/384/512) names the JOSE algorithm, options.sign calls the service.
/// Per token it hashes the signing input (unless the service is given the message), calls the
/// service, converts a DER ECDSA signature to R||S, and verifies the result with the public key
/// before returning it: a signature that does not verify is never returned. At construction the
/// public key is checked against the algorithm and one probe signature is made and verified, so
/// a KMS key that is not the public key's fails at start-up (errc::key_mismatch).
///
/// A signer policy: jwt::builder and jwt::key_ring take it. Immutable after construction; copies
/// share the state; sign() is const and may run on many threads at once (no lock is held while
/// the service is called). docs/kms.md maps AWS KMS, Google Cloud KMS and Azure Key Vault
/// algorithms to JOSE's.
template <class Algorithm>
class kms_signer {
    static_assert(is_pkey_algorithm_v<Algorithm> && !std::is_same_v<Algorithm, eddsa>,
                  "jwt::kms_signer<Algorithm>: Algorithm is one of jwt::rs256/384/512, ps256/384/512 or "
                  "es256/384/512 (EdDSA has no digest to hand a KMS; HMAC keys are no KMS signing keys)");

public:
    using algorithm = Algorithm;  ///< The jwtmint signer type whose algorithm the KMS key signs with.
    /// The JOSE name of the algorithm.
    static constexpr std::string_view alg = Algorithm::alg;

    /// A signer over the KMS key whose public key is key. Errors: invalid_setting (no sign
    /// function), key_algorithm_mismatch, weak_key (the public key does not fit Algorithm),
    /// key_mismatch (the probe signature does not verify with key), signing_failed (the
    /// service failed, or its reply is no signature of the configured form).
    // NOLINTNEXTLINE(performance-unnecessary-value-param): options is moved into the state
    [[nodiscard]] static result<kms_signer> try_create(const public_key& key, kms_signer_options options) {
        auto state = detail::kms_state::create(key, Algorithm::spec, std::move(options));
        if (!state) return std::move(state).error();
        return kms_signer(std::move(*state));
    }
    /// As try_create, throwing jwt::error.
    [[nodiscard]] static kms_signer create(const public_key& key, kms_signer_options options) {
        return try_create(key, std::move(options)).value();
    }
    /// As try_create, reporting only the code.
    [[nodiscard]] static std::optional<kms_signer> create(const public_key& key, kms_signer_options options,
                                                          std::error_code& ec) {
        return detail::to_optional(try_create(key, std::move(options)), ec);
    }

    /// The JWS signature of signing_input (RSA: modulus-sized; ECDSA: R||S), verified with the
    /// public key. Thread-safe. Error: signing_failed (the service's message, a malformed reply,
    /// or a signature that does not verify).
    [[nodiscard]] result<std::string> try_sign(std::string_view signing_input) const {
        detail::kms_failure why = detail::kms_failure::none;
        return state_->sign(signing_input, why);
    }
    /// As try_sign, throwing jwt::error.
    [[nodiscard]] std::string sign(std::string_view signing_input) const { return try_sign(signing_input).value(); }
    /// As try_sign, reporting only the code (the signature is then empty).
    [[nodiscard]] std::string sign(std::string_view signing_input, std::error_code& ec) const {
        auto sig = try_sign(signing_input);
        ec = sig.error_code();
        return sig ? std::move(*sig) : std::string();
    }

    /// The length of a signature in octets.
    [[nodiscard]] std::size_t signature_size() const noexcept { return state_->signature_size(); }
    /// The KMS key's public key, as given (jwt::key_ring publishes it).
    [[nodiscard]] const public_key& public_half() const noexcept { return state_->key(); }
    /// Its SPKI PEM: what the admin pastes into the vendor's settings.
    [[nodiscard]] std::string public_key_pem() const { return state_->key().to_pem(); }

private:
    explicit kms_signer(detail::shared_const<detail::kms_state> state) noexcept : state_(std::move(state)) {}
    detail::shared_const<detail::kms_state> state_;
};

}  // namespace v1
}  // namespace jwt
