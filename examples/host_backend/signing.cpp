// SPDX-License-Identifier: MIT
// The signing key: loaded from --key, or created once in the data folder; and the token per user.
#include "signing.hpp"

#include <jwtmint/base64url.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>

#include "common/key_file.hpp"
#include "common/key_rotation.hpp"
#include "files.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <tuple>
#include <variant>

namespace host {

namespace {

std::string random_token(std::size_t n) {
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return jwt::base64url_encode(bytes);
}

/// How the key file reads, decided as the jwtmint CLI decides it (examples/common/key_file.hpp),
/// with PEM public keys told apart from private ones.
enum class key_kind { pem_private, pem_public, jwk, der, secret };

key_kind classify(std::string_view bytes) {
    using jwtmint_examples::key_file_kind;
    switch (jwtmint_examples::classify_key_bytes(bytes)) {
        case key_file_kind::pem: {
            const std::string_view label = jwtmint_examples::first_pem_label(bytes);
            const bool is_public = label == "PUBLIC KEY" || label == "RSA PUBLIC KEY" || label == "CERTIFICATE";
            return is_public ? key_kind::pem_public : key_kind::pem_private;
        }
        case key_file_kind::jwk: return key_kind::jwk;
        case key_file_kind::der: return key_kind::der;
        case key_file_kind::secret: break;
    }
    return key_kind::secret;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

/// "an RSA 2048-bit private key", "an EC P-384 private key", "an Ed25519 private key".
std::string describe(const jwt::key_info& info) {
    std::string kind = info.type;
    if (info.type == "RSA") {
        kind = "RSA " + std::to_string(info.bits) + "-bit";
    } else if (info.type == "EC") {
        kind = "EC " + (info.curve.empty() ? std::string("(unnamed curve)") : info.curve);
    } else if (info.type == "ED25519") {
        kind = "Ed25519";
    }
    const bool an = !kind.empty() && std::string_view("AEFHILMNORSXaeiou").find(kind[0]) != std::string_view::npos;
    return (an ? "an " : "a ") + kind + " private key";
}

const char* const widget_keys =
    "it takes RS256 with an RSA key of 2048 bits or more, ES256 with an EC P-256 key, or HS256 "
    "with a shared secret";

/// Refuses what is no private key or secret the host backend can read, whatever the algorithm.
void refuse_unreadable(key_kind kind, const std::filesystem::path& path) {
    if (kind == key_kind::pem_public) {
        throw jwt::error(jwt::errc::private_key_required,
                         quoted(path) +
                             " holds a public key; signing needs the private key (the public key "
                             "is what the vendor's settings hold)");
    }
    if (kind == key_kind::jwk) {
        throw jwt::error(jwt::errc::invalid_key, quoted(path) +
                                                     " holds a JWK; the host backend reads a PEM private key or a raw "
                                                     "HS256 secret file (make one with: jwtmint keygen es256 --out "
                                                     "private_key.pem, or start without --key to have one created)");
    }
    if (kind == key_kind::der) {
        throw jwt::error(jwt::errc::invalid_key, quoted(path) +
                                                     " looks like a binary (DER) key; convert it to PEM with: openssl "
                                                     "pkey -inform DER -in " +
                                                     path.string() + " -out key.pem");
    }
}

/// The algorithm of a PEM private key, as the jwtmint CLI infers it (jwt::default_algorithm):
/// RSA -> RS256, EC P-256 -> ES256; a key that signs none of the widget's algorithms is refused.
algorithm algorithm_of(const jwt::key_info& info, const std::filesystem::path& path) {
    const std::string_view name = jwt::default_algorithm(info);
    if (const std::optional<algorithm> alg = parse_algorithm(name)) {
        if (*alg == algorithm::rs256 && info.bits < 2048) {
            throw jwt::error(jwt::errc::weak_key, quoted(path) + " holds " + describe(info) +
                                                      "; RS256 needs at least 2048 bits (make one with: jwtmint keygen "
                                                      "rs256 --out private_key.pem, or start without --key to have one "
                                                      "created)");
        }
        return *alg;
    }
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     quoted(path) + " holds " + describe(info) +
                         (name.empty() ? std::string() : ", which signs " + std::string(name)) +
                         "; the widget cannot use it (" + widget_keys +
                         "); make one with: jwtmint keygen es256 --out private_key.pem, or start "
                         "without --key to have one created");
}

/// The file's bytes, wiped from memory when this goes.
struct key_bytes {
    std::string text;
    explicit key_bytes(const std::filesystem::path& path) : text(read_file(path)) {}
    ~key_bytes() { OPENSSL_cleanse(text.data(), text.size()); }
    key_bytes(const key_bytes&) = delete;
    key_bytes& operator=(const key_bytes&) = delete;
};

algorithm infer_from(std::string_view text, const std::filesystem::path& path, std::string_view passphrase,
                     std::string* description) {
    if (text.empty()) {
        throw jwt::error(jwt::errc::invalid_key, "the key file " + quoted(path) + " is empty");
    }
    const key_kind kind = classify(text);
    refuse_unreadable(kind, path);
    if (kind == key_kind::secret) {
        if (description != nullptr) *description = "a " + std::to_string(text.size()) + "-byte HMAC secret";
        return algorithm::hs256;
    }
    const jwt::key_info info = jwt::private_key::from_pem(text, passphrase).info();
    if (description != nullptr) *description = describe(info);
    return algorithm_of(info, path);
}

/// The data folder's key for alg, created when missing: (path, created).
std::pair<std::filesystem::path, bool> data_dir_key(algorithm alg, const std::filesystem::path& data_dir) {
    ensure_private_dir(data_dir);
    if (alg == algorithm::hs256) {
        const std::filesystem::path path = data_dir / "hs256-secret.txt";
        bool created = false;
        if (!std::filesystem::exists(path)) {
            // Printable, so it can be pasted into the vendor's settings as it is: 43 characters
            // carrying 256 random bits.
            std::string raw = jwt::generate_hmac_secret(32);
            std::string text = jwt::base64url_encode(raw);
            created = write_new_file(path, text, 0600);
            OPENSSL_cleanse(raw.data(), raw.size());
            OPENSSL_cleanse(text.data(), text.size());
        }
        return {path, created};
    }
    const std::string stem = alg == algorithm::rs256 ? "rs256" : "es256";
    const std::filesystem::path path = data_dir / (stem + "-private.pem");
    bool created = false;
    if (!std::filesystem::exists(path)) {
        const jwt::private_key key = alg == algorithm::rs256 ? jwt::private_key::generate_rsa(2048)
                                                             : jwt::private_key::generate_ec_p256();
        std::string pem = key.to_pem();
        created = write_new_file(path, pem, 0600);
        OPENSSL_cleanse(pem.data(), pem.size());
    }
    return {path, created};
}

template <class Signer>
signing_key pem_key(const std::string_view text, const std::filesystem::path& path, bool created, bool in_data_dir,
                    const std::filesystem::path& data_dir, std::string_view passphrase) {
    const Signer signer = Signer::from_pem(text, passphrase);
    signing_key out{signer, path, {}, created, signer.public_key_pem(), {}, {}};
    warn_if_exposed(path, out.warnings);
    if (in_data_dir) {
        // A convenience copy of what the admin pastes into the vendor's settings. A key the admin
        // manages (--key) is left alone, and so is its folder.
        const std::string stem = Signer::alg == std::string_view("RS256") ? "rs256" : "es256";
        out.public_path = data_dir / (stem + "-public.pem");
        const auto is_public_half = [&](const std::string& pem) {
            // An unparsable file is simply "no".
            const auto pub = jwt::public_key::try_from_pem(pem);
            return pub && jwt::try_check_key_pair(signer.key(), *pub).has_value();
        };
        if (!write_new_file(out.public_path, out.public_key_pem, 0644) && !is_public_half(read_file(out.public_path))) {
            out.warnings.push_back("'" + out.public_path.string() +
                                   "' is not the public half of the key in use; the PEM printed below is");
        }
    }
    return out;
}

signing_key secret_key(const std::string_view text, const std::filesystem::path& path, bool created) {
    signing_key out{jwt::hs256::from_secret(text), path, {}, created, {}, {}, {}};
    warn_if_exposed(path, out.warnings);
    if (!text.empty() && text.back() == '\n') {
        out.warnings.push_back("'" + path.string() +
                               "' ends with a newline, which is part of the HS256 secret; paste it with the "
                               "newline or write the file without one (printf '%s' SECRET > FILE)");
    }
    return out;
}

}  // namespace

std::string_view algorithm_name(algorithm alg) noexcept {
    switch (alg) {
        case algorithm::rs256: return "RS256";
        case algorithm::es256: return "ES256";
        case algorithm::hs256: break;
    }
    return "HS256";
}

std::optional<algorithm> parse_algorithm(std::string_view name) noexcept {
    for (const algorithm a : widget_algorithms) {
        const std::string_view n = algorithm_name(a);
        bool same = n.size() == name.size();
        for (std::size_t i = 0; same && i < n.size(); ++i) {
            const char c = name[i] >= 'a' && name[i] <= 'z' ? static_cast<char>(name[i] - 32) : name[i];
            same = c == n[i];
        }
        if (same) return a;
    }
    return std::nullopt;
}

signing_key load_or_create_key(std::optional<algorithm> requested, algorithm default_alg,
                               const std::function<jwt::status(std::string_view)>& check_allowed,
                               const std::filesystem::path& key_file, const std::filesystem::path& data_dir,
                               std::string_view passphrase) {
    std::filesystem::path path = key_file;
    bool created = false;
    algorithm alg = requested.value_or(default_alg);
    std::string inferred_from;
    // Before a key is created or used: an algorithm the login policy does not allow stops here.
    const auto refuse_unless_allowed = [&] {
        if (!check_allowed) return;
        jwt::status allowed = check_allowed(algorithm_name(alg));
        if (allowed) return;
        if (inferred_from.empty()) throw std::move(allowed).error();
        // Without --alg the user did not name the algorithm: say where it came from.
        throw jwt::error(allowed.error().value(), quoted(path) + " holds " + inferred_from + ", which signs " +
                                                      std::string(algorithm_name(alg)) + ": " + allowed.error().what());
    };
    if (key_file.empty()) {
        refuse_unless_allowed();
        std::tie(path, created) = data_dir_key(alg, data_dir);
    }
    const key_bytes bytes(path);
    if (!key_file.empty()) {
        if (requested) {
            const key_kind kind = classify(bytes.text);
            refuse_unreadable(kind, path);
            if (kind == key_kind::secret && alg != algorithm::hs256) {
                throw jwt::error(jwt::errc::key_algorithm_mismatch,
                                 std::string(algorithm_name(alg)) + " needs a PEM private key, but " + quoted(path) +
                                     " is none (it would be read as an HMAC secret); pass --alg hs256 if it "
                                     "is one, or leave --alg out to take the algorithm from the key");
            }
        } else {
            alg = infer_from(bytes.text, path, passphrase, &inferred_from);
        }
        refuse_unless_allowed();
    }
    signing_key out = [&] {
        switch (alg) {
            case algorithm::rs256:
                return pem_key<jwt::rs256>(bytes.text, path, created, key_file.empty(), data_dir, passphrase);
            case algorithm::es256:
                return pem_key<jwt::es256>(bytes.text, path, created, key_file.empty(), data_dir, passphrase);
            case algorithm::hs256: break;
        }
        return secret_key(bytes.text, path, created);
    }();
    out.inferred_from = std::move(inferred_from);
    return out;
}

namespace {

std::string utc(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    char text[32] = "?";
    if (gmtime_r(&t, &tm) != nullptr) static_cast<void>(std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return text;
}

template <class Signer>
std::string describe_ring(const jwt::key_ring<Signer>& ring) {
    std::string out;
    for (const jwt::key_ring_entry& k : ring.keys()) {
        if (!out.empty()) out += ", ";
        out += k.kid + " (" + jwt::key_status_name(k.status);
        if (k.status == jwt::key_status::retired) out += ", published until " + utc(k.published_until);
        out += ")";
    }
    return out;
}

/// The status of the key whose kid is kid in ring, if it holds one.
template <class Signer>
std::optional<jwt::key_status> status_in(const jwt::key_ring<Signer>& ring, std::string_view kid) {
    for (const jwt::key_ring_entry& k : ring.keys()) {
        if (k.kid == kid) return k.status;
    }
    return std::nullopt;
}

/// A key file for the ring's algorithm: loaded and checked as at start-up.
template <class Signer>
Signer load_ring_key(const std::filesystem::path& path, std::string_view passphrase) {
    const key_bytes bytes(path);
    const key_kind kind = classify(bytes.text);
    refuse_unreadable(kind, path);
    if (kind == key_kind::secret) {
        throw jwt::error(jwt::errc::key_algorithm_mismatch,
                         quoted(path) + " is no PEM private key; the keys of an " + std::string(Signer::alg) +
                             " rotation are PEM keys (make one with: jwtmint keygen " +
                             (Signer::alg == std::string_view("RS256") ? "rs256" : "es256") +
                             " --next --out CURRENT_KEY)");
    }
    try {
        return Signer::from_pem(bytes.text, passphrase);
    } catch (const jwt::error& e) {
        throw jwt::error(e.value(), quoted(path) + ": " + e.what());
    }
}

template <class Signer>
std::vector<std::string> reload_ring(jwt::key_ring<Signer>& ring, const std::filesystem::path& current_file,
                                     const std::filesystem::path& public_copy, std::string_view passphrase) {
    const std::filesystem::path next_file = jwtmint_examples::next_key_path(current_file);
    // Everything is read and judged first: a file that fails changes nothing.
    const auto current = load_ring_key<Signer>(current_file, passphrase);
    const std::string current_kid = jwt::jwk_thumbprint(current);
    std::optional<Signer> next;
    std::string next_kid;
    std::error_code ec;
    if (std::filesystem::exists(next_file, ec)) {
        next.emplace(load_ring_key<Signer>(next_file, passphrase));
        next_kid = jwt::jwk_thumbprint(*next);
    }
    const std::string signing_kid = ring.current_key_id();
    bool promote = false;
    if (current_kid != signing_kid) {
        const std::optional<jwt::key_status> known = status_in(ring, current_kid);
        if (known == jwt::key_status::next) {
            promote = true;
        } else if (known == jwt::key_status::retired) {
            throw jwt::error(jwt::errc::invalid_setting,
                             quoted(current_file) + " now holds kid " + current_kid +
                                 ", a key this program retired; a retired key does not sign again here (restart the "
                                 "program to sign with it, or put the key that signs, kid " +
                                 signing_kid + ", back)");
        } else {
            throw jwt::error(jwt::errc::invalid_setting,
                             quoted(current_file) + " now holds kid " + current_kid +
                                 ", which was never published as the next key; publish a new key first: put it in " +
                                 quoted(next_file) + " (jwtmint keygen " +
                                 (Signer::alg == std::string_view("RS256") ? "rs256" : "es256") + " --next --out " +
                                 current_file.string() + "), send SIGHUP, then move it over " + quoted(current_file) +
                                 " and send SIGHUP again; until then the program signs with kid " + signing_kid);
        }
    }
    // The ring's next keys that next_file no longer holds (after a promotion, the promoted one
    // is no longer next).
    std::vector<std::string> stale;
    for (const jwt::key_ring_entry& k : ring.keys()) {
        if (k.status == jwt::key_status::next && k.kid != next_kid && !(promote && k.kid == current_kid)) {
            stale.push_back(k.kid);
        }
    }
    bool add = false;
    std::vector<std::string> log;
    if (next) {
        const std::optional<jwt::key_status> known = status_in(ring, next_kid);
        if (next_kid == current_kid) {
            log.push_back(quoted(next_file) + " holds the same key as " + quoted(current_file) + " (kid " + next_kid +
                          "): it was copied, not moved; remove it");
        } else if (!known) {
            add = true;
        } else if (*known != jwt::key_status::next) {
            log.push_back(quoted(next_file) + " holds kid " + next_kid + ", a key that is already " +
                          jwt::key_status_name(*known) + ": not added again; remove the file");
        }
    }

    // Then applied; these fail only on what was ruled out above.
    if (promote) {
        ring.promote(current_kid);
        log.push_back("promoted kid " + current_kid + " from " + quoted(current_file) +
                      ": it signs every new token from now on; the vendor's settings must hold its public key now "
                      "(jwtmint pubkey --key " +
                      current_file.string() + ")");
        for (const jwt::key_ring_entry& k : ring.keys()) {
            if (k.kid == signing_kid) {
                log.push_back("retired kid " + signing_kid + ": it signs no more; still published until " +
                              utc(k.published_until) + ", so the tokens it signed verify until they expire");
            }
        }
        if (!public_copy.empty()) {
            replace_file(public_copy, current.public_key_pem(), 0644);
            log.push_back("wrote the new public key to " + quoted(public_copy));
        }
    }
    for (const std::string& kid : stale) {
        ring.retire(kid);
        log.push_back("dropped the next key kid " + kid + ": " + quoted(next_file) + " no longer holds it");
    }
    if (add) {
        ring.add_next(*next);
        log.push_back("added the next key kid " + next_kid + " from " + quoted(next_file) +
                      ": published at /.well-known/jwks.json, not signing; to promote it, move it over " +
                      quoted(current_file) + ", send SIGHUP and paste its public key into the vendor's settings");
    }
    if (log.empty()) log.push_back("no change: signing with kid " + signing_kid);
    log.push_back("keys: " + describe_ring(ring));
    return log;
}

}  // namespace

token_minter::keys token_minter::make_keys(const any_signer& signer, std::chrono::seconds ttl) {
    // A retired key stays published while its last tokens live, plus a minute for clocks.
    const std::chrono::seconds keep = std::max(jwt::default_retired_key_retention, ttl + std::chrono::seconds(60));
    if (const auto* rs = std::get_if<jwt::rs256>(&signer)) {
        auto ring = jwt::key_ring<jwt::rs256>::create(*rs);
        ring.retired_key_retention(keep);
        return keys(std::in_place_type<jwt::key_ring<jwt::rs256>>, std::move(ring));
    }
    if (const auto* es = std::get_if<jwt::es256>(&signer)) {
        auto ring = jwt::key_ring<jwt::es256>::create(*es);
        ring.retired_key_retention(keep);
        return keys(std::in_place_type<jwt::key_ring<jwt::es256>>, std::move(ring));
    }
    return keys(std::in_place_type<jwt::hs256>, std::get<jwt::hs256>(signer));
}

std::string token_minter::mint(const user& u) const {
    return std::visit(
        [&](const auto& signing_keys) {
            jwt::builder b{signing_keys, policy_};
            b.roles(u.roles).subject(u.username).jwt_id(random_token(16)).expires_in(ttl_);
            if (!u.email.empty()) b.email(u.email);
            if (!u.upn.empty()) b.upn(u.upn);
            if (!u.preferred_username.empty()) b.preferred_username(u.preferred_username);
            return b.sign();
        },
        keys_);
}

std::string_view token_minter::alg() const noexcept {
    // Asked of the alternative, not with std::visit, which may throw std::bad_variant_access.
    static_assert(std::variant_size_v<decltype(keys_)> == 3, "a new kind of key needs its line here");
    if (std::holds_alternative<jwt::key_ring<jwt::rs256>>(keys_)) return jwt::rs256::alg;
    if (std::holds_alternative<jwt::key_ring<jwt::es256>>(keys_)) return jwt::es256::alg;
    return jwt::hs256::alg;
}

std::optional<std::string> token_minter::public_jwks() const {
    if (const auto* rs = std::get_if<jwt::key_ring<jwt::rs256>>(&keys_)) return rs->public_jwks();
    if (const auto* es = std::get_if<jwt::key_ring<jwt::es256>>(&keys_)) return es->public_jwks();
    return std::nullopt;
}

std::string token_minter::public_key_pem() const {
    if (const auto* rs = std::get_if<jwt::key_ring<jwt::rs256>>(&keys_)) {
        return rs->current_key().signer().public_key_pem();
    }
    if (const auto* es = std::get_if<jwt::key_ring<jwt::es256>>(&keys_)) {
        return es->current_key().signer().public_key_pem();
    }
    return {};
}

std::string token_minter::key_id() const {
    if (const auto* rs = std::get_if<jwt::key_ring<jwt::rs256>>(&keys_)) return rs->current_key_id();
    if (const auto* es = std::get_if<jwt::key_ring<jwt::es256>>(&keys_)) return es->current_key_id();
    return {};
}

std::string token_minter::describe_keys() const {
    if (const auto* rs = std::get_if<jwt::key_ring<jwt::rs256>>(&keys_)) return describe_ring(*rs);
    if (const auto* es = std::get_if<jwt::key_ring<jwt::es256>>(&keys_)) return describe_ring(*es);
    return "an HS256 secret (never published)";
}

std::vector<std::string> token_minter::reload(const std::filesystem::path& current_file,
                                              const std::filesystem::path& public_copy, std::string_view passphrase) {
    if (auto* rs = std::get_if<jwt::key_ring<jwt::rs256>>(&keys_)) {
        return reload_ring(*rs, current_file, public_copy, passphrase);
    }
    if (auto* es = std::get_if<jwt::key_ring<jwt::es256>>(&keys_)) {
        return reload_ring(*es, current_file, public_copy, passphrase);
    }
    throw jwt::error(jwt::errc::invalid_setting,
                     "an HS256 secret is not rotated in place (it is never published, and the vendor holds the "
                     "very same secret): restart the program with the new secret when the vendor has it");
}

}  // namespace host
