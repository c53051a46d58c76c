// SPDX-License-Identifier: MIT
// The host backend's signing key (loaded, or created on first start) and the token it mints per
// user.
#pragma once

#include <chrono>
#include <filesystem>
#include <jwtmint/builder.hpp>
#include <jwtmint/signers.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "users.hpp"

namespace host {

enum class algorithm { rs256, es256, hs256 };

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
};

/// With key_file, loads it for alg; without, reuses or creates a key in data_dir
/// ("rs256-private.pem", "es256-private.pem" or "hs256-secret.txt"; mode 0600, created with
/// O_CREAT|O_EXCL so it is never readable by others, not even briefly).
/// @throws jwt::error for a key that does not fit alg; std::system_error for file trouble
[[nodiscard]] signing_key load_or_create_key(algorithm alg, const std::filesystem::path& key_file,
                                             const std::filesystem::path& data_dir,
                                             std::string_view passphrase);

/// What every token carries besides the user: the role claim's name and form, and the lifetime.
struct token_policy {
    std::string role_claim{jwt::default_role_claim};
    jwt::role_format format = jwt::role_format::array;
    std::chrono::seconds ttl{600};
    std::chrono::seconds max_ttl{600};
};

/// Mints a user's token. Immutable after construction; mint() may run on many threads at once.
class token_minter {
public:
    token_minter(any_signer signer, token_policy policy)
        : signer_(std::move(signer)), policy_(std::move(policy)) {}

    /// The user's token: role claim, the identity claims the user has, sub, a random jti,
    /// iat and exp = iat + ttl. Nothing in it comes from the request. @throws jwt::error
    [[nodiscard]] std::string mint(const user& u) const;
    [[nodiscard]] std::string_view alg() const noexcept;
    [[nodiscard]] const token_policy& policy() const noexcept { return policy_; }

private:
    any_signer signer_;
    token_policy policy_;
};

}  // namespace host
