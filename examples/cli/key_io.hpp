// SPDX-License-Identifier: MIT
// Key files for the jwtmint tool: reading whatever --key names (PEM, JWK, raw HMAC secret),
// choosing the algorithm from the key, building signers and verifiers, and writing new keys
// with mode 0600.
#pragma once

#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>

#include "common.hpp"
#include "common/key_file.hpp"
#include "secret_buffer.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cli {

/// What a key file held, parsed once. Exactly one of private_key, public_key, secret is set.
struct key_material {
    std::filesystem::path path;
    std::string description;                      ///< e.g. "RSA 2048-bit private key (PEM)"
    std::optional<jwt::private_key> private_key;  ///< a PEM or JWK private key
    std::optional<jwt::public_key> public_key;    ///< a PEM or JWK public key (no private half)
    std::optional<secret_buffer> secret;          ///< an HMAC secret: a raw file's bytes or a JWK's "k"
    std::string jwk_alg;                          ///< a JWK's "alg" member, when it has one
    std::string kid;                              ///< a JWK's "kid" member, when it has one
    bool is_uri = false;                          ///< path is a key URI (OSSL_STORE), not a file

    /// The public half, for key-pair material. @throws jwt::error key_algorithm_mismatch for a
    /// secret
    [[nodiscard]] jwt::public_key public_half() const;
};

/// description with "a" or "an" before it, as spoken: "an RSA ...", "a 32-byte ...".
[[nodiscard]] std::string with_article(const std::string& description);

/// Reads a whole file into wiped memory. @throws jwt::error key_file_error naming path and reason
[[nodiscard]] secret_buffer read_file_bytes(const std::filesystem::path& path, std::string_view what);

/// Reads --passphrase-file: the file's bytes without one trailing line break.
[[nodiscard]] secret_buffer read_passphrase_file(const std::filesystem::path& path);

/// The environment variable that holds an encrypted key's passphrase, for the tool and the
/// example host backend alike.
inline constexpr const char* passphrase_variable = "JWTMINT_KEY_PASSPHRASE";

/// The passphrase for an encrypted key: --passphrase-file when given (file), else the
/// environment variable JWTMINT_KEY_PASSPHRASE when set and not empty, else none. Remembers where
/// it came from, for load_key's messages. @throws jwt::error key_file_error (an unreadable file)
[[nodiscard]] secret_buffer passphrase_for(const std::string& file);

/// Where the last passphrase_for found its passphrase: "--passphrase-file 'F'", "the environment
/// variable JWTMINT_KEY_PASSPHRASE", or "" for none.
[[nodiscard]] const std::string& passphrase_source();

/// Whether --key's value is a key URI ("handle:0x81000001", "pkcs11:...", "file:...") rather
/// than a file: it starts with a URI scheme and no file of that name exists.
[[nodiscard]] bool is_key_uri(const std::string& arg);

/// Reads a key file: PEM (private or public), a JWK or JWK Set (JSON), or else a raw HS256
/// HMAC secret (the file's exact bytes). kid_hint picks a key from a JWK Set with several.
/// @throws jwt::error (key_file_error, invalid_key, passphrase_required, bad_passphrase, ...)
[[nodiscard]] key_material load_key(const std::filesystem::path& path, std::string_view passphrase = {},
                                    std::string_view kid_hint = {});

// How load_key reads a file's bytes (keygen draws again when random bytes would be misread):
// examples/common/key_file.hpp, shared with the host backend.
using jwtmint_examples::classify_key_bytes;
using jwtmint_examples::is_printable_text;
using jwtmint_examples::key_file_kind;

/// Whether an HMAC secret file looks like text saved with a trailing line break (which is
/// then part of the secret: a common reason for a vendor-side "invalid signature").
[[nodiscard]] bool has_trailing_line_break(std::string_view secret);

/// The algorithm a key implies: RSA -> RS256, RSA-PSS -> PS256, EC P-256/P-384/P-521 ->
/// ES256/ES384/ES512, Ed25519 -> EdDSA, a secret -> HS256 (other lengths need --alg).
/// @throws jwt::error key_algorithm_mismatch for any other key (secp256k1, Ed448, DSA, ...)
[[nodiscard]] algorithm default_algorithm(const key_material& key);

/// --alg when given (checked against a JWK's own "alg"), else default_algorithm(key).
/// @throws jwt::error key_algorithm_mismatch
[[nodiscard]] algorithm choose_algorithm(const key_material& key, const std::optional<algorithm>& requested);

/// For a token refused with algorithm_mismatch: a hint naming --alg when the tool assumed the
/// algorithm (no --alg, and the key does not name one, as a PEM key or a raw secret does not)
/// and the token's alg is another one this very key can verify (RS256 assumed, the token is
/// PS256 or RS512; HS256 assumed, the token is HS512). "" otherwise. It never makes the token
/// valid: the user decides, and the algorithm still comes from the command line, not the token.
[[nodiscard]] std::string assumed_algorithm_hint(const key_material& key, bool alg_given, const algorithm& assumed,
                                                 std::string_view token);

/// A signer of type Alg from key. @throws jwt::error (private_key_required, key_algorithm_mismatch,
/// weak_key ...)
template <class Alg>
[[nodiscard]] Alg make_signer(const key_material& key);

/// A verifier of type Alg from key (a private key contributes its public half).
/// @throws jwt::error (key_algorithm_mismatch, weak_key ...)
template <class Alg>
[[nodiscard]] jwt::verifier<Alg> make_verifier(const key_material& key);

/// One file for write_new_files: its path, its bytes and its permission bits (umask narrows a
/// public file's 0644; a private file's 0600 is exact).
struct new_file {
    std::filesystem::path path;
    std::string_view bytes;
    unsigned mode = 0600;
};

/// Writes every file, or none: each goes to a new temporary file beside its path (flushed to
/// disk), then all are moved into place. Without overwrite no existing path is replaced (link(2)
/// refuses to, so a file created in the meantime is not replaced either), and when any path
/// exists nothing is written; with it, each is renamed over its old file, whose mode and hard
/// links are not reused. @throws jwt::error key_file_error
void write_new_files(const std::vector<new_file>& files, bool overwrite);

/// write_new_files for one file with mode 0600. @throws jwt::error key_file_error
void write_private_file(const std::filesystem::path& path, std::string_view bytes, bool overwrite);

/// The permission bits of path (st_mode & 07777). @throws jwt::error key_file_error
[[nodiscard]] unsigned file_mode(const std::filesystem::path& path);

// Implementation of the templates.

[[noreturn]] void fail_secret_for_pem_algorithm(const key_material& key, std::string_view alg);
[[noreturn]] void fail_pem_for_hmac(const key_material& key, std::string_view alg);

template <class Alg>
Alg make_signer(const key_material& key) {
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        if (!key.secret) fail_pem_for_hmac(key, Alg::alg);
        return Alg::from_secret(key.secret->view());
    } else {
        if (key.secret) fail_secret_for_pem_algorithm(key, Alg::alg);
        if (!key.private_key) {
            throw jwt::error(jwt::errc::private_key_required,
                             "'" + key.path.string() + "' holds " + with_article(key.description) +
                                 "; signing needs the private key (the public key is what the "
                                 "vendor's settings hold)");
        }
        return Alg::from_key(*key.private_key);
    }
}

template <class Alg>
jwt::verifier<Alg> make_verifier(const key_material& key) {
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        if (!key.secret) fail_pem_for_hmac(key, Alg::alg);
        return jwt::verifier<Alg>::from_secret(key.secret->view());
    } else {
        if (key.secret) fail_secret_for_pem_algorithm(key, Alg::alg);
        return jwt::verifier<Alg>::from_key(key.public_half());
    }
}

}  // namespace cli
