// SPDX-License-Identifier: MIT
// Session ids from RAND_bytes, stored by their SHA-256; two recency lists find the ended ones.
#include "sessions.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <tuple>

namespace host {

namespace {

constexpr std::size_t id_bytes = 32;

bool well_formed(std::string_view id) {
    if (id.size() != 2 * id_bytes) return false;
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string random_id() {
    std::array<unsigned char, id_bytes> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        ERR_clear_error();
        throw std::runtime_error("RAND_bytes failed: no session id");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(2 * id_bytes);
    for (const unsigned char b : raw) {
        id += hex[b >> 4U];
        id += hex[b & 0xFU];
    }
    return id;
}

/// Whole seconds from now until then, rounded up, and at least one: a Retry-After value.
std::chrono::seconds seconds_until(session_store::clock::time_point then, session_store::clock::time_point now) {
    return std::max(std::chrono::ceil<std::chrono::seconds>(then - now), std::chrono::seconds(1));
}

}  // namespace

void session_store::md_free::operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }

session_store::session_store(session_settings settings)
    : settings_(settings), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
    if (settings_.max_sessions == 0 || settings_.max_per_user == 0) {
        throw std::invalid_argument("session_settings: max_sessions and max_per_user must be at least 1");
    }
    if (settings_.lifetime <= std::chrono::seconds(0) || settings_.idle_timeout <= std::chrono::seconds(0)) {
        throw std::invalid_argument("session_settings: lifetime and idle_timeout must be positive");
    }
    if (!sha256_) {
        ERR_clear_error();
        throw std::runtime_error("OpenSSL has no SHA-256 (EVP_MD_fetch failed)");
    }
}

session_store::~session_store() = default;

session_store::digest session_store::hash(std::string_view id) const {
    // The digest is fetched once: EVP_Digest with a legacy EVP_sha256() would fetch it per call.
    digest d{};
    unsigned int len = 0;
    if (EVP_Digest(id.data(), id.size(), d.data(), &len, sha256_.get(), nullptr) != 1 || len != d.size()) {
        ERR_clear_error();
        throw std::runtime_error("SHA-256 failed");
    }
    return d;
}

session_store::clock::time_point session_store::end_of(const session& s) const noexcept {
    return std::min(s.last_used + settings_.idle_timeout, s.created + settings_.lifetime);
}

void session_store::drop(session_map::iterator it) {
    const session& s = it->second;
    if (const auto user = by_user_.find(s.username); user != by_user_.end()) {
        std::vector<const digest*>& keys = user->second;
        keys.erase(std::remove(keys.begin(), keys.end(), &it->first), keys.end());
        if (keys.empty()) by_user_.erase(user);
    }
    by_use_.erase(s.by_use);
    by_creation_.erase(s.by_creation);
    sessions_.erase(it);
}

void session_store::purge_ended(clock::time_point now) {
    while (!by_use_.empty()) {
        const auto it = sessions_.find(*by_use_.front());
        if (it->second.last_used + settings_.idle_timeout > now) break;
        drop(it);
    }
    while (!by_creation_.empty()) {
        const auto it = sessions_.find(*by_creation_.front());
        if (it->second.created + settings_.lifetime > now) break;
        drop(it);
    }
}

session_store::created session_store::create(std::string_view username, clock::time_point now) {
    std::string id = random_id();
    const digest key = hash(id);
    const std::lock_guard<std::mutex> lock(mu_);
    purge_ended(now);

    created refused;
    const auto user = by_user_.find(username);
    if (user != by_user_.end() && user->second.size() >= settings_.max_per_user) {
        // Some of them may have ended without being at the front of a list (a find() with an
        // earlier now moved them): drop those; the rest say when the first could end.
        const std::vector<const digest*> keys = user->second;  // a copy: drop() edits the original
        clock::time_point first_end = clock::time_point::max();
        for (const digest* k : keys) {
            const auto it = sessions_.find(*k);
            if (end_of(it->second) <= now) {
                drop(it);
            } else {
                first_end = std::min(first_end, end_of(it->second));
            }
        }
        const auto still = by_user_.find(username);
        if (still != by_user_.end() && still->second.size() >= settings_.max_per_user) {
            refused = created{std::string(), refusal_user, seconds_until(first_end, now)};
        }
    }
    if (sessions_.size() >= settings_.max_sessions) {
        const clock::time_point idle_end = sessions_.find(*by_use_.front())->second.last_used + settings_.idle_timeout;
        const clock::time_point life_end = sessions_.find(*by_creation_.front())->second.created + settings_.lifetime;
        const std::chrono::seconds left = seconds_until(std::min(idle_end, life_end), now);
        // Both refuse: the later of the two, so that a retry at Retry-After is not refused again.
        if (refused.refusal.empty() || left > refused.retry_after) refused = created{std::string(), refusal_full, left};
    }
    if (!refused.refusal.empty()) return refused;

    // Whatever can throw (allocations) comes before the session is linked into the lists, so that
    // an exception leaves the store as it was.
    std::list<const digest*> nodes(2);
    const auto user_keys = by_user_.try_emplace(std::string(username)).first;
    session_map::iterator it;
    try {
        user_keys->second.reserve(user_keys->second.size() + 1);
        bool inserted = false;
        std::tie(it, inserted) = sessions_.try_emplace(key, session{std::string(username), now, now, {}, {}});
        // 2^-256 for a working generator: a repeat means a broken one.
        if (!inserted) throw std::runtime_error("RAND_bytes repeated a session id");
    } catch (...) {
        if (user_keys->second.empty()) by_user_.erase(user_keys);
        throw;
    }
    nodes.front() = &it->first;
    nodes.back() = &it->first;
    it->second.by_use = nodes.begin();
    it->second.by_creation = std::next(nodes.begin());
    // Spliced nodes keep their iterators.
    by_use_.splice(by_use_.end(), nodes, it->second.by_use);
    by_creation_.splice(by_creation_.end(), nodes, it->second.by_creation);
    user_keys->second.push_back(&it->first);
    return created{std::move(id), {}, std::chrono::seconds(0)};
}

std::optional<std::string> session_store::find(std::string_view id, clock::time_point now) {
    if (!well_formed(id)) return std::nullopt;
    const digest key = hash(id);
    const std::lock_guard<std::mutex> lock(mu_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end()) return std::nullopt;
    session& s = it->second;
    if (end_of(s) <= now) {
        drop(it);
        return std::nullopt;
    }
    s.last_used = std::max(s.last_used, now);
    by_use_.splice(by_use_.end(), by_use_, s.by_use);
    return s.username;
}

void session_store::erase(std::string_view id) {
    if (!well_formed(id)) return;
    const digest key = hash(id);
    const std::lock_guard<std::mutex> lock(mu_);
    if (const auto it = sessions_.find(key); it != sessions_.end()) drop(it);
}

std::size_t session_store::size() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
}

}  // namespace host
