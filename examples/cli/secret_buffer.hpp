// SPDX-License-Identifier: MIT
// Bytes that are wiped when freed: key files, HMAC secrets, passphrases.
#pragma once

#include <openssl/crypto.h>

#include <string_view>
#include <utility>
#include <vector>

namespace cli {

/// Holds secret bytes in one allocation that is never grown (so no stray copy is left behind)
/// and is wiped with OPENSSL_cleanse when released. Move-only.
class secret_buffer {
public:
    secret_buffer() = default;
    explicit secret_buffer(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
    explicit secret_buffer(std::size_t size) : bytes_(size) {}
    secret_buffer(secret_buffer&& other) noexcept : bytes_(std::move(other.bytes_)) {}
    secret_buffer& operator=(secret_buffer&& other) noexcept {
        if (this != &other) {
            wipe();
            bytes_ = std::move(other.bytes_);
        }
        return *this;
    }
    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;
    ~secret_buffer() { wipe(); }

    [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), bytes_.size()}; }
    [[nodiscard]] char* data() noexcept { return bytes_.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
    /// Drops the last n bytes (wiping them first).
    void shrink_by(std::size_t n) noexcept {
        if (n > bytes_.size()) n = bytes_.size();
        OPENSSL_cleanse(bytes_.data() + bytes_.size() - n, n);
        bytes_.resize(bytes_.size() - n);  // shrinking never reallocates
    }

private:
    void wipe() noexcept {
        if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    }
    std::vector<char> bytes_;
};

}  // namespace cli
