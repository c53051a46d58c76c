// SPDX-License-Identifier: MIT
/// @file
/// Private and public keys: load (PEM, files, URIs through OSSL_STORE, JWK, EVP_PKEY*), inspect, export,
/// generate, check a pair.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/detail/ecdsa.hpp>
#include <jwtmint/detail/key_checks.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/pem.hpp>
#include <jwtmint/detail/provider.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/file_path.hpp>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jwt {
inline namespace v1 {

namespace detail {

/// Reads a whole file of at most max_key_text_size octets (a larger one is key_file_error);
/// key_file_error names the path and the reason. The file may hold a secret, so every buffer its
/// bytes pass through is ours and is wiped: the stream's buffer, the read chunk, and each shorter
/// string left behind when the result grows (growing a string by reallocation would release
/// copies unwiped).
inline result<std::string> read_file(const file_path& path, const char* what) {
    std::array<char, 4096> stream_buf{};
    std::array<char, 4096> chunk{};
    std::string text;
    // Wipes the buffers on every way out, an exception from an allocation included; the text
    // itself only when it is not handed out (then only the moved-from shell is left to wipe).
    struct wiper {
        std::array<char, 4096>& stream_buf;
        std::array<char, 4096>& chunk;
        std::string& text;
        ~wiper() {
            OPENSSL_cleanse(stream_buf.data(), stream_buf.size());
            OPENSSL_cleanse(chunk.data(), chunk.size());
            OPENSSL_cleanse(text.data(), text.capacity());
        }
    };
    const wiper wipe{stream_buf, chunk, text};
    const std::string& name = path.string();
    const file_read read = read_file_into(path, max_key_text_size, stream_buf.data(), stream_buf.size(), chunk.data(),
                                          chunk.size(), text, [](std::string& t, std::size_t n) {
                                              if (t.size() + n <= t.capacity()) return;
                                              std::string bigger;
                                              bigger.reserve(t.size() + n > 2 * t.capacity() ? t.size() + n
                                                                                             : 2 * t.capacity());
                                              bigger.append(t);
                                              OPENSSL_cleanse(t.data(), t.size());
                                              t.swap(bigger);
                                          });
    if (!read.opened) {
        return fail(errc::key_file_error,
                    std::string("cannot read ") + what + " '" + name + "': " + file_error_text(read.error));
    }
    if (text.size() > max_key_text_size) {
        const std::string limit = std::to_string(max_key_text_size);
        return fail(errc::key_file_error, std::string(what) + " '" + name + "' is over " + limit +
                                              " octets; a key or secret file is at most " + limit +
                                              " (jwt::max_key_text_size): is it the right file?");
    }
    if (read.error != 0) {
        return fail(errc::key_file_error,
                    std::string("error while reading ") + what + " '" + name + "': " + file_error_text(read.error));
    }
    return result<std::string>(std::move(text));
}

/// Wipes a std::string holding secret text when it goes out of scope, on every path.
class wipe_on_exit {
public:
    explicit wipe_on_exit(std::string& s) noexcept : s_(s) {}
    wipe_on_exit(const wipe_on_exit&) = delete;
    wipe_on_exit& operator=(const wipe_on_exit&) = delete;
    ~wipe_on_exit() { OPENSSL_cleanse(s_.data(), s_.size()); }

private:
    std::string& s_;
};

inline result<pkey_ptr> load_private_pem(std::string_view pem, std::string_view passphrase,
                                         const openssl_context& ctx = {}) {
    auto read = read_pem_key_block(pem, "private key");
    if (!read) return std::move(read).error();
    const pem_key_block& block = *read;
    const std::string_view label = block.label;
    if (label.empty()) {
        return fail(errc::invalid_key,
                    "not a PEM private key: expected text beginning with '-----BEGIN PRIVATE KEY-----' "
                    "(convert a DER file with: openssl pkey -inform DER -in key.der -out key.pem)");
    }
    if (is_public_label(label) || label == "CERTIFICATE") {
        return fail(errc::private_key_required,
                    "this PEM holds a " + std::string(label) +
                        ", but signing needs the private key; the public key is what you paste into the "
                        "vendor's settings, the private key stays on the server");
    }
    const bool provider_block = is_provider_private_label(label);
    if (!is_private_label(label) && !provider_block) {
        return fail(errc::invalid_key, "this PEM holds a '" + std::string(label) +
                                           "' block, not a private key (expected '-----BEGIN PRIVATE KEY-----')");
    }
    const bool encrypted = label == "ENCRYPTED PRIVATE KEY" || block.legacy_encrypted;
    if (encrypted && passphrase.empty()) {
        return fail(errc::passphrase_required,
                    "the private key is encrypted; pass its passphrase (from a secret store or the "
                    "environment, so that no decrypted copy of the key is written to disk)");
    }
    auto bio = memory_bio(block.text);
    if (!bio) return std::move(bio).error();
    ERR_clear_error();
    // OpenSSL 3's decoders read every private key PEM: PKCS #8 (plain or encrypted), and the
    // type-specific blocks, legacy "Proc-Type: 4,ENCRYPTED" ones included; a loaded provider's
    // decoders read its own blocks (tpm2-openssl's "TSS2 PRIVATE KEY"), which may reach its device.
    std::unique_lock<std::mutex> lock(foreign_provider_mutex(), std::defer_lock);
    if (provider_block && ctx.serialize_provider_calls) lock.lock();
    EVP_PKEY* raw = nullptr;
    const ossl_handle<OSSL_DECODER_CTX, &OSSL_DECODER_CTX_free> dctx{OSSL_DECODER_CTX_new_for_pkey(
        &raw, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR, ctx.library_context, query_or_null(ctx.property_query))};
    if (!dctx) return fail_openssl(errc::openssl_error, "OSSL_DECODER_CTX_new_for_pkey failed");
    if (!passphrase.empty() &&
        OSSL_DECODER_CTX_set_passphrase(dctx.get(), reinterpret_cast<const unsigned char*>(passphrase.data()),
                                        passphrase.size()) != 1) {
        return fail_openssl(errc::openssl_error, "OSSL_DECODER_CTX_set_passphrase failed");
    }
    if (OSSL_DECODER_from_bio(dctx.get(), bio->get()) != 1) {
        EVP_PKEY_free(raw);
        raw = nullptr;
    }
    pkey_ptr key{raw};
    if (!key) {
        if (encrypted) {
            return fail_openssl(errc::bad_passphrase,
                                "could not decrypt the private key: the passphrase is wrong (or the file is damaged)");
        }
        if (provider_block) return fail_openssl(errc::invalid_key, provider_block_failure(label));
        return fail_openssl(errc::invalid_key, "could not parse the '" + std::string(label) +
                                                   "' PEM block as a private key (is the file complete and unedited?)");
    }
    drain_openssl_errors();  // decoders leave harmless notes from the structures they tried
    if (auto checked = check_loaded_key(key.get()); !checked) return std::move(checked).error();
    return key;
}

/// Writes key as PEM through OpenSSL 3's encoders: selection is EVP_PKEY_PUBLIC_KEY with structure
/// "SubjectPublicKeyInfo", or EVP_PKEY_KEYPAIR with "PrivateKeyInfo" (PKCS #8, encrypted with
/// cipher under passphrase when cipher is not null).
inline result<std::string> encode_pem(const EVP_PKEY* key, int selection, const char* structure, const char* cipher,
                                      std::string_view passphrase, const char* what) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    if (!bio) return fail_openssl(errc::openssl_error, "BIO_new failed");
    const ossl_handle<OSSL_ENCODER_CTX, &OSSL_ENCODER_CTX_free> ectx{
        OSSL_ENCODER_CTX_new_for_pkey(key, selection, "PEM", structure, nullptr)};
    if (!ectx || OSSL_ENCODER_CTX_get_num_encoders(ectx.get()) == 0) {
        return fail_openssl(errc::openssl_error, std::string("no OpenSSL encoder writes ") + what + " as PEM");
    }
    if (cipher != nullptr &&
        (OSSL_ENCODER_CTX_set_cipher(ectx.get(), cipher, nullptr) != 1 ||
         OSSL_ENCODER_CTX_set_passphrase(ectx.get(), reinterpret_cast<const unsigned char*>(passphrase.data()),
                                         passphrase.size()) != 1)) {
        return fail_openssl(errc::openssl_error, std::string("could not set the cipher to write ") + what);
    }
    if (OSSL_ENCODER_to_bio(ectx.get(), bio.get()) != 1) {
        return fail_openssl(errc::openssl_error, std::string("could not write ") + what + " as PEM");
    }
    return bio_contents(bio.get());
}

inline result<std::string> public_pem_of(const EVP_PKEY* key) {
    return encode_pem(key, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", nullptr, {}, "the public key");
}

/// Decodes one public-key PEM block: "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS #1).
inline result<pkey_ptr> decode_public_block(std::string_view text, std::string_view label,
                                            const openssl_context& ctx = {}) {
    auto bio = memory_bio(text);
    if (!bio) return std::move(bio).error();
    ERR_clear_error();
    EVP_PKEY* raw = nullptr;
    const char* structure = label == "PUBLIC KEY" ? "SubjectPublicKeyInfo" : "type-specific";
    const char* type = label == "PUBLIC KEY" ? nullptr : "RSA";
    ossl_handle<OSSL_DECODER_CTX, &OSSL_DECODER_CTX_free> dctx{OSSL_DECODER_CTX_new_for_pkey(
        &raw, "PEM", structure, type, EVP_PKEY_PUBLIC_KEY, ctx.library_context, query_or_null(ctx.property_query))};
    if (!dctx) return fail_openssl(errc::openssl_error, "OSSL_DECODER_CTX_new_for_pkey failed");
    if (OSSL_DECODER_from_bio(dctx.get(), bio->get()) != 1 || raw == nullptr) {
        EVP_PKEY_free(raw);
        return fail_openssl(errc::invalid_key,
                            "could not parse the '" + std::string(label) + "' PEM block as a public key");
    }
    drain_openssl_errors();  // decoders leave harmless notes from the structures they tried
    pkey_ptr key{raw};
    if (auto checked = check_loaded_key(key.get()); !checked) return std::move(checked).error();
    return key;
}

inline result<pkey_ptr> load_public_pem(std::string_view pem) {
    auto read = read_pem_key_block(pem, "public key");
    if (!read) return std::move(read).error();
    const pem_key_block& block = *read;
    const std::string_view label = block.label;
    if (label.empty()) {
        return fail(errc::invalid_key,
                    "not a PEM public key: expected text beginning with '-----BEGIN PUBLIC KEY-----'");
    }
    if (label == "CERTIFICATE") {
        return fail(errc::invalid_key,
                    "this PEM is a certificate; extract its public key with: openssl x509 -in cert.pem -pubkey -noout");
    }
    if (is_public_label(label)) return decode_public_block(block.text, label);
    if (!is_private_label(label) && !is_provider_private_label(label)) {
        return fail(errc::invalid_key, "this PEM holds a '" + std::string(label) +
                                           "' block, not a public key (expected '-----BEGIN PUBLIC KEY-----')");
    }
    // A private key PEM: keep only its public half (handy for self-checks), never the private key.
    const auto priv = load_private_pem(pem, {});
    if (!priv) return priv.error();
    const auto pub_pem = public_pem_of(priv->get());
    if (!pub_pem) return pub_pem.error();
    return decode_public_block(*pub_pem, "PUBLIC KEY");
}

inline bool has_private_part(const EVP_PKEY* key) {
    BIGNUM* bn = nullptr;
    bool found = false;
    if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) {
        found = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;
    } else if (EVP_PKEY_is_a(key, "EC")) {
        found = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
    } else {
        std::size_t len = 0;
        found = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0, &len) == 1;
    }
    BN_clear_free(bn);
    ERR_clear_error();
    return found;
}

inline result<pkey_ptr> adopt(EVP_PKEY* key) {
    if (key == nullptr) return fail(errc::invalid_key, "the EVP_PKEY pointer is null");
    if (EVP_PKEY_up_ref(key) != 1) return fail_openssl(errc::openssl_error, "EVP_PKEY_up_ref failed");
    return pkey_ptr{key};
}

/// A new reference to a key a copy shares. EVP_PKEY_up_ref is an atomic increment that cannot
/// fail on a key OpenSSL made; were it to fail, the copy fails as one whose allocation failed:
/// raised (thrown, or an abort without exceptions), since a copy constructor returns no result.
inline pkey_ptr share(const pkey_ptr& key) { return adopt(key.get()).value(); }

}  // namespace detail

/// The kind of key as JOSE names its family ("RSA", "EC", "OKP") plus the details that matter.
struct key_info {
    std::string type;   ///< "RSA", "EC", "ED25519", or OpenSSL's name for other types
    int bits = 0;       ///< modulus bits for RSA, field bits for EC
    std::string curve;  ///< "P-256", "P-384", "P-521" for EC, else empty
};

namespace detail {
inline std::string jose_curve_name(const EVP_PKEY* key) {
    char name[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
        ERR_clear_error();
        return {};
    }
    const std::string_view n(name, len);
    const jose_curve* curve = find_jose_curve(n);
    return std::string(curve != nullptr ? curve->name : n);
}

inline key_info describe(const EVP_PKEY* key) {
    key_info info;
    if (EVP_PKEY_is_a(key, "RSA")) {
        info.type = "RSA";
    } else if (EVP_PKEY_is_a(key, "RSA-PSS")) {
        info.type = "RSA-PSS";
    } else if (EVP_PKEY_is_a(key, "EC")) {
        info.type = "EC";
        info.curve = jose_curve_name(key);
    } else if (EVP_PKEY_is_a(key, "ED25519")) {
        info.type = "ED25519";
    } else {
        const char* name = EVP_PKEY_get0_type_name(key);
        info.type = name != nullptr ? name : "unknown";
    }
    info.bits = EVP_PKEY_get_bits(key);
    return info;
}
}  // namespace detail

class public_key;

namespace detail {
/// Reads JSON Web Keys for private_key::from_jwk and public_key::from_jwk; defined by
/// <jwtmint/jwk.hpp>, so this header stays free of JSON (from_jwk without that header does not compile).
struct jwk_loader;
/// Loads keys by URI through OSSL_STORE for the from_uri factories; defined by
/// <jwtmint/key_uri.hpp>, so this header stays free of <openssl/store.h> (which brings X.509).
struct uri_loader;
}  // namespace detail

/// A private key, parsed and checked once. Copies share the same immutable EVP_PKEY.
class private_key {
public:
    /// Parses PKCS#8 (plain or encrypted), PKCS#1 RSA or SEC1 EC PEM text.
    /// Fails with invalid_key, private_key_required, passphrase_required, bad_passphrase.
    [[nodiscard]] static result<private_key> try_from_pem(std::string_view pem, std::string_view passphrase = {}) {
        auto key = detail::load_private_pem(pem, passphrase);
        if (!key) return std::move(key).error();
        return private_key(std::move(*key));
    }
    /// As try_from_pem, throwing jwt::error.
    [[nodiscard]] static private_key from_pem(std::string_view pem, std::string_view passphrase = {}) {
        return try_from_pem(pem, passphrase).value();
    }
    /// As try_from_pem, reporting only the code.
    [[nodiscard]] static std::optional<private_key> from_pem(std::string_view pem, std::string_view passphrase,
                                                             std::error_code& ec) {
        return detail::to_optional(try_from_pem(pem, passphrase), ec);
    }

    /// As try_from_pem, decoding (and later signing) in ctx's library context under its property
    /// query: a FIPS configuration, or a provider's own key block ("TSS2 PRIVATE KEY").
    [[nodiscard]] static result<private_key> try_from_pem(std::string_view pem, std::string_view passphrase,
                                                          const openssl_context& ctx) {
        auto key = detail::load_private_pem(pem, passphrase, ctx);
        if (!key) return std::move(key).error();
        return private_key(std::move(*key), ctx);
    }
    /// As try_from_pem with a context, throwing jwt::error.
    [[nodiscard]] static private_key from_pem(std::string_view pem, std::string_view passphrase,
                                              const openssl_context& ctx) {
        return try_from_pem(pem, passphrase, ctx).value();
    }

    /// The private key a URI names, through OpenSSL 3's OSSL_STORE: a file (a path or file: URI,
    /// PEM or DER, also a provider's own key file), or whatever a loaded provider registers:
    /// tpm2-openssl's "handle:0x81000001" (a persistent TPM key) and "object:key.ctx", a PKCS#11
    /// provider's "pkcs11:token=...;object=...". A key held by a provider stays in it: jwtmint
    /// signs through the provider and never exports it. The load-time checks apply (type, size,
    /// curve; RSA exponent, EC point). Providers come from the OpenSSL configuration
    /// (OPENSSL_CONF) or ctx's library context. Fails with key_file_error (nothing opens the URI,
    /// naming the provider to load), invalid_key (several keys, a certificate, a failed check),
    /// private_key_required (a public key), passphrase_required, bad_passphrase.
    /// Needs <jwtmint/key_uri.hpp> (the umbrella header includes it).
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static result<private_key> try_from_uri(std::string_view uri, std::string_view passphrase = {},
                                                          const openssl_context& ctx = {}) {
        return Loader::private_key_from(uri, passphrase, ctx);
    }
    /// As try_from_uri, throwing jwt::error.
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static private_key from_uri(std::string_view uri, std::string_view passphrase = {},
                                              const openssl_context& ctx = {}) {
        return try_from_uri<Loader>(uri, passphrase, ctx).value();
    }
    /// As try_from_uri, reporting only the code.
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static std::optional<private_key> from_uri(std::string_view uri, std::string_view passphrase,
                                                             const openssl_context& ctx, std::error_code& ec) {
        return detail::to_optional(try_from_uri<Loader>(uri, passphrase, ctx), ec);
    }

    /// Reads a PEM private key file (the text is wiped once parsed).
    /// Fails with key_file_error, or any error of try_from_pem.
    [[nodiscard]] static result<private_key> try_from_pem_file(const file_path& path,
                                                               std::string_view passphrase = {}) {
        auto text = detail::read_file(path, "private key file");
        if (!text) return std::move(text).error();
        const detail::wipe_on_exit wipe(*text);
        return try_from_pem(*text, passphrase);
    }
    /// As try_from_pem_file, throwing jwt::error.
    [[nodiscard]] static private_key from_pem_file(const file_path& path, std::string_view passphrase = {}) {
        return try_from_pem_file(path, passphrase).value();
    }
    /// As try_from_pem_file, reporting only the code.
    [[nodiscard]] static std::optional<private_key> from_pem_file(const file_path& path, std::string_view passphrase,
                                                                  std::error_code& ec) {
        return detail::to_optional(try_from_pem_file(path, passphrase), ec);
    }

    /// A private key from a private JWK (RSA, EC P-256/384/521, OKP Ed25519); needs
    /// <jwtmint/jwk.hpp>. Fails with invalid_jwk, invalid_base64url, private_key_required,
    /// key_algorithm_mismatch, key_mismatch (a "d" that does not belong to the public members).
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static result<private_key> try_from_jwk(std::string_view jwk_json) {
        return Loader::private_key_from(jwk_json);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static private_key from_jwk(std::string_view jwk_json) {
        return try_from_jwk<Loader>(jwk_json).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static std::optional<private_key> from_jwk(std::string_view jwk_json, std::error_code& ec) {
        return detail::to_optional(try_from_jwk<Loader>(jwk_json), ec);
    }

    /// Takes a new reference to a key the host already holds; the caller keeps its own.
    /// Fails with invalid_key (null, or a key that fails a load-time check), private_key_required.
    [[nodiscard]] static result<private_key> try_from_evp_pkey(EVP_PKEY* key) {
        auto owned = detail::adopt(key);
        if (!owned) return std::move(owned).error();
        if (auto checked = detail::check_loaded_key(owned->get()); !checked) return std::move(checked).error();
        if (!detail::has_private_part(owned->get())) {
            // Keys held by a provider (an HSM) may not expose their private part; the
            // signers detect those by a test signature instead.
            const OSSL_PROVIDER* prov = EVP_PKEY_get0_provider(owned->get());
            const char* pname = prov != nullptr ? OSSL_PROVIDER_get0_name(prov) : "default";
            if (std::string_view(pname) == "default" || std::string_view(pname) == "fips") {
                return detail::fail(errc::private_key_required,
                                    "the EVP_PKEY holds only a public key; signing needs the private key");
            }
        }
        return private_key(std::move(*owned));
    }
    /// As try_from_evp_pkey, throwing jwt::error.
    [[nodiscard]] static private_key from_evp_pkey(EVP_PKEY* key) { return try_from_evp_pkey(key).value(); }
    /// As try_from_evp_pkey, reporting only the code.
    [[nodiscard]] static std::optional<private_key> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return detail::to_optional(try_from_evp_pkey(key), ec);
    }

    /// A new RSA key. Fails with weak_key below 2048 bits, invalid_key above 16384.
    [[nodiscard]] static result<private_key> try_generate_rsa(unsigned bits = 2048) {
        if (bits < 2048) {
            return detail::fail(errc::weak_key,
                                "RSA keys need at least 2048 bits (asked for " + std::to_string(bits) + ")");
        }
        if (bits > detail::rsa_max_modulus_bits) {
            return detail::fail(errc::invalid_key, "RSA keys above 16384 bits are not supported");
        }
        return generated(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))},
                         "RSA key generation failed");
    }
    /// As try_generate_rsa, throwing jwt::error.
    [[nodiscard]] static private_key generate_rsa(unsigned bits = 2048) { return try_generate_rsa(bits).value(); }
    /// As try_generate_rsa, reporting only the code.
    [[nodiscard]] static std::optional<private_key> generate_rsa(unsigned bits, std::error_code& ec) {
        return detail::to_optional(try_generate_rsa(bits), ec);
    }

    /// A new EC key on the curve ES256 uses (P-256).
    [[nodiscard]] static result<private_key> try_generate_ec_p256() { return try_generate_ec("P-256"); }
    /// As try_generate_ec_p256, throwing jwt::error.
    [[nodiscard]] static private_key generate_ec_p256() { return try_generate_ec_p256().value(); }
    /// As try_generate_ec_p256, reporting only the code.
    [[nodiscard]] static std::optional<private_key> generate_ec_p256(std::error_code& ec) {
        return detail::to_optional(try_generate_ec_p256(), ec);
    }

    /// A new EC key on a JOSE curve: "P-256" (ES256), "P-384" (ES384) or "P-521" (ES512).
    /// Fails with invalid_key for any other curve name.
    [[nodiscard]] static result<private_key> try_generate_ec(std::string_view curve) {
        if (const detail::jose_curve* c = detail::find_jose_curve(curve); c == nullptr || c->name != curve) {
            return detail::fail(errc::invalid_key, "EC key generation takes the curve P-256, P-384 or P-521, not '" +
                                                       std::string(curve) + "'");
        }
        const std::string name(curve);
        return generated(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", name.c_str())},
                         "EC key generation failed");
    }
    /// As try_generate_ec, throwing jwt::error.
    [[nodiscard]] static private_key generate_ec(std::string_view curve) { return try_generate_ec(curve).value(); }
    /// As try_generate_ec, reporting only the code.
    [[nodiscard]] static std::optional<private_key> generate_ec(std::string_view curve, std::error_code& ec) {
        return detail::to_optional(try_generate_ec(curve), ec);
    }

    /// A new Ed25519 key (EdDSA, RFC 8037).
    [[nodiscard]] static result<private_key> try_generate_ed25519() {
        return generated(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")},
                         "Ed25519 key generation failed");
    }
    /// As try_generate_ed25519, throwing jwt::error.
    [[nodiscard]] static private_key generate_ed25519() { return try_generate_ed25519().value(); }
    /// As try_generate_ed25519, reporting only the code.
    [[nodiscard]] static std::optional<private_key> generate_ed25519(std::error_code& ec) {
        return detail::to_optional(try_generate_ed25519(), ec);
    }

    /** @{ */
    /// Copies share the key (a new reference to the same EVP_PKEY) and its library context.
    private_key(const private_key& other) : key_(detail::share(other.key_)), ctx_(other.ctx_) {}
    private_key& operator=(const private_key& other) {
        if (this != &other) {
            key_ = detail::share(other.key_);
            ctx_ = other.ctx_;
        }
        return *this;
    }
    private_key(private_key&&) noexcept = default;
    private_key& operator=(private_key&&) noexcept = default;
    /** @} */
    ~private_key() = default;

    /// Type, size and curve.
    [[nodiscard]] key_info info() const { return detail::describe(key_.get()); }

    /// The public half as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"):
    /// what the admin pastes into the vendor's settings. Fails with openssl_error.
    [[nodiscard]] result<std::string> try_public_key_pem() const { return detail::public_pem_of(key_.get()); }
    /// As try_public_key_pem, throwing jwt::error.
    [[nodiscard]] std::string public_key_pem() const { return try_public_key_pem().value(); }
    /// As try_public_key_pem, reporting only the code.
    [[nodiscard]] std::optional<std::string> public_key_pem(std::error_code& ec) const {
        return detail::to_optional(try_public_key_pem(), ec);
    }

    /// The private key as PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given.
    /// Fails with openssl_error, and with private_key_required for a key held by a provider (a TPM,
    /// an HSM), whose private part never leaves it.
    [[nodiscard]] result<std::string> try_to_pem(std::string_view passphrase = {}) const {
        if (!detail::held_by_builtin_provider(key_.get())) {
            return detail::fail(errc::private_key_required,
                                "this private key is held by the OpenSSL provider '" +
                                    std::string(detail::provider_name(key_.get())) +
                                    "', which keeps it: it cannot be written out, only signed with (its public key: "
                                    "public_key_pem())");
        }
        return detail::encode_pem(key_.get(), EVP_PKEY_KEYPAIR, "PrivateKeyInfo",
                                  passphrase.empty() ? nullptr : "AES-256-CBC", passphrase, "the private key");
    }
    /// As try_to_pem, throwing jwt::error.
    [[nodiscard]] std::string to_pem(std::string_view passphrase = {}) const { return try_to_pem(passphrase).value(); }
    /// As try_to_pem, reporting only the code.
    [[nodiscard]] std::optional<std::string> to_pem(std::string_view passphrase, std::error_code& ec) const {
        return detail::to_optional(try_to_pem(passphrase), ec);
    }

    /// The underlying key, for interop; jwtmint keeps its own reference.
    [[nodiscard]] EVP_PKEY* native_handle() const noexcept { return key_.get(); }
    /// The library context and property query the key was loaded in, which signing uses too.
    [[nodiscard]] const openssl_context& context() const noexcept { return ctx_; }
    /// The name of the OpenSSL provider that holds the key: "default" (or "fips") for a key
    /// jwtmint parsed, the provider's own ("tpm2") for a key that lives in a device.
    [[nodiscard]] std::string provider() const { return std::string(detail::provider_name(key_.get())); }

private:
    friend struct detail::uri_loader;
    explicit private_key(detail::pkey_ptr key, openssl_context ctx = {}) : key_(std::move(key)), ctx_(std::move(ctx)) {}
    /// A key OpenSSL just generated, or openssl_error with failure when it made none.
    static result<private_key> generated(detail::pkey_ptr key, const char* failure) {
        if (!key) return detail::fail_openssl(errc::openssl_error, failure);
        return private_key(std::move(key));
    }
    detail::pkey_ptr key_;
    openssl_context ctx_;
};

/// A public key: what a verifier checks signatures with, and what the vendor is given.
class public_key {
public:
    /// Parses SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY")
    /// PEM; a private key PEM is accepted too and yields its public half.
    /// Fails with invalid_key (and the errors of a private key PEM's parsing).
    [[nodiscard]] static result<public_key> try_from_pem(std::string_view pem) {
        auto key = detail::load_public_pem(pem);
        if (!key) return std::move(key).error();
        return public_key(std::move(*key));
    }
    /// As try_from_pem, throwing jwt::error.
    [[nodiscard]] static public_key from_pem(std::string_view pem) { return try_from_pem(pem).value(); }
    /// As try_from_pem, reporting only the code.
    [[nodiscard]] static std::optional<public_key> from_pem(std::string_view pem, std::error_code& ec) {
        return detail::to_optional(try_from_pem(pem), ec);
    }

    /// The public key a URI names through OSSL_STORE (a file, or a provider's scheme such as
    /// tpm2-openssl's "handle:"; see private_key::try_from_uri), or the public half of the private
    /// key it names. The key is re-read from its SubjectPublicKeyInfo in ctx's library context, so
    /// verification runs there in software, never through the device. Fails with key_file_error,
    /// invalid_key.
    /// Needs <jwtmint/key_uri.hpp> (the umbrella header includes it).
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static result<public_key> try_from_uri(std::string_view uri, const openssl_context& ctx = {}) {
        return Loader::public_key_from(uri, ctx);
    }
    /// As try_from_uri, throwing jwt::error.
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static public_key from_uri(std::string_view uri, const openssl_context& ctx = {}) {
        return try_from_uri<Loader>(uri, ctx).value();
    }
    /// As try_from_uri, reporting only the code.
    template <class Loader = detail::uri_loader>
    [[nodiscard]] static std::optional<public_key> from_uri(std::string_view uri, const openssl_context& ctx,
                                                            std::error_code& ec) {
        return detail::to_optional(try_from_uri<Loader>(uri, ctx), ec);
    }

    /// Reads a PEM public key file. Fails with key_file_error, or any error of try_from_pem.
    [[nodiscard]] static result<public_key> try_from_pem_file(const file_path& path) {
        auto text = detail::read_file(path, "public key file");
        if (!text) return std::move(text).error();
        return try_from_pem(*text);
    }
    /// As try_from_pem_file, throwing jwt::error.
    [[nodiscard]] static public_key from_pem_file(const file_path& path) { return try_from_pem_file(path).value(); }
    /// As try_from_pem_file, reporting only the code.
    [[nodiscard]] static std::optional<public_key> from_pem_file(const file_path& path, std::error_code& ec) {
        return detail::to_optional(try_from_pem_file(path), ec);
    }

    /// A public key from a public JWK; private members are refused (a JWK meant to be published
    /// must not carry them). Needs <jwtmint/jwk.hpp>. Fails with invalid_jwk, invalid_base64url,
    /// key_algorithm_mismatch.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static result<public_key> try_from_jwk(std::string_view jwk_json) {
        return Loader::public_key_from(jwk_json);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static public_key from_jwk(std::string_view jwk_json) {
        return try_from_jwk<Loader>(jwk_json).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static std::optional<public_key> from_jwk(std::string_view jwk_json, std::error_code& ec) {
        return detail::to_optional(try_from_jwk<Loader>(jwk_json), ec);
    }

    /// Takes a new reference to a key the host already holds.
    /// Fails with invalid_key (null, or a key that fails a load-time check: see docs/security.md).
    [[nodiscard]] static result<public_key> try_from_evp_pkey(EVP_PKEY* key) {
        auto owned = detail::adopt(key);
        if (!owned) return std::move(owned).error();
        if (auto checked = detail::check_loaded_key(owned->get()); !checked) return std::move(checked).error();
        return public_key(std::move(*owned));
    }
    /// As try_from_evp_pkey, throwing jwt::error.
    [[nodiscard]] static public_key from_evp_pkey(EVP_PKEY* key) { return try_from_evp_pkey(key).value(); }
    /// As try_from_evp_pkey, reporting only the code.
    [[nodiscard]] static std::optional<public_key> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return detail::to_optional(try_from_evp_pkey(key), ec);
    }

    /// The public half of a private key. Fails with openssl_error.
    [[nodiscard]] static result<public_key> try_from_private(const private_key& key) {
        auto pem = key.try_public_key_pem();
        if (!pem) return std::move(pem).error();
        auto pub = detail::decode_public_block(*pem, "PUBLIC KEY", key.context());
        if (!pub) return std::move(pub).error();
        return public_key(std::move(*pub), key.context());
    }
    /// As try_from_private, throwing jwt::error.
    [[nodiscard]] static public_key from_private(const private_key& key) { return try_from_private(key).value(); }
    /// As try_from_private, reporting only the code.
    [[nodiscard]] static std::optional<public_key> from_private(const private_key& key, std::error_code& ec) {
        return detail::to_optional(try_from_private(key), ec);
    }

    /** @{ */
    /// Copies share the key (a new reference to the same EVP_PKEY) and its library context.
    public_key(const public_key& other) : key_(detail::share(other.key_)), ctx_(other.ctx_) {}
    public_key& operator=(const public_key& other) {
        if (this != &other) {
            key_ = detail::share(other.key_);
            ctx_ = other.ctx_;
        }
        return *this;
    }
    public_key(public_key&&) noexcept = default;
    public_key& operator=(public_key&&) noexcept = default;
    /** @} */
    ~public_key() = default;

    /// Type, size and curve.
    [[nodiscard]] key_info info() const { return detail::describe(key_.get()); }
    /// SubjectPublicKeyInfo PEM. Fails with openssl_error.
    [[nodiscard]] result<std::string> try_to_pem() const { return detail::public_pem_of(key_.get()); }
    /// As try_to_pem, throwing jwt::error.
    [[nodiscard]] std::string to_pem() const { return try_to_pem().value(); }
    /// As try_to_pem, reporting only the code.
    [[nodiscard]] std::optional<std::string> to_pem(std::error_code& ec) const {
        return detail::to_optional(try_to_pem(), ec);
    }
    /// The underlying key, for interop; jwtmint keeps its own reference.
    [[nodiscard]] EVP_PKEY* native_handle() const noexcept { return key_.get(); }
    /// The library context and property query the key was loaded in, which verification uses too.
    [[nodiscard]] const openssl_context& context() const noexcept { return ctx_; }

private:
    friend struct detail::uri_loader;
    explicit public_key(detail::pkey_ptr key, openssl_context ctx = {}) : key_(std::move(key)), ctx_(std::move(ctx)) {}
    detail::pkey_ptr key_;
    openssl_context ctx_;
};

/// Whether text reads as a key URI rather than a file name: it starts with a URI scheme of two or
/// more characters and a colon (RFC 3986 section 3.1), as "handle:0x81000001", "pkcs11:token=hsm"
/// and "file:/etc/jwtmint/key.pem" do. An application that takes either (as the jwtmint tool's
/// --key does) should prefer an existing file of that name.
[[nodiscard]] inline bool looks_like_key_uri(std::string_view text) { return !detail::uri_scheme(text).empty(); }

/// Whether pub is the public half of key, as the vendor checks a token against the public key it
/// was given: success, or errc::key_mismatch with what to paste instead.
[[nodiscard]] inline status try_check_key_pair(const private_key& key, const public_key& pub) {
    const bool same = EVP_PKEY_eq(key.native_handle(), pub.native_handle()) == 1;
    ERR_clear_error();
    if (same) return {};
    return detail::fail(errc::key_mismatch,
                        "the public key does not belong to the private key: tokens signed with this private key "
                        "would fail at the vendor with 'Key mismatch'; give the vendor the public key made from the "
                        "private key (private_key::public_key_pem(), or: jwtmint pubkey --key private_key.pem)");
}
/// As try_check_key_pair, throwing jwt::error.
inline void check_key_pair(const private_key& key, const public_key& pub) { try_check_key_pair(key, pub).value(); }
/// As try_check_key_pair, reporting only the code.
inline void check_key_pair(const private_key& key, const public_key& pub, std::error_code& ec) {
    detail::to_error_code(try_check_key_pair(key, pub), ec);
}

/// A new random HMAC secret of n bytes from OpenSSL's private DRBG (RFC 7518 §3.2: at
/// least as long as the hash, so 32 bytes for HS256). Fails with weak_key under 32 bytes,
/// openssl_error when the generator fails.
[[nodiscard]] inline result<std::string> try_generate_hmac_secret(std::size_t n = 32) {
    if (n < 32) return detail::fail(errc::weak_key, "HMAC secrets need at least 32 bytes (RFC 7518 section 3.2)");
    std::string secret(n, '\0');
    if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(n)) != 1) {
        return detail::fail_openssl(errc::openssl_error, "RAND_priv_bytes failed");
    }
    return secret;
}
/// As try_generate_hmac_secret, throwing jwt::error.
[[nodiscard]] inline std::string generate_hmac_secret(std::size_t n = 32) {
    return try_generate_hmac_secret(n).value();
}
/// As try_generate_hmac_secret, reporting only the code.
[[nodiscard]] inline std::optional<std::string> generate_hmac_secret(std::size_t n, std::error_code& ec) {
    return detail::to_optional(try_generate_hmac_secret(n), ec);
}

/// A fresh random token id for the `jti` claim: 16 octets (128 bits) from OpenSSL's CSPRNG as
/// 22 characters of base64url, so a verifier that remembers ids can refuse a replayed token.
/// Fails with openssl_error when the random generator fails.
[[nodiscard]] inline result<std::string> try_random_jwt_id() {
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        return detail::fail_openssl(errc::openssl_error, "RAND_bytes failed: the random generator is not seeded");
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));  // 22 characters
}
/// As try_random_jwt_id, throwing jwt::error.
[[nodiscard]] inline std::string random_jwt_id() { return try_random_jwt_id().value(); }
/// As try_random_jwt_id, reporting only the code.
[[nodiscard]] inline std::optional<std::string> random_jwt_id(std::error_code& ec) {
    return detail::to_optional(try_random_jwt_id(), ec);
}

}  // namespace v1
}  // namespace jwt
