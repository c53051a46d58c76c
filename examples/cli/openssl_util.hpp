// SPDX-License-Identifier: MIT
// Small OpenSSL helpers for the tool's own OpenSSL calls (JWK import/export): RAII handles
// and the error queue as text.
#pragma once

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>
#include <string>

namespace cli {

template <auto Free>
struct openssl_free {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using bignum_ptr =
    std::unique_ptr<BIGNUM, openssl_free<&BN_clear_free>>;  // cleared: may hold a private scalar
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_free<&OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_free<&OSSL_PARAM_free>>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<&EVP_PKEY_free>>;
using evp_pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free<&EVP_PKEY_CTX_free>>;

/// This thread's OpenSSL error queue as one line (empty when it was empty); clears the queue.
inline std::string openssl_reason() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? out : " (OpenSSL: " + out + ")";
}

}  // namespace cli
