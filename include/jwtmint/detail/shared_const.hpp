// SPDX-License-Identifier: MIT
// Internal: shared ownership of an immutable object, for the state that copies of a signer or a
// verifier share (a key and its prepared contexts).
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace jwt {
inline namespace v1 {
namespace detail {

/// A counted reference to a T that no one changes once it is shared: std::shared_ptr<const T>
/// reduced to what jwtmint needs (one allocation holding the count and the T, no weak references,
/// no custom deleters), so that the headers on the minting path need not include <memory>.
/// Copies are safe to make and destroy from many threads at once; the T is destroyed with the last.
template <class T>
class shared_const {
public:
    shared_const() noexcept = default;

    /// A new T made from args, of which this is the only reference. Allocation failure throws
    /// std::bad_alloc, as std::make_shared does.
    template <class... Args>
    [[nodiscard]] static shared_const make(Args&&... args) {
        shared_const r;
        r.block_ = new block(std::forward<Args>(args)...);
        return r;
    }

    shared_const(const shared_const& other) noexcept : block_(other.block_) {
        if (block_ != nullptr) block_->count.fetch_add(1, std::memory_order_relaxed);
    }
    shared_const(shared_const&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    shared_const& operator=(shared_const other) noexcept {
        std::swap(block_, other.block_);
        return *this;
    }
    ~shared_const() {
        // The last owner's acquire sees every other owner's use of the T before it is destroyed.
        if (block_ != nullptr && block_->count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete block_;
    }

    [[nodiscard]] const T* get() const noexcept { return block_ != nullptr ? &block_->value : nullptr; }
    const T& operator*() const noexcept { return block_->value; }
    const T* operator->() const noexcept { return &block_->value; }
    explicit operator bool() const noexcept { return block_ != nullptr; }

    /// The T, to finish making it: only while this is its one reference (just after make()).
    [[nodiscard]] T& unshared() noexcept { return block_->value; }

private:
    struct block {
        template <class... Args>
        explicit block(Args&&... args) : value(std::forward<Args>(args)...) {}
        std::atomic<std::size_t> count{1};
        T value;
    };
    block* block_ = nullptr;
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
