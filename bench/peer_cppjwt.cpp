// SPDX-License-Identifier: MIT
// Peer: cpp-jwt (Debian libcpp-jwt-dev), used as its README shows: a jwt_object per token with
// the key given as PEM text (parsed on every call, which is cpp-jwt's real cost), jwt::decode
// with verify(true) to check signature and exp. Its own translation unit: cpp-jwt also declares
// namespace jwt.
#include "common.hpp"
#include "keys.hpp"

#include <jwt/jwt.hpp>

#include <chrono>
#include <stdexcept>
#include <system_error>

namespace bench {
namespace {

class cppjwt_jwt final : public implementation {
public:
    explicit cppjwt_jwt(alg a)
        : alg_name_(a == alg::rs256   ? "RS256"
                    : a == alg::es256 ? "ES256"
                                      : "HS256"),
          sign_key_(a == alg::rs256   ? keys::rsa_private_pem
                    : a == alg::es256 ? keys::ec_private_pem
                                      : keys::hmac_secret),
          verify_key_(a == alg::rs256   ? keys::rsa_public_pem
                      : a == alg::es256 ? keys::ec_public_pem
                                        : keys::hmac_secret) {}

    [[nodiscard]] std::string mint() const override {
        using namespace jwt::params;
        const auto now = std::chrono::system_clock::now();
        jwt::jwt_object obj{algorithm(alg_name_), secret(sign_key_), payload({{"email", claims::email}})};
        obj.add_claim("roles", json_t::array({claims::role_a, claims::role_b}))
            .add_claim("iat", now)
            .add_claim("exp", now + std::chrono::seconds{claims::lifetime_s});
        return obj.signature();
    }

    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        using namespace jwt::params;
        jwt::jwt_object obj{algorithm(alg_name_), secret(sign_key_), payload({{"email", claims::email}})};
        obj.add_claim("roles", json_t::array({claims::role_a, claims::role_b}))
            .add_claim("iat", iat)
            .add_claim("exp", iat + claims::lifetime_s);
        return obj.signature();
    }

    [[nodiscard]] bool verify(const std::string& token) const override {
        using namespace jwt::params;
        std::error_code ec;
        const auto obj = jwt::decode(token, algorithms({alg_name_}), ec, secret(verify_key_),
                                     jwt::params::verify(true));
        return !ec;
    }

private:
    std::string alg_name_;
    std::string sign_key_;
    std::string verify_key_;
};

}  // namespace

std::unique_ptr<implementation> make_cppjwt(alg a) { return std::make_unique<cppjwt_jwt>(a); }

}  // namespace bench
