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
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

template <auto Free>
struct ossl_deleter {  // stateless: unique_ptr stays one pointer wide
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, ossl_deleter<&EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, ossl_deleter<&EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, ossl_deleter<&EVP_MD_CTX_free>>;
using md_ptr = std::unique_ptr<EVP_MD, ossl_deleter<&EVP_MD_free>>;
using mac_ptr = std::unique_ptr<EVP_MAC, ossl_deleter<&EVP_MAC_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, ossl_deleter<&EVP_MAC_CTX_free>>;
using bio_ptr = std::unique_ptr<BIO, ossl_deleter<&BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, ossl_deleter<&BN_clear_free>>;
using bn_ctx_ptr = std::unique_ptr<BN_CTX, ossl_deleter<&BN_CTX_free>>;

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
    [[nodiscard]] T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        OPENSSL_cleanse(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
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
