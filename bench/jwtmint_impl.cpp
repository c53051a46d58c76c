// SPDX-License-Identifier: MIT
// jwtmint used the way its README shows: a signer built once, a builder per token.
#include "common.hpp"
#include "keys.hpp"

#include <jwtmint/jwtmint.hpp>

#include <chrono>
#include <system_error>

namespace bench {
namespace {

using namespace std::chrono_literals;

template <class Signer>
class jwtmint_jwt final : public implementation {
public:
    jwtmint_jwt(Signer signer, jwt::verifier<Signer> verifier)
        : signer_(std::move(signer)), verifier_(std::move(verifier)) {}

    // Exactly the README's per-request line.
    [[nodiscard]] std::string mint() const override {
        return jwt::builder{signer_}.roles({claims::role_a, claims::role_b}).email(claims::email).expires_in(10min).sign();
    }

    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .expires_in(10min)
            .sign_at(std::chrono::system_clock::time_point{std::chrono::seconds{iat}});
    }

    [[nodiscard]] bool verify(const std::string& token) const override {
        std::error_code ec;
        const auto claims = verifier_.verify(token, ec);
        return !ec && claims.has_value();
    }

private:
    Signer signer_;
    jwt::verifier<Signer> verifier_;
};

template <class Signer>
std::string judge(const jwt::verifier<Signer>& v, const std::string& token) {
    std::error_code ec;
    const auto t = v.verify(token, ec);
    if (ec || !t) return "jwtmint's verifier refuses it: " + ec.message();
    if (t->roles() != std::vector<std::string>{std::string(claims::role_a), std::string(claims::role_b)}) {
        return "roles differ";
    }
    if (t->identity() != std::string(claims::email)) return "email differs";
    if (t->lifetime() != std::chrono::seconds{claims::lifetime_s}) return "lifetime differs";
    return {};
}

}  // namespace

std::unique_ptr<implementation> make_jwtmint(alg a) {
    switch (a) {
        case alg::rs256:
            return std::make_unique<jwtmint_jwt<jwt::rs256>>(jwt::rs256::from_pem(keys::rsa_private_pem),
                                                             jwt::verifier<jwt::rs256>::from_public_pem(keys::rsa_public_pem));
        case alg::es256:
            return std::make_unique<jwtmint_jwt<jwt::es256>>(jwt::es256::from_pem(keys::ec_private_pem),
                                                             jwt::verifier<jwt::es256>::from_public_pem(keys::ec_public_pem));
        case alg::hs256:
            break;
    }
    return std::make_unique<jwtmint_jwt<jwt::hs256>>(jwt::hs256::from_secret(keys::hmac_secret),
                                                     jwt::verifier<jwt::hs256>::from_secret(keys::hmac_secret));
}

std::string jwtmint_judge(alg a, const std::string& token) {
    switch (a) {
        case alg::rs256:
            return judge(jwt::verifier<jwt::rs256>::from_public_pem(keys::rsa_public_pem), token);
        case alg::es256:
            return judge(jwt::verifier<jwt::es256>::from_public_pem(keys::ec_public_pem), token);
        case alg::hs256:
            break;
    }
    return judge(jwt::verifier<jwt::hs256>::from_secret(keys::hmac_secret), token);
}

}  // namespace bench
