// SPDX-License-Identifier: MIT
// Password hashing with OpenSSL's EVP_KDF (scrypt, PBKDF2) and the users file.
#include "users.hpp"

#include <jwtmint/base64url.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/json.hpp>

#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace host {

namespace {

constexpr std::uint64_t default_scrypt_n = 1U << 15U;
constexpr std::uint32_t default_scrypt_r = 8;
constexpr std::uint32_t default_scrypt_p = 1;
constexpr std::size_t salt_size = 16;
constexpr std::size_t hash_size = 32;

struct kdf_free {
    void operator()(EVP_KDF* k) const noexcept { EVP_KDF_free(k); }
    void operator()(EVP_KDF_CTX* c) const noexcept { EVP_KDF_CTX_free(c); }
};

[[noreturn]] void fail_openssl(const std::string& what) {
    const unsigned long code = ERR_get_error();
    std::string reason = what;
    if (code != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        reason += " (OpenSSL: ";
        reason += buf;
        reason += ')';
    }
    ERR_clear_error();
    throw std::runtime_error(reason);
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        fail_openssl("RAND_bytes failed");
    }
    return out;
}

/// Lets at most two key derivations run at once: a burst of sign-ins then queues instead of
/// taking every core and 32 MiB of scrypt memory per request thread.
class kdf_gate {
public:
    class pass {
    public:
        explicit pass(kdf_gate& g) : gate_(g) {
            std::unique_lock<std::mutex> lock(gate_.mu_);
            gate_.cv_.wait(lock, [this] { return gate_.busy_ < max_concurrent; });
            ++gate_.busy_;
        }
        ~pass() {
            {
                const std::lock_guard<std::mutex> lock(gate_.mu_);
                --gate_.busy_;
            }
            gate_.cv_.notify_one();
        }
        pass(const pass&) = delete;
        pass& operator=(const pass&) = delete;

    private:
        kdf_gate& gate_;
    };

private:
    static constexpr int max_concurrent = 2;
    std::mutex mu_;
    std::condition_variable cv_;
    int busy_ = 0;
};

kdf_gate& derivations() {
    static kdf_gate gate;
    return gate;
}

/// The key that h's KDF and parameters derive from password, h.hash.size() bytes long.
std::string derive(const password_hash& h, std::string_view password) {
    const kdf_gate::pass turn(derivations());
    const bool scrypt = h.kdf == "scrypt";
    std::unique_ptr<EVP_KDF, kdf_free> kdf{EVP_KDF_fetch(nullptr, scrypt ? "SCRYPT" : "PBKDF2", nullptr)};
    if (!kdf) fail_openssl("EVP_KDF_fetch failed");
    std::unique_ptr<EVP_KDF_CTX, kdf_free> ctx{EVP_KDF_CTX_new(kdf.get())};
    if (!ctx) fail_openssl("EVP_KDF_CTX_new failed");

    // OSSL_PARAM takes non-const pointers; the KDF only reads these.
    auto* pw = const_cast<char*>(password.data());
    auto* salt = const_cast<char*>(h.salt.data());
    std::uint64_t n = h.n;
    std::uint32_t r = h.r;
    std::uint32_t p = h.p;
    std::uint64_t iterations = h.iterations;
    char digest[] = "SHA256";
    OSSL_PARAM params[6];
    std::size_t i = 0;
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pw, password.size());
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, h.salt.size());
    if (scrypt) {
        params[i++] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
        params[i++] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
        params[i++] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
    } else {
        params[i++] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations);
        params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    }
    params[i] = OSSL_PARAM_construct_end();

    std::string out(h.hash.size(), '\0');
    if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) != 1) {
        fail_openssl("password key derivation (" + h.kdf + ") failed");
    }
    return out;
}

/// Refuses parameters that are unknown, too weak to be worth storing, or so costly that one
/// sign-in could exhaust the machine.
void check_params(const password_hash& h) {
    if (h.kdf == "scrypt") {
        if (h.n < 1024 || h.n > (1U << 20U) || (h.n & (h.n - 1)) != 0) {
            throw std::runtime_error("scrypt n must be a power of two from 1024 to 1048576");
        }
        if (h.r < 1 || h.r > 32 || h.p < 1 || h.p > 16) {
            throw std::runtime_error("scrypt r must be 1..32 and p 1..16");
        }
        if (std::uint64_t{128} * h.r * h.n > (1ULL << 30U))
            throw std::runtime_error("scrypt n*r needs more than 1 GiB");
    } else if (h.kdf == "pbkdf2-sha256") {
        if (h.iterations < 100000 || h.iterations > 10000000) {
            throw std::runtime_error("pbkdf2-sha256 iterations must be 100000..10000000");
        }
    } else {
        throw std::runtime_error(R"(kdf must be "scrypt" or "pbkdf2-sha256", not ")" + h.kdf + '"');
    }
    if (h.salt.size() < 16) throw std::runtime_error("the salt must be at least 16 bytes");
    if (h.hash.size() < 16 || h.hash.size() > 64) throw std::runtime_error("the hash must be 16..64 bytes");
}

std::string decode_b64(const nlohmann::json& j, const char* field) {
    if (!j.contains(field) || !j[field].is_string()) {
        throw std::runtime_error(std::string("password.") + field + " must be a base64url string");
    }
    std::error_code ec;
    std::string out = jwt::base64url_decode(j[field].get<std::string>(), ec);
    if (ec) throw std::runtime_error(std::string("password.") + field + " is not valid unpadded base64url");
    return out;
}

password_hash password_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw std::runtime_error("password must be an object (make one with --hash-password)");
    password_hash h;
    h.kdf = j.value("kdf", std::string());
    if (h.kdf == "scrypt") {
        h.n = j.at("n").get<std::uint64_t>();
        h.r = j.at("r").get<std::uint32_t>();
        h.p = j.at("p").get<std::uint32_t>();
    } else if (h.kdf == "pbkdf2-sha256") {
        h.iterations = j.at("iterations").get<std::uint64_t>();
    }
    h.salt = decode_b64(j, "salt");
    h.hash = decode_b64(j, "hash");
    check_params(h);
    return h;
}

std::string optional_string(const nlohmann::json& j, const char* field) {
    if (!j.contains(field)) return {};
    if (!j[field].is_string()) throw std::runtime_error(std::string(field) + " must be a string");
    return j[field].get<std::string>();
}

bool valid_username(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-' || c == '@';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

password_hash hash_password(std::string_view password) {
    password_hash h;
    h.kdf = "scrypt";
    h.n = default_scrypt_n;
    h.r = default_scrypt_r;
    h.p = default_scrypt_p;
    h.salt = random_bytes(salt_size);
    h.hash.assign(hash_size, '\0');
    h.hash = derive(h, password);
    return h;
}

std::string password_hash_json(const password_hash& h) {
    nlohmann::ordered_json j;
    j["kdf"] = h.kdf;
    if (h.kdf == "scrypt") {
        j["n"] = h.n;
        j["r"] = h.r;
        j["p"] = h.p;
    } else {
        j["iterations"] = h.iterations;
    }
    j["salt"] = jwt::base64url_encode(h.salt);
    j["hash"] = jwt::base64url_encode(h.hash);
    return j.dump();
}

bool verify_password(const password_hash& h, std::string_view password) {
    std::string derived = derive(h, password);
    const bool same = derived.size() == h.hash.size() &&
                      CRYPTO_memcmp(derived.data(), h.hash.data(), derived.size()) == 0;
    OPENSSL_cleanse(derived.data(), derived.size());
    return same;
}

user_store user_store::parse(std::string_view json_text, const std::string& origin) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(origin + ": not valid JSON: " + e.what());
    }
    if (!doc.is_object() || !doc.contains("users") || !doc["users"].is_array() || doc["users"].empty()) {
        throw std::runtime_error(origin + ": expected {\"users\": [ ... ]} with at least one user");
    }
    user_store store;
    if (doc.contains("note") && doc["note"].is_string()) store.note_ = doc["note"].get<std::string>();
    for (const auto& j : doc["users"]) {
        const std::string name = j.is_object() ? j.value("username", std::string()) : std::string();
        // Once per user of a file read at start-up.
        // NOLINTNEXTLINE(performance-inefficient-string-concatenation)
        const std::string where = origin + ": user '" + name + "': ";
        try {
            if (!valid_username(name)) {
                throw std::runtime_error("username must be 1..64 of A-Z a-z 0-9 . _ - @");
            }
            if (store.find(name) != nullptr) throw std::runtime_error("listed twice");
            user u;
            u.username = name;
            u.display_name = optional_string(j, "display_name");
            u.email = optional_string(j, "email");
            u.upn = optional_string(j, "upn");
            u.preferred_username = optional_string(j, "preferred_username");
            if (!j.contains("roles") || !j["roles"].is_array() || j["roles"].empty()) {
                throw std::runtime_error("roles must be a non-empty array of team role names");
            }
            for (const auto& r : j["roles"]) {
                if (!r.is_string()) throw std::runtime_error("roles must hold only strings");
                u.roles.push_back(r.get<std::string>());
            }
            if (!u.email.empty()) jwt::check_email(u.email);  // the vendor's session email
            if (!j.contains("password"))
                throw std::runtime_error("password is missing (make one with --hash-password)");
            u.password = password_from_json(j["password"]);
            store.users_.push_back(std::move(u));
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(where + e.what());
        } catch (const std::exception& e) {
            throw std::runtime_error(where + e.what());
        }
    }
    store.decoy_ = store.users_.front().password;
    store.decoy_.salt = random_bytes(store.decoy_.salt.size());
    store.decoy_.hash = random_bytes(store.decoy_.hash.size());
    return store;
}

const user* user_store::find(std::string_view username) const {
    for (const user& u : users_) {
        if (u.username == username) return &u;
    }
    return nullptr;
}

const user* user_store::authenticate(std::string_view username, std::string_view password) const {
    const user* u = find(username);
    if (u == nullptr) {
        static_cast<void>(verify_password(decoy_, password));  // same work as a wrong password
        return nullptr;
    }
    return verify_password(u->password, password) ? u : nullptr;
}

}  // namespace host
