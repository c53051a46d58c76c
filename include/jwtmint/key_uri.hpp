// SPDX-License-Identifier: MIT
/// @file
/// Keys by URI through OpenSSL 3's OSSL_STORE: private_key::from_uri, public_key::from_uri and the
/// signers' from_uri. A path or file: URI, or any scheme a loaded provider registers (tpm2-openssl's
/// handle: and object:, a PKCS#11 provider's pkcs11:). Its own header because <openssl/store.h>
/// brings <openssl/pem.h> and X.509, which the minting path otherwise never includes; the umbrella
/// header includes it. A from_uri call without it names this header in its compile error.
#pragma once

#include <jwtmint/detail/key_checks.hpp>
#include <jwtmint/detail/openssl.hpp>
#include <jwtmint/detail/provider.hpp>
#include <jwtmint/detail/utf8.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/key.hpp>

#include <openssl/store.h>
#include <openssl/ui.h>

#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The label of the PEM block in the file a file URI or path names, or "" (unreadable, not one PEM
/// key block): read as every key file is (read_file, read_pem_key_block).
inline std::string pem_label_of_file(std::string_view uri) {
    std::string path(uri);
    for (const std::string_view prefix : {"file://", "file:"}) {
        if (path.rfind(prefix, 0) == 0) {
            path.erase(0, prefix.size());
            break;
        }
    }
    auto text = read_file(file_path(std::move(path)), "key file");
    if (!text) return {};
    const wipe_on_exit wipe(*text);
    auto block = read_pem_key_block(*text, "key file");
    return block ? std::string(block->label) : std::string();
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
/// the process and handed out again for the same URI (and property query): tpm2-openssl gives every load
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
    return std::string(uri) + '\n' + ctx.property_query;
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
    // Shared only in OpenSSL's default library context: a context the application made may be
    // freed (and its address reused) while the registry would still hold its keys.
    const bool shared = device_uri && ctx.library_context == nullptr;
    const std::string registry_name = shared ? device_key_name(uri, ctx) : std::string();
    if (shared) {
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
    // A provider's loader may reach its device, for a file too (a TSS2 key file is loaded into the
    // TPM): one caller at a time (serialize_provider_calls). Loading is rare; signing is what counts.
    std::unique_lock<std::mutex> lock(foreign_provider_mutex(), std::defer_lock);
    if (ctx.serialize_provider_calls) lock.lock();
    const store_ctx_ptr store{OSSL_STORE_open_ex(uri_text.c_str(), ctx.library_context,
                                                 query_or_null(ctx.property_query), ui.get(), &pass, nullptr, nullptr,
                                                 nullptr)};
    if (!store) {
        if (device_uri) {
            return fail_openssl(errc::key_file_error,
                                "cannot open the key URI '" + uri_text +
                                    "': no OpenSSL store loader took it. Is the "
                                    "provider that handles '" +
                                    std::string(scheme) +
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
        if (!device_uri) {
            if (const std::string label = pem_label_of_file(uri); is_provider_private_label(label)) {
                return fail_openssl(errc::invalid_key, "'" + uri_text + "': " + provider_block_failure(label));
            }
        }
        if (certificates > 0 && keys == 0) {
            return fail(errc::invalid_key, "the URI '" + uri_text + "' names a certificate, not a " + what +
                                               (want_private ? ""
                                                             : "; extract its public key with: openssl x509 -in "
                                                               "cert.pem -pubkey -noout"));
        }
        return fail_openssl(want_private ? errc::private_key_required : errc::invalid_key,
                            "no " + what + " found at '" + uri_text +
                                "' (a URI to a public key or certificate cannot sign; a provider's key needs that "
                                "provider loaded through OPENSSL_CONF)");
    }
    drain_openssl_errors();  // loaders leave notes from the formats they tried
    if (auto checked = check_loaded_key(found.get()); !checked) return std::move(checked).error();
    if (shared && found_private && !held_by_builtin_provider(found.get())) {
        device_key_registry& reg = device_keys();
        const std::lock_guard<std::mutex> guard(reg.mutex);
        if (reg.keys.size() < max_device_keys && EVP_PKEY_up_ref(found.get()) == 1) {
            reg.keys.emplace_back(registry_name, pkey_ptr{found.get()});
        }
    }
    return found;
}

/// What private_key::try_from_uri and public_key::try_from_uri (and the signers') call.
struct uri_loader {
    static result<private_key> private_key_from(std::string_view uri, std::string_view passphrase,
                                                const openssl_context& ctx) {
        auto key = load_key_uri(uri, /*want_private=*/true, passphrase, ctx);
        if (!key) return std::move(key).error();
        if (held_by_builtin_provider(key->get()) && !has_private_part(key->get())) {
            return fail(errc::private_key_required,
                        "the URI '" + std::string(uri) + "' names a public key; signing needs the private key");
        }
        return private_key(std::move(*key), ctx);
    }

    static result<public_key> public_key_from(std::string_view uri, const openssl_context& ctx) {
        auto key = load_key_uri(uri, /*want_private=*/false, {}, ctx);
        if (!key) return std::move(key).error();
        auto pem = public_pem_of(key->get());
        if (!pem) return std::move(pem).error();
        auto pub = decode_public_block(*pem, "PUBLIC KEY", ctx);
        if (!pub) return std::move(pub).error();
        return public_key(std::move(*pub), ctx);
    }
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
