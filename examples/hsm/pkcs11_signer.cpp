// SPDX-License-Identifier: MIT
// The libp11 side of pkcs11_signer.hpp: loading the module, finding token and key, signing in the
// token.
//
// The one translation unit that includes <libp11.h>. It is built with OPENSSL_API_COMPAT=30000
// but without OPENSSL_NO_DEPRECATED (see CMakeLists.txt): libp11 0.4.12 declares functions that
// return RSA_METHOD and EC_KEY_METHOD, types OpenSSL only declares while deprecated APIs are
// visible. Our own calls stay EVP-only: a deprecated call here is still a warning (an error under
// JWTMINT_WARNINGS_AS_ERRORS, as in CI).
#include "pkcs11_signer.hpp"

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace hsm::detail {
namespace {

[[noreturn]] void fail(jwt::errc code, const std::string& message) { throw jwt::error(code, message); }

/// Empties this thread's OpenSSL error queue (where libp11 puts the module's CKR_* reasons) into
/// one line, so that the next call on the thread starts clean.
std::string drain_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        char buf[256];
        if (reason == nullptr) {
            ERR_error_string_n(e, buf, sizeof buf);
            reason = buf;
        }
        if (!out.empty()) out += "; ";
        out += reason;
    }
    return out.empty() ? std::string("no reason given") : out;
}

template <auto Free>
struct deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<&EVP_PKEY_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<&EVP_MD_CTX_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, deleter<&ECDSA_SIG_free>>;

/// A loaded PKCS#11 module and its slot list. PKCS#11 state (C_Initialize, logins) is per process,
/// not per libp11 context: a second context on the same module would share it, and its
/// C_Finalize would end the first one's sessions. So each module is loaded once per process and
/// shared by every token opened from it.
struct module_state {
    struct ctx_free {
        void operator()(PKCS11_CTX* p) const noexcept { PKCS11_CTX_free(p); }
    };
    std::unique_ptr<PKCS11_CTX, ctx_free> ctx;
    bool loaded = false;
    PKCS11_SLOT* slots = nullptr;
    unsigned slot_count = 0;
    std::set<const PKCS11_SLOT*> open_slots;  // guarded by registry_mutex()

    module_state() = default;
    module_state(const module_state&) = delete;
    module_state& operator=(const module_state&) = delete;
    ~module_state() {
        if (slots != nullptr) PKCS11_release_all_slots(ctx.get(), slots, slot_count);
        if (loaded) PKCS11_CTX_unload(ctx.get());
    }
};

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}
std::map<std::string, std::weak_ptr<module_state>>& registry() {
    static std::map<std::string, std::weak_ptr<module_state>> modules;
    return modules;
}

/// Wipes a string (here: the PIN copy handed to the module) when it goes out of scope.
struct wipe_on_exit {
    std::string& s;
    ~wipe_on_exit() { OPENSSL_cleanse(s.data(), s.size()); }
};

}  // namespace

struct token_state {
    std::shared_ptr<module_state> module;
    PKCS11_SLOT* slot = nullptr;
    std::string label;
    std::mutex session_mutex;  // one PKCS#11 session per token: one operation at a time

    token_state() = default;
    token_state(const token_state&) = delete;
    token_state& operator=(const token_state&) = delete;
    ~token_state() {
        // Under the registry lock, so that the module's C_Finalize (when this is its last token)
        // cannot interleave with another thread's open() of the same module.
        const std::lock_guard<std::mutex> lock(registry_mutex());
        module->open_slots.erase(slot);
        module.reset();
    }
};

struct key_state {
    std::shared_ptr<token_state> token;  // keeps the session (and libp11's key object) alive
    std::string label;
    pkey_ptr private_key;  // libp11's handle: calls into the token, holds no secret
    jwt::public_key public_key;
    bool is_rsa = false;

    key_state(std::shared_ptr<token_state> t, std::string l, pkey_ptr priv, jwt::public_key pub, bool rsa)
        : token(std::move(t)),
          label(std::move(l)),
          private_key(std::move(priv)),
          public_key(std::move(pub)),
          is_rsa(rsa) {}

    /// The signature over SHA-256(input) as the token makes it: PKCS#1 v1.5 for RSA, DER for ECDSA.
    [[nodiscard]] std::string sign_sha256(std::string_view input, std::string_view alg) const {
        ERR_clear_error();
        const md_ctx_ptr ctx{EVP_MD_CTX_new()};
        EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
        if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, private_key.get()) != 1 ||
            (is_rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
            fail(jwt::errc::signing_failed,
                 std::string(alg) + ": cannot prepare signing with token key '" + label + "': " + drain_errors());
        }
        const auto* data = reinterpret_cast<const unsigned char*>(input.data());
        std::size_t size = 0;
        if (EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1 || size == 0) {
            fail(jwt::errc::signing_failed,
                 std::string(alg) + ": cannot size the signature of token key '" + label + "': " + drain_errors());
        }
        std::string sig(size, '\0');
        int rc = 0;
        {
            const std::lock_guard<std::mutex> lock(token->session_mutex);
            rc = EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size, data, input.size());
        }
        if (rc != 1) {
            fail(jwt::errc::signing_failed, std::string(alg) + ": token '" + token->label +
                                                "' did not sign with key '" + label + "' (" + drain_errors() +
                                                "); check that the token is present and the user still logged in");
        }
        sig.resize(size);
        return sig;
    }
};

namespace {

/// The token's labels, for a message that lists what is there.
std::string token_labels(const module_state& m) {
    std::string out;
    for (unsigned i = 0; i < m.slot_count; ++i) {
        const PKCS11_TOKEN* t = m.slots[i].token;
        if (t == nullptr || !t->initialized) continue;
        if (!out.empty()) out += ", ";
        out += std::string("'") + t->label + "'";
    }
    return out.empty() ? std::string("none") : out;
}

std::shared_ptr<module_state> load_module(const std::string& path) {
    std::error_code fs_ec;
    const auto canonical = std::filesystem::weakly_canonical(path, fs_ec);
    const std::string key = fs_ec ? path : canonical.string();
    auto& known = registry()[key];
    if (auto m = known.lock()) return m;

    auto m = std::make_shared<module_state>();
    m->ctx.reset(PKCS11_CTX_new());
    if (!m->ctx) fail(jwt::errc::openssl_error, "libp11 could not allocate a context: " + drain_errors());
    if (PKCS11_CTX_load(m->ctx.get(), path.c_str()) != 0) {
        fail(jwt::errc::key_file_error,
             "the PKCS#11 module '" + path + "' could not be loaded (" + drain_errors() +
                 "); check the module path (SoftHSM 2 on Debian: /usr/lib/softhsm/libsofthsm2.so; "
                 "for a hardware HSM, the vendor's PKCS#11 library)");
    }
    m->loaded = true;
    if (PKCS11_enumerate_slots(m->ctx.get(), &m->slots, &m->slot_count) != 0) {
        fail(jwt::errc::key_file_error,
             "the PKCS#11 module '" + path + "' could not list its slots: " + drain_errors());
    }
    known = m;
    return m;
}

template <class Signer>
std::optional<Signer> capture(std::error_code& ec, Signer (*make)(const pkcs11_token&, std::string_view),
                              const pkcs11_token& token, std::string_view label) {
    try {
        auto s = make(token, label);
        ec.clear();
        return s;
    } catch (const jwt::error& e) {
        ec = e.code();
        return std::nullopt;
    }
}

}  // namespace

/// Finds the one private key labelled key_label, checks its type, and reads its public half.
std::shared_ptr<const key_state> find_key(const std::shared_ptr<token_state>& token, std::string_view key_label,
                                          std::string_view alg) {
    const std::string label(key_label);
    const std::lock_guard<std::mutex> lock(token->session_mutex);
    ERR_clear_error();
    PKCS11_KEY* keys = nullptr;
    unsigned count = 0;
    if (PKCS11_enumerate_keys(token->slot->token, &keys, &count) != 0) {
        fail(jwt::errc::invalid_key, "token '" + token->label + "': cannot list private keys: " + drain_errors());
    }
    PKCS11_KEY* found = nullptr;
    unsigned matches = 0;
    std::string present;
    for (unsigned i = 0; i < count; ++i) {
        const std::string this_label = keys[i].label != nullptr ? keys[i].label : "";
        if (!present.empty()) present += ", ";
        present += "'" + this_label + "'";
        if (this_label == label) {
            found = &keys[i];
            ++matches;
        }
    }
    if (found == nullptr) {
        fail(jwt::errc::invalid_key, "token '" + token->label + "' has no private key labelled '" + label +
                                         "' (private keys: " + (present.empty() ? std::string("none") : present) +
                                         "); check the key label (pkcs11-tool --list-objects --login)");
    }
    if (matches > 1) {
        fail(jwt::errc::invalid_key, "token '" + token->label + "' has " + std::to_string(matches) +
                                         " private keys labelled '" + label + "'; give each key a unique label");
    }

    pkey_ptr priv{PKCS11_get_private_key(found)};
    // The public half comes with libp11's private key: for RSA the private key object's modulus
    // and exponent, for EC the point libp11 reads from the key's public key object. Its plain copy
    // (through SPKI DER) is what jwtmint's verifier, PEM export and key checks expect, and it
    // outlives the token. Not PKCS11_get_public_key(): with libp11 0.4.12, once it has been
    // called, the key object it made, the slot state PKCS11_enumerate_slots allocated and the PIN
    // copy PKCS11_login keeps are never freed, whatever is released afterwards (EVP_PKEY_free,
    // PKCS11_release_all_slots, PKCS11_CTX_unload/free): LeakSanitizer reports them.
    pkey_ptr plain_pub;
    if (priv) {
        unsigned char* der = nullptr;
        const int n = i2d_PUBKEY(priv.get(), &der);
        if (n > 0) {
            const unsigned char* p = der;
            plain_pub.reset(d2i_PUBKEY(nullptr, &p, n));
        }
        OPENSSL_free(der);
    }
    if (!priv || !plain_pub) {
        fail(jwt::errc::invalid_key,
             "token '" + token->label + "': key '" + label + "' cannot be used (" + drain_errors() +
                 "); the token needs the key's public half: keep the public key object generated "
                 "with it (pkcs11-tool --list-objects shows both)");
    }
    auto pub = jwt::public_key::from_evp_pkey(plain_pub.get());
    const jwt::key_info info = pub.info();
    const bool want_rsa = alg == "RS256";
    if (want_rsa && info.type != "RSA") {
        fail(jwt::errc::key_algorithm_mismatch,
             "token key '" + label + "' is " + info.type + ", RS256 needs RSA (use pkcs11_es256 for a P-256 key)");
    }
    if (want_rsa && info.bits < 2048) {
        fail(jwt::errc::weak_key,
             "token key '" + label + "' is RSA with " + std::to_string(info.bits) +
                 " bits; RS256 needs at least 2048 (pkcs11-tool --keypairgen --key-type rsa:2048)");
    }
    if (!want_rsa && (info.type != "EC" || info.curve != "P-256")) {
        fail(jwt::errc::key_algorithm_mismatch,
             "token key '" + label + "' is " + info.type + (info.curve.empty() ? "" : " " + info.curve) +
                 ", ES256 needs EC on P-256 (pkcs11-tool --keypairgen --key-type EC:prime256v1)");
    }
    return std::make_shared<const key_state>(token, label, std::move(priv), std::move(pub), want_rsa);
}

}  // namespace hsm::detail

namespace hsm {

pkcs11_token pkcs11_token::open(std::string_view module_path, std::string_view token_label, std::string_view pin) {
    const std::string path(module_path);
    const std::string label(token_label);
    const std::lock_guard<std::mutex> lock(detail::registry_mutex());
    ERR_clear_error();
    auto module = detail::load_module(path);

    PKCS11_SLOT* slot = nullptr;
    for (unsigned i = 0; i < module->slot_count; ++i) {
        const PKCS11_TOKEN* t = module->slots[i].token;
        if (t != nullptr && t->initialized && label == t->label) {
            slot = &module->slots[i];
            break;
        }
    }
    if (slot == nullptr) {
        detail::fail(jwt::errc::invalid_key, "the PKCS#11 module '" + path + "' has no initialised token labelled '" +
                                                 label + "' (tokens: " + detail::token_labels(*module) +
                                                 "); check the token label (softhsm2-util --show-slots, or "
                                                 "pkcs11-tool --module " +
                                                 path + " --list-token-slots)");
    }
    if (module->open_slots.count(slot) != 0) {
        // PKCS#11 logins are per process: a second login would not check its PIN.
        detail::fail(jwt::errc::invalid_key, "token '" + label +
                                                 "' is already open in this process; copy the pkcs11_token "
                                                 "you have (copies share its login) instead of opening it again");
    }
    if (slot->token->userPinLocked) {
        detail::fail(jwt::errc::bad_passphrase, "the user PIN of token '" + label +
                                                    "' is locked; reset it with the SO PIN (pkcs11-tool --init-pin "
                                                    "--login --login-type so)");
    }
    std::string pin_copy(pin);  // the module wants a NUL-terminated string
    const detail::wipe_on_exit wipe{pin_copy};
    if (PKCS11_login(slot, 0, pin_copy.c_str()) != 0) {
        const std::string reason = detail::drain_errors();
        detail::fail(jwt::errc::bad_passphrase, "token '" + label + "' refused the user PIN (" + reason +
                                                    "); check the PIN (not the SO PIN) you gave for this token");
    }

    auto state = std::make_shared<detail::token_state>();
    state->module = module;
    state->slot = slot;
    state->label = label;
    module->open_slots.insert(slot);
    return pkcs11_token(std::move(state));
}

std::optional<pkcs11_token> pkcs11_token::open(std::string_view module_path, std::string_view token_label,
                                               std::string_view pin, std::error_code& ec) {
    try {
        auto t = open(module_path, token_label, pin);
        ec.clear();
        return t;
    } catch (const jwt::error& e) {
        ec = e.code();
        return std::nullopt;
    }
}

const std::string& pkcs11_token::label() const noexcept { return state_->label; }

pkcs11_rs256 pkcs11_rs256::from_token(const pkcs11_token& token, std::string_view key_label) {
    return pkcs11_rs256(detail::find_key(token.state_, key_label, alg));
}
std::optional<pkcs11_rs256> pkcs11_rs256::from_token(const pkcs11_token& token, std::string_view key_label,
                                                     std::error_code& ec) {
    return detail::capture<pkcs11_rs256>(ec, &pkcs11_rs256::from_token, token, key_label);
}
std::string pkcs11_rs256::sign(std::string_view signing_input) const { return key_->sign_sha256(signing_input, alg); }
const jwt::public_key& pkcs11_rs256::public_key() const noexcept { return key_->public_key; }

pkcs11_es256 pkcs11_es256::from_token(const pkcs11_token& token, std::string_view key_label) {
    return pkcs11_es256(detail::find_key(token.state_, key_label, alg));
}
std::optional<pkcs11_es256> pkcs11_es256::from_token(const pkcs11_token& token, std::string_view key_label,
                                                     std::error_code& ec) {
    return detail::capture<pkcs11_es256>(ec, &pkcs11_es256::from_token, token, key_label);
}

std::string pkcs11_es256::sign(std::string_view signing_input) const {
    // The token's CKM_ECDSA returns R‖S, but libp11 hands it to OpenSSL as an ECDSA_SIG, which
    // EVP encodes as DER: decode it back to the fixed-width form RFC 7518 §3.4 requires.
    const std::string der = key_->sign_sha256(signing_input, alg);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const detail::ecdsa_sig_ptr sig{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()))};
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32) {
        detail::fail(jwt::errc::signing_failed,
                     "ES256: the token's signature is not a P-256 ECDSA signature: " + detail::drain_errors());
    }
    return raw;
}
const jwt::public_key& pkcs11_es256::public_key() const noexcept { return key_->public_key; }

}  // namespace hsm
