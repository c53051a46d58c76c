// SPDX-License-Identifier: MIT
// Demo users for the host backend's own sign-in: a JSON file, passwords hashed with scrypt or
// PBKDF2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace host {

/// A password as stored: the KDF, its parameters, a random salt and the derived key.
struct password_hash {
    std::string kdf;               ///< "scrypt" or "pbkdf2-sha256"
    std::uint64_t n = 0;           ///< scrypt cost (a power of two)
    std::uint32_t r = 0;           ///< scrypt block size
    std::uint32_t p = 0;           ///< scrypt parallelism
    std::uint64_t iterations = 0;  ///< PBKDF2 iterations
    std::string salt;              ///< raw bytes
    std::string hash;              ///< raw bytes
};

/// A fresh salt and scrypt (N=2^15, r=8, p=1: 32 MiB and some tenths of a second) of password.
/// @throws std::runtime_error when OpenSSL fails
[[nodiscard]] password_hash hash_password(std::string_view password);

/// The stored form:
/// {"kdf":"scrypt","n":32768,"r":8,"p":1,"salt":"<base64url>","hash":"<base64url>"}.
[[nodiscard]] std::string password_hash_json(const password_hash& h);

/// Whether password derives to h.hash (compared in constant time).
[[nodiscard]] bool verify_password(const password_hash& h, std::string_view password);

/// A user of the demo sign-in. Everything the token says about them comes from here.
struct user {
    std::string username;
    std::string display_name;
    std::string email;
    std::string upn;
    std::string preferred_username;
    std::vector<std::string> roles;
    password_hash password;
};

/// The users file, parsed and checked once at start-up; immutable afterwards.
class user_store {
public:
    /// Parses the users file text; origin names it in error messages.
    /// @throws std::runtime_error naming the user and field at fault
    [[nodiscard]] static user_store parse(std::string_view json_text, const std::string& origin);

    /// The user when username and password match, else nullptr. Takes the same time for an
    /// unknown user as for a wrong password, so sign-in does not reveal who exists.
    [[nodiscard]] const user* authenticate(std::string_view username, std::string_view password) const;
    [[nodiscard]] const user* find(std::string_view username) const;
    [[nodiscard]] const std::vector<user>& all() const noexcept { return users_; }
    /// The file's free-text "note" (the shipped demo file says the demo passwords there).
    [[nodiscard]] const std::string& note() const noexcept { return note_; }

private:
    std::vector<user> users_;
    std::string note_;
    password_hash decoy_;  // derived against for unknown usernames
};

}  // namespace host
