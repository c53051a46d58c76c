// SPDX-License-Identifier: MIT
// Session ids from RAND_bytes, stored by their SHA-256.
#include "sessions.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <iterator>
#include <stdexcept>

namespace host {

namespace {

constexpr std::size_t id_bytes = 32;

std::string sha256(std::string_view text) {
    std::array<unsigned char, 32> digest{};
    unsigned int len = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1 || len != digest.size()) {
        throw std::runtime_error("SHA-256 failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool well_formed(std::string_view id) {
    if (id.size() != 2 * id_bytes) return false;
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

std::string session_store::create(const std::string& username) {
    std::array<unsigned char, id_bytes> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(2 * id_bytes);
    for (const unsigned char b : raw) {
        id += hex[b >> 4U];
        id += hex[b & 0xFU];
    }
    const std::string key = sha256(id);
    const clock::time_point now = clock::now();
    const std::lock_guard<std::mutex> lock(mu_);
    purge_expired(now);
    if (sessions_.size() >= max_sessions_) {
        // Full even after purging: drop the session closest to expiry rather than refuse sign-in.
        auto oldest = sessions_.begin();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
            if (it->second.expires < oldest->second.expires) oldest = it;
        }
        sessions_.erase(oldest);
    }
    sessions_[key] = entry{username, now + lifetime_};
    return id;
}

std::optional<std::string> session_store::find(std::string_view id) {
    if (!well_formed(id)) return std::nullopt;
    const std::string key = sha256(id);
    const clock::time_point now = clock::now();
    const std::lock_guard<std::mutex> lock(mu_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end()) return std::nullopt;
    if (it->second.expires <= now) {
        sessions_.erase(it);
        return std::nullopt;
    }
    return it->second.username;
}

void session_store::erase(std::string_view id) {
    if (!well_formed(id)) return;
    const std::string key = sha256(id);
    const std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(key);
}

void session_store::purge_expired(clock::time_point now) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        it = it->second.expires <= now ? sessions_.erase(it) : std::next(it);
    }
}

}  // namespace host
