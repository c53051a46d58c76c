// SPDX-License-Identifier: MIT
// Keys that live in an OpenSSL 3 provider other than OpenSSL's own (a TPM through tpm2-openssl, an
// HSM through a PKCS#11 provider): jwt::openssl_context (the library context and property query
// keys are used in) and, internally, the query that makes OpenSSL sign inside the key's provider
// and the lock that gives such a provider one call at a time. Loading by URI (OSSL_STORE, which
// brings <openssl/pem.h> and X.509) is <jwtmint/key_uri.hpp>'s.
#pragma once

#include <jwtmint/detail/key_checks.hpp>
#include <jwtmint/detail/pem.hpp>

#include <openssl/provider.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace jwt {
inline namespace v1 {

/// Where OpenSSL looks for the algorithms and the key: a library context and a property query, so
/// that a FIPS configuration or a hardware provider is honoured. The default (OpenSSL's default
/// context, no query) is what every other factory uses.
struct openssl_context {
    /// The library context keys are loaded, signed and verified in; not owned: it must outlive every
    /// key and signer made with it. nullptr is OpenSSL's default context (the one OPENSSL_CONF
    /// configures).
    OSSL_LIB_CTX* library_context = nullptr;
    /// An OpenSSL property query ("fips=yes", "provider=tpm2", ...) for the algorithms fetched to
    /// load, sign and verify; empty for none.
    std::string property_query;
    /// A key held by a provider that is not OpenSSL's own (default, base, fips) is used by one
    /// thread at a time across the process: tpm2-openssl, for one, keeps a single TPM session per
    /// provider and fails when two threads use it at once. Set false for a provider known to be
    /// thread-safe, such as a network HSM's, to let threads sign concurrently.
    bool serialize_provider_calls = true;
};

namespace detail {

/// The one lock for keys whose provider is not OpenSSL's own (see
/// openssl_context::serialize_provider_calls): loading them and signing with them.
inline std::mutex& foreign_provider_mutex() {
    static std::mutex m;
    return m;
}

/// The name of the provider that holds key ("default" for a legacy key).
inline std::string_view provider_name(const EVP_PKEY* key) {
    const OSSL_PROVIDER* prov = EVP_PKEY_get0_provider(key);
    return prov != nullptr ? std::string_view(OSSL_PROVIDER_get0_name(prov)) : std::string_view("default");
}

/// The property query to sign with key under the user's query: a key held by another provider than
/// OpenSSL's own is signed with inside that provider ("?provider=NAME" added, a preference, unless
/// the user's query already names a provider). OpenSSL 3.0 otherwise fetches the signature from
/// the default provider and hands it only the key's exportable (public) half: "missing private key".
inline std::string signing_query(const EVP_PKEY* key, const std::string& user_query) {
    if (held_by_builtin_provider(key) || user_query.find("provider") != std::string::npos) return user_query;
    std::string q = user_query;
    if (!q.empty()) q += ',';
    q += "?provider=";
    q += provider_name(key);
    return q;
}

/// A query string for OpenSSL, or nullptr for none.
inline const char* query_or_null(const std::string& query) { return query.empty() ? nullptr : query.c_str(); }

/// Whether label is a private key block only a provider reads ("TSS2 PRIVATE KEY", tpm2-openssl's).
inline bool is_provider_private_label(std::string_view label) {
    constexpr std::string_view suffix = " PRIVATE KEY";
    return !is_private_label(label) && label.size() > suffix.size() &&
           label.substr(label.size() - suffix.size()) == suffix;
}

/// Why a provider's own key block did not load, and what to check.
inline std::string provider_block_failure(std::string_view label) {
    return "this PEM holds a '" + std::string(label) +
           "' block, which only the OpenSSL provider that made it can read (tpm2-openssl for 'TSS2 PRIVATE KEY'), "
           "with the device that holds its parent key, and it did not load: is that provider loaded by the OpenSSL "
           "configuration this process reads (OPENSSL_CONF; see docs/key-custody.md), and is this the TPM the key "
           "was made in?";
}

/// The scheme of a key URI ("file", "handle", "pkcs11"), or "" when text does not start with one.
/// RFC 3986 section 3.1: a letter, then letters, digits, '+', '-', '.', then ':'. One letter before
/// the colon is not taken as a scheme (a Windows drive, "C:").
inline std::string_view uri_scheme(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon < 2) return {};
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(text[0])) return {};
    for (std::size_t i = 1; i < colon; ++i) {
        const char c = text[i];
        if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return {};
    }
    return text.substr(0, colon);
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
