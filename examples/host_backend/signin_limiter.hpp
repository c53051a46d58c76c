// SPDX-License-Identifier: MIT
// Slows down and then refuses password guessing at the sign-in form, per user and address.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace host {

/// How much failing a sign-in costs. The defaults are the ones the contract below describes.
struct signin_limits {
    /// Failures of one (username, address) pair that cost nothing.
    int free_failures = 3;
    /// The wait after the first failure past the free ones; it doubles with each further one.
    std::chrono::seconds first_delay{1};
    /// The longest such wait.
    std::chrono::seconds max_delay{900};
    /// From this many failures of a pair on, each failure locks the pair out for `lockout`.
    int lockout_failures = 10;
    std::chrono::seconds lockout{900};
    /// A pair that stays without a failure this long after its wait has ended starts over.
    std::chrono::seconds forget_after{900};
    /// Failures one address may have in any `client_window` (all usernames together).
    int client_failures = 30;
    std::chrono::seconds client_window{900};
    /// Records kept at most, of pairs and of addresses each.
    std::size_t max_entries = 100000;
};

/// Throttles sign-in attempts by the client's TCP address and the username as typed.
///
/// The contract:
///
/// - **Per pair** (username, address): the first `free_failures` (3) failures cost nothing.
///   After the f-th failure, f > 3, the pair waits 2^(f-4) s (1, 2, 4, 8, ... s, at most
///   `max_delay`) before its next attempt is let through to the password check at all; an
///   attempt during the wait is refused without looking at the password, so even the right
///   password is refused then. From the 10th failure (`lockout_failures`) on, each failure
///   locks the pair out for 15 minutes (`lockout`). A success clears the pair's record; so does
///   a quiet spell of `forget_after` (15 min) after the wait has ended.
/// - **Per address** (all usernames together): an address with 30 failures (`client_failures`)
///   in the last 15 minutes (`client_window`) is refused, whatever the username, until the
///   oldest of them is 15 minutes old. The window slides: each failure's own time is kept.
///   A success does not clear it, so an attacker signing in to an account of their own does
///   not earn more guesses at someone else's.
/// - **Nothing per username across addresses.** This is the point: an attacker guessing from
///   elsewhere, however fast, can never lock the real user out, because the user's own address
///   has a record of its own. (What slows a distributed attack is the per-address limit and the
///   cost of each password check, not a lock on the account. Clients behind one address, a NAT,
///   share that address's limit: the price of counting by address.)
/// - Usernames are never looked up: one that does not exist is counted exactly like one that
///   does, so the answers do not tell which users exist. Only the first 64 bytes of a username
///   and of an address are used.
/// - Memory is bounded: at most `max_entries` pair records and `max_entries` address records
///   (75 MB measured at the worst with the defaults: 64-byte usernames, IPv6 addresses with 30
///   failures each). When a table is full, the record whose last failure is the oldest is
///   dropped; records past their time are dropped lazily.
///
/// Use: call begin_attempt() before the password check; when it refuses, answer 429 with
/// `Retry-After: retry_after` and do not check the password. When it allows, the attempt
/// already counts as a failure (so that parallel attempts of one pair cannot all slip through
/// before any of them is recorded); then call record_success() when the password was right, or
/// record_failure() when it was wrong, which dates the failure to the answer. An attempt that
/// is never reported (an exception) stays counted as a failure dated to its start.
///
/// Thread-safe: one mutex; every call is O(log n) in the number of records.
class signin_limiter {
public:
    using clock = std::chrono::steady_clock;

    /// The answer to begin_attempt().
    struct verdict {
        bool allowed = true;
        /// When refused, the seconds until an attempt may be let through again (>= 1, rounded
        /// up): the value for the Retry-After header. Zero when allowed.
        std::chrono::seconds retry_after{0};
        /// When refused, why, for the page or the log: reason_pair or reason_client. Empty
        /// when allowed.
        std::string_view reason;

        explicit operator bool() const noexcept { return allowed; }
    };
    static constexpr std::string_view reason_pair = "too many failed sign-ins for this user from this address";
    static constexpr std::string_view reason_client = "too many failed sign-ins from this address";

    /// @throws std::invalid_argument when limits contradict themselves (a count or size below
    /// one, a negative duration, lockout_failures not above free_failures)
    explicit signin_limiter(signin_limits limits = {});

    /// Whether an attempt of username from client may have its password checked at now; when
    /// it may, counts it as a failure until record_success().
    [[nodiscard]] verdict begin_attempt(std::string_view username, std::string_view client, clock::time_point now);
    /// The password of an allowed attempt was wrong: its failure dates from now (the answer).
    void record_failure(std::string_view username, std::string_view client, clock::time_point now);
    /// The password of an allowed attempt was right: clears the pair's record, and takes the
    /// attempt back out of the address's count (its earlier failures stay).
    void record_success(std::string_view username, std::string_view client);

    /// Pair records held (some may be past their time, not yet dropped).
    [[nodiscard]] std::size_t pair_count() const;
    /// Address records held (likewise).
    [[nodiscard]] std::size_t client_count() const;

    /// The wait after a pair's failures-th failure: zero, a back-off step or the lockout.
    [[nodiscard]] std::chrono::seconds wait_after(int failures) const noexcept;

private:
    /// Records by key, least recently touched first, at most a fixed number of them. The index
    /// points into the keys that the list's nodes own (list nodes never move).
    template <class Record>
    class lru_table {
    public:
        explicit lru_table(std::size_t capacity) : capacity_(capacity) {}

        [[nodiscard]] Record* find(std::string_view key) {
            const auto it = index_.find(key);
            return it == index_.end() ? nullptr : &it->second->record;
        }
        /// The key's record, made the most recent; a new one (dropping the least recent when
        /// full) if there was none.
        Record& touch(std::string_view key) {
            if (const auto it = index_.find(key); it != index_.end()) {
                order_.splice(order_.end(), order_, it->second);
                return it->second->record;
            }
            if (order_.size() >= capacity_) erase(order_.front().key);
            order_.push_back(node{std::string(key), Record{}});
            const auto last = std::prev(order_.end());
            index_.emplace(std::string_view(last->key), last);
            return last->record;
        }
        void erase(std::string_view key) {
            const auto it = index_.find(key);
            if (it == index_.end()) return;
            const auto pos = it->second;
            index_.erase(it);  // before its key goes with the node
            order_.erase(pos);
        }
        /// Drops records from the least recent on while expired(record) says so.
        template <class Expired>
        void drop_expired(Expired expired) {
            while (!order_.empty() && expired(order_.front().record)) erase(order_.front().key);
        }
        [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }

    private:
        struct node {
            std::string key;
            Record record;
        };
        std::size_t capacity_;
        std::list<node> order_;
        std::map<std::string_view, typename std::list<node>::iterator, std::less<>> index_;
    };

    struct pair_record {
        int failures = 0;
        clock::time_point last_failure;
    };
    struct client_record {
        std::vector<clock::time_point> failures;  // oldest first; at most client_failures
    };

    [[nodiscard]] bool pair_expired(const pair_record& r, clock::time_point now) const noexcept;
    void drop_old_failures(client_record& r, clock::time_point now) const;

    signin_limits limits_;
    mutable std::mutex mu_;
    lru_table<pair_record> pairs_;
    lru_table<client_record> clients_;
};

}  // namespace host
