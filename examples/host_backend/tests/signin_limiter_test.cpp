// SPDX-License-Identifier: MIT
// host::signin_limiter: the back-off of one (username, address) pair, its lockout, the sliding
// window of one address, independence of addresses, the bound on records, and many threads.
#include "signin_limiter.hpp"

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using host::signin_limiter;
using host::signin_limits;
using time_point = signin_limiter::clock::time_point;

constexpr time_point t0 = time_point{} + 24h;

/// One attempt that the limiter lets through and whose password turns out wrong.
void fail(signin_limiter& l, const std::string& user, const std::string& client, time_point now) {
    INFO(user << " from " << client);
    const signin_limiter::verdict v = l.begin_attempt(user, client, now);
    REQUIRE(v.allowed);
    l.record_failure(user, client, now);
}

void require_refused(signin_limiter& l, const std::string& user, const std::string& client, time_point now,
                     std::chrono::seconds retry_after, std::string_view reason) {
    INFO(user << " from " << client);
    const signin_limiter::verdict v = l.begin_attempt(user, client, now);
    REQUIRE_FALSE(v.allowed);
    CHECK(v.retry_after == retry_after);
    CHECK(v.reason == reason);
}

/// Eight threads each make `attempts` sign-in attempts from one address at the same instant, the
/// username of each from username(thread, attempt); every attempt let through fails. Returns how
/// many were let through.
template <class Username>
int failing_attempts_allowed(signin_limiter& l, int attempts, Username username) {
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < attempts; ++i) {
                const std::string user = username(t, i);
                if (l.begin_attempt(user, "192.0.2.1", t0).allowed) {
                    allowed.fetch_add(1);
                    l.record_failure(user, "192.0.2.1", t0);
                }
            }
        });
    }
    for (std::thread& th : threads) th.join();
    return allowed.load();
}

}  // namespace

TEST_CASE("signin_limiter: waits after each failure of a pair: 0, 0, 0, 1, 2, 4, 8, 16, 32 s, then 15 min",
          "[signin_limiter]") {
    signin_limiter l;
    const std::vector<std::chrono::seconds> expected = {0s, 0s, 0s, 1s, 2s, 4s, 8s, 16s, 32s, 900s, 900s, 900s};
    time_point now = t0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const int failures = static_cast<int>(i) + 1;
        INFO("after failure " << failures);
        fail(l, "ada", "192.0.2.1", now);
        CHECK(l.wait_after(failures) == expected[i]);
        if (expected[i] == 0s) continue;  // the next attempt is let through at once
        require_refused(l, "ada", "192.0.2.1", now, expected[i], signin_limiter::reason_pair);
        // Rounded up: w - 0.5 s is w seconds to wait, a millisecond before the end is one.
        require_refused(l, "ada", "192.0.2.1", now + 500ms, expected[i], signin_limiter::reason_pair);
        require_refused(l, "ada", "192.0.2.1", now + expected[i] - 1ms, 1s, signin_limiter::reason_pair);
        now += expected[i];
    }
}

TEST_CASE("signin_limiter: the back-off stops growing at max_delay, without overflow", "[signin_limiter]") {
    signin_limits limits;
    limits.lockout_failures = 1000;
    const signin_limiter l(limits);
    CHECK(l.wait_after(13) == 512s);
    CHECK(l.wait_after(14) == 900s);
    CHECK(l.wait_after(70) == 900s);
    CHECK(l.wait_after(999) == 900s);
    CHECK(l.wait_after(1000) == 900s);  // the lockout
}

TEST_CASE("signin_limiter: an attempt during the wait is refused before any password check and changes nothing",
          "[signin_limiter]") {
    signin_limiter l;
    for (int i = 0; i < 4; ++i) fail(l, "ada", "192.0.2.1", t0);
    // The server calls begin_attempt first and checks the password only when it is allowed: so
    // during the wait even the right password gets no further than this.
    for (int i = 0; i < 100; ++i) {
        require_refused(l, "ada", "192.0.2.1", t0 + 500ms, 1s, signin_limiter::reason_pair);
    }
    // The refusals were not failures: the wait still ends one second after the fourth failure,
    // and the next failure costs 2 s, not more.
    fail(l, "ada", "192.0.2.1", t0 + 1s);
    require_refused(l, "ada", "192.0.2.1", t0 + 1s, 2s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: ten failures lock the pair out for 15 minutes; each failure after renews it",
          "[signin_limiter]") {
    signin_limiter l;
    time_point now = t0;
    for (int f = 1; f <= 10; ++f) {
        fail(l, "ada", "192.0.2.1", now);
        now += l.wait_after(f);
    }
    const time_point tenth = now - 900s;
    require_refused(l, "ada", "192.0.2.1", tenth + 1s, 899s, signin_limiter::reason_pair);
    require_refused(l, "ada", "192.0.2.1", tenth + 899s, 1s, signin_limiter::reason_pair);
    fail(l, "ada", "192.0.2.1", tenth + 900s);
    require_refused(l, "ada", "192.0.2.1", tenth + 900s, 900s, signin_limiter::reason_pair);
    // Quiet for forget_after after the wait: the pair starts over with its free failures.
    const time_point later = tenth + 900s + 900s + 900s;
    for (int i = 0; i < 3; ++i) fail(l, "ada", "192.0.2.1", later);
    fail(l, "ada", "192.0.2.1", later);
    require_refused(l, "ada", "192.0.2.1", later, 1s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: a success clears the pair's failures", "[signin_limiter]") {
    signin_limiter l;
    for (int i = 0; i < 5; ++i) fail(l, "ada", "192.0.2.1", t0 + std::chrono::seconds(i));
    const time_point after_wait = t0 + 4s + 2s;
    REQUIRE(l.begin_attempt("ada", "192.0.2.1", after_wait).allowed);
    l.record_success("ada", "192.0.2.1");
    CHECK(l.pair_count() == 0);
    // Three free failures again, then one second.
    for (int i = 0; i < 4; ++i) fail(l, "ada", "192.0.2.1", after_wait);
    require_refused(l, "ada", "192.0.2.1", after_wait, 1s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: an attempt never reported stays counted as a failure", "[signin_limiter]") {
    signin_limiter l;
    // begin_attempt without record_failure or record_success (the check threw, say).
    for (int i = 0; i < 4; ++i) REQUIRE(l.begin_attempt("ada", "192.0.2.1", t0).allowed);
    require_refused(l, "ada", "192.0.2.1", t0, 1s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: record_failure dates the wait from the answer, not from the attempt's start",
          "[signin_limiter]") {
    signin_limiter l;
    for (int i = 0; i < 3; ++i) fail(l, "ada", "192.0.2.1", t0);
    REQUIRE(l.begin_attempt("ada", "192.0.2.1", t0).allowed);
    l.record_failure("ada", "192.0.2.1", t0 + 300ms);  // the password check took 300 ms
    require_refused(l, "ada", "192.0.2.1", t0 + 1s, 1s, signin_limiter::reason_pair);
    CHECK(l.begin_attempt("ada", "192.0.2.1", t0 + 1300ms).allowed);
}

TEST_CASE("signin_limiter: another address is never refused for the first address's failures at the same user",
          "[signin_limiter]") {
    signin_limiter l;
    // Fifty attacking addresses each lock themselves out on ada, and one hits its address cap.
    for (int a = 0; a < 50; ++a) {
        const std::string attacker = "203.0.113." + std::to_string(a);
        time_point now = t0;
        for (int f = 1; f <= 10; ++f) {
            fail(l, "ada", attacker, now);
            now += l.wait_after(f);
        }
    }
    for (int i = 0; i < 30; ++i) fail(l, "user" + std::to_string(i), "203.0.113.0", t0 + 1000s);
    // Each attacker's tenth failure was at t0 + 63 s: locked out until t0 + 963 s.
    require_refused(l, "ada", "203.0.113.7", t0 + 100s, 863s, signin_limiter::reason_pair);
    require_refused(l, "ada", "203.0.113.0", t0 + 1000s, 900s, signin_limiter::reason_client);
    // The real user, from their own address, at any of those moments: let through, and signs in.
    for (const time_point when : {t0, t0 + 10s, t0 + 100s, t0 + 1000s}) {
        const signin_limiter::verdict v = l.begin_attempt("ada", "198.51.100.23", when);
        CHECK(v.allowed);
        CHECK(v.retry_after == 0s);
        CHECK(v.reason.empty());
        l.record_success("ada", "198.51.100.23");
    }
}

TEST_CASE("signin_limiter: one address may fail 30 times in 15 minutes over all usernames; the window slides",
          "[signin_limiter]") {
    signin_limiter l;
    // 30 failures, each at a different username (no pair is ever waiting), 10 s apart.
    for (int i = 0; i < 30; ++i) fail(l, "user" + std::to_string(i), "192.0.2.9", t0 + std::chrono::seconds(10 * i));
    const time_point last = t0 + 290s;
    require_refused(l, "someone-else", "192.0.2.9", last, 610s, signin_limiter::reason_client);
    require_refused(l, "user0", "192.0.2.9", last + 1s, 609s, signin_limiter::reason_client);
    // The right password of a real user is refused too from this address: it is not checked.
    require_refused(l, "ada", "192.0.2.9", t0 + 899s, 1s, signin_limiter::reason_client);
    CHECK(l.begin_attempt("ada", "198.51.100.23", t0 + 899s).allowed);  // other addresses are not
    // The first failure leaves the window at t0 + 900 s: one more attempt; then the second's turn.
    fail(l, "user30", "192.0.2.9", t0 + 900s);
    require_refused(l, "user31", "192.0.2.9", t0 + 900s, 10s, signin_limiter::reason_client);
    fail(l, "user31", "192.0.2.9", t0 + 910s);
    require_refused(l, "user32", "192.0.2.9", t0 + 915s, 5s, signin_limiter::reason_client);
}

TEST_CASE("signin_limiter: signing in to one's own account does not earn an address more guesses", "[signin_limiter]") {
    signin_limiter l;
    for (int i = 0; i < 29; ++i) fail(l, "victim" + std::to_string(i), "192.0.2.9", t0);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(l.begin_attempt("mallory", "192.0.2.9", t0).allowed);
        l.record_success("mallory", "192.0.2.9");  // takes back only its own attempt
    }
    fail(l, "victim29", "192.0.2.9", t0);
    require_refused(l, "victim30", "192.0.2.9", t0, 900s, signin_limiter::reason_client);
}

TEST_CASE("signin_limiter: when the pair and the address both refuse, Retry-After is the later end",
          "[signin_limiter]") {
    signin_limits limits;
    limits.client_failures = 4;
    signin_limiter l(limits);
    for (int i = 0; i < 4; ++i) fail(l, "ada", "192.0.2.1", t0 + std::chrono::seconds(i));
    // The pair waits until t0 + 4 s; the address until t0 + 900 s.
    require_refused(l, "ada", "192.0.2.1", t0 + 3s, 897s, signin_limiter::reason_client);
    limits.client_failures = 30;
    limits.lockout_failures = 4;
    limits.lockout = 2000s;
    signin_limiter m(limits);
    for (int i = 0; i < 4; ++i) fail(m, "ada", "192.0.2.1", t0);
    require_refused(m, "ada", "192.0.2.1", t0, 2000s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: an unknown username is counted exactly like a known one", "[signin_limiter]") {
    // The limiter never sees the users file; this pins that its answers depend on nothing else.
    signin_limiter l;
    const auto run = [&l](const std::string& user, const std::string& client) {
        std::vector<std::pair<bool, long long>> answers;
        time_point now = t0;
        for (int i = 0; i < 40; ++i) {
            const signin_limiter::verdict v = l.begin_attempt(user, client, now);
            answers.emplace_back(v.allowed, static_cast<long long>(v.retry_after.count()));
            if (v.allowed) l.record_failure(user, client, now);
            now += 1s;
        }
        return answers;
    };
    const auto known = run("ada", "192.0.2.1");
    CHECK(run("no-such-user-7f3a", "192.0.2.2") == known);
    CHECK(known[9].first == false);  // the schedule did refuse within those 40 seconds
}

TEST_CASE("signin_limiter: usernames and addresses count by their first 64 bytes; pairs never share a key",
          "[signin_limiter]") {
    signin_limits limits;
    limits.free_failures = 0;
    signin_limiter l(limits);
    const std::string long_name(64, 'n');
    fail(l, long_name + "x", "192.0.2.1", t0);
    require_refused(l, long_name + "y", "192.0.2.1", t0, 1s, signin_limiter::reason_pair);
    CHECK(l.begin_attempt(long_name.substr(1), "192.0.2.1", t0).allowed);
    // ("bc" from "a") and ("c" from "ab") are different pairs; so are ("c" from "a<NUL>b") and
    // ("b<NUL>c" from "a"), which a key joined by a NUL would confuse.
    fail(l, "bc", "a", t0);
    CHECK(l.begin_attempt("c", "ab", t0).allowed);
    fail(l, "c", std::string("a\0b", 3), t0);
    CHECK(l.begin_attempt(std::string("b\0c", 3), "a", t0).allowed);
    const std::string long_client(64, '1');
    fail(l, "u", long_client + "2", t0);
    require_refused(l, "u", long_client + "3", t0, 1s, signin_limiter::reason_pair);
}

TEST_CASE("signin_limiter: at most max_entries pair records; the one whose last failure is oldest goes",
          "[signin_limiter]") {
    signin_limits limits;
    limits.free_failures = 0;
    limits.first_delay = 100s;
    limits.max_entries = 3;
    signin_limiter l(limits);
    for (int i = 0; i < 4; ++i) fail(l, "user" + std::to_string(i), "192.0.2.1", t0 + std::chrono::seconds(i));
    CHECK(l.pair_count() == 3);
    require_refused(l, "user3", "192.0.2.1", t0 + 4s, 99s, signin_limiter::reason_pair);  // the newest is kept
    require_refused(l, "user1", "192.0.2.1", t0 + 4s, 97s, signin_limiter::reason_pair);
    CHECK(l.begin_attempt("user0", "192.0.2.1", t0 + 4s).allowed);  // the oldest was dropped
    CHECK(l.pair_count() == 3);
    // Many more pairs than records: never more than max_entries.
    limits.max_entries = 1000;
    limits.client_failures = 1000000;
    signin_limiter big(limits);
    for (int i = 0; i < 5000; ++i) {
        fail(big, "user" + std::to_string(i), "192.0.2.1", t0);
        REQUIRE(big.pair_count() <= 1000);
    }
    CHECK(big.pair_count() == 1000);
    CHECK(big.client_count() == 1);
    require_refused(big, "user4999", "192.0.2.1", t0, 100s, signin_limiter::reason_pair);
    CHECK(big.begin_attempt("user0", "192.0.2.1", t0).allowed);
}

TEST_CASE("signin_limiter: at most max_entries address records; the one whose last failure is oldest goes",
          "[signin_limiter]") {
    signin_limits limits;
    limits.free_failures = 5;
    limits.lockout_failures = 6;
    limits.client_failures = 1;
    limits.max_entries = 3;
    signin_limiter l(limits);
    for (int i = 0; i < 4; ++i) fail(l, "ada", "192.0.2." + std::to_string(i), t0 + std::chrono::seconds(i));
    CHECK(l.client_count() == 3);
    require_refused(l, "grace", "192.0.2.3", t0 + 4s, 899s, signin_limiter::reason_client);
    CHECK(l.begin_attempt("grace", "192.0.2.0", t0 + 4s).allowed);
    CHECK(l.client_count() == 3);
}

TEST_CASE("signin_limiter: records past their time are dropped", "[signin_limiter]") {
    signin_limiter l;
    for (int i = 0; i < 100; ++i) fail(l, "user" + std::to_string(i), "198.51.100." + std::to_string(i), t0);
    CHECK(l.pair_count() == 100);
    CHECK(l.client_count() == 100);
    // A failure is remembered forget_after (15 min) past its wait (none) by its pair, and for the
    // window (15 min) by its address.
    CHECK(l.begin_attempt("x", "192.0.2.1", t0 + 899s).allowed);
    CHECK(l.pair_count() == 101);
    CHECK(l.begin_attempt("y", "192.0.2.1", t0 + 900s).allowed);
    CHECK(l.pair_count() == 2);
    CHECK(l.client_count() == 1);
}

TEST_CASE("signin_limiter: limits that contradict themselves are refused", "[signin_limiter]") {
    const auto with = [](auto change) {
        signin_limits limits;
        change(limits);
        return limits;
    };
    CHECK_THROWS_AS(signin_limiter(with([](signin_limits& s) { s.free_failures = -1; })), std::invalid_argument);
    CHECK_THROWS_AS(signin_limiter(with([](signin_limits& s) { s.lockout_failures = 3; })), std::invalid_argument);
    CHECK_THROWS_AS(signin_limiter(with([](signin_limits& s) { s.client_failures = 0; })), std::invalid_argument);
    CHECK_THROWS_AS(signin_limiter(with([](signin_limits& s) { s.max_entries = 0; })), std::invalid_argument);
    CHECK_THROWS_AS(signin_limiter(with([](signin_limits& s) { s.lockout = -1s; })), std::invalid_argument);
}

TEST_CASE("signin_limiter: one pair from many threads at one instant: exactly as many attempts pass as are free",
          "[signin_limiter][concurrency]") {
    // Without counting an attempt at its start, all of them could pass before any failure was recorded.
    signin_limiter l;
    const int allowed = failing_attempts_allowed(l, 200, [](int, int) { return std::string("ada"); });
    CHECK(allowed == 4);  // three free failures, then the fourth starts a one-second wait
}

TEST_CASE("signin_limiter: one address from many threads at one instant: exactly 30 attempts pass",
          "[signin_limiter][concurrency]") {
    signin_limiter l;
    const int allowed = failing_attempts_allowed(l, 100, [](int t, int i) {
        return "user" + std::to_string(t) + "-" + std::to_string(i);
    });
    CHECK(allowed == 30);
}

TEST_CASE("signin_limiter: many threads fail, succeed and evict at once; the tables stay bounded",
          "[signin_limiter][concurrency]") {
    signin_limits limits;
    limits.max_entries = 64;
    signin_limiter l(limits);
    std::atomic<bool> over_bound{false};
    std::vector<std::thread> threads;
    threads.reserve(6);
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::string user = "user" + std::to_string(i % 50);
                const std::string client = "10.0." + std::to_string(t) + "." + std::to_string(i % 40);
                const time_point now = t0 + std::chrono::milliseconds(i * 100);
                if (l.begin_attempt(user, client, now).allowed) {
                    if (i % 7 == 0) {
                        l.record_success(user, client);
                    } else {
                        l.record_failure(user, client, now);
                    }
                }
                if (l.pair_count() > 64 || l.client_count() > 64) over_bound.store(true);
            }
        });
    }
    for (std::thread& th : threads) th.join();
    CHECK_FALSE(over_bound.load());
    CHECK(l.pair_count() <= 64);
    CHECK(l.client_count() <= 64);
}
