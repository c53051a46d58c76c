// SPDX-License-Identifier: MIT
// Internal: RAII handles for OpenSSL 3 objects, error-queue capture, and wiping of secrets.
#pragma once

#include <jwtmint/error.hpp>

#include <openssl/opensslv.h>
#if OPENSSL_VERSION_MAJOR < 3
#error "jwtmint needs OpenSSL 3.0 or newer (only the EVP interfaces of OpenSSL 3 are used)"
#endif

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

/// Owns one OpenSSL object and frees it with Free: what std::unique_ptr<T, deleter> would do, in a
/// class small enough that each of the dozen handle types costs the compiler next to nothing
/// (unique_ptr instantiates std::tuple and its constructor traits for every deleter type).
template <class T, auto Free>
class ossl_handle {
public:
    ossl_handle() noexcept = default;
    explicit ossl_handle(T* p) noexcept : p_(p) {}
    ossl_handle(ossl_handle&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }
    ossl_handle& operator=(ossl_handle&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ossl_handle(const ossl_handle&) = delete;
    ossl_handle& operator=(const ossl_handle&) = delete;
    ~ossl_handle() { reset(); }

    [[nodiscard]] T* get() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    /// Gives up ownership: the caller frees the object (or hands it to OpenSSL, which does).
    [[nodiscard]] T* release() noexcept {
        T* p = p_;
        p_ = nullptr;
        return p;
    }
    void reset(T* p = nullptr) noexcept {
        T* old = p_;
        p_ = p;
        if (old != nullptr) Free(old);
    }

private:
    T* p_ = nullptr;
};

using pkey_ptr = ossl_handle<EVP_PKEY, &EVP_PKEY_free>;
using pkey_ctx_ptr = ossl_handle<EVP_PKEY_CTX, &EVP_PKEY_CTX_free>;
using md_ctx_ptr = ossl_handle<EVP_MD_CTX, &EVP_MD_CTX_free>;
using md_ptr = ossl_handle<EVP_MD, &EVP_MD_free>;
using mac_ptr = ossl_handle<EVP_MAC, &EVP_MAC_free>;
using mac_ctx_ptr = ossl_handle<EVP_MAC_CTX, &EVP_MAC_CTX_free>;
using bio_ptr = ossl_handle<BIO, &BIO_free_all>;
using bn_ptr = ossl_handle<BIGNUM, &BN_clear_free>;
using bn_ctx_ptr = ossl_handle<BN_CTX, &BN_CTX_free>;

/// Drains this thread's OpenSSL error queue into one line ("" when it was empty),
/// so the next OpenSSL call on the thread starts clean.
inline std::string drain_openssl_errors() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

/// The jwt::error(e) with message plus OpenSSL's own reason; clears the queue.
/// `return fail_openssl(errc::openssl_error, "...");`
[[nodiscard]] inline error fail_openssl(errc e, std::string message) {
    const std::string reason = drain_openssl_errors();
    if (!reason.empty()) message += " (OpenSSL: " + reason + ")";
    return fail(e, message);
}

/// An allocator that wipes memory with OPENSSL_cleanse before releasing it.
template <class T>
struct cleansing_allocator {
    using value_type = T;
    cleansing_allocator() noexcept = default;
    template <class U>
    explicit cleansing_allocator(const cleansing_allocator<U>& /*unused*/) noexcept {}
    // n is at most max_size() (SIZE_MAX / sizeof(T)): containers check before they allocate.
    [[nodiscard]] T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept {
        OPENSSL_cleanse(p, n * sizeof(T));
        ::operator delete(p);
    }
    template <class U>
    bool operator==(const cleansing_allocator<U>& /*unused*/) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const cleansing_allocator<U>& /*unused*/) const noexcept {
        return false;
    }
};

/// Bytes that are wiped when freed: HMAC secrets, passphrases, copied key material.
using secure_bytes = std::vector<unsigned char, cleansing_allocator<unsigned char>>;

inline secure_bytes to_secure_bytes(std::string_view s) { return secure_bytes(s.begin(), s.end()); }

/// A read-only memory BIO over text that outlives the BIO.
inline result<bio_ptr> memory_bio(std::string_view text) {
    if (text.size() > static_cast<std::size_t>(INT_MAX)) return fail(errc::invalid_key, "key text is too large");
    bio_ptr bio{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
    if (!bio) return fail_openssl(errc::openssl_error, "BIO_new_mem_buf failed");
    return bio;
}

/// Everything written to a memory BIO, as a string.
inline std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
