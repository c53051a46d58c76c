// SPDX-License-Identifier: MIT
// host::admission: at most max_in_flight tickets at once, given back by their destructors.
#include "admission.hpp"

#include "catch.hpp"

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

TEST_CASE("admission: max_in_flight tickets, then none until one is given back", "[admission]") {
    host::admission gate(4);
    std::vector<host::admission::ticket> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(gate.try_acquire());
        REQUIRE(held.back());
    }
    CHECK(gate.in_flight() == 4);
    CHECK_FALSE(gate.try_acquire());
    CHECK(gate.in_flight() == 4);  // a refusal takes no place
    held.pop_back();               // its destructor gives the place back
    CHECK(gate.in_flight() == 3);
    host::admission::ticket again = gate.try_acquire();
    CHECK(again);
    again.release();
    CHECK_FALSE(again);
    CHECK(gate.in_flight() == 3);
    again.release();  // a second release gives nothing back twice
    CHECK(gate.in_flight() == 3);
}

TEST_CASE("admission: a moved ticket is given back once", "[admission]") {
    host::admission gate(1);
    {
        host::admission::ticket first = gate.try_acquire();
        host::admission::ticket second = std::move(first);
        CHECK(second);
        CHECK(gate.in_flight() == 1);
        host::admission::ticket third;
        third = std::move(second);
        CHECK(gate.in_flight() == 1);
        CHECK_FALSE(gate.try_acquire());
    }
    CHECK(gate.in_flight() == 0);
    CHECK(gate.try_acquire());
    CHECK_THROWS_AS(host::admission(0), std::invalid_argument);
}

TEST_CASE("admission: many threads never hold more than max_in_flight tickets", "[admission][concurrency]") {
    host::admission gate(3);
    std::atomic<int> holding{0};
    std::atomic<int> most{0};
    std::atomic<int> admitted{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                const host::admission::ticket ticket = gate.try_acquire();
                if (!ticket) continue;
                admitted.fetch_add(1);
                const int now = holding.fetch_add(1) + 1;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                holding.fetch_sub(1);
            }
        });
    }
    for (std::thread& th : threads) th.join();
    CHECK(most.load() <= 3);
    CHECK(admitted.load() > 0);
    CHECK(gate.in_flight() == 0);
}
