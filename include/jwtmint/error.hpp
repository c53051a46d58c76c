// SPDX-License-Identifier: MIT
/// @file
/// jwtmint's error model: the jwt::errc codes, their std::error_category and jwt::error.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

/// @def JWTMINT_EXCEPTIONS
/// 1 where C++ exceptions are enabled. Without them (-fno-exceptions) jwtmint still compiles and
/// its try_* calls work; the throwing calls abort with the message instead of throwing.
#ifndef JWTMINT_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define JWTMINT_EXCEPTIONS 1
#else
#define JWTMINT_EXCEPTIONS 0
#endif
#endif

namespace jwt {
inline namespace v1 {

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
    algorithm_not_allowed,   ///< an algorithm the login policy (the widget's settings) does not accept
    invalid_policy,          ///< a login policy value or file that cannot be used
    invalid_setting,         ///< a setting out of range (a negative leeway; retiring a key ring's signing key)
    key_set_unavailable,     ///< a remote JWK Set that could not be fetched (none yet, or a refresh failed)
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
        case errc::algorithm_not_allowed: return "algorithm_not_allowed";
        case errc::invalid_policy: return "invalid_policy";
        case errc::invalid_setting: return "invalid_setting";
        case errc::key_set_unavailable: return "key_set_unavailable";
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
            case errc::algorithm_not_allowed: return "the login policy does not allow this algorithm";
            case errc::invalid_policy: return "the login policy is invalid";
            case errc::invalid_setting: return "a setting is out of its range";
            case errc::key_set_unavailable: return "the remote key set could not be fetched";
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

/// The std::error_code of e in jwt::category(), so that a jwt::errc compares with and converts to one.
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/// What a failed jwtmint call reports: the jwt::errc and the message that names the fix.
/// The throwing calls throw it; the non-throwing calls (try_*) return it inside a jwt::result,
/// so both styles carry the same code and the same message.
class error : public std::system_error {
public:
    /// An error with code e; message is what what() returns, and should name the fix.
    error(errc e, const std::string& message) : std::system_error(make_error_code(e)), message_(message) {}
    /// The message given at construction (not the category's generic text for the code).
    [[nodiscard]] const char* what() const noexcept override { return message_.what(); }
    /// The code as a jwt::errc; code() is the same code as a std::error_code.
    [[nodiscard]] errc value() const noexcept { return static_cast<errc>(code().value()); }

private:
    std::runtime_error message_;  // refcounted: copying an error never throws
};

namespace detail {
/// Raises e: throws it where exceptions are enabled; otherwise prints it and aborts, as
/// nlohmann/json and fmt do. Only the throwing convenience calls reach this.
[[noreturn]] inline void raise(const error& e) {
#if JWTMINT_EXCEPTIONS
    throw e;
#else
    std::fputs("jwtmint: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs(" (exceptions are disabled: use the try_* calls)\n", stderr);
    std::abort();
#endif
}
}  // namespace detail

/// The outcome of a non-throwing jwtmint call: a T, or the jwt::error that says why not.
///
/// `if (auto token = b.try_sign()) use(*token); else log(token.error().what());`
/// value() returns the T or throws the error; it is how each throwing call is made.
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T> && !std::is_same_v<std::decay_t<T>, jwt::error>,
                  "jwt::result holds a value type other than jwt::error");

public:
    using value_type = T;  ///< The type of the value held on success.

    /** @{ */
    /// A result that holds the value (copied or moved in), or the error.
    // NOLINTNEXTLINE(google-explicit-constructor)
    result(const T& value) : ok_(true) { ::new (static_cast<void*>(&value_)) T(value); }
    // NOLINTNEXTLINE(google-explicit-constructor)
    result(T&& value) : ok_(true) { ::new (static_cast<void*>(&value_)) T(std::move(value)); }
    // NOLINTNEXTLINE(google-explicit-constructor)
    result(jwt::error e) : ok_(false) { ::new (static_cast<void*>(&error_)) jwt::error(std::move(e)); }
    /** @} */
    /// Any value a T can be made from (a std::string from a char array, an optional from its value).
    template <class U, class = std::enable_if_t<
                           std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
                           !std::is_same_v<std::decay_t<U>, jwt::error> && !std::is_same_v<std::decay_t<U>, result>>>
    result(U&& value) : ok_(true) {  // NOLINT(google-explicit-constructor)
        ::new (static_cast<void*>(&value_)) T(std::forward<U>(value));
    }
    /** @{ */
    /// Copies or moves the value or the error. Assignment gives the strong guarantee: a copy that
    /// throws leaves *this untouched; a move needs a T whose move constructor does not throw.
    result(const result& other) : ok_(other.ok_) { construct_from(other); }
    result(result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(other.ok_) {
        construct_from(std::move(other));
    }
    result& operator=(const result& other) {
        if (this != &other) {
            result copy(other);  // may throw: *this is untouched then
            *this = std::move(copy);
        }
        return *this;
    }
    result& operator=(result&& other) noexcept {
        static_assert(std::is_nothrow_move_constructible_v<T>,
                      "jwt::result<T> is assignable when T's move constructor does not throw");
        if (this != &other) {
            destroy();
            ok_ = other.ok_;
            construct_from(std::move(other));
        }
        return *this;
    }
    /** @} */
    ~result() { destroy(); }

    /** @{ */
    /// Whether the call succeeded: the result holds a value, not an error.
    [[nodiscard]] bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return has_value(); }
    /** @} */

    /** @{ */
    /// The value; the result must hold one.
    [[nodiscard]] T& operator*() & noexcept { return value_; }
    [[nodiscard]] const T& operator*() const& noexcept { return value_; }
    [[nodiscard]] T&& operator*() && noexcept { return std::move(value_); }
    [[nodiscard]] T* operator->() noexcept { return &value_; }
    [[nodiscard]] const T* operator->() const noexcept { return &value_; }
    /** @} */

    /** @{ */
    /// The value, or throws the error (aborts, printing it, when exceptions are disabled).
    T& value() & {
        if (!ok_) detail::raise(error_);
        return value_;
    }
    [[nodiscard]] const T& value() const& {
        if (!ok_) detail::raise(error_);
        return value_;
    }
    T&& value() && {
        if (!ok_) detail::raise(error_);
        return std::move(value_);
    }
    /** @} */

    /** @{ */
    /// Why the call failed; the result must hold an error.
    [[nodiscard]] const jwt::error& error() const& noexcept { return error_; }
    [[nodiscard]] jwt::error&& error() && noexcept { return std::move(error_); }
    /** @} */
    /// The failure's code as a std::error_code, or an empty one on success.
    [[nodiscard]] std::error_code error_code() const noexcept { return ok_ ? std::error_code{} : error_.code(); }

private:
    // A tagged union rather than std::variant<T, jwt::error>: the same layout, without the
    // variant's visitation machinery, which every result<T> instantiated in every file that
    // includes jwtmint (a fifth of a minting file's compile time).
    template <class R>
    void construct_from(R&& other) {
        if (ok_) {
            ::new (static_cast<void*>(&value_)) T(std::forward<R>(other).value_);
        } else {
            ::new (static_cast<void*>(&error_)) jwt::error(std::forward<R>(other).error_);
        }
    }
    void destroy() noexcept {
        if (ok_) {
            value_.~T();
        } else {
            error_.~error_type();
        }
    }

    using error_type = jwt::error;

    bool ok_;
    union {
        T value_;
        jwt::error error_;
    };
};

/// The outcome of a non-throwing call that has no value: success, or the jwt::error.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;  ///< No value on success.

    /// Success.
    result() noexcept = default;
    /// The failure e.
    result(jwt::error e) : error_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

    /** @{ */
    /// Whether the call succeeded (the result holds no error).
    [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    /** @} */
    /// Throws the error, if any (aborts, printing it, when exceptions are disabled).
    void value() const {
        if (error_) detail::raise(*error_);
    }
    /** @{ */
    /// Why the call failed; the result must hold an error.
    [[nodiscard]] const jwt::error& error() const& noexcept { return *error_; }
    [[nodiscard]] jwt::error&& error() && noexcept { return std::move(*error_); }
    /** @} */
    /// The failure's code as a std::error_code, or an empty one on success.
    [[nodiscard]] std::error_code error_code() const noexcept { return error_ ? error_->code() : std::error_code{}; }

private:
    std::optional<jwt::error> error_;
};

/// A call that has no value to return on success.
using status = result<void>;

namespace detail {
/// The error a failed internal step hands up; `return fail(errc::weak_key, "...");`.
[[nodiscard]] inline error fail(errc e, const std::string& message) { return error(e, message); }

/// The std::error_code overloads: the result's value as an optional, its code in ec.
template <class T>
std::optional<T> to_optional(result<T>&& r, std::error_code& ec) {
    ec = r.error_code();
    if (!r) return std::nullopt;
    return std::optional<T>(std::move(*r));
}
inline void to_error_code(const status& r, std::error_code& ec) noexcept { ec = r.error_code(); }
}  // namespace detail

}  // namespace v1
}  // namespace jwt

/// jwt::errc is an error code enum: an errc converts to a std::error_code and compares with one.
template <>
struct std::is_error_code_enum<jwt::errc> : std::true_type {};
