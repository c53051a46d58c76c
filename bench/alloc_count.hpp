// SPDX-License-Identifier: MIT
// Heap allocation counters for the allocation driver (alloc_count.cpp replaces malloc and
// operator new in that executable only; the timed benchmark carries no hooks).
#pragma once

#include <cstdint>

namespace bench::alloc {

struct counts {
    std::uint64_t total = 0;    // malloc, calloc, realloc, memalign family: every heap allocation
    std::uint64_t cxx_new = 0;  // of which through operator new (jwtmint, cpp-jwt, nlohmann, std)
    std::uint64_t openssl = 0;  // of which through CRYPTO_malloc/zalloc/realloc (OpenSSL itself)
    std::uint64_t bytes = 0;    // bytes requested, all sources
};

/// Routes OpenSSL's allocations through the counting hooks; must run before any other OpenSSL
/// call. Returns false if OpenSSL had already allocated (its hooks can no longer be set).
bool install();
counts snapshot();

}  // namespace bench::alloc
