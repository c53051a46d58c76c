// SPDX-License-Identifier: MIT
// The host backend's signing key (loaded, or created on first start) and the token it mints per
// user.
#pragma once

#include <jwtmint/builder.hpp>
#include <jwtmint/key_ring.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>

#include "users.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace host {

enum class algorithm { rs256, es256, hs256 };

/// The widget's algorithms in the vendor's order of preference (RS256 recommended).
inline constexpr algorithm widget_algorithms[] = {algorithm::rs256, algorithm::es256, algorithm::hs256};

/// "RS256", "ES256" or "HS256".
[[nodiscard]] std::string_view algorithm_name(algorithm alg) noexcept;

/// The algorithm a JOSE name (any case) names, if it is one of the widget's.
[[nodiscard]] std::optional<algorithm> parse_algorithm(std::string_view name) noexcept;

/// The signer chosen at start-up; each alternative is immutable and safe to share between threads.
using any_signer = std::variant<jwt::rs256, jwt::es256, jwt::hs256>;

/// Where the key came from, and what the admin pastes into the vendor's settings.
struct signing_key {
    any_signer signer;
    std::filesystem::path path;         ///< the private key (or HMAC secret) file in use
    std::filesystem::path public_path;  ///< its public PEM in the data dir; "" for HS256 or --key
    bool created = false;               ///< generated on this start
    std::string public_key_pem;         ///< SPKI PEM; empty for HS256
    std::vector<std::string> warnings;
    std::string inferred_from;  ///< without --alg, what the key is ("an EC P-256 private key")
};

/// With key_file, loads it: for requested when given, else for the algorithm the key implies,
/// decided as the jwtmint CLI decides it: a PEM private key gives RS256 (RSA, 2048 bits or more)
/// or ES256 (EC P-256); a file that is neither PEM nor JSON nor DER is an HMAC secret, HS256. A
/// key the widget cannot use (EC P-384/P-521, Ed25519, RSA-PSS, RSA under 2048 bits, a public
/// key, a JWK or DER file) is refused with a message naming the file and the key to make.
/// Without key_file, reuses or creates a key for requested (else default_alg) in data_dir
/// ("rs256-private.pem", "es256-private.pem" or "hs256-secret.txt"; mode 0600, created with
/// O_CREAT|O_EXCL so it is never readable by others, not even briefly).
/// check_allowed is asked about the algorithm's JOSE name before any key is created or used; an
/// error from it (the login policy's algorithm_not_allowed) is thrown, after what the key is.
/// @throws jwt::error for a key that does not fit the algorithm; std::system_error for file
/// trouble
[[nodiscard]] signing_key load_or_create_key(std::optional<algorithm> requested, algorithm default_alg,
                                             const std::function<jwt::status(std::string_view)>& check_allowed,
                                             const std::filesystem::path& key_file,
                                             const std::filesystem::path& data_dir, std::string_view passphrase);

/// Mints a user's token under the login policy. RS256 and ES256 keys sign through a key ring, so
/// that a rotation (reload(), on SIGHUP) changes the key while requests mint: each token names its
/// key in the kid header, and the ring publishes the public keys (public_jwks()). An HS256 secret is
/// used as it is and never published. mint(), public_jwks() and the other const members may run on
/// many threads at once, also while one thread runs reload().
class token_minter {
public:
    /// ttl: each token's lifetime, at most policy.max_lifetime() (the builder refuses longer). A
    /// retired key stays published for at least ttl plus a minute, so its last tokens verify.
    token_minter(const any_signer& signer, jwt::login_policy policy, std::chrono::seconds ttl)
        : keys_(make_keys(signer, ttl)), policy_(std::move(policy)), ttl_(ttl) {}
    token_minter(const token_minter&) = delete;  // builders point at policy_
    token_minter& operator=(const token_minter&) = delete;

    /// The user's token: the role claim named and formed as the policy says, the identity claims
    /// the user has, sub, a random jti, iat and exp = iat + ttl. Nothing in it comes from the
    /// request. @throws jwt::error (the policy's: unknown_role, algorithm_not_allowed, ...)
    [[nodiscard]] std::string mint(const user& u) const;
    [[nodiscard]] std::string_view alg() const noexcept;
    [[nodiscard]] const jwt::login_policy& policy() const noexcept { return policy_; }
    [[nodiscard]] std::chrono::seconds ttl() const noexcept { return ttl_; }

    /// The JWK Set of the published keys (current, next, retired within their retention); nullopt
    /// for HS256, whose secret is never published.
    [[nodiscard]] std::optional<std::string> public_jwks() const;
    /// The SPKI PEM of the key that signs now (what the vendor's settings must hold); "" for HS256.
    [[nodiscard]] std::string public_key_pem() const;
    /// The kid of the key that signs now; "" for HS256 (its tokens carry none).
    [[nodiscard]] std::string key_id() const;
    /// "kid (current), kid (next), kid (retired, published until 2026-...)" for the log.
    [[nodiscard]] std::string describe_keys() const;

    /// Re-reads the key files: current_file (the key the program signs with) and the next key
    /// beside it (jwtmint_examples::next_key_path, as `jwtmint keygen --next` writes it). A next
    /// key file that appeared is added as next (published, not signing); when current_file now
    /// holds the ring's next key (the admin moved next over current), that key is promoted and the
    /// old one retired (still published until its tokens have expired); a next key whose file is
    /// gone is dropped. On promotion, public_copy (when not empty) is rewritten with the new public
    /// key. Returns what was done, one line per step, for the log.
    /// @throws jwt::error or std::system_error, having changed nothing: a key file that does not
    /// load or fit the algorithm, a current key that was never the next one, HS256
    std::vector<std::string> reload(const std::filesystem::path& current_file, const std::filesystem::path& public_copy,
                                    std::string_view passphrase);

private:
    using keys = std::variant<jwt::key_ring<jwt::rs256>, jwt::key_ring<jwt::es256>, jwt::hs256>;
    static keys make_keys(const any_signer& signer, std::chrono::seconds ttl);

    keys keys_;
    jwt::login_policy policy_;
    std::chrono::seconds ttl_;
};

}  // namespace host
