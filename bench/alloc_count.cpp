// SPDX-License-Identifier: MIT
// Counting replacements for malloc (glibc: forwarded to __libc_malloc and friends), operator new
// (forwarded to malloc) and OpenSSL's CRYPTO_set_mem_functions hooks. Linked into alloc_driver only.
#include "alloc_count.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {
std::atomic<std::uint64_t> g_total{0}, g_new{0}, g_openssl{0}, g_bytes{0};

void note(std::size_t n) noexcept {
    g_total.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(n, std::memory_order_relaxed);
}

void* new_impl(std::size_t n) {
    g_new.fetch_add(1, std::memory_order_relaxed);
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void* new_aligned(std::size_t n, std::align_val_t a) {
    g_new.fetch_add(1, std::memory_order_relaxed);
    void* p = std::aligned_alloc(static_cast<std::size_t>(a),
                                 (n + static_cast<std::size_t>(a) - 1) & ~(static_cast<std::size_t>(a) - 1));
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void* ossl_malloc(std::size_t n, const char* /*file*/, int /*line*/) {
    g_openssl.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n);
}
void* ossl_realloc(void* p, std::size_t n, const char* /*file*/, int /*line*/) {
    g_openssl.fetch_add(1, std::memory_order_relaxed);
    return std::realloc(p, n);
}
void ossl_free(void* p, const char* /*file*/, int /*line*/) { std::free(p); }
}  // namespace

extern "C" {
void* malloc(std::size_t n) {
    note(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t k, std::size_t n) {
    note(k * n);
    return __libc_calloc(k, n);
}
void* realloc(void* p, std::size_t n) {
    note(n);
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(std::size_t a, std::size_t n) {
    note(n);
    return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
    note(n);
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) {
    note(n);
    void* p = __libc_memalign(a, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}

void* operator new(std::size_t n) { return new_impl(n); }
void* operator new[](std::size_t n) { return new_impl(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return new_impl(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return new_impl(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new(std::size_t n, std::align_val_t a) { return new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return new_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace bench::alloc {

bool install() { return CRYPTO_set_mem_functions(&ossl_malloc, &ossl_realloc, &ossl_free) == 1; }

counts snapshot() {
    counts c;
    c.total = g_total.load(std::memory_order_relaxed);
    c.cxx_new = g_new.load(std::memory_order_relaxed);
    c.openssl = g_openssl.load(std::memory_order_relaxed);
    c.bytes = g_bytes.load(std::memory_order_relaxed);
    return c;
}

}  // namespace bench::alloc
