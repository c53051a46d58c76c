// SPDX-License-Identifier: MIT
// Signer policies rs256, es256, hs256: a key parsed and checked once, const thread-safe sign().
#pragma once

#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jwt {

namespace detail {

inline constexpr std::string_view self_test_input = "jwtmint key self-test";

/// Converts a DER ECDSA-Sig-Value to the fixed-width R||S form JWS uses (RFC 7518 §3.4).
/// Returns false on anything but a well-formed SEQUENCE of two INTEGERs that fit.
inline bool ecdsa_der_to_raw(const unsigned char* der, std::size_t der_len, unsigned char* out,
                             std::size_t half) noexcept {
    std::size_t pos = 0;
    auto read_len = [&](std::size_t& len) {
        if (pos >= der_len) return false;
        const unsigned char b = der[pos++];
        if (b < 0x80) {
            len = b;
            return true;
        }
        if (b != 0x81 || pos >= der_len) return false;  // ECDSA signatures up to P-521 need at most one length octet
        len = der[pos++];
        return len >= 0x80;
    };
    std::size_t seq_len = 0;
    if (der_len < 2 || der[pos++] != 0x30 || !read_len(seq_len) || pos + seq_len != der_len) return false;
    for (int i = 0; i < 2; ++i) {
        std::size_t n = 0;
        if (pos >= der_len || der[pos++] != 0x02 || !read_len(n) || n == 0 || pos + n > der_len) return false;
        const unsigned char* v = der + pos;
        pos += n;
        while (n > 0 && *v == 0) {
            ++v;
            --n;
        }
        if (n > half) return false;
        unsigned char* dst = out + static_cast<std::size_t>(i) * half;
        std::memset(dst, 0, half - n);
        std::memcpy(dst + (half - n), v, n);
    }
    return pos == der_len;
}

/// What is fixed per algorithm for a signer over an EVP_PKEY.
struct pkey_alg_spec {
    std::string_view alg;        // JOSE name
    const char* digest;          // OpenSSL digest name
    const char* key_type;        // EVP_PKEY_is_a name
    std::string_view curve;      // required JOSE curve, or empty
    int min_bits;                // minimum key size, or 0
    std::size_t raw_half;        // ECDSA: octets per coordinate; 0 for RSA
    std::string_view keygen_cmd;  // how to make a fitting key
};

/// The immutable, shared state of an EVP_PKEY signer: the key and a digest-sign context
/// already through EVP_DigestSignInit_ex, copied per token (never mutated after construction).
class pkey_signer_state {
public:
    pkey_signer_state(private_key key, const pkey_alg_spec& spec) : key_(std::move(key)), spec_(spec) {
        EVP_PKEY* pkey = key_.native_handle();
        const key_info info = key_.info();
        if (!EVP_PKEY_is_a(pkey, spec.key_type)) {
            fail(errc::key_algorithm_mismatch,
                 std::string(spec.alg) + " needs " + (spec.curve.empty() ? "an RSA" : "an EC " + std::string(spec.curve)) +
                     " key, but this is " + (info.type == "EC" ? "an EC " + info.curve : info.type == "RSA" ? "an RSA" : "a " + info.type) +
                     " key (generate one with: " + std::string(spec.keygen_cmd) + ")");
        }
        if (!spec.curve.empty() && info.curve != spec.curve) {
            fail(errc::key_algorithm_mismatch,
                 std::string(spec.alg) + " needs an EC key on curve " + std::string(spec.curve) + ", but this key is on " +
                     (info.curve.empty() ? "an unnamed or explicit curve" : info.curve) +
                     " (generate one with: " + std::string(spec.keygen_cmd) + ")");
        }
        if (spec.min_bits > 0 && info.bits < spec.min_bits) {
            fail(errc::weak_key, "RSA key has " + std::to_string(info.bits) + " bits; " + std::string(spec.alg) +
                                     " needs at least " + std::to_string(spec.min_bits) +
                                     " (generate one with: " + std::string(spec.keygen_cmd) + ")");
        }
        template_.reset(EVP_MD_CTX_new());
        if (!template_) fail_openssl(errc::openssl_error, "EVP_MD_CTX_new failed");
        ERR_clear_error();
        if (EVP_DigestSignInit_ex(template_.get(), nullptr, spec.digest, nullptr, nullptr, pkey, nullptr) != 1) {
            if (!has_private_part(pkey)) {
                fail_openssl(errc::private_key_required, "the key has no private part; signing needs the private key");
            }
            fail_openssl(errc::signing_failed, std::string("cannot initialise ") + std::string(spec.alg) + " signing with this key");
        }
        // RSA: the modulus size; ECDSA: the largest DER signature.
        const std::size_t max = static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
        der_max_ = max;
        sig_size_ = spec.raw_half != 0 ? 2 * spec.raw_half : max;
        self_test();
    }

    [[nodiscard]] std::size_t signature_size() const noexcept { return sig_size_; }
    [[nodiscard]] const private_key& key() const noexcept { return key_; }

    /// Signs into out (signature_size() octets); returns the octets written.
    std::size_t sign_to(std::string_view input, unsigned char* out) const {
        md_ctx_ptr ctx{EVP_MD_CTX_new()};
        if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) != 1) {
            fail_openssl(errc::signing_failed, std::string(spec_.alg) + ": could not prepare a signing context");
        }
        const auto* in = reinterpret_cast<const unsigned char*>(input.data());
        if (spec_.raw_half == 0) {
            std::size_t len = sig_size_;
            if (EVP_DigestSign(ctx.get(), out, &len, in, input.size()) != 1) {
                fail_openssl(errc::signing_failed, std::string(spec_.alg) + " signing failed");
            }
            return len;
        }
        std::array<unsigned char, 160> der{};  // DER of two 66-octet integers fits in 139
        std::size_t len = std::min(der.size(), der_max_);
        if (EVP_DigestSign(ctx.get(), der.data(), &len, in, input.size()) != 1) {
            fail_openssl(errc::signing_failed, std::string(spec_.alg) + " signing failed");
        }
        if (!ecdsa_der_to_raw(der.data(), len, out, spec_.raw_half)) {
            fail(errc::signing_failed, std::string(spec_.alg) + ": OpenSSL returned a malformed ECDSA signature");
        }
        return sig_size_;
    }

private:
    /// One signature and its verification at construction: a damaged key fails here, not at the vendor.
    void self_test() const {
        std::string sig(sig_size_, '\0');
        const std::size_t n = sign_to(self_test_input, reinterpret_cast<unsigned char*>(sig.data()));
        sig.resize(n);
        const unsigned char* to_check = reinterpret_cast<const unsigned char*>(sig.data());
        std::size_t check_len = sig.size();
        std::array<unsigned char, 160> der_buf{};
        if (spec_.raw_half != 0) {
            check_len = raw_to_der(sig, der_buf.data(), der_buf.size());
            to_check = der_buf.data();
        }
        md_ctx_ptr vctx{EVP_MD_CTX_new()};
        if (!vctx || EVP_DigestVerifyInit_ex(vctx.get(), nullptr, spec_.digest, nullptr, nullptr, key_.native_handle(),
                                             nullptr) != 1 ||
            EVP_DigestVerify(vctx.get(), to_check, check_len,
                             reinterpret_cast<const unsigned char*>(self_test_input.data()), self_test_input.size()) != 1) {
            fail_openssl(errc::invalid_key,
                         "the key failed its self-test (a signature made with it does not verify with its own public "
                         "half); the key file is damaged");
        }
    }

    /// R||S back to DER, only for the self-test (lengths above 127 use the 0x81 long form, P-521).
    std::size_t raw_to_der(std::string_view raw, unsigned char* out, std::size_t cap) const {
        std::array<unsigned char, 160> body{};
        std::size_t len = 0;
        for (int i = 0; i < 2; ++i) {
            const auto* v = reinterpret_cast<const unsigned char*>(raw.data()) + static_cast<std::size_t>(i) * spec_.raw_half;
            std::size_t n = spec_.raw_half;
            while (n > 1 && *v == 0) {
                ++v;
                --n;
            }
            const bool pad = (*v & 0x80) != 0;
            body[len++] = 0x02;
            body[len++] = static_cast<unsigned char>(n + (pad ? 1 : 0));
            if (pad) body[len++] = 0;
            std::memcpy(body.data() + len, v, n);
            len += n;
        }
        const std::size_t header = len < 0x80 ? 2 : 3;
        if (header + len > cap) return 0;
        out[0] = 0x30;
        if (header == 3) out[1] = 0x81;
        out[header - 1] = static_cast<unsigned char>(len);
        std::memcpy(out + header, body.data(), len);
        return header + len;
    }

    private_key key_;
    pkey_alg_spec spec_;
    md_ctx_ptr template_;
    std::size_t der_max_ = 0;
    std::size_t sig_size_ = 0;
};

/// The factories and sign() shared by the EVP_PKEY signers; Derived supplies `spec`.
template <class Derived>
class pkey_signer {
public:
    /// @throws jwt::error invalid_key, key_algorithm_mismatch, weak_key, private_key_required,
    ///         passphrase_required, bad_passphrase
    [[nodiscard]] static Derived from_pem(std::string_view pem, std::string_view passphrase = {}) {
        return from_key(private_key::from_pem(pem, passphrase));
    }
    [[nodiscard]] static std::optional<Derived> from_pem(std::string_view pem, std::string_view passphrase,
                                                         std::error_code& ec) {
        return capture(ec, [&] { return std::optional<Derived>(from_pem(pem, passphrase)); });
    }
    /// @throws jwt::error key_file_error, or any error of from_pem
    [[nodiscard]] static Derived from_pem_file(const std::filesystem::path& path, std::string_view passphrase = {}) {
        return from_key(private_key::from_pem_file(path, passphrase));
    }
    [[nodiscard]] static std::optional<Derived> from_pem_file(const std::filesystem::path& path,
                                                              std::string_view passphrase, std::error_code& ec) {
        return capture(ec, [&] { return std::optional<Derived>(from_pem_file(path, passphrase)); });
    }
    /// Takes a new reference to a key the host already holds (the caller keeps its own).
    [[nodiscard]] static Derived from_evp_pkey(EVP_PKEY* key) { return from_key(private_key::from_evp_pkey(key)); }
    [[nodiscard]] static std::optional<Derived> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return capture(ec, [&] { return std::optional<Derived>(from_evp_pkey(key)); });
    }
    /// From a key loaded with jwt::private_key.
    [[nodiscard]] static Derived from_key(const private_key& key) {
        Derived d;
        d.state_ = std::make_shared<const pkey_signer_state>(key, Derived::spec);
        return d;
    }

    /// The raw JWS signature of signing_input (RSA: modulus-sized; ECDSA: R||S).
    /// Thread-safe. @throws jwt::error signing_failed
    [[nodiscard]] std::string sign(std::string_view signing_input) const {
        std::string sig(state_->signature_size(), '\0');
        sig.resize(state_->sign_to(signing_input, reinterpret_cast<unsigned char*>(sig.data())));
        return sig;
    }
    /// Signs into out, which holds at least signature_size() octets; returns the octets written.
    std::size_t sign_to(std::string_view signing_input, unsigned char* out) const {
        return state_->sign_to(signing_input, out);
    }
    /// The (maximum) length of a signature in octets.
    [[nodiscard]] std::size_t signature_size() const noexcept { return state_->signature_size(); }

    /// The SPKI PEM of the public half: what the admin pastes into the vendor's settings.
    [[nodiscard]] std::string public_key_pem() const { return state_->key().public_key_pem(); }
    /// Whether public_pem belongs to this signer's key (catches the vendor's "key mismatch").
    [[nodiscard]] bool matches_public_key(std::string_view public_pem) const noexcept {
        return key_matches(state_->key(), public_pem);
    }
    [[nodiscard]] const private_key& key() const noexcept { return state_->key(); }

protected:
    pkey_signer() = default;

private:
    std::shared_ptr<const pkey_signer_state> state_;
};

}  // namespace detail

/// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), RSA keys of 2048 bits or more.
/// Immutable after construction; copies share the key; sign() may run on many threads at once.
class rs256 : public detail::pkey_signer<rs256> {
public:
    static constexpr std::string_view alg = "RS256";
    static constexpr detail::pkey_alg_spec spec{alg, "SHA256", "RSA", {}, 2048, 0, "jwtmint keygen rs256"};

private:
    friend class detail::pkey_signer<rs256>;
    rs256() = default;
};

/// ES256: ECDSA on P-256 with SHA-256, signatures as 64-octet R||S (RFC 7518 §3.4).
/// Immutable after construction; copies share the key; sign() may run on many threads at once.
class es256 : public detail::pkey_signer<es256> {
public:
    static constexpr std::string_view alg = "ES256";
    static constexpr detail::pkey_alg_spec spec{alg, "SHA256", "EC", "P-256", 0, 32, "jwtmint keygen es256"};

private:
    friend class detail::pkey_signer<es256>;
    es256() = default;
};

namespace detail {
inline bool looks_like_pem(std::string_view s) {
    return s.find("-----BEGIN") != std::string_view::npos;
}

class hmac_state {
public:
    hmac_state(std::string_view secret, const char* digest, std::size_t min_len, std::size_t mac_len,
               std::string_view alg)
        : secret_(to_secure_bytes(secret)), mac_len_(mac_len) {
        if (looks_like_pem(secret)) {
            fail(errc::key_algorithm_mismatch,
                 std::string(alg) + " needs a random shared secret, but this is PEM key text; for a key pair use "
                                    "RS256 or ES256 (a public key must never be used as an HMAC secret)");
        }
        if (secret.size() < min_len) {
            fail(errc::weak_key, std::string(alg) + " secret has " + std::to_string(secret.size()) + " bytes; " +
                                     std::string(alg) + " needs at least " + std::to_string(min_len) +
                                     " (RFC 7518 section 3.2; generate one with: jwtmint keygen hs256)");
        }
        mac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
        if (!mac_) fail_openssl(errc::openssl_error, "EVP_MAC_fetch(HMAC) failed");
        template_.reset(EVP_MAC_CTX_new(mac_.get()));
        if (!template_) fail_openssl(errc::openssl_error, "EVP_MAC_CTX_new failed");
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(template_.get(), secret_.data(), secret_.size(), params) != 1) {
            fail_openssl(errc::openssl_error, "EVP_MAC_init(HMAC) failed");
        }
    }

    hmac_state(const hmac_state&) = delete;
    hmac_state& operator=(const hmac_state&) = delete;
    ~hmac_state() {
        for (auto& slot : pool_) EVP_MAC_CTX_free(slot.exchange(nullptr, std::memory_order_acquire));
    }

    std::size_t sign_to(std::string_view input, unsigned char* out) const {
        mac_ctx_ptr ctx = acquire();
        std::size_t len = 0;
        if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
            EVP_MAC_final(ctx.get(), out, &len, mac_len_) != 1 || len != mac_len_) {
            fail_openssl(errc::signing_failed, "HMAC computation failed");
        }
        release(std::move(ctx));
        return len;
    }
    [[nodiscard]] std::size_t signature_size() const noexcept { return mac_len_; }
    [[nodiscard]] const secure_bytes& secret() const noexcept { return secret_; }

private:
    // A keyed context costs about ten allocations to duplicate, while re-initialising a used one
    // with EVP_MAC_init(ctx, NULL, 0, NULL) keeps the key and costs one: so used contexts go back
    // to a small lock-free pool, each slot handing one context from thread to thread. When every
    // slot is busy or full, sign_to duplicates the template and frees the extra afterwards.
    mac_ctx_ptr acquire() const {
        for (auto& slot : pool_) {
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
        for (auto& slot : pool_) {
            EVP_MAC_CTX* expected = nullptr;
            if (slot.compare_exchange_strong(expected, ctx.get(), std::memory_order_release,
                                             std::memory_order_relaxed)) {
                (void)ctx.release();
                return;
            }
        }
    }

    secure_bytes secret_;
    std::size_t mac_len_;
    mac_ptr mac_;
    mac_ctx_ptr template_;
    mutable std::array<std::atomic<EVP_MAC_CTX*>, 4> pool_{};
};
}  // namespace detail

/// HS256: HMAC with SHA-256 (RFC 7518 §3.2), a shared secret of at least 32 bytes.
/// The secret is wiped from memory when the last copy of the signer is destroyed.
class hs256 {
public:
    static constexpr std::string_view alg = "HS256";

    /// @throws jwt::error weak_key (under 32 bytes), key_algorithm_mismatch (PEM text)
    [[nodiscard]] static hs256 from_secret(std::string_view secret) { return hs256(secret); }
    [[nodiscard]] static std::optional<hs256> from_secret(std::string_view secret, std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<hs256>(hs256(secret)); });
    }
    /// The secret is the file's exact bytes (a trailing newline counts).
    [[nodiscard]] static hs256 from_secret_file(const std::filesystem::path& path) {
        std::string bytes = detail::read_file(path, "secret file");
        const detail::wipe_on_exit wipe(bytes);
        return hs256(bytes);
    }
    [[nodiscard]] static std::optional<hs256> from_secret_file(const std::filesystem::path& path, std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<hs256>(from_secret_file(path)); });
    }

    /// The 32-octet HMAC of signing_input. Thread-safe. @throws jwt::error signing_failed
    [[nodiscard]] std::string sign(std::string_view signing_input) const {
        std::string sig(state_->signature_size(), '\0');
        state_->sign_to(signing_input, reinterpret_cast<unsigned char*>(sig.data()));
        return sig;
    }
    std::size_t sign_to(std::string_view signing_input, unsigned char* out) const {
        return state_->sign_to(signing_input, out);
    }
    [[nodiscard]] std::size_t signature_size() const noexcept { return state_->signature_size(); }

    /// Whether other_secret is this signer's secret (constant-time comparison).
    [[nodiscard]] bool matches_secret(std::string_view other_secret) const noexcept {
        const auto& s = state_->secret();
        return s.size() == other_secret.size() && CRYPTO_memcmp(s.data(), other_secret.data(), s.size()) == 0;
    }

private:
    explicit hs256(std::string_view secret)
        : state_(std::make_shared<const detail::hmac_state>(secret, "SHA256", 32, 32, alg)) {}
    std::shared_ptr<const detail::hmac_state> state_;
};

}  // namespace jwt
