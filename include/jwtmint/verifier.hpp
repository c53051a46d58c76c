// SPDX-License-Identifier: MIT
/// @file
/// jwt::verifier: checks a compact JWS/JWT against a pinned key, the clock and the registered claims
/// (and, given a jwt::login_policy, the widget's login rules). The layers it composes live in
/// detail/: jws.hpp (segments, header rules, signature; per algorithm) and claim_rules.hpp (claims,
/// time, roles; compiled once). What it returns is in verified_token.hpp.
#pragma once

#include <jwtmint/detail/claim_rules.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/jws.hpp>
#include <jwtmint/detail/refusal.hpp>
#include <jwtmint/detail/verify_engine.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/file_path.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verified_token.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jwt {
inline namespace v1 {

namespace detail {
/// Reads JWKs; defined in <jwtmint/jwk.hpp>, which verifier::from_jwk needs.
struct jwk_loader;
}  // namespace detail

/// Verifies compact tokens for one algorithm with one key. The algorithm is fixed by the type
/// and the key (never by the token: a token whose `alg` differs is refused, `none` always);
/// Algorithm is one of the library's signer types (hs256/384/512, rs256/384/512, ps256/384/512,
/// es256/384/512, eddsa), Clock supplies "now" (pin it in tests).
///
/// The key is parsed, checked and prepared once; verify() is const and may run on many
/// threads at once. Configure with the setters first, then share: setters are not thread-safe.
/// A setter given an invalid value remembers it and every verify() reports it. The try_* calls
/// report failure in a jwt::result; none throws.
///
/// Defaults: tokens up to 8 KiB; no leeway; exp required; no lifetime ceiling; no role claim
/// required; no issuer, audience or subject required (a token with an `aud` claim is then
/// refused, RFC 7519 section 4.1.3). policy() adds the widget's login rules.
///
/// Order of checks (the first failure is reported): size (token_too_large); three segments
/// (malformed_token); header base64url (invalid_base64url) and JSON object without duplicate
/// members (malformed_token); crit / b64 / zip (unsupported_header); alg (algorithm_mismatch;
/// absent or not a string: malformed_token); signature (invalid_base64url, invalid_signature);
/// only then the payload: base64url, typ / cty, JSON object; claim types (invalid_claim:
/// exp / nbf / iat must be JSON numbers in [0, max_numeric_date], iss / sub / jti / identity
/// claims strings without control characters, identity claims not empty or blank, aud a string
/// or non-empty array of such strings; a number JSON cannot hold, such as 1e400, and a member
/// name holding U+0000 in the header or claims set are malformed_token, as is a kid with a
/// control character); exp, nbf, iat, lifetime; iss, aud, sub, required claims; with a login
/// policy, the role claim (missing_roles, invalid_claim, unknown_role). A configuration error
/// (an invalid setter value, errc::invalid_policy, errc::algorithm_not_allowed) comes first.
template <class Algorithm, class Clock = std::chrono::system_clock>
class verifier {
    static_assert(detail::is_verifiable_algorithm<Algorithm>,
                  "jwt::verifier<Algorithm>: Algorithm must be one of jwt::hs256/384/512, rs256/384/512, "
                  "ps256/384/512, es256/384/512 or eddsa (a user-written signer has no verifier here)");
    using engine = typename detail::verify_engine<Algorithm>::type;

public:
    using algorithm = Algorithm;                    ///< The signer type whose algorithm it accepts.
    using clock = Clock;                            ///< The clock exp, nbf and iat are checked against.
    using time_point = typename Clock::time_point;  ///< A time on that clock.
    /// The JOSE name of the one algorithm this verifier accepts.
    static constexpr std::string_view alg = Algorithm::alg;

    /// From SPKI ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY") PEM text; a private key
    /// PEM is accepted too and only its public half is kept. Key-pair algorithms only.
    /// Fails with invalid_key, key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_pem(std::string_view pem) {
        static_assert(!is_hmac_algorithm_v<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret(); a public key is never an HMAC secret");
        auto key = public_key::try_from_pem(pem);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem, throwing jwt::error.
    [[nodiscard]] static verifier from_pem(std::string_view pem) { return try_from_pem(pem).value(); }
    /// As try_from_pem, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_pem(std::string_view pem, std::error_code& ec) {
        return detail::to_optional(try_from_pem(pem), ec);
    }

    /// From a PEM file, as try_from_pem. Fails with key_file_error, or any error of try_from_pem.
    [[nodiscard]] static result<verifier> try_from_pem_file(const file_path& path) {
        static_assert(!is_hmac_algorithm_v<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret_file(); a public key is never an HMAC secret");
        auto key = public_key::try_from_pem_file(path);
        if (!key) return std::move(key).error();
        return try_from_key(*key);
    }
    /// As try_from_pem_file, throwing jwt::error.
    [[nodiscard]] static verifier from_pem_file(const file_path& path) { return try_from_pem_file(path).value(); }
    /// As try_from_pem_file, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_pem_file(const file_path& path, std::error_code& ec) {
        return detail::to_optional(try_from_pem_file(path), ec);
    }

    /// From a key loaded with jwt::public_key. Fails with key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_key(const public_key& key) {
        static_assert(!is_hmac_algorithm_v<Algorithm>,
                      "an HMAC (HS*) verifier is built from_secret(); a public key is never an HMAC secret");
        auto state = engine::make(key, Algorithm::spec);
        if (!state) return std::move(state).error();
        return verifier(std::move(*state));
    }
    /// As try_from_key, throwing jwt::error.
    [[nodiscard]] static verifier from_key(const public_key& key) { return try_from_key(key).value(); }
    /// As try_from_key, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_key(const public_key& key, std::error_code& ec) {
        return detail::to_optional(try_from_key(key), ec);
    }

    /// Takes a new reference to a key the host already holds (the caller keeps its own).
    /// Fails with invalid_key (null), key_algorithm_mismatch, weak_key.
    [[nodiscard]] static result<verifier> try_from_evp_pkey(EVP_PKEY* key) {
        auto owned = public_key::try_from_evp_pkey(key);
        if (!owned) return std::move(owned).error();
        return try_from_key(*owned);
    }
    /// As try_from_evp_pkey, throwing jwt::error.
    [[nodiscard]] static verifier from_evp_pkey(EVP_PKEY* key) { return try_from_evp_pkey(key).value(); }
    /// As try_from_evp_pkey, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_evp_pkey(EVP_PKEY* key, std::error_code& ec) {
        return detail::to_optional(try_from_evp_pkey(key), ec);
    }

    /// From the shared secret (at least as long as the hash: 32, 48 or 64 bytes; PEM text is
    /// refused: that is the RS256/HS256 key confusion attack). HS* only.
    /// Fails with weak_key, key_algorithm_mismatch.
    [[nodiscard]] static result<verifier> try_from_secret(std::string_view secret) {
        static_assert(is_hmac_algorithm_v<Algorithm>,
                      "from_secret() is for HS256/384/512; key-pair verifiers are built from a public key");
        auto mac = Algorithm::try_from_secret(secret);
        if (!mac) return std::move(mac).error();
        return verifier(detail::shared_const<engine>::make(std::move(*mac)));
    }
    /// As try_from_secret, throwing jwt::error.
    [[nodiscard]] static verifier from_secret(std::string_view secret) { return try_from_secret(secret).value(); }
    /// As try_from_secret, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_secret(std::string_view secret, std::error_code& ec) {
        return detail::to_optional(try_from_secret(secret), ec);
    }

    /// The secret is the file's exact bytes (a trailing newline counts).
    /// Fails with key_file_error, or any error of try_from_secret.
    [[nodiscard]] static result<verifier> try_from_secret_file(const file_path& path) {
        static_assert(is_hmac_algorithm_v<Algorithm>,
                      "from_secret_file() is for HS256/384/512; key-pair verifiers are built from a public key");
        auto mac = Algorithm::try_from_secret_file(path);
        if (!mac) return std::move(mac).error();
        return verifier(detail::shared_const<engine>::make(std::move(*mac)));
    }
    /// As try_from_secret_file, throwing jwt::error.
    [[nodiscard]] static verifier from_secret_file(const file_path& path) { return try_from_secret_file(path).value(); }
    /// As try_from_secret_file, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_secret_file(const file_path& path, std::error_code& ec) {
        return detail::to_optional(try_from_secret_file(path), ec);
    }

    /// The verifier for a signer's own tokens (a backend checking what it minted): the public
    /// half of its key, or for HS* its secret (shared, not copied).
    [[nodiscard]] static result<verifier> try_from_signer(const Algorithm& signer) {
        if constexpr (is_hmac_algorithm_v<Algorithm>) {
            return verifier(detail::shared_const<engine>::make(signer));
        } else {
            auto key = public_key::try_from_private(signer.key());
            if (!key) return std::move(key).error();
            return try_from_key(*key);
        }
    }
    /// As try_from_signer, throwing jwt::error.
    [[nodiscard]] static verifier from_signer(const Algorithm& signer) { return try_from_signer(signer).value(); }
    /// As try_from_signer, reporting only the code.
    [[nodiscard]] static std::optional<verifier> from_signer(const Algorithm& signer, std::error_code& ec) {
        return detail::to_optional(try_from_signer(signer), ec);
    }

    /// From a public JWK (or, for HS*, the "oct" JWK of the shared secret), pinned to Algorithm:
    /// the JWK's "alg", when present, must be Algorithm's. Needs <jwtmint/jwk.hpp>.
    /// Fails with invalid_jwk, invalid_base64url, key_algorithm_mismatch, and any key check.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static result<verifier> try_from_jwk(std::string_view jwk_json) {
        return Loader::template verifier_from<Algorithm, Clock>(jwk_json);
    }
    /// As try_from_jwk, throwing jwt::error.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static verifier from_jwk(std::string_view jwk_json) {
        return try_from_jwk<Loader>(jwk_json).value();
    }
    /// As try_from_jwk, reporting only the code.
    template <class Loader = detail::jwk_loader>
    [[nodiscard]] static std::optional<verifier> from_jwk(std::string_view jwk_json, std::error_code& ec) {
        return detail::to_optional(try_from_jwk<Loader>(jwk_json), ec);
    }
    /// Refuses tokens longer than max_octets before decoding anything (default 8 KiB).
    verifier& max_token_size(std::size_t max_octets) {
        max_size_ = max_octets;
        return *this;
    }
    /// The longest token this verifier reads, in octets.
    [[nodiscard]] std::size_t max_token_size() const noexcept { return max_size_; }
    /// Tolerance for clock skew on exp, nbf and iat (default 0, at most one day).
    template <class Rep, class Period>
    verifier& leeway(std::chrono::duration<Rep, Period> tolerance) {
        const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(tolerance).count();
        if (!(s >= 0 && s <= 86400)) {
            remember(errc::invalid_setting, "the leeway must be between 0 and 1 day (a few seconds is typical)");
        } else {
            rules_.leeway(std::chrono::duration_cast<std::chrono::seconds>(tolerance).count());
        }
        return *this;
    }
    /// Refuses tokens whose exp - iat exceeds ceiling (the vendor recommends 10 minutes);
    /// such a verifier needs iat and exp in every token.
    template <class Rep, class Period>
    verifier& max_lifetime(std::chrono::duration<Rep, Period> ceiling) {
        const auto s = std::chrono::duration_cast<std::chrono::duration<double>>(ceiling).count();
        if (!(s >= 1 && s <= 1e12)) {
            remember(errc::invalid_lifetime, "the maximum lifetime must be at least 1 second and reasonable");
        } else {
            rules_.max_lifetime(std::chrono::duration_cast<std::chrono::seconds>(ceiling).count());
        }
        return *this;
    }
    /// Accepts tokens without exp (they never expire; the widget's tokens always carry one).
    verifier& allow_missing_expiration(bool allow = true) {
        rules_.require_expiration(!allow);
        return *this;
    }
    /// Requires `iss` to equal issuer.
    verifier& issuer(std::string_view value) { return remember(rules_.issuer(value)); }
    /// Requires `sub` to equal subject.
    verifier& subject(std::string_view value) { return remember(rules_.subject(value)); }
    /// Requires `aud` (a string or an array) to contain value.
    verifier& audience(std::string_view value) {
        rules_.clear_audiences();
        return remember(rules_.add_audience(value));
    }
    /// Requires `aud` to contain at least one of values.
    verifier& audience(std::initializer_list<std::string_view> values) {
        rules_.clear_audiences();
        for (const auto v : values) remember(rules_.add_audience(v));
        return *this;
    }
    /// Requires a claim to be present (any value), e.g. "email" or "jti".
    verifier& require_claim(std::string_view name) { return remember(rules_.require_claim(name)); }
    /// Judges tokens by the widget's login rules as well (the policy is copied): the role claim
    /// named by policy.role_claim() is required, read in either form (a JSON array or one
    /// comma-separated string); with team roles listed, every role must match one of them
    /// case-insensitively (errc::unknown_role, naming the nearest team role) and roles() spells
    /// each as the team role does; exp - iat may not exceed policy.max_lifetime() (a later
    /// max_lifetime() call replaces that ceiling); identity() is the first present of
    /// policy.identity_claims(). A policy that does not accept this verifier's algorithm makes it
    /// refuse every token (errc::algorithm_not_allowed); an invalid policy, errc::invalid_policy.
    /// Without a policy no role claim is required (general JWTs).
    verifier& policy(const login_policy& rules) {
        if (auto taken = rules_.policy(rules, alg); !taken) remember(std::move(taken).error());
        return *this;
    }

    /// Verifies a compact JWT at Clock::now(): size, structure, header, signature, then time
    /// and claims. Thread-safe. Fails with the first failed check's code and message.
    [[nodiscard]] result<verified_token> try_verify(std::string_view token) const {
        return try_verify_at(token, Clock::now());
    }
    /// As try_verify, throwing jwt::error.
    [[nodiscard]] verified_token verify(std::string_view token) const { return try_verify(token).value(); }
    /// As try_verify, reporting only the code.
    [[nodiscard]] std::optional<verified_token> verify(std::string_view token, std::error_code& ec) const {
        return verify_at(token, Clock::now(), ec);
    }
    /// Verifies as if the time were now, as try_verify.
    [[nodiscard]] result<verified_token> try_verify_at(std::string_view token, time_point now) const {
        detail::rejection why;
        verified_token out;
        if (!check_token(token, to_unix(now), out, why)) return error(why.code, why.message);
        return out;
    }
    /// As try_verify_at, throwing jwt::error.
    [[nodiscard]] verified_token verify_at(std::string_view token, time_point now) const {
        return try_verify_at(token, now).value();
    }
    /// As try_verify_at, reporting only the code (no jwt::error is made).
    [[nodiscard]] std::optional<verified_token> verify_at(std::string_view token, time_point now,
                                                          std::error_code& ec) const {
        ec.clear();
        detail::rejection why;
        verified_token out;
        if (!check_token(token, to_unix(now), out, why)) {
            ec = why.code;
            return std::nullopt;
        }
        return out;
    }

    /// Verifies the JWS layer only (size, structure, header rules, alg, signature) and returns
    /// the payload octets uninterpreted: for payloads that are not JWT claims sets.
    [[nodiscard]] result<verified_jws> try_verify_jws(std::string_view token) const {
        detail::rejection why;
        verified_jws out;
        detail::json_object_scan header;
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, header, header_known, why)) {
            return error(why.code, why.message);
        }
        return out;
    }
    /// As try_verify_jws, throwing jwt::error.
    [[nodiscard]] verified_jws verify_jws(std::string_view token) const { return try_verify_jws(token).value(); }
    /// As try_verify_jws, reporting only the code.
    [[nodiscard]] std::optional<verified_jws> verify_jws(std::string_view token, std::error_code& ec) const {
        ec.clear();
        detail::rejection why;
        verified_jws out;
        detail::json_object_scan header;
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, header, header_known, why)) {
            ec = why.code;
            return std::nullopt;
        }
        return out;
    }

    /// The bare primitive: whether signature (raw octets: RSA modulus-sized, ES* R||S, EdDSA 64
    /// octets, HS* the full MAC) is valid for signing_input. No header, no claims. Thread-safe.
    [[nodiscard]] bool verify_signature(std::string_view signing_input, std::string_view signature) const noexcept {
        return jws_.state().check(signing_input, signature) == detail::signature_check::ok;
    }
    /// The length of a valid signature in octets.
    [[nodiscard]] std::size_t signature_size() const noexcept { return jws_.state().signature_size(); }

    /// The SPKI PEM of the key (key-pair algorithms): what the vendor's settings must hold.
    [[nodiscard]] std::string public_key_pem() const {
        static_assert(!is_hmac_algorithm_v<Algorithm>,
                      "an HMAC (HS*) verifier holds a shared secret, not a public key");
        return jws_.state().key().to_pem();
    }

private:
    explicit verifier(detail::shared_const<engine> e) : jws_(std::move(e)) {}

    static std::int64_t to_unix(time_point t) {
        return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    void remember(errc e, const std::string& message) { remember(error(e, "verifier configuration: " + message)); }
    void remember(error e) {
        if (!config_error_) config_error_ = std::move(e);
    }
    verifier& remember(const status& s) {
        if (!s) remember(s.error().value(), s.error().what());
        return *this;
    }

    /// The JWS layer, after the configuration's own error if it has one.
    bool check_jws(std::string_view token, std::string& text, std::size_t& header_size, std::optional<std::string>& kid,
                   detail::json_object_scan& header, bool& header_known, detail::rejection& why) const {
        if (config_error_) return detail::reject(why, config_error_->value(), config_error_->what());
        return jws_.check(token, max_size_, text, header_size, kid, header, header_known, why);
    }

    /// The JWT layer on top of check_jws: typ/cty, the claims set, then its claims.
    bool check_token(std::string_view token, std::int64_t now, verified_token& out, detail::rejection& why) const {
        detail::json_object_scan scan;  // the header's members, then the claims set's
        bool header_known = false;
        if (!check_jws(token, out.text_, out.header_size_, out.kid_, scan, header_known, why)) return false;
        if (!header_known && !detail::check_jwt_header(scan, why)) return false;
        if (!detail::scan_json_object(out.claims_text(), "claims set", scan, why)) return false;
        return rules_.check(scan, now, out, why);
    }

    detail::jws_layer<Algorithm> jws_;
    detail::claim_rules rules_;
    std::optional<error> config_error_;
    std::size_t max_size_ = default_max_token_size;
};

/// Proves at start-up that signer and v belong together: a probe is signed with the signer and
/// verified with v. For key-pair algorithms v must hold the public half of the signer's key; for
/// HS*, the signer's secret. Catches the vendor's "Key mismatch" before deploy. Build v from the
/// text to check first (verifier<Signer>::try_from_pem(pem), or try_from_secret for HS*).
/// Fails with key_mismatch, or signing_failed when the signer cannot sign.
template <class Algorithm, class Clock>
[[nodiscard]] status try_check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v) {
    constexpr std::string_view probe = "jwtmint key pair check";
    const auto sig = signer.try_sign(probe);
    if (!sig) return sig.error();
    if (v.verify_signature(probe, *sig)) return {};
    if constexpr (is_hmac_algorithm_v<Algorithm>) {
        return detail::fail(errc::key_mismatch,
                            "the " + std::string(Algorithm::alg) +
                                " secret differs from the signer's: tokens signed here would fail at the vendor "
                                "('Key mismatch'); paste the exact secret the backend signs with");
    } else {
        return detail::fail(
            errc::key_mismatch,
            "the public key does not belong to the signer's private key: tokens signed here would fail at "
            "the vendor with 'Key mismatch'; paste the signer's public key (signer.public_key_pem(), or: "
            "jwtmint pubkey private_key.pem) into the vendor's SSO settings");
    }
}

/// As try_check_key_pair, throwing jwt::error.
template <class Algorithm, class Clock>
void check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v) {
    try_check_key_pair(signer, v).value();
}

/// As try_check_key_pair, reporting only the code.
template <class Algorithm, class Clock>
void check_key_pair(const Algorithm& signer, const verifier<Algorithm, Clock>& v, std::error_code& ec) {
    detail::to_error_code(try_check_key_pair(signer, v), ec);
}

}  // namespace v1
}  // namespace jwt
