// SPDX-License-Identifier: MIT
// jwtmint's error model: the jwt::errc codes, their std::error_category and jwt::error.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

namespace jwt {

/// Every way a jwtmint call can fail. Values are stable; new codes are appended.
enum class errc {
    invalid_key = 1,         ///< key text or bytes that cannot be parsed as a key
    key_algorithm_mismatch,  ///< a key of the wrong type or curve for the algorithm
    weak_key,                ///< RSA under 2048 bits, an HMAC secret under 32 bytes
    private_key_required,    ///< a public key where signing needs the private one
    passphrase_required,     ///< an encrypted PEM and no passphrase
    bad_passphrase,          ///< an encrypted PEM the passphrase does not open
    key_file_error,          ///< a key file that cannot be read or written
    key_mismatch,            ///< a public key that does not belong to the private key
    invalid_claim,           ///< a claim value the widget or RFC 7519 would refuse
    missing_roles,           ///< a token without the role claim
    invalid_lifetime,        ///< zero, negative, or above the configured ceiling
    signing_failed,          ///< the signer (OpenSSL or a user's own) reported failure
    invalid_base64url,       ///< padding, foreign characters or non-canonical trailing bits
    malformed_token,         ///< not three segments, not JSON objects, duplicate members
    token_too_large,         ///< over the verifier's size limit
    invalid_signature,       ///< the signature does not verify with the key
    algorithm_mismatch,      ///< the token's alg differs from the verifier's key
    unsupported_header,      ///< crit, b64:false, or another header we will not honour
    token_expired,           ///< exp is in the past (beyond the leeway)
    token_not_yet_valid,     ///< nbf or iat is in the future (beyond the leeway)
    missing_claim,           ///< a claim the verifier requires is absent
    claim_mismatch,          ///< iss / aud / sub differ from what the verifier requires
    unknown_role,            ///< a role that is not among the known team roles
    lifetime_too_long,       ///< exp - iat above the verifier's maximum lifetime
    openssl_error,           ///< an unexpected failure inside OpenSSL
    invalid_jwk,             ///< a JWK with missing or ill-sized members, or private members where a public key belongs
    unknown_key_id,          ///< a token whose kid names no key of the verifier's JWK Set
};

/// The name of a code as written in source, e.g. "weak_key" (used by the CLI and in logs).
[[nodiscard]] inline const char* errc_name(errc e) noexcept {
    switch (e) {
        case errc::invalid_key: return "invalid_key";
        case errc::key_algorithm_mismatch: return "key_algorithm_mismatch";
        case errc::weak_key: return "weak_key";
        case errc::private_key_required: return "private_key_required";
        case errc::passphrase_required: return "passphrase_required";
        case errc::bad_passphrase: return "bad_passphrase";
        case errc::key_file_error: return "key_file_error";
        case errc::key_mismatch: return "key_mismatch";
        case errc::invalid_claim: return "invalid_claim";
        case errc::missing_roles: return "missing_roles";
        case errc::invalid_lifetime: return "invalid_lifetime";
        case errc::signing_failed: return "signing_failed";
        case errc::invalid_base64url: return "invalid_base64url";
        case errc::malformed_token: return "malformed_token";
        case errc::token_too_large: return "token_too_large";
        case errc::invalid_signature: return "invalid_signature";
        case errc::algorithm_mismatch: return "algorithm_mismatch";
        case errc::unsupported_header: return "unsupported_header";
        case errc::token_expired: return "token_expired";
        case errc::token_not_yet_valid: return "token_not_yet_valid";
        case errc::missing_claim: return "missing_claim";
        case errc::claim_mismatch: return "claim_mismatch";
        case errc::unknown_role: return "unknown_role";
        case errc::lifetime_too_long: return "lifetime_too_long";
        case errc::openssl_error: return "openssl_error";
        case errc::invalid_jwk: return "invalid_jwk";
        case errc::unknown_key_id: return "unknown_key_id";
    }
    return "unknown";
}

namespace detail {
class category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "jwtmint"; }
    [[nodiscard]] std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::invalid_key: return "the key could not be parsed";
            case errc::key_algorithm_mismatch: return "the key does not fit the algorithm";
            case errc::weak_key: return "the key is too weak for the algorithm";
            case errc::private_key_required: return "a private key is required";
            case errc::passphrase_required: return "the key is encrypted; a passphrase is required";
            case errc::bad_passphrase: return "the passphrase does not decrypt the key";
            case errc::key_file_error: return "the key file could not be read or written";
            case errc::key_mismatch: return "the public key does not belong to the private key";
            case errc::invalid_claim: return "a claim has an invalid value";
            case errc::missing_roles: return "the token has no role claim";
            case errc::invalid_lifetime: return "the token lifetime is out of range";
            case errc::signing_failed: return "signing failed";
            case errc::invalid_base64url: return "invalid base64url";
            case errc::malformed_token: return "malformed token";
            case errc::token_too_large: return "token too large";
            case errc::invalid_signature: return "invalid signature";
            case errc::algorithm_mismatch: return "the token's algorithm differs from the key's";
            case errc::unsupported_header: return "unsupported header parameter";
            case errc::token_expired: return "token expired";
            case errc::token_not_yet_valid: return "token not yet valid";
            case errc::missing_claim: return "a required claim is missing";
            case errc::claim_mismatch: return "a claim differs from the required value";
            case errc::unknown_role: return "a role is not among the known team roles";
            case errc::lifetime_too_long: return "the token lifetime exceeds the maximum";
            case errc::openssl_error: return "OpenSSL reported an error";
            case errc::invalid_jwk: return "the JSON Web Key is malformed";
            case errc::unknown_key_id: return "no key has the token's key id";
        }
        return "unknown jwtmint error";
    }
};
}  // namespace detail

/// The category of jwt::errc codes; one instance per program.
[[nodiscard]] inline const std::error_category& category() noexcept {
    static const detail::category_impl instance;
    return instance;
}

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

/// The one exception type jwtmint throws (besides std::bad_alloc).
/// what() is the specific message that names the fix; code() holds the jwt::errc.
class error : public std::system_error {
public:
    error(errc e, const std::string& message)
        : std::system_error(make_error_code(e)), message_(message) {}
    [[nodiscard]] const char* what() const noexcept override { return message_.what(); }
    [[nodiscard]] errc value() const noexcept { return static_cast<errc>(code().value()); }

private:
    std::runtime_error message_;  // refcounted: copying an exception never throws
};

namespace detail {
[[noreturn]] inline void fail(errc e, const std::string& message) { throw error(e, message); }

/// Runs f, turning a jwt::error into ec; the error_code overloads are built on this.
template <class F>
auto capture(std::error_code& ec, F&& f) noexcept(false) -> decltype(f()) {
    ec.clear();
    try {
        return f();
    } catch (const error& e) {
        ec = e.code();
        return decltype(f()){};
    }
}
}  // namespace detail

}  // namespace jwt

template <>
struct std::is_error_code_enum<jwt::errc> : std::true_type {};
