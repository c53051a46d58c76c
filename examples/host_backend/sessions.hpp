// SPDX-License-Identifier: MIT
// In-memory sign-in sessions: random ids for the cookie, expiry, one mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace host {

/// Sessions of the demo sign-in. The cookie carries a random id; the store keeps only its
/// SHA-256, so a look-up compares digests, never the secret itself. Thread-safe.
class session_store {
public:
    using clock = std::chrono::steady_clock;

    explicit session_store(std::chrono::seconds lifetime, std::size_t max_sessions = 10000)
        : lifetime_(lifetime), max_sessions_(max_sessions) {}

    /// A new session for username; returns the id for the cookie (32 random bytes as hex).
    /// @throws std::runtime_error when the random generator fails
    [[nodiscard]] std::string create(const std::string& username);
    /// The session's username, or nullopt for an unknown, malformed or expired id.
    [[nodiscard]] std::optional<std::string> find(std::string_view id);
    /// Ends the session (signing out); unknown ids are ignored.
    void erase(std::string_view id);

private:
    struct entry {
        std::string username;
        clock::time_point expires;
    };
    void purge_expired(clock::time_point now);  // with mu_ held

    std::chrono::seconds lifetime_;
    std::size_t max_sessions_;
    std::mutex mu_;
    std::unordered_map<std::string, entry> sessions_;  // SHA-256(id) -> entry
};

}  // namespace host
