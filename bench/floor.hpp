// SPDX-License-Identifier: MIT
// The floor: the least work OpenSSL EVP allows for the widget token, hand-written without any
// JWT library, against which every implementation is measured.
#pragma once

#include "common.hpp"

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

/// Mints and verifies the widget token with everything that does not depend on the token done
/// once: the key parsed, a signing context initialised (RS256/ES256: an EVP_MD_CTX through
/// EVP_DigestSignInit_ex, copied per token; HS256: a keyed EVP_MAC_CTX, duplicated per token),
/// the header's base64url computed, the payload a fixed JSON template whose two numbers are
/// filled in. The token is written into a stack buffer and copied into the returned string once.
class floor_jwt final : public implementation {
public:
    explicit floor_jwt(alg a);
    ~floor_jwt() override;
    floor_jwt(const floor_jwt&) = delete;
    floor_jwt& operator=(const floor_jwt&) = delete;

    [[nodiscard]] std::string mint() const override;
    [[nodiscard]] std::string mint_at(std::int64_t iat) const override;
    [[nodiscard]] bool verify(const std::string& token) const override;

    /// Writes the token for iat into out (at least max_token_size octets); returns its length,
    /// 0 on failure.
    std::size_t write_token(std::int64_t iat, char* out) const;
    static constexpr std::size_t max_token_size = 1024;

private:
    std::size_t sign(const unsigned char* in, std::size_t n, unsigned char* sig) const;
    bool check_signature(const unsigned char* in, std::size_t n, const unsigned char* sig, std::size_t sig_len) const;

    alg alg_;
    EVP_PKEY* private_key_ = nullptr;
    EVP_PKEY* public_key_ = nullptr;
    EVP_MD_CTX* sign_template_ = nullptr;
    EVP_MD_CTX* verify_template_ = nullptr;
    EVP_MAC* mac_ = nullptr;
    EVP_MAC_CTX* mac_template_ = nullptr;
    std::string header_b64_;    // base64url of {"alg":"..","typ":"JWT"}
    std::string payload_head_;  // {"email":"..","roles":[..],"iat":
    std::string_view payload_mid_ = ",\"exp\":";
};

}  // namespace bench
