// SPDX-License-Identifier: MIT
// The PKCS#11 side of pkcs11_signer.hpp, on the module's own C API: loading the module, finding
// token and key, a pool of sessions, signing in the token.
//
// OpenSSL is used only through non-deprecated OpenSSL 3 calls: the SHA-256 digest that CKM_ECDSA
// (and CKM_RSA_PKCS) sign, the public key built from the token's numbers with EVP_PKEY_fromdata,
// and jwtmint's verifier for the probe signature made at start-up.
#include "pkcs11_signer.hpp"

#include <jwtmint/verifier.hpp>

#include <dlfcn.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hsm::detail {
namespace {

[[noreturn]] void fail(jwt::errc code, const std::string& message) { throw jwt::error(code, message); }

/// A PKCS#11 return value as the standard names it ("CKR_PIN_INCORRECT"), for messages.
std::string rv_name(CK_RV rv) {
    switch (rv) {
        case CKR_OK: return "CKR_OK";
        case CKR_CANCEL: return "CKR_CANCEL";
        case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
        case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
        case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
        case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
        case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
        case CKR_CANT_LOCK: return "CKR_CANT_LOCK";
        case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
        case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
        case CKR_DATA_INVALID: return "CKR_DATA_INVALID";
        case CKR_DATA_LEN_RANGE: return "CKR_DATA_LEN_RANGE";
        case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
        case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
        case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
        case CKR_FUNCTION_CANCELED: return "CKR_FUNCTION_CANCELED";
        case CKR_FUNCTION_NOT_SUPPORTED: return "CKR_FUNCTION_NOT_SUPPORTED";
        case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
        case CKR_KEY_SIZE_RANGE: return "CKR_KEY_SIZE_RANGE";
        case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
        case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
        case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
        case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
        case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
        case CKR_OPERATION_ACTIVE: return "CKR_OPERATION_ACTIVE";
        case CKR_OPERATION_NOT_INITIALIZED: return "CKR_OPERATION_NOT_INITIALIZED";
        case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
        case CKR_PIN_INVALID: return "CKR_PIN_INVALID";
        case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
        case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
        case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
        case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
        case CKR_SESSION_COUNT: return "CKR_SESSION_COUNT";
        case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
        case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
        case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
        case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
        case CKR_USER_ALREADY_LOGGED_IN: return "CKR_USER_ALREADY_LOGGED_IN";
        case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
        case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
        case CKR_USER_TYPE_INVALID: return "CKR_USER_TYPE_INVALID";
        case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
        case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
        case CKR_CRYPTOKI_ALREADY_INITIALIZED: return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
        case CKR_FUNCTION_REJECTED: return "CKR_FUNCTION_REJECTED";
        default: {
            std::array<char, 32> buf{};
            // "CKR_0x" and at most 16 hex digits: always fits.
            static_cast<void>(std::snprintf(buf.data(), buf.size(), "CKR_0x%lx", static_cast<unsigned long>(rv)));
            return buf.data();
        }
    }
}

/// Whether rv says the session itself is gone (closed under us, or the token was removed), so
/// that another session may succeed where this one failed.
bool session_gone(CK_RV rv) { return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED; }

/// Empties this thread's OpenSSL error queue into one line, so that the next call starts clean.
std::string drain_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        if (!out.empty()) out += "; ";
        out += buf.data();
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
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<&EVP_PKEY_CTX_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<&BN_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, deleter<&OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, deleter<&OSSL_PARAM_free>>;

using octets = std::vector<unsigned char>;

/// A loaded and initialised PKCS#11 module. PKCS#11 state (C_Initialize, logins) is per process,
/// so each module is loaded once per process and shared by every token opened from it: a second
/// copy's C_Finalize would end the first one's sessions.
struct module_state {
    void* library = nullptr;           // dlopen handle
    CK_FUNCTION_LIST_PTR f = nullptr;  // the module's functions
    bool finalize = false;             // we initialised it, so we finalise it
    std::set<CK_SLOT_ID> open_slots;   // guarded by registry_mutex()

    module_state() = default;
    module_state(const module_state&) = delete;
    module_state& operator=(const module_state&) = delete;
    module_state(module_state&&) = delete;
    module_state& operator=(module_state&&) = delete;
    ~module_state() {
        if (finalize) static_cast<void>(f->C_Finalize(nullptr));
        if (library != nullptr) static_cast<void>(dlclose(library));
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
class wipe_on_exit {
public:
    explicit wipe_on_exit(std::string& s) : s_(s) {}
    wipe_on_exit(const wipe_on_exit&) = delete;
    wipe_on_exit& operator=(const wipe_on_exit&) = delete;
    wipe_on_exit(wipe_on_exit&&) = delete;
    wipe_on_exit& operator=(wipe_on_exit&&) = delete;
    ~wipe_on_exit() { OPENSSL_cleanse(s_.data(), s_.size()); }

private:
    std::string& s_;
};

std::string module_advice(const std::string& path) {
    return "check the module path (SoftHSM 2 on Debian: /usr/lib/softhsm/libsofthsm2.so; for a hardware HSM, the "
           "vendor's PKCS#11 library): '" +
           path + "'";
}

/// Must be called with registry_mutex() held.
std::shared_ptr<module_state> load_module(const std::string& path) {
    std::error_code fs_ec;
    const auto canonical = std::filesystem::weakly_canonical(path, fs_ec);
    const std::string key = fs_ec ? path : canonical.string();
    auto& known = registry()[key];
    if (auto m = known.lock()) return m;

    auto m = std::make_shared<module_state>();
    m->library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m->library == nullptr) {
        const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe): called under registry_mutex()
        fail(jwt::errc::key_file_error, "the PKCS#11 module could not be loaded (" +
                                            std::string(why != nullptr ? why : "dlopen failed") + "); " +
                                            module_advice(path));
    }
    CK_C_GetFunctionList get_list = nullptr;
    void* symbol = dlsym(m->library, "C_GetFunctionList");
    static_assert(sizeof symbol == sizeof get_list);
    std::memcpy(&get_list, &symbol, sizeof get_list);  // object to function pointer, as POSIX allows
    if (get_list == nullptr) {
        fail(jwt::errc::key_file_error,
             "the library is no PKCS#11 module (it has no C_GetFunctionList); " + module_advice(path));
    }
    if (const CK_RV rv = get_list(&m->f); rv != CKR_OK || m->f == nullptr) {
        fail(jwt::errc::key_file_error,
             "the PKCS#11 module's C_GetFunctionList failed (" + rv_name(rv) + "); " + module_advice(path));
    }
    CK_C_INITIALIZE_ARGS init{};
    init.flags = CKF_OS_LOCKING_OK;  // we call it from many threads; the module may use the OS's locks
    const CK_RV rv = m->f->C_Initialize(&init);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        fail(jwt::errc::key_file_error,
             "the PKCS#11 module '" + path + "' could not be initialised (C_Initialize: " + rv_name(rv) +
                 "); check its configuration (SoftHSM 2: SOFTHSM2_CONF and its directories.tokendir)");
    }
    // Initialised by another part of the process: it finalises it, not us.
    m->finalize = rv == CKR_OK;
    known = m;
    return m;
}

/// PKCS#11 labels are fixed-width fields padded with spaces.
std::string trim_label(const unsigned char* label, std::size_t n) {
    std::string s(reinterpret_cast<const char*>(label), n);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

struct slot_token {
    CK_SLOT_ID slot = 0;
    CK_TOKEN_INFO info{};
    std::string label;
};

/// The initialised tokens the module has, in slot order.
std::vector<slot_token> list_tokens(const module_state& m, const std::string& path) {
    std::vector<CK_SLOT_ID> slots;
    CK_RV rv = CKR_OK;
    for (int attempt = 0; attempt < 4; ++attempt) {  // the list may grow between the two calls
        CK_ULONG count = 0;
        rv = m.f->C_GetSlotList(CK_TRUE, nullptr, &count);
        if (rv != CKR_OK) break;
        slots.resize(count);
        rv = m.f->C_GetSlotList(CK_TRUE, slots.data(), &count);
        if (rv == CKR_OK) {
            slots.resize(count);
            break;
        }
        if (rv != CKR_BUFFER_TOO_SMALL) break;
    }
    if (rv != CKR_OK) {
        fail(jwt::errc::key_file_error,
             "the PKCS#11 module '" + path + "' could not list its slots (C_GetSlotList: " + rv_name(rv) + ")");
    }
    std::vector<slot_token> out;
    for (const CK_SLOT_ID slot : slots) {
        slot_token t;
        t.slot = slot;
        if (m.f->C_GetTokenInfo(slot, &t.info) != CKR_OK) continue;  // removed meanwhile
        if ((t.info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
        t.label = trim_label(t.info.label, sizeof t.info.label);
        out.push_back(std::move(t));
    }
    return out;
}

/// The most sessions a token's pool opens for signing (besides the one that holds the login).
constexpr std::size_t pool_bound = 4;

}  // namespace

/// A logged-in token and its pool of sessions. Created and destroyed with registry_mutex() held
/// (the shared_ptr's deleter takes it), so that a module's last C_Finalize cannot interleave with
/// another thread's open() of the same module.
struct token_state {
    std::shared_ptr<module_state> module;
    CK_FUNCTION_LIST_PTR f = nullptr;
    CK_SLOT_ID slot = 0;
    std::string label;
    CK_SESSION_HANDLE login_session = CK_INVALID_HANDLE;  // holds the login; never signs
    bool logged_in_here = false;                          // so C_Logout is ours to call

    std::mutex pool_mutex;                     // held only to take or give back a session
    std::condition_variable session_returned;  // a session became idle, or room to open one
    std::vector<CK_SESSION_HANDLE> idle;       // guarded by pool_mutex
    std::size_t open_sessions = 0;             // idle plus in use; guarded by pool_mutex
    std::size_t max_sessions = pool_bound;     // guarded by pool_mutex

    token_state() = default;
    token_state(const token_state&) = delete;
    token_state& operator=(const token_state&) = delete;
    token_state(token_state&&) = delete;
    token_state& operator=(token_state&&) = delete;
    ~token_state() {
        // No signer is left (each holds this state), so no session is in use. Results are ignored:
        // a session closed under us is closed already.
        for (const CK_SESSION_HANDLE s : idle) static_cast<void>(f->C_CloseSession(s));
        if (login_session != CK_INVALID_HANDLE) {
            if (logged_in_here) static_cast<void>(f->C_Logout(login_session));
            static_cast<void>(f->C_CloseSession(login_session));
        }
        module->open_slots.erase(slot);
    }

    /// An idle session, or a new one when fewer than max_sessions are open; else waits for one.
    CK_RV take(CK_SESSION_HANDLE& out) {
        std::unique_lock<std::mutex> lock(pool_mutex);
        for (;;) {
            if (!idle.empty()) {
                out = idle.back();
                idle.pop_back();
                return CKR_OK;
            }
            if (open_sessions < max_sessions) {
                ++open_sessions;
                lock.unlock();
                const CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &out);
                if (rv == CKR_OK) return rv;
                lock.lock();
                --open_sessions;
                if (rv != CKR_SESSION_COUNT || open_sessions == 0) {
                    session_returned.notify_one();  // a waiter may try to open one in its turn
                    return rv;
                }
                // The token allows fewer sessions than it said: wait for one of ours instead.
                max_sessions = open_sessions;
            }
            session_returned.wait(lock);
        }
    }

    /// After a clean operation: the session goes back to the pool.
    void give_back(CK_SESSION_HANDLE s) {
        {
            const std::lock_guard<std::mutex> lock(pool_mutex);
            idle.push_back(s);
        }
        session_returned.notify_one();
    }

    /// After the module said the session is gone: it leaves the pool, and so do the idle ones,
    /// which were most likely closed with it (C_CloseAllSessions, a token removed). They are
    /// closed outside the lock; the result does not matter.
    void drop(CK_SESSION_HANDLE s) {
        std::vector<CK_SESSION_HANDLE> stale;
        {
            const std::lock_guard<std::mutex> lock(pool_mutex);
            stale.swap(idle);
            open_sessions -= stale.size() + 1;
        }
        session_returned.notify_all();
        static_cast<void>(f->C_CloseSession(s));
        for (const CK_SESSION_HANDLE h : stale) static_cast<void>(f->C_CloseSession(h));
    }
};

namespace {

/// A session taken from the token's pool for one operation; given back when the lease ends,
/// unless drop() was called.
class session_lease {
public:
    explicit session_lease(token_state& token) : token_(token) { rv_ = token_.take(session_); }
    session_lease(const session_lease&) = delete;
    session_lease& operator=(const session_lease&) = delete;
    session_lease(session_lease&&) = delete;
    session_lease& operator=(session_lease&&) = delete;
    ~session_lease() {
        if (rv_ == CKR_OK && !dropped_) token_.give_back(session_);
    }

    /// CKR_OK, or why no session could be had.
    [[nodiscard]] CK_RV status() const noexcept { return rv_; }
    [[nodiscard]] CK_SESSION_HANDLE get() const noexcept { return session_; }
    void drop() {
        dropped_ = true;
        token_.drop(session_);
    }

private:
    token_state& token_;
    CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
    CK_RV rv_ = CKR_OK;
    bool dropped_ = false;
};

/// The handles of the objects matching the template (at most 1024: a label is not that common).
CK_RV find_objects(const token_state& t, CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE>& query,
                   std::vector<CK_OBJECT_HANDLE>& out) {
    out.clear();
    CK_RV rv = t.f->C_FindObjectsInit(s, query.data(), static_cast<CK_ULONG>(query.size()));
    if (rv != CKR_OK) return rv;
    std::array<CK_OBJECT_HANDLE, 16> batch{};
    while (out.size() < 1024) {
        CK_ULONG n = 0;
        rv = t.f->C_FindObjects(s, batch.data(), static_cast<CK_ULONG>(batch.size()), &n);
        if (rv != CKR_OK || n == 0) break;
        out.insert(out.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
    }
    const CK_RV final_rv = t.f->C_FindObjectsFinal(s);
    return rv != CKR_OK ? rv : final_rv;
}

/// One attribute's value (at most 8 KiB: a 16384-bit modulus is 2 KiB).
CK_RV get_attribute(const token_state& t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type,
                    octets& out) {
    CK_ATTRIBUTE a{type, nullptr, 0};
    CK_RV rv = t.f->C_GetAttributeValue(s, object, &a, 1);
    if (rv != CKR_OK) return rv;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 8192) return CKR_ATTRIBUTE_TYPE_INVALID;
    out.resize(a.ulValueLen);
    a.pValue = out.data();
    rv = t.f->C_GetAttributeValue(s, object, &a, 1);
    if (rv == CKR_OK) out.resize(a.ulValueLen);
    return rv;
}

template <class T>
CK_RV get_scalar(const token_state& t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type, T& out) {
    CK_ATTRIBUTE a{type, &out, sizeof out};
    return t.f->C_GetAttributeValue(s, object, &a, 1);
}

std::string text_of(const octets& v) { return {v.begin(), v.end()}; }

/// Every private key's label, quoted, for a message that lists what is there.
std::string private_key_labels(const token_state& t, CK_SESSION_HANDLE s) {
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    std::vector<CK_ATTRIBUTE> query{{CKA_CLASS, &cls, sizeof cls}};
    std::vector<CK_OBJECT_HANDLE> found;
    if (find_objects(t, s, query, found) != CKR_OK) return "cannot be listed";
    std::string out;
    for (const CK_OBJECT_HANDLE h : found) {
        octets label;
        if (!out.empty()) out += ", ";
        out += "'" + (get_attribute(t, s, h, CKA_LABEL, label) == CKR_OK ? text_of(label) : std::string()) + "'";
    }
    return out.empty() ? std::string("none") : out;
}

/// Builds an EVP_PKEY from parameters through OSSL_PARAM_BLD and EVP_PKEY_fromdata.
template <class Push>
pkey_ptr public_key_from(const char* type, Push push) {
    const param_bld_ptr bld{OSSL_PARAM_BLD_new()};
    if (!bld || !push(bld.get())) return nullptr;
    const params_ptr params{OSSL_PARAM_BLD_to_param(bld.get())};
    const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return nullptr;
    }
    return pkey_ptr{raw};
}

pkey_ptr rsa_public_key(const octets& n, const octets& e) {
    const bn_ptr bn_n{BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr)};
    const bn_ptr bn_e{BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr)};
    if (!bn_n || !bn_e) return nullptr;
    return public_key_from("RSA", [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
    });
}

pkey_ptr p256_public_key(const unsigned char* point, std::size_t size) {
    return public_key_from("EC", [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, size) == 1;
    });
}

/// DER of the named curve OIDs a token may hold (RFC 5480 §2.1.1.1), for CKA_EC_PARAMS.
constexpr std::array<unsigned char, 10> p256_oid{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<unsigned char, 7> p384_oid{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr std::array<unsigned char, 7> p521_oid{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

template <std::size_t N>
bool equals(const octets& v, const std::array<unsigned char, N>& a) {
    return v.size() == N && std::equal(a.begin(), a.end(), v.begin());
}

/// The uncompressed P-256 point (65 octets, 0x04 first) in CKA_EC_POINT: PKCS#11 says a DER OCTET
/// STRING wraps it (SoftHSM does so); some modules return it bare. Null when it is neither.
const unsigned char* p256_point_in(const octets& v) {
    constexpr std::size_t point_size = 65;
    if (v.size() == point_size + 2 && v[0] == 0x04 && v[1] == point_size && v[2] == 0x04) return v.data() + 2;
    if (v.size() == point_size && v[0] == 0x04) return v.data();
    return nullptr;
}

/// SHA-256 DigestInfo prefix (RFC 8017 §9.2, note 1), for CKM_RSA_PKCS, which pads what it is given.
constexpr std::array<unsigned char, 19> sha256_digest_info{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                           0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

/// Whether the token signs with mechanism m: in its C_GetMechanismList, and C_GetMechanismInfo
/// says CKF_SIGN. Both, since a module may answer C_GetMechanismInfo for a mechanism it left out
/// of the list (SoftHSM 2.6.1 configured with slots.mechanisms does) and then refuse it.
bool mechanism_signs(const token_state& t, CK_MECHANISM_TYPE m) {
    CK_ULONG count = 0;
    if (t.f->C_GetMechanismList(t.slot, nullptr, &count) != CKR_OK) return false;
    std::vector<CK_MECHANISM_TYPE> list(count);
    if (t.f->C_GetMechanismList(t.slot, list.data(), &count) != CKR_OK) return false;
    list.resize(std::min<std::size_t>(list.size(), count));
    if (std::find(list.begin(), list.end(), m) == list.end()) return false;
    CK_MECHANISM_INFO info{};
    return t.f->C_GetMechanismInfo(t.slot, m, &info) == CKR_OK && (info.flags & CKF_SIGN) != 0;
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

struct key_state {
    std::shared_ptr<token_state> token;  // keeps the login and the sessions alive
    std::string label;
    std::string_view alg;
    CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;  // the private key; valid in every session
    CK_MECHANISM_TYPE mechanism = 0;              // CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS or CKM_ECDSA
    std::size_t signature_size = 0;
    std::optional<jwt::public_key> public_key;

    /// The raw signature: PKCS#1 v1.5 for RSA, R‖S for ECDSA (as PKCS#11 returns it).
    [[nodiscard]] std::string sign(std::string_view input) const {
        // What the mechanism signs: the message (CKM_SHA256_RSA_PKCS hashes it in the token), or
        // its SHA-256 digest made here, behind a DigestInfo for CKM_RSA_PKCS.
        std::array<unsigned char, sha256_digest_info.size() + 32> digest{};
        const auto* data = reinterpret_cast<const unsigned char*>(input.data());
        std::size_t size = input.size();
        if (mechanism != CKM_SHA256_RSA_PKCS) {
            const std::size_t prefix = mechanism == CKM_RSA_PKCS ? sha256_digest_info.size() : 0;
            std::copy(sha256_digest_info.begin(), sha256_digest_info.begin() + static_cast<std::ptrdiff_t>(prefix),
                      digest.begin());
            unsigned int md_size = 0;
            if (EVP_Digest(input.data(), input.size(), digest.data() + prefix, &md_size, EVP_sha256(), nullptr) != 1 ||
                md_size != 32) {
                fail(jwt::errc::signing_failed, std::string(alg) + ": SHA-256 failed: " + drain_errors());
            }
            data = digest.data();
            size = prefix + md_size;
        }
        std::string sig(signature_size, '\0');
        CK_ULONG sig_size = 0;
        CK_RV rv = sign_once(data, size, sig, sig_size);
        // The session was closed under us (or the token came back): once more, on a new session.
        if (session_gone(rv)) rv = sign_once(data, size, sig, sig_size);
        if (rv != CKR_OK) {
            fail(jwt::errc::signing_failed,
                 std::string(alg) + ": token '" + token->label + "' did not sign with key '" + label + "' (" +
                     rv_name(rv) +
                     "); check that the token is present and still logged in (PKCS#11 logs out when all of a "
                     "token's sessions close: then drop this token's signers and open it again)");
        }
        if (sig_size != signature_size) {
            fail(jwt::errc::signing_failed, std::string(alg) + ": token '" + token->label + "' returned " +
                                                std::to_string(sig_size) + " octets for key '" + label + "', not " +
                                                std::to_string(signature_size));
        }
        return sig;
    }

private:
    CK_RV sign_once(const unsigned char* data, std::size_t size, std::string& sig, CK_ULONG& sig_size) const {
        session_lease session(*token);
        if (session.status() != CKR_OK) return session.status();
        CK_MECHANISM m{mechanism, nullptr, 0};
        CK_RV rv = token->f->C_SignInit(session.get(), &m, object);
        if (rv == CKR_OK) {
            // The buffer has the signature's full size, so C_Sign ends the operation whatever it
            // returns (PKCS#11 §5.11): the session is clean for the next signature.
            sig_size = static_cast<CK_ULONG>(sig.size());
            // PKCS#11 takes the input through a non-const pointer; C_Sign does not write to it.
            rv = token->f->C_Sign(session.get(), const_cast<unsigned char*>(data), static_cast<CK_ULONG>(size),
                                  reinterpret_cast<unsigned char*>(sig.data()), &sig_size);
        }
        if (session_gone(rv)) session.drop();
        return rv;
    }
};

namespace {

/// The public key object that goes with the private key: same CKA_ID (or, without an ID, same
/// label) and key type.
CK_OBJECT_HANDLE find_public_object(const token_state& t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_KEY_TYPE type,
                                    const std::string& label) {
    octets id;
    if (get_attribute(t, s, priv, CKA_ID, id) != CKR_OK) id.clear();
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    std::vector<CK_ATTRIBUTE> query{{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type}};
    std::string by;
    if (!id.empty()) {
        query.push_back({CKA_ID, id.data(), static_cast<CK_ULONG>(id.size())});
        by = "the same CKA_ID";
    } else {
        query.push_back({CKA_LABEL, const_cast<char*>(label.data()), static_cast<CK_ULONG>(label.size())});
        by = "the same label (the private key has no CKA_ID)";
    }
    std::vector<CK_OBJECT_HANDLE> found;
    if (const CK_RV rv = find_objects(t, s, query, found); rv != CKR_OK) {
        fail(jwt::errc::invalid_key, "token '" + t.label + "': cannot search for the public key object of key '" +
                                         label + "' (" + rv_name(rv) + ")");
    }
    if (found.empty()) {
        fail(jwt::errc::invalid_key,
             "token '" + t.label + "' has no public key object with " + by + " as private key '" + label +
                 "'; the signer reads the public half from it: keep the public key object generated with the key "
                 "(pkcs11-tool --list-objects shows both)");
    }
    if (found.size() > 1) {
        fail(jwt::errc::invalid_key, "token '" + t.label + "' has " + std::to_string(found.size()) +
                                         " public key objects with " + by + " as private key '" + label +
                                         "'; keep only the one generated with the key");
    }
    return found.front();
}

/// Finds the one private key labelled key_label, checks its type, reads its public half, picks
/// the mechanism, and proves with a probe signature that the public half is the key's.
std::shared_ptr<const key_state> find_key(const std::shared_ptr<token_state>& token, std::string_view key_label,
                                          std::string_view alg) {
    const token_state& t = *token;
    auto key = std::make_shared<key_state>();
    key->token = token;
    key->label = std::string(key_label);
    key->alg = alg;
    const std::string& label = key->label;
    const bool want_rsa = alg == "RS256";
    pkey_ptr pub;
    {
        session_lease session(*token);
        if (session.status() != CKR_OK) {
            fail(jwt::errc::invalid_key, "token '" + t.label + "' would not open a session (" +
                                             rv_name(session.status()) + "); check that the token is present");
        }
        const CK_SESSION_HANDLE s = session.get();
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        std::vector<CK_ATTRIBUTE> query{{CKA_CLASS, &cls, sizeof cls},
                                        {CKA_LABEL, label.empty() ? nullptr : const_cast<char*>(label.data()),
                                         static_cast<CK_ULONG>(label.size())}};
        std::vector<CK_OBJECT_HANDLE> found;
        if (const CK_RV rv = find_objects(t, s, query, found); rv != CKR_OK) {
            fail(jwt::errc::invalid_key,
                 "token '" + t.label + "': cannot search for private keys (" + rv_name(rv) + ")");
        }
        if (found.empty()) {
            fail(jwt::errc::invalid_key, "token '" + t.label + "' has no private key labelled '" + label +
                                             "' (private keys: " + private_key_labels(t, s) +
                                             "); check the key label (pkcs11-tool --list-objects --login)");
        }
        if (found.size() > 1) {
            fail(jwt::errc::invalid_key, "token '" + t.label + "' has " + std::to_string(found.size()) +
                                             " private keys labelled '" + label + "'; give each key a unique label");
        }
        key->object = found.front();

        CK_KEY_TYPE type = 0;
        if (const CK_RV rv = get_scalar(t, s, key->object, CKA_KEY_TYPE, type); rv != CKR_OK) {
            fail(jwt::errc::invalid_key,
                 "token key '" + label + "': cannot read its CKA_KEY_TYPE (" + rv_name(rv) + ")");
        }
        const std::string type_name = type == CKK_RSA  ? std::string("RSA")
                                      : type == CKK_EC ? std::string("EC")
                                                       : "of PKCS#11 key type " + std::to_string(type);
        if (want_rsa && type != CKK_RSA) {
            fail(jwt::errc::key_algorithm_mismatch,
                 "token key '" + label + "' is " + type_name + ", RS256 needs RSA (use pkcs11_es256 for a P-256 key)");
        }
        if (!want_rsa && type != CKK_EC) {
            fail(jwt::errc::key_algorithm_mismatch,
                 "token key '" + label + "' is " + type_name +
                     ", ES256 needs EC on P-256 (pkcs11-tool --keypairgen --key-type EC:prime256v1)");
        }

        if (want_rsa) {
            // A private RSA key object carries its modulus and public exponent (PKCS#11 §2.1.4),
            // sensitive or not; the public key object is the fallback for a module that hides them.
            octets n, e;
            if (get_attribute(t, s, key->object, CKA_MODULUS, n) != CKR_OK || n.empty() ||
                get_attribute(t, s, key->object, CKA_PUBLIC_EXPONENT, e) != CKR_OK || e.empty()) {
                const CK_OBJECT_HANDLE public_object = find_public_object(t, s, key->object, type, label);
                if (const CK_RV rv = get_attribute(t, s, public_object, CKA_MODULUS, n); rv != CKR_OK) {
                    fail(jwt::errc::invalid_key,
                         "token key '" + label + "': cannot read the modulus (" + rv_name(rv) + ")");
                }
                if (const CK_RV rv = get_attribute(t, s, public_object, CKA_PUBLIC_EXPONENT, e); rv != CKR_OK) {
                    fail(jwt::errc::invalid_key,
                         "token key '" + label + "': cannot read the public exponent (" + rv_name(rv) + ")");
                }
            }
            pub = rsa_public_key(n, e);
            if (!pub) {
                fail(jwt::errc::invalid_key,
                     "token key '" + label + "': its modulus and exponent make no RSA key (" + drain_errors() + ")");
            }
            const int bits = EVP_PKEY_get_bits(pub.get());
            if (bits < 2048) {
                fail(jwt::errc::weak_key,
                     "token key '" + label + "' is RSA with " + std::to_string(bits) +
                         " bits; RS256 needs at least 2048 (pkcs11-tool --keypairgen --key-type rsa:2048)");
            }
            key->signature_size = static_cast<std::size_t>(bits + 7) / 8;
        } else {
            octets params;
            if (const CK_RV rv = get_attribute(t, s, key->object, CKA_EC_PARAMS, params); rv != CKR_OK) {
                fail(jwt::errc::invalid_key,
                     "token key '" + label + "': cannot read its CKA_EC_PARAMS (" + rv_name(rv) + ")");
            }
            if (!equals(params, p256_oid)) {
                const char* curve = equals(params, p384_oid)   ? " P-384"
                                    : equals(params, p521_oid) ? " P-521"
                                                               : " on a curve other than P-256";
                fail(jwt::errc::key_algorithm_mismatch,
                     "token key '" + label + "' is EC" + curve +
                         ", ES256 needs EC on P-256 (pkcs11-tool --keypairgen --key-type EC:prime256v1)");
            }
            const CK_OBJECT_HANDLE public_object = find_public_object(t, s, key->object, type, label);
            octets point;
            if (const CK_RV rv = get_attribute(t, s, public_object, CKA_EC_POINT, point); rv != CKR_OK) {
                fail(jwt::errc::invalid_key, "token key '" + label +
                                                 "': cannot read CKA_EC_POINT of its public key object (" +
                                                 rv_name(rv) + ")");
            }
            const unsigned char* raw = p256_point_in(point);
            if (raw != nullptr) pub = p256_public_key(raw, 65);
            if (!pub) {
                fail(jwt::errc::invalid_key,
                     "token key '" + label + "': the CKA_EC_POINT of its public key object is no uncompressed " +
                         "P-256 point (" + std::to_string(point.size()) + " octets; " + drain_errors() + ")");
            }
            key->signature_size = 64;
        }
    }

    // jwtmint's load-time checks (the RSA exponent, the point) on what the token gave us.
    auto checked = jwt::public_key::try_from_evp_pkey(pub.get());
    if (!checked) fail(checked.error().value(), "token key '" + label + "': " + checked.error().what());
    key->public_key = std::move(*checked);

    if (want_rsa) {
        // CKM_SHA256_RSA_PKCS hashes in the token; CKM_RSA_PKCS signs the DigestInfo made here.
        if (mechanism_signs(t, CKM_SHA256_RSA_PKCS)) {
            key->mechanism = CKM_SHA256_RSA_PKCS;
        } else if (mechanism_signs(t, CKM_RSA_PKCS)) {
            key->mechanism = CKM_RSA_PKCS;
        } else {
            fail(jwt::errc::signing_failed, "token '" + t.label +
                                                "' signs with neither CKM_SHA256_RSA_PKCS nor CKM_RSA_PKCS; RS256 "
                                                "needs one of them");
        }
    } else {
        if (!mechanism_signs(t, CKM_ECDSA)) {
            fail(jwt::errc::signing_failed, "token '" + t.label + "' does not sign with CKM_ECDSA; ES256 needs it");
        }
        key->mechanism = CKM_ECDSA;
    }

    // A probe signature, verified here with the public half: a public key object that belongs to
    // another key would otherwise give the vendor a key that verifies none of our tokens.
    constexpr std::string_view probe = "jwtmint pkcs11 key pair check";
    const std::string sig = key->sign(probe);
    const bool verified = want_rsa ? jwt::verifier<jwt::rs256>::from_key(*key->public_key).verify_signature(probe, sig)
                                   : jwt::verifier<jwt::es256>::from_key(*key->public_key).verify_signature(probe, sig);
    if (!verified) {
        fail(jwt::errc::key_mismatch,
             "token '" + t.label + "': a signature by private key '" + label +
                 "' does not verify under the public key read from the token, so the public key object with its "
                 "CKA_ID belongs to another key; delete that object and write the key's own public half with the "
                 "same CKA_ID (pkcs11-tool --write-object KEY.pub.der --type pubkey --id ID)");
    }
    return key;
}

}  // namespace
}  // namespace hsm::detail

namespace hsm {

pkcs11_token pkcs11_token::open(std::string_view module_path, std::string_view token_label, std::string_view pin) {
    const std::string path(module_path);
    const std::string label(token_label);
    detail::token_state* opened = nullptr;
    {
        const std::lock_guard<std::mutex> lock(detail::registry_mutex());
        auto module = detail::load_module(path);

        const std::vector<detail::slot_token> tokens = detail::list_tokens(*module, path);
        const auto match = std::find_if(tokens.begin(), tokens.end(),
                                        [&](const detail::slot_token& t) { return t.label == label; });
        if (match == tokens.end()) {
            std::string present;
            for (const auto& t : tokens) present += (present.empty() ? "'" : ", '") + t.label + "'";
            detail::fail(jwt::errc::invalid_key,
                         "the PKCS#11 module '" + path + "' has no initialised token labelled '" + label +
                             "' (tokens: " + (present.empty() ? std::string("none") : present) +
                             "); check the token label (softhsm2-util --show-slots, or pkcs11-tool --module " + path +
                             " --list-token-slots)");
        }
        if (module->open_slots.count(match->slot) != 0) {
            // PKCS#11 logins are per process: a second login would not check its PIN.
            detail::fail(jwt::errc::invalid_key, "token '" + label +
                                                     "' is already open in this process; copy the pkcs11_token "
                                                     "you have (copies share its login) instead of opening it again");
        }
        const std::string locked = "the user PIN of token '" + label +
                                   "' is locked; reset it with the SO PIN (pkcs11-tool --init-pin --login "
                                   "--login-type so)";
        if ((match->info.flags & CKF_USER_PIN_LOCKED) != 0) detail::fail(jwt::errc::bad_passphrase, locked);

        // From here the state's destructor closes what was opened (the lock is held, as it needs).
        auto state = std::make_unique<detail::token_state>();
        state->module = module;
        state->f = module->f;
        state->slot = match->slot;
        state->label = label;
        module->open_slots.insert(match->slot);
        // The pool stays within what the token allows, the login session counted.
        const CK_ULONG most = match->info.ulMaxSessionCount;
        if (most != CK_EFFECTIVELY_INFINITE && most != CK_UNAVAILABLE_INFORMATION) {
            state->max_sessions = std::clamp<std::size_t>(most - 1, 1, detail::pool_bound);
        }

        CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
        if (const CK_RV rv = module->f->C_OpenSession(match->slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session);
            rv != CKR_OK) {
            detail::fail(jwt::errc::invalid_key, "token '" + label + "' would not open a session (" +
                                                     detail::rv_name(rv) + "); check that the token is present");
        }
        state->login_session = session;

        std::string pin_copy(pin);
        const detail::wipe_on_exit wipe{pin_copy};
        const CK_RV rv = module->f->C_Login(session, CKU_USER, reinterpret_cast<unsigned char*>(pin_copy.data()),
                                            static_cast<CK_ULONG>(pin_copy.size()));
        switch (rv) {
            case CKR_OK: state->logged_in_here = true; break;
            case CKR_USER_ALREADY_LOGGED_IN: break;  // another part of the process logged in
            case CKR_PIN_LOCKED: detail::fail(jwt::errc::bad_passphrase, locked);
            case CKR_PIN_INCORRECT:
            case CKR_PIN_INVALID:
            case CKR_PIN_LEN_RANGE:
            case CKR_PIN_EXPIRED:
            case CKR_USER_PIN_NOT_INITIALIZED:
                detail::fail(jwt::errc::bad_passphrase,
                             "token '" + label + "' refused the user PIN (" + detail::rv_name(rv) +
                                 "); check the PIN (not the SO PIN) you gave for this token");
            default:
                detail::fail(jwt::errc::invalid_key, "token '" + label + "' could not log in (C_Login: " +
                                                         detail::rv_name(rv) + "); check that the token is present");
        }
        opened = state.release();
    }
    // Destroyed under the registry lock, wherever the last copy goes (the constructor calls the
    // deleter if it cannot allocate).
    return pkcs11_token(std::shared_ptr<detail::token_state>(opened, [](detail::token_state* p) {
        const std::lock_guard<std::mutex> lock(detail::registry_mutex());
        delete p;  // NOLINT(cppcoreguidelines-owning-memory): the shared_ptr's deleter
    }));
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
std::string pkcs11_rs256::sign(std::string_view signing_input) const { return key_->sign(signing_input); }
const jwt::public_key& pkcs11_rs256::public_key() const noexcept { return *key_->public_key; }

pkcs11_es256 pkcs11_es256::from_token(const pkcs11_token& token, std::string_view key_label) {
    return pkcs11_es256(detail::find_key(token.state_, key_label, alg));
}
std::optional<pkcs11_es256> pkcs11_es256::from_token(const pkcs11_token& token, std::string_view key_label,
                                                     std::error_code& ec) {
    return detail::capture<pkcs11_es256>(ec, &pkcs11_es256::from_token, token, key_label);
}
std::string pkcs11_es256::sign(std::string_view signing_input) const { return key_->sign(signing_input); }
const jwt::public_key& pkcs11_es256::public_key() const noexcept { return *key_->public_key; }

}  // namespace hsm
