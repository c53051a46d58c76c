// SPDX-License-Identifier: MIT
// Private and public keys: load (PEM, files, EVP_PKEY*), inspect, export, generate, match.
#pragma once

#include <jwtmint/detail/key_checks.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/pem.hpp>
#include <jwtmint/error.hpp>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jwt {

namespace detail {

/// Reads a whole file of at most max_key_text_size octets (larger is key_file_error before any
/// read); key_file_error names the path and the reason. The file may hold a secret,
/// so every buffer its bytes pass through is ours and is wiped: the stream's buffer, the read
/// chunk, and each shorter string left behind when the result grows. (Reading through the
/// stream's own heap buffer, or growing a string by reallocation, would release copies unwiped.)
inline std::string read_file(const std::filesystem::path& path, const char* what) {
    std::array<char, 4096> stream_buf{};
    std::array<char, 4096> chunk{};
    std::ifstream in;
    in.rdbuf()->pubsetbuf(stream_buf.data(), static_cast<std::streamsize>(stream_buf.size()));
    in.open(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(path, ec);
        fail(errc::key_file_error, std::string("cannot read ") + what + " '" + path.string() + "': " +
                                       (exists ? "permission denied or not a regular file"
                                               : "no such file"));
    }
    auto too_large = [&](std::uintmax_t size) {
        fail(errc::key_file_error, std::string(what) + " '" + path.string() + "' is " + std::to_string(size) +
                                       " octets; a key or secret file is at most " + std::to_string(max_key_text_size) +
                                       " (jwt::max_key_text_size): is it the right file?");
    };
    {
        std::error_code ec;
        const std::uintmax_t size = std::filesystem::file_size(path, ec);
        if (!ec && size > max_key_text_size) too_large(size);
    }
    std::string text;
    try {
        // libstdc++ opens a directory fine and then fails (or throws std::ios_base::failure) on the first read
        while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
            const auto n = static_cast<std::size_t>(in.gcount());
            if (text.size() + n > text.capacity()) {
                std::string bigger;
                bigger.reserve(std::max(2 * text.capacity(), text.size() + n));
                bigger.append(text);
                OPENSSL_cleanse(text.data(), text.size());
                text.swap(bigger);
            }
            text.append(chunk.data(), n);
            if (text.size() > max_key_text_size) break;  // a pipe or device: stop at the limit
        }
    } catch (const std::ios_base::failure&) {
        in.setstate(std::ios::badbit);
    } catch (...) {  // std::bad_alloc: wipe what was read before passing it on
        OPENSSL_cleanse(stream_buf.data(), stream_buf.size());
        OPENSSL_cleanse(chunk.data(), chunk.size());
        OPENSSL_cleanse(text.data(), text.size());
        throw;
    }
    const bool bad = in.bad();
    in.close();
    OPENSSL_cleanse(stream_buf.data(), stream_buf.size());
    OPENSSL_cleanse(chunk.data(), chunk.size());
    if (text.size() > max_key_text_size) {
        OPENSSL_cleanse(text.data(), text.size());
        too_large(text.size());
    }
    if (bad) {
        OPENSSL_cleanse(text.data(), text.size());
        std::error_code ec;
        fail(errc::key_file_error, std::string("error while reading ") + what + " '" + path.string() + "'" +
                                       (std::filesystem::is_directory(path, ec) ? ": it is a directory" : ""));
    }
    return text;
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

struct passphrase_ref {
    std::string_view text;
};

extern "C" inline int pem_passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
    const auto* p = static_cast<const passphrase_ref*>(u);
    if (p == nullptr || p->text.empty() || size < 0 || p->text.size() > static_cast<std::size_t>(size)) {
        return -1;
    }
    std::memcpy(buf, p->text.data(), p->text.size());
    return static_cast<int>(p->text.size());
}

inline pkey_ptr load_private_pem(std::string_view pem, std::string_view passphrase) {
    const pem_key_block block = read_pem_key_block(pem, "private key");
    const std::string_view label = block.label;
    if (label.empty()) {
        fail(errc::invalid_key,
             "not a PEM private key: expected text beginning with '-----BEGIN PRIVATE KEY-----' "
             "(convert a DER file with: openssl pkey -inform DER -in key.der -out key.pem)");
    }
    if (is_public_label(label) || label == "CERTIFICATE") {
        fail(errc::private_key_required,
             "this PEM holds a " + std::string(label) +
                 ", but signing needs the private key; the public key is what you paste into the "
                 "vendor's settings, the private key stays on the server");
    }
    if (!is_private_label(label)) {
        fail(errc::invalid_key, "this PEM holds a '" + std::string(label) +
                                    "' block, not a private key (expected '-----BEGIN PRIVATE KEY-----')");
    }
    const bool encrypted = label == "ENCRYPTED PRIVATE KEY" || block.legacy_encrypted;
    if (encrypted && passphrase.empty()) {
        fail(errc::passphrase_required,
             "the private key is encrypted; pass its passphrase (or decrypt it once with: "
             "openssl pkey -in key.pem -out key-plain.pem)");
    }
    passphrase_ref pass{passphrase};
    auto bio = memory_bio(block.text);
    ERR_clear_error();
    pkey_ptr key{PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, &pem_passphrase_cb, &pass, nullptr, nullptr)};
    if (!key) {
        if (encrypted) {
            fail_openssl(errc::bad_passphrase,
                         "could not decrypt the private key: the passphrase is wrong (or the file is damaged)");
        }
        fail_openssl(errc::invalid_key, "could not parse the '" + std::string(label) +
                                            "' PEM block as a private key (is the file complete and unedited?)");
    }
    check_loaded_key(key.get());
    return key;
}

inline std::string public_pem_of(const EVP_PKEY* key) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    if (!bio) fail_openssl(errc::openssl_error, "BIO_new failed");
    if (PEM_write_bio_PUBKEY(bio.get(), const_cast<EVP_PKEY*>(key)) != 1) {
        fail_openssl(errc::openssl_error, "could not write the public key as PEM");
    }
    return bio_contents(bio.get());
}

inline pkey_ptr load_public_pem(std::string_view pem) {
    const pem_key_block block = read_pem_key_block(pem, "public key");
    const std::string_view label = block.label;
    if (label.empty()) {
        fail(errc::invalid_key, "not a PEM public key: expected text beginning with '-----BEGIN PUBLIC KEY-----'");
    }
    if (label == "CERTIFICATE") {
        fail(errc::invalid_key,
             "this PEM is a certificate; extract its public key with: openssl x509 -in cert.pem -pubkey -noout");
    }
    if (is_public_label(label)) {
        auto bio = memory_bio(block.text);
        ERR_clear_error();
        EVP_PKEY* raw = nullptr;
        const char* structure = label == "PUBLIC KEY" ? "SubjectPublicKeyInfo" : "type-specific";
        const char* type = label == "PUBLIC KEY" ? nullptr : "RSA";
        std::unique_ptr<OSSL_DECODER_CTX, ossl_deleter<&OSSL_DECODER_CTX_free>> dctx{OSSL_DECODER_CTX_new_for_pkey(
            &raw, "PEM", structure, type, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr)};
        if (!dctx) fail_openssl(errc::openssl_error, "OSSL_DECODER_CTX_new_for_pkey failed");
        if (OSSL_DECODER_from_bio(dctx.get(), bio.get()) != 1 || raw == nullptr) {
            EVP_PKEY_free(raw);
            fail_openssl(errc::invalid_key, "could not parse the '" + std::string(label) + "' PEM block as a public key");
        }
        drain_openssl_errors();  // decoders leave harmless notes from the structures they tried
        pkey_ptr key{raw};
        check_loaded_key(key.get());
        return key;
    }
    if (!is_private_label(label)) {
        fail(errc::invalid_key, "this PEM holds a '" + std::string(label) +
                                    "' block, not a public key (expected '-----BEGIN PUBLIC KEY-----')");
    }
    // A private key PEM: keep only its public half (handy for self-checks), never the private key.
    const pkey_ptr priv = load_private_pem(pem, {});
    return load_public_pem(public_pem_of(priv.get()));
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


inline pkey_ptr adopt(EVP_PKEY* key) {
    if (key == nullptr) fail(errc::invalid_key, "the EVP_PKEY pointer is null");
    if (EVP_PKEY_up_ref(key) != 1) fail_openssl(errc::openssl_error, "EVP_PKEY_up_ref failed");
    return pkey_ptr{key};
}

inline pkey_ptr share(const pkey_ptr& key) { return adopt(key.get()); }

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
    if (n == "prime256v1" || n == "P-256" || n == "secp256r1") return "P-256";
    if (n == "secp384r1" || n == "P-384") return "P-384";
    if (n == "secp521r1" || n == "P-521") return "P-521";
    return std::string(n);
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

/// A private key, parsed and checked once. Copies share the same immutable EVP_PKEY.
class private_key {
public:
    /// Parses PKCS#8 (plain or encrypted), PKCS#1 RSA or SEC1 EC PEM text.
    /// @throws jwt::error invalid_key, private_key_required, passphrase_required, bad_passphrase
    [[nodiscard]] static private_key from_pem(std::string_view pem, std::string_view passphrase = {}) {
        return private_key(detail::load_private_pem(pem, passphrase));
    }
    [[nodiscard]] static std::optional<private_key> from_pem(std::string_view pem, std::string_view passphrase,
                                                             std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<private_key>(from_pem(pem, passphrase)); });
    }
    /// @throws jwt::error key_file_error, or any error of from_pem
    [[nodiscard]] static private_key from_pem_file(const std::filesystem::path& path,
                                                   std::string_view passphrase = {}) {
        std::string text = detail::read_file(path, "private key file");
        const detail::wipe_on_exit wipe(text);
        return from_pem(text, passphrase);
    }
    [[nodiscard]] static std::optional<private_key> from_pem_file(const std::filesystem::path& path,
                                                                  std::string_view passphrase, std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<private_key>(from_pem_file(path, passphrase)); });
    }
    /// Takes a new reference to a key the host already holds; the caller keeps its own.
    /// @throws jwt::error invalid_key (null), private_key_required
    [[nodiscard]] static private_key from_evp_pkey(EVP_PKEY* key) {
        auto owned = detail::adopt(key);
        detail::check_loaded_key(owned.get());
        if (!detail::has_private_part(owned.get())) {
            // Keys held by a provider (an HSM) may not expose their private part; the
            // signers detect those by a test signature instead.
            const OSSL_PROVIDER* prov = EVP_PKEY_get0_provider(owned.get());
            const char* pname = prov != nullptr ? OSSL_PROVIDER_get0_name(prov) : "default";
            if (std::string_view(pname) == "default" || std::string_view(pname) == "fips") {
                detail::fail(errc::private_key_required, "the EVP_PKEY holds only a public key; signing needs the private key");
            }
        }
        return private_key(std::move(owned));
    }

    /// A new RSA key. @throws jwt::error weak_key below 2048 bits
    [[nodiscard]] static private_key generate_rsa(unsigned bits = 2048) {
        if (bits < 2048) {
            detail::fail(errc::weak_key, "RSA keys need at least 2048 bits (asked for " + std::to_string(bits) + ")");
        }
        if (bits > detail::rsa_max_modulus_bits) {
            detail::fail(errc::invalid_key, "RSA keys above 16384 bits are not supported");
        }
        return private_key(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))},
                           "RSA key generation failed");
    }
    /// A new EC key on the curve ES256 uses (P-256).
    [[nodiscard]] static private_key generate_ec_p256() { return generate_ec("P-256"); }
    /// A new EC key on a JOSE curve: "P-256" (ES256), "P-384" (ES384) or "P-521" (ES512).
    /// @throws jwt::error invalid_key for any other curve name
    [[nodiscard]] static private_key generate_ec(std::string_view curve) {
        if (curve != "P-256" && curve != "P-384" && curve != "P-521") {
            detail::fail(errc::invalid_key,
                         "EC key generation takes the curve P-256, P-384 or P-521, not '" + std::string(curve) + "'");
        }
        const std::string name(curve);
        return private_key(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", name.c_str())},
                           "EC key generation failed");
    }
    /// A new Ed25519 key (EdDSA, RFC 8037).
    [[nodiscard]] static private_key generate_ed25519() {
        return private_key(detail::pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")},
                           "Ed25519 key generation failed");
    }

    private_key(const private_key& other) : key_(detail::share(other.key_)) {}
    private_key& operator=(const private_key& other) {
        if (this != &other) key_ = detail::share(other.key_);
        return *this;
    }
    private_key(private_key&&) noexcept = default;
    private_key& operator=(private_key&&) noexcept = default;
    ~private_key() = default;

    /// Type, size and curve.
    [[nodiscard]] key_info info() const { return detail::describe(key_.get()); }

    /// The public half as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"):
    /// what the admin pastes into the vendor's settings.
    [[nodiscard]] std::string public_key_pem() const { return detail::public_pem_of(key_.get()); }

    /// The private key as PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given.
    [[nodiscard]] std::string to_pem(std::string_view passphrase = {}) const {
        detail::bio_ptr bio{BIO_new(BIO_s_mem())};
        if (!bio) detail::fail_openssl(errc::openssl_error, "BIO_new failed");
        const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
        detail::secure_bytes pass = detail::to_secure_bytes(passphrase);
        if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), cipher,
                                          pass.empty() ? nullptr : reinterpret_cast<const char*>(pass.data()),
                                          static_cast<int>(pass.size()), nullptr, nullptr) != 1) {
            detail::fail_openssl(errc::openssl_error, "could not write the private key as PEM");
        }
        std::string out = detail::bio_contents(bio.get());
        return out;
    }

    /// Whether pub is the public half of this key (the vendor's "key mismatch" check).
    [[nodiscard]] bool matches(const public_key& pub) const noexcept;

    /// The underlying key, for interop; jwtmint keeps its own reference.
    [[nodiscard]] EVP_PKEY* native_handle() const noexcept { return key_.get(); }

private:
    explicit private_key(detail::pkey_ptr key) : key_(std::move(key)) {}
    private_key(detail::pkey_ptr key, const char* failure) : key_(std::move(key)) {
        if (!key_) detail::fail_openssl(errc::openssl_error, failure);
    }
    detail::pkey_ptr key_;
};

/// A public key: what a verifier checks signatures with, and what the vendor is given.
class public_key {
public:
    /// Parses SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY")
    /// PEM; a private key PEM is accepted too and yields its public half.
    /// @throws jwt::error invalid_key
    [[nodiscard]] static public_key from_pem(std::string_view pem) {
        auto key = detail::load_public_pem(pem);
        return public_key(std::move(key));
    }
    [[nodiscard]] static std::optional<public_key> from_pem(std::string_view pem, std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<public_key>(from_pem(pem)); });
    }
    [[nodiscard]] static public_key from_pem_file(const std::filesystem::path& path) {
        return from_pem(detail::read_file(path, "public key file"));
    }
    [[nodiscard]] static std::optional<public_key> from_pem_file(const std::filesystem::path& path,
                                                                 std::error_code& ec) {
        return detail::capture(ec, [&] { return std::optional<public_key>(from_pem_file(path)); });
    }
    /// Takes a new reference to a key the host already holds.
    /// @throws jwt::error invalid_key (null, or a key that fails a load-time check: see docs/security.md)
    [[nodiscard]] static public_key from_evp_pkey(EVP_PKEY* key) {
        auto owned = detail::adopt(key);
        detail::check_loaded_key(owned.get());
        return public_key(std::move(owned));
    }
    /// The public half of a private key.
    [[nodiscard]] static public_key from_private(const private_key& key) {
        return from_pem(key.public_key_pem());
    }

    public_key(const public_key& other) : key_(detail::share(other.key_)) {}
    public_key& operator=(const public_key& other) {
        if (this != &other) key_ = detail::share(other.key_);
        return *this;
    }
    public_key(public_key&&) noexcept = default;
    public_key& operator=(public_key&&) noexcept = default;
    ~public_key() = default;

    [[nodiscard]] key_info info() const { return detail::describe(key_.get()); }
    /// SubjectPublicKeyInfo PEM.
    [[nodiscard]] std::string to_pem() const { return detail::public_pem_of(key_.get()); }
    [[nodiscard]] EVP_PKEY* native_handle() const noexcept { return key_.get(); }

private:
    explicit public_key(detail::pkey_ptr key) : key_(std::move(key)) {}
    detail::pkey_ptr key_;
};

inline bool private_key::matches(const public_key& pub) const noexcept {
    const bool same = EVP_PKEY_eq(key_.get(), pub.native_handle()) == 1;
    ERR_clear_error();
    return same;
}

/// Whether public_pem is the public half of key; an unparsable PEM is simply "no".
[[nodiscard]] inline bool key_matches(const private_key& key, std::string_view public_pem) noexcept {
    try {
        return key.matches(public_key::from_pem(public_pem));
    } catch (...) {
        return false;
    }
}

/// A new random HMAC secret of n bytes from OpenSSL's private DRBG (RFC 7518 §3.2: at
/// least as long as the hash, so 32 bytes for HS256).
[[nodiscard]] inline std::string generate_hmac_secret(std::size_t n = 32) {
    if (n < 32) detail::fail(errc::weak_key, "HMAC secrets need at least 32 bytes (RFC 7518 section 3.2)");
    std::string secret(n, '\0');
    if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(n)) != 1) {
        detail::fail_openssl(errc::openssl_error, "RAND_priv_bytes failed");
    }
    return secret;
}

/// A fresh random token id for the `jti` claim: 16 octets (128 bits) from OpenSSL's CSPRNG as
/// 22 characters of base64url, so a verifier that remembers ids can refuse a replayed token.
/// @throws jwt::error openssl_error when the random generator fails
[[nodiscard]] inline std::string random_jwt_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        detail::fail_openssl(errc::openssl_error, "RAND_bytes failed: the random generator is not seeded");
    }
    // 128 bits = 21 groups of 6 bits and 2 bits left over: read the octets as one bit string.
    std::string id;
    id.reserve(22);
    unsigned int acc = 0;
    int bits = 0;
    for (const unsigned char c : raw) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            id += alphabet[(acc >> bits) & 0x3F];
        }
    }
    id += alphabet[(acc << (6 - bits)) & 0x3F];
    return id;
}

}  // namespace jwt
