// SPDX-License-Identifier: MIT
// The signing key: loaded from --key, or created once in the data folder; and the token per user.
#include "signing.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <jwtmint/base64url.hpp>
#include <jwtmint/key.hpp>
#include <stdexcept>
#include <type_traits>

#include "files.hpp"

namespace host {

namespace {

std::string random_token(std::size_t n) {
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return jwt::base64url_encode(bytes);
}

template <class Signer>
signing_key pem_key(algorithm alg, const std::filesystem::path& key_file,
                    const std::filesystem::path& data_dir, std::string_view passphrase) {
    const std::string stem = alg == algorithm::rs256 ? "rs256" : "es256";
    std::filesystem::path path = key_file;
    bool created = false;
    if (path.empty()) {
        ensure_private_dir(data_dir);
        path = data_dir / (stem + "-private.pem");
        if (!std::filesystem::exists(path)) {
            const jwt::private_key key = alg == algorithm::rs256
                                             ? jwt::private_key::generate_rsa(2048)
                                             : jwt::private_key::generate_ec_p256();
            std::string pem = key.to_pem();
            created = write_new_file(path, pem, 0600);
            OPENSSL_cleanse(pem.data(), pem.size());
        }
    }
    const Signer signer = Signer::from_pem_file(path, passphrase);
    signing_key out{signer, path, {}, created, signer.public_key_pem(), {}};
    warn_if_exposed(path, out.warnings);
    if (key_file.empty()) {
        // A convenience copy of what the admin pastes into the vendor's settings. A key the admin
        // manages (--key) is left alone, and so is its folder.
        out.public_path = data_dir / (stem + "-public.pem");
        const auto is_public_half = [&](const std::string& pem) {
            const auto pub = jwt::public_key::try_from_pem(pem);  // an unparsable file is simply "no"
            return pub && jwt::try_check_key_pair(signer.key(), *pub).has_value();
        };
        if (!write_new_file(out.public_path, out.public_key_pem, 0644) &&
            !is_public_half(read_file(out.public_path))) {
            out.warnings.push_back(
                "'" + out.public_path.string() +
                "' is not the public half of the key in use; the PEM printed below is");
        }
    }
    return out;
}

}  // namespace

signing_key load_or_create_key(algorithm alg, const std::filesystem::path& key_file,
                               const std::filesystem::path& data_dir, std::string_view passphrase) {
    switch (alg) {
        case algorithm::rs256:
            return pem_key<jwt::rs256>(alg, key_file, data_dir, passphrase);
        case algorithm::es256:
            return pem_key<jwt::es256>(alg, key_file, data_dir, passphrase);
        case algorithm::hs256:
            break;
    }
    std::filesystem::path path = key_file;
    bool created = false;
    if (path.empty()) {
        ensure_private_dir(data_dir);
        path = data_dir / "hs256-secret.txt";
        if (!std::filesystem::exists(path)) {
            // Printable, so it can be pasted into the vendor's settings as it is: 43 characters
            // carrying 256 random bits.
            std::string raw = jwt::generate_hmac_secret(32);
            std::string text = jwt::base64url_encode(raw);
            created = write_new_file(path, text, 0600);
            OPENSSL_cleanse(raw.data(), raw.size());
            OPENSSL_cleanse(text.data(), text.size());
        }
    }
    signing_key out{jwt::hs256::from_secret_file(path), path, {}, created, {}, {}};
    warn_if_exposed(path, out.warnings);
    std::string text = read_file(path);
    if (!text.empty() && text.back() == '\n') {
        out.warnings.push_back(
            "'" + path.string() +
            "' ends with a newline, which is part of the HS256 secret; paste it with the "
            "newline or write the file without one (printf '%s' SECRET > FILE)");
    }
    OPENSSL_cleanse(text.data(), text.size());
    return out;
}

std::string token_minter::mint(const user& u) const {
    return std::visit(
        [&](const auto& signer) {
            jwt::builder b{signer};
            b.roles(u.roles)
                .role_claim(policy_.role_claim)
                .role_format(policy_.format)
                .subject(u.username)
                .jwt_id(random_token(16))
                .max_lifetime(policy_.max_ttl)
                .expires_in(policy_.ttl);
            if (!u.email.empty()) b.email(u.email);
            if (!u.upn.empty()) b.upn(u.upn);
            if (!u.preferred_username.empty()) b.preferred_username(u.preferred_username);
            return b.sign();
        },
        signer_);
}

std::string_view token_minter::alg() const noexcept {
    return std::visit(
        [](const auto& signer) { return std::string_view(std::decay_t<decltype(signer)>::alg); },
        signer_);
}

}  // namespace host
