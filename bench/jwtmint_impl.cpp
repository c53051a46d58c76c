// SPDX-License-Identifier: MIT
// jwtmint used the way its README shows: a signer built once, a builder per token.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>
#include <jwtmint/key_ring.hpp>
#include <jwtmint/remote_jwks.hpp>

#include "common.hpp"
#include "keys.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

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
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .expires_in(10min)
            .sign();
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

/// Tokens with a kid header, checked by a JWK Set's verifier or by the plain verifier of their key.
template <class Signer>
class jwtmint_kid final : public implementation {
public:
    jwtmint_kid(Signer signer, std::string kid, jwt::verifier<Signer> plain, std::optional<jwt::jwks_verifier<>> set)
        : signer_(std::move(signer)), kid_(std::move(kid)), plain_(std::move(plain)), set_(std::move(set)) {}

    [[nodiscard]] std::string mint() const override {
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .key_id(kid_)
            .expires_in(10min)
            .sign();
    }

    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .key_id(kid_)
            .expires_in(10min)
            .sign_at(std::chrono::system_clock::time_point{std::chrono::seconds{iat}});
    }

    [[nodiscard]] bool verify(const std::string& token) const override {
        std::error_code ec;
        const bool ok = set_ ? set_->verify(token, ec).has_value() : plain_.verify(token, ec).has_value();
        return ok && !ec;
    }

private:
    Signer signer_;
    std::string kid_;
    jwt::verifier<Signer> plain_;
    std::optional<jwt::jwks_verifier<>> set_;
};

/// The public JWK of key for alg, under kid.
std::string jwk_with_kid(const jwt::public_key& key, std::string_view alg, std::string_view kid) {
    nlohmann::json jwk = nlohmann::json::parse(jwt::public_jwk(key, alg));
    jwk["kid"] = std::string(kid);
    return jwk.dump();
}

template <class Signer>
std::unique_ptr<implementation> kid_implementation(Signer signer, std::string kid, bool through_set) {
    std::optional<jwt::jwks_verifier<>> set;
    if (through_set) {
        set.emplace(jwt::jwks_verifier<>::from_jwks(jwt::jwks_document(
            {jwk_with_kid(jwt::public_key::from_pem(keys::rsa_public_pem), "RS256", "rs"),
             jwk_with_kid(jwt::public_key::from_pem(keys::ec_public_pem), "ES256", "es"),
             jwk_with_kid(jwt::public_key::from_private(jwt::private_key::generate_ec_p256()), "ES256", "es-next")})));
    }
    auto plain = jwt::verifier<Signer>::from_signer(signer);
    return std::make_unique<jwtmint_kid<Signer>>(std::move(signer), std::move(kid), std::move(plain), std::move(set));
}

/// Tokens with a kid, checked by the plain verifier pinned to their key (no set), or by a
/// remote_jwks_verifier whose cached set holds set_size keys: the token's and set_size - 1 other
/// P-256 keys. Its fetch function returns the document without a network; one fetch at set-up.
template <class Signer>
class jwtmint_remote final : public implementation {
public:
    jwtmint_remote(Signer signer, jwt::verifier<Signer> plain, std::optional<jwt::remote_jwks_verifier<>> remote)
        : signer_(std::move(signer)), plain_(std::move(plain)), remote_(std::move(remote)) {}

    [[nodiscard]] std::string mint() const override { return mint_at(std::chrono::system_clock::now()); }
    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        return mint_at(std::chrono::system_clock::time_point{std::chrono::seconds{iat}});
    }

    [[nodiscard]] bool verify(const std::string& token) const override {
        std::error_code ec;
        const bool ok = remote_ ? remote_->verify(token, ec).has_value() : plain_.verify(token, ec).has_value();
        return ok && !ec;
    }

private:
    [[nodiscard]] std::string mint_at(std::chrono::system_clock::time_point at) const {
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .key_id("current")
            .expires_in(10min)
            .sign_at(at);
    }

    Signer signer_;
    jwt::verifier<Signer> plain_;
    std::optional<jwt::remote_jwks_verifier<>> remote_;
};

template <class Signer>
std::unique_ptr<implementation> remote_implementation(Signer signer, std::size_t set_size) {
    std::optional<jwt::remote_jwks_verifier<>> remote;
    if (set_size > 0) {
        std::vector<std::string> jwks = {
            jwk_with_kid(jwt::public_key::from_private(signer.key()), Signer::alg, "current")};
        for (std::size_t i = 1; i < set_size; ++i) {
            jwks.push_back(jwk_with_kid(jwt::public_key::from_private(jwt::private_key::generate_ec_p256()), "ES256",
                                        "other-" + std::to_string(i)));
        }
        jwt::remote_jwks_verifier<>::options o;
        o.url = "https://keys.invalid/jwks.json";
        o.fetch = [document = jwt::jwks_document(jwks)](const jwt::jwks_request&) {
            jwt::jwks_response r;
            r.status = 200;
            r.body = document;
            return r;
        };
        remote.emplace(jwt::remote_jwks_verifier<>::make(std::move(o)));
        remote->refresh();
    }
    auto plain = jwt::verifier<Signer>::from_signer(signer);
    return std::make_unique<jwtmint_remote<Signer>>(std::move(signer), std::move(plain), std::move(remote));
}

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

/// The widget token as make_jwtmint's implementation mints it, with iat = now.
template <class Signer>
std::string widget_token(const Signer& signer, std::chrono::system_clock::time_point now) {
    return jwt::builder{signer}
        .roles({claims::role_a, claims::role_b})
        .email(claims::email)
        .expires_in(10min)
        .sign_at(now);
}

template <class Signer>
class jwtmint_refused final : public refused_case {
public:
    jwtmint_refused(refusal kind, Signer signer, Signer other, jwt::verifier<Signer> verifier)
        : kind_(kind), signer_(std::move(signer)), other_(std::move(other)), verifier_(std::move(verifier)) {
        if (kind_ == refusal::unknown_role) {
            // Team roles the token's "Accounting Team" and "Support Team" are not among, nor near.
            verifier_.policy(jwt::login_policy{}.team_roles({"Engineering Team", "Sales Team"}));
        }
    }

    [[nodiscard]] std::string token() const override {
        const auto now = std::chrono::system_clock::now();
        switch (kind_) {
            case refusal::forged_signature: {
                std::string t = widget_token(signer_, now);
                // A character a quarter into the signature: never its last one (whose unused bits
                // strict base64url checks), inside ES256's r, so the whole check runs.
                const std::size_t sig = t.rfind('.') + 1;
                char& c = t[sig + (t.size() - sig) / 4];
                c = c == 'A' ? 'B' : 'A';
                return t;
            }
            case refusal::foreign_key: {
                // The costliest such token: for RS256, one whose signature, read as an integer, is
                // below this verifier's modulus, so that the whole RSA check runs (a larger one is
                // refused before it). Which it is depends on the claims, so the time moves on
                // until it is; without this the measured cost jumped between runs.
                std::string t = widget_token(other_, now);
                for (int s = 1; s < 256 && !below_modulus(t); ++s)
                    t = widget_token(other_, now + std::chrono::seconds(s));
                return t;
            }
            case refusal::malformed: {
                std::string t = widget_token(signer_, now);
                t.erase(t.rfind('.'));
                return t;
            }
            case refusal::expired: return widget_token(signer_, now - 1h);
            case refusal::unknown_role: break;
        }
        return widget_token(signer_, now);
    }

    [[nodiscard]] bool refused(const std::string& token) const override {
        const auto r = verifier_.try_verify(token);
        return !r && r.error().value() == expected();
    }

    [[nodiscard]] std::string explain(const std::string& token) const override {
        const auto r = verifier_.try_verify(token);
        if (r) return "the token was accepted";
        if (r.error().value() != expected()) {
            return "refused with '" + r.error().code().message() + "' (" + r.error().what() + "), expected '" +
                   jwt::make_error_code(expected()).message() + "'";
        }
        return {};
    }

private:
    /// Whether the token's signature, as a big-endian integer, is below the verifier's RSA
    /// modulus (always true for the other algorithms).
    [[nodiscard]] bool below_modulus(const std::string& token) const {
        if constexpr (!std::is_same_v<Signer, jwt::rs256>) {
            (void)token;
            return true;
        } else {
            const std::string sig = jwt::base64url_decode(std::string_view(token).substr(token.rfind('.') + 1));
            static const std::string n = jwt::base64url_decode(modulus_b64());  // read once
            return sig.size() == n.size() && sig < n;  // same length: lexicographic order is numeric order
        }
    }
    static std::string modulus_b64() {
        // The public JWK's "n" member (RFC 7518 section 6.3.1).
        const std::string jwk = jwt::public_jwk(jwt::public_key::from_pem(keys::rsa_public_pem));
        const std::size_t at = jwk.find("\"n\":\"") + 5;
        return jwk.substr(at, jwk.find('"', at) - at);
    }

    [[nodiscard]] jwt::errc expected() const {
        switch (kind_) {
            case refusal::forged_signature:
            case refusal::foreign_key: return jwt::errc::invalid_signature;
            case refusal::malformed: return jwt::errc::malformed_token;
            case refusal::expired: return jwt::errc::token_expired;
            case refusal::unknown_role: break;
        }
        return jwt::errc::unknown_role;
    }

    refusal kind_;
    Signer signer_;
    Signer other_;
    jwt::verifier<Signer> verifier_;
};

/// The same tokens minted two ways: by a builder over the signer with key_id(kid), or by a builder
/// over a key ring whose current key is that signer (named kid) and which holds a next key.
template <class Signer>
class jwtmint_ring final : public implementation {
public:
    jwtmint_ring(Signer signer, std::optional<jwt::key_ring<Signer>> ring, jwt::verifier<Signer> plain)
        : signer_(std::move(signer)), ring_(std::move(ring)), plain_(std::move(plain)) {}

    [[nodiscard]] std::string mint() const override { return mint_at(std::chrono::system_clock::now()); }
    [[nodiscard]] std::string mint_at(std::int64_t iat) const override {
        return mint_at(std::chrono::system_clock::time_point{std::chrono::seconds{iat}});
    }
    [[nodiscard]] bool verify(const std::string& token) const override {
        std::error_code ec;
        return plain_.verify(token, ec).has_value() && !ec;
    }

private:
    [[nodiscard]] std::string mint_at(std::chrono::system_clock::time_point at) const {
        if (ring_) {
            return jwt::builder{*ring_}
                .roles({claims::role_a, claims::role_b})
                .email(claims::email)
                .expires_in(10min)
                .sign_at(at);
        }
        return jwt::builder{signer_}
            .roles({claims::role_a, claims::role_b})
            .email(claims::email)
            .key_id(ring_kid)
            .expires_in(10min)
            .sign_at(at);
    }

    static constexpr std::string_view ring_kid = "2026-12-current";
    Signer signer_;
    std::optional<jwt::key_ring<Signer>> ring_;
    jwt::verifier<Signer> plain_;
};

template <class Signer>
std::unique_ptr<implementation> ring_implementation(Signer signer, Signer next, bool through_ring) {
    std::optional<jwt::key_ring<Signer>> ring;
    if (through_ring) {
        ring.emplace(jwt::key_ring<Signer>::create(signer, "2026-12-current"));
        ring->add_next(next, "2026-12-next");
    }
    auto plain = jwt::verifier<Signer>::from_signer(signer);
    return std::make_unique<jwtmint_ring<Signer>>(std::move(signer), std::move(ring), std::move(plain));
}

}  // namespace

std::unique_ptr<refused_case> make_jwtmint_refused(alg a, refusal r) {
    switch (a) {
        case alg::rs256:
            return std::make_unique<jwtmint_refused<jwt::rs256>>(
                r, jwt::rs256::from_pem(keys::rsa_private_pem), jwt::rs256::from_pem(keys::other_rsa_private_pem),
                jwt::verifier<jwt::rs256>::from_pem(keys::rsa_public_pem));
        case alg::es256:
            return std::make_unique<jwtmint_refused<jwt::es256>>(
                r, jwt::es256::from_pem(keys::ec_private_pem), jwt::es256::from_pem(keys::other_ec_private_pem),
                jwt::verifier<jwt::es256>::from_pem(keys::ec_public_pem));
        case alg::hs256: break;
    }
    return std::make_unique<jwtmint_refused<jwt::hs256>>(r, jwt::hs256::from_secret(keys::hmac_secret),
                                                         jwt::hs256::from_secret(keys::other_hmac_secret),
                                                         jwt::verifier<jwt::hs256>::from_secret(keys::hmac_secret));
}

std::unique_ptr<implementation> make_jwtmint(alg a) {
    switch (a) {
        case alg::rs256:
            return std::make_unique<jwtmint_jwt<jwt::rs256>>(jwt::rs256::from_pem(keys::rsa_private_pem),
                                                             jwt::verifier<jwt::rs256>::from_pem(keys::rsa_public_pem));
        case alg::es256:
            return std::make_unique<jwtmint_jwt<jwt::es256>>(jwt::es256::from_pem(keys::ec_private_pem),
                                                             jwt::verifier<jwt::es256>::from_pem(keys::ec_public_pem));
        case alg::hs256: break;
    }
    return std::make_unique<jwtmint_jwt<jwt::hs256>>(jwt::hs256::from_secret(keys::hmac_secret),
                                                     jwt::verifier<jwt::hs256>::from_secret(keys::hmac_secret));
}

std::unique_ptr<implementation> make_jwtmint_kid(alg a, bool through_set) {
    if (a == alg::rs256) return kid_implementation(jwt::rs256::from_pem(keys::rsa_private_pem), "rs", through_set);
    return kid_implementation(jwt::es256::from_pem(keys::ec_private_pem), "es", through_set);
}

std::unique_ptr<implementation> make_jwtmint_remote(alg a, std::size_t set_size) {
    if (a == alg::rs256) return remote_implementation(jwt::rs256::from_pem(keys::rsa_private_pem), set_size);
    return remote_implementation(jwt::es256::from_pem(keys::ec_private_pem), set_size);
}

std::unique_ptr<implementation> make_jwtmint_ring(alg a, bool through_ring) {
    switch (a) {
        case alg::rs256:
            return ring_implementation(jwt::rs256::from_pem(keys::rsa_private_pem),
                                       jwt::rs256::from_pem(keys::other_rsa_private_pem), through_ring);
        case alg::es256:
            return ring_implementation(jwt::es256::from_pem(keys::ec_private_pem),
                                       jwt::es256::from_pem(keys::other_ec_private_pem), through_ring);
        case alg::hs256: break;
    }
    return ring_implementation(jwt::hs256::from_secret(keys::hmac_secret),
                               jwt::hs256::from_secret(keys::other_hmac_secret), through_ring);
}

std::unique_ptr<implementation> make_jwtmint_uri(alg a, const std::string& uri) {
    const jwt::public_key pub = jwt::public_key::from_uri(uri);
    if (a == alg::rs256) {
        return std::make_unique<jwtmint_jwt<jwt::rs256>>(jwt::rs256::from_uri(uri),
                                                         jwt::verifier<jwt::rs256>::from_key(pub));
    }
    return std::make_unique<jwtmint_jwt<jwt::es256>>(jwt::es256::from_uri(uri),
                                                     jwt::verifier<jwt::es256>::from_key(pub));
}

std::string jwtmint_judge(alg a, const std::string& token) {
    switch (a) {
        case alg::rs256: return judge(jwt::verifier<jwt::rs256>::from_pem(keys::rsa_public_pem), token);
        case alg::es256: return judge(jwt::verifier<jwt::es256>::from_pem(keys::ec_public_pem), token);
        case alg::hs256: break;
    }
    return judge(jwt::verifier<jwt::hs256>::from_secret(keys::hmac_secret), token);
}

}  // namespace bench
