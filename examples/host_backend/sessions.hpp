// SPDX-License-Identifier: MIT
// In-memory sign-in sessions: random ids for the cookie, absolute and idle expiry, caps that refuse.
#pragma once

#include <openssl/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace host {

/// How long sessions last and how many there may be.
struct session_settings {
    /// A session ends this long after it was created, however busy.
    std::chrono::seconds lifetime{std::chrono::hours(8)};
    /// A session unused this long ends (each find() counts as a use).
    std::chrono::seconds idle_timeout{std::chrono::minutes(30)};
    /// Sessions held at most, of all users.
    std::size_t max_sessions = 10000;
    /// Live sessions of one user at most.
    std::size_t max_per_user = 20;
};

/// Sessions of the demo sign-in. The cookie carries a random id; the store keeps only its
/// SHA-256, so a look-up compares digests, never the secret itself.
///
/// A session is live until idle_timeout after its last use or lifetime after its creation,
/// whichever comes first; then find() no longer knows it. A full store does not make room by
/// ending anyone's session: create() refuses, and says how long until a session could end.
/// Memory is bounded by max_sessions. Thread-safe: one mutex. find() does one SHA-256 and one
/// hash look-up, and allocates nothing but the returned username; create() drops ended
/// sessions first in time proportional to their number (no scan of the live ones).
class session_store {
public:
    using clock = std::chrono::steady_clock;

    /// The answer to create(): an id, or why not and when to try again.
    struct created {
        /// The new session's id for the cookie (64 lowercase hex digits); empty when refused.
        std::string id;
        /// When refused: refusal_full or refusal_user. Empty otherwise.
        std::string_view refusal;
        /// When refused, the seconds until a session in the way could end (>= 1, rounded up):
        /// the value for the Retry-After header. Zero otherwise.
        std::chrono::seconds retry_after{0};

        explicit operator bool() const noexcept { return !id.empty(); }
    };
    static constexpr std::string_view refusal_full = "too many sessions; try again later";
    static constexpr std::string_view refusal_user =
        "too many sessions for this user; sign out elsewhere or try again later";

    /// @throws std::invalid_argument when a cap is zero or a duration is not positive
    /// @throws std::runtime_error when OpenSSL has no SHA-256
    explicit session_store(session_settings settings = {});
    session_store(const session_store&) = delete;
    session_store& operator=(const session_store&) = delete;
    session_store(session_store&&) = delete;
    session_store& operator=(session_store&&) = delete;
    ~session_store();

    /// A new session for username, unless the store or the user is at its cap.
    /// @throws std::runtime_error when the random generator fails
    [[nodiscard]] created create(std::string_view username) { return create(username, clock::now()); }
    [[nodiscard]] created create(std::string_view username, clock::time_point now);
    /// The session's username, or nullopt for an unknown, malformed or ended id; counts as a use.
    [[nodiscard]] std::optional<std::string> find(std::string_view id) { return find(id, clock::now()); }
    [[nodiscard]] std::optional<std::string> find(std::string_view id, clock::time_point now);
    /// Ends the session (signing out); unknown ids are ignored.
    void erase(std::string_view id);
    /// Sessions held: the live ones, and ended ones not yet dropped. Never above max_sessions.
    [[nodiscard]] std::size_t size() const;

private:
    using digest = std::array<unsigned char, 32>;
    struct digest_hash {
        // The digest of a random id is itself uniformly random: any 8 of its bytes are a hash.
        std::size_t operator()(const digest& d) const noexcept {
            std::size_t h = 0;
            std::memcpy(&h, d.data(), sizeof h);
            return h;
        }
    };
    struct md_free {
        void operator()(EVP_MD* md) const noexcept;
    };
    struct session {
        std::string username;
        clock::time_point created;
        clock::time_point last_used;
        std::list<const digest*>::iterator by_use;       // its place in by_use_
        std::list<const digest*>::iterator by_creation;  // its place in by_creation_
    };
    using session_map = std::unordered_map<digest, session, digest_hash>;

    [[nodiscard]] digest hash(std::string_view id) const;
    [[nodiscard]] clock::time_point end_of(const session& s) const noexcept;
    void drop(session_map::iterator it);      // with mu_ held
    void purge_ended(clock::time_point now);  // with mu_ held

    session_settings settings_;
    std::unique_ptr<EVP_MD, md_free> sha256_;
    mutable std::mutex mu_;
    session_map sessions_;  // SHA-256(id) -> session; element addresses are stable
    // The keys of sessions_, least recently used first and oldest first: ended sessions are
    // at the front of one or the other.
    std::list<const digest*> by_use_;
    std::list<const digest*> by_creation_;
    std::map<std::string, std::vector<const digest*>, std::less<>> by_user_;  // at most max_per_user each
};

}  // namespace host
