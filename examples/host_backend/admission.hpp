// SPDX-License-Identifier: MIT
// A bound on how many costly operations (password checks) run at once; the rest are turned away.
#pragma once

#include <atomic>
#include <cstddef>
#include <stdexcept>

namespace host {

/// At most max_in_flight holders at once; try_acquire never waits. The server takes a ticket
/// before a password check (scrypt: tens of milliseconds and 32 MiB each) and answers
/// 503 with Retry-After: 1 when there is none, instead of letting requests queue without end.
/// Thread-safe and lock-free.
class admission {
public:
    /// Held while the operation runs; gives its place back when destroyed. Empty (false) when
    /// try_acquire found no place.
    class ticket {
    public:
        ticket() noexcept = default;
        ticket(ticket&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
        ticket& operator=(ticket&& other) noexcept {
            if (this != &other) {
                release();
                owner_ = other.owner_;
                other.owner_ = nullptr;
            }
            return *this;
        }
        ticket(const ticket&) = delete;
        ticket& operator=(const ticket&) = delete;
        ~ticket() { release(); }

        explicit operator bool() const noexcept { return owner_ != nullptr; }
        /// Gives the place back now rather than at destruction.
        void release() noexcept {
            if (owner_ != nullptr) owner_->in_flight_.fetch_sub(1, std::memory_order_release);
            owner_ = nullptr;
        }

    private:
        friend class admission;
        explicit ticket(admission* owner) noexcept : owner_(owner) {}
        admission* owner_ = nullptr;
    };

    /// @throws std::invalid_argument when max_in_flight is zero
    explicit admission(std::size_t max_in_flight = 4) : max_in_flight_(max_in_flight) {
        if (max_in_flight == 0) throw std::invalid_argument("admission: max_in_flight must be at least 1");
    }
    admission(const admission&) = delete;
    admission& operator=(const admission&) = delete;
    admission(admission&&) = delete;
    admission& operator=(admission&&) = delete;
    ~admission() = default;

    /// A ticket, or an empty one when max_in_flight tickets are held already.
    [[nodiscard]] ticket try_acquire() noexcept {
        std::size_t held = in_flight_.load(std::memory_order_relaxed);
        do {
            if (held >= max_in_flight_) return ticket{};
        } while (!in_flight_.compare_exchange_weak(held, held + 1, std::memory_order_acquire,
                                                   std::memory_order_relaxed));
        return ticket{this};
    }
    /// Tickets held now (a snapshot).
    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::size_t max_in_flight() const noexcept { return max_in_flight_; }

private:
    std::size_t max_in_flight_;
    std::atomic<std::size_t> in_flight_{0};
};

}  // namespace host
