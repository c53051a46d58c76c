// SPDX-License-Identifier: MIT
// Peer: libjwt 1.10 (Debian libjwt-dev), used as its header documents: jwt_new, jwt_set_alg with
// the PEM text (parsed on every token, libjwt's real cost), grants, jwt_encode_str; jwt_decode
// with the public key, then the alg and exp checks its 1.x users write themselves.
#include "common.hpp"
#include "keys.hpp"

#include <jwt.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace bench {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class libjwt_jwt final : public implementation {
public:
    explicit libjwt_jwt(alg a)
        : alg_(a == alg::rs256   ? JWT_ALG_RS256
               : a == alg::es256 ? JWT_ALG_ES256
                                 : JWT_ALG_HS256),
          sign_key_(a == alg::rs256   ? keys::rsa_private_pem
                    : a == alg::es256 ? keys::ec_private_pem
                                      : keys::hmac_secret),
          verify_key_(a == alg::rs256   ? keys::rsa_public_pem
                      : a == alg::es256 ? keys::ec_public_pem
                                        : keys::hmac_secret),
          email_(claims::email),
          roles_json_(std::string(R"({"roles":[")") + std::string(claims::role_a) + R"(",")" +
                      std::string(claims::role_b) + R"("]})") {}

    [[nodiscard]] std::string mint() const override { return mint_at(unix_now()); }

    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        jwt_t* token = nullptr;
        if (jwt_new(&token) != 0) throw std::runtime_error("libjwt: jwt_new");
        char* text = nullptr;
        if (jwt_set_alg(token, alg_, reinterpret_cast<const unsigned char*>(sign_key_.data()),
                        static_cast<int>(sign_key_.size())) == 0 &&
            jwt_add_grant(token, "email", email_.c_str()) == 0 &&
            jwt_add_grants_json(token, roles_json_.c_str()) == 0 &&
            jwt_add_grant_int(token, "iat", static_cast<long>(iat)) == 0 &&
            jwt_add_grant_int(token, "exp", static_cast<long>(iat + claims::lifetime_s)) == 0) {
            text = jwt_encode_str(token);
        }
        jwt_free(token);
        if (text == nullptr) throw std::runtime_error("libjwt: encoding failed");
        std::string out(text);
        std::free(text);
        return out;
    }

    [[nodiscard]] bool verify(const std::string& token) const override {
        jwt_t* decoded = nullptr;
        const int rc = jwt_decode(&decoded, token.c_str(), reinterpret_cast<const unsigned char*>(verify_key_.data()),
                                  static_cast<int>(verify_key_.size()));
        // libjwt 1.x trusts the token's alg: pinning it and checking exp are the caller's job.
        const bool ok = rc == 0 && jwt_get_alg(decoded) == alg_ && jwt_get_grant_int(decoded, "exp") > unix_now();
        jwt_free(decoded);
        return ok;
    }

private:
    jwt_alg_t alg_;
    std::string sign_key_;
    std::string verify_key_;
    std::string email_;
    std::string roles_json_;
};

}  // namespace

std::unique_ptr<implementation> make_libjwt(alg a) { return std::make_unique<libjwt_jwt>(a); }

}  // namespace bench
