// SPDX-License-Identifier: MIT
// Internal: keys that live in an OpenSSL 3 provider other than OpenSSL's own (a TPM through
// tpm2-openssl, an HSM through a PKCS#11 provider): the library context and property query they
// are used in, the query that makes OpenSSL sign inside their provider, the lock that gives such a
// provider one call at a time, and loading a key by URI through OSSL_STORE.
#pragma once

#include <jwtmint/detail/key_checks.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/pem.hpp>
#include <jwtmint/detail/utf8.hpp>
#include <jwtmint/error.hpp>

#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// What the store's passphrase prompt was given and whether it was asked.
struct store_passphrase {
    std::string_view passphrase;
    bool asked = false;
};

/// OpenSSL's PEM-style passphrase callback over store_passphrase: never prompts on a terminal.
inline int store_passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
    auto* p = static_cast<store_passphrase*>(u);
    p->asked = true;
    if (p->passphrase.empty() || size <= 0 || p->passphrase.size() > static_cast<std::size_t>(size)) return -1;
    std::memcpy(buf, p->passphrase.data(), p->passphrase.size());
    return static_cast<int>(p->passphrase.size());
}

using store_ctx_ptr = ossl_handle<OSSL_STORE_CTX, &OSSL_STORE_close>;
using store_info_ptr = ossl_handle<OSSL_STORE_INFO, &OSSL_STORE_INFO_free>;
using ui_method_ptr = ossl_handle<UI_METHOD, &UI_destroy_method>;

inline constexpr std::size_t max_key_uri_size = 4096;
inline constexpr int max_store_objects = 64;  // what one URI may name before it is refused

/// Keys that live in a device and were loaded by a URI other than a file's, kept for the life of
/// the process and handed out again for the same URI (and context): tpm2-openssl gives every load
/// of one persistent handle the same TPM object and closes it when any of them is freed, which
/// would leave the others unable to sign. Never destroyed, so no exit-time order with OpenSSL's own
/// clean-up; bounded by max_device_keys (beyond it, keys are simply not shared).
struct device_key_registry {
    std::mutex mutex;
    std::vector<std::pair<std::string, pkey_ptr>> keys;
};
inline constexpr std::size_t max_device_keys = 256;
inline device_key_registry& device_keys() {
    static auto* registry = new device_key_registry();  // NOLINT(cppcoreguidelines-owning-memory): see above
    return *registry;
}
inline std::string device_key_name(std::string_view uri, const openssl_context& ctx) {
    return std::string(uri) + '\n' + ctx.property_query + '\n' +
           std::to_string(reinterpret_cast<std::uintptr_t>(ctx.library_context));
}

/// The one key a URI names, through OSSL_STORE (file: and plain paths, and whatever scheme a loaded
/// provider registers: tpm2-openssl's handle: and object:, a PKCS#11 provider's pkcs11:).
/// want_private: the URI must name a private key (a provider key whose private part stays inside
/// its provider counts); otherwise a public key, or the public half of a private one. Every key
/// gets the load-time checks (check_loaded_key).
inline result<pkey_ptr> load_key_uri(std::string_view uri, bool want_private, std::string_view passphrase,
                                     const openssl_context& ctx) {
    const std::string what = want_private ? "private key" : "public key";
    if (uri.empty()) return fail(errc::key_file_error, "the " + what + " URI is empty");
    if (uri.size() > max_key_uri_size || has_control_char(uri)) {
        return fail(errc::key_file_error, "the " + what + " URI is over " + std::to_string(max_key_uri_size) +
                                              " characters or holds a control character: is it the right text?");
    }
    const std::string uri_text(uri);
    const std::string_view scheme = uri_scheme(uri);
    const bool device_uri = !scheme.empty() && scheme != "file";
    const std::string registry_name = device_uri ? device_key_name(uri, ctx) : std::string();
    if (device_uri) {
        device_key_registry& reg = device_keys();
        const std::lock_guard<std::mutex> guard(reg.mutex);
        for (const auto& [name, key] : reg.keys) {
            if (name == registry_name && EVP_PKEY_up_ref(key.get()) == 1) return pkey_ptr{key.get()};
        }
    }
    store_passphrase pass{passphrase, false};
    const ui_method_ptr ui{UI_UTIL_wrap_read_pem_callback(&store_passphrase_cb, 0)};
    if (!ui) return fail_openssl(errc::openssl_error, "UI_UTIL_wrap_read_pem_callback failed");
    ERR_clear_error();
    // A provider's loader may reach its device: one caller at a time (serialize_provider_calls).
    std::unique_lock<std::mutex> lock(foreign_provider_mutex(), std::defer_lock);
    if (ctx.serialize_provider_calls && device_uri) lock.lock();
    const store_ctx_ptr store{OSSL_STORE_open_ex(uri_text.c_str(), ctx.library_context,
                                                 query_or_null(ctx.property_query), ui.get(), &pass, nullptr, nullptr,
                                                 nullptr)};
    if (!store) {
        if (device_uri) {
            return fail_openssl(errc::key_file_error,
                                "cannot open the key URI '" + uri_text + "': no OpenSSL store loader took it. Is the "
                                    "provider that handles '" + std::string(scheme) +
                                    ":' URIs loaded (tpm2-openssl for handle: and object:, a PKCS#11 provider for "
                                    "pkcs11:)? Load it in the OpenSSL configuration the process reads (OPENSSL_CONF)");
        }
        return fail_openssl(errc::key_file_error, "cannot open the " + what + " '" + uri_text +
                                                      "': no such file, or not readable by this process");
    }
    if (want_private) (void)OSSL_STORE_expect(store.get(), OSSL_STORE_INFO_PKEY);
    pkey_ptr found;
    bool found_private = false;
    int keys = 0;
    int certificates = 0;
    for (int i = 0; i < max_store_objects && OSSL_STORE_eof(store.get()) == 0; ++i) {
        const store_info_ptr info{OSSL_STORE_load(store.get())};
        if (!info) {
            if (OSSL_STORE_error(store.get()) != 0) break;
            continue;
        }
        const int type = OSSL_STORE_INFO_get_type(info.get());
        if (type == OSSL_STORE_INFO_CERT) ++certificates;
        if (type != OSSL_STORE_INFO_PKEY && type != OSSL_STORE_INFO_PUBKEY) continue;
        if (want_private && type != OSSL_STORE_INFO_PKEY) continue;
        ++keys;
        if (keys == 1) {
            found_private = type == OSSL_STORE_INFO_PKEY;
            found.reset(found_private ? OSSL_STORE_INFO_get1_PKEY(info.get())
                                      : OSSL_STORE_INFO_get1_PUBKEY(info.get()));
        }
    }
    if (keys > 1) {
        return fail(errc::invalid_key, "the URI '" + uri_text + "' names " + std::to_string(keys) +
                                           " keys; a key URI must name exactly one (narrow it, e.g. with the "
                                           "object or id attribute of a pkcs11: URI)");
    }
    if (!found) {
        if (pass.asked) {
            return passphrase.empty()
                       ? fail_openssl(errc::passphrase_required,
                                      "the key at '" + uri_text + "' is protected by a passphrase; pass it")
                       : fail_openssl(errc::bad_passphrase, "could not open the key at '" + uri_text +
                                                                "': the passphrase is wrong (or the key is damaged)");
        }
        if (certificates > 0 && keys == 0) {
            return fail(errc::invalid_key, "the URI '" + uri_text + "' names a certificate, not a " + what +
                                               (want_private ? "" :
                                                             "; extract its public key with: openssl x509 -in "
                                                             "cert.pem -pubkey -noout"));
        }
        return fail_openssl(want_private ? errc::private_key_required : errc::invalid_key,
                            "no " + what + " found at '" + uri_text +
                                "' (a URI to a public key or certificate cannot sign; a provider's key needs that "
                                "provider loaded through OPENSSL_CONF)");
    }
    drain_openssl_errors();  // loaders leave notes from the formats they tried
    if (auto checked = check_loaded_key(found.get()); !checked) return std::move(checked).error();
    if (device_uri && found_private && !held_by_builtin_provider(found.get())) {
        device_key_registry& reg = device_keys();
        const std::lock_guard<std::mutex> guard(reg.mutex);
        if (reg.keys.size() < max_device_keys && EVP_PKEY_up_ref(found.get()) == 1) {
            reg.keys.emplace_back(registry_name, pkey_ptr{found.get()});
        }
    }
    return found;
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
