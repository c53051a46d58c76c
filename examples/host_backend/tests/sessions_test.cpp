// SPDX-License-Identifier: MIT
// host::session_store: ids, idle and absolute expiry, caps that refuse instead of evicting a
// session in use, Retry-After, erase, the bound on memory, and many threads.
#include "sessions.hpp"

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using host::session_settings;
using host::session_store;
using time_point = session_store::clock::time_point;

constexpr time_point t0 = time_point{} + 24h;

std::string create_ok(session_store& s, const std::string& user, time_point now) {
    INFO("create for " << user);
    session_store::created c = s.create(user, now);
    REQUIRE(c);
    CHECK(c.refusal.empty());
    CHECK(c.retry_after == 0s);
    return std::move(c.id);
}

void require_found(session_store& s, const std::string& id, const std::string& user, time_point now) {
    const std::optional<std::string> found = s.find(id, now);
    REQUIRE(found.has_value());
    CHECK(*found == user);
}

}  // namespace

TEST_CASE("session_store: ids are 64 lowercase hex digits, all different, and find their user", "[sessions]") {
    session_store s;
    std::set<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        const std::string user = "user" + std::to_string(i);
        const std::string id = create_ok(s, user, t0);
        REQUIRE(id.size() == 64);
        for (const char c : id) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
        CHECK(ids.insert(id).second);
        require_found(s, id, user, t0);
    }
    CHECK(s.size() == 200);
}

TEST_CASE("session_store: malformed and unknown ids find nothing and end nothing", "[sessions]") {
    session_store s;
    const std::string id = create_ok(s, "ada", t0);
    std::string upper = id;
    for (char& c : upper) {
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    }
    std::string other = id;
    other[10] = other[10] == '0' ? '1' : '0';
    const std::vector<std::string> bad = {
        "", id.substr(0, 63), id + "0", upper, "g" + id.substr(1), " " + id.substr(1), id.substr(0, 63) + '\0', other};
    for (const std::string& b : bad) {
        INFO("id " << b);
        CHECK_FALSE(s.find(b, t0).has_value());
        s.erase(b);
    }
    require_found(s, id, "ada", t0);
    CHECK(s.size() == 1);
}

TEST_CASE("session_store: a session unused for idle_timeout ends; each find is a use", "[sessions]") {
    session_store s;  // idle_timeout 30 min, lifetime 8 h
    const std::string a = create_ok(s, "ada", t0);
    const std::string b = create_ok(s, "grace", t0);
    require_found(s, a, "ada", t0 + 29min + 59s);
    CHECK_FALSE(s.find(b, t0 + 30min).has_value());  // 30 minutes unused: ended, exactly then
    require_found(s, a, "ada", t0 + 59min + 58s);    // a's last use was at 29:59
    require_found(s, a, "ada", t0 + 89min + 57s);
    CHECK_FALSE(s.find(a, t0 + 119min + 57s).has_value());
    CHECK_FALSE(s.find(b, t0 + 30min).has_value());  // an ended session stays ended
    CHECK(s.size() == 0);
}

TEST_CASE("session_store: a session ends lifetime after its creation however busy", "[sessions]") {
    session_store s;  // lifetime 8 h
    const std::string id = create_ok(s, "ada", t0);
    for (time_point now = t0; now < t0 + 8h; now += 10min) require_found(s, id, "ada", now);
    require_found(s, id, "ada", t0 + 8h - 1s);
    CHECK_FALSE(s.find(id, t0 + 8h).has_value());
}

TEST_CASE(
    "session_store: a full store refuses a new session and ends none in use; it admits one when a session "
    "idles out",
    "[sessions]") {
    session_settings settings;
    settings.max_sessions = 5;
    session_store s(settings);
    std::vector<std::string> ids;
    ids.reserve(5);
    for (int i = 0; i < 5; ++i) ids.push_back(create_ok(s, "user" + std::to_string(i), t0));
    for (std::size_t i = 0; i < 5; ++i) require_found(s, ids[i], "user" + std::to_string(i), t0 + 10min);

    session_store::created refused = s.create("late", t0 + 10min);
    CHECK_FALSE(refused);
    CHECK(refused.id.empty());
    CHECK(refused.refusal == session_store::refusal_full);
    CHECK(refused.retry_after == 1800s);  // every session was used at 10:00: the first idles out at 40:00
    for (std::size_t i = 0; i < 5; ++i) require_found(s, ids[i], "user" + std::to_string(i), t0 + 20min);
    CHECK(s.size() == 5);

    // All but the last stay in use; the last was last used at 20:00.
    for (std::size_t i = 0; i < 4; ++i) require_found(s, ids[i], "user" + std::to_string(i), t0 + 30min);
    refused = s.create("late", t0 + 30min);
    CHECK(refused.refusal == session_store::refusal_full);
    CHECK(refused.retry_after == 1200s);
    refused = s.create("late", t0 + 30min + 500ms);
    CHECK(refused.retry_after == 1200s);  // 1,199.5 s, rounded up
    refused = s.create("late", t0 + 50min - 1ms);
    CHECK(refused.retry_after == 1s);  // rounded up

    const std::string late = create_ok(s, "late", t0 + 50min);
    CHECK(s.size() == 5);
    for (std::size_t i = 0; i < 4; ++i) require_found(s, ids[i], "user" + std::to_string(i), t0 + 50min);
    CHECK_FALSE(s.find(ids[4], t0 + 50min).has_value());
    require_found(s, late, "late", t0 + 50min);
}

TEST_CASE("session_store: a full store's Retry-After counts the absolute lifetime too", "[sessions]") {
    session_settings settings;
    settings.lifetime = 1h;
    settings.max_sessions = 2;
    session_store s(settings);
    const std::string a = create_ok(s, "ada", t0);
    require_found(s, a, "ada", t0 + 25min);
    const std::string b = create_ok(s, "grace", t0 + 40min);
    require_found(s, a, "ada", t0 + 50min);
    require_found(s, b, "grace", t0 + 50min);
    const session_store::created refused = s.create("late", t0 + 55min);
    CHECK(refused.refusal == session_store::refusal_full);
    CHECK(refused.retry_after == 300s);  // a's hour is over at 60:00; nobody idles out before 80:00
    create_ok(s, "late", t0 + 60min);
    require_found(s, b, "grace", t0 + 60min);
    CHECK_FALSE(s.find(a, t0 + 60min).has_value());
}

TEST_CASE("session_store: one user may hold max_per_user live sessions; others are not affected", "[sessions]") {
    session_settings settings;
    settings.max_per_user = 3;
    session_store s(settings);
    std::vector<std::string> ada;
    ada.reserve(3);
    for (int i = 0; i < 3; ++i) ada.push_back(create_ok(s, "ada", t0 + std::chrono::minutes(i)));
    const session_store::created refused = s.create("ada", t0 + 3min);
    CHECK_FALSE(refused);
    CHECK(refused.refusal == session_store::refusal_user);
    CHECK(refused.retry_after == 1620s);  // the first, unused since 0:00, idles out at 30:00
    const std::string grace = create_ok(s, "grace", t0 + 3min);
    require_found(s, grace, "grace", t0 + 4min);
    for (const std::string& id : ada) require_found(s, id, "ada", t0 + 4min);  // none was ended
    s.erase(ada[1]);
    static_cast<void>(create_ok(s, "ada", t0 + 5min));
    CHECK(s.create("ada", t0 + 5min).refusal == session_store::refusal_user);
    // When the store is full as well, Retry-After is the later of the two ends: here the user's
    // (30:00 after ada's sessions at 10:00), not the store's (grace's at 30:00 after 0:00).
    settings.max_sessions = 4;
    session_store both(settings);
    static_cast<void>(create_ok(both, "grace", t0));
    for (int i = 0; i < 3; ++i) static_cast<void>(create_ok(both, "ada", t0 + 10min));
    const session_store::created twice = both.create("ada", t0 + 25min);
    CHECK(twice.refusal == session_store::refusal_user);
    CHECK(twice.retry_after == 900s);
}

TEST_CASE("session_store: erase ends a session; erasing it again or an unknown id does nothing", "[sessions]") {
    session_store s;
    const std::string a = create_ok(s, "ada", t0);
    const std::string b = create_ok(s, "ada", t0);
    s.erase(a);
    CHECK_FALSE(s.find(a, t0).has_value());
    require_found(s, b, "ada", t0);
    CHECK(s.size() == 1);
    s.erase(a);
    s.erase(std::string(64, 'f'));
    CHECK(s.size() == 1);
}

TEST_CASE("session_store: never more than max_sessions held; ended ones are dropped by the next create", "[sessions]") {
    session_settings settings;
    settings.max_sessions = 100;
    session_store s(settings);
    int refusals = 0;
    for (int i = 0; i < 3000; ++i) {
        // One a second, for users who never come back: 1,800 would be live at once without the cap.
        const session_store::created c = s.create("user" + std::to_string(i), t0 + std::chrono::seconds(i));
        if (!c) ++refusals;
        REQUIRE(s.size() <= 100);
    }
    CHECK(refusals > 0);
    CHECK(s.size() == 100);
    // Half an hour after the last create, every session has idled out: the next create drops them.
    static_cast<void>(create_ok(s, "ada", t0 + 3000s + 30min));
    CHECK(s.size() == 1);
}

TEST_CASE("session_store: settings that make no sense are refused", "[sessions]") {
    const auto with = [](auto change) {
        session_settings settings;
        change(settings);
        return settings;
    };
    CHECK_THROWS_AS(session_store(with([](session_settings& s) { s.max_sessions = 0; })), std::invalid_argument);
    CHECK_THROWS_AS(session_store(with([](session_settings& s) { s.max_per_user = 0; })), std::invalid_argument);
    CHECK_THROWS_AS(session_store(with([](session_settings& s) { s.lifetime = 0s; })), std::invalid_argument);
    CHECK_THROWS_AS(session_store(with([](session_settings& s) { s.idle_timeout = -1s; })), std::invalid_argument);
}

TEST_CASE("session_store: many threads create, find and erase sessions on the real clock", "[sessions][concurrency]") {
    session_settings settings;
    settings.max_sessions = 20;  // below the 6 x 5 the threads would hold: some creates are refused
    settings.max_per_user = 8;
    session_store s(settings);
    std::atomic<bool> over_cap{false};
    std::atomic<int> found{0};
    std::vector<std::thread> threads;
    threads.reserve(6);
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            const std::string user = "user" + std::to_string(t);
            std::vector<std::string> mine;
            for (int i = 0; i < 3000; ++i) {
                if (i % 3 == 0) {
                    session_store::created c = s.create(user);
                    if (c) mine.push_back(std::move(c.id));
                }
                for (const std::string& id : mine) {
                    if (const auto name = s.find(id)) found.fetch_add(*name == user ? 1 : -1000000);
                }
                if (mine.size() > 4) {
                    s.erase(mine.front());
                    mine.erase(mine.begin());
                }
                if (s.size() > 20) over_cap.store(true);
            }
        });
    }
    for (std::thread& th : threads) th.join();
    CHECK_FALSE(over_cap.load());
    CHECK(found.load() > 0);
    CHECK(s.size() <= 20);
}
