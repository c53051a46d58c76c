// SPDX-License-Identifier: MIT
// User-written signer policies that sign through PKCS#11 with a key that never leaves the token:
// hsm::pkcs11_rs256 and hsm::pkcs11_es256, and hsm::pkcs11_token, the logged-in token they share.
//
// Nothing here is part of jwtmint: the policies meet jwt::is_signer_v with a static `alg` and a
// const `sign`, so jwt::builder takes them as it takes jwt::rs256. The PKCS#11 side lives in
// pkcs11_signer.cpp (the module's own C API, through p11-kit's <p11-kit/pkcs11.h>); this header
// includes none of it.
#pragma once

#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace hsm {

namespace detail {
struct token_state;
struct key_state;
}  // namespace detail

/// A PKCS#11 module loaded, one of its tokens found by label, and the user logged in to it.
/// Copies share the same login; the module is finalised and unloaded when the last copy (and the
/// last signer made from it) is gone.
///
/// Thread safety: PKCS#11 allows one operation at a time per session. A token keeps a pool of
/// sessions that its signers share: a signature takes an idle session (or opens one, up to 4, or
/// fewer if the token allows fewer), signs on it with no lock held, and gives it back. A mutex is
/// held only while a session is taken or given back; a thread that finds all sessions busy waits
/// for one. So up to 4 signatures per token run at once, from any signers made from it. The login
/// is kept by one more session that never signs: PKCS#11 logs the user out when a token's last
/// session closes.
///
/// Open a token once per process and copy the pkcs11_token: PKCS#11 logins are per process, so
/// open() refuses a token that is already open (a second login would not check its PIN).
class pkcs11_token {
public:
    /// Loads the module at module_path (once per process), finds the initialised token labelled
    /// token_label and logs in with the user PIN (the copy made for the module is wiped afterwards).
    /// If another part of the process has already logged in to the token, that login is used and
    /// the PIN is not checked.
    /// @throws jwt::error key_file_error (the module cannot be loaded), invalid_key (no such token,
    ///         or it is already open), bad_passphrase (the PIN is refused or locked)
    [[nodiscard]] static pkcs11_token open(std::string_view module_path, std::string_view token_label,
                                           std::string_view pin);
    /// As open(), reporting failure through ec; never throws jwt::error.
    [[nodiscard]] static std::optional<pkcs11_token> open(std::string_view module_path, std::string_view token_label,
                                                          std::string_view pin, std::error_code& ec);

    /// The token's label, as the module reports it.
    [[nodiscard]] const std::string& label() const noexcept;

private:
    explicit pkcs11_token(std::shared_ptr<detail::token_state> state) : state_(std::move(state)) {}
    std::shared_ptr<detail::token_state> state_;
    friend class pkcs11_rs256;
    friend class pkcs11_es256;
};

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) with an RSA private key (at least 2048
/// bits) held in a PKCS#11 token. sign() is const and may be called from many threads at once.
class pkcs11_rs256 {
public:
    static constexpr std::string_view alg = "RS256";

    /// Finds the private key labelled key_label on the token, checks it is RSA of 2048 bits or
    /// more, reads its public half, and signs a probe that must verify under that public half.
    /// @throws jwt::error invalid_key (no such key, or two keys share the label),
    ///         key_algorithm_mismatch (not RSA), weak_key (under 2048 bits), signing_failed (the
    ///         token signs with neither CKM_SHA256_RSA_PKCS nor CKM_RSA_PKCS), key_mismatch (the
    ///         public half does not verify the probe)
    [[nodiscard]] static pkcs11_rs256 from_token(const pkcs11_token& token, std::string_view key_label);
    [[nodiscard]] static std::optional<pkcs11_rs256> from_token(const pkcs11_token& token, std::string_view key_label,
                                                                std::error_code& ec);

    /// The raw RSASSA-PKCS1-v1_5 signature (the modulus size in octets), made inside the token on
    /// one of the token's pooled sessions. Thread-safe; runs concurrently (see pkcs11_token).
    /// @throws jwt::error signing_failed (with the module's CKR_ return code)
    [[nodiscard]] std::string sign(std::string_view signing_input) const;
    /// The public half, read from the token; to_pem() gives the SPKI PEM the vendor is given.
    [[nodiscard]] const jwt::public_key& public_key() const noexcept;

private:
    explicit pkcs11_rs256(std::shared_ptr<const detail::key_state> key) : key_(std::move(key)) {}
    std::shared_ptr<const detail::key_state> key_;
};

/// ES256 (ECDSA on P-256 with SHA-256, RFC 7518 §3.4) with a P-256 private key held in a PKCS#11
/// token. sign() is const and may be called from many threads at once.
class pkcs11_es256 {
public:
    static constexpr std::string_view alg = "ES256";

    /// Finds the private key labelled key_label on the token, checks it is EC on P-256, reads the
    /// public point from the public key object with the same CKA_ID, and signs a probe that must
    /// verify under it.
    /// @throws jwt::error invalid_key (no such key, two keys share the label, no public key
    ///         object), key_algorithm_mismatch (not EC, or another curve), signing_failed (no
    ///         CKM_ECDSA), key_mismatch (the public key object belongs to another key)
    [[nodiscard]] static pkcs11_es256 from_token(const pkcs11_token& token, std::string_view key_label);
    [[nodiscard]] static std::optional<pkcs11_es256> from_token(const pkcs11_token& token, std::string_view key_label,
                                                                std::error_code& ec);

    /// The 64-octet R‖S signature (RFC 7518 §3.4), made inside the token (CKM_ECDSA over the
    /// SHA-256 digest). Thread-safe; runs concurrently (see pkcs11_token).
    /// @throws jwt::error signing_failed (with the module's CKR_ return code)
    [[nodiscard]] std::string sign(std::string_view signing_input) const;
    /// The public half, read from the token.
    [[nodiscard]] const jwt::public_key& public_key() const noexcept;

private:
    explicit pkcs11_es256(std::shared_ptr<const detail::key_state> key) : key_(std::move(key)) {}
    std::shared_ptr<const detail::key_state> key_;
};

}  // namespace hsm
