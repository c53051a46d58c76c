// SPDX-License-Identifier: MIT
/// @file
/// Signer policies for every JWS algorithm of RFC 7518 and RFC 8037 (HS/RS/PS/ES 256-512, EdDSA):
/// a key parsed and checked once, const thread-safe sign().
#pragma once

#include <jwtmint/detail/ecdsa.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/file_path.hpp>
#include <jwtmint/key.hpp>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace jwt {
inline namespace v1 {

namespace detail {

/// Defined in <jwtmint/jwk.hpp>: makes a signer from a JSON Web Key. Only declared here, so
/// that signers.hpp stays free of JSON and from_jwk without jwk.hpp does not compile.
struct jwk_loader;

inline constexpr std::string_view self_test_input = "jwtmint key self-test";

/// The signature scheme of an EVP_PKEY algorithm.
enum class pkey_scheme { rsa_pkcs1, rsa_pss, ecdsa, eddsa };

/// What is fixed per algorithm for a signer over an EVP_PKEY.
struct pkey_alg_spec {
    std::string_view alg;         // JOSE name
    const char* digest;           // OpenSSL digest name; nullptr for EdDSA (it hashes internally)
    const char* key_type;         // EVP_PKEY_is_a name
    std::string_view curve;       // required JOSE curve, or empty
    int min_bits;                 // minimum key size, or 0
    std::size_t raw_half;         // ECDSA: octets per coordinate; 0 otherwise
    std::string_view keygen_cmd;  // how to make a fitting key
    pkey_scheme scheme;           // how the signature is made
    std::string_view key_desc;    // "an RSA", "an EC P-384", "an Ed25519": for messages
};

/// The key as a message names it: "an RSA", "an EC P-256", "an Ed25519", "a DSA".
inline std::string describe_key_kind(const key_info& info) {
    if (info.type == "EC") return "an EC " + (info.curve.empty() ? std::string("(unnamed curve)") : info.curve);
    if (info.type == "RSA") return "an RSA";
    if (info.type == "RSA-PSS") return "an RSA-PSS";
    if (info.type == "ED25519") return "an Ed25519";
    return "a " + info.type;
}

/// Whether key is of the type spec needs. PS256/384/512 take plain RSA keys and RSA-PSS-typed
/// keys (whose own restrictions OpenSSL then enforces at initialisation).
inline bool key_type_fits(const EVP_PKEY* key, const pkey_alg_spec& spec) {
    if (spec.scheme == pkey_scheme::rsa_pss)
        return EVP_PKEY_is_a(key, "RSA") != 0 || EVP_PKEY_is_a(key, "RSA-PSS") != 0;
    return EVP_PKEY_is_a(key, spec.key_type) != 0;
}

/// Refuses a key that does not fit spec: the wrong type or curve (key_algorithm_mismatch), an
/// RSA modulus under spec.min_bits (weak_key). One set of rules and messages for the signers
/// and the verifier, which says so (verifying: "ES384 verification needs an EC P-384 public key").
[[nodiscard]] inline status check_key_fits(const EVP_PKEY* key, const key_info& info, const pkey_alg_spec& spec,
                                           bool verifying) {
    const std::string alg(spec.alg);
    const std::string_view role = verifying ? " verification" : "";
    const std::string fix = " (generate one with: " + std::string(spec.keygen_cmd) + ")";
    if (!key_type_fits(key, spec)) {
        return fail(errc::key_algorithm_mismatch, alg + std::string(role) + " needs " + std::string(spec.key_desc) +
                                                      (verifying ? " public key" : " key") + ", but this is " +
                                                      describe_key_kind(info) + " key" + fix);
    }
    if (!spec.curve.empty() && info.curve != spec.curve) {
        return fail(errc::key_algorithm_mismatch,
                    alg + std::string(role) + " needs an EC key on curve " + std::string(spec.curve) +
                        ", but this key is on " + (info.curve.empty() ? "an unnamed or explicit curve" : info.curve) +
                        fix);
    }
    if (spec.min_bits > 0 && info.bits < spec.min_bits) {
        return fail(errc::weak_key, "RSA key has " + std::to_string(info.bits) + " bits; " + alg + std::string(role) +
                                        " needs at least " + std::to_string(spec.min_bits) + fix);
    }
    return {};
}

/// The signature parameters spec needs, for EVP_DigestSignInit_ex / EVP_DigestVerifyInit_ex:
/// PKCS#1 v1.5 said explicitly (RFC 7518 section 3.3); PSS with MGF1 over the same hash and a
/// salt as long as the hash (section 3.5); none for ECDSA and EdDSA. Points into params.
inline OSSL_PARAM* signature_params(const pkey_alg_spec& spec, std::array<OSSL_PARAM, 4>& params) {
    switch (spec.scheme) {
        case pkey_scheme::rsa_pkcs1:
            params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
                                                         const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PKCSV15), 0);
            params[1] = OSSL_PARAM_construct_end();
            return params.data();
        case pkey_scheme::rsa_pss:
            params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
                                                         const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PSS), 0);
            params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
                                                         const_cast<char*>(spec.digest), 0);
            // "digest": exactly the hash length, both when signing and when verifying.
            params[2] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
                                                         const_cast<char*>(OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST), 0);
            params[3] = OSSL_PARAM_construct_end();
            return params.data();
        case pkey_scheme::ecdsa:
        case pkey_scheme::eddsa: break;
    }
    return nullptr;
}

/// The immutable, shared state of an EVP_PKEY signer: the key and a digest-sign context
/// already through EVP_DigestSignInit_ex, copied per token (never mutated after construction).
class pkey_signer_state {
    struct make_tag {};  // only create() makes one

public:
    pkey_signer_state(make_tag /*unused*/, private_key key, const pkey_alg_spec& spec)
        : key_(std::move(key)), spec_(spec) {}

    /// The state for key, or why key cannot sign spec's algorithm.
    [[nodiscard]] static result<shared_const<pkey_signer_state>> create(private_key key, const pkey_alg_spec& spec) {
        auto state = shared_const<pkey_signer_state>::make(make_tag{}, std::move(key), spec);
        if (auto ok = state.unshared().init(); !ok) return std::move(ok).error();
        return state;
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return sig_size_; }
    [[nodiscard]] const private_key& key() const noexcept { return key_; }

    /// Signs into out (signature_size() octets); returns the octets written, or signing_failed.
    [[nodiscard]] result<std::size_t> sign_to(std::string_view input, unsigned char* out) const {
        // A key held by another provider than OpenSSL's own: one call at a time (see
        // openssl_context::serialize_provider_calls), and a fresh context where the provider
        // cannot copy one.
        std::unique_lock<std::mutex> lock(foreign_provider_mutex(), std::defer_lock);
        if (serialize_) lock.lock();
        md_ctx_ptr ctx{EVP_MD_CTX_new()};
        if (!ctx || !(copyable_ ? EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) == 1 : init_context(ctx.get()))) {
            return fail_openssl(errc::signing_failed, std::string(spec_.alg) + ": could not prepare a signing context");
        }
        const auto* in = reinterpret_cast<const unsigned char*>(input.data());
        if (spec_.raw_half == 0) {
            std::size_t len = sig_size_;
            if (EVP_DigestSign(ctx.get(), out, &len, in, input.size()) != 1) {
                return fail_openssl(errc::signing_failed, std::string(spec_.alg) + " signing failed");
            }
            return len;
        }
        std::array<unsigned char, max_ecdsa_der_size> der{};
        std::size_t len = der_max_ < der.size() ? der_max_ : der.size();
        if (EVP_DigestSign(ctx.get(), der.data(), &len, in, input.size()) != 1) {
            return fail_openssl(errc::signing_failed, std::string(spec_.alg) + " signing failed");
        }
        if (!ecdsa_der_to_raw(der.data(), len, out, spec_.raw_half)) {
            return fail(errc::signing_failed,
                        std::string(spec_.alg) + ": OpenSSL returned a malformed ECDSA signature");
        }
        return sig_size_;
    }

private:
    /// Checks the key against the algorithm, prepares the signing context, and self-tests.
    [[nodiscard]] status init() {
        EVP_PKEY* pkey = key_.native_handle();
        if (auto fits = check_key_fits(pkey, key_.info(), spec_, /*verifying=*/false); !fits) return fits;
        template_.reset(EVP_MD_CTX_new());
        if (!template_) return fail_openssl(errc::openssl_error, "EVP_MD_CTX_new failed");
        query_ = signing_query(pkey, key_.context().property_query);
        serialize_ = !held_by_builtin_provider(pkey) && key_.context().serialize_provider_calls;
        std::unique_lock<std::mutex> lock(foreign_provider_mutex(), std::defer_lock);
        if (serialize_) lock.lock();
        ERR_clear_error();
        if (!init_context(template_.get())) {
            if (!has_private_part(pkey)) {
                return fail_openssl(errc::private_key_required,
                                    "the key has no private part; signing needs the private key");
            }
            if (EVP_PKEY_is_a(pkey, "RSA-PSS")) {
                return fail_openssl(errc::key_algorithm_mismatch,
                                    "this RSA-PSS key is restricted to other PSS parameters than " +
                                        std::string(spec_.alg) +
                                        " (MGF1 and a salt as long as the hash, RFC 7518 section 3.5); use a plain "
                                        "RSA key (generate one with: " +
                                        std::string(spec_.keygen_cmd) + ")");
            }
            return fail_openssl(errc::signing_failed,
                                std::string("cannot initialise ") + std::string(spec_.alg) + " signing with this key");
        }
        // RSA: the modulus size; ECDSA: the largest DER signature.
        const auto max = static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        der_max_ = max;
        sig_size_ = spec_.raw_half != 0 ? 2 * spec_.raw_half : max;
        // OpenSSL's own providers copy a prepared context; another provider may not (then each
        // token initialises its own).
        const md_ctx_ptr probe{EVP_MD_CTX_new()};
        copyable_ = probe && EVP_MD_CTX_copy_ex(probe.get(), template_.get()) == 1;
        ERR_clear_error();
        if (lock.owns_lock()) lock.unlock();  // sign_to takes it again
        return self_test();
    }

    /// EVP_DigestSignInit_ex for spec_ with the key, in the key's library context, under query_.
    [[nodiscard]] bool init_context(EVP_MD_CTX* ctx) const {
        std::array<OSSL_PARAM, 4> params{};
        return EVP_DigestSignInit_ex(ctx, nullptr, spec_.digest, key_.context().library_context, query_or_null(query_),
                                     key_.native_handle(), signature_params(spec_, params)) == 1;
    }

    /// One signature and its verification at construction: a damaged key fails here, not at the vendor.
    [[nodiscard]] status self_test() const {
        std::string sig(sig_size_, '\0');
        auto n = sign_to(self_test_input, reinterpret_cast<unsigned char*>(sig.data()));
        if (!n) return std::move(n).error();
        sig.resize(*n);
        const auto* to_check = reinterpret_cast<const unsigned char*>(sig.data());
        std::size_t check_len = sig.size();
        std::array<unsigned char, max_ecdsa_der_size> der{};
        if (spec_.raw_half != 0) {
            check_len = ecdsa_raw_to_der(to_check, spec_.raw_half, der.data());
            to_check = der.data();
        }
        md_ctx_ptr vctx{EVP_MD_CTX_new()};
        std::array<OSSL_PARAM, 4> params{};
        if (!vctx ||
            EVP_DigestVerifyInit_ex(vctx.get(), nullptr, spec_.digest, key_.context().library_context,
                                    query_or_null(key_.context().property_query), key_.native_handle(),
                                    signature_params(spec_, params)) != 1 ||
            EVP_DigestVerify(vctx.get(), to_check, check_len,
                             reinterpret_cast<const unsigned char*>(self_test_input.data()),
                             self_test_input.size()) != 1) {
            return fail_openssl(errc::invalid_key,
                                "the key failed its self-test (a signature made with it does not verify with its "
                                "own public half); the key file is damaged");
        }
        return {};
    }

    private_key key_;
    pkey_alg_spec spec_;
    md_ctx_ptr template_;
    std::string query_;       // the property query signing fetches with (signing_query)
    bool serialize_ = false;  // a provider key, used under foreign_provider_mutex()
    bool copyable_ = true;    // template_ can be copied per token
    std::size_t der_max_ = 0;
    std::size_t sig_size_ = 0;
};

/// The factories and sign() shared by the EVP_PKEY signers; Derived supplies `spec`. The signers
/// are immutable after construction; copies share the key; sign() may run on many threads at once.
template <class Derived>
class pkey_signer {
public:
    /// A signer over a PEM private key (PKCS#8 plain or encrypted, PKCS#1 RSA, SEC1 EC), checked
    /// to fit the algorithm and self-tested. Errors: invalid_key, key_algorithm_mismatch,
    /// weak_key, private_key_required, passphrase_required, bad_passphrase.
    [[nodiscard]] static result<Derived> try_from_pem(std::string_view pem, std::string_view passphrase = {}) {
        auto key = private_key::try_from_pem(pem, passphrase);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem, throwing jwt::error.
    [[nodiscard]] static Derived from_pem(std::string_view pem, std::string_view passphrase = {}) {
        return try_from_pem(pem, passphrase).value();
    }
    /// As try_from_pem, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_pem(std::string_view pem, std::string_view passphrase,
                                                         std::error_code& ec) {
        return to_optional(try_from_pem(pem, passphrase), ec);
    }

    /// A signer over the private key a URI names through OSSL_STORE (a file, tpm2-openssl's
    /// "handle:0x81000001", a PKCS#11 provider's "pkcs11:..."; see private_key::try_from_uri),
    /// loaded and used in ctx. A provider's key signs inside its provider and never leaves it.
    /// Errors: those of private_key::try_from_uri and try_from_key.
    /// Needs <jwtmint/key_uri.hpp> (the umbrella header includes it).
    template <class Loader = uri_loader>
    [[nodiscard]] static result<Derived> try_from_uri(std::string_view uri, std::string_view passphrase = {},
                                                      const openssl_context& ctx = {}) {
        auto key = private_key::try_from_uri<Loader>(uri, passphrase, ctx);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_uri, throwing jwt::error.
    template <class Loader = uri_loader>
    [[nodiscard]] static Derived from_uri(std::string_view uri, std::string_view passphrase = {},
                                          const openssl_context& ctx = {}) {
        return try_from_uri<Loader>(uri, passphrase, ctx).value();
    }
    /// As try_from_uri, reporting only the code.
    template <class Loader = uri_loader>
    [[nodiscard]] static std::optional<Derived> from_uri(std::string_view uri, std::string_view passphrase,
                                                         const openssl_context& ctx, std::error_code& ec) {
        return to_optional(try_from_uri<Loader>(uri, passphrase, ctx), ec);
    }

    /// A signer over a PEM private key file. Errors: key_file_error, or any error of try_from_pem.
    [[nodiscard]] static result<Derived> try_from_pem_file(const file_path& path, std::string_view passphrase = {}) {
        auto key = private_key::try_from_pem_file(path, passphrase);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem_file, throwing jwt::error.
    [[nodiscard]] static Derived from_pem_file(const file_path& path, std::string_view passphrase = {}) {
        return try_from_pem_file(path, passphrase).value();
    }
    /// As try_from_pem_file, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_pem_file(const file_path& path, std::string_view passphrase,
                                                              std::error_code& ec) {
        return to_optional(try_from_pem_file(path, passphrase), ec);
    }

    /// A signer over a key the host already holds: takes a new reference (the caller keeps its
    /// own). Errors: invalid_key (null), private_key_required, or any key check of try_from_key.
    [[nodiscard]] static result<Derived> try_from_evp_pkey(EVP_PKEY* key) {
        auto owned = private_key::try_from_evp_pkey(key);
        if (!owned) return std::move(owned).error();
        return try_from_key(*owned);
    }
    /// As try_from_evp_pkey, throwing jwt::error.
    [[nodiscard]] static Derived from_evp_pkey(EVP_PKEY* key) { return try_from_evp_pkey(key).value(); }
    /// As try_from_evp_pkey, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return to_optional(try_from_evp_pkey(key), ec);
    }

    /// A signer over a key loaded with jwt::private_key (copies share it). Errors:
    /// key_algorithm_mismatch, weak_key, private_key_required, invalid_key (a failed self-test).
    [[nodiscard]] static result<Derived> try_from_key(const private_key& key) {
        auto state = pkey_signer_state::create(key, Derived::spec);
        if (!state) return std::move(state).error();
        Derived d;
        d.state_ = std::move(*state);
        return d;
    }
    /// As try_from_key, throwing jwt::error.
    [[nodiscard]] static Derived from_key(const private_key& key) { return try_from_key(key).value(); }
    /// As try_from_key, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_key(const private_key& key, std::error_code& ec) {
        return to_optional(try_from_key(key), ec);
    }

    /// A signer over a private JSON Web Key (RFC 7517) of the algorithm's type. Needs
    /// <jwtmint/jwk.hpp>, which defines the loader. Errors: invalid_jwk, or any of try_from_key.
    template <class Loader = jwk_loader>
    [[nodiscard]] static result<Derived> try_from_jwk(std::string_view jwk) {
        return Loader::template signer_from<Derived>(jwk);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = jwk_loader>
    [[nodiscard]] static Derived from_jwk(std::string_view jwk) {
        return try_from_jwk<Loader>(jwk).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = jwk_loader>
    [[nodiscard]] static std::optional<Derived> from_jwk(std::string_view jwk, std::error_code& ec) {
        return to_optional(try_from_jwk<Loader>(jwk), ec);
    }

    /// The raw JWS signature of signing_input (RSA: modulus-sized; ECDSA: R||S). Thread-safe.
    /// Error: signing_failed (with OpenSSL's reason).
    [[nodiscard]] result<std::string> try_sign(std::string_view signing_input) const {
        std::string sig(state_->signature_size(), '\0');
        auto n = state_->sign_to(signing_input, reinterpret_cast<unsigned char*>(sig.data()));
        if (!n) return std::move(n).error();
        sig.resize(*n);
        return sig;
    }
    /// As try_sign, throwing jwt::error.
    [[nodiscard]] std::string sign(std::string_view signing_input) const { return try_sign(signing_input).value(); }
    /// As try_sign, reporting only the code (the signature is then empty).
    [[nodiscard]] std::string sign(std::string_view signing_input, std::error_code& ec) const {
        auto sig = try_sign(signing_input);
        ec = sig.error_code();
        return sig ? std::move(*sig) : std::string();
    }

    /// Signs into out, which holds at least signature_size() octets; returns the octets written.
    /// No allocation besides OpenSSL's own. Thread-safe. Error: signing_failed.
    [[nodiscard]] result<std::size_t> try_sign_to(std::string_view signing_input, unsigned char* out) const {
        return state_->sign_to(signing_input, out);
    }
    /// As try_sign_to, throwing jwt::error.
    std::size_t sign_to(std::string_view signing_input, unsigned char* out) const {
        return try_sign_to(signing_input, out).value();
    }
    /// As try_sign_to, reporting only the code (0 octets written on failure).
    std::size_t sign_to(std::string_view signing_input, unsigned char* out, std::error_code& ec) const {
        const auto n = try_sign_to(signing_input, out);
        ec = n.error_code();
        return n ? *n : 0;
    }
    /// The (maximum) length of a signature in octets.
    [[nodiscard]] std::size_t signature_size() const noexcept { return state_->signature_size(); }

    /// The SPKI PEM of the public half: what the admin pastes into the vendor's settings.
    [[nodiscard]] std::string public_key_pem() const { return state_->key().public_key_pem(); }
    /// The private key the signer holds (copies of the signer share it).
    [[nodiscard]] const private_key& key() const noexcept { return state_->key(); }

protected:
    pkey_signer() = default;

private:
    detail::shared_const<detail::pkey_signer_state> state_;
};

}  // namespace detail

// Each EVP_PKEY signer below is a table entry: its JOSE name and a pkey_alg_spec.
/// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), RSA keys of 2048 bits or more.
class rs256 : public detail::pkey_signer<rs256> {
public:
    static constexpr std::string_view alg = "RS256";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA256", "RSA", {}, 2048, 0, "jwtmint keygen rs256", detail::pkey_scheme::rsa_pkcs1, "an RSA"};

private:
    friend class detail::pkey_signer<rs256>;
    rs256() = default;
};

/// RS384: RSASSA-PKCS1-v1_5 with SHA-384 (RFC 7518 §3.3), RSA keys of 2048 bits or more.
class rs384 : public detail::pkey_signer<rs384> {
public:
    static constexpr std::string_view alg = "RS384";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA384", "RSA", {}, 2048, 0, "jwtmint keygen rs384", detail::pkey_scheme::rsa_pkcs1, "an RSA"};

private:
    friend class detail::pkey_signer<rs384>;
    rs384() = default;
};

/// RS512: RSASSA-PKCS1-v1_5 with SHA-512 (RFC 7518 §3.3), RSA keys of 2048 bits or more.
class rs512 : public detail::pkey_signer<rs512> {
public:
    static constexpr std::string_view alg = "RS512";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA512", "RSA", {}, 2048, 0, "jwtmint keygen rs512", detail::pkey_scheme::rsa_pkcs1, "an RSA"};

private:
    friend class detail::pkey_signer<rs512>;
    rs512() = default;
};

/// PS256: RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-octet salt (RFC 7518 §3.5), RSA
/// keys of 2048 bits or more. Takes plain RSA keys; an RSA-PSS-typed key (id-RSASSA-PSS) is taken
/// only when its own restrictions allow these parameters, else key_algorithm_mismatch.
class ps256 : public detail::pkey_signer<ps256> {
public:
    static constexpr std::string_view alg = "PS256";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA256", "RSA", {}, 2048, 0, "jwtmint keygen ps256", detail::pkey_scheme::rsa_pss, "an RSA"};

private:
    friend class detail::pkey_signer<ps256>;
    ps256() = default;
};

/// PS384: RSASSA-PSS with SHA-384, MGF1 with SHA-384 and a 48-octet salt (RFC 7518 §3.5); as ps256.
class ps384 : public detail::pkey_signer<ps384> {
public:
    static constexpr std::string_view alg = "PS384";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA384", "RSA", {}, 2048, 0, "jwtmint keygen ps384", detail::pkey_scheme::rsa_pss, "an RSA"};

private:
    friend class detail::pkey_signer<ps384>;
    ps384() = default;
};

/// PS512: RSASSA-PSS with SHA-512, MGF1 with SHA-512 and a 64-octet salt (RFC 7518 §3.5); as ps256.
class ps512 : public detail::pkey_signer<ps512> {
public:
    static constexpr std::string_view alg = "PS512";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA512", "RSA", {}, 2048, 0, "jwtmint keygen ps512", detail::pkey_scheme::rsa_pss, "an RSA"};

private:
    friend class detail::pkey_signer<ps512>;
    ps512() = default;
};

/// ES256: ECDSA on P-256 with SHA-256, signatures as 64-octet R||S (RFC 7518 §3.4).
class es256 : public detail::pkey_signer<es256> {
public:
    static constexpr std::string_view alg = "ES256";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA256", "EC", "P-256", 0, 32, "jwtmint keygen es256", detail::pkey_scheme::ecdsa, "an EC P-256"};

private:
    friend class detail::pkey_signer<es256>;
    es256() = default;
};

/// ES384: ECDSA on P-384 with SHA-384, signatures as 96-octet R||S (RFC 7518 §3.4).
class es384 : public detail::pkey_signer<es384> {
public:
    static constexpr std::string_view alg = "ES384";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA384", "EC", "P-384", 0, 48, "jwtmint keygen es384", detail::pkey_scheme::ecdsa, "an EC P-384"};

private:
    friend class detail::pkey_signer<es384>;
    es384() = default;
};

/// ES512: ECDSA on P-521 (not P-512) with SHA-512, signatures as 132-octet R||S (RFC 7518 §3.4).
class es512 : public detail::pkey_signer<es512> {
public:
    static constexpr std::string_view alg = "ES512";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, "SHA512", "EC", "P-521", 0, 66, "jwtmint keygen es512", detail::pkey_scheme::ecdsa, "an EC P-521"};

private:
    friend class detail::pkey_signer<es512>;
    es512() = default;
};

/// EdDSA with Ed25519 (RFC 8037 §3.1): PureEdDSA over the signing input itself (no pre-hash),
/// 64-octet signatures. JOSE names it "EdDSA" whatever the curve; this signer takes Ed25519 keys only.
class eddsa : public detail::pkey_signer<eddsa> {
public:
    static constexpr std::string_view alg = "EdDSA";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::pkey_alg_spec spec{
        alg, nullptr, "ED25519", {}, 0, 0, "jwtmint keygen eddsa", detail::pkey_scheme::eddsa, "an Ed25519"};

private:
    friend class detail::pkey_signer<eddsa>;
    eddsa() = default;
};

namespace detail {
/// A number fixed for each thread's life, handed out in order: where the thread starts looking
/// in a context pool, so that concurrent threads mostly use different slots.
inline std::size_t thread_pool_hint() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t hint = next.fetch_add(1, std::memory_order_relaxed);
    return hint;
}

/// "HS384" -> "hs384", as the jwtmint keygen command spells it.
inline std::string lower_alg(std::string_view alg) {
    std::string out(alg);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

class hmac_state {
    struct make_tag {};  // only create() makes one

public:
    hmac_state(make_tag /*unused*/, std::string_view secret, std::size_t mac_len)
        : secret_(to_secure_bytes(secret)), mac_len_(mac_len) {}

    /// The keyed state for secret, or why secret cannot be an alg secret.
    [[nodiscard]] static result<shared_const<hmac_state>> create(std::string_view secret, const char* digest,
                                                                 std::size_t min_len, std::size_t mac_len,
                                                                 std::string_view alg) {
        const std::string material = key_material_in_secret(secret);
        if (!material.empty()) {
            return fail(errc::key_algorithm_mismatch,
                        std::string(alg) + " needs a random shared secret, but this is " + material +
                            "; for a key pair use RS256 or ES256 (a public key must never be used as an HMAC "
                            "secret: whoever has the public key could sign)");
        }
        if (secret.size() < min_len) {
            return fail(errc::weak_key, std::string(alg) + " secret has " + std::to_string(secret.size()) + " bytes; " +
                                            std::string(alg) + " needs at least " + std::to_string(min_len) +
                                            " (RFC 7518 section 3.2; generate one with: " + "jwtmint keygen " +
                                            lower_alg(alg) + ")");
        }
        auto state = shared_const<hmac_state>::make(make_tag{}, secret, mac_len);
        if (auto ok = state.unshared().init(digest); !ok) return std::move(ok).error();
        return state;
    }

    hmac_state(const hmac_state&) = delete;
    hmac_state& operator=(const hmac_state&) = delete;
    ~hmac_state() {
        for (auto& slot : pool_) EVP_MAC_CTX_free(slot.ctx.exchange(nullptr, std::memory_order_acquire));
    }

    /// Writes the MAC of input to out (signature_size() octets); returns its length, or signing_failed.
    [[nodiscard]] result<std::size_t> sign_to(std::string_view input, unsigned char* out) const {
        mac_ctx_ptr ctx = acquire();
        std::size_t len = 0;
        if (!ctx ||
            EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
            EVP_MAC_final(ctx.get(), out, &len, mac_len_) != 1 || len != mac_len_) {
            return fail_openssl(errc::signing_failed, "HMAC computation failed");
        }
        release(std::move(ctx));
        return len;
    }
    [[nodiscard]] std::size_t signature_size() const noexcept { return mac_len_; }
    [[nodiscard]] const secure_bytes& secret() const noexcept { return secret_; }

private:
    [[nodiscard]] status init(const char* digest) {
        mac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
        if (!mac_) return fail_openssl(errc::openssl_error, "EVP_MAC_fetch(HMAC) failed");
        template_.reset(EVP_MAC_CTX_new(mac_.get()));
        if (!template_) return fail_openssl(errc::openssl_error, "EVP_MAC_CTX_new failed");
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(template_.get(), secret_.data(), secret_.size(), params) != 1) {
            return fail_openssl(errc::openssl_error, "EVP_MAC_init(HMAC) failed");
        }
        return {};
    }

    // A keyed context costs about ten allocations to duplicate, while re-initialising a used one
    // with EVP_MAC_init(ctx, NULL, 0, NULL) keeps the key and costs one: so used contexts go back
    // to a small lock-free pool. Each slot has its own cache line, and each thread starts its
    // search at the slot its hint names, so threads signing at once keep to their own slots and
    // their contexts stay in their own cores' caches; a slot shared on one line by two threads
    // cost HS256 a third of its two-thread throughput. When every slot is busy, sign_to
    // duplicates the template and frees the extra afterwards.
    mac_ctx_ptr acquire() const {
        const std::size_t start = thread_pool_hint();
        for (std::size_t i = 0; i < pool_size; ++i) {
            auto& slot = pool_[(start + i) % pool_size].ctx;
            if (slot.load(std::memory_order_relaxed) == nullptr) continue;
            if (EVP_MAC_CTX* ctx = slot.exchange(nullptr, std::memory_order_acquire)) {
                if (EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1) return mac_ctx_ptr{ctx};
                EVP_MAC_CTX_free(ctx);
                ERR_clear_error();
            }
        }
        return mac_ctx_ptr{EVP_MAC_CTX_dup(template_.get())};
    }
    void release(mac_ctx_ptr ctx) const noexcept {
        const std::size_t start = thread_pool_hint();
        for (std::size_t i = 0; i < pool_size; ++i) {
            EVP_MAC_CTX* expected = nullptr;
            if (pool_[(start + i) % pool_size].ctx.compare_exchange_strong(
                    expected, ctx.get(), std::memory_order_release, std::memory_order_relaxed)) {
                (void)ctx.release();
                return;
            }
        }
    }

    static constexpr std::size_t pool_size = 8;
    struct alignas(64) pool_slot {
        std::atomic<EVP_MAC_CTX*> ctx{nullptr};
    };

    secure_bytes secret_;
    std::size_t mac_len_;
    mac_ptr mac_;
    mac_ctx_ptr template_;
    mutable std::array<pool_slot, pool_size> pool_{};
};
}  // namespace detail

namespace detail {
/// What is fixed per HMAC algorithm: the MAC is as long as the hash, and so is the shortest
/// secret RFC 7518 §3.2 allows.
struct hmac_alg_spec {
    std::string_view alg;  // JOSE name
    const char* digest;    // OpenSSL digest name
    std::size_t size;      // MAC octets = minimum secret octets
};

/// The factories and sign() shared by the HMAC signers; Derived supplies `spec`.
/// The secret is wiped from memory when the last copy of the signer is destroyed. The signers are
/// immutable after construction; sign() may run on many threads at once.
template <class Derived>
class hmac_signer {
public:
    /// A signer keyed with secret's exact bytes. Errors: weak_key (shorter than the hash),
    /// key_algorithm_mismatch (key material: PEM text, a DER key, a PEM body).
    [[nodiscard]] static result<Derived> try_from_secret(std::string_view secret) {
        auto state = hmac_state::create(secret, Derived::spec.digest, Derived::spec.size, Derived::spec.size,
                                        Derived::spec.alg);
        if (!state) return std::move(state).error();
        Derived d;
        d.state_ = std::move(*state);
        return d;
    }
    /// As try_from_secret, throwing jwt::error.
    [[nodiscard]] static Derived from_secret(std::string_view secret) { return try_from_secret(secret).value(); }
    /// As try_from_secret, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_secret(std::string_view secret, std::error_code& ec) {
        return to_optional(try_from_secret(secret), ec);
    }

    /// A signer keyed with the file's exact bytes (a trailing newline counts). Errors:
    /// key_file_error, or any error of try_from_secret.
    [[nodiscard]] static result<Derived> try_from_secret_file(const file_path& path) {
        auto bytes = read_file(path, "secret file");
        if (!bytes) return std::move(bytes).error();
        const wipe_on_exit wipe(*bytes);
        return try_from_secret(*bytes);
    }
    /// As try_from_secret_file, throwing jwt::error.
    [[nodiscard]] static Derived from_secret_file(const file_path& path) { return try_from_secret_file(path).value(); }
    /// As try_from_secret_file, reporting only the code.
    [[nodiscard]] static std::optional<Derived> from_secret_file(const file_path& path, std::error_code& ec) {
        return to_optional(try_from_secret_file(path), ec);
    }

    /// A signer keyed with an "oct" JSON Web Key (RFC 7517). Needs <jwtmint/jwk.hpp>, which
    /// defines the loader. Errors: invalid_jwk, or any of try_from_secret.
    template <class Loader = jwk_loader>
    [[nodiscard]] static result<Derived> try_from_jwk(std::string_view jwk) {
        return Loader::template signer_from<Derived>(jwk);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = jwk_loader>
    [[nodiscard]] static Derived from_jwk(std::string_view jwk) {
        return try_from_jwk<Loader>(jwk).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = jwk_loader>
    [[nodiscard]] static std::optional<Derived> from_jwk(std::string_view jwk, std::error_code& ec) {
        return to_optional(try_from_jwk<Loader>(jwk), ec);
    }

    /// The full HMAC of signing_input (as long as the hash). Thread-safe. Error: signing_failed.
    [[nodiscard]] result<std::string> try_sign(std::string_view signing_input) const {
        std::string sig(state_->signature_size(), '\0');
        auto n = state_->sign_to(signing_input, reinterpret_cast<unsigned char*>(sig.data()));
        if (!n) return std::move(n).error();
        return sig;
    }
    /// As try_sign, throwing jwt::error.
    [[nodiscard]] std::string sign(std::string_view signing_input) const { return try_sign(signing_input).value(); }
    /// As try_sign, reporting only the code (the signature is then empty).
    [[nodiscard]] std::string sign(std::string_view signing_input, std::error_code& ec) const {
        auto sig = try_sign(signing_input);
        ec = sig.error_code();
        return sig ? std::move(*sig) : std::string();
    }

    /// Writes the HMAC to out (signature_size() octets); returns its length. No allocation
    /// (contexts are pooled). Thread-safe. Error: signing_failed.
    [[nodiscard]] result<std::size_t> try_sign_to(std::string_view signing_input, unsigned char* out) const {
        return state_->sign_to(signing_input, out);
    }
    /// As try_sign_to, throwing jwt::error.
    std::size_t sign_to(std::string_view signing_input, unsigned char* out) const {
        return try_sign_to(signing_input, out).value();
    }
    /// As try_sign_to, reporting only the code (0 octets written on failure).
    std::size_t sign_to(std::string_view signing_input, unsigned char* out, std::error_code& ec) const {
        const auto n = try_sign_to(signing_input, out);
        ec = n.error_code();
        return n ? *n : 0;
    }
    /// The length of a signature in octets: the hash's (32, 48 or 64).
    [[nodiscard]] std::size_t signature_size() const noexcept { return state_->signature_size(); }

    /// Whether other_secret is this signer's secret (constant-time comparison).
    [[nodiscard]] bool matches_secret(std::string_view other_secret) const noexcept {
        const auto& s = state_->secret();
        return s.size() == other_secret.size() && CRYPTO_memcmp(s.data(), other_secret.data(), s.size()) == 0;
    }

protected:
    hmac_signer() = default;

private:
    detail::shared_const<detail::hmac_state> state_;
};
}  // namespace detail

/// HS256: HMAC with SHA-256 (RFC 7518 §3.2), a shared secret of at least 32 bytes.
class hs256 : public detail::hmac_signer<hs256> {
public:
    static constexpr std::string_view alg = "HS256";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::hmac_alg_spec spec{alg, "SHA256", 32};

private:
    friend class detail::hmac_signer<hs256>;
    hs256() = default;
};

/// HS384: HMAC with SHA-384 (RFC 7518 §3.2), a shared secret of at least 48 bytes.
class hs384 : public detail::hmac_signer<hs384> {
public:
    static constexpr std::string_view alg = "HS384";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::hmac_alg_spec spec{alg, "SHA384", 48};

private:
    friend class detail::hmac_signer<hs384>;
    hs384() = default;
};

/// HS512: HMAC with SHA-512 (RFC 7518 §3.2), a shared secret of at least 64 bytes.
class hs512 : public detail::hmac_signer<hs512> {
public:
    static constexpr std::string_view alg = "HS512";  ///< The JOSE name, the "alg" of the tokens it signs.
    /// The algorithm's parameters (digest, key type, sizes), read by the base class.
    static constexpr detail::hmac_alg_spec spec{alg, "SHA512", 64};

private:
    friend class detail::hmac_signer<hs512>;
    hs512() = default;
};

/// Whether Algorithm is one of the HMAC signers (hs256, hs384, hs512): a shared secret, no key pair.
template <class Algorithm>
inline constexpr bool is_hmac_algorithm_v = std::is_base_of_v<detail::hmac_signer<Algorithm>, Algorithm>;
/// Whether Algorithm signs with an EVP_PKEY (RS*, PS*, ES*, EdDSA): a key pair.
template <class Algorithm>
inline constexpr bool is_pkey_algorithm_v = std::is_base_of_v<detail::pkey_signer<Algorithm>, Algorithm>;

/// Names one of the algorithm types, so that a generic lambda can be called for each.
template <class Algorithm>
struct algorithm_tag {
    using type = Algorithm;  ///< The algorithm's type (jwt::rs256, ...).
};

/// A list of algorithm types.
template <class... Algorithms>
struct algorithm_list {
    static constexpr std::size_t size = sizeof...(Algorithms);  ///< How many types the list holds.
};

/// Every JOSE signature algorithm jwtmint signs and verifies (none: never), RS256 (the one the
/// widget recommends) first; a tool that lists them (the CLI's --help) keeps this order.
using all_algorithms =
    algorithm_list<rs256, rs384, rs512, ps256, ps384, ps512, es256, es384, es512, eddsa, hs256, hs384, hs512>;

namespace detail {
template <class F, class... Algorithms>
bool with_algorithm_in(algorithm_list<Algorithms...>, std::string_view name, F& f) {
    return ((name == Algorithms::alg ? (f(algorithm_tag<Algorithms>{}), true) : false) || ...);
}
}  // namespace detail

/// For an algorithm chosen at run time (from configuration, a JWK's "alg"): calls
/// f(jwt::algorithm_tag<Alg>{}) for the type whose JOSE name is exactly name ("ES384", "EdDSA")
/// and returns true, or returns false when no algorithm has that name. f is a generic lambda;
/// inside it, the member `type` of its argument's type (decltype(tag)) names the algorithm.
template <class F>
bool with_algorithm(std::string_view name, F&& f) {
    return detail::with_algorithm_in(all_algorithms{}, name, f);
}

namespace detail {
template <class Algorithm>
bool key_fits_spec(const key_info& key) noexcept {
    if constexpr (is_pkey_algorithm_v<Algorithm>) {
        const pkey_alg_spec& spec = Algorithm::spec;
        return key.type == spec.key_type && (spec.curve.empty() || key.curve == spec.curve);
    } else {
        return false;  // an HMAC algorithm: a secret, no key_info
    }
}
template <class... Algorithms>
std::string_view default_algorithm_in(algorithm_list<Algorithms...>, const key_info& key) noexcept {
    std::string_view found;
    const auto take = [&](bool fits, std::string_view alg) {
        if (fits && found.empty()) found = alg;  // the first that fits, in all_algorithms' order
    };
    (take(key_fits_spec<Algorithms>(key), Algorithms::alg), ...);
    return found;
}
}  // namespace detail

/// The algorithm a key signs with when none is named, as jwtmint's tools choose it: the first of
/// all_algorithms whose key type (and, for EC, curve) the key has, so RS256 for an RSA key (the
/// widget's recommendation), ES256, ES384 or ES512 for an EC key on P-256, P-384 or P-521 (the
/// curve fixes it), EdDSA for Ed25519, and PS256 for a key typed RSA-PSS (id-RSASSA-PSS, which
/// only the PS* algorithms may use). Empty for a key no jwtmint signer takes (secp256k1, Ed448,
/// DSA, ...). An HMAC secret is not a key_info: it signs HS256 by default.
[[nodiscard]] inline std::string_view default_algorithm(const key_info& key) noexcept {
    if (key.type == "RSA-PSS") return ps256::alg;
    return detail::default_algorithm_in(all_algorithms{}, key);
}

}  // namespace v1
}  // namespace jwt
