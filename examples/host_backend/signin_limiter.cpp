// SPDX-License-Identifier: MIT
// The sign-in limiter's bookkeeping: back-off per (username, address), a sliding window per address.
#include "signin_limiter.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

namespace host {

namespace {

constexpr std::size_t max_key_part = 64;

std::string_view cut(std::string_view text) { return text.substr(0, max_key_part); }

/// A pair's key: the address's length in one byte, the address, then the username, so that no
/// two different pairs share a key. Built in caller-owned storage: a look-up allocates nothing.
class pair_key {
public:
    pair_key(std::string_view username, std::string_view client) {
        const std::string_view c = cut(client);
        const std::string_view u = cut(username);
        buf_[0] = static_cast<char>(c.size());
        std::copy(c.begin(), c.end(), buf_.begin() + 1);
        std::copy(u.begin(), u.end(), buf_.begin() + 1 + static_cast<std::ptrdiff_t>(c.size()));
        size_ = 1 + c.size() + u.size();
    }
    [[nodiscard]] std::string_view view() const noexcept { return {buf_.data(), size_}; }

private:
    std::array<char, 1 + 2 * max_key_part> buf_{};
    std::size_t size_ = 0;
};

/// Whole seconds from now until then, rounded up, and at least one: a Retry-After value.
std::chrono::seconds seconds_until(signin_limiter::clock::time_point then, signin_limiter::clock::time_point now) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(then - now);
    return std::max(left, std::chrono::seconds(1));
}

}  // namespace

signin_limiter::signin_limiter(signin_limits limits)
    : limits_(limits), pairs_(limits.max_entries), clients_(limits.max_entries) {
    const std::chrono::seconds zero{0};
    if (limits_.free_failures < 0 || limits_.lockout_failures <= limits_.free_failures || limits_.client_failures < 1 ||
        limits_.max_entries < 1) {
        throw std::invalid_argument(
            "signin_limits: free_failures must be >= 0 and below lockout_failures; client_failures and "
            "max_entries must be >= 1");
    }
    if (limits_.first_delay < zero || limits_.max_delay < zero || limits_.lockout < zero ||
        limits_.forget_after < zero || limits_.client_window < zero) {
        throw std::invalid_argument("signin_limits: durations must not be negative");
    }
}

std::chrono::seconds signin_limiter::wait_after(int failures) const noexcept {
    if (failures <= limits_.free_failures) return std::chrono::seconds(0);
    if (failures >= limits_.lockout_failures) return limits_.lockout;
    // first_delay * 2^(failures - free_failures - 1), doubled step by step so that it cannot overflow.
    std::chrono::seconds wait = limits_.first_delay;
    for (int step = failures - limits_.free_failures - 1; step > 0 && wait < limits_.max_delay; --step) wait *= 2;
    return std::min(wait, limits_.max_delay);
}

bool signin_limiter::pair_expired(const pair_record& r, clock::time_point now) const noexcept {
    return now >= r.last_failure + wait_after(r.failures) + limits_.forget_after;
}

void signin_limiter::drop_old_failures(client_record& r, clock::time_point now) const {
    const auto first_kept = std::find_if(r.failures.begin(), r.failures.end(),
                                         [&](clock::time_point t) { return t + limits_.client_window > now; });
    r.failures.erase(r.failures.begin(), first_kept);
}

signin_limiter::verdict signin_limiter::begin_attempt(std::string_view username, std::string_view client,
                                                      clock::time_point now) {
    const pair_key pk(username, client);
    const std::string_view ck = cut(client);
    const std::lock_guard<std::mutex> lock(mu_);
    pairs_.drop_expired([&](const pair_record& r) { return pair_expired(r, now); });
    clients_.drop_expired([&](const client_record& r) {
        return r.failures.empty() || r.failures.back() + limits_.client_window <= now;
    });

    verdict v;
    if (client_record* c = clients_.find(ck)) {
        drop_old_failures(*c, now);
        if (c->failures.size() >= static_cast<std::size_t>(limits_.client_failures)) {
            v = verdict{false, seconds_until(c->failures.front() + limits_.client_window, now), reason_client};
        }
    }
    if (pair_record* p = pairs_.find(pk.view())) {
        const clock::time_point wait_end = p->last_failure + wait_after(p->failures);
        if (now < wait_end) {
            const std::chrono::seconds left = seconds_until(wait_end, now);
            // Both refuse: the later of the two, so that a retry at Retry-After is not refused again.
            if (v.allowed || left > v.retry_after) v = verdict{false, left, reason_pair};
        } else if (pair_expired(*p, now)) {
            pairs_.erase(pk.view());
        }
    }
    if (!v.allowed) return v;

    pair_record& p = pairs_.touch(pk.view());
    if (p.failures < std::numeric_limits<int>::max()) ++p.failures;
    p.last_failure = now;
    client_record& c = clients_.touch(ck);
    if (c.failures.size() >= static_cast<std::size_t>(limits_.client_failures)) c.failures.erase(c.failures.begin());
    c.failures.push_back(now);
    return v;
}

void signin_limiter::record_failure(std::string_view username, std::string_view client, clock::time_point now) {
    const pair_key pk(username, client);
    const std::lock_guard<std::mutex> lock(mu_);
    // The record may have been dropped meanwhile (a full table): then this failure starts it anew.
    pair_record& p = pairs_.touch(pk.view());
    if (p.failures == 0) p.failures = 1;
    p.last_failure = std::max(p.last_failure, now);
}

void signin_limiter::record_success(std::string_view username, std::string_view client) {
    const pair_key pk(username, client);
    const std::string_view ck = cut(client);
    const std::lock_guard<std::mutex> lock(mu_);
    pairs_.erase(pk.view());
    if (client_record* c = clients_.find(ck); c != nullptr && !c->failures.empty()) {
        c->failures.pop_back();  // the attempt's own provisional failure, the latest one
        if (c->failures.empty()) clients_.erase(ck);
    }
}

std::size_t signin_limiter::pair_count() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return pairs_.size();
}

std::size_t signin_limiter::client_count() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return clients_.size();
}

}  // namespace host
